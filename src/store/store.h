/* The store (internal): accounts, identities, sessions and the records the
 * broker keeps, behind one interface with one backend per database.
 *
 * A store is opened from a URL whose scheme picks the backend:
 *   sqlite:PATH          an SQLite file (created when missing, mode 0600);
 *   sqlite::memory:      a private in-memory database (tests);
 *   postgres://...       a PostgreSQL database (postgresql://... too), in
 *                        libpq's URL form; see pg.c for the defaults it adds.
 * Any other scheme is DOOR_ECONFIG_VALUE.  The store never reaches oidc or
 * the providers: it keeps what the broker hands it.
 *
 * Schema.  Migrations run when the store is opened: the schema_version table
 * lists the versions applied; each migration is one SQL script applied in
 * its own transaction.  A database whose version is newer than this program
 * knows is refused (DOOR_ESTORE_SCHEMA_NEWER): doorauth never downgrades.  A
 * database that is not empty and not doorauth's is refused
 * (DOOR_ESTORE_SCHEMA).  Tables (all times are integer Unix seconds):
 *   accounts         id, created_at
 *   identities       account_id, provider, issuer, subject, linked_at,
 *                    last_login_at, kept_claims; UNIQUE(issuer, subject)
 *   sessions         id_hash, account_id, created_at, last_seen_at,
 *                    idle_expires_at, absolute_expires_at, csrf_secret,
 *                    provider, issuer, provider_sid, provider_sub
 *   provider_tokens  account_id, provider, access_token, refresh_token,
 *                    expires_at, scope, updated_at
 *   audit            id, at, account_id, kind, provider, issuer, detail
 *   used_states      key, expires_at
 *   jti_admissions   event_id, jti, expires_at, admitted_at
 *   signing_keys     kid, alg, private_pem, created_at, not_before,
 *                    retire_at, retired
 *   transmissions    id, at, provider, endpoint, fields, purpose,
 *                    account_id, outcome
 *   event_stats      event_id, hour, tier, count (anonymous counts)
 * Rows that belong to an account (identities, sessions, provider tokens,
 * transmissions) go with it when it is deleted.
 *
 * Identifiers.  An account id is text: 32 lowercase hex digits from 128
 * random bits (OpenSSL's CSPRNG), made by the store.  Random text rather
 * than a counter, because the id leaves the store (ticket subjects, admin
 * commands, logs): it reveals neither how many accounts exist nor which
 * came first, and it is the same in every backend.  Audit and transmission
 * ids are integers that grow with each row.
 *
 * Sessions.  The store never sees a session id, only the SHA-256 of it
 * (door__store_session_hash): a copy of the database does not let anyone
 * use a session.
 *
 * Durability (SQLite).  Connections run with synchronous=NORMAL in WAL mode
 * and switch to synchronous=FULL for the transactions whose loss after a
 * power failure would matter: accounts and identities (login_identity,
 * link, unlink, delete), one-time guards (used states, jti admissions),
 * session deletion (a logout must not come back), audit, provider tokens,
 * signing keys and single transmission records; the login commit runs with
 * FULL (one fsync per login).  Session creation and refresh, the purges
 * and batches of transmission records run with NORMAL: losing them means
 * signing in again or purging again, and a batch is made durable by the
 * next login's commit.  Per transaction rather than per connection, because a
 * session is refreshed on every request and an fsync per request buys nothing;
 * a FULL commit also makes every earlier commit durable (the WAL is synced up
 * to it).  A process crash (SIGKILL) loses no committed transaction in either
 * mode.
 *
 * Threads.  One door_store is shared by all the threads of a program.  The
 * SQLite backend keeps a small pool of connections behind a mutex (not one
 * connection per thread: a thread pool's threads come and go, and a pool
 * bounds the open files whatever the thread count); each connection keeps
 * its prepared statements.  A call takes a connection, waits for one while
 * all are busy (up to busy_timeout_ms, then DOOR_ESTORE_BUSY), and gives it
 * back before returning.  Writes all go through one more connection, the
 * writer, taken under a mutex (SQLite admits one writer at a time anyway:
 * waiting threads are woken at once instead of polling in SQLite's busy
 * handler, and the writer's page cache stays warm).
 * sqlite::memory: has exactly one connection.
 * door__store_open and door__store_close must not race with other calls.
 * A store does not survive fork(): a child process opens its own.
 *
 * Concurrency.  Every read-then-write runs in one write transaction taken
 * up front (BEGIN IMMEDIATE), retried when SQLite reports the database busy:
 * concurrent first logins of one subject, from threads or processes, make
 * exactly one account.
 *
 * PostgreSQL (several brokers sharing one database).  The same tables and
 * the same outcomes as SQLite.  Each process keeps a pool of connections
 * with prepared statements; transactions run in READ COMMITTED with
 * INSERT ... ON CONFLICT and row locks, and run again after a
 * serialization failure, a deadlock or a concurrent insert of the same
 * key, so first logins racing across processes still make one account.
 * Migrations take an advisory lock, so brokers starting together apply
 * each once.  The commits SQLite makes with synchronous=NORMAL run with
 * synchronous_commit off.  When the server cannot be reached a call fails
 * at once with DOOR_ESTORE_UNAVAILABLE (a connection attempt waits at most
 * the URL's connect_timeout); the pool replaces broken connections and
 * works again when the server is back, without a restart.
 *
 * Errors common to every call: DOOR_EINVAL (a NULL or empty required
 * argument, a bad enum), DOOR_ETOOBIG (a value over its cap below),
 * DOOR_ESTORE_BUSY (locked past the busy timeout), DOOR_ESTORE_CORRUPT,
 * DOOR_EIO (disk full, read-only, I/O error), DOOR_ENOMEM,
 * DOOR_ESTORE_UNAVAILABLE (PostgreSQL: the server cannot be reached),
 * DOOR_EUTF8 (PostgreSQL: text that is not UTF-8), DOOR_ESTORE (anything
 * else the database reports).  Each function lists its own.
 *
 * Secrets: tokens, private keys, CSRF secrets and session hashes are never
 * logged nor put in a door_detail.  Logging: open, migrations (info),
 * failures (the door_detail, at warn).
 *
 * Ownership: result structs own their strings; free them with the matching
 * _clear / _free function (which also wipes secrets).  Input strings are
 * copied by the database.
 */
#ifndef DOOR_STORE_STORE_H
#define DOOR_STORE_STORE_H

#include "doorauth/error.h"
#include "util/log.h"

#include <stddef.h>
#include <stdint.h>

/* Caps on inputs (bytes, without the NUL). */
#define DOOR_STORE_ID_LEN 32        /* account ids: exactly this */
#define DOOR_STORE_HASH_LEN 32      /* session id hash: SHA-256 */
#define DOOR_STORE_PROVIDER_MAX 64  /* provider (configuration) name */
#define DOOR_STORE_ISSUER_MAX 1024  /* issuer URL */
#define DOOR_STORE_SUBJECT_MAX 255  /* OIDC sub (Core 2: 255 ASCII) */
#define DOOR_STORE_SID_MAX 255      /* provider session id */
#define DOOR_STORE_CLAIMS_MAX 16384 /* kept_claims JSON object */
#define DOOR_STORE_CSRF_MAX 64      /* csrf secret or hash */
#define DOOR_STORE_KEY_MAX 255      /* used_states key, event id, jti, kid */
#define DOOR_STORE_TEXT_MAX 4096    /* audit detail, endpoint, purpose... */
#define DOOR_STORE_BLOB_MAX 65536   /* tokens, private keys */
#define DOOR_STORE_LIST_MAX 1000    /* rows one list call returns */
#define DOOR_STORE_BUSY_TIMEOUT_MS 5000L
#define DOOR_STORE_MAX_CONNECTIONS 4
#define DOOR_STORE_TX_BATCH_MAX 64 /* records one append or commit takes */
#define DOOR_STORE_TIER_MAX 64     /* participation tier */
#define DOOR_STORE_STATS_MAX 20000 /* event_stats rows one list returns */

typedef struct door_store door_store;

typedef struct door_store_options {
  const door_log *log;    /* NULL: no logging; must outlive the store */
  long busy_timeout_ms;   /* 0: DOOR_STORE_BUSY_TIMEOUT_MS */
  size_t max_connections; /* 0: DOOR_STORE_MAX_CONNECTIONS */
} door_store_options;

/* Zeroes `o` (every field takes its default). */
void door__store_options_init(door_store_options *o);

/* Opens the store named by `url` (see above), creating the file and
 * applying migrations as needed.  `o` may be NULL (defaults).
 *   DOOR_ECONFIG_VALUE        unknown scheme or empty path;
 *   DOOR_ECONFIG_VALUE        also: a malformed PostgreSQL URL;
 *   DOOR_EUNSUPPORTED         an SQLite or libpq library built without
 *                             thread support, a server older than 10;
 *   DOOR_ESTORE_UNAVAILABLE   PostgreSQL: no connection (server down,
 *                             wrong host, user, password or database);
 *   DOOR_ESTORE_SCHEMA_NEWER  the database was written by a newer doorauth;
 *   DOOR_ESTORE_SCHEMA        not a doorauth database, or a migration
 *                             failed (that migration was rolled back);
 *   DOOR_ESTORE_CORRUPT       the file is not an SQLite database;
 *   DOOR_ESTORE_BUSY          another process kept the file locked;
 *   DOOR_EIO                  the file cannot be created or opened. */
door_err door__store_open(const char *url, const door_store_options *o,
                          door_store **out, door_detail *d);
/* Closes every connection.  No call may be in flight.  NULL is allowed. */
void door__store_close(door_store *st);

/* "sqlite" or "postgres". */
const char *door__store_backend(const door_store *st);
/* Schema version of the open database, and the newest this program knows
 * (equal after a successful open). */
door_err door__store_schema_version(door_store *st, int *current, int *latest,
                                    door_detail *d);

/* SHA-256 of a session id, the only form in which the store sees it. */
door_err door__store_session_hash(const void *session_id, size_t len,
                                  uint8_t out[DOOR_STORE_HASH_LEN]);

/* ---- accounts and identities ---- */

typedef struct door_store_identity {
  char *provider, *issuer, *subject;
  char *kept_claims; /* JSON object text, NULL when none kept */
  int64_t linked_at, last_login_at;
} door_store_identity;

typedef struct door_store_account {
  char id[DOOR_STORE_ID_LEN + 1];
  int64_t created_at;
  door_store_identity *identities; /* oldest link first */
  size_t n_identities;
} door_store_account;

void door__store_account_clear(door_store_account *a);
void door__store_accounts_free(door_store_account *a, size_t n);

/* The login mapping, in one transaction: when (issuer, subject) is linked,
 * sets its last_login_at and kept_claims and returns its account (*created
 * = 0); otherwise creates an account, links the identity and appends an
 * account_create audit row (*created = 1).  kept_claims_json: a JSON object
 * of only the claims the configuration names, or NULL to keep none (it
 * replaces what was kept before).  account_id receives DOOR_STORE_ID_LEN
 * characters and a NUL.  Concurrent calls for one subject, from any number
 * of threads, connections or processes, create exactly one account.
 *   DOOR_EJSON_TYPE  kept_claims_json is not a JSON object (or DOOR_EJSON,
 *                    DOOR_EUTF8, ... from the strict parser);
 *   DOOR_ERANDOM     no random bytes for the id. */
door_err door__store_login_identity(door_store *st, const char *issuer,
                                    const char *subject, const char *provider,
                                    const char *kept_claims_json, int64_t now,
                                    char account_id[DOOR_STORE_ID_LEN + 1],
                                    int *created, door_detail *d);

/* Links (issuer, subject) to an existing account and appends a link audit
 * row.  Linking it to the account it already belongs to changes nothing
 * (*linked = 0, DOOR_OK); a new link gives *linked = 1.  `linked` may be
 * NULL.
 *   DOOR_ENOTFOUND              no such account;
 *   DOOR_ESTORE_IDENTITY_TAKEN  the identity belongs to another account:
 *                               it is never moved silently. */
door_err door__store_link_identity(door_store *st, const char *account_id,
                                   const char *issuer, const char *subject,
                                   const char *provider,
                                   const char *kept_claims_json, int64_t now,
                                   int *linked, door_detail *d);

/* Unlinks one identity of an account, named either by provider (issuer and
 * subject NULL) or by issuer and subject (provider NULL), and appends an
 * unlink audit row, in one transaction.  When no identity of that provider
 * is left on the account, its provider tokens are deleted too.
 *   DOOR_ENOTFOUND            no such account, or no such identity on it;
 *   DOOR_ESTORE_LAST_IDENTITY it is the account's only identity (delete the
 *                             account instead);
 *   DOOR_ESTORE_AMBIGUOUS     by provider, and the account has several
 *                             identities of that provider. */
door_err door__store_unlink_identity(door_store *st, const char *account_id,
                                     const char *provider, const char *issuer,
                                     const char *subject, int64_t now,
                                     door_detail *d);

/* Which account (issuer, subject) is linked to.  DOOR_ENOTFOUND: none. */
door_err door__store_identity_find(door_store *st, const char *issuer,
                                   const char *subject,
                                   char account_id[DOOR_STORE_ID_LEN + 1],
                                   door_detail *d);

/* One account with its identities.  `out` is overwritten (clear it after).
 * DOOR_ENOTFOUND: no such account. */
door_err door__store_account_get(door_store *st, const char *account_id,
                                 door_store_account *out, door_detail *d);

/* Accounts in id order, starting after `after_id` (NULL or "": from the
 * first), at most `limit` (1..DOOR_STORE_LIST_MAX), each with its
 * identities.  *out is NULL when *n is 0; free with
 * door__store_accounts_free. */
door_err door__store_accounts_list(door_store *st, const char *after_id,
                                   size_t limit, door_store_account **out,
                                   size_t *n, door_detail *d);

typedef struct door_store_delete_counts {
  uint64_t identities, sessions, provider_tokens, transmissions;
  uint64_t audit_anonymised; /* the account's audit rows */
} door_store_delete_counts;

/* Deletes an account and, in the same transaction, its identities,
 * sessions, provider tokens and transmission records.  Its audit rows are
 * kept but anonymised (account_id and detail set to NULL: what happened and
 * when stays, whom it happened to does not), and one account_delete audit
 * row without an account id records the counts as its detail, e.g.
 * {"identities":2,"sessions":1,"provider_tokens":1,"transmissions":3,
 *  "audit_anonymised":7}.  `counts` may be NULL.
 *   DOOR_ENOTFOUND  no such account. */
door_err door__store_account_delete(door_store *st, const char *account_id,
                                    int64_t now,
                                    door_store_delete_counts *counts,
                                    door_detail *d);

typedef struct door_store_counts {
  uint64_t accounts, identities;
  uint64_t sessions; /* live at `now` */
  uint64_t provider_tokens, audit, used_states, jti_admissions;
  uint64_t signing_keys, transmissions;
} door_store_counts;

door_err door__store_counts(door_store *st, int64_t now, door_store_counts *out,
                            door_detail *d);

/* ---- sessions ---- */

typedef struct door_store_session_new {
  const uint8_t *id_hash; /* DOOR_STORE_HASH_LEN bytes */
  const char *account_id;
  const uint8_t *csrf; /* csrf secret or hash, as the caller chooses */
  size_t csrf_len;     /* 0..DOOR_STORE_CSRF_MAX */
  int64_t now;
  int64_t idle_expires_at;     /* lowered to absolute_expires_at */
  int64_t absolute_expires_at; /* > now */
  /* The login this session came from, for back-channel logout (each may be
   * NULL). */
  const char *provider, *issuer, *provider_sid, *provider_sub;
} door_store_session_new;

typedef struct door_store_session {
  uint8_t id_hash[DOOR_STORE_HASH_LEN];
  char account_id[DOOR_STORE_ID_LEN + 1];
  int64_t created_at, last_seen_at, idle_expires_at, absolute_expires_at;
  uint8_t csrf[DOOR_STORE_CSRF_MAX];
  size_t csrf_len;
  char *provider, *issuer, *provider_sid, *provider_sub; /* NULL if none */
} door_store_session;

/* Wipes the csrf secret and frees the strings. */
void door__store_session_clear(door_store_session *s);

/*   DOOR_ENOTFOUND  no such account;
 *   DOOR_EEXISTS    a session with this id hash exists. */
door_err door__store_session_create(door_store *st,
                                    const door_store_session_new *s,
                                    door_detail *d);

/* Looks a live session up and refreshes it: last_seen_at = now and, when
 * idle_seconds > 0, idle_expires_at = min(now + idle_seconds,
 * absolute_expires_at).  `out` is overwritten (clear it after).
 *   DOOR_ENOTFOUND       no such session;
 *   DOOR_ESTORE_EXPIRED  it expired (idle or absolute): it is deleted. */
door_err door__store_session_get(door_store *st,
                                 const uint8_t id_hash[DOOR_STORE_HASH_LEN],
                                 int64_t now, int64_t idle_seconds,
                                 door_store_session *out, door_detail *d);

/* DOOR_ENOTFOUND: no such session. */
door_err door__store_session_delete(door_store *st,
                                    const uint8_t id_hash[DOOR_STORE_HASH_LEN],
                                    door_detail *d);

/* Back-channel logout: deletes the sessions of (issuer, sid) or of
 * (issuer, sub); *n says how many (0 is not an error).  `n` may be NULL. */
door_err door__store_sessions_delete_by_sid(door_store *st, const char *issuer,
                                            const char *sid, uint64_t *n,
                                            door_detail *d);
door_err door__store_sessions_delete_by_sub(door_store *st, const char *issuer,
                                            const char *sub, uint64_t *n,
                                            door_detail *d);
/* Every session of an account (sign out everywhere). */
door_err door__store_sessions_delete_account(door_store *st,
                                             const char *account_id,
                                             uint64_t *n, door_detail *d);
/* Deletes sessions expired at `now`. */
door_err door__store_sessions_purge(door_store *st, int64_t now, uint64_t *n,
                                    door_detail *d);

/* ---- audit ---- */

typedef enum door_store_audit_kind {
  DOOR_AUDIT_LOGIN = 0,
  DOOR_AUDIT_LINK = 1,
  DOOR_AUDIT_UNLINK = 2,
  DOOR_AUDIT_LOGOUT = 3,
  DOOR_AUDIT_ACCOUNT_CREATE = 4,
  DOOR_AUDIT_ACCOUNT_DELETE = 5,
  DOOR_AUDIT_KIND_COUNT_
} door_store_audit_kind;

/* "login", "link", "unlink", "logout", "account_create", "account_delete";
 * NULL for a value out of range. */
const char *door__store_audit_kind_name(door_store_audit_kind k);

typedef struct door_store_audit {
  int64_t id, at;
  door_store_audit_kind kind; /* DOOR_AUDIT_KIND_COUNT_: a kind written by
                                 a newer doorauth */
  char *account_id;           /* NULL: none, or anonymised */
  char *provider, *issuer, *detail;
} door_store_audit;

void door__store_audits_free(door_store_audit *a, size_t n);

/* Appends one audit row.  The store itself appends account_create, link,
 * unlink and account_delete rows inside those operations; the caller
 * appends login and logout.  `detail` is free text for people (never a
 * secret); account_id, provider, issuer, detail may be NULL.  `id` may be
 * NULL.  DOOR_ENOTFOUND: account_id names no account. */
door_err door__store_audit_append(door_store *st, int64_t at,
                                  const char *account_id,
                                  door_store_audit_kind kind,
                                  const char *provider, const char *issuer,
                                  const char *detail, int64_t *id,
                                  door_detail *d);

/* The newest `limit` (1..DOOR_STORE_LIST_MAX) rows of an account, newest
 * first; account_id NULL lists every row. */
door_err door__store_audit_list(door_store *st, const char *account_id,
                                size_t limit, door_store_audit **out, size_t *n,
                                door_detail *d);

/* ---- one-time guards ---- */

/* Marks a pending login's key used.  expires_at must be no earlier than the
 * moment the guarded login stops being acceptable anyway: until it is
 * purged the key is refused whatever its expiry.
 *   DOOR_ESTORE_DUPLICATE  the key was consumed before (a replay). */
door_err door__store_state_consume(door_store *st, const char *key,
                                   int64_t expires_at, door_detail *d);
/* Deletes keys expired at `now`. */
door_err door__store_states_purge(door_store *st, int64_t now, uint64_t *n,
                                  door_detail *d);

/* Admits a participation token once per event, across gates.
 *   DOOR_ESTORE_DUPLICATE  already admitted; *first_admitted_at (may be
 *                          NULL) says when. */
door_err door__store_jti_admit(door_store *st, const char *event_id,
                               const char *jti, int64_t expires_at, int64_t now,
                               int64_t *first_admitted_at, door_detail *d);
door_err door__store_jti_purge(door_store *st, int64_t now, uint64_t *n,
                               door_detail *d);

/* ---- signing keys ---- */

typedef struct door_store_signing_key_new {
  const char *kid, *alg;
  const uint8_t *private_pem; /* PEM or a sealed blob: stored as given */
  size_t private_pem_len;
  int64_t created_at, not_before;
  int64_t retire_at; /* 0: not planned */
} door_store_signing_key_new;

typedef struct door_store_signing_key {
  char *kid, *alg;
  uint8_t *private_pem;
  size_t private_pem_len;
  int64_t created_at, not_before, retire_at;
  int retired;
} door_store_signing_key;

/* Wipes the private keys and frees. */
void door__store_signing_keys_free(door_store_signing_key *k, size_t n);

/* DOOR_EEXISTS: a key with this kid exists. */
door_err door__store_signing_key_put(door_store *st,
                                     const door_store_signing_key_new *k,
                                     door_detail *d);
/* Every key, retired ones included, oldest first. */
door_err door__store_signing_keys_list(door_store *st,
                                       door_store_signing_key **out, size_t *n,
                                       door_detail *d);
/* Marks a key retired (retire_at = now unless an earlier time was planned).
 * Retiring a retired key is DOOR_OK.  DOOR_ENOTFOUND: no such kid. */
door_err door__store_signing_key_retire(door_store *st, const char *kid,
                                        int64_t now, door_detail *d);

/* How door__store_signing_key_add treats the keys already there; "the
 * others" are the keys of the new key's alg, other algs are left alone. */
typedef enum door_store_key_mode {
  /* First start: insert only when no key of this alg signs at `now` (not
   * retired, not_before <= now, retire_at unplanned or later than now);
   * *added = 0 when one does (another process won: read the keys again). */
  DOOR_STORE_KEY_IF_NONE_SIGNS = 0,
  /* Rotation: every other key not retired whose retire_at is unplanned
   * gets retire_at = `retire_others_at`, then the key is inserted. */
  DOOR_STORE_KEY_ROTATE = 1,
  /* Compromise: every other key is retired at `now` (retired = 1), then
   * the key is inserted. */
  DOOR_STORE_KEY_WITHDRAW = 2,
  /* A row with this kid, or nothing: *added = 0 when the kid exists (the
   * broker's pairwise key, imports from a state directory). */
  DOOR_STORE_KEY_IF_ABSENT = 3
} door_store_key_mode;

/* Adds a key and changes the others, in one transaction that is
 * serialised against every other door__store_signing_key_add on the
 * database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped
 * advisory lock), so that brokers starting together make one first key and
 * two rotations do not interleave.  `added` may be NULL.
 *   DOOR_EEXISTS  (not IF_ABSENT) a key with this kid exists. */
door_err door__store_signing_key_add(door_store *st,
                                     const door_store_signing_key_new *k,
                                     door_store_key_mode mode, int64_t now,
                                     int64_t retire_others_at, int *added,
                                     door_detail *d);

/* ---- transmission records ---- */

typedef struct door_store_transmission_new {
  int64_t at;
  const char *provider, *endpoint;
  const char *fields_json; /* JSON array of field names, no values */
  const char *purpose;
  const char *account_id; /* may be NULL */
  const char *outcome;
  int http_status; /* 0: none (a browser redirect, or no answer) */
} door_store_transmission_new;

typedef struct door_store_transmission {
  int64_t id, at;
  char *provider, *endpoint, *fields_json, *purpose, *account_id, *outcome;
  int http_status; /* 0: none */
} door_store_transmission;

void door__store_transmissions_free(door_store_transmission *t, size_t n);

/*   DOOR_EJSON_TYPE  fields_json is not an array of strings;
 *   DOOR_ENOTFOUND   account_id names no account. */
door_err door__store_transmission_append(door_store *st,
                                         const door_store_transmission_new *t,
                                         int64_t *id, door_detail *d);
/* Deletes records with at < before (now minus the retention). */
door_err door__store_transmissions_purge(door_store *st, int64_t before,
                                         uint64_t *n, door_detail *d);
/* Newest first; account_id NULL lists every record. */
door_err door__store_transmissions_list(door_store *st, const char *account_id,
                                        size_t limit,
                                        door_store_transmission **out,
                                        size_t *n, door_detail *d);

/* Appends `n` records (1..DOOR_STORE_TX_BATCH_MAX) in one transaction:
 * all or none.  Checks as door__store_transmission_append.  `http_status`
 * of each may be 0 (none).  Committed without waiting for the disk
 * (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit off): the
 * broker's next durable commit (every login's) makes them durable too; a
 * power failure may lose the records written since. */
door_err door__store_transmissions_append(door_store *st,
                                          const door_store_transmission_new *t,
                                          size_t n, door_detail *d);

/* ---- provider tokens ---- */

typedef struct door_store_tokens_new {
  const char *account_id, *provider;
  const uint8_t *access_token; /* stored as given (may be sealed) */
  size_t access_len;           /* 0: none */
  const uint8_t *refresh_token;
  size_t refresh_len; /* 0: none */
  int64_t expires_at; /* 0: unknown */
  const char *scope;  /* may be NULL */
  int64_t now;
} door_store_tokens_new;

typedef struct door_store_tokens {
  uint8_t *access_token; /* NULL when none */
  size_t access_len;
  uint8_t *refresh_token;
  size_t refresh_len;
  int64_t expires_at, updated_at;
  char *scope;
} door_store_tokens;

/* Wipes the tokens and frees. */
void door__store_tokens_clear(door_store_tokens *t);

/* Puts (replaces) the tokens of (account, provider).
 * DOOR_ENOTFOUND: no such account. */
door_err door__store_tokens_put(door_store *st, const door_store_tokens_new *t,
                                door_detail *d);
/* DOOR_ENOTFOUND: none stored.  `out` is overwritten (clear it after). */
door_err door__store_tokens_get(door_store *st, const char *account_id,
                                const char *provider, door_store_tokens *out,
                                door_detail *d);
/* DOOR_ENOTFOUND: none stored. */
door_err door__store_tokens_delete(door_store *st, const char *account_id,
                                   const char *provider, door_detail *d);

/* ---- anonymous statistics ----
 * event_stats holds counts only: (event, hour, tier) -> how many
 * participation tokens the broker issued.  No account id, subject, jti or
 * time finer than the hour is stored, so a row says nothing about anyone;
 * suppression of small counts happens where they are shown (the broker,
 * docs/privacy.md "Statistics"). */

typedef struct door_store_stat {
  int64_t hour; /* Unix time of the hour's start (UTC) */
  char *tier;
  uint64_t count;
} door_store_stat;

void door__store_stats_free(door_store_stat *s, size_t n);

/* Adds one to the count of (event_id, the hour of `at`, tier). */
door_err door__store_stats_add(door_store *st, const char *event_id, int64_t at,
                               const char *tier, door_detail *d);
/* Every row of the event, by hour then tier; *out is NULL when *n is 0.
 *   DOOR_ETOOBIG  more than DOOR_STORE_STATS_MAX rows. */
door_err door__store_stats_list(door_store *st, const char *event_id,
                                door_store_stat **out, size_t *n,
                                door_detail *d);

/* ---- the login commit ----
 *
 * Everything a finished login writes, in ONE write transaction (one fsync
 * on SQLite, one WAL flush on PostgreSQL), all or nothing:
 *   1. the one-time use of the login's state (used_states): a key consumed
 *      before refuses the whole commit with DOOR_ESTORE_DUPLICATE (a
 *      replayed callback), nothing else is written;
 *   2. the mapping: SIGNIN as door__store_login_identity (a known
 *      identity's account, or a new account with its account_create audit
 *      row; concurrent first logins of one subject make one account), LINK
 *      as door__store_link_identity (DOOR_ENOTFOUND, or
 *      DOOR_ESTORE_IDENTITY_TAKEN: never moved; a new link appends its
 *      link audit row);
 *   3. the session this browser had (old_session_hash, may be NULL) is
 *      deleted, whatever account it belonged to;
 *   4. the new session (`session`, its account_id is the mapped account;
 *      DOOR_EEXISTS when the id hash exists);
 *   5. SIGNIN: one login audit row, detail "new account" or "sign-in";
 *   6. provider tokens: when `tokens` is set it is called inside the
 *      transaction with the mapped account id (it may run more than once:
 *      each call replaces what the previous one filled in) and fills
 *      *t (account_id, provider and now are set by the store); it may set
 *      access_len to 0 to keep nothing; its error aborts the commit;
 *   7. the login's transmission records with the mapped account id (their
 *      own account_id is ignored).
 * FAILED writes only 1 (a key consumed before is not an error here) and 7
 * (without account id): the record of a login that did not complete,
 * which must still use its state up.  SQLite: synchronous=FULL (the
 * identity writes must survive a power failure).
 *   DOOR_ESTORE_DUPLICATE       the state was consumed before;
 *   DOOR_ENOTFOUND              LINK: no such account;
 *   DOOR_ESTORE_IDENTITY_TAKEN  LINK: the identity belongs to another
 *                               account;
 *   DOOR_EEXISTS                a session with this id hash exists;
 *   DOOR_EJSON_TYPE, DOOR_ERANDOM  as door__store_login_identity. */
typedef enum door_store_login_mode {
  DOOR_STORE_LOGIN_SIGNIN = 0,
  DOOR_STORE_LOGIN_LINK = 1,
  DOOR_STORE_LOGIN_FAILED = 2,
} door_store_login_mode;

typedef struct door_store_login {
  door_store_login_mode mode;
  int64_t now;
  const char *state_key;    /* may be NULL: no one-time use to record */
  int64_t state_expires_at; /* as door__store_state_consume */
  /* SIGNIN and LINK: */
  const char *issuer, *subject, *provider;
  const char *kept_claims_json;    /* may be NULL */
  const char *link_account;        /* LINK: the account to link to */
  const uint8_t *old_session_hash; /* may be NULL */
  door_store_session_new session;  /* account_id: ignored */
  door_err (*tokens)(void *ud, const char *account_id,
                     door_store_tokens_new *t);
  void *tokens_ud;
  /* Every mode: */
  const door_store_transmission_new *tx; /* n_tx records, may be 0 */
  size_t n_tx;
} door_store_login;

typedef struct door_store_login_result {
  char account_id[DOOR_STORE_ID_LEN + 1]; /* "" for FAILED or an error */
  int created;                            /* SIGNIN: a new account */
  int linked; /* LINK: a new link (0: it was linked to this account) */
} door_store_login_result;

door_err door__store_login_commit(door_store *st, const door_store_login *in,
                                  door_store_login_result *out, door_detail *d);

/* Whether a state key was consumed (read only; the login commit is what
 * consumes it).  *used = 1 when it was. */
door_err door__store_state_used(door_store *st, const char *key, int *used,
                                door_detail *d);

#endif
