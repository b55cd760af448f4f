/* JOSE module internals shared by its .c files (not for other modules). */
#ifndef DOOR_JOSE_INT_H
#define DOOR_JOSE_INT_H

#include "jose/jose.h"

#include <stdatomic.h>

/* Depth cap for JOSE JSON (headers, payloads, JWKs, JWK sets). */
#define DOOR_JOSE_JSON_DEPTH 16

/* Key sizes we accept (bits of the RSA modulus). */
#define DOOR_RSA_MIN_BITS 2048
#define DOOR_RSA_MAX_BITS 4096 /* signatures fit in DOOR_JWS_SIG_MAX */
/* Longest HMAC secret door__jwk_from_secret takes. */
#define DOOR_SECRET_MAX ((size_t)1 << 16)

struct door_jwk {
  atomic_uint refs;
  door_kty kty;
  door_alg alg;  /* the JWK's alg member, DOOR_ALG_UNKNOWN when absent */
  unsigned algs; /* what this key may verify or sign */
  int is_private;
  EVP_PKEY *pkey;        /* RSA or EC; NULL for oct */
  unsigned char *secret; /* oct only */
  size_t secret_len;
  size_t sig_len; /* RSA: modulus bytes; EC: 64; oct: 32 */
  char *kid;      /* NULL when none */
};

/* A new key object with one reference; takes ownership of pkey and kid
 * (both freed on failure). */
door_err door__jwk_new(door_kty kty, EVP_PKEY *pkey, char *kid, door_jwk **out);
char *door__strndup(const char *s, size_t n);
/* 1 when name[0..len) is "none" in any letter case. */
int door__alg_is_none(const char *name, size_t len);
/* Algorithms of a key type (before narrowing by alg). */
unsigned door__kty_algs(door_kty kty);

/* 1 when alg is exactly one supported algorithm. */
static inline int door__alg_is_single(door_alg alg) {
  return alg == DOOR_ALG_RS256 || alg == DOOR_ALG_PS256 ||
         alg == DOOR_ALG_ES256 || alg == DOOR_ALG_HS256;
}

#endif
