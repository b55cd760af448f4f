/* Signature verification: RS256, PS256, ES256 (with the range checks that
 * stop CVE-2022-21449 style forgeries before any crypto) and HS256. */
#include "jose/jose_int.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <string.h>

/* The order n of the P-256 group, big-endian. */
static const unsigned char door__p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* 1 when 1 <= v < n for a 32-byte big-endian v. */
static int door__p256_scalar_ok(const unsigned char *v) {
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
static size_t door__es256_der(const unsigned char *rs, unsigned char *der) {
  size_t n = 2;
  n += door__der_int(der + n, rs);
  n += door__der_int(der + n, rs + 32);
  der[0] = 0x30;
  der[1] = (unsigned char)(n - 2);
  return n;
}

static door_err door__evp_verify(EVP_PKEY *pkey, door_alg alg,
                                 const char *input, size_t len,
                                 const unsigned char *sig, size_t sig_len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  door_err err = DOOR_ECRYPTO;
  int rc;
  if (!ctx)
    return DOOR_ENOMEM;
  if (EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, pkey, NULL) !=
      1)
    goto out;
  if (alg == DOOR_ALG_PS256) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
      goto out;
  } else if (alg == DOOR_ALG_RS256) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
      goto out;
  }
  rc = EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input, len);
  err = rc == 1 ? DOOR_OK : DOOR_ESIG_INVALID;
out:
  EVP_MD_CTX_free(ctx);
  if (err)
    ERR_clear_error();
  return err;
}

door_err door__jws_verify_raw(const door_jwk *key, door_alg alg,
                              unsigned allowed, const char *signing_input,
                              size_t len, const unsigned char *sig,
                              size_t sig_len) {
  unsigned char der[72], mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  size_t dlen;
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
    if (!HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
              (const unsigned char *)signing_input, len, mac, &maclen) ||
        maclen != 32) {
      ERR_clear_error();
      return DOOR_ECRYPTO;
    }
    return CRYPTO_memcmp(mac, sig, 32) == 0 ? DOOR_OK : DOOR_ESIG_INVALID;
  case DOOR_ALG_ES256:
    if (sig_len != 64)
      return DOOR_ESIG_LENGTH;
    if (!door__p256_scalar_ok(sig) || !door__p256_scalar_ok(sig + 32))
      return DOOR_ESIG_RANGE;
    dlen = door__es256_der(sig, der);
    return door__evp_verify(key->pkey, alg, signing_input, len, der, dlen);
  case DOOR_ALG_RS256:
  case DOOR_ALG_PS256:
    if (sig_len != key->sig_len)
      return DOOR_ESIG_LENGTH;
    return door__evp_verify(key->pkey, alg, signing_input, len, sig, sig_len);
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
