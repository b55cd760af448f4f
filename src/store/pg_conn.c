/* The PostgreSQL backend: connection pool, statements, transactions, error
 * mapping. */
#include "store/pg_int.h"
#include "util/buf.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char Q_BEGIN[] = "BEGIN ISOLATION LEVEL READ COMMITTED";
static const char Q_BEGIN_READ[] =
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
static const char Q_COMMIT[] = "COMMIT";
static const char Q_ROLLBACK[] = "ROLLBACK";
static const char Q_SYNC_OFF[] = "SET synchronous_commit TO off";
static const char Q_SYNC_ON[] = "SET synchronous_commit TO on";
static const char Q_LOCK_TIMEOUT[] =
    "SELECT set_config('lock_timeout', $1, false)";

/* Type OIDs of the parameters (pg_type.h is not part of libpq's API). */
enum { OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25 };

/* ---- errors ---- */

static int state_is(const char *s, const char *want) {
  return s && strcmp(s, want) == 0;
}

static int class_is(const char *s, const char *cls) {
  return s && strncmp(s, cls, 2) == 0;
}

/* The first line of a libpq message, without the "FATAL:  " prefix. */
static void first_line(const char *msg, char *out, size_t cap) {
  size_t n = 0;
  if (!msg)
    msg = "";
  if (strncmp(msg, "FATAL:  ", 8) == 0)
    msg += 8;
  while (msg[n] && msg[n] != '\n' && n + 1 < cap)
    n++;
  memcpy(out, msg, n);
  out[n] = '\0';
}

door_err door__pg_db_err(PGconn *db, const PGresult *r, const char *where,
                         const door_log *log, door_detail *d, int *retry) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  const char *primary =
      r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *hint = NULL;
  char msg[192];
  door_detail local;
  door_err e;
  int quiet = 0;
  first_line(primary ? primary : PQerrorMessage(db), msg, sizeof msg);
  *retry = 0;
  if (PQstatus(db) != CONNECTION_OK || class_is(state, "08") ||
      (class_is(state, "57") && state[2] == 'P')) {
    e = DOOR_ESTORE_UNAVAILABLE;
    hint = "the database server cannot be reached: check that it runs";
  } else if (state_is(state, "23505")) {
    e = DOOR_EEXISTS;
    quiet = 1;
  } else if (state_is(state, "23503")) {
    e = DOOR_ENOTFOUND;
    quiet = 1;
  } else if (class_is(state, "23")) {
    e = DOOR_EINVAL;
    quiet = 1;
  } else if (state_is(state, "40001") || state_is(state, "40P01")) {
    e = DOOR_ESTORE_BUSY;
    *retry = 1;
    quiet = 1; /* the transaction runs again; logged if it gives up */
    hint = "transactions kept colliding; try again";
  } else if (state_is(state, "55P03") || state_is(state, "57014") ||
             state_is(state, "53300")) {
    e = DOOR_ESTORE_BUSY;
    hint = "another connection held a lock too long, or the server is out "
           "of connections; raise the busy timeout or look for a stuck "
           "session";
  } else if (state_is(state, "XX001") || state_is(state, "XX002")) {
    e = DOOR_ESTORE_CORRUPT;
    hint = "the server reports corrupt data: restore from a backup";
  } else if (state_is(state, "53100")) {
    e = DOOR_EIO;
    hint = "the database server's disk is full";
  } else if (class_is(state, "22")) {
    /* Data exceptions may quote the value: say only what kind it was. */
    e = state_is(state, "22021") ? DOOR_EUTF8 : DOOR_EINVAL;
    memcpy(msg, "the database refused a value", 29);
    quiet = 1;
  } else {
    e = DOOR_ESTORE;
  }
  door_detail_set(&local, e, where, msg, hint);
  if (!quiet)
    door__log_detail(log, DOOR_LOG_WARN, "store.error", &local);
  if (d)
    *d = local;
  return e;
}

door_err door__pg_err(door__pg_conn *c, const PGresult *r, door_detail *d) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  c->sqlstate[0] = '\0';
  if (state && strlen(state) == 5)
    memcpy(c->sqlstate, state, 6);
  c->lost = PQstatus(c->db) != CONNECTION_OK;
  return door__pg_db_err(c->db, r, c->owner->where, c->owner->base.log, d,
                         &c->retry);
}

door_err door__pg_conflict(door__pg_conn *c, door_detail *d) {
  c->retry = 1;
  return door_detail_set(d, DOOR_ESTORE_BUSY, c->owner->where,
                         "concurrent transactions kept inserting the same key",
                         "try again");
}

/* ---- connections ---- */

static void conn_close(door__pg_conn *c) {
  if (!c)
    return;
  PQfinish(c->db);
  free(c);
}

static void no_notices(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

static door_err conn_open(door__pg *p, door__pg_conn **out, door_detail *d) {
  door__pg_conn *c = calloc(1, sizeof *c);
  const char *vals[1];
  PGresult *r = NULL;
  door_err err = DOOR_OK;
  char msg[192];
  *out = NULL;
  if (!c)
    return DOOR_ENOMEM;
  c->owner = p;
  c->db = PQconnectdbParams(p->keys, p->vals, 0);
  if (!c->db) {
    free(c);
    return DOOR_ENOMEM;
  }
  if (PQstatus(c->db) != CONNECTION_OK) {
    door_detail local;
    first_line(PQerrorMessage(c->db), msg, sizeof msg);
    door_detail_set(&local, DOOR_ESTORE_UNAVAILABLE, p->where, msg,
                    "check that the PostgreSQL server runs and the host, "
                    "port, user, password and database of store.url");
    door__log_detail(p->base.log, DOOR_LOG_WARN, "store.error", &local);
    if (d)
      *d = local;
    err = DOOR_ESTORE_UNAVAILABLE;
    goto out;
  }
  PQsetNoticeProcessor(c->db, no_notices, NULL);
  if (PQserverVersion(c->db) < 100000) {
    err = door_detail_set(d, DOOR_EUNSUPPORTED, p->where,
                          "the PostgreSQL server is older than 10",
                          "upgrade the server");
    goto out;
  }
  /* Lock waits end after the busy timeout, as with SQLite. */
  vals[0] = p->lock_timeout;
  r = PQexecParams(c->db, Q_LOCK_TIMEOUT, 1, NULL, vals, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    err = door__pg_err(c, r, d);
out:
  PQclear(r);
  if (err)
    conn_close(c);
  else
    *out = c;
  return err;
}

/* A connection can be handed out: no transaction left open, and its
 * socket quiet.  An idle connection hears from the server only when it
 * goes away (a FATAL message, then end of file: two reads) or, rarely,
 * about a changed setting: read what is there, a few times at most, and
 * keep the connection only if it is still good and quiet. */
static int conn_usable(door__pg_conn *c) {
  struct pollfd pfd;
  int i;
  for (i = 0; i < 4; i++) {
    if (PQstatus(c->db) != CONNECTION_OK)
      return 0;
    pfd.fd = PQsocket(c->db);
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (pfd.fd < 0 || poll(&pfd, 1, 0) < 0)
      return 0;
    if (!pfd.revents)
      return PQtransactionStatus(c->db) == PQTRANS_IDLE && !PQisBusy(c->db);
    if (!PQconsumeInput(c->db))
      return 0;
    (void)PQisBusy(c->db); /* parses what came: notices, end of file */
  }
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline(long ms, struct timespec *until) {
  clock_gettime(CLOCK_REALTIME, until);
  until->tv_sec += ms / 1000;
  until->tv_nsec += (ms % 1000) * 1000000L;
  if (until->tv_nsec >= 1000000000L) {
    until->tv_sec++;
    until->tv_nsec -= 1000000000L;
  }
}

door_err door__pg_acquire(door__pg *p, door__pg_conn **out, door_detail *d) {
  struct timespec until;
  door__pg_conn *c;
  door_err err;
  int rc = 0;
  *out = NULL;
  deadline(p->busy_ms, &until);
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->idle) {
      c = p->idle;
      p->idle = c->next;
      c->next = NULL;
      pthread_mutex_unlock(&p->mu);
      if (conn_usable(c)) {
        *out = c;
        return DOOR_OK;
      }
      conn_close(c); /* the server went away or restarted */
      pthread_mutex_lock(&p->mu);
      p->n_conns--;
      pthread_cond_signal(&p->cv); /* a waiter may open one now */
    }
    if (p->n_conns < p->max_conns && now_ms() < p->retry_at) {
      pthread_mutex_unlock(&p->mu);
      return door_detail_set(d, DOOR_ESTORE_UNAVAILABLE, p->where,
                             "the database server could not be reached a "
                             "moment ago",
                             "check that the PostgreSQL server runs");
    }
    if (p->n_conns < p->max_conns) {
      p->n_conns++;
      pthread_mutex_unlock(&p->mu);
      err = conn_open(p, &c, d);
      pthread_mutex_lock(&p->mu);
      p->retry_at =
          err == DOOR_ESTORE_UNAVAILABLE ? now_ms() + DOOR__PG_HOLDOFF_MS : 0;
      if (err) {
        p->n_conns--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return err;
      }
      pthread_mutex_unlock(&p->mu);
      *out = c;
      return DOOR_OK;
    }
    if (rc == ETIMEDOUT)
      break;
    rc = pthread_cond_timedwait(&p->cv, &p->mu, &until);
  }
  pthread_mutex_unlock(&p->mu);
  return door_detail_set(d, DOOR_ESTORE_BUSY, p->where,
                         "every database connection stayed busy",
                         "raise max_connections or the busy timeout");
}

void door__pg_release(door__pg *p, door__pg_conn *c) {
  int keep;
  if (!c)
    return;
  keep = !c->lost && PQstatus(c->db) == CONNECTION_OK;
  if (keep && PQtransactionStatus(c->db) != PQTRANS_IDLE)
    PQclear(PQexec(c->db, Q_ROLLBACK));
  keep = keep && PQstatus(c->db) == CONNECTION_OK &&
         PQtransactionStatus(c->db) == PQTRANS_IDLE;
  pthread_mutex_lock(&p->mu);
  if (keep) {
    c->next = p->idle;
    p->idle = c;
  } else {
    p->n_conns--; /* broken or stuck: drop it rather than pass it on */
  }
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  if (!keep)
    conn_close(c);
}

/* ---- statements ---- */

/* "door_<n>" into out (cap >= 32). */
static void stmt_name(size_t n, char *out) {
  memcpy(out, "door_", 5);
  door__u64_to_str((uint64_t)n, out + 5);
}

static door_err prepare(door__pg_conn *c, const char *sql, int n,
                        const Oid *types, char name[32], door_detail *d) {
  PGresult *r;
  door_err err = DOOR_OK;
  size_t i;
  for (i = 0; i < c->n_stmts; i++) {
    if (c->stmts[i] == sql) {
      stmt_name(i, name);
      return DOOR_OK;
    }
  }
  if (c->n_stmts == DOOR__PG_STMT_MAX)
    return door_detail_set(d, DOOR_EINTERNAL, "store", "statement cache full",
                           NULL);
  stmt_name(c->n_stmts, name);
  r = PQprepare(c->db, name, sql, n, types);
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    err = door__pg_err(c, r, d);
  else
    c->stmts[c->n_stmts++] = sql;
  PQclear(r);
  return err;
}

static door_err qv(door__pg_conn *c, const char *sql, PGresult **out,
                   door_detail *d, const char *fmt, va_list ap) {
  const char *vals[DOOR__PG_PARAMS_MAX];
  int lens[DOOR__PG_PARAMS_MAX], fmts[DOOR__PG_PARAMS_MAX];
  Oid types[DOOR__PG_PARAMS_MAX];
  unsigned char ints[DOOR__PG_PARAMS_MAX][8];
  char name[32];
  size_t n = strlen(fmt), i;
  PGresult *r;
  ExecStatusType st;
  door_err err;
  *out = NULL;
  if (n > DOOR__PG_PARAMS_MAX)
    return door_detail_set(d, DOOR_EINTERNAL, "store", "too many parameters",
                           NULL);
  for (i = 0; i < n; i++) {
    vals[i] = NULL;
    lens[i] = 0;
    fmts[i] = 0;
    if (fmt[i] == 't') {
      types[i] = OID_TEXT;
      vals[i] = va_arg(ap, const char *);
    } else if (fmt[i] == 'i' || fmt[i] == 'z') {
      uint64_t v = (uint64_t)va_arg(ap, int64_t);
      int k;
      types[i] = OID_INT8;
      if (fmt[i] == 'z' && v == 0)
        continue;
      for (k = 7; k >= 0; k--, v >>= 8)
        ints[i][k] = (unsigned char)(v & 0xff);
      vals[i] = (const char *)ints[i];
      lens[i] = 8;
      fmts[i] = 1;
    } else if (fmt[i] == 'b') {
      const void *p = va_arg(ap, const void *);
      size_t len = va_arg(ap, size_t);
      types[i] = OID_BYTEA;
      if (!p || !len)
        continue;
      vals[i] = p;
      lens[i] = (int)len; /* store.c caps blobs far below INT_MAX */
      fmts[i] = 1;
    } else {
      return door_detail_set(d, DOOR_EINTERNAL, "store", "bad parameter format",
                             NULL);
    }
  }
  err = prepare(c, sql, (int)n, types, name, d);
  if (err)
    return err;
  r = PQexecPrepared(c->db, name, (int)n, vals, lens, fmts, 1);
  st = PQresultStatus(r);
  if (r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
    *out = r;
    return DOOR_OK;
  }
  err = door__pg_err(c, r, d);
  PQclear(r);
  return err;
}

door_err door__pg_q(door__pg_conn *c, const char *sql, PGresult **out,
                    door_detail *d, const char *fmt, ...) {
  va_list ap;
  door_err err;
  va_start(ap, fmt);
  err = qv(c, sql, out, d, fmt, ap);
  va_end(ap);
  return err;
}

static uint64_t changes_of(const PGresult *r) {
  const char *s = PQcmdTuples((PGresult *)r);
  uint64_t v = 0;
  for (; s && *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (uint64_t)(*s - '0');
  return v;
}

door_err door__pg_run(door__pg_conn *c, const char *sql, uint64_t *changes,
                      door_detail *d, const char *fmt, ...) {
  PGresult *r;
  va_list ap;
  door_err err;
  va_start(ap, fmt);
  err = qv(c, sql, &r, d, fmt, ap);
  va_end(ap);
  if (!err && changes)
    *changes = changes_of(r);
  PQclear(r);
  return err;
}

door_err door__pg_int(door__pg_conn *c, const char *sql, int64_t *v,
                      door_detail *d, const char *fmt, ...) {
  PGresult *r;
  va_list ap;
  door_err err;
  va_start(ap, fmt);
  err = qv(c, sql, &r, d, fmt, ap);
  va_end(ap);
  if (!err && PQntuples(r) < 1)
    err = DOOR_ENOTFOUND;
  if (!err)
    *v = door__pg_col_i64(r, 0, 0);
  PQclear(r);
  return err;
}

door_err door__pg_exec(door__pg_conn *c, const char *sql, door_detail *d) {
  PGresult *r = PQexec(c->db, sql);
  ExecStatusType st = PQresultStatus(r);
  door_err err = DOOR_OK;
  if (!r || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK))
    err = door__pg_err(c, r, d);
  else if (sql == Q_COMMIT && strcmp(PQcmdStatus(r), "COMMIT") != 0)
    err = door_detail_set(d, DOOR_ESTORE, c->owner->where,
                          "the transaction was rolled back at commit", NULL);
  PQclear(r);
  return err;
}

/* ---- result columns (binary format) ---- */

int64_t door__pg_col_i64(const PGresult *r, int row, int col) {
  const unsigned char *p;
  uint64_t v = 0;
  int n, i;
  if (PQgetisnull(r, row, col))
    return 0;
  p = (const unsigned char *)PQgetvalue(r, row, col);
  n = PQgetlength(r, row, col);
  if (n != 1 && n != 2 && n != 4 && n != 8)
    return 0;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  if (n < 8 && n > 1 && (p[0] & 0x80)) /* sign-extend int2, int4 */
    v |= ~(uint64_t)0 << (8 * n);
  return (int64_t)v;
}

door_err door__pg_col_str(const PGresult *r, int row, int col, char **out) {
  size_t n;
  *out = NULL;
  if (PQgetisnull(r, row, col))
    return DOOR_OK;
  n = (size_t)PQgetlength(r, row, col);
  *out = malloc(n + 1);
  if (!*out)
    return DOOR_ENOMEM;
  memcpy(*out, PQgetvalue(r, row, col), n);
  (*out)[n] = '\0';
  return DOOR_OK;
}

door_err door__pg_col_blob(const PGresult *r, int row, int col, uint8_t **out,
                           size_t *len) {
  size_t n;
  *out = NULL;
  *len = 0;
  if (PQgetisnull(r, row, col))
    return DOOR_OK;
  n = (size_t)PQgetlength(r, row, col);
  if (!n)
    return DOOR_OK;
  *out = malloc(n);
  if (!*out)
    return DOOR_ENOMEM;
  memcpy(*out, PQgetvalue(r, row, col), n);
  *len = n;
  return DOOR_OK;
}

void door__pg_col_account(const PGresult *r, int row, int col,
                          char out[DOOR_STORE_ID_LEN + 1]) {
  size_t n = 0;
  if (!PQgetisnull(r, row, col))
    n = (size_t)PQgetlength(r, row, col);
  if (n > DOOR_STORE_ID_LEN)
    n = DOOR_STORE_ID_LEN;
  memcpy(out, PQgetvalue(r, row, col), n);
  out[n] = '\0';
}

/* ---- transactions ---- */

static door_err set_sync(door__pg_conn *c, int durable, door_detail *d) {
  door_err err;
  int off = durable ? 0 : 1;
  if (c->sync_off == off)
    return DOOR_OK;
  err = door__pg_exec(c, off ? Q_SYNC_OFF : Q_SYNC_ON, d);
  if (!err)
    c->sync_off = off;
  return err;
}

/* A few milliseconds, growing with the attempt, with jitter so that the
 * racers of one key do not collide again in step. */
static void backoff(int attempt) {
  struct timespec ts;
  long jitter;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  jitter = (ts.tv_nsec / 1000) % (attempt * 1000L + 1);
  ts.tv_sec = 0;
  ts.tv_nsec = ((long)attempt * 1000L + jitter) * 1000L;
  nanosleep(&ts, NULL);
}

door_err door__pg_tx(door__pg *p, door__pg_mode mode, int durable,
                     door__pg_tx_fn fn, void *ctx, door_detail *out) {
  door__pg_conn *c;
  door_detail local, *d = &local;
  door_err err;
  int attempt, committing, fresh = 0;
  int block = mode == DOOR__PG_READ || mode == DOOR__PG_WRITE;
  door_detail_clear(&local);
  err = door__pg_acquire(p, &c, d);
  if (err)
    goto out;
  for (attempt = 1;; attempt++) {
    committing = 0;
    c->retry = c->lost = 0;
    err = DOOR_OK;
    if (mode == DOOR__PG_ONE_WRITE || mode == DOOR__PG_WRITE)
      err = set_sync(c, durable, d);
    if (!err && block)
      err = door__pg_exec(c, mode == DOOR__PG_READ ? Q_BEGIN_READ : Q_BEGIN, d);
    if (!err)
      err = fn(c, ctx, d);
    if (!err && block) {
      committing = 1;
      err = door__pg_exec(c, Q_COMMIT, d);
    }
    if (err && !c->lost && PQtransactionStatus(c->db) != PQTRANS_IDLE)
      PQclear(PQexec(c->db, Q_ROLLBACK));
    if (!err || attempt >= DOOR__PG_TX_ATTEMPTS)
      break;
    if (err == DOOR_ESTORE_BUSY && c->retry) {
      backoff(attempt);
      continue;
    }
    /* The connection broke before anything could have been committed:
     * once more on a new one (which fails fast if the server is down). */
    if (err == DOOR_ESTORE_UNAVAILABLE && c->lost && !committing && !fresh &&
        mode != DOOR__PG_ONE_WRITE) {
      door__pg_release(p, c);
      err = door__pg_acquire(p, &c, d);
      if (err)
        goto out;
      fresh = 1;
      continue;
    }
    break;
  }
  if (err == DOOR_ESTORE_BUSY && c->retry)
    door__log_detail(p->base.log, DOOR_LOG_WARN, "store.error", d);
  door__pg_release(p, c);
out:
  if (err && out) {
    *out = local;
    out->code = err;
  }
  return err;
}

typedef struct run1_ctx {
  const char *sql, *fmt;
  uint64_t *changes;
  va_list *ap;
} run1_ctx;

static door_err run1_fn(door__pg_conn *c, void *p, door_detail *d) {
  run1_ctx *x = p;
  PGresult *r = NULL;
  va_list ap;
  door_err err;
  va_copy(ap, *x->ap); /* a deadlock runs it again */
  err = qv(c, x->sql, &r, d, x->fmt, ap);
  va_end(ap);
  if (!err && x->changes)
    *x->changes = changes_of(r);
  PQclear(r);
  return err;
}

door_err door__pg_run1(door__pg *p, int durable, const char *sql,
                       uint64_t *changes, door_detail *d, const char *fmt,
                       ...) {
  run1_ctx x;
  va_list ap;
  door_err err;
  va_start(ap, fmt);
  x.sql = sql;
  x.fmt = fmt;
  x.changes = changes;
  x.ap = &ap;
  err = door__pg_tx(p, DOOR__PG_ONE_WRITE, durable, run1_fn, &x, d);
  va_end(ap);
  return err;
}
