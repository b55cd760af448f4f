/* The refresh grant (RFC 6749 section 6; OIDC Core 12): new tokens for a
 * refresh token, through the outbound path as endpoint "refresh". */
#include "oidc/rp_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void door_login_tokens_clear(door_login_tokens *t) {
  if (!t)
    return;
  door__oidc_free_secret(t->access_token);
  door__oidc_free_secret(t->refresh_token);
  door__oidc_free_secret(t->id_token);
  free(t->scope);
  memset(t, 0, sizeof *t);
}

/* OIDC Core 12.2: an ID token in a refresh answer is validated like the
 * login's (signature, iss, aud, azp, times), without a nonce, and its sub
 * must be the account's. */
static door_err door__refresh_idt(door_provider *p, door_token_response *tr,
                                  const char *subject, door_detail *d) {
  door_idt_expect e;
  json_t *claims = NULL;
  const char *sub;
  door_err err;
  memset(&e, 0, sizeof e);
  e.issuer = p->s.issuer;
  e.client_id = p->s.client_id;
  e.allowed_algs = p->s.allowed_algs;
  e.refresh = 1;
  e.access_token = tr->access_token;
  e.now = door__rp_now(p->rp);
  e.leeway = p->rp->leeway;
  e.max_age = p->s.id_token_max_age;
  err = door__idtoken_validate(tr->id_token, &e, door__provider_verify, p,
                               &claims, d);
  if (err)
    return err;
  sub = json_string_value(json_object_get(claims, "sub"));
  if (subject && (!sub || strcmp(sub, subject) != 0))
    err = door_detail_set(d, DOOR_EIDT_SUB, "sub",
                          "the provider's refreshed ID token is about "
                          "another user",
                          "sign in again");
  json_decref(claims);
  return err;
}

door_err door_rp_refresh_expect(door_rp *rp, const char *provider,
                                const char *refresh_token, const char *subject,
                                door_txlog *tx, door_login_tokens *out,
                                door_detail *d) {
  door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  door_meta *meta = NULL;
  door_token_response tr;
  door_kvlist form;
  door_detail local;
  size_t i;
  int rotated;
  door_err err;
  if (!d)
    d = &local;
  door_detail_clear(d);
  memset(&tr, 0, sizeof tr);
  if (out)
    memset(out, 0, sizeof *out);
  if (!rp || !out || !refresh_token || !*refresh_token)
    return DOOR_EINVAL;
  if (!p)
    return door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, "provider",
                           "no provider of that name is configured", NULL);
  if (!(p->ops->caps & DOOR_PCAP_REFRESH))
    return door_detail_set(d, DOOR_EUNSUPPORTED, provider,
                           "this provider has no refresh grant",
                           "sign in again");
  door__kvlist_init(&form);
  if ((err = door__provider_meta(p, &meta, d)))
    goto out;
  if ((err = door__kvlist_add(&form, "grant_type", "refresh_token")) ||
      (err = door__kvlist_add(&form, "refresh_token", refresh_token)))
    goto out;
  err = door__token_post(p, meta, DOOR_TX_REFRESH, &form, 0, tx, &tr, d);
  if (err)
    goto out;
  if (tr.id_token && (err = door__refresh_idt(p, &tr, subject, d)))
    goto out;
  rotated = tr.refresh_token != NULL;
  out->access_token = tr.access_token;
  out->id_token = tr.id_token;
  out->scope = tr.scope;
  /* RFC 6749 6: a new refresh token replaces the old one; none sent: the
   * old one stays valid. */
  out->refresh_token =
      tr.refresh_token ? tr.refresh_token : strdup(refresh_token);
  tr.access_token = tr.id_token = tr.scope = tr.refresh_token = NULL;
  out->expires_at = tr.expires_in >= 0 ? door__rp_now(rp) + tr.expires_in : 0;
  if (!out->refresh_token) {
    door_login_tokens_clear(out);
    err = DOOR_ENOMEM;
    goto out;
  }
  door__log(rp->log, DOOR_LOG_INFO, "login.refreshed", "provider", p->s.name,
            "rotated", rotated ? "yes" : "no", NULL);
out:
  if (err) {
    if (d->code != err)
      door_detail_set(d, err, "refresh", door_strerror(err), NULL);
    door__login_log_fail(rp, "login.refresh_fail", provider, d);
  }
  for (i = 0; i < form.n; i++)
    OPENSSL_cleanse(form.items[i].value, strlen(form.items[i].value));
  door__kvlist_free(&form);
  door__token_response_clear(&tr);
  door__meta_unref(meta);
  return err;
}

door_err door_rp_refresh(door_rp *rp, const char *provider,
                         const char *refresh_token, door_txlog *tx,
                         door_login_tokens *out, door_detail *d) {
  return door_rp_refresh_expect(rp, provider, refresh_token, NULL, tx, out, d);
}
