/* The PostgreSQL backend: sessions.  Creation, refresh and purges commit
 * with synchronous_commit off (losing them in a server crash means
 * signing in or purging again); deletions wait for the flush. */
#include "store/pg_int.h"

#include <string.h>

static const char Q_CREATE[] =
    "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at,"
    " idle_expires_at, absolute_expires_at, csrf_secret, provider, issuer,"
    " provider_sid, provider_sub)"
    " VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10)";
/* Refreshes a live session and returns it; no row when missing or
 * expired. */
static const char Q_TOUCH[] =
    "UPDATE sessions SET last_seen_at = $2,"
    " idle_expires_at = CASE WHEN $3 > 0"
    "   THEN least($2 + $3, absolute_expires_at) ELSE idle_expires_at END"
    " WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2"
    " RETURNING account_id, created_at, last_seen_at, idle_expires_at,"
    " absolute_expires_at, csrf_secret, provider, issuer, provider_sid,"
    " provider_sub";
static const char Q_DELETE[] = "DELETE FROM sessions WHERE id_hash = $1";
static const char Q_DELETE_SID[] =
    "DELETE FROM sessions WHERE issuer = $1 AND provider_sid = $2";
static const char Q_DELETE_SUB[] =
    "DELETE FROM sessions WHERE issuer = $1 AND provider_sub = $2";
static const char Q_DELETE_ACCOUNT[] =
    "DELETE FROM sessions WHERE account_id = $1";
static const char Q_PURGE[] =
    "DELETE FROM sessions"
    " WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1";

door_err door__pg_session_insert(door__pg_conn *c,
                                 const door_store_session_new *s,
                                 const char *account_id, door_detail *d) {
  return door__store_session_insert_err(
      door__pg_run(c, Q_CREATE, NULL, d, "btiiibtttt", s->id_hash,
                   (size_t)DOOR_STORE_HASH_LEN, account_id, s->now,
                   s->idle_expires_at, s->absolute_expires_at, s->csrf,
                   s->csrf_len, s->provider, s->issuer, s->provider_sid,
                   s->provider_sub),
      d);
}

static door_err create_fn(door__pg_conn *c, void *p, door_detail *d) {
  const door_store_session_new *s = p;
  return door__pg_session_insert(c, s, s->account_id, d);
}

/* One statement in ONE_WRITE mode (as door__pg_run1), with
 * synchronous_commit off. */
door_err door__pg_session_create(door_store *st,
                                 const door_store_session_new *s,
                                 door_detail *d) {
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_WRITE, 0, create_fn,
                     (void *)s, d);
}

typedef struct get_ctx {
  const uint8_t *id_hash;
  int64_t now, idle;
  door_store_session *out;
  door_err status; /* DOOR_OK, DOOR_ESTORE_EXPIRED or DOOR_ENOTFOUND */
} get_ctx;

static door_err read_session(const PGresult *r, door_store_session *s,
                             door_detail *d) {
  door_err err = door__store_session_row(
      s, PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0),
      PQgetisnull(r, 0, 5) ? NULL : PQgetvalue(r, 0, 5),
      (size_t)PQgetlength(r, 0, 5), d);
  if (err)
    return err;
  s->created_at = door__pg_col_i64(r, 0, 1);
  s->last_seen_at = door__pg_col_i64(r, 0, 2);
  s->idle_expires_at = door__pg_col_i64(r, 0, 3);
  s->absolute_expires_at = door__pg_col_i64(r, 0, 4);
  err = door__pg_col_str(r, 0, 6, &s->provider);
  if (!err)
    err = door__pg_col_str(r, 0, 7, &s->issuer);
  if (!err)
    err = door__pg_col_str(r, 0, 8, &s->provider_sid);
  if (!err)
    err = door__pg_col_str(r, 0, 9, &s->provider_sub);
  return err;
}

/* Two statements without a transaction around them: the refresh is one
 * statement; when it finds no live session, the delete of an expired one
 * is its own. */
static door_err get_fn(door__pg_conn *c, void *p, door_detail *d) {
  get_ctx *x = p;
  PGresult *r;
  uint64_t gone = 0;
  door_err err;
  int row;
  door__store_session_clear(x->out);
  x->status = DOOR_OK;
  err = door__pg_q(c, Q_TOUCH, &r, d, "bii", x->id_hash,
                   (size_t)DOOR_STORE_HASH_LEN, x->now, x->idle);
  row = !err && PQntuples(r) > 0;
  if (row) {
    memcpy(x->out->id_hash, x->id_hash, DOOR_STORE_HASH_LEN);
    err = read_session(r, x->out, d);
  }
  PQclear(r);
  if (err || row)
    return err;
  err = door__pg_run(c, Q_DELETE, &gone, d, "b", x->id_hash,
                     (size_t)DOOR_STORE_HASH_LEN);
  x->status = gone ? DOOR_ESTORE_EXPIRED : DOOR_ENOTFOUND;
  return err;
}

door_err door__pg_session_get(door_store *st, const uint8_t *id_hash,
                              int64_t now, int64_t idle_seconds,
                              door_store_session *out, door_detail *d) {
  get_ctx x = {id_hash, now, idle_seconds, out, DOOR_OK};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_WRITE, 0, get_fn, &x, d);
  return door__store_session_got(err ? err : x.status, out, d);
}

door_err door__pg_session_delete(door_store *st, const uint8_t *id_hash,
                                 door_detail *d) {
  uint64_t n = 0;
  door_err err = door__pg_run1(door__pg_of(st), 1, Q_DELETE, &n, d, "b",
                               id_hash, (size_t)DOOR_STORE_HASH_LEN);
  return err || n ? err : door__store_no_session(d);
}

door_err door__pg_sessions_delete_by_sid(door_store *st, const char *issuer,
                                         const char *sid, uint64_t *n,
                                         door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 1, Q_DELETE_SID, n, d, "tt", issuer,
                       sid);
}

door_err door__pg_sessions_delete_by_sub(door_store *st, const char *issuer,
                                         const char *sub, uint64_t *n,
                                         door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 1, Q_DELETE_SUB, n, d, "tt", issuer,
                       sub);
}

door_err door__pg_sessions_delete_account(door_store *st,
                                          const char *account_id, uint64_t *n,
                                          door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 1, Q_DELETE_ACCOUNT, n, d, "t",
                       account_id);
}

door_err door__pg_sessions_purge(door_store *st, int64_t now, uint64_t *n,
                                 door_detail *d) {
  *n = 0;
  return door__pg_run1(door__pg_of(st), 0, Q_PURGE, n, d, "i", now);
}
