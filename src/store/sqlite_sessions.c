/* The SQLite backend: sessions. */
#include "store/sqlite_int.h"

#include <string.h>

static const char Q_CREATE[] =
    "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at,"
    " idle_expires_at, absolute_expires_at, csrf_secret, provider, issuer,"
    " provider_sid, provider_sub)"
    " VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
/* Refreshes a live session and returns it; no row when missing or
 * expired. */
static const char Q_TOUCH[] =
    "UPDATE sessions SET last_seen_at = ?2,"
    " idle_expires_at = CASE WHEN ?3 > 0"
    "   THEN min(?2 + ?3, absolute_expires_at) ELSE idle_expires_at END"
    " WHERE id_hash = ?1 AND idle_expires_at > ?2 AND absolute_expires_at > ?2"
    " RETURNING account_id, created_at, last_seen_at, idle_expires_at,"
    " absolute_expires_at, csrf_secret, provider, issuer, provider_sid,"
    " provider_sub";
static const char Q_DELETE[] = "DELETE FROM sessions WHERE id_hash = ?1";
static const char Q_DELETE_SID[] =
    "DELETE FROM sessions WHERE issuer = ?1 AND provider_sid = ?2";
static const char Q_DELETE_SUB[] =
    "DELETE FROM sessions WHERE issuer = ?1 AND provider_sub = ?2";
static const char Q_DELETE_ACCOUNT[] =
    "DELETE FROM sessions WHERE account_id = ?1";
static const char Q_PURGE[] =
    "DELETE FROM sessions"
    " WHERE idle_expires_at <= ?1 OR absolute_expires_at <= ?1";

/* A statement of its own (no transaction around it), not waiting for the
 * disk (synchronous=NORMAL). */
door_err door__sq_session_create(door_store *st,
                                 const door_store_session_new *s,
                                 door_detail *d) {
  return door__store_session_insert_err(
      door__sq_run1(door__sq_of(st), 0, Q_CREATE, NULL, d, "btiiibtttt",
                    s->id_hash, (size_t)DOOR_STORE_HASH_LEN, s->account_id,
                    s->now, s->idle_expires_at, s->absolute_expires_at, s->csrf,
                    s->csrf_len, s->provider, s->issuer, s->provider_sid,
                    s->provider_sub),
      d);
}

door_err door__sq_session_insert(door__sq_conn *c,
                                 const door_store_session_new *s,
                                 const char *account_id, door_detail *d) {
  return door__store_session_insert_err(
      door__sq_run(c, Q_CREATE, NULL, d, "btiiibtttt", s->id_hash,
                   (size_t)DOOR_STORE_HASH_LEN, account_id, s->now,
                   s->idle_expires_at, s->absolute_expires_at, s->csrf,
                   s->csrf_len, s->provider, s->issuer, s->provider_sid,
                   s->provider_sub),
      d);
}

typedef struct get_ctx {
  const uint8_t *id_hash;
  int64_t now, idle;
  door_store_session *out;
  door_err status; /* DOOR_OK, DOOR_ESTORE_EXPIRED or DOOR_ENOTFOUND */
} get_ctx;

static door_err read_session(sqlite3_stmt *st, door_store_session *s,
                             door_detail *d) {
  const void *csrf = sqlite3_column_blob(st, 5);
  size_t n = (size_t)sqlite3_column_bytes(st, 5);
  door_err err = door__store_session_row(
      s, (const char *)sqlite3_column_text(st, 0), csrf, n, d);
  if (err)
    return err;
  s->created_at = (int64_t)sqlite3_column_int64(st, 1);
  s->last_seen_at = (int64_t)sqlite3_column_int64(st, 2);
  s->idle_expires_at = (int64_t)sqlite3_column_int64(st, 3);
  s->absolute_expires_at = (int64_t)sqlite3_column_int64(st, 4);
  err = door__sq_col_str(st, 6, &s->provider);
  if (!err)
    err = door__sq_col_str(st, 7, &s->issuer);
  if (!err)
    err = door__sq_col_str(st, 8, &s->provider_sid);
  if (!err)
    err = door__sq_col_str(st, 9, &s->provider_sub);
  return err;
}

static door_err get_fn(door__sq_conn *c, void *p, door_detail *d) {
  get_ctx *x = p;
  sqlite3_stmt *st;
  uint64_t gone = 0;
  door_err err;
  int row = 0, more = 0;
  door__store_session_clear(x->out);
  err = door__sq_q(c, Q_TOUCH, &st, d, "bii", x->id_hash,
                   (size_t)DOOR_STORE_HASH_LEN, x->now, x->idle);
  if (!err)
    err = door__sq_step(c, st, &row, d);
  if (!err && row) {
    memcpy(x->out->id_hash, x->id_hash, DOOR_STORE_HASH_LEN);
    err = read_session(st, x->out, d);
    if (!err) /* run the UPDATE to completion */
      err = door__sq_step(c, st, &more, d);
  }
  door__sq_end(st);
  x->status = DOOR_OK;
  if (err || row)
    return err;
  /* Missing or expired: an expired row goes now, and that deletion is
   * committed (the transaction succeeds, the status says what happened). */
  err = door__sq_run(c, Q_DELETE, &gone, d, "b", x->id_hash,
                     (size_t)DOOR_STORE_HASH_LEN);
  x->status = gone ? DOOR_ESTORE_EXPIRED : DOOR_ENOTFOUND;
  return err;
}

door_err door__sq_session_get(door_store *st, const uint8_t *id_hash,
                              int64_t now, int64_t idle_seconds,
                              door_store_session *out, door_detail *d) {
  get_ctx x = {id_hash, now, idle_seconds, out, DOOR_OK};
  door_err err = door__sq_tx(door__sq_of(st), DOOR__SQ_WRITE, get_fn, &x, d);
  return door__store_session_got(err ? err : x.status, out, d);
}

door_err door__sq_session_delete(door_store *st, const uint8_t *id_hash,
                                 door_detail *d) {
  uint64_t n = 0;
  door_err err = door__sq_run1(door__sq_of(st), 1, Q_DELETE, &n, d, "b",
                               id_hash, (size_t)DOOR_STORE_HASH_LEN);
  return err || n ? err : door__store_no_session(d);
}

door_err door__sq_sessions_delete_by_sid(door_store *st, const char *issuer,
                                         const char *sid, uint64_t *n,
                                         door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 1, Q_DELETE_SID, n, d, "tt", issuer,
                       sid);
}

door_err door__sq_sessions_delete_by_sub(door_store *st, const char *issuer,
                                         const char *sub, uint64_t *n,
                                         door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 1, Q_DELETE_SUB, n, d, "tt", issuer,
                       sub);
}

door_err door__sq_sessions_delete_account(door_store *st,
                                          const char *account_id, uint64_t *n,
                                          door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 1, Q_DELETE_ACCOUNT, n, d, "t",
                       account_id);
}

door_err door__sq_sessions_purge(door_store *st, int64_t now, uint64_t *n,
                                 door_detail *d) {
  *n = 0;
  return door__sq_run1(door__sq_of(st), 0, Q_PURGE, n, d, "i", now);
}
