/* door_jwk: the key object, generation, HMAC secrets, PEM and the public
 * JWK form.  Parsing a JWK from JSON is in jwk_parse.c. */
#include "jose/jose_int.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

char *door__strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

unsigned door__kty_algs(door_kty kty) {
  switch (kty) {
  case DOOR_KTY_RSA:
    return DOOR_ALG_RS256 | DOOR_ALG_PS256;
  case DOOR_KTY_EC:
    return DOOR_ALG_ES256;
  case DOOR_KTY_OCT:
    return DOOR_ALG_HS256;
  }
  return 0;
}

static int door__pkey_has_bn(const EVP_PKEY *pkey, const char *name) {
  BIGNUM *bn = NULL;
  int ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1 && bn;
  BN_clear_free(bn);
  ERR_clear_error();
  return ok;
}

door_err door__jwk_new(door_kty kty, EVP_PKEY *pkey, char *kid,
                       door_jwk **out) {
  door_jwk *k;
  *out = NULL;
  k = calloc(1, sizeof *k);
  if (!k) {
    EVP_PKEY_free(pkey);
    free(kid);
    return DOOR_ENOMEM;
  }
  atomic_init(&k->refs, 1u);
  door__jwk_ops_init(k);
  k->kty = kty;
  k->alg = DOOR_ALG_UNKNOWN;
  k->algs = door__kty_algs(kty);
  k->pkey = pkey;
  k->kid = kid;
  if (kty == DOOR_KTY_RSA) {
    k->sig_len = (size_t)EVP_PKEY_get_size(pkey);
    k->is_private = door__pkey_has_bn(pkey, OSSL_PKEY_PARAM_RSA_D);
  } else if (kty == DOOR_KTY_EC) {
    k->sig_len = 64;
    k->is_private = door__pkey_has_bn(pkey, OSSL_PKEY_PARAM_PRIV_KEY);
  } else {
    k->sig_len = 32;
    k->is_private = 1;
  }
  *out = k;
  return DOOR_OK;
}

door_jwk *door__jwk_ref(door_jwk *key) {
  if (key)
    atomic_fetch_add_explicit(&key->refs, 1u, memory_order_relaxed);
  return key;
}

void door__jwk_unref(door_jwk *key) {
  if (!key)
    return;
  if (atomic_fetch_sub_explicit(&key->refs, 1u, memory_order_acq_rel) != 1u)
    return;
  door__jwk_ops_free(key);
  EVP_PKEY_free(key->pkey);
  if (key->secret)
    OPENSSL_clear_free(key->secret, key->secret_len);
  free(key->kid);
  free(key);
}

const char *door__jwk_kid(const door_jwk *key) { return key ? key->kid : NULL; }

door_kty door__jwk_kty(const door_jwk *key) { return key->kty; }

unsigned door__jwk_algs(const door_jwk *key) { return key ? key->algs : 0; }

int door__jwk_is_private(const door_jwk *key) {
  return key ? key->is_private : 0;
}

EVP_PKEY *door__jwk_evp(const door_jwk *key) { return key ? key->pkey : NULL; }

static door_err door__kid_dup(const char *kid, char **out) {
  *out = NULL;
  if (!kid)
    return DOOR_OK;
  *out = door__strndup(kid, strlen(kid));
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

/* Checks an OpenSSL key is one we support and wraps it (takes pkey). */
static door_err door__jwk_from_evp(EVP_PKEY *pkey, const char *kid,
                                   door_jwk **out, door_detail *d) {
  door_kty kty;
  char *kd = NULL;
  door_err err;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    int bits = EVP_PKEY_get_bits(pkey);
    kty = DOOR_KTY_RSA;
    if (bits < DOOR_RSA_MIN_BITS) {
      EVP_PKEY_free(pkey);
      return door_detail_set(d, DOOR_EJWK_WEAK, "key",
                             "RSA key under 2048 bits",
                             "use a key of 2048 bits or more");
    }
    if (bits > DOOR_RSA_MAX_BITS) {
      EVP_PKEY_free(pkey);
      return door_detail_set(d, DOOR_EJWK_KTY, "key", "RSA key over 4096 bits",
                             NULL);
    }
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64];
    size_t glen = 0;
    kty = DOOR_KTY_EC;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof group, &glen) != 1 ||
        strcmp(group, "prime256v1") != 0) {
      ERR_clear_error();
      EVP_PKEY_free(pkey);
      return door_detail_set(d, DOOR_EJWK_KTY, "key",
                             "EC key not on curve P-256", NULL);
    }
  } else {
    EVP_PKEY_free(pkey);
    return door_detail_set(d, DOOR_EJWK_KTY, "key",
                           "key is neither RSA nor EC P-256", NULL);
  }
  err = door__kid_dup(kid, &kd);
  if (err) {
    EVP_PKEY_free(pkey);
    return err;
  }
  return door__jwk_new(kty, pkey, kd, out);
}

door_err door__jwk_generate(door_alg alg, const char *kid, door_jwk **out) {
  EVP_PKEY *pkey = NULL;
  door_err err;
  *out = NULL;
  switch (alg) {
  case DOOR_ALG_ES256:
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    break;
  case DOOR_ALG_RS256:
  case DOOR_ALG_PS256:
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    break;
  case DOOR_ALG_HS256: {
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof secret) != 1) {
      ERR_clear_error();
      return DOOR_ERANDOM;
    }
    err = door__jwk_from_secret(secret, sizeof secret, kid, out);
    OPENSSL_cleanse(secret, sizeof secret);
    return err;
  }
  default:
    return DOOR_EALG_UNKNOWN;
  }
  if (!pkey) {
    ERR_clear_error();
    return DOOR_ECRYPTO;
  }
  err = door__jwk_from_evp(pkey, kid, out, NULL);
  if (err)
    return err;
  (*out)->alg = alg;
  (*out)->algs = (unsigned)alg;
  return DOOR_OK;
}

door_err door__jwk_from_secret(const void *secret, size_t len, const char *kid,
                               door_jwk **out) {
  door_jwk *k = NULL;
  char *kd = NULL;
  door_err err;
  *out = NULL;
  if (!secret || !len)
    return DOOR_EINVAL;
  if (len > DOOR_SECRET_MAX)
    return DOOR_ETOOBIG;
  err = door__kid_dup(kid, &kd);
  if (err)
    return err;
  err = door__jwk_new(DOOR_KTY_OCT, NULL, kd, &k);
  if (err)
    return err;
  k->secret = OPENSSL_malloc(len);
  if (!k->secret) {
    door__jwk_unref(k);
    return DOOR_ENOMEM;
  }
  memcpy(k->secret, secret, len);
  k->secret_len = len;
  k->alg = DOOR_ALG_HS256;
  *out = k;
  return DOOR_OK;
}

/* Encrypted PEM is refused rather than prompting for a passphrase. */
static int door__no_passphrase(char *pass, size_t pass_size, size_t *pass_len,
                               const OSSL_PARAM params[], void *arg) {
  (void)pass;
  (void)pass_size;
  (void)params;
  (void)arg;
  *pass_len = 0;
  return 0;
}

door_err door__jwk_from_pem(const char *pem, size_t len, const char *kid,
                            door_jwk **out, door_detail *d) {
  OSSL_DECODER_CTX *dctx;
  EVP_PKEY *pkey = NULL;
  const unsigned char *p = (const unsigned char *)pem;
  size_t left = len;
  int ok;
  *out = NULL;
  if (!pem || !len)
    return door_detail_set(d, DOOR_EINVAL, "key", "empty PEM", NULL);
  dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL, 0, NULL, NULL);
  if (!dctx) {
    ERR_clear_error();
    return DOOR_ECRYPTO;
  }
  OSSL_DECODER_CTX_set_passphrase_cb(dctx, door__no_passphrase, NULL);
  ok = OSSL_DECODER_from_data(dctx, &p, &left) == 1 && pkey;
  OSSL_DECODER_CTX_free(dctx);
  ERR_clear_error();
  if (!ok) {
    EVP_PKEY_free(pkey);
    return door_detail_set(d, DOOR_EJWK_INVALID, "key",
                           "not a PEM RSA or EC key (or encrypted)",
                           "give an unencrypted PKCS#8 or SPKI PEM");
  }
  return door__jwk_from_evp(pkey, kid, out, d);
}

door_err door__jwk_to_pem(const door_jwk *key, int private_part,
                          door_buf *out) {
  BIO *bio;
  char *data = NULL;
  long n;
  int ok;
  door_err err;
  if (!key || !key->pkey)
    return DOOR_EINVAL;
  if (private_part && !key->is_private)
    return DOOR_EINVAL;
  bio = BIO_new(private_part ? BIO_s_secmem() : BIO_s_mem());
  if (!bio)
    return DOOR_ENOMEM;
  if (private_part)
    ok = PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL);
  else
    ok = PEM_write_bio_PUBKEY(bio, key->pkey);
  n = BIO_get_mem_data(bio, &data);
  if (ok != 1 || n <= 0) {
    ERR_clear_error();
    BIO_free(bio);
    return DOOR_ECRYPTO;
  }
  err = door__buf_append(out, data, (size_t)n);
  BIO_free(bio);
  return err;
}

/* Appends the base64url of a big number to a JSON object as `name`:
 * `pad` bytes wide (left-padded) when pad > 0, else minimal, with a leading
 * zero octet when lead0. */
static door_err door__json_set_bn(json_t *obj, const char *name,
                                  const BIGNUM *bn, int pad, int lead0) {
  unsigned char raw[1 + DOOR_RSA_MAX_BITS / 8];
  int n = BN_num_bytes(bn);
  size_t off = lead0 ? 1 : 0;
  door_buf b;
  door_err err;
  if (pad > 0) {
    if (n > pad || pad > (int)sizeof raw - 1)
      return DOOR_EINTERNAL;
    n = pad;
  }
  if (n <= 0 || (size_t)n + off > sizeof raw)
    return DOOR_EINTERNAL;
  raw[0] = 0;
  if (BN_bn2binpad(bn, raw + off, n) != n)
    return DOOR_ECRYPTO;
  door__buf_init(&b, 1024);
  err = door__b64url_encode(raw, (size_t)n + off, &b);
  if (!err && json_object_set_new(obj, name,
                                  json_stringn(door__buf_str(&b), b.len)) != 0)
    err = DOOR_ENOMEM;
  door__buf_free(&b);
  return err;
}

static door_err door__get_bn(const EVP_PKEY *pkey, const char *name,
                             BIGNUM **bn) {
  *bn = NULL;
  if (EVP_PKEY_get_bn_param(pkey, name, bn) != 1 || !*bn) {
    ERR_clear_error();
    return DOOR_ECRYPTO;
  }
  return DOOR_OK;
}

door_err door__jwk_public_json(const door_jwk *key, unsigned flags,
                               json_t **out) {
  json_t *o;
  BIGNUM *a = NULL, *b = NULL;
  door_err err = DOOR_OK;
  *out = NULL;
  if (!key || key->kty == DOOR_KTY_OCT || !key->pkey)
    return DOOR_EINVAL;
  o = json_object();
  if (!o)
    return DOOR_ENOMEM;
  if (json_object_set_new(
          o, "kty", json_string(key->kty == DOOR_KTY_RSA ? "RSA" : "EC")) ||
      json_object_set_new(o, "use", json_string("sig"))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (!(flags & DOOR_JWK_OUT_OMIT_ALG) && key->alg != DOOR_ALG_UNKNOWN &&
      json_object_set_new(o, "alg", json_string(door__alg_name(key->alg)))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (!(flags & DOOR_JWK_OUT_OMIT_KID) && key->kid &&
      json_object_set_new(o, "kid", json_string(key->kid))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (key->kty == DOOR_KTY_RSA) {
    err = door__get_bn(key->pkey, OSSL_PKEY_PARAM_RSA_N, &a);
    if (err)
      goto out;
    err = door__get_bn(key->pkey, OSSL_PKEY_PARAM_RSA_E, &b);
    if (err)
      goto out;
    err = door__json_set_bn(o, "n", a, 0, (flags & DOOR_JWK_OUT_PAD_N) != 0);
    if (err)
      goto out;
    err = door__json_set_bn(o, "e", b, 0, 0);
  } else {
    if (json_object_set_new(o, "crv", json_string("P-256"))) {
      err = DOOR_ENOMEM;
      goto out;
    }
    err = door__get_bn(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &a);
    if (err)
      goto out;
    err = door__get_bn(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &b);
    if (err)
      goto out;
    err = door__json_set_bn(o, "x", a, 32, 0);
    if (err)
      goto out;
    err = door__json_set_bn(o, "y", b, 32, 0);
  }
out:
  BN_free(a);
  BN_free(b);
  if (err) {
    json_decref(o);
    return err;
  }
  *out = o;
  return DOOR_OK;
}
