/* The logout-hint cookie: the ID token kept for RP-initiated logout's
 * id_token_hint, sealed with AES-256-GCM to one session (see
 * broker_int.h). */
#include "broker/broker_int.h"
#include "jose/jose.h"
#include "util/random.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#define DOOR_HINT_VERSION 0x01
#define DOOR_HINT_IV 12
#define DOOR_HINT_TAG 16

void door__broker_free_secret(char *s) {
  if (!s)
    return;
  OPENSSL_cleanse(s, strlen(s));
  free(s);
}

door_err door__hint_key(const door_config *cfg, unsigned char key[32]) {
  unsigned char ikm[32];
  EVP_KDF *kdf = NULL;
  EVP_KDF_CTX *kctx = NULL;
  OSSL_PARAM params[4];
  door_err err;
  if (!cfg->broker.cookie_key)
    return DOOR_ECONFIG_MISSING;
  err = door__config_key32(cfg->broker.cookie_key, ikm);
  if (err)
    return err;
  err = DOOR_ECRYPTO;
  kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  if (!kctx)
    goto out;
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                               (char *)"SHA256", 0);
  params[1] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, sizeof ikm);
  params[2] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_INFO, (void *)DOOR_HINT_LABEL, strlen(DOOR_HINT_LABEL));
  params[3] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(kctx, key, 32, params) == 1)
    err = DOOR_OK;
out:
  OPENSSL_cleanse(ikm, sizeof ikm);
  EVP_KDF_CTX_free(kctx);
  EVP_KDF_free(kdf);
  return err;
}

static door_err door__hint_aad(const char *cookie_name,
                               const uint8_t hash[DOOR_STORE_HASH_LEN],
                               door_buf *aad) {
  door_err err = door__buf_puts(aad, DOOR_HINT_LABEL);
  if (!err)
    err = door__buf_append(aad, "", 1);
  if (!err)
    err = door__buf_puts(aad, cookie_name);
  if (!err)
    err = door__buf_append(aad, "", 1);
  if (!err)
    err = door__buf_append(aad, hash, DOOR_STORE_HASH_LEN);
  return err;
}

/* One AES-256-GCM pass: encrypt (enc = 1, tag written) or decrypt (enc = 0,
 * tag checked). */
static door_err door__gcm(int enc, const unsigned char key[32],
                          const unsigned char *iv, const door_buf *aad,
                          const unsigned char *in, size_t n, unsigned char *out,
                          unsigned char *tag) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int len = 0, fin = 0, ok;
  if (!ctx)
    return DOOR_ENOMEM;
  ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
       EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *)aad->data,
                        (int)aad->len) == 1 &&
       EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1;
  if (ok && !enc)
    ok =
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DOOR_HINT_TAG, tag) == 1;
  if (ok)
    ok = EVP_CipherFinal_ex(ctx, out + len, &fin) == 1;
  if (ok && enc)
    ok =
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, DOOR_HINT_TAG, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok)
    return enc ? DOOR_ECRYPTO : DOOR_ELOGIN_SEAL;
  return DOOR_OK;
}

door_err door__hint_seal(const unsigned char key[32], const char *cookie_name,
                         const uint8_t session_hash[DOOR_STORE_HASH_LEN],
                         const char *provider, const char *id_token,
                         door_buf *out) {
  door_buf plain, aad, raw;
  unsigned char *at;
  size_t np, nt, total;
  door_err err;
  if (!provider || !id_token)
    return DOOR_EINVAL;
  np = strlen(provider);
  nt = strlen(id_token);
  /* base64url grows by 4/3: refuse what could not fit in a cookie. */
  if ((np + 1 + nt + 1 + DOOR_HINT_IV + DOOR_HINT_TAG) / 3 * 4 + 4 >
      DOOR_HINT_COOKIE_MAX)
    return DOOR_ETOOBIG;
  door__buf_init(&plain, DOOR_HINT_COOKIE_MAX);
  door__buf_init(&aad, 1024);
  door__buf_init(&raw, DOOR_HINT_COOKIE_MAX);
  total = 1 + DOOR_HINT_IV + np + 1 + nt + DOOR_HINT_TAG;
  if ((err = door__buf_append(&plain, provider, np + 1)) ||
      (err = door__buf_append(&plain, id_token, nt)) ||
      (err = door__hint_aad(cookie_name, session_hash, &aad)) ||
      (err = door__buf_reserve(&raw, total, (char **)&at)))
    goto out;
  at[0] = DOOR_HINT_VERSION;
  if (door__random(at + 1, DOOR_HINT_IV) != DOOR_OK) {
    err = DOOR_ERANDOM;
    goto out;
  }
  err = door__gcm(1, key, at + 1, &aad, (const unsigned char *)plain.data,
                  plain.len, at + 1 + DOOR_HINT_IV,
                  at + 1 + DOOR_HINT_IV + plain.len);
  if (err)
    goto out;
  door__buf_commit(&raw, total);
  err = door__b64url_encode(raw.data, raw.len, out);
out:
  if (plain.data)
    OPENSSL_cleanse(plain.data, plain.len);
  door__buf_free(&plain);
  door__buf_free(&aad);
  door__buf_free(&raw);
  return err;
}

door_err door__hint_open(const unsigned char key[32], const char *cookie_name,
                         const uint8_t session_hash[DOOR_STORE_HASH_LEN],
                         const char *value, size_t len, char **provider,
                         char **id_token) {
  unsigned char *raw = NULL, *plain = NULL, *nul;
  size_t rlen, n;
  door_buf aad;
  door_err err = DOOR_ELOGIN_SEAL;
  *provider = *id_token = NULL;
  if (!value || len == 0 || len > DOOR_HINT_COOKIE_MAX)
    return DOOR_ELOGIN_SEAL;
  door__buf_init(&aad, 1024);
  rlen = door__b64url_decoded_len(len);
  raw = malloc(rlen + 1);
  plain = malloc(rlen + 1);
  if (!raw || !plain) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (door__b64url_decode(value, len, raw, rlen, &rlen) != DOOR_OK ||
      rlen < 1 + DOOR_HINT_IV + DOOR_HINT_TAG + 2 ||
      raw[0] != DOOR_HINT_VERSION)
    goto out;
  n = rlen - 1 - DOOR_HINT_IV - DOOR_HINT_TAG;
  if ((err = door__hint_aad(cookie_name, session_hash, &aad)))
    goto out;
  err = door__gcm(0, key, raw + 1, &aad, raw + 1 + DOOR_HINT_IV, n, plain,
                  raw + 1 + DOOR_HINT_IV + n);
  if (err)
    goto out;
  plain[n] = '\0';
  nul = memchr(plain, '\0', n);
  err = DOOR_ELOGIN_SEAL;
  if (!nul || nul == plain || (size_t)(nul - plain) + 1 >= n)
    goto out;
  err = DOOR_ENOMEM;
  if (!(*provider = strdup((char *)plain)) ||
      !(*id_token = strdup((char *)nul + 1))) {
    free(*provider);
    *provider = NULL;
    goto out;
  }
  err = DOOR_OK;
out:
  if (plain) {
    OPENSSL_cleanse(plain, rlen + 1);
    free(plain);
  }
  free(raw);
  door__buf_free(&aad);
  return err;
}
