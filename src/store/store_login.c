/* The store: the login commit, batches of transmission records and the
 * checks they share with store.c and store_records.c (see store.h, "the
 * login commit"). */
#include "store/store_int.h"

#include <string.h>

door_err door__store_check_transmission(const door_store_transmission_new *t,
                                        door_detail *d) {
  door_err err;
  if (!t)
    return door_detail_set(d, DOOR_EINVAL, "transmission", "no record", NULL);
  err = door__store_need(t->provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (!err)
    err = door__store_need(t->endpoint, DOOR_STORE_TEXT_MAX, "endpoint", d);
  if (!err)
    err = door__store_check_json(t->fields_json, DOOR_STORE_TEXT_MAX, 1,
                                 "fields", d);
  if (!err)
    err = door__store_need(t->purpose, DOOR_STORE_TEXT_MAX, "purpose", d);
  if (!err)
    err = door__store_maybe_account(t->account_id, d);
  if (!err)
    err = door__store_need(t->outcome, DOOR_STORE_TEXT_MAX, "outcome", d);
  if (!err && (t->http_status < 0 || t->http_status > 999))
    err = door_detail_set(d, DOOR_EINVAL, "http_status",
                          "not an HTTP status (0..999)", NULL);
  return err;
}

door_err door__store_check_tokens(const door_store_tokens_new *t,
                                  door_detail *d) {
  door_err err;
  if (!t)
    return door_detail_set(d, DOOR_EINVAL, "tokens", "no tokens", NULL);
  err = door__store_need_account(t->account_id, d);
  if (!err)
    err = door__store_need(t->provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (!err)
    err = door__store_check_blob(t->access_token, t->access_len, "access_token",
                                 d);
  if (!err)
    err = door__store_check_blob(t->refresh_token, t->refresh_len,
                                 "refresh_token", d);
  if (!err)
    err = door__store_maybe(t->scope, DOOR_STORE_TEXT_MAX, "scope", d);
  if (!err && t->expires_at < 0)
    err = door_detail_set(d, DOOR_EINVAL, "expires_at", "negative time", NULL);
  return err;
}

door_err door__store_login_tokens(const door_store_login *in,
                                  const char *account_id,
                                  door_store_tokens_new *t, door_detail *d) {
  door_err err;
  memset(t, 0, sizeof *t);
  err = in->tokens(in->tokens_ud, account_id, t);
  if (err)
    return door_detail_set(d, err, "tokens",
                           "the provider tokens were not sealed",
                           "sign in again");
  if (!t->access_len)
    return DOOR_OK;
  t->account_id = account_id;
  t->provider = in->provider;
  t->now = in->now;
  return door__store_check_tokens(t, d);
}

door__store_ident door__store_login_ident(const door_store_login *in) {
  door__store_ident id;
  id.issuer = in->issuer;
  id.subject = in->subject;
  id.provider = in->provider;
  id.kept_claims_json = in->kept_claims_json;
  id.now = in->now;
  return id;
}

void door__store_login_account(const door_store_login *in,
                               door_store_login_result *out) {
  memcpy(out->account_id, in->link_account, DOOR_STORE_ID_LEN);
  out->account_id[DOOR_STORE_ID_LEN] = '\0';
}

door_err door__store_new_account(char out[DOOR_STORE_ID_LEN + 1],
                                 door_detail *d) {
  door_err err = door__store_new_account_id(out);
  if (err)
    return door_detail_set(d, err, "account_id", "no random bytes", NULL);
  return DOOR_OK;
}

door_err door__store_id_collided(door_detail *d) {
  return door_detail_set(d, DOOR_EINTERNAL, "account_id",
                         "new account id collided", "retry the login");
}

door_err door__store_link_owner(const char *owner, const char *account_id,
                                door_detail *d) {
  if (strcmp(owner, account_id) == 0)
    return DOOR_OK;
  return door_detail_set(d, DOOR_ESTORE_IDENTITY_TAKEN, "identity",
                         "this identity signs in to another account",
                         "unlink it there first, or delete that account");
}

door_err door__store_no_account(door_err err, door_detail *d) {
  if (err == DOOR_ENOTFOUND)
    door_detail_set(d, err, "account_id", "no such account", NULL);
  return err;
}

door_err door__store_check_session(door_store_session_new *c, int need_account,
                                   door_detail *d) {
  door_err err = DOOR_OK;
  if (!c->id_hash)
    err =
        door_detail_set(d, DOOR_EINVAL, "id_hash", "no session id hash", NULL);
  if (!err && need_account)
    err = door__store_need_account(c->account_id, d);
  if (!err && c->csrf_len > DOOR_STORE_CSRF_MAX)
    err = door_detail_set(d, DOOR_ETOOBIG, "csrf", "csrf value over its cap",
                          NULL);
  if (!err && c->csrf_len && !c->csrf)
    err = door_detail_set(d, DOOR_EINVAL, "csrf", "length without data", NULL);
  if (!err)
    err =
        door__store_maybe(c->provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (!err)
    err = door__store_maybe(c->issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_maybe(c->provider_sid, DOOR_STORE_SID_MAX, "provider_sid",
                            d);
  if (!err)
    err = door__store_maybe(c->provider_sub, DOOR_STORE_SUBJECT_MAX,
                            "provider_sub", d);
  if (err)
    return err;
  if (c->absolute_expires_at <= c->now || c->idle_expires_at <= c->now)
    return door_detail_set(d, DOOR_EINVAL, "session",
                           "session expiry is not after now", NULL);
  if (c->idle_expires_at > c->absolute_expires_at)
    c->idle_expires_at = c->absolute_expires_at;
  return DOOR_OK;
}

static door_err check_batch(const door_store_transmission_new *t, size_t n,
                            door_detail *d) {
  size_t i;
  door_err err;
  if (n > DOOR_STORE_TX_BATCH_MAX)
    return door_detail_set(d, DOOR_ETOOBIG, "transmissions",
                           "more records than one batch takes", NULL);
  if (n && !t)
    return door_detail_set(d, DOOR_EINVAL, "transmissions", "no records", NULL);
  for (i = 0; i < n; i++)
    if ((err = door__store_check_transmission(&t[i], d)))
      return err;
  return DOOR_OK;
}

door_err door__store_transmissions_append(door_store *st,
                                          const door_store_transmission_new *t,
                                          size_t n, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (n == 0)
    return door_detail_set(d, DOOR_EINVAL, "transmissions", "no records", NULL);
  err = check_batch(t, n, d);
  if (err)
    return err;
  return st->ops->transmissions_append(st, t, n, d);
}

door_err door__store_login_commit(door_store *st, const door_store_login *in,
                                  door_store_login_result *out,
                                  door_detail *d) {
  door_store_login c;
  door_err err = DOOR_OK;
  DOOR__STORE_CHECK(st, d);
  if (out)
    memset(out, 0, sizeof *out);
  if (!in || !out)
    return door_detail_set(d, DOOR_EINVAL, "login_commit", "no login", NULL);
  c = *in;
  if (c.mode != DOOR_STORE_LOGIN_SIGNIN && c.mode != DOOR_STORE_LOGIN_LINK &&
      c.mode != DOOR_STORE_LOGIN_FAILED)
    return door_detail_set(d, DOOR_EINVAL, "mode", "unknown login mode", NULL);
  err = door__store_maybe(c.state_key, DOOR_STORE_KEY_MAX, "state_key", d);
  if (!err)
    err = check_batch(c.tx, c.n_tx, d);
  if (err || c.mode == DOOR_STORE_LOGIN_FAILED)
    return err ? err : st->ops->login_commit(st, &c, out, d);
  err = door__store_need(c.issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_need(c.subject, DOOR_STORE_SUBJECT_MAX, "subject", d);
  if (!err)
    err = door__store_need(c.provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (!err && c.kept_claims_json)
    err = door__store_check_json(c.kept_claims_json, DOOR_STORE_CLAIMS_MAX, 0,
                                 "kept_claims", d);
  if (!err && c.mode == DOOR_STORE_LOGIN_LINK)
    err = door__store_need_account(c.link_account, d);
  if (!err) {
    c.session.account_id = NULL;
    c.session.now = c.now;
    err = door__store_check_session(&c.session, 0, d);
  }
  if (err)
    return err;
  return st->ops->login_commit(st, &c, out, d);
}

door_err door__store_state_used(door_store *st, const char *key, int *used,
                                door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!used)
    return door_detail_set(d, DOOR_EINVAL, "state_used", "no output", NULL);
  *used = 0;
  err = door__store_need(key, DOOR_STORE_KEY_MAX, "key", d);
  if (err)
    return err;
  return st->ops->state_used(st, key, used, d);
}
