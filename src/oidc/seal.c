/* The sealed pending-login cookie: AES-256-GCM under an HKDF-SHA256 key.
 *
 * Value: base64url(version 0x01 | iv[12] | ciphertext | tag[16]).  The
 * plaintext is a compact JSON object; the AAD is the label, a NUL and the
 * cookie name, so a value moved to another cookie name (another state) does
 * not open.  The state inside must also equal the one in the name.
 */
#include "oidc/oidc.h"
#include "util/json.h"
#include "util/random.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#define DOOR_SEAL_VERSION 0x01
#define DOOR_SEAL_IV 12
#define DOOR_SEAL_TAG 16
#define DOOR_SEAL_PLAIN_MAX 2800

void door__pending_clear(door_pending *p) {
  if (!p)
    return;
  free(p->provider);
  free(p->issuer);
  free(p->state);
  door__oidc_free_secret(p->nonce);
  door__oidc_free_secret(p->code_verifier);
  free(p->redirect_uri);
  free(p->return_to);
  free(p->link_account);
  memset(p, 0, sizeof *p);
}

door_err door__sealer_init(door_sealer *s, const void *ikm, size_t len) {
  EVP_KDF *kdf = NULL;
  EVP_KDF_CTX *kctx = NULL;
  OSSL_PARAM params[4];
  door_err err = DOOR_ECRYPTO;
  if (!s || !ikm || len == 0)
    return DOOR_EINVAL;
  kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  if (!kdf)
    goto out;
  kctx = EVP_KDF_CTX_new(kdf);
  if (!kctx)
    goto out;
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                               (char *)"SHA256", 0);
  params[1] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, len);
  params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                (void *)DOOR_PENDING_LABEL,
                                                strlen(DOOR_PENDING_LABEL));
  params[3] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(kctx, s->key, sizeof s->key, params) != 1)
    goto out;
  err = DOOR_OK;
out:
  EVP_KDF_CTX_free(kctx);
  EVP_KDF_free(kdf);
  return err;
}

void door__sealer_wipe(door_sealer *s) {
  if (s)
    OPENSSL_cleanse(s->key, sizeof s->key);
}

door_err door__pending_cookie_name(int secure, const char *state,
                                   door_buf *out) {
  door_err err;
  if (!door__oidc_is_b64url(state, DOOR_STATE_LEN))
    return DOOR_EINVAL;
  err = door__buf_puts(out, secure ? "__Host-door-login-" : "door-login-");
  if (!err)
    err = door__buf_puts(out, state);
  return err;
}

static door_err door__aad(const char *cookie_name, door_buf *aad) {
  door_err err = door__buf_puts(aad, DOOR_PENDING_LABEL);
  if (!err)
    err = door__buf_append(aad, "", 1);
  if (!err)
    err = door__buf_puts(aad, cookie_name);
  return err;
}

static door_err door__pending_json(const door_pending *p, door_buf *out) {
  json_t *o = json_object();
  door_err err = DOOR_ENOMEM;
  if (!o)
    return DOOR_ENOMEM;
  if (!p->provider || !p->issuer || !p->state || !p->nonce ||
      !p->code_verifier || !p->redirect_uri) {
    err = DOOR_EINVAL;
    goto out;
  }
  if (json_object_set_new(o, "v", json_integer(DOOR_PENDING_VERSION)) ||
      json_object_set_new(o, "p", json_string(p->provider)) ||
      json_object_set_new(o, "i", json_string(p->issuer)) ||
      json_object_set_new(o, "s", json_string(p->state)) ||
      json_object_set_new(o, "n", json_string(p->nonce)) ||
      json_object_set_new(o, "cv", json_string(p->code_verifier)) ||
      json_object_set_new(o, "ru", json_string(p->redirect_uri)) ||
      json_object_set_new(o, "rt",
                          json_string(p->return_to ? p->return_to : "")) ||
      json_object_set_new(
          o, "la", json_string(p->link_account ? p->link_account : "")) ||
      json_object_set_new(o, "t", json_integer(p->created_at)))
    goto out;
  err = door__json_dump(o, out);
out:
  json_decref(o);
  return err;
}

door_err door__pending_seal(const door_sealer *s, const door_pending *p,
                            const char *cookie_name, door_buf *out) {
  door_buf plain, aad, raw;
  EVP_CIPHER_CTX *ctx = NULL;
  unsigned char *at;
  int n = 0, fin = 0;
  door_err err;
  door__buf_init(&plain, DOOR_SEAL_PLAIN_MAX);
  door__buf_init(&aad, 1024);
  door__buf_init(&raw, DOOR_SEAL_PLAIN_MAX + 64);
  err = door__pending_json(p, &plain);
  if (err)
    goto out;
  err = door__aad(cookie_name, &aad);
  if (err)
    goto out;
  err = door__buf_reserve(&raw, 1 + DOOR_SEAL_IV + plain.len + DOOR_SEAL_TAG,
                          (char **)&at);
  if (err)
    goto out;
  at[0] = DOOR_SEAL_VERSION;
  if (door__random(at + 1, DOOR_SEAL_IV) != DOOR_OK) {
    err = DOOR_ERANDOM;
    goto out;
  }
  err = DOOR_ECRYPTO;
  ctx = EVP_CIPHER_CTX_new();
  if (!ctx ||
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->key, at + 1) != 1 ||
      EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad.data,
                        (int)aad.len) != 1 ||
      EVP_EncryptUpdate(ctx, at + 1 + DOOR_SEAL_IV, &n,
                        (const unsigned char *)plain.data,
                        (int)plain.len) != 1 ||
      EVP_EncryptFinal_ex(ctx, at + 1 + DOOR_SEAL_IV + n, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, DOOR_SEAL_TAG,
                          at + 1 + DOOR_SEAL_IV + n + fin) != 1)
    goto out;
  door__buf_commit(&raw, 1 + DOOR_SEAL_IV + (size_t)(n + fin) + DOOR_SEAL_TAG);
  if ((raw.len + 2) / 3 * 4 > DOOR_PENDING_COOKIE_MAX) {
    err = DOOR_ETOOBIG;
    goto out;
  }
  err = door__b64url_encode(raw.data, raw.len, out);
out:
  EVP_CIPHER_CTX_free(ctx);
  if (plain.data)
    OPENSSL_cleanse(plain.data, plain.len);
  if (raw.data)
    OPENSSL_cleanse(raw.data, raw.len);
  door__buf_free(&plain);
  door__buf_free(&aad);
  door__buf_free(&raw);
  return err;
}

static door_err door__take_str(json_t *o, const char *key, char **out) {
  const char *s;
  if (door__json_get_str(o, key, &s))
    return DOOR_ELOGIN_SEAL;
  *out = strdup(s);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

static door_err door__pending_from_json(json_t *o, door_pending *p) {
  json_int_t v, t;
  door_err err;
  if (door__json_get_int(o, "v", &v) || v != DOOR_PENDING_VERSION ||
      door__json_get_int(o, "t", &t))
    return DOOR_ELOGIN_SEAL;
  p->version = (int)v;
  p->created_at = (int64_t)t;
  if ((err = door__take_str(o, "p", &p->provider)) ||
      (err = door__take_str(o, "i", &p->issuer)) ||
      (err = door__take_str(o, "s", &p->state)) ||
      (err = door__take_str(o, "n", &p->nonce)) ||
      (err = door__take_str(o, "cv", &p->code_verifier)) ||
      (err = door__take_str(o, "ru", &p->redirect_uri)) ||
      (err = door__take_str(o, "rt", &p->return_to)) ||
      (err = door__take_str(o, "la", &p->link_account)))
    return err;
  return DOOR_OK;
}

door_err door__pending_open(const door_sealer *s, const char *cookie_name,
                            const char *value, size_t len, door_pending *out,
                            door_detail *d) {
  unsigned char raw[DOOR_PENDING_COOKIE_MAX];
  unsigned char plain[DOOR_PENDING_COOKIE_MAX];
  size_t rawlen = 0, ctlen;
  door_buf aad;
  EVP_CIPHER_CTX *ctx = NULL;
  json_t *o = NULL;
  const char *state;
  int n = 0, fin = 0;
  door_err err = DOOR_ELOGIN_SEAL;
  memset(out, 0, sizeof *out);
  door__buf_init(&aad, 1024);
  if (len > DOOR_PENDING_COOKIE_MAX ||
      door__b64url_decode(value, len, raw, sizeof raw, &rawlen) ||
      rawlen < 1 + DOOR_SEAL_IV + DOOR_SEAL_TAG + 2 ||
      raw[0] != DOOR_SEAL_VERSION)
    goto bad;
  ctlen = rawlen - 1 - DOOR_SEAL_IV - DOOR_SEAL_TAG;
  err = door__aad(cookie_name, &aad);
  if (err)
    goto out;
  err = DOOR_ELOGIN_SEAL;
  ctx = EVP_CIPHER_CTX_new();
  if (!ctx) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->key, raw + 1) != 1 ||
      EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad.data,
                        (int)aad.len) != 1 ||
      EVP_DecryptUpdate(ctx, plain, &n, raw + 1 + DOOR_SEAL_IV, (int)ctlen) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DOOR_SEAL_TAG,
                          raw + 1 + DOOR_SEAL_IV + ctlen) != 1 ||
      EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1)
    goto bad;
  if (door__json_parse((const char *)plain, (size_t)(n + fin), 2, &o, NULL) ||
      !json_is_object(o))
    goto bad;
  err = door__pending_from_json(o, out);
  if (err == DOOR_ELOGIN_SEAL)
    goto bad;
  if (err)
    goto out;
  /* The name binds the state; check the record agrees. */
  /* The state is the name's last DOOR_STATE_LEN characters (it may itself
   * contain '-'). */
  n = (int)strlen(cookie_name);
  if (n < DOOR_STATE_LEN)
    goto bad;
  state = cookie_name + n - DOOR_STATE_LEN;
  if (!door__oidc_secret_eq(state, out->state))
    goto bad;
  err = DOOR_OK;
  goto out;
bad:
  err = door_detail_set(d, DOOR_ELOGIN_SEAL, "cookie",
                        "the sign-in cookie could not be opened",
                        "start the sign-in again from the beginning");
out:
  if (err)
    door__pending_clear(out);
  EVP_CIPHER_CTX_free(ctx);
  json_decref(o);
  OPENSSL_cleanse(plain, sizeof plain);
  OPENSSL_cleanse(raw, sizeof raw);
  door__buf_free(&aad);
  return err;
}

door_err door__pending_check_time(const door_pending *p, int64_t now,
                                  int64_t timeout, int64_t skew,
                                  door_detail *d) {
  if (p->created_at > now + skew)
    return door_detail_set(d, DOOR_ELOGIN_EXPIRED, "created_at",
                           "the sign-in was started in the future "
                           "(clocks of the broker instances disagree)",
                           "check the clocks, then sign in again");
  if (now - p->created_at > timeout)
    return door_detail_set(d, DOOR_ELOGIN_EXPIRED, "created_at",
                           "the sign-in took too long",
                           "sign in again and finish within the time limit");
  return DOOR_OK;
}

door_err door__pending_set_cookie(const char *name, const char *value,
                                  int secure, int64_t max_age, door_buf *out) {
  door_err err;
  if ((err = door__buf_puts(out, name)) || (err = door__buf_putc(out, '=')) ||
      (err = door__buf_puts(out, value)) ||
      (err = door__buf_puts(out, "; Path=/; Max-Age=")) ||
      (err = door__buf_put_i64(out, max_age)) ||
      (err = door__buf_puts(out, "; HttpOnly; SameSite=Lax")))
    return err;
  if (secure)
    err = door__buf_puts(out, "; Secure");
  return err;
}

door_err door__pending_delete_cookie(const char *name, int secure,
                                     door_buf *out) {
  return door__pending_set_cookie(name, "", secure, 0, out);
}
