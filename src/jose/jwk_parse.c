/* door__jwk_parse: one JWK object (RSA or EC P-256) into an EVP_PKEY, with
 * OSSL_PARAM_BLD + EVP_PKEY_fromdata (no deprecated RSA_/EC_KEY_ calls). */
#include "jose/jose_int.h"
#include "util/json.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <string.h>

/* Members that make a JWK private (RFC 7518 section 6). */
static const char *const door__private_members[] = {"d",  "p",  "q",   "dp",
                                                    "dq", "qi", "oth", "k"};

#define DOOR__NPRIV (sizeof door__private_members / sizeof(char *))

/* Room for one decoded RSA number: 4096 bits, a leading zero, and enough
 * slack to tell "too large" from "fits". */
#define DOOR__BN_CAP (DOOR_RSA_MAX_BITS / 8 + 2)

static door_err door__bad(door_detail *d, door_err code, const char *where,
                          const char *what) {
  return door_detail_set(d, code, where, what, NULL);
}

/* Decodes member `name` (a base64url string) into out[0..cap). */
static door_err door__member_b64(const json_t *jwk, const char *name,
                                 unsigned char *out, size_t cap, size_t *len,
                                 door_detail *d) {
  json_t *v = json_object_get(jwk, name);
  const char *s;
  door_err err;
  if (!v)
    return door__bad(d, DOOR_EJWK_INVALID, name, "required member missing");
  if (!json_is_string(v))
    return door__bad(d, DOOR_EJWK_INVALID, name, "member is not a string");
  s = json_string_value(v);
  err = door__b64url_decode(s, json_string_length(v), out, cap, len);
  if (err == DOOR_ETOOBIG)
    return door__bad(d, DOOR_ETOOBIG, name, "member is too long");
  if (err)
    return door__bad(d, DOOR_EJWK_INVALID, name, "member is not base64url");
  if (*len == 0)
    return door__bad(d, DOOR_EJWK_INVALID, name, "member is empty");
  return DOOR_OK;
}

/* Pushes member `name` as a big number under the OpenSSL name `param`. */
static door_err door__push_bn(OSSL_PARAM_BLD *bld, BIGNUM **keep,
                              const json_t *jwk, const char *name,
                              const char *param, door_detail *d) {
  unsigned char buf[DOOR__BN_CAP];
  size_t len = 0;
  door_err err = door__member_b64(jwk, name, buf, sizeof buf, &len, d);
  if (err)
    return err;
  *keep = BN_bin2bn(buf, (int)len, NULL);
  OPENSSL_cleanse(buf, sizeof buf);
  if (!*keep)
    return DOOR_ENOMEM;
  if (!OSSL_PARAM_BLD_push_BN(bld, param, *keep))
    return DOOR_ENOMEM;
  return DOOR_OK;
}

static door_err door__fromdata(const char *type, OSSL_PARAM_BLD *bld,
                               int selection, EVP_PKEY **pkey) {
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = NULL;
  int ok = 0;
  *pkey = NULL;
  if (!params)
    return DOOR_ENOMEM;
  ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
      EVP_PKEY_fromdata(ctx, pkey, selection, params) == 1)
    ok = 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  ERR_clear_error();
  return ok ? DOOR_OK : DOOR_ECRYPTO;
}

static door_err door__parse_rsa(const json_t *jwk, int priv, EVP_PKEY **pkey,
                                door_detail *d) {
  static const char *const crt[][2] = {
      {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
      {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
      {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
  };
  unsigned char n[DOOR__BN_CAP], e[9];
  size_t nlen = 0, elen = 0, i, ncrt = 0;
  const unsigned char *np;
  BIGNUM *bn_n = NULL, *bn_e = NULL, *bn_priv[6] = {0};
  OSSL_PARAM_BLD *bld = NULL;
  int bits;
  door_err err;

  *pkey = NULL;
  err = door__member_b64(jwk, "n", n, sizeof n, &nlen, d);
  if (err == DOOR_ETOOBIG)
    return door__bad(d, DOOR_EJWK_KTY, "n", "RSA modulus over 4096 bits");
  if (err)
    return err;
  np = n;
  /* d-account publishes n with one leading zero octet (a DER habit). */
  if (np[0] == 0 && nlen > 1) {
    np++;
    nlen--;
  }
  if (np[0] == 0)
    return door__bad(d, DOOR_EJWK_INVALID, "n",
                     "RSA modulus has more than one leading zero octet");
  bits = (int)nlen * 8;
  for (i = 0x80; i && !(np[0] & i); i >>= 1)
    bits--;
  if (bits < DOOR_RSA_MIN_BITS)
    return door_detail_set(d, DOOR_EJWK_WEAK, "n", "RSA key under 2048 bits",
                           "publish a key of 2048 bits or more");
  if (bits > DOOR_RSA_MAX_BITS)
    return door__bad(d, DOOR_EJWK_KTY, "n", "RSA modulus over 4096 bits");
  if (!(np[nlen - 1] & 1))
    return door__bad(d, DOOR_EJWK_INVALID, "n", "RSA modulus is even");

  err = door__member_b64(jwk, "e", e, sizeof e, &elen, d);
  if (err == DOOR_ETOOBIG)
    return door__bad(d, DOOR_EJWK_INVALID, "e", "RSA exponent over 64 bits");
  if (err)
    return err;
  if (!(e[elen - 1] & 1) || (elen == 1 && e[0] < 3) || e[0] == 0)
    return door__bad(d, DOOR_EJWK_INVALID, "e",
                     "RSA exponent must be odd, at least 3, no leading zero");

  bld = OSSL_PARAM_BLD_new();
  bn_n = BN_bin2bn(np, (int)nlen, NULL);
  bn_e = BN_bin2bn(e, (int)elen, NULL);
  if (!bld || !bn_n || !bn_e ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (priv) {
    if (json_object_get(jwk, "oth")) {
      err = door__bad(d, DOOR_EJWK_INVALID, "oth",
                      "multi-prime RSA keys are not supported");
      goto out;
    }
    err = door__push_bn(bld, &bn_priv[0], jwk, "d", OSSL_PKEY_PARAM_RSA_D, d);
    if (err)
      goto out;
    for (i = 0; i < 5; i++)
      if (json_object_get(jwk, crt[i][0]))
        ncrt++;
    if (ncrt != 5) { /* needed for a pairwise check, and for speed */
      err = door__bad(d, DOOR_EJWK_INVALID, "p",
                      "RSA private JWK needs p, q, dp, dq and qi");
      goto out;
    }
    for (i = 0; i < ncrt; i++) {
      err = door__push_bn(bld, &bn_priv[i + 1], jwk, crt[i][0], crt[i][1], d);
      if (err)
        goto out;
    }
  }
  err = door__fromdata("RSA", bld,
                       priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, pkey);
  if (err) {
    err = door__bad(d, DOOR_EJWK_INVALID, "n", "OpenSSL refused the RSA key");
    goto out;
  }
  if (priv) {
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, *pkey, NULL);
    int ok = c && EVP_PKEY_pairwise_check(c) == 1;
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    if (!ok) {
      EVP_PKEY_free(*pkey);
      *pkey = NULL;
      err = door__bad(d, DOOR_EJWK_INVALID, "d",
                      "RSA private key does not match its public key");
    }
  }
out:
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  for (i = 0; i < 6; i++)
    BN_clear_free(bn_priv[i]);
  return err;
}

static door_err door__parse_ec(const json_t *jwk, int priv, EVP_PKEY **pkey,
                               door_detail *d) {
  unsigned char pub[65], tmp[33];
  size_t len = 0;
  const char *crv = NULL;
  OSSL_PARAM_BLD *bld = NULL;
  BIGNUM *bn_d = NULL;
  EVP_PKEY_CTX *c = NULL;
  door_err err;
  int ok;

  *pkey = NULL;
  err = door__json_get_str(jwk, "crv", &crv);
  if (err)
    return door__bad(d, DOOR_EJWK_INVALID, "crv",
                     "crv missing or not a string");
  if (strcmp(crv, "P-256") != 0)
    return door__bad(d, DOOR_EJWK_KTY, "crv", "only curve P-256 is supported");
  pub[0] = 0x04;
  err = door__member_b64(jwk, "x", tmp, sizeof tmp, &len, d);
  if (!err && len != 32)
    err = door__bad(d, DOOR_EJWK_INVALID, "x", "x is not 32 bytes");
  if (err)
    return err == DOOR_ETOOBIG
               ? door__bad(d, DOOR_EJWK_INVALID, "x", "x is not 32 bytes")
               : err;
  memcpy(pub + 1, tmp, 32);
  err = door__member_b64(jwk, "y", tmp, sizeof tmp, &len, d);
  if (!err && len != 32)
    err = door__bad(d, DOOR_EJWK_INVALID, "y", "y is not 32 bytes");
  if (err)
    return err == DOOR_ETOOBIG
               ? door__bad(d, DOOR_EJWK_INVALID, "y", "y is not 32 bytes")
               : err;
  memcpy(pub + 33, tmp, 32);

  bld = OSSL_PARAM_BLD_new();
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                       "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                        sizeof pub)) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (priv) {
    err = door__member_b64(jwk, "d", tmp, sizeof tmp, &len, d);
    if (!err && len != 32)
      err = door__bad(d, DOOR_EJWK_INVALID, "d", "d is not 32 bytes");
    if (err == DOOR_ETOOBIG)
      err = door__bad(d, DOOR_EJWK_INVALID, "d", "d is not 32 bytes");
    if (err)
      goto out;
    bn_d = BN_bin2bn(tmp, 32, NULL);
    OPENSSL_cleanse(tmp, sizeof tmp);
    if (!bn_d || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn_d)) {
      err = DOOR_ENOMEM;
      goto out;
    }
  }
  err = door__fromdata("EC", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                       pkey);
  if (err) {
    err = door__bad(d, DOOR_EJWK_INVALID, "x",
                    "EC point is not on the P-256 curve");
    goto out;
  }
  c = EVP_PKEY_CTX_new_from_pkey(NULL, *pkey, NULL);
  ok = c && EVP_PKEY_public_check(c) == 1 &&
       (!priv || EVP_PKEY_pairwise_check(c) == 1);
  ERR_clear_error();
  if (!ok) {
    EVP_PKEY_free(*pkey);
    *pkey = NULL;
    err = door__bad(d, DOOR_EJWK_INVALID, priv ? "d" : "x",
                    priv ? "EC private key does not match its public key"
                         : "EC point is not a valid P-256 public key");
  }
out:
  EVP_PKEY_CTX_free(c);
  BN_clear_free(bn_d);
  OSSL_PARAM_BLD_free(bld);
  return err;
}

door_err door__jwk_parse(const json_t *jwk, unsigned flags, door_jwk **out,
                         door_detail *d) {
  const char *kty = NULL, *s = NULL;
  json_t *v;
  door_kty type;
  door_alg alg = DOOR_ALG_UNKNOWN;
  EVP_PKEY *pkey = NULL;
  char *kid = NULL;
  int priv = 0;
  size_t i;
  door_err err;

  *out = NULL;
  if (!json_is_object(jwk))
    return door__bad(d, DOOR_EJWK_INVALID, NULL, "JWK is not a JSON object");
  if (door__json_get_str(jwk, "kty", &kty))
    return door__bad(d, DOOR_EJWK_INVALID, "kty",
                     "kty missing or not a string");
  for (i = 0; i < DOOR__NPRIV; i++) {
    if (!json_object_get(jwk, door__private_members[i]))
      continue;
    if (!(flags & DOOR_JWK_ALLOW_PRIVATE))
      return door_detail_set(d, DOOR_EJWK_PRIVATE, door__private_members[i],
                             "private key member in a public JWK",
                             "publish only the public key");
    priv = 1;
  }
  v = json_object_get(jwk, "use");
  if (v && (!json_is_string(v) || strcmp(json_string_value(v), "sig") != 0))
    return door__bad(d, DOOR_EJWK_INVALID, "use", "key use is not \"sig\"");
  v = json_object_get(jwk, "kid");
  if (v && !json_is_string(v))
    return door__bad(d, DOOR_EJWK_INVALID, "kid", "kid is not a string");

  if (strcmp(kty, "RSA") == 0)
    type = DOOR_KTY_RSA;
  else if (strcmp(kty, "EC") == 0)
    type = DOOR_KTY_EC;
  else if (strcmp(kty, "oct") == 0)
    return door_detail_set(d, DOOR_EJWK_KTY, "kty",
                           "symmetric (oct) keys are never read from a JWK",
                           "configure HMAC secrets directly");
  else
    return door__bad(d, DOOR_EJWK_KTY, "kty", "unsupported key type");

  v = json_object_get(jwk, "alg");
  if (v) {
    if (!json_is_string(v))
      return door__bad(d, DOOR_EJWK_INVALID, "alg", "alg is not a string");
    s = json_string_value(v);
    if (door__alg_is_none(s, json_string_length(v)))
      return door__bad(d, DOOR_EALG_NONE, "alg", "key with alg none");
    alg = door__alg_from_name(s, json_string_length(v));
    if (alg == DOOR_ALG_UNKNOWN)
      return door__bad(d, DOOR_EALG_UNKNOWN, "alg", "unsupported key alg");
    if (!(door__kty_algs(type) & (unsigned)alg))
      return door__bad(d, DOOR_EALG_KEY_MISMATCH, "alg",
                       "key alg does not match its key type");
  }

  err = type == DOOR_KTY_RSA ? door__parse_rsa(jwk, priv, &pkey, d)
                             : door__parse_ec(jwk, priv, &pkey, d);
  if (err)
    return err;
  v = json_object_get(jwk, "kid");
  if (v) {
    kid = door__strndup(json_string_value(v), json_string_length(v));
    if (!kid) {
      EVP_PKEY_free(pkey);
      return DOOR_ENOMEM;
    }
  }
  err = door__jwk_new(type, pkey, kid, out);
  if (err)
    return err;
  if (alg != DOOR_ALG_UNKNOWN) {
    (*out)->alg = alg;
    (*out)->algs = (unsigned)alg;
  }
  return DOOR_OK;
}
