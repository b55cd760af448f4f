/* libFuzzer target: JWK sets (door__jwks_parse) and single JWKs
 * (door__jwk_parse, public-only and private-allowed).
 *
 * Invariants checked (abort() on violation):
 *  - a parsed set has 1..64 keys, each RSA or EC, none private;
 *  - its published form (door__jwks_to_json, with and without a padded n)
 *    parses back to a set of the same size;
 *  - a public-only JWK is never private; a parsed key's public JSON has no
 *    private member and parses back. */
#include "jose/jose.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_set(const door_jwks *set) {
  size_t i, n = door__jwks_count(set);
  door_buf b;
  door_jwks *back = NULL;
  const door_jwk *k = NULL;
  if (n == 0 || n > 64)
    abort();
  for (i = 0; i < n; i++) {
    k = door__jwks_get(set, i);
    if (door__jwk_is_private(k) || door__jwk_kty(k) == DOOR_KTY_OCT ||
        !door__jwk_evp(k) || door__jwk_algs(k) == 0)
      abort();
    /* selection by the key's own kid finds a key */
    if (door__jwk_kid(k) &&
        door__jwks_select(set, door__jwk_kid(k),
                          door__jwk_kty(k) == DOOR_KTY_EC ? DOOR_ALG_ES256
                          : (door__jwk_algs(k) & DOOR_ALG_RS256)
                              ? DOOR_ALG_RS256
                              : DOOR_ALG_PS256,
                          &k) == DOOR_EKID_UNKNOWN)
      abort();
  }
  door__buf_init(&b, (size_t)1 << 20);
  if (door__jwks_to_json(set, DOOR_JWK_OUT_PAD_N, &b) ||
      door__jwks_parse(b.data, b.len, &back, NULL) ||
      door__jwks_count(back) != n)
    abort();
  door__jwks_unref(back);
  door__buf_reset(&b);
  if (door__jwks_to_json(set, 0, &b) ||
      door__jwks_parse(b.data, b.len, &back, NULL) ||
      door__jwks_count(back) != n)
    abort();
  door__jwks_unref(back);
  door__buf_free(&b);
}

static void check_key(const json_t *j, unsigned flags) {
  static const char *const priv[] = {"d",  "p",  "q",   "dp",
                                     "dq", "qi", "oth", "k"};
  door_jwk *k = NULL, *again = NULL;
  json_t *pub = NULL;
  size_t i;
  if (door__jwk_parse(j, flags, &k, NULL))
    return;
  if (flags == DOOR_JWK_PUBLIC_ONLY && door__jwk_is_private(k))
    abort();
  if (door__jwk_public_json(k, 0, &pub))
    abort();
  for (i = 0; i < 8; i++)
    if (json_object_get(pub, priv[i]))
      abort();
  if (door__jwk_parse(pub, DOOR_JWK_PUBLIC_ONLY, &again, NULL) ||
      door__jwk_algs(again) != door__jwk_algs(k))
    abort();
  door__jwk_unref(again);
  json_decref(pub);
  door__jwk_unref(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  door_jwks *set = NULL;
  json_t *j = NULL;
  if (door__jwks_parse((const char *)data, size, &set, NULL) == DOOR_OK) {
    check_set(set);
    door__jwks_unref(set);
  }
  if (size > ((size_t)64 << 10) ||
      door__json_parse((const char *)data, size, 16, &j, NULL))
    return 0;
  if (json_is_object(j)) {
    check_key(j, DOOR_JWK_PUBLIC_ONLY);
    check_key(j, DOOR_JWK_ALLOW_PRIVATE);
  }
  json_decref(j);
  return 0;
}
