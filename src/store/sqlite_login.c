/* The SQLite backend: the login commit (store.h, "the login commit") in
 * one BEGIN IMMEDIATE transaction with synchronous=FULL, batches of
 * transmission records, and the read-only state check.
 *
 * The write lock is taken up front (BEGIN IMMEDIATE), so the state's
 * one-time use, the lookup of (issuer, subject) and the inserts that
 * follow cannot interleave with another login's: concurrent first logins
 * of one subject make one account, and of two callbacks with one state
 * exactly one commits.  The sign-in and the link are door__sq_signin and
 * door__sq_link (sqlite_accounts.c), the steps of the single calls. */
#include "store/sqlite_int.h"

#include <string.h>

static const char Q_STATE_USED[] = "SELECT 1 FROM used_states WHERE key = ?1";
static const char Q_STATE_INSERT[] =
    "INSERT INTO used_states (key, expires_at) VALUES (?1, ?2)";
static const char Q_STATE_RECORD[] =
    "INSERT INTO used_states (key, expires_at) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO NOTHING";
static const char Q_SESSION_DELETE[] =
    "DELETE FROM sessions WHERE id_hash = ?1";

static door_err keep_tokens(door__sq_conn *c, const door_store_login *in,
                            const char *account_id, door_detail *d) {
  door_store_tokens_new t;
  door_err err = door__store_login_tokens(in, account_id, &t, d);
  if (!err && t.access_len)
    err = door__sq_tokens_write(c, &t, d);
  return err;
}

/* The sign-in or the link (sqlite_accounts.c). */
static door_err login_step(door__sq_conn *c, const door_store_login *in,
                           door_store_login_result *out, door_detail *d) {
  door__store_ident id = door__store_login_ident(in);
  door_err err;
  if (in->mode != DOOR_STORE_LOGIN_LINK)
    return door__sq_signin(c, &id, out->account_id, &out->created, d);
  err = door__sq_link(c, in->link_account, &id, &out->linked, d);
  if (!err)
    door__store_login_account(in, out);
  return err;
}

typedef struct commit_ctx {
  const door_store_login *in;
  door_store_login_result *out;
} commit_ctx;

static door_err commit_fn(door__sq_conn *c, void *p, door_detail *d) {
  commit_ctx *x = p;
  const door_store_login *in = x->in;
  door_store_login_result *out = x->out;
  const door_store_session_new *s = &in->session;
  const char *account = NULL;
  size_t i;
  door_err err = DOOR_OK;
  memset(out, 0, sizeof *out);
  if (in->state_key) {
    if (in->mode == DOOR_STORE_LOGIN_FAILED)
      err = door__sq_run(c, Q_STATE_RECORD, NULL, d, "ti", in->state_key,
                         in->state_expires_at);
    else
      err = door__sq_run(c, Q_STATE_INSERT, NULL, d, "ti", in->state_key,
                         in->state_expires_at);
    if (err == DOOR_EEXISTS)
      return door__store_state_reused(d);
    if (err)
      return err;
  }
  if (in->mode != DOOR_STORE_LOGIN_FAILED) {
    err = login_step(c, in, out, d);
    account = out->account_id;
    if (!err && in->old_session_hash)
      err = door__sq_run(c, Q_SESSION_DELETE, NULL, d, "b",
                         in->old_session_hash, (size_t)DOOR_STORE_HASH_LEN);
    if (!err)
      err = door__sq_session_insert(c, s, account, d);
    if (!err && in->mode == DOOR_STORE_LOGIN_SIGNIN)
      err = door__sq_audit_insert(c, in->now, account, DOOR_AUDIT_LOGIN,
                                  in->provider, in->issuer,
                                  out->created ? "new account" : "sign-in", d);
    if (!err && in->tokens)
      err = keep_tokens(c, in, account, d);
  }
  for (i = 0; !err && i < in->n_tx; i++)
    err = door__sq_tx_insert(c, &in->tx[i], account, d);
  return err;
}

door_err door__sq_login_commit(door_store *st, const door_store_login *in,
                               door_store_login_result *out, door_detail *d) {
  commit_ctx x = {in, out};
  door_err err =
      door__sq_tx(door__sq_of(st), DOOR__SQ_DURABLE, commit_fn, &x, d);
  if (err)
    memset(out, 0, sizeof *out);
  return err;
}

typedef struct batch_ctx {
  const door_store_transmission_new *t;
  size_t n;
} batch_ctx;

static door_err batch_fn(door__sq_conn *c, void *p, door_detail *d) {
  batch_ctx *x = p;
  size_t i;
  door_err err = DOOR_OK;
  for (i = 0; !err && i < x->n; i++)
    err = door__sq_tx_insert(c, &x->t[i], x->t[i].account_id, d);
  return err;
}

door_err door__sq_transmissions_append(door_store *st,
                                       const door_store_transmission_new *t,
                                       size_t n, door_detail *d) {
  batch_ctx x = {t, n};
  return door__sq_tx(door__sq_of(st), DOOR__SQ_WRITE, batch_fn, &x, d);
}

door_err door__sq_state_used(door_store *st, const char *key, int *used,
                             door_detail *d) {
  door__sq *s = door__sq_of(st);
  door__sq_conn *c;
  int64_t one = 0;
  door_err err = door__sq_acquire(s, &c, d);
  if (err)
    return err;
  err = door__sq_int(c, Q_STATE_USED, &one, d, "t", key);
  door__sq_release(s, c);
  if (err == DOOR_ENOTFOUND)
    return DOOR_OK;
  if (!err)
    *used = 1;
  return err;
}
