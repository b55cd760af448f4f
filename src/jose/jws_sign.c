/* door__jws_sign: compact JWS with a jansson-built header; ES256 outputs
 * raw R || S (32 bytes each, left-padded) as RFC 7518 section 3.4 wants. */
#include "jose/jose_int.h"
#include "util/json.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <string.h>

/* DER ECDSA-Sig-Value to 64 bytes R || S. */
static door_err door__es256_raw(const unsigned char *der, size_t len,
                                unsigned char *raw) {
  const unsigned char *p = der;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
  const BIGNUM *r = NULL, *s = NULL;
  door_err err = DOOR_ECRYPTO;
  if (!es)
    return DOOR_ECRYPTO;
  ECDSA_SIG_get0(es, &r, &s);
  if (r && s && BN_bn2binpad(r, raw, 32) == 32 &&
      BN_bn2binpad(s, raw + 32, 32) == 32)
    err = DOOR_OK;
  ECDSA_SIG_free(es);
  return err;
}

static door_err door__evp_sign(const door_jwk *key, door_alg alg,
                               const char *input, size_t len,
                               unsigned char *sig, size_t *sig_len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  unsigned char der[80];
  size_t n;
  door_err err = DOOR_ECRYPTO;
  if (!ctx)
    return DOOR_ENOMEM;
  if (EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key->pkey,
                            NULL) != 1)
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
  if (alg == DOOR_ALG_ES256) {
    n = sizeof der;
    if (EVP_DigestSign(ctx, der, &n, (const unsigned char *)input, len) != 1)
      goto out;
    err = door__es256_raw(der, n, sig);
    if (!err)
      *sig_len = 64;
  } else {
    n = DOOR_JWS_SIG_MAX;
    if (EVP_DigestSign(ctx, sig, &n, (const unsigned char *)input, len) != 1)
      goto out;
    *sig_len = n;
    err = DOOR_OK;
  }
out:
  EVP_MD_CTX_free(ctx);
  if (err)
    ERR_clear_error();
  return err;
}

/* {"alg":..., "kid":...} + header_extra, compact. */
static door_err door__sign_header(const door_jwk *key, door_alg alg,
                                  const json_t *extra, door_buf *out) {
  json_t *h = json_object();
  const char *name;
  json_t *v;
  door_err err = DOOR_OK;
  if (!h)
    return DOOR_ENOMEM;
  if (json_object_set_new(h, "alg", json_string(door__alg_name(alg))) ||
      (key->kid && json_object_set_new(h, "kid", json_string(key->kid)))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (extra) {
    if (!json_is_object(extra)) {
      err = DOOR_EINVAL;
      goto out;
    }
    json_object_foreach((json_t *)extra, name, v) {
      if (strcmp(name, "alg") == 0 || strcmp(name, "kid") == 0) {
        err = DOOR_EINVAL; /* alg and kid come from the key */
        goto out;
      }
      if (json_object_set(h, name, v)) {
        err = DOOR_ENOMEM;
        goto out;
      }
    }
  }
  err = door__json_dump(h, out);
out:
  json_decref(h);
  return err;
}

door_err door__jws_sign(const door_jwk *key, door_alg alg,
                        const json_t *header_extra, const char *payload,
                        size_t payload_len, door_buf *out) {
  unsigned char sig[DOOR_JWS_SIG_MAX];
  unsigned int maclen = 0;
  size_t start, sig_len = 0;
  door_buf hdr;
  door_err err;
  if (!key || !out || (!payload && payload_len))
    return DOOR_EINVAL;
  if (!door__alg_is_single(alg))
    return DOOR_EALG_UNKNOWN;
  if (!(key->algs & (unsigned)alg))
    return DOOR_EALG_KEY_MISMATCH;
  if (!key->is_private)
    return DOOR_EINVAL; /* a public key cannot sign */
  start = out->len;
  door__buf_init(&hdr, 4096);
  err = door__sign_header(key, alg, header_extra, &hdr);
  if (!err)
    err = door__b64url_encode(hdr.data, hdr.len, out);
  door__buf_free(&hdr);
  if (!err)
    err = door__buf_putc(out, '.');
  if (!err)
    err = door__b64url_encode(payload, payload_len, out);
  if (err)
    goto out;
  if (alg == DOOR_ALG_HS256) {
    if (!HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
              (const unsigned char *)out->data + start, out->len - start, sig,
              &maclen) ||
        maclen != 32) {
      ERR_clear_error();
      err = DOOR_ECRYPTO;
      goto out;
    }
    sig_len = 32;
  } else {
    err = door__evp_sign(key, alg, out->data + start, out->len - start, sig,
                         &sig_len);
    if (err)
      goto out;
  }
  err = door__buf_putc(out, '.');
  if (!err)
    err = door__b64url_encode(sig, sig_len, out);
out:
  OPENSSL_cleanse(sig, sizeof sig);
  if (err) {
    out->len = start;
    if (out->data)
      out->data[start] = '\0';
  }
  return err;
}
