/* The PostgreSQL backend: the login commit (store.h, "the login commit")
 * in one READ COMMITTED transaction committed with synchronous_commit on,
 * batches of transmission records, and the read-only state check.
 *
 * Concurrency.  The state is inserted first with ON CONFLICT DO NOTHING:
 * a second callback with the same state waits for the first transaction
 * and, once that one has committed, inserts nothing and is refused
 * (DOOR_ESTORE_DUPLICATE); if the first rolled back, the second goes on.
 * The sign-in and the link are door__pg_signin and door__pg_link
 * (pg_accounts.c), the steps of the single calls: a first login inserts
 * the identity with ON CONFLICT DO NOTHING; when another login of the
 * subject committed first the whole transaction runs again and finds the
 * identity, so racing first logins make one account. */
#include "store/pg_int.h"

#include <string.h>

static const char Q_STATE_USED[] = "SELECT 1 FROM used_states WHERE key = $1";
static const char Q_STATE_INSERT[] =
    "INSERT INTO used_states (key, expires_at) VALUES ($1, $2)"
    " ON CONFLICT (key) DO NOTHING";
static const char Q_SESSION_DELETE[] =
    "DELETE FROM sessions WHERE id_hash = $1";

static door_err keep_tokens(door__pg_conn *c, const door_store_login *in,
                            const char *account_id, door_detail *d) {
  door_store_tokens_new t;
  door_err err = door__store_login_tokens(in, account_id, &t, d);
  if (!err && t.access_len)
    err = door__pg_tokens_write(c, &t, d);
  return err;
}

/* The sign-in or the link (pg_accounts.c). */
static door_err login_step(door__pg_conn *c, const door_store_login *in,
                           door_store_login_result *out, door_detail *d) {
  door__store_ident id = door__store_login_ident(in);
  door_err err;
  if (in->mode != DOOR_STORE_LOGIN_LINK)
    return door__pg_signin(c, &id, out->account_id, &out->created, d);
  err = door__pg_link(c, in->link_account, &id, &out->linked, d);
  if (!err)
    door__store_login_account(in, out);
  return err;
}

typedef struct commit_ctx {
  const door_store_login *in;
  door_store_login_result *out;
} commit_ctx;

static door_err commit_fn(door__pg_conn *c, void *p, door_detail *d) {
  commit_ctx *x = p;
  const door_store_login *in = x->in;
  door_store_login_result *out = x->out;
  const door_store_session_new *s = &in->session;
  const char *account = NULL;
  uint64_t n = 0;
  size_t i;
  door_err err = DOOR_OK;
  memset(out, 0, sizeof *out);
  if (in->state_key) {
    err = door__pg_run(c, Q_STATE_INSERT, &n, d, "ti", in->state_key,
                       in->state_expires_at);
    if (!err && n == 0 && in->mode != DOOR_STORE_LOGIN_FAILED)
      return door__store_state_reused(d);
    if (err)
      return err;
  }
  if (in->mode != DOOR_STORE_LOGIN_FAILED) {
    err = login_step(c, in, out, d);
    account = out->account_id;
    if (!err && in->old_session_hash)
      err = door__pg_run(c, Q_SESSION_DELETE, NULL, d, "b",
                         in->old_session_hash, (size_t)DOOR_STORE_HASH_LEN);
    if (!err)
      err = door__pg_session_insert(c, s, account, d);
    if (!err && in->mode == DOOR_STORE_LOGIN_SIGNIN)
      err = door__pg_audit_insert(c, in->now, account, DOOR_AUDIT_LOGIN,
                                  in->provider, in->issuer,
                                  out->created ? "new account" : "sign-in", d);
    if (!err && in->tokens)
      err = keep_tokens(c, in, account, d);
  }
  for (i = 0; !err && i < in->n_tx; i++)
    err = door__pg_tx_insert(c, &in->tx[i], account, NULL, d);
  return err;
}

door_err door__pg_login_commit(door_store *st, const door_store_login *in,
                               door_store_login_result *out, door_detail *d) {
  commit_ctx x = {in, out};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 1, commit_fn, &x, d);
  if (err)
    memset(out, 0, sizeof *out);
  return err;
}

typedef struct batch_ctx {
  const door_store_transmission_new *t;
  size_t n;
} batch_ctx;

static door_err batch_fn(door__pg_conn *c, void *p, door_detail *d) {
  batch_ctx *x = p;
  size_t i;
  door_err err = DOOR_OK;
  for (i = 0; !err && i < x->n; i++)
    err = door__pg_tx_insert(c, &x->t[i], x->t[i].account_id, NULL, d);
  return err;
}

door_err door__pg_transmissions_append(door_store *st,
                                       const door_store_transmission_new *t,
                                       size_t n, door_detail *d) {
  batch_ctx x = {t, n};
  return door__pg_tx(door__pg_of(st), DOOR__PG_WRITE, 0, batch_fn, &x, d);
}

typedef struct used_ctx {
  const char *key;
  int *used;
} used_ctx;

static door_err used_fn(door__pg_conn *c, void *p, door_detail *d) {
  used_ctx *x = p;
  int64_t one = 0;
  door_err err = door__pg_int(c, Q_STATE_USED, &one, d, "t", x->key);
  *x->used = !err;
  return err == DOOR_ENOTFOUND ? DOOR_OK : err;
}

door_err door__pg_state_used(door_store *st, const char *key, int *used,
                             door_detail *d) {
  used_ctx x = {key, used};
  return door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 0, used_fn, &x, d);
}
