/* The signed-in account: session lookup with identities, CSRF checks,
 * unlinking and logout (see doorauth/broker.h). */
#include "broker/broker_int.h"
#include "oidc/logout.h"
#include "oidc/oidc.h"
#include "util/json.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void door_broker_session_clear(door_broker_session *s) {
  size_t i;
  if (!s)
    return;
  for (i = 0; i < s->n_identities; i++) {
    free(s->identities[i].provider);
    free(s->identities[i].display_name);
    free(s->identities[i].issuer);
    free(s->identities[i].subject);
  }
  free(s->identities);
  OPENSSL_cleanse(s->csrf_token, sizeof s->csrf_token);
  memset(s, 0, sizeof *s);
}

static door_err door__fill_identities(door__bgen *g,
                                      const door_store_account *a,
                                      door_broker_session *out) {
  size_t i;
  if (!a->n_identities)
    return DOOR_OK;
  out->identities = calloc(a->n_identities, sizeof *out->identities);
  if (!out->identities)
    return DOOR_ENOMEM;
  for (i = 0; i < a->n_identities; i++) {
    const door_store_identity *s = &a->identities[i];
    door_broker_identity *t = &out->identities[i];
    out->n_identities = i + 1;
    t->linked_at = s->linked_at;
    t->last_login_at = s->last_login_at;
    if (!(t->provider = strdup(s->provider)) ||
        !(t->display_name = strdup(door__bgen_display(g, s->provider))) ||
        !(t->issuer = strdup(s->issuer)) || !(t->subject = strdup(s->subject)))
      return DOOR_ENOMEM;
  }
  return DOOR_OK;
}

static void door__copy_str(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap)
    n = cap - 1;
  if (n)
    memcpy(dst, src, n);
  dst[n] = '\0';
}

door_err door_broker_session_get(door_broker *b, const char *cookie_header,
                                 door_broker_session *out, door_detail *d) {
  door__bgen *g;
  door_store_session s;
  door_store_account a;
  uint8_t hash[DOOR_STORE_HASH_LEN];
  uint64_t t0;
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!b || !out)
    return DOOR_EINVAL;
  memset(&a, 0, sizeof a);
  g = door__bgen_get(b);
  err = door__session_lookup(b, g, cookie_header, &s, hash, d);
  if (err)
    goto out;
  err = DOOR__ST(b, t0, DOOR_M_ST_ACCOUNT_GET,
                 door__store_account_get(b->store, s.account_id, &a, d));
  if (err == DOOR_ENOTFOUND)
    err =
        door_detail_set(d, DOOR_EBROKER_NO_SESSION, "account",
                        "the account of this session is gone", "sign in again");
  if (err)
    goto out;
  memcpy(out->account_id, s.account_id, sizeof out->account_id);
  out->created_at = s.created_at;
  out->idle_expires_at = s.idle_expires_at;
  out->absolute_expires_at = s.absolute_expires_at;
  door__copy_str(out->provider, sizeof out->provider, s.provider);
  if ((err = door__csrf_token(s.csrf, s.csrf_len, out->csrf_token)) ||
      (err = door__fill_identities(g, &a, out)))
    goto out;
out:
  if (err)
    door_broker_session_clear(out);
  door__store_account_clear(&a);
  door__store_session_clear(&s);
  door__bgen_put(g);
  return err;
}

door_err door_broker_session_json(const door_broker_session *s, char **out) {
  json_t *o, *ids;
  door_buf b;
  size_t i;
  door_err err = DOOR_ENOMEM;
  if (!s || !out)
    return DOOR_EINVAL;
  *out = NULL;
  o = json_pack("{s:s, s:I, s:I, s:s}", "account_id", s->account_id,
                "created_at", (json_int_t)s->created_at, "expires_at",
                (json_int_t)(s->idle_expires_at < s->absolute_expires_at
                                 ? s->idle_expires_at
                                 : s->absolute_expires_at),
                "provider", s->provider);
  ids = json_array();
  door__buf_init(&b, (size_t)1 << 20);
  if (!o || !ids)
    goto out;
  for (i = 0; i < s->n_identities; i++) {
    const door_broker_identity *t = &s->identities[i];
    json_t *e =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "provider", t->provider,
                  "display_name", t->display_name, "issuer", t->issuer,
                  "subject", t->subject, "linked_at", (json_int_t)t->linked_at,
                  "last_login_at", (json_int_t)t->last_login_at);
    if (!e || json_array_append_new(ids, e))
      goto out;
  }
  if (json_object_set(o, "identities", ids))
    goto out;
  err = door__json_dump(o, &b);
  if (!err && !(*out = door__buf_detach(&b)))
    err = DOOR_ENOMEM;
out:
  json_decref(o);
  json_decref(ids);
  door__buf_free(&b);
  return err;
}

door_err door_broker_csrf_check(const door_broker_session *s,
                                const char *token) {
  size_t n;
  if (!s || !token)
    return DOOR_EBROKER_CSRF;
  n = strlen(token);
  if (n != DOOR_CSRF_TOKEN_LEN || strlen(s->csrf_token) != n ||
      CRYPTO_memcmp(s->csrf_token, token, n) != 0)
    return DOOR_EBROKER_CSRF;
  return DOOR_OK;
}

door_err door_broker_unlink(door_broker *b, const char *cookie_header,
                            const char *csrf_token, const char *provider,
                            const char *issuer, const char *subject,
                            door_detail *d) {
  door__bgen *g;
  door_store_session s;
  uint8_t hash[DOOR_STORE_HASH_LEN];
  uint64_t t0;
  door_err err;
  if (!b)
    return DOOR_EINVAL;
  if (!provider && !(issuer && subject))
    return door_detail_set(d, DOOR_EINVAL, "identity",
                           "name the identity to unlink", NULL);
  g = door__bgen_get(b);
  err = door__session_lookup(b, g, cookie_header, &s, hash, d);
  if (err)
    goto out;
  if (door__csrf_verify(s.csrf, s.csrf_len, csrf_token)) {
    err = door_detail_set(d, DOOR_EBROKER_CSRF, "csrf_token",
                          "the unlink request did not come from the account "
                          "page",
                          "go back to the account page and try again");
    goto out;
  }
  err =
      DOOR__ST(b, t0, DOOR_M_ST_UNLINK,
               door__store_unlink_identity(
                   b->store, s.account_id, issuer && subject ? NULL : provider,
                   issuer && subject ? issuer : NULL,
                   issuer && subject ? subject : NULL, door__broker_now(b), d));
  if (err == DOOR_ESTORE_LAST_IDENTITY)
    door_detail_set(d, err, "identity",
                    "the account's only sign-in method cannot be unlinked",
                    "link another sign-in method first");
  door__log(&g->log, err ? DOOR_LOG_WARN : DOOR_LOG_INFO, "broker.unlink",
            "account", s.account_id, "provider", provider, "result",
            err ? door_err_name(err) : "unlinked", NULL);
out:
  door__store_session_clear(&s);
  door__bgen_put(g);
  return err;
}

/* The provider URL of RP-initiated logout, when the session's provider has
 * an end-session endpoint; NULL otherwise. */
static char *door__logout_target(door_broker *b, door__bgen *g,
                                 const door_store_session *s,
                                 const uint8_t hash[DOOR_STORE_HASH_LEN],
                                 const char *cookie_header,
                                 const char *post_logout) {
  const char *name = door__hint_cookie_name(g->secure), *v;
  char *ep = NULL, *prov = NULL, *idt = NULL, *url = NULL;
  size_t n;
  door_txlog tx;
  door_buf u;
  door__buf_init(&u, 32768);
  if (!s->provider ||
      door__end_session_endpoint(b, g, s->provider, &ep, NULL) != DOOR_OK)
    goto out;
  if (door__cookie_find(cookie_header, name, &v, &n, NULL) != DOOR_OK ||
      door__hint_open(g->hint_key, name, hash, v, n, &prov, &idt) != DOOR_OK ||
      strcmp(prov, s->provider) != 0) {
    door__broker_free_secret(idt);
    idt = NULL; /* logout without a hint: the provider may ask */
  }
  door_txlog_init(&tx);
  if (door__rp_end_session_url(g->rp, s->provider, ep, idt, post_logout, NULL,
                               &tx, &u, NULL) == DOOR_OK)
    url = door__buf_detach(&u);
  door__broker_record(b, g, &tx, s->account_id); /* sent or refused */
out:
  free(ep);
  free(prov);
  door__broker_free_secret(idt);
  if (u.data)
    OPENSSL_cleanse(u.data, u.len);
  door__buf_free(&u);
  return url;
}

door_err door_broker_logout(door_broker *b, const char *cookie_header,
                            const char *csrf_token, door_broker_reply *out,
                            door_detail *d) {
  door__bgen *g;
  door_store_session s;
  uint8_t hash[DOOR_STORE_HASH_LEN];
  door_buf c, after;
  uint64_t t0;
  door_err err, e2;
  if (out)
    memset(out, 0, sizeof *out);
  if (!b || !out)
    return DOOR_EINVAL;
  memset(&s, 0, sizeof s);
  door__buf_init(&c, 512);
  door__buf_init(&after, 4096);
  g = door__bgen_get(b);
  err = door__session_lookup(b, g, cookie_header, &s, hash, d);
  if (!err && door__csrf_verify(s.csrf, s.csrf_len, csrf_token)) {
    err = door_detail_set(d, DOOR_EBROKER_CSRF, "csrf_token",
                          "the logout request did not come from a DOOR page",
                          "go back and try again");
    goto out; /* the session stays: the request was not the user's */
  }
  if ((e2 = door__buf_puts(&after, g->base)) ||
      (e2 = door__buf_puts(&after, "/logged-out"))) {
    err = e2;
    goto out;
  }
  if (!err) {
    err = DOOR__ST(b, t0, DOOR_M_ST_SESSION_DELETE,
                   door__store_session_delete(b->store, hash, d));
    if (err == DOOR_ENOTFOUND)
      err = DOOR_OK; /* ended meanwhile */
    if (!err) {
      atomic_fetch_add(&b->metrics.logouts, 1);
      DOOR__ST(b, t0, DOOR_M_ST_AUDIT,
               door__store_audit_append(b->store, door__broker_now(b),
                                        s.account_id, DOOR_AUDIT_LOGOUT,
                                        s.provider, s.issuer, "logout", NULL,
                                        NULL));
      out->location = door__logout_target(b, g, &s, hash, cookie_header,
                                          door__buf_str(&after));
      door__log(&g->log, DOOR_LOG_INFO, "broker.logout", "account",
                s.account_id, "provider", s.provider, "at_provider",
                out->location ? "yes" : "no", NULL);
    }
  }
  if (!out->location && !(out->location = door__buf_detach(&after)))
    e2 = DOOR_ENOMEM;
  else
    e2 = DOOR_OK;
  if (!e2)
    e2 = door__broker_del_cookie(door__session_cookie_name(g->secure),
                                 g->secure, &c);
  if (!e2)
    e2 = door__reply_cookie(out, &c);
  if (!e2)
    e2 = door__broker_del_cookie(door__hint_cookie_name(g->secure), g->secure,
                                 &c);
  if (!e2)
    e2 = door__reply_cookie(out, &c);
  if (!err)
    err = e2;
out:
  if (err && err != DOOR_EBROKER_NO_SESSION)
    door_broker_reply_clear(out);
  door__store_session_clear(&s);
  door__buf_free(&c);
  door__buf_free(&after);
  door__bgen_put(g);
  return err;
}
