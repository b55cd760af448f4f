/* The store: argument checks and destructors for the records (audit,
 * one-time guards, signing keys, transmissions, provider tokens). */
#include "store/store_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* ---- audit ---- */

static const char *const audit_kinds[DOOR_AUDIT_KIND_COUNT_] = {
    "login", "link", "unlink", "logout", "account_create", "account_delete",
};

const char *door__store_audit_kind_name(door_store_audit_kind k) {
  if ((int)k < 0 || k >= DOOR_AUDIT_KIND_COUNT_)
    return NULL;
  return audit_kinds[k];
}

door_store_audit_kind door__store_audit_kind_of(const char *s) {
  int k;
  for (k = 0; s && k < DOOR_AUDIT_KIND_COUNT_; k++)
    if (strcmp(s, door__store_audit_kind_name((door_store_audit_kind)k)) == 0)
      return (door_store_audit_kind)k;
  return DOOR_AUDIT_KIND_COUNT_;
}

door_err door__store_state_reused(door_detail *d) {
  return door_detail_set(d, DOOR_ESTORE_DUPLICATE, "state",
                         "this login was completed before", NULL);
}

door_err door__store_jti_reused(door_detail *d) {
  return door_detail_set(d, DOOR_ESTORE_DUPLICATE, "jti",
                         "this ticket was admitted before", NULL);
}

door_err door__store_kid_err(door_err err, door_detail *d) {
  if (err == DOOR_EEXISTS)
    door_detail_set(d, err, "kid", "a signing key with this kid exists",
                    "give the new key a new kid");
  else if (err == DOOR_ENOTFOUND)
    door_detail_set(d, err, "kid", "no signing key with this kid", NULL);
  return err;
}

door_err door__store_no_tokens(door_detail *d) {
  return door_detail_set(d, DOOR_ENOTFOUND, "provider_tokens",
                         "no tokens stored for this account and provider",
                         NULL);
}

door_err door__store_audit_append(door_store *st, int64_t at,
                                  const char *account_id,
                                  door_store_audit_kind kind,
                                  const char *provider, const char *issuer,
                                  const char *detail, int64_t *id,
                                  door_detail *d) {
  int64_t dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!door__store_audit_kind_name(kind))
    return door_detail_set(d, DOOR_EINVAL, "kind", "unknown audit kind", NULL);
  err = door__store_maybe_account(account_id, d);
  if (!err)
    err = door__store_maybe(provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (!err)
    err = door__store_maybe(issuer, DOOR_STORE_ISSUER_MAX, "issuer", d);
  if (!err)
    err = door__store_maybe(detail, DOOR_STORE_TEXT_MAX, "detail", d);
  if (err)
    return err;
  return st->ops->audit_append(st, at, account_id, kind, provider, issuer,
                               detail, id ? id : &dummy, d);
}

door_err door__store_audit_list(door_store *st, const char *account_id,
                                size_t limit, door_store_audit **out, size_t *n,
                                door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out || !n)
    return door_detail_set(d, DOOR_EINVAL, "audit_list", "no output", NULL);
  *out = NULL;
  *n = 0;
  err = door__store_maybe_account(account_id, d);
  if (!err)
    err = door__store_check_limit(limit, d);
  if (err)
    return err;
  return st->ops->audit_list(st, account_id, limit, out, n, d);
}

void door__store_audits_free(door_store_audit *a, size_t n) {
  size_t i;
  if (!a)
    return;
  for (i = 0; i < n; i++) {
    free(a[i].account_id);
    free(a[i].provider);
    free(a[i].issuer);
    free(a[i].detail);
  }
  free(a);
}

/* ---- one-time guards ---- */

door_err door__store_state_consume(door_store *st, const char *key,
                                   int64_t expires_at, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need(key, DOOR_STORE_KEY_MAX, "key", d);
  if (err)
    return err;
  return st->ops->state_consume(st, key, expires_at, d);
}

door_err door__store_states_purge(door_store *st, int64_t now, uint64_t *n,
                                  door_detail *d) {
  uint64_t dummy;
  DOOR__STORE_CHECK(st, d);
  return st->ops->states_purge(st, now, n ? n : &dummy, d);
}

door_err door__store_jti_admit(door_store *st, const char *event_id,
                               const char *jti, int64_t expires_at, int64_t now,
                               int64_t *first_admitted_at, door_detail *d) {
  int64_t dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need(event_id, DOOR_STORE_KEY_MAX, "event_id", d);
  if (!err)
    err = door__store_need(jti, DOOR_STORE_KEY_MAX, "jti", d);
  if (err)
    return err;
  return st->ops->jti_admit(st, event_id, jti, expires_at, now,
                            first_admitted_at ? first_admitted_at : &dummy, d);
}

door_err door__store_jti_purge(door_store *st, int64_t now, uint64_t *n,
                               door_detail *d) {
  uint64_t dummy;
  DOOR__STORE_CHECK(st, d);
  return st->ops->jti_purge(st, now, n ? n : &dummy, d);
}

/* ---- signing keys ---- */

static door_err door__store_check_key(const door_store_signing_key_new *k,
                                      door_detail *d) {
  door_err err;
  if (!k)
    return door_detail_set(d, DOOR_EINVAL, "signing_key", "no key", NULL);
  err = door__store_need(k->kid, DOOR_STORE_KEY_MAX, "kid", d);
  if (!err)
    err = door__store_need(k->alg, DOOR_STORE_PROVIDER_MAX, "alg", d);
  if (!err)
    err = door__store_check_blob(k->private_pem, k->private_pem_len,
                                 "private_pem", d);
  if (!err && !k->private_pem_len)
    err =
        door_detail_set(d, DOOR_EINVAL, "private_pem", "no private key", NULL);
  if (!err && k->retire_at < 0)
    err = door_detail_set(d, DOOR_EINVAL, "retire_at", "negative time", NULL);
  return err;
}

door_err door__store_signing_key_put(door_store *st,
                                     const door_store_signing_key_new *k,
                                     door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_check_key(k, d);
  if (err)
    return err;
  return st->ops->signing_key_put(st, k, d);
}

door_err door__store_signing_key_add(door_store *st,
                                     const door_store_signing_key_new *k,
                                     door_store_key_mode mode, int64_t now,
                                     int64_t retire_others_at, int *added,
                                     door_detail *d) {
  int dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_check_key(k, d);
  if (!err &&
      (mode < DOOR_STORE_KEY_IF_NONE_SIGNS || mode > DOOR_STORE_KEY_IF_ABSENT))
    err = door_detail_set(d, DOOR_EINVAL, "mode", "unknown key mode", NULL);
  if (!err && mode == DOOR_STORE_KEY_ROTATE && retire_others_at <= 0)
    err = door_detail_set(d, DOOR_EINVAL, "retire_others_at",
                          "rotation needs a retirement time", NULL);
  if (err)
    return err;
  return st->ops->signing_key_add(st, k, mode, now, retire_others_at,
                                  added ? added : &dummy, d);
}

door_err door__store_signing_keys_list(door_store *st,
                                       door_store_signing_key **out, size_t *n,
                                       door_detail *d) {
  DOOR__STORE_CHECK(st, d);
  if (!out || !n)
    return door_detail_set(d, DOOR_EINVAL, "signing_keys_list", "no output",
                           NULL);
  *out = NULL;
  *n = 0;
  return st->ops->signing_keys_list(st, out, n, d);
}

door_err door__store_signing_key_retire(door_store *st, const char *kid,
                                        int64_t now, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need(kid, DOOR_STORE_KEY_MAX, "kid", d);
  if (err)
    return err;
  return st->ops->signing_key_retire(st, kid, now, d);
}

void door__store_signing_keys_free(door_store_signing_key *k, size_t n) {
  size_t i;
  if (!k)
    return;
  for (i = 0; i < n; i++) {
    free(k[i].kid);
    free(k[i].alg);
    if (k[i].private_pem)
      OPENSSL_cleanse(k[i].private_pem, k[i].private_pem_len);
    free(k[i].private_pem);
  }
  free(k);
}

/* ---- transmission records ---- */

door_err door__store_transmission_append(door_store *st,
                                         const door_store_transmission_new *t,
                                         int64_t *id, door_detail *d) {
  int64_t dummy;
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_check_transmission(t, d);
  if (err)
    return err;
  return st->ops->transmission_append(st, t, id ? id : &dummy, d);
}

door_err door__store_transmissions_purge(door_store *st, int64_t before,
                                         uint64_t *n, door_detail *d) {
  uint64_t dummy;
  DOOR__STORE_CHECK(st, d);
  return st->ops->transmissions_purge(st, before, n ? n : &dummy, d);
}

door_err door__store_transmissions_list(door_store *st, const char *account_id,
                                        size_t limit,
                                        door_store_transmission **out,
                                        size_t *n, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out || !n)
    return door_detail_set(d, DOOR_EINVAL, "transmissions_list", "no output",
                           NULL);
  *out = NULL;
  *n = 0;
  err = door__store_maybe_account(account_id, d);
  if (!err)
    err = door__store_check_limit(limit, d);
  if (err)
    return err;
  return st->ops->transmissions_list(st, account_id, limit, out, n, d);
}

void door__store_transmissions_free(door_store_transmission *t, size_t n) {
  size_t i;
  if (!t)
    return;
  for (i = 0; i < n; i++) {
    free(t[i].provider);
    free(t[i].endpoint);
    free(t[i].fields_json);
    free(t[i].purpose);
    free(t[i].account_id);
    free(t[i].outcome);
  }
  free(t);
}

/* ---- provider tokens ---- */

door_err door__store_tokens_put(door_store *st, const door_store_tokens_new *t,
                                door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_check_tokens(t, d);
  if (err)
    return err;
  return st->ops->tokens_put(st, t, d);
}

door_err door__store_tokens_get(door_store *st, const char *account_id,
                                const char *provider, door_store_tokens *out,
                                door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "tokens_get", "no output", NULL);
  memset(out, 0, sizeof *out);
  err = door__store_need_account(account_id, d);
  if (!err)
    err = door__store_need(provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (err)
    return err;
  return st->ops->tokens_get(st, account_id, provider, out, d);
}

door_err door__store_tokens_delete(door_store *st, const char *account_id,
                                   const char *provider, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  err = door__store_need_account(account_id, d);
  if (!err)
    err = door__store_need(provider, DOOR_STORE_PROVIDER_MAX, "provider", d);
  if (err)
    return err;
  return st->ops->tokens_delete(st, account_id, provider, d);
}

void door__store_tokens_clear(door_store_tokens *t) {
  if (!t)
    return;
  if (t->access_token)
    OPENSSL_cleanse(t->access_token, t->access_len);
  if (t->refresh_token)
    OPENSSL_cleanse(t->refresh_token, t->refresh_len);
  free(t->access_token);
  free(t->refresh_token);
  free(t->scope);
  memset(t, 0, sizeof *t);
}
