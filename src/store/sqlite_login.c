/* The SQLite backend: the login commit (store.h, "the login commit") in
 * one BEGIN IMMEDIATE transaction with synchronous=FULL, batches of
 * transmission records, and the read-only state check.
 *
 * The write lock is taken up front (BEGIN IMMEDIATE), so the state's
 * one-time use, the lookup of (issuer, subject) and the inserts that
 * follow cannot interleave with another login's: concurrent first logins
 * of one subject make one account, and of two callbacks with one state
 * exactly one commits. */
#include "store/sqlite_int.h"

#include <string.h>

static const char Q_STATE_USED[] = "SELECT 1 FROM used_states WHERE key = ?1";
static const char Q_STATE_INSERT[] =
    "INSERT INTO used_states (key, expires_at) VALUES (?1, ?2)";
static const char Q_STATE_RECORD[] =
    "INSERT INTO used_states (key, expires_at) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO NOTHING";
/* The lookup and the sign-in's update in one statement. */
static const char Q_TOUCH[] =
    "UPDATE identities SET last_login_at = ?3, kept_claims = ?4"
    " WHERE issuer = ?1 AND subject = ?2 RETURNING account_id";
static const char Q_FIND[] =
    "SELECT account_id FROM identities WHERE issuer = ?1 AND subject = ?2";
static const char Q_ACCOUNT_EXISTS[] = "SELECT 1 FROM accounts WHERE id = ?1";
static const char Q_ACCOUNT_INSERT[] =
    "INSERT INTO accounts (id, created_at) VALUES (?1, ?2)";
static const char Q_IDENTITY_INSERT[] =
    "INSERT INTO identities (account_id, provider, issuer, subject,"
    " linked_at, last_login_at, kept_claims)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)";
static const char Q_SESSION_DELETE[] =
    "DELETE FROM sessions WHERE id_hash = ?1";
static const char Q_SESSION_INSERT[] =
    "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at,"
    " idle_expires_at, absolute_expires_at, csrf_secret, provider, issuer,"
    " provider_sid, provider_sub)"
    " VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char Q_TOKENS_PUT[] =
    "INSERT INTO provider_tokens (account_id, provider, access_token,"
    " refresh_token, expires_at, scope, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (account_id, provider) DO UPDATE SET"
    " access_token = excluded.access_token,"
    " refresh_token = excluded.refresh_token,"
    " expires_at = excluded.expires_at, scope = excluded.scope,"
    " updated_at = excluded.updated_at";
static const char Q_TX_INSERT[] =
    "INSERT INTO transmissions (at, provider, endpoint, fields, purpose,"
    " account_id, outcome, http_status)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static void col_account(sqlite3_stmt *st, char out[DOOR_STORE_ID_LEN + 1]) {
  const unsigned char *s = sqlite3_column_text(st, 0);
  size_t n = s ? strnlen((const char *)s, DOOR_STORE_ID_LEN) : 0;
  memcpy(out, s ? (const char *)s : "", n);
  out[n] = '\0';
}

/* Runs a statement that answers at most one account id: DOOR_ENOTFOUND
 * when it answers none. */
static door_err one_account(door__sq_conn *c, const char *sql,
                            char out[DOOR_STORE_ID_LEN + 1], door_detail *d,
                            const char *issuer, const char *subject,
                            int64_t now, const char *claims) {
  sqlite3_stmt *st;
  int row = 0;
  door_err err;
  if (sql == Q_TOUCH)
    err = door__sq_q(c, sql, &st, d, "ttit", issuer, subject, now, claims);
  else
    err = door__sq_q(c, sql, &st, d, "tt", issuer, subject);
  if (!err)
    err = door__sq_step(c, st, &row, d);
  if (!err && !row)
    err = DOOR_ENOTFOUND;
  if (!err)
    col_account(st, out);
  /* Runs an UPDATE ... RETURNING to completion. */
  while (!err && row)
    err = door__sq_step(c, st, &row, d);
  door__sq_end(st);
  return err;
}

static door_err tx_insert(door__sq_conn *c,
                          const door_store_transmission_new *t,
                          const char *account_id, door_detail *d) {
  door_err err =
      door__sq_run(c, Q_TX_INSERT, NULL, d, "itttttti", t->at, t->provider,
                   t->endpoint, t->fields_json, t->purpose, account_id,
                   t->outcome, (int64_t)t->http_status);
  if (err == DOOR_ENOTFOUND)
    door_detail_set(d, err, "account_id", "no such account", NULL);
  return err;
}

/* SIGNIN: the identity's account, or a new one. */
static door_err signin(door__sq_conn *c, const door_store_login *in,
                       door_store_login_result *out, door_detail *d) {
  door_err err = one_account(c, Q_TOUCH, out->account_id, d, in->issuer,
                             in->subject, in->now, in->kept_claims_json);
  if (err != DOOR_ENOTFOUND)
    return err;
  err = door__store_new_account_id(out->account_id);
  if (err)
    return door_detail_set(d, err, "account_id", "no random bytes", NULL);
  err = door__sq_run(c, Q_ACCOUNT_INSERT, NULL, d, "ti", out->account_id,
                     in->now);
  if (!err)
    err = door__sq_run(c, Q_IDENTITY_INSERT, NULL, d, "ttttit", out->account_id,
                       in->provider, in->issuer, in->subject, in->now,
                       in->kept_claims_json);
  if (!err)
    err = door__sq_audit_insert(c, in->now, out->account_id,
                                DOOR_AUDIT_ACCOUNT_CREATE, in->provider,
                                in->issuer, NULL, d);
  if (err == DOOR_EEXISTS) /* 2^-128: a colliding random id */
    err = door_detail_set(d, DOOR_EINTERNAL, "account_id",
                          "new account id collided", "retry the login");
  if (!err)
    out->created = 1;
  return err;
}

/* LINK: as door__sq_link_identity. */
static door_err link(door__sq_conn *c, const door_store_login *in,
                     door_store_login_result *out, door_detail *d) {
  char owner[DOOR_STORE_ID_LEN + 1];
  int64_t one;
  door_err err =
      door__sq_int(c, Q_ACCOUNT_EXISTS, &one, d, "t", in->link_account);
  if (err == DOOR_ENOTFOUND)
    return door_detail_set(d, err, "account_id", "no such account", NULL);
  if (err)
    return err;
  memcpy(out->account_id, in->link_account, DOOR_STORE_ID_LEN);
  out->account_id[DOOR_STORE_ID_LEN] = '\0';
  err = one_account(c, Q_FIND, owner, d, in->issuer, in->subject, 0, NULL);
  if (!err)
    return strcmp(owner, in->link_account) == 0
               ? DOOR_OK
               : door_detail_set(d, DOOR_ESTORE_IDENTITY_TAKEN, "identity",
                                 "this identity signs in to another account",
                                 "unlink it there first, or delete that "
                                 "account");
  if (err != DOOR_ENOTFOUND)
    return err;
  err = door__sq_run(c, Q_IDENTITY_INSERT, NULL, d, "ttttit", in->link_account,
                     in->provider, in->issuer, in->subject, in->now,
                     in->kept_claims_json);
  if (!err)
    err = door__sq_audit_insert(c, in->now, in->link_account, DOOR_AUDIT_LINK,
                                in->provider, in->issuer, NULL, d);
  if (!err)
    out->linked = 1;
  return err;
}

static door_err keep_tokens(door__sq_conn *c, const door_store_login *in,
                            const char *account_id, door_detail *d) {
  door_store_tokens_new t;
  door_err err = door__store_login_tokens(in, account_id, &t, d);
  if (!err && t.access_len)
    err =
        door__sq_run(c, Q_TOKENS_PUT, NULL, d, "ttbbzti", t.account_id,
                     t.provider, t.access_token, t.access_len, t.refresh_token,
                     t.refresh_len, t.expires_at, t.scope, t.now);
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
      return door_detail_set(d, DOOR_ESTORE_DUPLICATE, "state",
                             "this login was completed before", NULL);
    if (err)
      return err;
  }
  if (in->mode != DOOR_STORE_LOGIN_FAILED) {
    err = in->mode == DOOR_STORE_LOGIN_LINK ? link(c, in, out, d)
                                            : signin(c, in, out, d);
    account = out->account_id;
    if (!err && in->old_session_hash)
      err = door__sq_run(c, Q_SESSION_DELETE, NULL, d, "b",
                         in->old_session_hash, (size_t)DOOR_STORE_HASH_LEN);
    if (!err)
      err = door__sq_run(c, Q_SESSION_INSERT, NULL, d, "btiiibtttt", s->id_hash,
                         (size_t)DOOR_STORE_HASH_LEN, account, in->now,
                         s->idle_expires_at, s->absolute_expires_at, s->csrf,
                         s->csrf_len, s->provider, s->issuer, s->provider_sid,
                         s->provider_sub);
    if (err == DOOR_EEXISTS)
      err = door_detail_set(d, err, "session", "a session with this id exists",
                            NULL);
    if (!err && in->mode == DOOR_STORE_LOGIN_SIGNIN)
      err = door__sq_audit_insert(c, in->now, account, DOOR_AUDIT_LOGIN,
                                  in->provider, in->issuer,
                                  out->created ? "new account" : "sign-in", d);
    if (!err && in->tokens)
      err = keep_tokens(c, in, account, d);
  }
  for (i = 0; !err && i < in->n_tx; i++)
    err = tx_insert(c, &in->tx[i], account, d);
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
    err = tx_insert(c, &x->t[i], x->t[i].account_id, d);
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
