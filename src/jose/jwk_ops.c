/* Prepared OpenSSL contexts of a key, and the signature operations on them.
 *
 * OpenSSL 3 makes every EVP_DigestSignInit / EVP_DigestVerifyInit fetch the
 * digest and the signature algorithm again (name lookups under locks), which
 * costs about as much as the hashing and a good part of an ECDSA signature.
 * A key therefore keeps, per operation, an EVP_PKEY_CTX on which the
 * sign/verify init and every parameter (padding, digest, MGF1, salt length)
 * were set once, an explicitly fetched SHA-256 and, for oct keys, an HMAC
 * context already keyed.  They are built on first use and published with a
 * compare-and-swap (a thread that loses the race frees its own); from then on
 * they are only read: each call works on a duplicate (EVP_PKEY_CTX_dup,
 * EVP_MAC_CTX_dup: a few hundred nanoseconds, no fetch), so the key stays
 * shareable between threads.  The per-call work is SHA-256 (EVP_Digest with
 * the fetched digest) and EVP_PKEY_sign / EVP_PKEY_verify: the same checks
 * as the EVP_DigestSign / EVP_DigestVerify path (the digest length is fixed
 * by the context's signature digest), without the fetches. */
#include "jose/jose_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>

/* The order n of the P-256 group, big-endian. */
static const unsigned char door__ops_p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

void door__jwk_ops_init(door_jwk *key) {
  size_t i;
  atomic_init(&key->md, NULL);
  atomic_init(&key->hmac, NULL);
  for (i = 0; i < DOOR__OP_COUNT; i++)
    atomic_init(&key->ops[i], NULL);
  for (i = 0; i < DOOR__HDR_SLOTS; i++)
    atomic_init(&key->hdrs[i], NULL);
}

void door__jwk_ops_free(door_jwk *key) {
  size_t i;
  for (i = 0; i < DOOR__OP_COUNT; i++) {
    EVP_PKEY_CTX_free(atomic_load_explicit(&key->ops[i], memory_order_acquire));
    atomic_store_explicit(&key->ops[i], NULL, memory_order_relaxed);
  }
  EVP_MAC_CTX_free(atomic_load_explicit(&key->hmac, memory_order_acquire));
  atomic_store_explicit(&key->hmac, NULL, memory_order_relaxed);
  EVP_MD_free(atomic_load_explicit(&key->md, memory_order_acquire));
  atomic_store_explicit(&key->md, NULL, memory_order_relaxed);
  door__jws_hdr_free(key);
}

/* The key's SHA-256, fetched once. */
static EVP_MD *door__ops_md(const door_jwk *key) {
  door_jwk *k = (door_jwk *)key; /* the cache only; the key stays as it was */
  EVP_MD *md = atomic_load_explicit(&k->md, memory_order_acquire);
  EVP_MD *none = NULL;
  if (md)
    return md;
  md = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (!md)
    return NULL;
  if (!atomic_compare_exchange_strong_explicit(
          &k->md, &none, md, memory_order_acq_rel, memory_order_acquire)) {
    EVP_MD_free(md); /* another thread published first */
    md = none;
  }
  return md;
}

static door__op door__ops_index(door_alg alg, int sign) {
  door__op op = alg == DOOR_ALG_RS256   ? DOOR__OP_SIGN_RS256
                : alg == DOOR_ALG_PS256 ? DOOR__OP_SIGN_PS256
                                        : DOOR__OP_SIGN_ES256;
  return sign ? op : (door__op)(op + DOOR__OP_VERIFY_RS256);
}

/* A context with the init and every parameter of `alg` done. */
static EVP_PKEY_CTX *door__ops_build(const door_jwk *key, door_alg alg,
                                     int sign, EVP_MD *md) {
  EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
  if (!c)
    return NULL;
  if ((sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) != 1)
    goto fail;
  if (alg == DOOR_ALG_PS256) {
    if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(c, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(c, "SHA256", NULL) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST) != 1)
      goto fail;
  } else if (alg == DOOR_ALG_RS256) {
    if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(c, md) != 1)
      goto fail;
  } else if (alg == DOOR_ALG_ES256) {
    if (EVP_PKEY_CTX_set_signature_md(c, md) != 1)
      goto fail;
  } else {
    goto fail;
  }
  return c;
fail:
  EVP_PKEY_CTX_free(c);
  return NULL;
}

/* The prepared context of (alg, sign), built on first use. */
static EVP_PKEY_CTX *door__ops_ctx(const door_jwk *key, door_alg alg, int sign,
                                   EVP_MD *md) {
  door_jwk *k = (door_jwk *)key;
  door__op op = door__ops_index(alg, sign);
  EVP_PKEY_CTX *c = atomic_load_explicit(&k->ops[op], memory_order_acquire);
  EVP_PKEY_CTX *none = NULL;
  if (c)
    return c;
  if (!key->pkey)
    return NULL;
  c = door__ops_build(key, alg, sign, md);
  if (!c)
    return NULL;
  if (!atomic_compare_exchange_strong_explicit(
          &k->ops[op], &none, c, memory_order_acq_rel, memory_order_acquire)) {
    EVP_PKEY_CTX_free(c);
    c = none;
  }
  return c;
}

/* 1 when 1 <= v < n for a 32-byte big-endian v. */
static int door__ops_scalar_ok(const unsigned char *v) {
  unsigned char any = 0;
  size_t i;
  for (i = 0; i < 32; i++)
    any |= v[i];
  return any != 0 && memcmp(v, door__ops_p256_n, 32) < 0;
}

/* One DER INTEGER of an ECDSA-Sig-Value into 32 bytes, left-padded.  DER is
 * minimal: no negative value, no superfluous leading zero, at most 33 bytes
 * (a 0x00 before a value with its top bit set). */
static int door__ops_der_scalar(const unsigned char *der, size_t len,
                                size_t *pos, unsigned char *out) {
  const unsigned char *v;
  size_t n;
  if (len - *pos < 2 || der[*pos] != 0x02)
    return 0;
  n = der[*pos + 1];
  *pos += 2;
  if (n == 0 || n > 33 || n > len - *pos)
    return 0;
  v = der + *pos;
  *pos += n;
  if (v[0] & 0x80)
    return 0; /* negative */
  if (n > 1 && v[0] == 0 && !(v[1] & 0x80))
    return 0; /* not minimal */
  if (n == 33) {
    if (v[0] != 0)
      return 0; /* above 2^256 */
    v++;
    n--;
  }
  memset(out, 0, 32 - n);
  memcpy(out + 32 - n, v, n);
  /* 1 <= value < n, as any ECDSA signature's r and s */
  return door__ops_scalar_ok(out);
}

door_err door__jwk_es256_der_to_raw(const unsigned char *der, size_t len,
                                    unsigned char *raw) {
  size_t pos = 2;
  /* SEQUENCE, short-form length (at most 2 * 35 bytes), exactly the rest */
  if (!der || len < 8 || len > 72 || der[0] != 0x30 || der[1] != len - 2)
    return DOOR_ECRYPTO;
  if (!door__ops_der_scalar(der, len, &pos, raw) ||
      !door__ops_der_scalar(der, len, &pos, raw + 32) || pos != len)
    return DOOR_ECRYPTO;
  return DOOR_OK;
}

door_err door__jwk_op_sign(const door_jwk *key, door_alg alg,
                           const unsigned char *in, size_t len,
                           unsigned char *sig, size_t cap, size_t *sig_len) {
  unsigned char md[EVP_MAX_MD_SIZE], der[80];
  unsigned int mdlen = 0;
  EVP_PKEY_CTX *proto, *c = NULL;
  EVP_MD *sha;
  size_t n;
  door_err err = DOOR_ECRYPTO;
  *sig_len = 0;
  sha = door__ops_md(key);
  proto = sha ? door__ops_ctx(key, alg, 1, sha) : NULL;
  if (!proto)
    goto out;
  if (EVP_Digest(in, len, md, &mdlen, sha, NULL) != 1 || mdlen != 32)
    goto out;
  c = EVP_PKEY_CTX_dup(proto);
  if (!c) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (alg == DOOR_ALG_ES256) {
    n = sizeof der;
    if (cap < 64 || EVP_PKEY_sign(c, der, &n, md, mdlen) != 1)
      goto out;
    err = door__jwk_es256_der_to_raw(der, n, sig);
    if (!err)
      *sig_len = 64;
  } else {
    n = cap;
    if (EVP_PKEY_sign(c, sig, &n, md, mdlen) != 1)
      goto out;
    *sig_len = n;
    err = DOOR_OK;
  }
out:
  EVP_PKEY_CTX_free(c);
  if (err)
    ERR_clear_error();
  return err;
}

door_err door__jwk_op_verify(const door_jwk *key, door_alg alg,
                             const unsigned char *in, size_t len,
                             const unsigned char *sig, size_t sig_len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_PKEY_CTX *proto, *c = NULL;
  EVP_MD *sha;
  door_err err = DOOR_ECRYPTO;
  sha = door__ops_md(key);
  proto = sha ? door__ops_ctx(key, alg, 0, sha) : NULL;
  if (!proto)
    goto out;
  if (EVP_Digest(in, len, md, &mdlen, sha, NULL) != 1 || mdlen != 32)
    goto out;
  c = EVP_PKEY_CTX_dup(proto);
  if (!c) {
    err = DOOR_ENOMEM;
    goto out;
  }
  err = EVP_PKEY_verify(c, sig, sig_len, md, mdlen) == 1 ? DOOR_OK
                                                         : DOOR_ESIG_INVALID;
out:
  EVP_PKEY_CTX_free(c);
  if (err)
    ERR_clear_error();
  return err;
}

/* The key's HMAC-SHA256 context, keyed once. */
static EVP_MAC_CTX *door__ops_hmac(const door_jwk *key) {
  door_jwk *k = (door_jwk *)key;
  EVP_MAC_CTX *c = atomic_load_explicit(&k->hmac, memory_order_acquire);
  EVP_MAC_CTX *none = NULL;
  EVP_MAC *mac;
  OSSL_PARAM params[2];
  if (c)
    return c;
  if (!key->secret || !key->secret_len)
    return NULL;
  mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (!mac)
    return NULL;
  c = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac); /* the context holds its own reference */
  if (!c)
    return NULL;
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                               (char *)"SHA256", 0);
  params[1] = OSSL_PARAM_construct_end();
  if (EVP_MAC_init(c, key->secret, key->secret_len, params) != 1) {
    EVP_MAC_CTX_free(c);
    return NULL;
  }
  if (!atomic_compare_exchange_strong_explicit(
          &k->hmac, &none, c, memory_order_acq_rel, memory_order_acquire)) {
    EVP_MAC_CTX_free(c);
    c = none;
  }
  return c;
}

door_err door__jwk_op_hmac(const door_jwk *key, const unsigned char *in,
                           size_t len, unsigned char *mac) {
  EVP_MAC_CTX *proto = door__ops_hmac(key), *c = NULL;
  size_t n = 0;
  door_err err = DOOR_ECRYPTO;
  if (!proto)
    goto out;
  c = EVP_MAC_CTX_dup(proto);
  if (!c) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (EVP_MAC_update(c, in, len) == 1 && EVP_MAC_final(c, mac, &n, 32) == 1 &&
      n == 32)
    err = DOOR_OK;
out:
  EVP_MAC_CTX_free(c);
  if (err)
    ERR_clear_error();
  return err;
}
