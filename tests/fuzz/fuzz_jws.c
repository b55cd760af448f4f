/* libFuzzer target: door__jws_parse, then verification against a fixed key
 * set (RSA, EC P-256, HMAC; the keys of RFC 7515 and RFC 7520), plus the
 * strict base64url and JSON layers on the raw input.
 *
 * Invariants checked (abort() on violation, so the fuzzer reports it):
 *  - an algorithm list that parses names only supported algorithms;
 *  - whatever base64url decodes, encodes back to exactly the same text
 *    (strictness: one spelling per byte string);
 *  - JSON that parses dumps to JSON that parses again;
 *  - a parsed token has a known alg, a JSON object header and payload, and a
 *    signing input that is a prefix of the token;
 *  - a token that verifies used an allowed algorithm of the key's type, and
 *    an ES256 one had a 64-byte signature. */
#include "jose/jose.h"
#include "util/json.h"

#include "../unit/jose/vectors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static door_jwks *fuzz_set;

static door_jwk *jwk_from(const char *text, unsigned flags) {
  json_t *j = NULL;
  door_jwk *k = NULL;
  if (door__json_parse(text, strlen(text), 16, &j, NULL))
    abort();
  if (door__jwk_parse(j, flags, &k, NULL))
    abort();
  json_decref(j);
  return k;
}

static door_jwks *keys(void) {
  door_jwk *k[4];
  unsigned char secret[128];
  size_t n = 0, i;
  if (fuzz_set)
    return fuzz_set;
  k[0] = jwk_from(
      "{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
      "\",\"y\":\"" RFC7515_A3_Y "\"}",
      DOOR_JWK_PUBLIC_ONLY);
  k[1] = jwk_from("{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"" RFC7515_A2_N
                  "\",\"e\":\"AQAB\"}",
                  DOOR_JWK_PUBLIC_ONLY);
  k[2] = jwk_from("{\"kty\":\"RSA\",\"alg\":\"PS256\",\"kid\":\"" RFC7520_KID
                  "\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\"}",
                  DOOR_JWK_PUBLIC_ONLY);
  if (door__b64url_decode(RFC7515_A1_K, strlen(RFC7515_A1_K), secret,
                          sizeof secret, &n) ||
      door__jwk_from_secret(secret, n, "hs", &k[3]))
    abort();
  if (door__jwks_from_keys(k, 4, &fuzz_set))
    abort();
  for (i = 0; i < 4; i++)
    door__jwk_unref(k[i]);
  return fuzz_set;
}

static void check_b64(const uint8_t *data, size_t size) {
  unsigned char out[4096];
  size_t n = 0;
  door_buf b;
  if (size > 4096 ||
      door__b64url_decode((const char *)data, size, out, sizeof out, &n))
    return;
  door__buf_init(&b, 8192);
  if (door__b64url_encode(out, n, &b) || b.len != size ||
      (size && memcmp(b.data, data, size) != 0))
    abort();
  door__buf_free(&b);
}

static void check_json(const uint8_t *data, size_t size) {
  json_t *j = NULL, *again = NULL;
  door_buf b;
  if (door__json_parse((const char *)data, size, 16, &j, NULL))
    return;
  door__buf_init(&b, (size_t)4 << 20);
  if (door__json_dump(j, &b) ||
      door__json_parse(b.data, b.len, 16, &again, NULL) ||
      !json_equal(j, again))
    abort();
  json_decref(again);
  json_decref(j);
  door__buf_free(&b);
}

/* Allow-lists: a parsed mask is non-empty, known algorithms only. */
static void check_algs(const uint8_t *data, size_t size) {
  char list[256];
  unsigned mask = 0;
  if (size >= sizeof list || memchr(data, '\0', size))
    return;
  memcpy(list, data, size);
  list[size] = '\0';
  if (door__algs_parse(list, &mask, NULL) == DOOR_OK &&
      (mask == 0 || (mask & ~(unsigned)DOOR_ALG_ALL)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const door_jwks *set = keys();
  const char *tok = (const char *)data;
  const door_jwk *used = NULL;
  door_jws jws;
  size_t i;
  door_err err;

  check_b64(data, size);
  check_json(data, size);
  check_algs(data, size);
  if (door__jws_parse(tok, size, NULL, &jws, NULL))
    return 0;
  if (!json_is_object(jws.header) || !json_is_object(jws.payload) ||
      door__alg_name(jws.alg)[0] == 'u' || jws.signing_input != tok ||
      jws.signing_input_len >= size || tok[jws.signing_input_len] != '.')
    abort();
  err = door__jws_verify_jwks(&jws, set, DOOR_ALG_ALL, &used);
  if (!err && (!(door__jwk_algs(used) & (unsigned)jws.alg) ||
               (jws.alg == DOOR_ALG_ES256 && jws.sig_len != 64)))
    abort();
  for (i = 0; i < door__jwks_count(set); i++) {
    const door_jwk *k = door__jwks_get(set, i);
    err = door__jws_verify(&jws, k, DOOR_ALG_ALL);
    if (!err && !(door__jwk_algs(k) & (unsigned)jws.alg))
      abort();
    /* nothing verifies with an empty allow-list */
    if (door__jws_verify(&jws, k, 0) != DOOR_EALG_NOT_ALLOWED)
      abort();
  }
  door__jws_clear(&jws);
  return 0;
}
