/* libFuzzer target: the gate's verifier (door_gate_verify) and its strict
 * reader, checked against the JOSE module's full parser.
 *
 * The first byte picks a mode:
 *   'S'  HEADER 0x00 PAYLOAD: the target signs "b64(HEADER).b64(PAYLOAD)"
 *        with the key of RFC 7515 A.3 (kid "k1"), so that the fuzzer reaches
 *        everything after the signature with authentic tokens;
 *   'C'  the claims reader on raw bytes;   'H'  the header reader;
 *   else the rest of the input is a token.
 *
 * Invariants (abort() on violation):
 *  - whatever the strict reader takes, jansson parses to an object with
 *    exactly those members and the same values (the reader is never more
 *    permissive than the full parser);
 *  - a token the gate admits also passes a reference check built on
 *    door__jws_parse, door__jws_verify_jwks and jansson (same header, same
 *    claims, same rules), and the result holds its sub, tier, jti and exp;
 *  - a refusal zeroes the result and names a code of the error table;
 *  - a single-use gate admits an admitted token's jti only once. */
#include "doorauth/gate.h"
#include "jose/jose.h"
#include "tickets/gate_int.h"
#include "util/json.h"

#include "../unit/jose/vectors.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FZ_ISS "https://door.example.jp"
#define FZ_EVENT "live-2025"
#define FZ_NOW 1760000000LL
#define FZ_LEEWAY 30

static door_jwk *fz_priv;
static door_jwks *fz_set;
static door_gate *fz_gate, *fz_once;

static void fz_init(void) {
  static const char jwk[] =
      "{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
      "\",\"y\":\"" RFC7515_A3_Y "\",\"d\":\"" RFC7515_A3_D "\"}";
  static const char pub[] =
      "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\",\"crv\":\"P-256\",\"x\":"
      "\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}]}";
  door_gate_options o;
  json_t *j = NULL;
  if (fz_gate)
    return;
  if (door__json_parse(jwk, strlen(jwk), 4, &j, NULL) ||
      door__jwk_parse(j, DOOR_JWK_ALLOW_PRIVATE, &fz_priv, NULL) ||
      door__jwks_parse(pub, strlen(pub), &fz_set, NULL))
    abort();
  json_decref(j);
  door_gate_options_init(&o);
  o.issuer = FZ_ISS;
  o.jwks = pub;
  if (door_gate_new(&o, &fz_gate, NULL))
    abort();
  o.single_use = 1;
  o.jti_max = 1 << 20;
  if (door_gate_new(&o, &fz_once, NULL))
    abort();
}

/* ---- the reader against jansson --------------------------------------- */

static int fz_same_str(const json_t *o, const char *k, const char *v) {
  const json_t *s = json_object_get(o, k);
  return json_is_string(s) && strlen(v) == json_string_length(s) &&
         strcmp(json_string_value(s), v) == 0;
}

static int fz_same_int(const json_t *o, const char *k, int64_t v) {
  const json_t *n = json_object_get(o, k);
  return json_is_integer(n) && json_integer_value(n) == v;
}

static void fz_claims(const uint8_t *d, size_t n) {
  door__gate_claims c;
  json_t *j = NULL;
  if (door__gate_read_claims(d, n, &c) != DOOR_OK)
    return;
  if (door__json_parse((const char *)d, n, 4, &j, NULL) || !json_is_object(j) ||
      json_object_size(j) != 8 || !fz_same_str(j, "iss", c.iss) ||
      !fz_same_str(j, "aud", c.aud) || !fz_same_str(j, "sub", c.sub) ||
      !fz_same_str(j, "tier", c.tier) || !fz_same_str(j, "jti", c.jti) ||
      !fz_same_int(j, "iat", c.iat) || !fz_same_int(j, "nbf", c.nbf) ||
      !fz_same_int(j, "exp", c.exp) || c.iss_len != strlen(c.iss) ||
      c.aud_len != strlen(c.aud))
    abort();
  json_decref(j);
}

static void fz_header(const uint8_t *d, size_t n) {
  door__gate_header h;
  json_t *j = NULL;
  if (door__gate_read_header(d, n, &h) != DOOR_OK)
    return;
  if (door__json_parse((const char *)d, n, 4, &j, NULL) || !json_is_object(j) ||
      json_object_size(j) != 3 || !fz_same_str(j, "alg", h.alg) ||
      !fz_same_str(j, "typ", h.typ) || !fz_same_str(j, "kid", h.kid) ||
      h.kid_len != strlen(h.kid))
    abort();
  json_decref(j);
}

/* ---- the reference check ------------------------------------------------ */

static int fz_str_ok(const json_t *o, const char *k, size_t cap) {
  const json_t *s = json_object_get(o, k);
  return json_is_string(s) &&
         door__gate_value_ok(json_string_value(s), json_string_length(s), cap);
}

static int fz_int_ok(const json_t *o, const char *k, int64_t *v) {
  const json_t *n = json_object_get(o, k);
  if (!json_is_integer(n) || json_integer_value(n) < 0 ||
      json_integer_value(n) > DOOR__GATE_INT_MAX)
    return 0;
  *v = json_integer_value(n);
  return 1;
}

/* 1 when the JOSE module and jansson say the token should be admitted. */
static int fz_reference(const char *tok, size_t len) {
  door_jws jws;
  int64_t iat, nbf, exp;
  int ok;
  if (door__jws_parse(tok, len, NULL, &jws, NULL))
    return 0;
  ok = jws.alg == DOOR_ALG_ES256 && json_object_size(jws.header) == 3 &&
       fz_same_str(jws.header, "alg", "ES256") &&
       fz_same_str(jws.header, "typ", DOOR_GATE_TYP) &&
       fz_str_ok(jws.header, "kid", DOOR_GATE_KID_MAX) &&
       door__jws_verify_jwks(&jws, fz_set, DOOR_ALG_ES256, NULL) == DOOR_OK &&
       json_object_size(jws.payload) == 8 &&
       fz_str_ok(jws.payload, "iss", DOOR_GATE_ISS_MAX) &&
       fz_str_ok(jws.payload, "aud", DOOR_GATE_AUD_MAX) &&
       fz_str_ok(jws.payload, "sub", DOOR_GATE_SUB_MAX) &&
       fz_str_ok(jws.payload, "tier", DOOR_GATE_TIER_MAX) &&
       fz_str_ok(jws.payload, "jti", DOOR_GATE_JTI_MAX) &&
       fz_int_ok(jws.payload, "iat", &iat) &&
       fz_int_ok(jws.payload, "nbf", &nbf) &&
       fz_int_ok(jws.payload, "exp", &exp) &&
       fz_same_str(jws.payload, "iss", FZ_ISS) &&
       fz_same_str(jws.payload, "aud", FZ_EVENT) && FZ_NOW < exp + FZ_LEEWAY &&
       FZ_NOW >= nbf - FZ_LEEWAY && iat <= FZ_NOW + FZ_LEEWAY;
  door__jws_clear(&jws);
  return ok;
}

static void fz_token(const char *tok, size_t len) {
  door_gate_result r, r2;
  door_err err =
      door_gate_verify(fz_gate, tok, len, FZ_EVENT, FZ_NOW, &r, NULL);
  if ((unsigned)err >= (unsigned)DOOR_ERR_COUNT_)
    abort();
  if (err) {
    static const door_gate_result zero;
    if (memcmp(&r, &zero, sizeof r) != 0)
      abort();
    return;
  }
  if (!fz_reference(tok, len))
    abort();
  {
    door_jws jws;
    if (door__jws_parse(tok, len, NULL, &jws, NULL) ||
        !fz_same_str(jws.payload, "sub", r.sub) ||
        !fz_same_str(jws.payload, "tier", r.tier) ||
        !fz_same_str(jws.payload, "jti", r.jti) ||
        !fz_same_str(jws.header, "kid", r.kid) ||
        !fz_same_int(jws.payload, "exp", r.exp))
      abort();
    door__jws_clear(&jws);
  }
  /* single use: the first admission may have come from an earlier input
   * with the same jti; after this call the jti is taken for sure */
  err = door_gate_verify(fz_once, tok, len, FZ_EVENT, FZ_NOW, &r2, NULL);
  if (err != DOOR_OK && err != DOOR_EGATE_REPLAYED && err != DOOR_ETOOBIG)
    abort();
  if (door_gate_verify(fz_once, tok, len, FZ_EVENT, FZ_NOW, &r2, NULL) !=
          DOOR_EGATE_REPLAYED &&
      err != DOOR_ETOOBIG)
    abort();
}

/* Signs HEADER.PAYLOAD with the A.3 key (R || S) and verifies that. */
static void fz_signed(const uint8_t *d, size_t n) {
  const uint8_t *nul = memchr(d, 0, n);
  door_buf tok;
  EVP_MD_CTX *ctx;
  unsigned char der[80], rs[64];
  const unsigned char *p = der;
  size_t dl = sizeof der;
  ECDSA_SIG *es = NULL;
  const BIGNUM *r, *s;
  if (!nul)
    return;
  door__buf_init(&tok, 1 << 16);
  if (door__b64url_encode(d, (size_t)(nul - d), &tok) ||
      door__buf_putc(&tok, '.') ||
      door__b64url_encode(nul + 1, n - (size_t)(nul + 1 - d), &tok)) {
    door__buf_free(&tok);
    return; /* too big for the buffer: nothing to sign */
  }
  ctx = EVP_MD_CTX_new();
  if (!ctx ||
      EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
                         door__jwk_evp(fz_priv)) != 1 ||
      EVP_DigestSign(ctx, der, &dl, (const unsigned char *)tok.data, tok.len) !=
          1 ||
      !(es = d2i_ECDSA_SIG(NULL, &p, (long)dl)))
    abort();
  ECDSA_SIG_get0(es, &r, &s);
  if (BN_bn2binpad(r, rs, 32) != 32 || BN_bn2binpad(s, rs + 32, 32) != 32 ||
      door__buf_putc(&tok, '.') || door__b64url_encode(rs, 64, &tok))
    abort();
  fz_token(tok.data, tok.len);
  ECDSA_SIG_free(es);
  EVP_MD_CTX_free(ctx);
  door__buf_free(&tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_init();
  if (size == 0)
    return 0;
  switch (data[0]) {
  case 'S':
    fz_signed(data + 1, size - 1);
    break;
  case 'C':
    fz_claims(data + 1, size - 1);
    break;
  case 'H':
    fz_header(data + 1, size - 1);
    break;
  default:
    fz_token((const char *)data + 1, size - 1);
    break;
  }
  return 0;
}
