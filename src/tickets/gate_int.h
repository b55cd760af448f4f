/* The gate's internals (src/tickets/gate*.c), shared with its tests, the
 * fuzz target and the benchmarks.  door-gate links these files alone (with
 * util/error, util/buf, util/json and the JOSE module): nothing here may
 * reach the store, the HTTP module or the configuration. */
#ifndef DOOR_TICKETS_GATE_INT_H
#define DOOR_TICKETS_GATE_INT_H

#include "doorauth/gate.h"
#include "jose/jose.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the strict reader (gate_read.c) -------------------------------------
 * Reads exactly the flat objects the broker writes.  DOOR_OK, or
 * DOOR_EJSON for anything else (the caller then names the reason with the
 * JOSE module's parser: the reader never decides a refusal's code). */

#define DOOR__GATE_ALG_MAX 16
#define DOOR__GATE_TYP_MAX 32

typedef struct door__gate_header {
  char alg[DOOR__GATE_ALG_MAX + 1];
  char typ[DOOR__GATE_TYP_MAX + 1];
  char kid[DOOR_GATE_KID_MAX + 1];
  size_t kid_len;
} door__gate_header;

typedef struct door__gate_claims {
  char iss[DOOR_GATE_ISS_MAX + 1];
  char aud[DOOR_GATE_AUD_MAX + 1];
  char sub[DOOR_GATE_SUB_MAX + 1];
  char tier[DOOR_GATE_TIER_MAX + 1];
  char jti[DOOR_GATE_JTI_MAX + 1];
  size_t iss_len, aud_len;
  int64_t iat, nbf, exp;
} door__gate_claims;

/* Largest integer claim the reader takes: 15 digits. */
#define DOOR__GATE_INT_MAX 999999999999999LL

/* {"alg","typ","kid"} in any order, each exactly once, strings only. */
door_err door__gate_read_header(const unsigned char *s, size_t len,
                                door__gate_header *out);
/* The eight claims, each exactly once, nothing else. */
door_err door__gate_read_claims(const unsigned char *s, size_t len,
                                door__gate_claims *out);
/* 1 when a decoded claim or kid value is acceptable: 1..cap bytes, no
 * control characters (both the reader and the diagnosis use this). */
int door__gate_value_ok(const char *s, size_t len, size_t cap);

/* ---- keys and signatures (gate_keys.c) ---------------------------------- */

#define DOOR__GATE_POOL 32 /* prepared contexts kept per key */

typedef struct door__gate_vctx {
  EVP_PKEY_CTX *pctx; /* EVP_PKEY_verify_init done */
  EVP_MD_CTX *mctx;
} door__gate_vctx;

typedef struct door__gate_key {
  char kid[DOOR_GATE_KID_MAX + 1];
  size_t kid_len;
  door_jwk *jwk; /* a reference */
  pthread_mutex_t mu;
  door__gate_vctx *pool[DOOR__GATE_POOL];
  size_t npool;
} door__gate_key;

typedef struct door__gate_keys {
  atomic_uint refs;
  EVP_MD *sha256; /* fetched once */
  size_t n;
  size_t skipped; /* keys of the set that cannot verify ES256 */
  door__gate_key *keys;
} door__gate_keys;

/* The ES256 keys with a kid of a parsed JWK set (others are counted in
 * skipped).  DOOR_EJWKS_INVALID when none is left. */
door_err door__gate_keys_new(const door_jwks *set, door__gate_keys **out,
                             door_detail *d);
/* Parses a JWKS document, then door__gate_keys_new. */
door_err door__gate_keys_parse(const char *json, size_t len,
                               door__gate_keys **out, door_detail *d);
door__gate_keys *door__gate_keys_ref(door__gate_keys *k);
void door__gate_keys_unref(door__gate_keys *k);
/* The key named kid[0..len), or NULL. */
door__gate_key *door__gate_keys_find(door__gate_keys *k, const char *kid,
                                     size_t len);
/* ES256 over input[0..len): SIG_LENGTH, SIG_RANGE, SIG_INVALID, or
 * ENOMEM/CRYPTO when a context could not be made. */
door_err door__gate_es256_verify(door__gate_keys *ks, door__gate_key *key,
                                 const char *input, size_t len,
                                 const unsigned char *sig, size_t sig_len);

/* ---- the in-memory single-use record (gate_jti.c) ----------------------- */

typedef struct door__gate_jti door__gate_jti;

/* At most `max` live entries (0: DOOR_GATE_JTI_MAX_DEFAULT). */
door_err door__gate_jti_new(size_t max, door__gate_jti **out);
void door__gate_jti_free(door__gate_jti *m);
/* DOOR_OK the first time (kept until expires_at), DOOR_EGATE_REPLAYED
 * while an earlier admission is live, DOOR_ETOOBIG when full. */
door_err door__gate_jti_admit(door__gate_jti *m, const char *event_id,
                              const char *jti, int64_t expires_at, int64_t now);
/* Live entries at `now`. */
size_t door__gate_jti_count(door__gate_jti *m, int64_t now);

/* ---- fetching a key set (gate_fetch.c) ---------------------------------- */

#define DOOR__GATE_JWKS_MAX ((size_t)256 << 10)

typedef struct door__gate_fetch {
  const char *url;
  const char *ca_file;
  int allow_insecure_loopback;
  long timeout_ms;
} door__gate_fetch;

/* GET url: 200 with a body of at most DOOR__GATE_JWKS_MAX bytes.
 * *max_age gets Cache-Control max-age, or -1 when absent.  The body is
 * malloc'ed, NUL-terminated. */
door_err door__gate_fetch_jwks(const door__gate_fetch *f, char **body,
                               size_t *len, int64_t *max_age, door_detail *d);
/* Reads a whole file of at most `max` bytes (malloc'ed, NUL-terminated). */
door_err door__gate_read_file(const char *path, size_t max, char **out,
                              size_t *len, door_detail *d);
/* Writes `data` to path atomically (a temporary file, synced, renamed)
 * with permissions `mode`. */
door_err door__gate_write_file(const char *path, const char *data, size_t len,
                               unsigned mode, door_detail *d);

#endif
