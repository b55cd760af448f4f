/* Finish a login: check the callback against the sealed pending login,
 * exchange the code, validate the ID token, call userinfo.  The order of
 * the checks is the one documented in doorauth/login.h. */
#include "oidc/rp_int.h"
#include "util/json.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void door_login_result_clear(door_login_result *r) {
  if (!r)
    return;
  free(r->provider);
  free(r->issuer);
  free(r->subject);
  free(r->claims_json);
  free(r->return_to);
  free(r->link_account);
  door__oidc_free_secret(r->tokens.access_token);
  door__oidc_free_secret(r->tokens.refresh_token);
  door__oidc_free_secret(r->tokens.id_token);
  free(r->tokens.scope);
  free(r->clear_cookie);
  memset(r, 0, sizeof *r);
}

door_err door__login_replay_key(const char *state, door_buf *out) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  door_err err;
  SHA256((const unsigned char *)state, strlen(state), h);
  err = door__buf_puts(out, "login:");
  if (!err)
    err = door__b64url_encode(h, sizeof h, out);
  return err;
}

/* Pending login: exists in this browser, opens, unused, not expired, this
 * provider, its issuer. */
static door_err door__check_pending(door_rp *rp, const char *provider,
                                    const door_callback *cb,
                                    const char *cookie_header,
                                    door_pending *pend, door_provider **pp,
                                    door_login_result *out, door_detail *d) {
  door_buf name, del, key;
  const char *value;
  size_t vlen;
  door_err err;
  door__buf_init(&name, 128);
  door__buf_init(&del, 256);
  door__buf_init(&key, 128);
  err = door__pending_cookie_name(rp->secure, cb->state, &name);
  if (!err)
    err = door__pending_delete_cookie(door__buf_str(&name), rp->secure, &del);
  if (!err) {
    out->clear_cookie = door__buf_detach(&del);
    if (!out->clear_cookie)
      err = DOOR_ENOMEM;
  }
  if (err)
    goto out;
  if ((err = door__cookie_find(cookie_header, door__buf_str(&name), &value,
                               &vlen, d)) ||
      (err = door__pending_open(&rp->sealer, door__buf_str(&name), value, vlen,
                                pend, d)))
    goto out;
  err = door__login_replay_key(pend->state, &key);
  if (err)
    goto out;
  err = rp->replay.consume(rp->replay.ud, door__buf_str(&key),
                           pend->created_at + rp->login_timeout + rp->leeway);
  if (err) {
    if (err == DOOR_ELOGIN_REPLAYED)
      door_detail_set(d, err, "state", "this sign-in was already used",
                      "sign in again");
    else
      door_detail_set(d, err, "replay guard",
                      "could not check that this sign-in is used once",
                      "try again");
    goto out;
  }
  if ((err = door__pending_check_time(pend, door__rp_now(rp), rp->login_timeout,
                                      rp->leeway, d)))
    goto out;
  if (!provider || strcmp(pend->provider, provider) != 0) {
    err = door_detail_set(d, DOOR_ELOGIN_PROVIDER_MISMATCH, "provider",
                          "the answer came back to another provider's "
                          "address than the sign-in started with",
                          "start the sign-in again");
    goto out;
  }
  *pp = door__rp_provider(rp, provider);
  if (!*pp) {
    err = door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, "provider",
                          "this sign-in method is no longer configured", NULL);
    goto out;
  }
  if (strcmp(pend->issuer, (*pp)->s.issuer) != 0)
    err = door_detail_set(d, DOOR_ELOGIN_ISSUER_MISMATCH, "issuer",
                          "the sign-in started with another issuer than the "
                          "provider now has",
                          "start the sign-in again");
out:
  door__buf_free(&name);
  door__buf_free(&del);
  door__buf_free(&key);
  return err;
}

static door_err door__provider_error(door_rp *rp, door_provider *p,
                                     const door_callback *cb, door_detail *d) {
  char error[64], desc[192], where[96];
  const char *what = NULL, *hint = NULL;
  size_t n;
  door__oidc_safe_text(cb->error, error, sizeof error);
  door__oidc_safe_text(cb->error_description, desc, sizeof desc);
  door__log(rp->log, DOOR_LOG_WARN, "login.provider_error", "provider",
            p->s.name, "error", error, "error_description", desc, NULL);
  if (!(p->ops->describe_error &&
        p->ops->describe_error(p->state, error, &what, &hint))) {
    if (strcmp(error, "access_denied") == 0) {
      what = "the sign-in was cancelled or refused at the provider";
      hint = "sign in again and allow access";
    } else if (strcmp(error, "login_required") == 0 ||
               strcmp(error, "interaction_required") == 0 ||
               strcmp(error, "consent_required") == 0) {
      what = "the provider needs you to sign in or consent there first";
      hint = "sign in again";
    } else if (strcmp(error, "temporarily_unavailable") == 0 ||
               strcmp(error, "server_error") == 0) {
      what = "the provider could not handle the sign-in right now";
      hint = "try again in a few minutes";
    } else {
      what = "the provider refused the sign-in request";
      hint = "try again; if it keeps failing, contact support";
    }
  }
  memcpy(where, "error=", 6);
  n = strlen(error);
  memcpy(where + 6, error, n + 1);
  return door_detail_set(d, DOOR_ELOGIN_PROVIDER_ERROR, where, what, hint);
}

/* RFC 9207: the iss parameter, exact; required when declared. */
static door_err door__check_iss(const door_provider *p, const door_meta *m,
                                const door_callback *cb, door_detail *d) {
  if (cb->iss) {
    if (strcmp(cb->iss, p->s.issuer) != 0)
      return door_detail_set(d, DOOR_EISS_PARAM_MISMATCH, "iss",
                             "the answer names another issuer than this "
                             "provider (possible mix-up attack)",
                             "start the sign-in again");
    return DOOR_OK;
  }
  if (m->m.iss_parameter_supported)
    return door_detail_set(d, DOOR_EISS_PARAM_MISSING, "iss",
                           "the provider declares it sends iss, but the "
                           "answer has none",
                           "start the sign-in again");
  return DOOR_OK;
}

/* Merges userinfo claims under the ID token's, then keeps only the
 * configured claims (always sub). */
static door_err door__kept_claims(door_provider *p, json_t *claims,
                                  json_t *userinfo, char **out) {
  const door_strlist *keep = &p->cfg->keep_claims;
  json_t *kept = json_object(), *v;
  const char *k;
  door_buf b;
  size_t i;
  door_err err = DOOR_ENOMEM;
  door__buf_init(&b, 65536);
  if (!kept)
    goto out;
  if (userinfo)
    json_object_foreach(userinfo, k, v) {
      if (!json_object_get(claims, k) && json_object_set(claims, k, v))
        goto out;
    }
  if (p->ops->normalize_claims &&
      (err = p->ops->normalize_claims(p->state, claims, NULL)))
    goto out;
  if (json_object_set(kept, "sub", json_object_get(claims, "sub")))
    goto out;
  for (i = 0; i < keep->n; i++) {
    v = json_object_get(claims, keep->items[i]);
    if (v && json_object_set(kept, keep->items[i], v))
      goto out;
  }
  err = door__json_dump(kept, &b);
  if (!err) {
    *out = door__buf_detach(&b);
    if (!*out)
      err = DOOR_ENOMEM;
  }
out:
  json_decref(kept);
  door__buf_free(&b);
  return err;
}

static door_err door__take(char **dst, const char *src) {
  if (!src)
    return DOOR_OK;
  *dst = strdup(src);
  return *dst ? DOOR_OK : DOOR_ENOMEM;
}

static door_err door__fill_result(door_rp *rp, door_provider *p,
                                  const door_pending *pend,
                                  door_token_response *tr, json_t *claims,
                                  json_t *userinfo, door_login_result *out) {
  door_err err;
  if ((err = door__take(&out->provider, p->s.name)) ||
      (err = door__take(&out->issuer, p->s.issuer)) ||
      (err = door__take(&out->subject,
                        json_string_value(json_object_get(claims, "sub")))) ||
      (err = door__take(&out->return_to,
                        pend->return_to[0] ? pend->return_to : "/")) ||
      (err = door__take(&out->link_account,
                        pend->link_account[0] ? pend->link_account : NULL)) ||
      (err = door__kept_claims(p, claims, userinfo, &out->claims_json)))
    return err;
  /* The tokens move to the result. */
  out->tokens.access_token = tr->access_token;
  out->tokens.refresh_token = tr->refresh_token;
  out->tokens.id_token = tr->id_token;
  out->tokens.scope = tr->scope;
  tr->access_token = tr->refresh_token = tr->id_token = tr->scope = NULL;
  out->tokens.expires_at =
      tr->expires_in >= 0 ? door__rp_now(rp) + tr->expires_in : 0;
  return DOOR_OK;
}

door_err door_login_finish(door_rp *rp, const char *provider, const char *query,
                           const char *cookie_header, door_txlog *tx,
                           door_login_result *out, door_detail *d) {
  door_callback cb;
  door_pending pend;
  door_provider *p = NULL;
  door_meta *meta = NULL;
  door_token_response tr;
  door_idt_expect e;
  json_t *claims = NULL, *userinfo = NULL;
  door_detail local;
  door_err err;
  if (!d)
    d = &local;
  door_detail_clear(d);
  memset(&cb, 0, sizeof cb);
  memset(&pend, 0, sizeof pend);
  memset(&tr, 0, sizeof tr);
  if (out)
    memset(out, 0, sizeof *out);
  if (!rp || !out)
    return DOOR_EINVAL;
  if ((err = door__callback_parse(query, &cb, d)))
    goto out;
  if ((err = door__check_pending(rp, provider, &cb, cookie_header, &pend, &p,
                                 out, d)))
    goto out;
  if (cb.error && *cb.error) {
    err = door__provider_error(rp, p, &cb, d);
    goto out;
  }
  if ((err = door__provider_meta(p, &meta, d)) ||
      (err = door__check_iss(p, meta, &cb, d)))
    goto out;
  if ((err = door__token_exchange(p, meta, cb.code, &pend, tx, &tr, d)))
    goto out;
  if (tr.id_token) {
    memset(&e, 0, sizeof e);
    e.issuer = p->s.issuer;
    e.client_id = p->s.client_id;
    e.allowed_algs = p->s.allowed_algs;
    e.nonce = pend.nonce;
    e.access_token = tr.access_token;
    e.now = door__rp_now(rp);
    e.leeway = rp->leeway;
    e.max_age = p->s.id_token_max_age;
    if ((err = door__idtoken_validate(tr.id_token, &e, door__provider_verify, p,
                                      &claims, d)))
      goto out;
  } else {
    /* Only providers without DOOR_PCAP_OIDC get here (the parser requires
     * the id_token of the others): there is no subject to trust. */
    err = door_detail_set(d, DOOR_EID_TOKEN_MISSING, "id_token",
                          "the provider did not identify the user", NULL);
    goto out;
  }
  if (p->s.userinfo && (err = door__userinfo_fetch(
                            p, meta, tr.access_token,
                            json_string_value(json_object_get(claims, "sub")),
                            tx, &userinfo, d)))
    goto out;
  err = door__fill_result(rp, p, &pend, &tr, claims, userinfo, out);
  if (err)
    goto out;
  door__log(rp->log, DOOR_LOG_INFO, "login.ok", "provider", p->s.name, NULL);
out:
  if (err) {
    char *keep = out ? out->clear_cookie : NULL;
    if (d->code != err)
      door_detail_set(d, err, "finish", door_strerror(err), NULL);
    door__login_log_fail(rp, "login.fail", provider, d);
    if (out) {
      out->clear_cookie = NULL;
      door_login_result_clear(out);
      out->clear_cookie = keep;
    }
  }
  json_decref(claims);
  json_decref(userinfo);
  door__meta_unref(meta);
  door__token_response_clear(&tr);
  door__pending_clear(&pend);
  door__callback_clear(&cb);
  return err;
}
