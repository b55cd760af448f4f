/* The SQLite backend's shared internals.
 *
 * Files: sqlite.c (open, pool, statements, the writer, error mapping),
 * sqlite_tx.c (transactions and group commit),
 * sqlite_migrate.c (the schema and its migrations), sqlite_accounts.c,
 * sqlite_sessions.c, sqlite_records.c (audit, guards, transmissions),
 * sqlite_keys.c (signing keys, provider tokens).
 *
 * Connections.  A pool of at most max_connections, each opened in
 * SQLITE_OPEN_NOMUTEX mode: a connection is used by one thread at a time,
 * the pool's mutex hands them out.  Each connection caches its prepared
 * statements, keyed by the address of the SQL text (every statement is a
 * static const char array next to the code that runs it).
 *
 * The writer.  Every write (door__sq_tx in WRITE or DURABLE mode,
 * door__sq_run1) runs on one more connection, the writer, taken under its
 * own mutex: SQLite lets one writer at a time in anyway, so threads queue
 * on the mutex (woken at once) instead of sleeping in SQLite's busy
 * handler, and the writer's page cache stays valid from one write to the
 * next (a connection that sees another connection's commit drops its whole
 * cache and reads the pages again).  Other processes on the same file
 * still meet through SQLite's locks and busy handler.  sqlite::memory:
 * has one connection and no writer.
 *
 * Statements bind every value (door__sq_q's format string); no SQL is ever
 * built from data.
 */
#ifndef DOOR_STORE_SQLITE_INT_H
#define DOOR_STORE_SQLITE_INT_H

#include "store/store_int.h"

#include <pthread.h>
#include <sqlite3.h>

/* Statements one connection can cache (there are fewer in the code). */
#define DOOR__SQ_STMT_MAX 96
/* Attempts of a whole transaction when SQLite reports the database busy
 * after its own busy handler has waited. */
#define DOOR__SQ_TX_ATTEMPTS 4

typedef struct door__sq_stmt {
  const char *sql;
  sqlite3_stmt *st;
} door__sq_stmt;

typedef struct door__sq_conn {
  sqlite3 *db;
  struct door__sq *owner;
  int sync_full; /* PRAGMA synchronous now: 1 FULL, 0 NORMAL */
  size_t n_stmts;
  door__sq_stmt stmts[DOOR__SQ_STMT_MAX];
  struct door__sq_conn *next; /* in the idle list */
} door__sq_conn;

typedef struct door__sq {
  struct door_store base; /* first */
  char *path;             /* ":memory:" for sqlite::memory: */
  int memory;
  long busy_ms;
  size_t max_conns, n_conns;
  door__sq_conn *idle;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_mutex_t wmu;   /* held while the writer is in use */
  door__sq_conn *writer; /* opened on first write; under wmu */
  /* Group commit (sqlite_tx.c): write transactions waiting for the writer,
   * and whether a thread is running a batch of them now.  Under gmu. */
  pthread_mutex_t gmu;
  pthread_cond_t gcv;
  struct door__sq_job *gq_head, *gq_tail;
  int g_leading;
  uint64_t g_batches, g_jobs; /* committed so far, for tests and metrics */
} door__sq;

/* Transaction modes. */
typedef enum door__sq_mode {
  DOOR__SQ_READ = 0,    /* BEGIN (deferred): consistent reads */
  DOOR__SQ_WRITE = 1,   /* BEGIN IMMEDIATE, synchronous=NORMAL */
  DOOR__SQ_DURABLE = 2, /* BEGIN IMMEDIATE, synchronous=FULL */
} door__sq_mode;

static inline door__sq *door__sq_of(door_store *st) { return (door__sq *)st; }

/* Maps an SQLite result code to a door_err and fills `d` (what = SQLite's
 * message, which names tables and columns, never values; where = the
 * database path).  Constraint failures: UNIQUE/PRIMARY KEY -> DOOR_EEXISTS,
 * FOREIGN KEY -> DOOR_ENOTFOUND, CHECK/NOT NULL -> DOOR_EINVAL; those are
 * the caller's to judge and are not logged; every other failure is logged
 * at warn. */
door_err door__sq_err(door__sq_conn *c, int rc, door_detail *d);
/* The same for a bare handle (open, migrations). */
door_err door__sq_db_err(sqlite3 *db, int rc, const char *where,
                         const door_log *log, door_detail *d);

/* Takes a connection from the pool (opening one when allowed, waiting up to
 * the busy timeout otherwise); gives it back. */
door_err door__sq_acquire(door__sq *s, door__sq_conn **out, door_detail *d);
void door__sq_release(door__sq *s, door__sq_conn *c);

/* Sets PRAGMA synchronous (FULL when durable) unless already so.  Outside a
 * transaction only. */
door_err door__sq_sync(door__sq_conn *c, int durable, door_detail *d);

/* Prepares (or takes from the cache) `sql` and binds its parameters from
 * the format, one letter per parameter ?1, ?2, ...:
 *   t  const char *            text (NULL binds NULL)
 *   i  int64_t                 integer
 *   z  int64_t                 integer, 0 binds NULL
 *   b  const void *, size_t    blob (NULL or length 0 binds NULL)
 * Release the statement with door__sq_end. */
door_err door__sq_q(door__sq_conn *c, const char *sql, sqlite3_stmt **out,
                    door_detail *d, const char *fmt, ...);
/* One step: *row = 1 for a row, 0 when done. */
door_err door__sq_step(door__sq_conn *c, sqlite3_stmt *st, int *row,
                       door_detail *d);
/* Resets the statement and clears its bindings.  NULL is allowed. */
void door__sq_end(sqlite3_stmt *st);
/* Prepares, binds, runs to completion; *changes (may be NULL) = rows
 * changed. */
door_err door__sq_run(door__sq_conn *c, const char *sql, uint64_t *changes,
                      door_detail *d, const char *fmt, ...);
/* Prepares, binds, steps once: DOOR_OK with the first column of the first
 * row in *v, DOOR_ENOTFOUND when there is no row. */
door_err door__sq_int(door__sq_conn *c, const char *sql, int64_t *v,
                      door_detail *d, const char *fmt, ...);

/* Column copies: NULL for SQL NULL.  DOOR_ENOMEM. */
door_err door__sq_col_str(sqlite3_stmt *st, int i, char **out);
door_err door__sq_col_blob(sqlite3_stmt *st, int i, uint8_t **out, size_t *len);

/* Runs fn in one transaction of the given mode: commits when fn returns
 * DOOR_OK, rolls back otherwise.  When the database is busy (after the busy
 * handler), the whole transaction is retried up to DOOR__SQ_TX_ATTEMPTS
 * times.  fn must set its outputs on every attempt.
 * READ runs on a pooled connection.  WRITE and DURABLE are group-committed
 * (sqlite_tx.c): the write transactions of several threads that arrive while
 * the writer is busy run together, each inside its own SAVEPOINT (a failing
 * fn rolls back its own changes only), under one BEGIN IMMEDIATE ... COMMIT
 * and one fsync; each caller returns only after that COMMIT (or with its own
 * error), so an answered write is as durable as before. */
typedef door_err (*door__sq_tx_fn)(door__sq_conn *c, void *ctx, door_detail *d);
door_err door__sq_tx(door__sq *s, door__sq_mode mode, door__sq_tx_fn fn,
                     void *ctx, door_detail *d);
/* The writer connection (sqlite.c): taken under wmu, waiting up to the busy
 * timeout; given back (rolled back first if a transaction was left open). */
door_err door__sq_writer_take(door__sq *s, door__sq_conn **out, door_detail *d);
void door__sq_writer_give(door__sq *s, door__sq_conn *c);
/* Sleeps a little longer on each attempt (2 ms x attempt). */
void door__sq_backoff(int attempt);

/* Runs one statement to completion outside an explicit transaction (a
 * statement is its own transaction). */
door_err door__sq_run1(door__sq *s, int durable, const char *sql,
                       uint64_t *changes, door_detail *d, const char *fmt, ...);

/* Migrations (sqlite_migrate.c). */
typedef struct door__sq_migration {
  int version;
  const char *sql; /* one or more statements */
} door__sq_migration;

extern const door__sq_migration door__sq_migrations[];
extern const int door__sq_latest;

/* Brings `db` to the last version of `m` (versions 1..n in order), one
 * transaction per migration; *from and *to (may be NULL) get the versions
 * before and after.  Exposed with the list as an argument for tests. */
door_err door__sq_migrate(sqlite3 *db, const door__sq_migration *m, int n,
                          const door_log *log, int *from, int *to,
                          door_detail *d);
/* The version recorded in schema_version (0 when none). */
door_err door__sq_version(sqlite3 *db, int *v, door_detail *d);

/* The application_id doorauth stamps on its databases ("DOOR"). */
#define DOOR__SQ_APPLICATION_ID 0x444f4f52

/* Ops defined in the split files. */
door_err door__sq_login_identity(door_store *st, const char *issuer,
                                 const char *subject, const char *provider,
                                 const char *claims, int64_t now,
                                 char account_id[DOOR_STORE_ID_LEN + 1],
                                 int *created, door_detail *d);
door_err door__sq_link_identity(door_store *st, const char *account_id,
                                const char *issuer, const char *subject,
                                const char *provider, const char *claims,
                                int64_t now, int *linked, door_detail *d);
/* The sign-in and link steps inside a write transaction the caller holds
 * (sqlite_accounts.c), run by door__sq_login_identity and
 * door__sq_link_identity and by the login commit.  signin: the account of
 * the identity (last_login_at and kept claims updated), or a new account
 * with it and an ACCOUNT_CREATE audit row (*created 1).  link: the identity
 * added to account_id with a LINK audit row (*linked 1), nothing when it is
 * there already, DOOR_ESTORE_IDENTITY_TAKEN when another account has it,
 * DOOR_ENOTFOUND when there is no such account. */
door_err door__sq_signin(door__sq_conn *c, const door__store_ident *id,
                         char account_id[DOOR_STORE_ID_LEN + 1], int *created,
                         door_detail *d);
door_err door__sq_link(door__sq_conn *c, const char *account_id,
                       const door__store_ident *id, int *linked,
                       door_detail *d);
door_err door__sq_unlink_identity(door_store *st, const char *account_id,
                                  const char *provider, const char *issuer,
                                  const char *subject, int64_t now,
                                  door_detail *d);
door_err door__sq_identity_find(door_store *st, const char *issuer,
                                const char *subject,
                                char account_id[DOOR_STORE_ID_LEN + 1],
                                door_detail *d);
door_err door__sq_account_get(door_store *st, const char *account_id,
                              door_store_account *out, door_detail *d);
door_err door__sq_accounts_list(door_store *st, const char *after_id,
                                size_t limit, door_store_account **out,
                                size_t *n, door_detail *d);
door_err door__sq_account_delete(door_store *st, const char *account_id,
                                 int64_t now, door_store_delete_counts *counts,
                                 door_detail *d);
door_err door__sq_counts(door_store *st, int64_t now, door_store_counts *out,
                         door_detail *d);

door_err door__sq_session_create(door_store *st,
                                 const door_store_session_new *s,
                                 door_detail *d);
/* The session's insert inside a transaction the caller holds, for
 * `account_id` (s->account_id is not read); the details of
 * door__store_session_insert_err. */
door_err door__sq_session_insert(door__sq_conn *c,
                                 const door_store_session_new *s,
                                 const char *account_id, door_detail *d);
door_err door__sq_session_get(door_store *st, const uint8_t *id_hash,
                              int64_t now, int64_t idle_seconds,
                              door_store_session *out, door_detail *d);
door_err door__sq_session_delete(door_store *st, const uint8_t *id_hash,
                                 door_detail *d);
door_err door__sq_sessions_delete_by_sid(door_store *st, const char *issuer,
                                         const char *sid, uint64_t *n,
                                         door_detail *d);
door_err door__sq_sessions_delete_by_sub(door_store *st, const char *issuer,
                                         const char *sub, uint64_t *n,
                                         door_detail *d);
door_err door__sq_sessions_delete_account(door_store *st,
                                          const char *account_id, uint64_t *n,
                                          door_detail *d);
door_err door__sq_sessions_purge(door_store *st, int64_t now, uint64_t *n,
                                 door_detail *d);

door_err door__sq_audit_append(door_store *st, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               int64_t *id, door_detail *d);
/* The same inside a transaction the caller holds. */
door_err door__sq_audit_insert(door__sq_conn *c, int64_t at,
                               const char *account_id,
                               door_store_audit_kind kind, const char *provider,
                               const char *issuer, const char *detail,
                               door_detail *d);
/* The transmission record's insert inside a transaction the caller holds,
 * for `account_id` (NULL: none); DOOR_ENOTFOUND "no such account". */
door_err door__sq_tx_insert(door__sq_conn *c,
                            const door_store_transmission_new *t,
                            const char *account_id, door_detail *d);
door_err door__sq_audit_list(door_store *st, const char *account_id,
                             size_t limit, door_store_audit **out, size_t *n,
                             door_detail *d);
door_err door__sq_state_consume(door_store *st, const char *key,
                                int64_t expires_at, door_detail *d);
door_err door__sq_states_purge(door_store *st, int64_t now, uint64_t *n,
                               door_detail *d);
door_err door__sq_jti_admit(door_store *st, const char *event_id,
                            const char *jti, int64_t expires_at, int64_t now,
                            int64_t *first_admitted_at, door_detail *d);
door_err door__sq_jti_purge(door_store *st, int64_t now, uint64_t *n,
                            door_detail *d);
door_err door__sq_transmission_append(door_store *st,
                                      const door_store_transmission_new *t,
                                      int64_t *id, door_detail *d);
door_err door__sq_transmissions_purge(door_store *st, int64_t before,
                                      uint64_t *n, door_detail *d);
door_err door__sq_transmissions_list(door_store *st, const char *account_id,
                                     size_t limit,
                                     door_store_transmission **out, size_t *n,
                                     door_detail *d);

door_err door__sq_signing_key_put(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_detail *d);
door_err door__sq_signing_keys_list(door_store *st,
                                    door_store_signing_key **out, size_t *n,
                                    door_detail *d);
door_err door__sq_signing_key_retire(door_store *st, const char *kid,
                                     int64_t now, door_detail *d);
door_err door__sq_signing_key_add(door_store *st,
                                  const door_store_signing_key_new *k,
                                  door_store_key_mode mode, int64_t now,
                                  int64_t retire_others_at, int *added,
                                  door_detail *d);
door_err door__sq_tokens_put(door_store *st, const door_store_tokens_new *t,
                             door_detail *d);
/* The tokens' insert or update inside a transaction the caller holds. */
door_err door__sq_tokens_write(door__sq_conn *c, const door_store_tokens_new *t,
                               door_detail *d);
door_err door__sq_tokens_get(door_store *st, const char *account_id,
                             const char *provider, door_store_tokens *out,
                             door_detail *d);
door_err door__sq_tokens_delete(door_store *st, const char *account_id,
                                const char *provider, door_detail *d);

/* sqlite_stats.c */
door_err door__sq_stats_add(door_store *st, const char *event_id, int64_t hour,
                            const char *tier, door_detail *d);
door_err door__sq_stats_list(door_store *st, const char *event_id,
                             door_store_stat **out, size_t *n, door_detail *d);

/* sq_login.c: the login commit, the batch of transmission records
 * and the read-only state check. */
door_err door__sq_login_commit(door_store *st, const door_store_login *in,
                               door_store_login_result *out, door_detail *d);
door_err door__sq_state_used(door_store *st, const char *key, int *used,
                             door_detail *d);
door_err door__sq_transmissions_append(door_store *st,
                                       const door_store_transmission_new *t,
                                       size_t n, door_detail *d);

#endif
