/* Helpers shared by the tickets and gate unit tests: tokens signed with an
 * arbitrary header and payload, a standard claim set, a gate over keys. */
#ifndef DOOR_TEST_TICKETS_TK_H
#define DOOR_TEST_TICKETS_TK_H

#include "doorauth/gate.h"
#include "jose/jose.h"
#include "util/json.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define TK_ISS "https://door.example.jp"
#define TK_EVENT "live-2025"
#define TK_NOW 1760000000LL
#define TK_HDR "{\"alg\":\"ES256\",\"typ\":\"door-participation+jwt\",\"kid\":"
#define TK_HDR_K1 TK_HDR "\"k1\"}"

/* Appends base64url(text). */
static inline void tk_b64(door_buf *b, const char *text, size_t len) {
  door__b64url_encode(text, len, b);
}

/* ES256 over "b64(hdr).b64(payload)" with `key`, R || S, into `out`
 * (reset first).  Returns 0 on success. */
static inline int tk_sign(const door_jwk *key, const char *hdr,
                          const char *payload, door_buf *out) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char der[80], rs[64];
  const unsigned char *p = der;
  size_t dl = sizeof der;
  ECDSA_SIG *es = NULL;
  const BIGNUM *r, *s;
  int rc = -1;
  door__buf_reset(out);
  tk_b64(out, hdr, strlen(hdr));
  door__buf_putc(out, '.');
  tk_b64(out, payload, strlen(payload));
  if (ctx &&
      EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, door__jwk_evp(key)) ==
          1 &&
      EVP_DigestSign(ctx, der, &dl, (const unsigned char *)out->data,
                     out->len) == 1 &&
      (es = d2i_ECDSA_SIG(NULL, &p, (long)dl)) != NULL) {
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32) {
      door__buf_putc(out, '.');
      door__b64url_encode(rs, 64, out);
      rc = 0;
    }
  }
  ECDSA_SIG_free(es);
  EVP_MD_CTX_free(ctx);
  return rc;
}

/* Same with a given raw signature (any length). */
static inline void tk_with_sig(const char *hdr, const char *payload,
                               const unsigned char *sig, size_t n,
                               door_buf *out) {
  door__buf_reset(out);
  tk_b64(out, hdr, strlen(hdr));
  door__buf_putc(out, '.');
  tk_b64(out, payload, strlen(payload));
  door__buf_putc(out, '.');
  door__b64url_encode(sig, n, out);
}

/* The standard claim set, with fields overridable. */
typedef struct tk_claims {
  const char *iss, *aud, *sub, *tier, *jti;
  long long iat, nbf, exp;
} tk_claims;

static inline tk_claims tk_default(void) {
  tk_claims c = {TK_ISS, TK_EVENT, "pairwise-sub-0001", "vip", "jti-0001",
                 TK_NOW, TK_NOW,   TK_NOW + 300};
  return c;
}

static inline void tk_put_num(door_buf *b, long long v) {
  door__buf_put_i64(b, v);
}

static inline void tk_payload(const tk_claims *c, door_buf *b) {
  door__buf_reset(b);
  door__buf_puts(b, "{\"iss\":\"");
  door__buf_puts(b, c->iss);
  door__buf_puts(b, "\",\"aud\":\"");
  door__buf_puts(b, c->aud);
  door__buf_puts(b, "\",\"sub\":\"");
  door__buf_puts(b, c->sub);
  door__buf_puts(b, "\",\"tier\":\"");
  door__buf_puts(b, c->tier);
  door__buf_puts(b, "\",\"iat\":");
  tk_put_num(b, c->iat);
  door__buf_puts(b, ",\"nbf\":");
  tk_put_num(b, c->nbf);
  door__buf_puts(b, ",\"exp\":");
  tk_put_num(b, c->exp);
  door__buf_puts(b, ",\"jti\":\"");
  door__buf_puts(b, c->jti);
  door__buf_puts(b, "\"}");
}

/* A P-256 key with `kid` (private). */
static inline door_jwk *tk_key(const char *kid) {
  door_jwk *k = NULL;
  return door__jwk_generate(DOOR_ALG_ES256, kid, &k) ? NULL : k;
}

/* The JWKS document of keys (public parts). */
static inline char *tk_jwks(door_jwk *const *keys, size_t n) {
  door_jwks *set = NULL;
  door_buf b;
  char *s = NULL;
  door__buf_init(&b, 1 << 20);
  if (!door__jwks_from_keys(keys, n, &set) && !door__jwks_to_json(set, 0, &b))
    s = door__buf_detach(&b);
  door__buf_free(&b);
  door__jwks_unref(set);
  return s;
}

/* A gate over `jwks` with the test issuer. */
static inline door_gate *tk_gate(const char *jwks, int single_use) {
  door_gate_options o;
  door_gate *g = NULL;
  door_gate_options_init(&o);
  o.issuer = TK_ISS;
  o.jwks = jwks;
  o.single_use = single_use;
  return door_gate_new(&o, &g, NULL) ? NULL : g;
}

/* Verify helper: token in a buffer, event TK_EVENT, now TK_NOW. */
static inline door_err tk_verify(door_gate *g, const door_buf *tok,
                                 door_detail *d) {
  door_gate_result r;
  return door_gate_verify(g, tok->data ? tok->data : "", tok->len, TK_EVENT,
                          TK_NOW, &r, d);
}

static inline door_err tk_verify_str(door_gate *g, const char *tok,
                                     door_detail *d) {
  door_gate_result r;
  return door_gate_verify(g, tok, strlen(tok), TK_EVENT, TK_NOW, &r, d);
}

#endif
