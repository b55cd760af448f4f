/* The PostgreSQL backend's shared internals.
 *
 * Files: pg.c (URL, open, close, the ops table), pg_conn.c (connection
 * pool, statements, transactions, error mapping), pg_migrate.c (the schema
 * and its migrations), pg_accounts.c, pg_sessions.c, pg_records.c (audit,
 * guards, transmissions), pg_keys.c (signing keys, provider tokens).
 *
 * Connections.  A pool of at most max_connections libpq connections behind
 * a mutex; a connection is used by one thread at a time.  Each caches its
 * prepared statements, keyed by the address of the SQL text (every
 * statement is a static const char array next to the code that runs it)
 * and named "door_<n>" on that connection.  A connection found broken
 * (PQstatus, or the server's goodbye read on a check before it is handed
 * out) is closed and replaced; when no new one can be made the call fails
 * with DOOR_ESTORE_UNAVAILABLE (after at most connect_timeout, and at once
 * for DOOR__PG_HOLDOFF_MS after that), and a later call tries again, so
 * the pool recovers by itself when the server is back.
 *
 * Parameters are sent with their types (text, int8, bytea) and results
 * come back in binary; no SQL is ever built from data.
 */
#ifndef DOOR_STORE_PG_INT_H
#define DOOR_STORE_PG_INT_H

#include "store/store_int.h"

#include <libpq-fe.h>
#include <pthread.h>

/* Statements one connection can cache (there are fewer in the code). */
#define DOOR__PG_STMT_MAX 96
/* Parameters of one statement. */
#define DOOR__PG_PARAMS_MAX 12
/* Attempts of a whole transaction after a serialization failure, a
 * deadlock or a concurrent insert of the same key. */
#define DOOR__PG_TX_ATTEMPTS 12
/* Seconds libpq waits for a connection when the URL sets no
 * connect_timeout (libpq reads 1 as 2). */
#define DOOR__PG_CONNECT_TIMEOUT 5
/* After a connection attempt found the server unreachable, calls that
 * need a new connection fail at once for this long (milliseconds) rather
 * than each waiting out connect_timeout on a server that does not answer;
 * then the next one tries again. */
#define DOOR__PG_HOLDOFF_MS 250
/* Advisory lock key that serialises migrations ("DOOR"). */
#define DOOR__PG_MIGRATE_LOCK 0x444f4f52

typedef struct door__pg_conn {
  PGconn *db;
  struct door__pg *owner;
  int sync_off; /* synchronous_commit is off on this session */
  int retry;    /* the last failure is worth running the transaction again */
  int lost;     /* the connection broke */
  char sqlstate[6];
  size_t n_stmts;
  const char *stmts[DOOR__PG_STMT_MAX]; /* index n: statement "door_<n>" */
  struct door__pg_conn *next;           /* in the idle list */
} door__pg_conn;

typedef struct door__pg {
  struct door_store base; /* first */
  PQconninfoOption *info; /* the parsed URL (holds the password) */
  const char **keys, **vals;
  char *where; /* postgres://user@host:port/dbname, no password */
  char connect_timeout[24], lock_timeout[24];
  long busy_ms;
  int64_t retry_at; /* monotonic ms: no new connection before (holdoff) */
  size_t max_conns, n_conns;
  door__pg_conn *idle;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} door__pg;

/* How a transaction runs. */
typedef enum door__pg_mode {
  DOOR__PG_ONE_READ = 0,  /* no BEGIN: each statement commits by itself */
  DOOR__PG_ONE_WRITE = 1, /* the same, for writes (never re-run when the
                             connection breaks: the write may have landed) */
  DOOR__PG_READ = 2,      /* REPEATABLE READ, READ ONLY: one snapshot */
  DOOR__PG_WRITE = 3,     /* READ COMMITTED with explicit row locks */
} door__pg_mode;

static inline door__pg *door__pg_of(door_store *st) { return (door__pg *)st; }

/* Maps a failed result (or a NULL one) to a door_err, fills `d` and sets
 * c->sqlstate, c->retry, c->lost.  SQLSTATEs: 23505 -> DOOR_EEXISTS,
 * 23503 -> DOOR_ENOTFOUND, other 23xxx -> DOOR_EINVAL (the caller's to
 * judge: not logged); 40001, 40P01 -> DOOR_ESTORE_BUSY, retried; 55P03,
 * 57014, 53300 -> DOOR_ESTORE_BUSY; 08xxx, 57P0x and a broken connection
 * -> DOOR_ESTORE_UNAVAILABLE; XX001, XX002 -> DOOR_ESTORE_CORRUPT;
 * 53100 -> DOOR_EIO; 22021 -> DOOR_EUTF8, other 22xxx -> DOOR_EINVAL;
 * anything else DOOR_ESTORE.  Only the server's primary message goes in
 * the detail (never its DETAIL line, which may quote values). */
door_err door__pg_err(door__pg_conn *c, const PGresult *r, door_detail *d);
/* The same for a bare handle (open, migrations); *retry = 1 for a
 * serialization failure or a deadlock. */
door_err door__pg_db_err(PGconn *db, const PGresult *r, const char *where,
                         const door_log *log, door_detail *d, int *retry);
/* Signals that a concurrent transaction inserted the same key first: the
 * transaction is rolled back and run again (DOOR_ESTORE_BUSY when the
 * attempts run out). */
door_err door__pg_conflict(door__pg_conn *c, door_detail *d);

/* Takes a connection from the pool (a broken idle one is replaced; a new
 * one is opened when allowed; otherwise waits up to the busy timeout);
 * gives it back (a broken one, or one stuck in a transaction, is closed). */
door_err door__pg_acquire(door__pg *p, door__pg_conn **out, door_detail *d);
void door__pg_release(door__pg *p, door__pg_conn *c);

/* Prepares (once per connection) and runs `sql` with parameters from the
 * format, one letter per parameter $1, $2, ...:
 *   t  const char *            text (NULL sends NULL)
 *   i  int64_t                 int8
 *   z  int64_t                 int8, 0 sends NULL
 *   b  const void *, size_t    bytea (NULL or length 0 sends NULL)
 * *out: the result (PQclear it), in binary format. */
door_err door__pg_q(door__pg_conn *c, const char *sql, PGresult **out,
                    door_detail *d, const char *fmt, ...);
/* Runs to completion; *changes (may be NULL) = rows changed. */
door_err door__pg_run(door__pg_conn *c, const char *sql, uint64_t *changes,
                      door_detail *d, const char *fmt, ...);
/* The first column of the first row in *v; DOOR_ENOTFOUND: no row. */
door_err door__pg_int(door__pg_conn *c, const char *sql, int64_t *v,
                      door_detail *d, const char *fmt, ...);
/* Runs a parameterless script (BEGIN, migrations) with the simple query
 * protocol. */
door_err door__pg_exec(door__pg_conn *c, const char *sql, door_detail *d);

/* Binary result columns: an integer (int2/int4/int8/bool; NULL reads 0),
 * copies of text and bytea (NULL for SQL NULL; DOOR_ENOMEM). */
int64_t door__pg_col_i64(const PGresult *r, int row, int col);
door_err door__pg_col_str(const PGresult *r, int row, int col, char **out);
door_err door__pg_col_blob(const PGresult *r, int row, int col, uint8_t **out,
                           size_t *len);
/* Copies an account id column into out ("" for NULL). */
void door__pg_col_account(const PGresult *r, int row, int col,
                          char out[DOOR_STORE_ID_LEN + 1]);

/* Runs fn on a pooled connection in the given mode; `durable` 0 runs it
 * with synchronous_commit off (session refresh, purges).  A transaction
 * commits when fn returns DOOR_OK and rolls back otherwise; it is run
 * again (up to DOOR__PG_TX_ATTEMPTS) after a serialization failure, a
 * deadlock or door__pg_conflict, and once on a fresh connection when the
 * connection broke before COMMIT was sent (not in ONE_WRITE mode).  fn
 * must set its outputs on every attempt. */
typedef door_err (*door__pg_tx_fn)(door__pg_conn *c, void *ctx, door_detail *d);
door_err door__pg_tx(door__pg *p, door__pg_mode mode, int durable,
                     door__pg_tx_fn fn, void *ctx, door_detail *d);
/* One write statement in ONE_WRITE mode. */
door_err door__pg_run1(door__pg *p, int durable, const char *sql,
                       uint64_t *changes, door_detail *d, const char *fmt, ...);

/* Migrations (pg_migrate.c). */
typedef struct door__pg_migration {
  int version;
  const char *sql; /* one or more statements */
} door__pg_migration;

extern const door__pg_migration door__pg_migrations[];
extern const int door__pg_latest;

/* Brings the database of `db` to the last version of `m` (versions 1..n
 * in order), one transaction per migration, each under the advisory lock
 * DOOR__PG_MIGRATE_LOCK so that brokers starting together take turns;
 * *from and *to (may be NULL) get the versions before and after.  `where`
 * names the database in details.  Exposed with the list as an argument
 * for tests. */
door_err door__pg_migrate(PGconn *db, const door__pg_migration *m, int n,
                          const char *where, const door_log *log, int *from,
                          int *to, door_detail *d);
/* The version recorded in schema_version (0 when none). */
door_err door__pg_version(PGconn *db, const char *where, int *v,
                          door_detail *d);

/* Ops defined in the split files. */
door_err door__pg_login_identity(door_store *st, const char *issuer,
                                 const char *subject, const char *provider,
                                 const char *claims, int64_t now,
                                 char account_id[DOOR_STORE_ID_LEN + 1],
                                 int *created, door_detail *d);
door_err door__pg_link_identity(door_store *st, const char *account_id,
                                const char *issuer, const char *subject,
                                const char *provider, const char *claims,
                                int64_t now, int *linked, door_detail *d);
/* The sign-in and link steps inside a WRITE transaction the caller holds
 * (pg_accounts.c), run by door__pg_login_identity and
 * door__pg_link_identity and by the login commit; the contract of
 * door__sq_signin and door__sq_link.  A first login or a link that finds
 * the identity inserted meanwhile by another transaction has the whole
 * transaction run again (door__pg_conflict). */
door_err door__pg_signin(door__pg_conn *c, const door__store_ident *id,
                         char account_id[DOOR_STORE_ID_LEN + 1], int *created,
                         door_detail *d);
door_err door__pg_link(door__pg_conn *c, const char *account_id,
                       const door__store_ident *id, int *linked,
                       door_detail *d);
door_err door__pg_unlink_identity(door_store *st, const char *account_id,
                                  const char *provider, const char *issuer,
                                  const char *subject, int64_t now,
                                  door_detail *d);
door_err door__pg_identity_find(door_store *st, const char *issuer,
                                const char *subject,
                                char account_id[DOOR_STORE_ID_LEN + 1],
                                door_detail *d);
door_err door__pg_account_get(door_store *st, const char *account_id,
                              door_store_account *out, door_detail *d);
door_err door__pg_accounts_list(door_store *st, const char *after_id,
                                size_t limit, door_store_account **out,
                                size_t *n, door_detail *d);
door_err door__pg_account_delete(door_store *st, const char *account_id,
                                 int64_t now, door_store_delete_counts *counts,
                                 door_detail *d);
door_err door__pg_counts(door_store *st, int64_t now, door_store_counts *out,
                         door_detail *d);

door_err door__pg_session_create(door_store *st,
                                 const door_store_session_new *s,
                                 door_detail *d);
/* The session's insert inside a transaction the caller holds, for
 * `account_id` (s->account_id is not read); the details of
 * door__store_session_insert_err. */
door_err door__pg_session_insert(door__pg_conn *c,
                                 const door_store_session_new *s,
                                 const char *account_id, door_detail *d);
door_err door__pg_session_get(door_store *st, const uint8_t *id_hash,
                              int64_t now, int64_t idle_seconds,
                              door_store_session *out, door_detail *d);
door_err door__pg_session_delete(door_store *st, const uint8_t *id_hash,
                                 door_detail *d);
door_err door__pg_sessions_delete_by_sid(door_store *st, const char *issuer,
                                         const char *sid, uint64_t *n,
                                         door_detail *d);
door_err door__pg_sessions_delete_by_sub(door_store *st, const char *issuer,
                                         const char *sub, uint64_t *n,
                                         door_detail *d);
door_err door__pg_sessions_delete_account(door_store *st,
                                          const char *account_id, uint64_t *n,
                                          door_detail *d);
door_err door__pg_sessions_purge(door_store *st, int64_t now, uint64_t *n,
                                 door_detail *d);

door_err door__pg_audit_append(door_store *st, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               int64_t *id, door_detail *d);
/* The same inside a transaction the caller holds. */
door_err door__pg_audit_insert(door__pg_conn *c, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               door_detail *d);
/* The transmission record's insert inside a transaction the caller holds,
 * for `account_id` (NULL: none); *id (may be NULL) its id; DOOR_ENOTFOUND
 * "no such account". */
door_err door__pg_tx_insert(door__pg_conn *c,
                            const door_store_transmission_new *t,
                            const char *account_id, int64_t *id,
                            door_detail *d);
door_err door__pg_audit_list(door_store *st, const char *account_id,
                             size_t limit, door_store_audit **out, size_t *n,
                             door_detail *d);
door_err door__pg_state_consume(door_store *st, const char *key,
                                int64_t expires_at, door_detail *d);
door_err door__pg_states_purge(door_store *st, int64_t now, uint64_t *n,
                               door_detail *d);
door_err door__pg_jti_admit(door_store *st, const char *event_id,
                            const char *jti, int64_t expires_at, int64_t now,
                            int64_t *first_admitted_at, door_detail *d);
door_err door__pg_jti_purge(door_store *st, int64_t now, uint64_t *n,
                            door_detail *d);
door_err door__pg_transmission_append(door_store *st,
                                      const door_store_transmission_new *t,
                                      int64_t *id, door_detail *d);
door_err door__pg_transmissions_purge(door_store *st, int64_t before,
                                      uint64_t *n, door_detail *d);
door_err door__pg_transmissions_list(door_store *st, const char *account_id,
                                     size_t limit,
                                     door_store_transmission **out, size_t *n,
                                     door_detail *d);

door_err door__pg_signing_key_put(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_detail *d);
door_err door__pg_signing_keys_list(door_store *st,
                                    door_store_signing_key **out, size_t *n,
                                    door_detail *d);
door_err door__pg_signing_key_retire(door_store *st, const char *kid,
                                     int64_t now, door_detail *d);
door_err door__pg_signing_key_add(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_store_key_mode mode, int64_t now,
                                  int64_t retire_others_at, int *added,
                                  door_detail *d);
door_err door__pg_tokens_put(door_store *st, const door_store_tokens_new *t,
                             door_detail *d);
/* The tokens' insert or update inside a transaction the caller holds. */
door_err door__pg_tokens_write(door__pg_conn *c, const door_store_tokens_new *t,
                               door_detail *d);
door_err door__pg_tokens_get(door_store *st, const char *account_id,
                             const char *provider, door_store_tokens *out,
                             door_detail *d);
door_err door__pg_tokens_delete(door_store *st, const char *account_id,
                                const char *provider, door_detail *d);

/* pg_stats.c */
door_err door__pg_stats_add(door_store *st, const char *event_id, int64_t hour,
                            const char *tier, door_detail *d);
door_err door__pg_stats_list(door_store *st, const char *event_id,
                             door_store_stat **out, size_t *n, door_detail *d);

/* pg_login.c: the login commit, the batch of transmission records
 * and the read-only state check. */
door_err door__pg_login_commit(door_store *st, const door_store_login *in,
                               door_store_login_result *out, door_detail *d);
door_err door__pg_state_used(door_store *st, const char *key, int *used,
                             door_detail *d);
door_err door__pg_transmissions_append(door_store *st,
                                       const door_store_transmission_new *t,
                                       size_t n, door_detail *d);

#endif
