/* The SQLite backend: URL, connection pool, statement cache, transactions,
 * error mapping, and the ops table. */
#include "store/sqlite_int.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char Q_ROLLBACK[] = "ROLLBACK";
static const char Q_SYNC_FULL[] = "PRAGMA synchronous=FULL";
static const char Q_SYNC_NORMAL[] = "PRAGMA synchronous=NORMAL";

/* ---- errors ---- */

door_err door__sq_db_err(sqlite3 *db, int rc, const char *where,
                         const door_log *log, door_detail *d) {
  door_detail local;
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const char *hint = NULL;
  door_err e;
  switch (rc & 0xff) {
  case SQLITE_CONSTRAINT:
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
      e = DOOR_EEXISTS;
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      e = DOOR_ENOTFOUND;
    else
      e = DOOR_EINVAL;
    return door_detail_set(d, e, where, msg, NULL);
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    e = DOOR_ESTORE_BUSY;
    hint = "another connection held the database too long; raise the busy "
           "timeout or look for a stuck process";
    break;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    e = DOOR_ESTORE_CORRUPT;
    hint = "check the path; restore the database from a backup";
    break;
  case SQLITE_NOMEM:
    e = DOOR_ENOMEM;
    break;
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
  case SQLITE_PERM:
    e = DOOR_EIO;
    hint = "check the disk space and the permissions of the database file, "
           "its directory and its -wal and -shm files";
    break;
  default:
    e = DOOR_ESTORE;
    break;
  }
  door_detail_set(&local, e, where, msg, hint);
  door__log_detail(log, DOOR_LOG_WARN, "store.error", &local);
  if (d)
    *d = local;
  return e;
}

door_err door__sq_err(door__sq_conn *c, int rc, door_detail *d) {
  return door__sq_db_err(c->db, rc, c->owner->path, c->owner->base.log, d);
}

/* ---- statements ---- */

static door_err prepare(door__sq_conn *c, const char *sql, sqlite3_stmt **out,
                        door_detail *d) {
  sqlite3_stmt *st = NULL;
  size_t i;
  int rc;
  for (i = 0; i < c->n_stmts; i++) {
    if (c->stmts[i].sql == sql) {
      *out = c->stmts[i].st;
      return DOOR_OK;
    }
  }
  if (c->n_stmts == DOOR__SQ_STMT_MAX)
    return door_detail_set(d, DOOR_EINTERNAL, "store", "statement cache full",
                           "raise DOOR__SQ_STMT_MAX");
  rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return door__sq_err(c, rc, d);
  }
  c->stmts[c->n_stmts].sql = sql;
  c->stmts[c->n_stmts].st = st;
  c->n_stmts++;
  *out = st;
  return DOOR_OK;
}

static door_err bindv(door__sq_conn *c, sqlite3_stmt *st, const char *fmt,
                      va_list ap, door_detail *d) {
  int i = 1, rc = SQLITE_OK;
  for (; *fmt && rc == SQLITE_OK; fmt++, i++) {
    switch (*fmt) {
    case 't': {
      const char *s = va_arg(ap, const char *);
      rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
             : sqlite3_bind_null(st, i);
      break;
    }
    case 'i':
      rc = sqlite3_bind_int64(st, i, (sqlite3_int64)va_arg(ap, int64_t));
      break;
    case 'z': {
      int64_t v = va_arg(ap, int64_t);
      rc = v ? sqlite3_bind_int64(st, i, (sqlite3_int64)v)
             : sqlite3_bind_null(st, i);
      break;
    }
    case 'b': {
      const void *p = va_arg(ap, const void *);
      size_t n = va_arg(ap, size_t);
      rc = p && n
               ? sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)n, SQLITE_STATIC)
               : sqlite3_bind_null(st, i);
      break;
    }
    default:
      return door_detail_set(d, DOOR_EINTERNAL, "store", "bad bind format",
                             NULL);
    }
  }
  if (rc != SQLITE_OK)
    return door__sq_err(c, rc, d);
  if (sqlite3_bind_parameter_count(st) != i - 1)
    return door_detail_set(d, DOOR_EINTERNAL, "store",
                           "bind format does not match the statement", NULL);
  return DOOR_OK;
}

static door_err qv(door__sq_conn *c, const char *sql, sqlite3_stmt **out,
                   door_detail *d, const char *fmt, va_list ap) {
  door_err err;
  *out = NULL;
  err = prepare(c, sql, out, d);
  if (err)
    return err;
  err = bindv(c, *out, fmt, ap, d);
  if (err) {
    door__sq_end(*out);
    *out = NULL;
  }
  return err;
}

door_err door__sq_q(door__sq_conn *c, const char *sql, sqlite3_stmt **out,
                    door_detail *d, const char *fmt, ...) {
  va_list ap;
  door_err err;
  va_start(ap, fmt);
  err = qv(c, sql, out, d, fmt, ap);
  va_end(ap);
  return err;
}

door_err door__sq_step(door__sq_conn *c, sqlite3_stmt *st, int *row,
                       door_detail *d) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *row = 1;
    return DOOR_OK;
  }
  *row = 0;
  if (rc == SQLITE_DONE)
    return DOOR_OK;
  return door__sq_err(c, rc, d);
}

void door__sq_end(sqlite3_stmt *st) {
  if (!st)
    return;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

static uint64_t changes_of(sqlite3 *db) {
#if SQLITE_VERSION_NUMBER >= 3037000
  return (uint64_t)sqlite3_changes64(db);
#else
  return (uint64_t)sqlite3_changes(db);
#endif
}

static door_err runv(door__sq_conn *c, const char *sql, uint64_t *changes,
                     door_detail *d, const char *fmt, va_list ap) {
  sqlite3_stmt *st;
  door_err err;
  int row = 1;
  err = qv(c, sql, &st, d, fmt, ap);
  while (!err && row)
    err = door__sq_step(c, st, &row, d);
  if (!err && changes)
    *changes = changes_of(c->db);
  door__sq_end(st);
  return err;
}

door_err door__sq_run(door__sq_conn *c, const char *sql, uint64_t *changes,
                      door_detail *d, const char *fmt, ...) {
  va_list ap;
  door_err err;
  va_start(ap, fmt);
  err = runv(c, sql, changes, d, fmt, ap);
  va_end(ap);
  return err;
}

door_err door__sq_int(door__sq_conn *c, const char *sql, int64_t *v,
                      door_detail *d, const char *fmt, ...) {
  sqlite3_stmt *st;
  va_list ap;
  door_err err;
  int row = 0;
  va_start(ap, fmt);
  err = qv(c, sql, &st, d, fmt, ap);
  va_end(ap);
  if (!err)
    err = door__sq_step(c, st, &row, d);
  if (!err && !row)
    err = DOOR_ENOTFOUND;
  if (!err)
    *v = (int64_t)sqlite3_column_int64(st, 0);
  door__sq_end(st);
  return err;
}

door_err door__sq_col_str(sqlite3_stmt *st, int i, char **out) {
  const unsigned char *s = sqlite3_column_text(st, i);
  size_t n;
  *out = NULL;
  if (!s)
    return sqlite3_column_type(st, i) == SQLITE_NULL ? DOOR_OK : DOOR_ENOMEM;
  n = (size_t)sqlite3_column_bytes(st, i);
  *out = malloc(n + 1);
  if (!*out)
    return DOOR_ENOMEM;
  memcpy(*out, s, n);
  (*out)[n] = '\0';
  return DOOR_OK;
}

door_err door__sq_col_blob(sqlite3_stmt *st, int i, uint8_t **out,
                           size_t *len) {
  const void *p = sqlite3_column_blob(st, i);
  size_t n = (size_t)sqlite3_column_bytes(st, i);
  *out = NULL;
  *len = 0;
  if (!p)
    return sqlite3_column_type(st, i) == SQLITE_NULL || n == 0 ? DOOR_OK
                                                               : DOOR_ENOMEM;
  *out = malloc(n ? n : 1);
  if (!*out)
    return DOOR_ENOMEM;
  memcpy(*out, p, n);
  *len = n;
  return DOOR_OK;
}

/* ---- connections ---- */

static void conn_close(door__sq_conn *c) {
  size_t i;
  if (!c)
    return;
  for (i = 0; i < c->n_stmts; i++)
    sqlite3_finalize(c->stmts[i].st);
  sqlite3_close(c->db);
  free(c);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs a PRAGMA that answers one text row (journal_mode) and checks it.
 * Switching a fresh file to WAL needs an exclusive lock and SQLite answers
 * SQLITE_BUSY at once, without its busy handler, while another connection
 * holds the file (racing first opens): so wait here, up to the busy
 * timeout. */
static door_err pragma_expect(door__sq_conn *c, const char *sql,
                              const char *want, const char *want2,
                              door_detail *d) {
  sqlite3_stmt *st = NULL;
  const char *got;
  door_err err = DOOR_OK;
  int64_t until = now_ms() + c->owner->busy_ms;
  long pause_ms = 1;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  while ((rc & 0xff) == SQLITE_BUSY && now_ms() < until) {
    struct timespec ts = {0, pause_ms * 1000000L};
    sqlite3_reset(st);
    nanosleep(&ts, NULL);
    pause_ms = pause_ms < 32 ? pause_ms * 2 : 32;
    rc = sqlite3_step(st);
  }
  if (rc != SQLITE_ROW) {
    err = door__sq_err(c, rc, d);
  } else {
    got = (const char *)sqlite3_column_text(st, 0);
    if (!got || (strcmp(got, want) != 0 && (!want2 || strcmp(got, want2))))
      err = door_detail_set(d, DOOR_ESTORE, c->owner->path,
                            "SQLite refused write-ahead logging",
                            "keep the database on a local file system");
  }
  sqlite3_finalize(st);
  return err;
}

static door_err conn_open(door__sq *s, door__sq_conn **out, door_detail *d) {
  door__sq_conn *c = calloc(1, sizeof *c);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
              SQLITE_OPEN_PRIVATECACHE;
  int rc, fk = 0;
  door_err err = DOOR_OK;
  *out = NULL;
  if (!c)
    return DOOR_ENOMEM;
  c->owner = s;
  rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
  if (rc != SQLITE_OK) {
    err = c->db ? door__sq_err(c, rc, d)
                : door__sq_db_err(NULL, rc, s->path, s->base.log, d);
    goto out;
  }
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, s->busy_ms > INT_MAX ? INT_MAX : (int)s->busy_ms);
  sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
  sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
  sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
                    (int *)NULL);
  sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &fk);
  if (fk != 1) {
    err = door_detail_set(d, DOOR_EUNSUPPORTED, s->path,
                          "SQLite was built without foreign keys", NULL);
    goto out;
  }
  err = pragma_expect(c, "PRAGMA journal_mode=WAL", "wal",
                      s->memory ? "memory" : NULL, d);
  if (err)
    goto out;
  /* Statement journals (every SAVEPOINT of a group commit, sqlite_tx.c) in
   * memory, not in a temporary file created and unlinked per batch. */
  rc = sqlite3_exec(c->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(c->db, Q_SYNC_NORMAL, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    err = door__sq_err(c, rc, d);
    goto out;
  }
  c->sync_full = 0;
out:
  if (err)
    conn_close(c);
  else
    *out = c;
  return err;
}

door_err door__sq_acquire(door__sq *s, door__sq_conn **out, door_detail *d) {
  struct timespec until;
  door__sq_conn *c;
  door_err err;
  int rc = 0;
  *out = NULL;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += s->busy_ms / 1000;
  until.tv_nsec += (s->busy_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&s->mu);
  for (;;) {
    if (s->idle) {
      c = s->idle;
      s->idle = c->next;
      c->next = NULL;
      pthread_mutex_unlock(&s->mu);
      *out = c;
      return DOOR_OK;
    }
    if (s->n_conns < s->max_conns) {
      s->n_conns++;
      pthread_mutex_unlock(&s->mu);
      err = conn_open(s, &c, d);
      if (err) {
        pthread_mutex_lock(&s->mu);
        s->n_conns--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return err;
      }
      *out = c;
      return DOOR_OK;
    }
    if (rc == ETIMEDOUT)
      break;
    rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
  }
  pthread_mutex_unlock(&s->mu);
  return door_detail_set(d, DOOR_ESTORE_BUSY, s->path,
                         "every database connection stayed busy",
                         "raise max_connections or the busy timeout");
}

/* The writer: one connection for every write of this process (see
 * sqlite_int.h).  Waits for it up to the busy timeout. */
door_err door__sq_writer_take(door__sq *s, door__sq_conn **out,
                              door_detail *d) {
  struct timespec until;
  door_err err;
  *out = NULL;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += s->busy_ms / 1000;
  until.tv_nsec += (s->busy_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  if (pthread_mutex_timedlock(&s->wmu, &until) != 0)
    return door_detail_set(d, DOOR_ESTORE_BUSY, s->path,
                           "the database's writer stayed busy",
                           "raise the busy timeout");
  if (!s->writer) {
    err = conn_open(s, &s->writer, d);
    if (err) {
      pthread_mutex_unlock(&s->wmu);
      return err;
    }
  }
  *out = s->writer;
  return DOOR_OK;
}

void door__sq_writer_give(door__sq *s, door__sq_conn *c) {
  if (!sqlite3_get_autocommit(c->db))
    sqlite3_exec(c->db, Q_ROLLBACK, NULL, NULL, NULL);
  if (!sqlite3_get_autocommit(c->db)) {
    conn_close(c); /* stuck in a transaction: a new one next time */
    s->writer = NULL;
  }
  pthread_mutex_unlock(&s->wmu);
}

void door__sq_release(door__sq *s, door__sq_conn *c) {
  if (!c)
    return;
  if (!sqlite3_get_autocommit(c->db))
    sqlite3_exec(c->db, Q_ROLLBACK, NULL, NULL, NULL);
  pthread_mutex_lock(&s->mu);
  if (!sqlite3_get_autocommit(c->db)) {
    /* Stuck in a transaction: drop it rather than pass it on. */
    s->n_conns--;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    conn_close(c);
    return;
  }
  c->next = s->idle;
  s->idle = c;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

door_err door__sq_sync(door__sq_conn *c, int durable, door_detail *d) {
  door_err err;
  durable = durable ? 1 : 0;
  if (c->sync_full == durable)
    return DOOR_OK;
  err = door__sq_run(c, durable ? Q_SYNC_FULL : Q_SYNC_NORMAL, NULL, d, "");
  if (!err)
    c->sync_full = durable;
  return err;
}

door_err door__sq_run1(door__sq *s, int durable, const char *sql,
                       uint64_t *changes, door_detail *d, const char *fmt,
                       ...) {
  door__sq_conn *c;
  va_list ap;
  door_err err;
  int attempt;
  err = s->memory ? door__sq_acquire(s, &c, d) : door__sq_writer_take(s, &c, d);
  if (err)
    return err;
  for (attempt = 1;; attempt++) {
    err = door__sq_sync(c, durable, d);
    if (!err) {
      va_start(ap, fmt);
      err = runv(c, sql, changes, d, fmt, ap);
      va_end(ap);
    }
    if (err != DOOR_ESTORE_BUSY || attempt >= DOOR__SQ_TX_ATTEMPTS)
      break;
    door__sq_backoff(attempt);
  }
  if (s->memory)
    door__sq_release(s, c);
  else
    door__sq_writer_give(s, c);
  return err;
}

/* ---- open, close ---- */

static void sq_close(door_store *st) {
  door__sq *s = door__sq_of(st);
  door__sq_conn *c;
  while ((c = s->idle) != NULL) {
    s->idle = c->next;
    conn_close(c);
  }
  conn_close(s->writer);
  pthread_mutex_destroy(&s->wmu);
  pthread_cond_destroy(&s->gcv);
  pthread_mutex_destroy(&s->gmu);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s->path);
  free(s);
}

/* Creates a missing database file with mode 0600 before SQLite does (its
 * -wal and -shm files take the same mode): it holds tokens and keys. */
static door_err precreate(const char *path, door_detail *d) {
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return DOOR_OK;
  }
  if (errno == EEXIST)
    return DOOR_OK;
  return door_detail_set(d, DOOR_EIO, path, "cannot create the database file",
                         "check that the directory exists and is writable");
}

static door_err sq_open(const char *rest, const door_store_options *o,
                        door_store **out, door_detail *d) {
  door__sq *s = NULL;
  door__sq_conn *c = NULL;
  door_err err;
  int from = 0, to = 0;
  char nb[2][24];
  if (sqlite3_threadsafe() == 0)
    return door_detail_set(d, DOOR_EUNSUPPORTED, "store.url",
                           "SQLite was built without thread support", NULL);
  if (sqlite3_libversion_number() < 3035000) /* RETURNING */
    return door_detail_set(d, DOOR_EUNSUPPORTED, "store.url",
                           "SQLite is older than 3.35", "upgrade libsqlite3");
  if (rest[0] == '/' && rest[1] == '/') {
    if (rest[2] != '/')
      return door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                             "sqlite URLs name a file, not a host",
                             "write sqlite:/path/to/doorauth.db");
    rest += 2;
  }
  if (!*rest)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "store.url",
                           "sqlite URL without a path",
                           "write sqlite:/path/to/doorauth.db");
  s = calloc(1, sizeof *s);
  if (!s)
    return DOOR_ENOMEM;
  s->path = strdup(rest);
  if (!s->path) {
    free(s);
    return DOOR_ENOMEM;
  }
  s->base.ops = &door__store_sqlite_ops;
  s->base.log = o->log;
  s->memory = strcmp(rest, ":memory:") == 0;
  s->busy_ms = o->busy_timeout_ms;
  s->max_conns = s->memory ? 1 : o->max_connections;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_mutex_init(&s->wmu, NULL);
  pthread_mutex_init(&s->gmu, NULL);
  pthread_cond_init(&s->gcv, NULL);
  err = s->memory ? DOOR_OK : precreate(s->path, d);
  if (!err)
    err = door__sq_acquire(s, &c, d);
  if (!err)
    err = door__sq_sync(c, 1, d);
  if (!err)
    err = door__sq_migrate(c->db, door__sq_migrations, door__sq_latest,
                           s->base.log, &from, &to, d);
  door__sq_release(s, c);
  if (err) {
    sq_close(&s->base);
    return err;
  }
  door__u64_to_str((uint64_t)from, nb[0]);
  door__u64_to_str((uint64_t)to, nb[1]);
  door__log(s->base.log, DOOR_LOG_INFO, "store.open", "backend", "sqlite",
            "path", s->path, "schema_from", nb[0], "schema", nb[1], NULL);
  *out = &s->base;
  return DOOR_OK;
}

static door_err sq_schema_version(door_store *st, int *current, int *latest,
                                  door_detail *d) {
  door__sq *s = door__sq_of(st);
  door__sq_conn *c;
  door_err err = door__sq_acquire(s, &c, d);
  if (err)
    return err;
  err = door__sq_version(c->db, current, d);
  *latest = door__sq_latest;
  door__sq_release(s, c);
  return err;
}

const struct door_store_ops door__store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .login_identity = door__sq_login_identity,
    .link_identity = door__sq_link_identity,
    .unlink_identity = door__sq_unlink_identity,
    .identity_find = door__sq_identity_find,
    .account_get = door__sq_account_get,
    .accounts_list = door__sq_accounts_list,
    .account_delete = door__sq_account_delete,
    .counts = door__sq_counts,
    .session_create = door__sq_session_create,
    .session_get = door__sq_session_get,
    .session_delete = door__sq_session_delete,
    .sessions_delete_by_sid = door__sq_sessions_delete_by_sid,
    .sessions_delete_by_sub = door__sq_sessions_delete_by_sub,
    .sessions_delete_account = door__sq_sessions_delete_account,
    .sessions_purge = door__sq_sessions_purge,
    .audit_append = door__sq_audit_append,
    .audit_list = door__sq_audit_list,
    .state_consume = door__sq_state_consume,
    .states_purge = door__sq_states_purge,
    .jti_admit = door__sq_jti_admit,
    .jti_purge = door__sq_jti_purge,
    .signing_key_put = door__sq_signing_key_put,
    .signing_keys_list = door__sq_signing_keys_list,
    .signing_key_retire = door__sq_signing_key_retire,
    .signing_key_add = door__sq_signing_key_add,
    .transmission_append = door__sq_transmission_append,
    .transmissions_append = door__sq_transmissions_append,
    .transmissions_purge = door__sq_transmissions_purge,
    .transmissions_list = door__sq_transmissions_list,
    .tokens_put = door__sq_tokens_put,
    .tokens_get = door__sq_tokens_get,
    .tokens_delete = door__sq_tokens_delete,
    .stats_add = door__sq_stats_add,
    .stats_list = door__sq_stats_list,
    .login_commit = door__sq_login_commit,
    .state_used = door__sq_state_used,
};
