/* JOSE module (internal): strict base64url, compact JWS, JWK and JWK sets.
 *
 * Everything a token touches goes through here.  Rules that hold for every
 * function in this header:
 *  - strict input: base64url without padding, `+`, `/`, whitespace or
 *    non-zero trailing bits; JSON without duplicate member names and with a
 *    depth cap; compact JWS with exactly three segments and size caps;
 *  - keys come from the caller (never from a token header: `jwk`, `jku`,
 *    `x5u`, `x5c` are refused, and so is any `crit`);
 *  - the caller pins the algorithms (a bit mask of door_alg); `none`, in any
 *    letter case, never verifies; a key only verifies the algorithms of its
 *    type (an EC key never verifies HS* or RS*, an RSA public key can never be
 *    used as an HMAC secret);
 *  - every failure has its own door_err code; nothing fails open.
 *
 * Ownership: door_jwk and door_jwks are immutable once built and reference
 * counted, so one thread can swap a cached key set while others verify with
 * the old one (take a reference with *_ref, drop it with *_unref).  A
 * door_jws owns its parsed header and payload (door__jws_clear frees them)
 * and points into the caller's token string for the signing input: keep
 * the token alive while the door_jws is used.
 *
 * Threading: all functions are thread-safe on distinct objects; keys and key
 * sets may be shared between threads for verification and signing.
 */
#ifndef DOOR_JOSE_H
#define DOOR_JOSE_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* ---- algorithms --------------------------------------------------------- */

typedef enum door_alg {
  DOOR_ALG_UNKNOWN = 0,
  DOOR_ALG_RS256 = 1u << 0,
  DOOR_ALG_PS256 = 1u << 1,
  DOOR_ALG_ES256 = 1u << 2,
  DOOR_ALG_HS256 = 1u << 3,
} door_alg;

#define DOOR_ALG_ALL                                                           \
  (DOOR_ALG_RS256 | DOOR_ALG_PS256 | DOOR_ALG_ES256 | DOOR_ALG_HS256)

/* Exact, case-sensitive names ("RS256").  Returns DOOR_ALG_UNKNOWN for
 * anything else, including every spelling of "none". */
door_alg door__alg_from_name(const char *name, size_t len);
/* "RS256", ...; "unknown" for anything that is not one single algorithm. */
const char *door__alg_name(door_alg alg);
/* Parses a list such as "RS256 ES256" or "RS256,ES256" into a mask.
 * Refuses unknown names and "none" (DOOR_EALG_NONE), naming the word. */
door_err door__algs_parse(const char *list, unsigned *mask, door_detail *d);

/* ---- base64url (RFC 7515 section 2, strict) ----------------------------- */

/* Decoded size of `len` input characters (an upper bound). */
size_t door__b64url_decoded_len(size_t len);
/* Decodes exactly `len` characters.  DOOR_EB64 for any character outside
 * [A-Za-z0-9_-], for a length of 1 mod 4, or for non-zero trailing bits;
 * DOOR_ETOOBIG when the output does not fit in `cap`. */
door_err door__b64url_decode(const char *in, size_t len, unsigned char *out,
                             size_t cap, size_t *outlen);
/* Appends the unpadded base64url form of in[0..len) to `out`. */
door_err door__b64url_encode(const void *in, size_t len, door_buf *out);

/* ---- keys --------------------------------------------------------------- */

typedef enum door_kty {
  DOOR_KTY_RSA = 1,
  DOOR_KTY_EC = 2, /* P-256 only */
  DOOR_KTY_OCT = 3 /* HMAC secret */
} door_kty;

typedef struct door_jwk door_jwk;

/* Flags for door__jwk_parse. */
#define DOOR_JWK_PUBLIC_ONLY 0u   /* refuse d, p, q, dp, dq, qi, oth, k */
#define DOOR_JWK_ALLOW_PRIVATE 1u /* accept private RSA/EC keys (signing) */

/* Parses one JWK object.  RSA: n (a leading zero octet is tolerated, as
 * d-account publishes one), e, 2048 to 4096 bits (private: d, p, q, dp, dq,
 * qi all present and consistent); EC: crv P-256, x, y, on
 * the curve; oct: never from a JWKS (only door__jwk_from_secret).  `kid`,
 * `use` and `alg` are kept when present: `use` other than "sig" and an
 * `alg` of another family are errors. */
door_err door__jwk_parse(const json_t *jwk, unsigned flags, door_jwk **out,
                         door_detail *d);
/* A new private key: P-256 for DOOR_ALG_ES256, RSA 2048 for RS256/PS256.
 * `kid` may be NULL (no kid).  The key's alg member is set to `alg`. */
door_err door__jwk_generate(door_alg alg, const char *kid, door_jwk **out);
/* An HMAC (HS256) key from raw secret bytes; `kid` may be NULL.  Any
 * non-empty secret up to 64 KiB is taken (DOOR_EINVAL when empty,
 * DOOR_ETOOBIG above): RFC 7518 wants 32 bytes or more for HS256, but
 * providers key HS256 with the client secret, which may be shorter, so the
 * length is the configuration's business.  Only this function makes oct
 * keys: no JWK, JWKS or PEM ever becomes an HMAC secret. */
door_err door__jwk_from_secret(const void *secret, size_t len, const char *kid,
                               door_jwk **out);
/* A key from PEM (private or public, RSA or P-256: PKCS#8, SPKI, PKCS#1 or
 * SEC1).  Encrypted PEM is refused (DOOR_EJWK_INVALID), never prompted for;
 * RSA under 2048 bits is DOOR_EJWK_WEAK, other key types DOOR_EJWK_KTY. */
door_err door__jwk_from_pem(const char *pem, size_t len, const char *kid,
                            door_jwk **out, door_detail *d);
/* PEM (PKCS#8) of a private key, or SubjectPublicKeyInfo of a public one. */
door_err door__jwk_to_pem(const door_jwk *key, int private_part, door_buf *out);

/* Flags for the public JSON form. */
#define DOOR_JWK_OUT_OMIT_KID 1u /* leave kid out */
#define DOOR_JWK_OUT_OMIT_ALG 2u /* leave alg out */
#define DOOR_JWK_OUT_PAD_N 4u    /* RSA n with a leading zero octet */
/* The public JWK as a new JSON object (`use` "sig"); never private members.
 * Not defined for oct keys (DOOR_EINVAL). */
door_err door__jwk_public_json(const door_jwk *key, unsigned flags,
                               json_t **out);

door_jwk *door__jwk_ref(door_jwk *key);
void door__jwk_unref(door_jwk *key);

const char *door__jwk_kid(const door_jwk *key); /* NULL when none */
door_kty door__jwk_kty(const door_jwk *key);
/* Algorithms this key may verify or sign: by type, narrowed by its `alg`. */
unsigned door__jwk_algs(const door_jwk *key);
int door__jwk_is_private(const door_jwk *key);
/* The OpenSSL key (NULL for oct), owned by the JWK; for benchmarks and the
 * gate's pre-parsed fast path. */
EVP_PKEY *door__jwk_evp(const door_jwk *key);

/* ---- key sets ----------------------------------------------------------- */

typedef struct door_jwks door_jwks;

/* Parses a JWK set document (public keys only, at most 64 keys, 256 KiB).
 * Keys with `use` other than "sig" and of unsupported types are skipped and
 * counted (door__jwks_skipped); a malformed supported key is an error.  A set
 * with no usable key is DOOR_EJWKS_INVALID. */
door_err door__jwks_parse(const char *json, size_t len, door_jwks **out,
                          door_detail *d);
/* A set from keys (takes a reference on each). */
door_err door__jwks_from_keys(door_jwk *const *keys, size_t n, door_jwks **out);
size_t door__jwks_count(const door_jwks *set);
size_t door__jwks_skipped(const door_jwks *set);
const door_jwk *door__jwks_get(const door_jwks *set, size_t i);
/* Picks the key for a token: with a kid, the key with that kid
 * (DOOR_EKID_UNKNOWN if none) which must allow `alg`; without a kid, the one
 * key that allows `alg` (DOOR_EKID_AMBIGUOUS when several, DOOR_EKID_UNKNOWN
 * when none). */
door_err door__jwks_select(const door_jwks *set, const char *kid, door_alg alg,
                           const door_jwk **out);
/* The public JWKS document ({"keys":[...]}) with door__jwk_public_json
 * flags applied to every key. */
door_err door__jwks_to_json(const door_jwks *set, unsigned flags,
                            door_buf *out);
door_jwks *door__jwks_ref(door_jwks *set);
void door__jwks_unref(door_jwks *set);

/* ---- compact JWS -------------------------------------------------------- */

typedef struct door_jws_limits {
  size_t max_total;   /* whole token, bytes */
  size_t max_header;  /* encoded header segment */
  size_t max_payload; /* encoded payload segment */
  size_t max_sig;     /* encoded signature segment */
} door_jws_limits;

#define DOOR_JWS_LIMITS_DEFAULT                                                \
  { 16384, 2048, 12288, 1024 }
#define DOOR_JWS_SIG_MAX 512 /* decoded: RSA 4096 */

typedef struct door_jws {
  json_t *header;  /* owned; the protected header object */
  json_t *payload; /* owned; the payload, a JSON object */
  door_alg alg;
  const char *kid;           /* in header, or NULL */
  const char *typ;           /* in header, or NULL */
  const char *signing_input; /* the caller's token: header "." payload */
  size_t signing_input_len;
  unsigned char sig[DOOR_JWS_SIG_MAX];
  size_t sig_len;
} door_jws;

/* Parses a compact JWS.  Checks, in this order and each with its own code:
 * size caps (DOOR_EJWS_TOOBIG), three segments (DOOR_EJWS_SEGMENTS, found
 * without scanning past the third dot), base64url, header JSON object with a
 * string `alg` (none in any case: DOOR_EALG_NONE; unknown: DOOR_EALG_UNKNOWN),
 * `crit` (DOOR_EJWS_CRIT), key-supplying headers (DOOR_EJWS_KEYREF),
 * payload JSON object (DOOR_EJWS_PAYLOAD), duplicate members
 * (DOOR_EJSON_DUPKEY).  Does not verify the signature.  On failure `out` is
 * left cleared. */
door_err door__jws_parse(const char *token, size_t len,
                         const door_jws_limits *lim, door_jws *out,
                         door_detail *d);
void door__jws_clear(door_jws *jws);

/* Verifies the signature with `key`.  The token's alg must be in `allowed`
 * (DOOR_EALG_NOT_ALLOWED) and among the key's algorithms
 * (DOOR_EALG_KEY_MISMATCH).  ES256: exactly 64 bytes (DOOR_ESIG_LENGTH),
 * 1 <= r, s < n checked before any crypto (DOOR_ESIG_RANGE).  HS256: constant
 * time comparison.  Any other failure: DOOR_ESIG_INVALID. */
door_err door__jws_verify(const door_jws *jws, const door_jwk *key,
                          unsigned allowed);
/* The signature check of door__jws_verify on pieces: `sig` over
 * signing_input[0..len) for `alg`, with the same rules (allowed mask, key
 * algorithms, ES256 length and range, exact RSA length).  For callers that
 * split a token themselves (the gate's fast path) and for JWS whose payload
 * is not a JSON object (RFC 7520's examples). */
door_err door__jws_verify_raw(const door_jwk *key, door_alg alg,
                              unsigned allowed, const char *signing_input,
                              size_t len, const unsigned char *sig,
                              size_t sig_len);
/* door__jwks_select with the token's kid and alg, then door__jws_verify.
 * `used` (may be NULL) receives the key that verified. */
door_err door__jws_verify_jwks(const door_jws *jws, const door_jwks *set,
                               unsigned allowed, const door_jwk **used);

/* Signs `payload` (payload_len bytes, normally a JSON object) into a compact
 * JWS appended to `out`.  The header is {"alg":..., "kid": key's kid if any}
 * plus the members of `header_extra` (may be NULL; e.g. "typ"; "alg" and
 * "kid" in it are DOOR_EINVAL), compact; `alg` must be one of the key's
 * algorithms and the key private (DOOR_EINVAL otherwise).  ES256 writes R||S,
 * 64 bytes.  On failure `out` is left as it was. */
door_err door__jws_sign(const door_jwk *key, door_alg alg,
                        const json_t *header_extra, const char *payload,
                        size_t payload_len, door_buf *out);

/* door__jws_sign with header_extra {"typ": typ} (typ NULL: no typ), without
 * building a JSON object for it.  The header of each (alg, typ) is built by
 * jansson once per key and kept with the key (a few of them), for both
 * functions: signing then costs the payload's encoding and the signature. */
door_err door__jws_sign_typ(const door_jwk *key, door_alg alg, const char *typ,
                            const char *payload, size_t payload_len,
                            door_buf *out);

/* ES256 helpers shared with the gate's fast path: 1 when the 32-byte
 * big-endian scalar v satisfies 1 <= v < n (the P-256 order); and R || S
 * (64 bytes, both already range checked) as a DER ECDSA-Sig-Value written
 * to der (at least DOOR_ES256_DER_MAX bytes), returning its length. */
#define DOOR_ES256_DER_MAX 72
int door__p256_scalar_ok(const unsigned char *v);
size_t door__es256_der(const unsigned char *rs, unsigned char *der);

/* OIDC at_hash / c_hash for alg (left half of SHA-256 of `value`, base64url)
 * appended to `out`. */
door_err door__jose_half_hash(door_alg alg, const char *value, size_t len,
                              door_buf *out);

#endif
