/* The gate's keys: the ES256 keys of a JWK set, each with its OpenSSL
 * verification contexts prepared once and pooled, and the ES256 check
 * itself.
 *
 * The check applies the JOSE module's ES256 rules (door__jws_verify_raw):
 * exactly 64 bytes of R || S (SIG_LENGTH), 1 <= r, s < n before any crypto
 * (SIG_RANGE: CVE-2022-21449), then the DER form through OpenSSL
 * (SIG_INVALID).  It differs only in how OpenSSL is driven: instead of a
 * fresh EVP_MD_CTX and EVP_DigestVerifyInit_ex per call (a provider fetch
 * and a context set-up each time), each key keeps a small pool of
 * (EVP_PKEY_CTX after EVP_PKEY_verify_init, EVP_MD_CTX) pairs, and SHA-256
 * is fetched once per key set.  A pair is used by one thread at a time;
 * the pool's mutex is held only to take or give back a pair.  The unit
 * tests check both paths agree on every hostile signature. */
#include "tickets/gate_int.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

static void door__vctx_free(door__gate_vctx *v) {
  if (!v)
    return;
  EVP_PKEY_CTX_free(v->pctx);
  EVP_MD_CTX_free(v->mctx);
  free(v);
}

static door__gate_vctx *door__vctx_new(door__gate_key *key) {
  door__gate_vctx *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, door__jwk_evp(key->jwk), NULL);
  v->mctx = EVP_MD_CTX_new();
  if (!v->pctx || !v->mctx || EVP_PKEY_verify_init(v->pctx) != 1) {
    door__vctx_free(v);
    ERR_clear_error();
    return NULL;
  }
  return v;
}

static door__gate_vctx *door__vctx_take(door__gate_key *key) {
  door__gate_vctx *v = NULL;
  pthread_mutex_lock(&key->mu);
  if (key->npool)
    v = key->pool[--key->npool];
  pthread_mutex_unlock(&key->mu);
  return v ? v : door__vctx_new(key);
}

static void door__vctx_give(door__gate_key *key, door__gate_vctx *v) {
  pthread_mutex_lock(&key->mu);
  if (key->npool < DOOR__GATE_POOL) {
    key->pool[key->npool++] = v;
    v = NULL;
  }
  pthread_mutex_unlock(&key->mu);
  door__vctx_free(v);
}

door_err door__gate_es256_verify(door__gate_keys *ks, door__gate_key *key,
                                 const char *input, size_t len,
                                 const unsigned char *sig, size_t sig_len) {
  unsigned char der[DOOR_ES256_DER_MAX], md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  size_t dlen;
  door__gate_vctx *v;
  door_err err = DOOR_ECRYPTO;
  int rc = -1;
  if (sig_len != 64)
    return DOOR_ESIG_LENGTH;
  if (!door__p256_scalar_ok(sig) || !door__p256_scalar_ok(sig + 32))
    return DOOR_ESIG_RANGE;
  dlen = door__es256_der(sig, der);
  v = door__vctx_take(key);
  if (!v)
    return DOOR_ENOMEM;
  if (EVP_DigestInit_ex2(v->mctx, ks->sha256, NULL) != 1 ||
      EVP_DigestUpdate(v->mctx, input, len) != 1 ||
      EVP_DigestFinal_ex(v->mctx, md, &mdlen) != 1 || mdlen != 32)
    goto out;
  rc = EVP_PKEY_verify(v->pctx, der, dlen, md, mdlen);
  err = rc == 1 ? DOOR_OK : DOOR_ESIG_INVALID;
out:
  if (rc != 1)
    ERR_clear_error();
  if (rc < 0) /* a context that saw an error is not reused */
    door__vctx_free(v);
  else
    door__vctx_give(key, v);
  return err;
}

static void door__gate_key_clear(door__gate_key *k) {
  size_t i;
  for (i = 0; i < k->npool; i++)
    door__vctx_free(k->pool[i]);
  k->npool = 0;
  door__jwk_unref(k->jwk);
  k->jwk = NULL;
  pthread_mutex_destroy(&k->mu);
}

door__gate_keys *door__gate_keys_ref(door__gate_keys *k) {
  if (k)
    atomic_fetch_add(&k->refs, 1);
  return k;
}

void door__gate_keys_unref(door__gate_keys *k) {
  size_t i;
  if (!k || atomic_fetch_sub(&k->refs, 1) != 1)
    return;
  for (i = 0; i < k->n; i++)
    door__gate_key_clear(&k->keys[i]);
  free(k->keys);
  EVP_MD_free(k->sha256);
  free(k);
}

door_err door__gate_keys_new(const door_jwks *set, door__gate_keys **out,
                             door_detail *d) {
  door__gate_keys *ks;
  size_t n = door__jwks_count(set), i, j;
  *out = NULL;
  ks = calloc(1, sizeof *ks);
  if (!ks)
    return DOOR_ENOMEM;
  atomic_init(&ks->refs, 1);
  ks->keys = calloc(n ? n : 1, sizeof *ks->keys);
  ks->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (!ks->keys || !ks->sha256) {
    ERR_clear_error();
    door__gate_keys_unref(ks);
    return DOOR_ENOMEM;
  }
  ks->skipped = door__jwks_skipped(set);
  for (i = 0; i < n; i++) {
    const door_jwk *k = door__jwks_get(set, i);
    const char *kid = door__jwk_kid(k);
    size_t kl = kid ? strlen(kid) : 0;
    door__gate_key *gk = &ks->keys[ks->n];
    int dup = 0;
    if (door__jwk_kty(k) != DOOR_KTY_EC ||
        !(door__jwk_algs(k) & DOOR_ALG_ES256) ||
        !door__gate_value_ok(kid, kl, DOOR_GATE_KID_MAX)) {
      ks->skipped++;
      continue;
    }
    for (j = 0; j < ks->n; j++)
      if (ks->keys[j].kid_len == kl && memcmp(ks->keys[j].kid, kid, kl) == 0)
        dup = 1;
    if (dup) {
      door__gate_keys_unref(ks);
      return door_detail_set(d, DOOR_EJWKS_INVALID, "keys",
                             "two keys share one kid",
                             "give every key its own kid");
    }
    memcpy(gk->kid, kid, kl + 1);
    gk->kid_len = kl;
    if (pthread_mutex_init(&gk->mu, NULL) != 0) {
      door__gate_keys_unref(ks);
      return DOOR_ENOMEM;
    }
    gk->jwk = door__jwk_ref((door_jwk *)k);
    ks->n++;
  }
  if (ks->n == 0) {
    door__gate_keys_unref(ks);
    return door_detail_set(d, DOOR_EJWKS_INVALID, "keys",
                           "no P-256 key with a kid usable for ES256",
                           "publish the broker's /.well-known/jwks.json");
  }
  *out = ks;
  return DOOR_OK;
}

door_err door__gate_keys_parse(const char *json, size_t len,
                               door__gate_keys **out, door_detail *d) {
  door_jwks *set = NULL;
  door_err err;
  *out = NULL;
  err = door__jwks_parse(json, len, &set, d);
  if (err)
    return err;
  err = door__gate_keys_new(set, out, d);
  door__jwks_unref(set);
  return err;
}

door__gate_key *door__gate_keys_find(door__gate_keys *k, const char *kid,
                                     size_t len) {
  size_t i;
  for (i = 0; i < k->n; i++)
    if (k->keys[i].kid_len == len && memcmp(k->keys[i].kid, kid, len) == 0)
      return &k->keys[i];
  return NULL;
}
