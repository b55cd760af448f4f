/* Sessions: ids, cookies, CSRF tokens, lookup and start (see
 * doorauth/broker.h, Sessions and CSRF). */
#include "broker/broker_int.h"
#include "jose/jose.h"
#include "oidc/oidc.h"
#include "util/random.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

const char *door__session_cookie_name(int secure) {
  return secure ? DOOR_SESSION_COOKIE_SECURE : DOOR_SESSION_COOKIE_PLAIN;
}

const char *door__hint_cookie_name(int secure) {
  return secure ? DOOR_HINT_COOKIE_SECURE : DOOR_HINT_COOKIE_PLAIN;
}

door_err door__broker_set_cookie(const char *name, const char *value,
                                 int secure, int64_t max_age, door_buf *out) {
  door_err err;
  if (!name || !*name || !value)
    return DOOR_EINVAL;
  if ((err = door__buf_puts(out, name)) || (err = door__buf_putc(out, '=')) ||
      (err = door__buf_puts(out, value)) ||
      (err = door__buf_puts(out, "; Path=/; Max-Age=")) ||
      (err = door__buf_put_i64(out, max_age > 0 ? max_age : 0)) ||
      (err = door__buf_puts(out, "; HttpOnly; SameSite=Lax")))
    return err;
  if (secure)
    err = door__buf_puts(out, "; Secure");
  return err;
}

door_err door__broker_del_cookie(const char *name, int secure, door_buf *out) {
  return door__broker_set_cookie(name, "", secure, 0, out);
}

door_err door__session_id_new(char id[DOOR_SESSION_ID_LEN + 1],
                              uint8_t hash[DOOR_STORE_HASH_LEN]) {
  unsigned char raw[DOOR_SESSION_ID_BYTES];
  door_buf b;
  door_err err;
  if (door__random(raw, sizeof raw) != DOOR_OK)
    return DOOR_ERANDOM;
  door__buf_init(&b, DOOR_SESSION_ID_LEN + 1);
  err = door__b64url_encode(raw, sizeof raw, &b);
  OPENSSL_cleanse(raw, sizeof raw);
  if (!err && b.len != DOOR_SESSION_ID_LEN)
    err = DOOR_EINTERNAL;
  if (!err) {
    memcpy(id, b.data, DOOR_SESSION_ID_LEN + 1);
    err = door__store_session_hash(id, DOOR_SESSION_ID_LEN, hash);
  }
  if (b.data)
    OPENSSL_cleanse(b.data, b.len);
  door__buf_free(&b);
  return err;
}

door_err door__session_id_hash(const char *id, size_t len,
                               uint8_t hash[DOOR_STORE_HASH_LEN]) {
  char tmp[DOOR_SESSION_ID_LEN + 1];
  door_err err;
  if (!id || len != DOOR_SESSION_ID_LEN)
    return DOOR_EINVAL;
  memcpy(tmp, id, len);
  tmp[len] = '\0';
  err = door__oidc_is_b64url(tmp, DOOR_SESSION_ID_LEN)
            ? door__store_session_hash(tmp, len, hash)
            : DOOR_EINVAL;
  OPENSSL_cleanse(tmp, sizeof tmp);
  return err;
}

door_err door__csrf_token(const uint8_t *secret, size_t len,
                          char out[DOOR_CSRF_TOKEN_LEN + 1]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  door_buf b;
  door_err err;
  out[0] = '\0';
  if (!secret || len == 0)
    return DOOR_EINVAL;
  if (!HMAC(EVP_sha256(), secret, (int)len,
            (const unsigned char *)DOOR_CSRF_LABEL, strlen(DOOR_CSRF_LABEL),
            mac, &maclen) ||
      maclen != 32)
    return DOOR_ECRYPTO;
  door__buf_init(&b, DOOR_CSRF_TOKEN_LEN + 1);
  err = door__b64url_encode(mac, maclen, &b);
  OPENSSL_cleanse(mac, sizeof mac);
  if (!err && b.len != DOOR_CSRF_TOKEN_LEN)
    err = DOOR_EINTERNAL;
  if (!err)
    memcpy(out, b.data, DOOR_CSRF_TOKEN_LEN + 1);
  door__buf_free(&b);
  return err;
}

door_err door__csrf_verify(const uint8_t *secret, size_t len,
                           const char *token) {
  char want[DOOR_CSRF_TOKEN_LEN + 1];
  door_err err;
  if (!token || strlen(token) != DOOR_CSRF_TOKEN_LEN)
    return DOOR_EBROKER_CSRF;
  err = door__csrf_token(secret, len, want);
  if (!err && CRYPTO_memcmp(want, token, DOOR_CSRF_TOKEN_LEN) != 0)
    err = DOOR_EBROKER_CSRF;
  OPENSSL_cleanse(want, sizeof want);
  return err ? DOOR_EBROKER_CSRF : DOOR_OK;
}

door_err door__session_cookie_find(const char *cookie_header, int secure,
                                   const char **value, size_t *len) {
  if (door__cookie_find(cookie_header, door__session_cookie_name(secure), value,
                        len, NULL) != DOOR_OK)
    return DOOR_EBROKER_NO_SESSION;
  return DOOR_OK;
}

door_err door__session_lookup(door_broker *b, door__bgen *g,
                              const char *cookie_header,
                              door_store_session *out,
                              uint8_t hash[DOOR_STORE_HASH_LEN],
                              door_detail *d) {
  const char *v;
  size_t n;
  uint64_t t0;
  door_err err;
  memset(out, 0, sizeof *out);
  if (door__session_cookie_find(cookie_header, g->secure, &v, &n) ||
      door__session_id_hash(v, n, hash))
    return door_detail_set(d, DOOR_EBROKER_NO_SESSION, "session",
                           "this browser is not signed in", "sign in");
  err = DOOR__ST(b, t0, DOOR_M_ST_SESSION_GET,
                 door__store_session_get(b->store, hash, door__broker_now(b),
                                         g->cfg->broker.session_idle, out, d));
  if (err == DOOR_ENOTFOUND || err == DOOR_ESTORE_EXPIRED)
    return door_detail_set(d, DOOR_EBROKER_NO_SESSION, "session",
                           err == DOOR_ESTORE_EXPIRED
                               ? "the session has expired"
                               : "the session has ended",
                           "sign in again");
  return err;
}

/* The login's sid claim, read from the ID token finish validated. */
static door_err door__idt_sid(const char *id_token, char **sid) {
  static const door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  door_jws jws;
  const char *s;
  *sid = NULL;
  if (!id_token)
    return DOOR_OK;
  memset(&jws, 0, sizeof jws);
  if (door__jws_parse(id_token, strlen(id_token), &lim, &jws, NULL))
    return DOOR_OK; /* finish parsed it; nothing to add */
  s = json_string_value(json_object_get(jws.payload, "sid"));
  if (s && *s && strlen(s) <= DOOR_STORE_SID_MAX && !(*sid = strdup(s))) {
    door__jws_clear(&jws);
    return DOOR_ENOMEM;
  }
  door__jws_clear(&jws);
  return DOOR_OK;
}

/* Adds the logout-hint cookie (or its deletion) for a new session. */
static door_err door__hint_cookie(door_broker *b, door__bgen *g,
                                  const char *provider, const char *id_token,
                                  const uint8_t hash[DOOR_STORE_HASH_LEN],
                                  door_broker_reply *r) {
  const char *name = door__hint_cookie_name(g->secure);
  char *ep = NULL;
  door_buf v, c;
  door_err err = DOOR_OK;
  int keep = 0;
  door__buf_init(&v, DOOR_HINT_COOKIE_MAX);
  door__buf_init(&c, DOOR_HINT_COOKIE_MAX + 256);
  if (id_token && door__end_session_endpoint(b, g, provider, &ep, NULL) == 0)
    keep = door__hint_seal(g->hint_key, name, hash, provider, id_token, &v) ==
           DOOR_OK;
  free(ep);
  if (keep)
    err = door__broker_set_cookie(name, door__buf_str(&v), g->secure,
                                  g->cfg->broker.session_absolute, &c);
  else
    err = door__broker_del_cookie(name, g->secure, &c);
  if (!err)
    err = door__reply_cookie(r, &c);
  if (v.data)
    OPENSSL_cleanse(v.data, v.len);
  door__buf_free(&v);
  door__buf_free(&c);
  return err;
}

door_err door__session_prepare(door_broker *b, door__bgen *g,
                               const char *account_id, const char *provider,
                               const char *issuer, const char *sid,
                               const char *sub, const char *id_token,
                               door__session_prep *p) {
  int64_t now = door__broker_now(b);
  door_err err;
  memset(p, 0, sizeof *p);
  if ((err = door__session_id_new(p->id, p->hash)))
    return err;
  if (door__random(p->csrf, sizeof p->csrf) != DOOR_OK)
    return DOOR_ERANDOM;
  if (!sid && (err = door__idt_sid(id_token, &p->idt_sid)))
    return err;
  p->s.id_hash = p->hash;
  p->s.account_id = account_id;
  p->s.csrf = p->csrf;
  p->s.csrf_len = sizeof p->csrf;
  p->s.now = now;
  p->s.absolute_expires_at = now + g->cfg->broker.session_absolute;
  p->s.idle_expires_at = now + g->cfg->broker.session_idle;
  p->s.provider = provider;
  p->s.issuer = issuer;
  p->s.provider_sid = sid ? sid : p->idt_sid;
  p->s.provider_sub = sub;
  return DOOR_OK;
}

door_err door__session_cookies(door_broker *b, door__bgen *g,
                               const door__session_prep *p,
                               const char *provider, const char *id_token,
                               door_broker_reply *r) {
  door_buf c;
  door_err err;
  door__buf_init(&c, 512);
  err = door__broker_set_cookie(door__session_cookie_name(g->secure), p->id,
                                g->secure, g->cfg->broker.session_absolute, &c);
  if (!err)
    err = door__reply_cookie(r, &c);
  if (!err)
    err = door__hint_cookie(b, g, provider, id_token, p->hash, r);
  if (c.data)
    OPENSSL_cleanse(c.data, c.len);
  door__buf_free(&c);
  return err;
}

void door__session_prep_clear(door__session_prep *p) {
  if (!p)
    return;
  free(p->idt_sid);
  OPENSSL_cleanse(p, sizeof *p);
}

door_err door__session_start(door_broker *b, door__bgen *g,
                             const char *account_id, const char *provider,
                             const char *issuer, const char *sid,
                             const char *sub, const char *id_token,
                             door_broker_reply *r, door_detail *d) {
  door__session_prep p;
  uint64_t t0;
  door_err err = door__session_prepare(b, g, account_id, provider, issuer, sid,
                                       sub, id_token, &p);
  if (!err)
    err = DOOR__ST(b, t0, DOOR_M_ST_SESSION_CREATE,
                   door__store_session_create(b->store, &p.s, d));
  if (!err)
    err = door__session_cookies(b, g, &p, provider, id_token, r);
  door__session_prep_clear(&p);
  return err;
}
