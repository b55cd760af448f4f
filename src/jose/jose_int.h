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

/* The operations a key keeps a prepared OpenSSL context for (jwk_ops.c). */
typedef enum door__op {
  DOOR__OP_SIGN_RS256,
  DOOR__OP_SIGN_PS256,
  DOOR__OP_SIGN_ES256,
  DOOR__OP_VERIFY_RS256,
  DOOR__OP_VERIFY_PS256,
  DOOR__OP_VERIFY_ES256,
  DOOR__OP_COUNT
} door__op;

/* A protected header door__jws_sign built once for a key (jws_sign.c): the
 * base64url of what jansson dumped for {"alg", "kid", "typ"}, for one alg
 * and one typ (or none).  Immutable once published. */
#define DOOR__HDR_SLOTS 6
typedef struct door__hdr {
  door_alg alg;
  int has_typ;
  size_t typ_len;
  char *typ;   /* has_typ: typ_len bytes (may hold NULs, as jansson's) */
  size_t len;  /* of b64 */
  char b64[1]; /* allocated with the struct: len + 1 bytes */
} door__hdr;

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
  /* Caches of jwk_ops.c: built on first use, published once by
   * compare-and-swap, then only read (duplicated per call); freed with the
   * key.  Everything above is immutable once the key is shared. */
  _Atomic(EVP_MD *) md;                        /* SHA-256, fetched */
  _Atomic(EVP_PKEY_CTX *) ops[DOOR__OP_COUNT]; /* init + parameters done */
  _Atomic(EVP_MAC_CTX *) hmac;                /* oct keys: HMAC-SHA256, keyed */
  _Atomic(door__hdr *) hdrs[DOOR__HDR_SLOTS]; /* jws_sign.c; slots fill once */
};

/* A new key object with one reference; takes ownership of pkey and kid
 * (both freed on failure). */
door_err door__jwk_new(door_kty kty, EVP_PKEY *pkey, char *kid, door_jwk **out);
char *door__strndup(const char *s, size_t n);
/* 1 when name[0..len) is "none" in any letter case. */
int door__alg_is_none(const char *name, size_t len);
/* Algorithms of a key type (before narrowing by alg). */
unsigned door__kty_algs(door_kty kty);

/* jwk_ops.c.  door__jwk_ops_init on a new key, door__jwk_ops_free when
 * the last reference goes. */
void door__jwk_ops_init(door_jwk *key);
void door__jwk_ops_free(door_jwk *key);
/* Signs in[0..len) with SHA-256 and `alg` (RS256, PS256: the RSA signature;
 * ES256: R || S, 64 bytes) into sig[0..cap).  The caller has checked the
 * key allows alg and is private.  DOOR_ECRYPTO on any OpenSSL failure. */
door_err door__jwk_op_sign(const door_jwk *key, door_alg alg,
                           const unsigned char *in, size_t len,
                           unsigned char *sig, size_t cap, size_t *sig_len);
/* Verifies `sig` (RS256, PS256: the RSA signature; ES256: DER) over
 * in[0..len): DOOR_OK, DOOR_ESIG_INVALID, or DOOR_ECRYPTO / DOOR_ENOMEM when
 * the contexts cannot be built.  Length and range checks are the caller's. */
door_err door__jwk_op_verify(const door_jwk *key, door_alg alg,
                             const unsigned char *in, size_t len,
                             const unsigned char *sig, size_t sig_len);
/* HMAC-SHA256 of in[0..len) with an oct key's secret; mac gets 32 bytes. */
door_err door__jwk_op_hmac(const door_jwk *key, const unsigned char *in,
                           size_t len, unsigned char *mac);
/* Frees the header cache (jws_sign.c); from door__jwk_ops_free. */
void door__jws_hdr_free(door_jwk *key);
/* A DER ECDSA-Sig-Value (minimal DER, 1 <= r, s < n) to R || S, 64 bytes.
 * DOOR_ECRYPTO for anything else. */
door_err door__jwk_es256_der_to_raw(const unsigned char *der, size_t len,
                                    unsigned char *raw);

/* 1 when alg is exactly one supported algorithm. */
static inline int door__alg_is_single(door_alg alg) {
  return alg == DOOR_ALG_RS256 || alg == DOOR_ALG_PS256 ||
         alg == DOOR_ALG_ES256 || alg == DOOR_ALG_HS256;
}

#endif
