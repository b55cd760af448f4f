/* Signature verification: RS256, PS256, ES256 (with the range checks that
 * stop CVE-2022-21449 style forgeries before any crypto) and HS256.  The
 * OpenSSL work is jwk_ops.c's (prepared contexts of the key). */
#include "jose/jose_int.h"

#include <openssl/crypto.h>
#include <string.h>

/* The order n of the P-256 group, big-endian. */
static const unsigned char door__p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* 1 when 1 <= v < n for a 32-byte big-endian v. */
int door__p256_scalar_ok(const unsigned char *v) {
  unsigned char any = 0;
  size_t i;
  for (i = 0; i < 32; i++)
    any |= v[i];
  return any != 0 && memcmp(v, door__p256_n, 32) < 0;
}

/* DER INTEGER of a positive 32-byte big-endian value (not zero). */
static size_t door__der_int(unsigned char *o, const unsigned char *v) {
  size_t i = 0, n, pad;
  while (i < 31 && v[i] == 0)
    i++;
  n = 32 - i;
  pad = (v[i] & 0x80) ? 1 : 0;
  o[0] = 0x02;
  o[1] = (unsigned char)(n + pad);
  o[2] = 0;
  memcpy(o + 2 + pad, v + i, n);
  return 2 + pad + n;
}

/* R || S (each 32 bytes, already range checked) as a DER ECDSA-Sig-Value.
 * At most 2 + 2 * 35 = 72 bytes, so every length fits in one byte. */
size_t door__es256_der(const unsigned char *rs, unsigned char *der) {
  size_t n = 2;
  n += door__der_int(der + n, rs);
  n += door__der_int(der + n, rs + 32);
  der[0] = 0x30;
  der[1] = (unsigned char)(n - 2);
  return n;
}

door_err door__jws_verify_raw(const door_jwk *key, door_alg alg,
                              unsigned allowed, const char *signing_input,
                              size_t len, const unsigned char *sig,
                              size_t sig_len) {
  unsigned char der[DOOR_ES256_DER_MAX], mac[32];
  size_t dlen;
  door_err err;
  if (!key || (!signing_input && len) || (!sig && sig_len))
    return DOOR_EINVAL;
  if (!door__alg_is_single(alg))
    return DOOR_EALG_UNKNOWN;
  if (!(allowed & (unsigned)alg))
    return DOOR_EALG_NOT_ALLOWED;
  if (!(key->algs & (unsigned)alg))
    return DOOR_EALG_KEY_MISMATCH;
  switch (alg) {
  case DOOR_ALG_HS256:
    if (sig_len != 32)
      return DOOR_ESIG_LENGTH;
    err =
        door__jwk_op_hmac(key, (const unsigned char *)signing_input, len, mac);
    if (!err)
      err = CRYPTO_memcmp(mac, sig, 32) == 0 ? DOOR_OK : DOOR_ESIG_INVALID;
    OPENSSL_cleanse(mac, sizeof mac);
    return err;
  case DOOR_ALG_ES256:
    if (sig_len != 64)
      return DOOR_ESIG_LENGTH;
    if (!door__p256_scalar_ok(sig) || !door__p256_scalar_ok(sig + 32))
      return DOOR_ESIG_RANGE;
    dlen = door__es256_der(sig, der);
    return door__jwk_op_verify(key, alg, (const unsigned char *)signing_input,
                               len, der, dlen);
  case DOOR_ALG_RS256:
  case DOOR_ALG_PS256:
    if (sig_len != key->sig_len)
      return DOOR_ESIG_LENGTH;
    return door__jwk_op_verify(key, alg, (const unsigned char *)signing_input,
                               len, sig, sig_len);
  default:
    return DOOR_EALG_UNKNOWN;
  }
}

door_err door__jws_verify(const door_jws *jws, const door_jwk *key,
                          unsigned allowed) {
  if (!jws || !jws->signing_input)
    return DOOR_EINVAL;
  return door__jws_verify_raw(key, jws->alg, allowed, jws->signing_input,
                              jws->signing_input_len, jws->sig, jws->sig_len);
}

door_err door__jws_verify_jwks(const door_jws *jws, const door_jwks *set,
                               unsigned allowed, const door_jwk **used) {
  const door_jwk *key = NULL;
  door_err err;
  if (used)
    *used = NULL;
  if (!jws || !jws->signing_input || !set)
    return DOOR_EINVAL;
  if (!door__alg_is_single(jws->alg))
    return DOOR_EALG_UNKNOWN;
  if (!(allowed & (unsigned)jws->alg))
    return DOOR_EALG_NOT_ALLOWED;
  err = door__jwks_select(set, jws->kid, jws->alg, &key);
  if (err)
    return err;
  err = door__jws_verify(jws, key, allowed);
  if (!err && used)
    *used = key;
  return err;
}
