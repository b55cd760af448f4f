/* private_key_jwt client authentication (RFC 7523 section 2.2 and 3,
 * OpenID Connect Core 9): the key from client_key_file, and the assertion
 * sent with each code exchange. */
#include "oidc/rp_int.h"
#include "util/json.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define ASSERTION_LIFETIME 60
#define KEY_FILE_MAX ((size_t)64 << 10)

static door_err door__read_key_file(const char *path, door_buf *out,
                                    door_detail *d) {
  char chunk[4096];
  size_t n;
  door_err err = DOOR_OK;
  FILE *f = fopen(path, "rb");
  if (!f)
    return door_detail_set(
        d, DOOR_EIO, "client_key_file", "the client key file cannot be read",
        errno == EACCES ? "check its permissions" : "check the path");
  while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    err = door__buf_append(out, chunk, n);
  if (!err && ferror(f))
    err = door_detail_set(d, DOOR_EIO, "client_key_file",
                          "the client key file cannot be read", NULL);
  else if (err == DOOR_ETOOBIG)
    err =
        door_detail_set(d, DOOR_ETOOBIG, "client_key_file",
                        "the client key file is too large for a PEM key", NULL);
  OPENSSL_cleanse(chunk, sizeof chunk);
  fclose(f);
  return err;
}

door_err door__client_key_load(door_provider *p, door_detail *d) {
  static const door_alg algs[] = {DOOR_ALG_ES256, DOOR_ALG_RS256,
                                  DOOR_ALG_PS256};
  const door_provider_config *c = p->cfg;
  door_buf pem;
  door_err err;
  if (!c->client_key_file)
    return door_detail_set(d, DOOR_ECONFIG_MISSING, "client_key_file",
                           "private_key_jwt needs the key to sign with",
                           "add client_key_file = PATH (a PEM private key)");
  if (c->client_key_alg < 0 ||
      (size_t)c->client_key_alg >= sizeof algs / sizeof algs[0])
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "client_key_alg",
                           "unknown client_key_alg", "ES256, RS256 or PS256");
  p->client_key_alg = algs[c->client_key_alg];
  door__buf_init(&pem, KEY_FILE_MAX);
  err = door__read_key_file(c->client_key_file, &pem, d);
  if (!err)
    err = door__jwk_from_pem(pem.data ? pem.data : "", pem.len, NULL,
                             &p->client_key, d);
  if (pem.data)
    OPENSSL_cleanse(pem.data, pem.len);
  door__buf_free(&pem);
  if (err) {
    if (d && d->code == err)
      memcpy(d->where, "client_key_file", sizeof "client_key_file");
    return err;
  }
  if (!door__jwk_is_private(p->client_key))
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "client_key_file",
                           "the client key file holds a public key",
                           "give the private key (PKCS#8, SEC1 or PKCS#1 PEM)");
  if (!(door__jwk_algs(p->client_key) & (unsigned)p->client_key_alg))
    return door_detail_set(d, DOOR_ECONFIG_CONFLICT, "client_key_alg",
                           "the client key cannot sign with client_key_alg",
                           "ES256 needs a P-256 key; RS256 and PS256 an RSA "
                           "key");
  return DOOR_OK;
}

door_err door__client_assertion(door_provider *p, const char *token_url,
                                door_kvlist *form, door_detail *d) {
  json_t *claims = NULL;
  door_buf jti, payload, jws;
  int64_t now = door__rp_now(p->rp);
  door_err err = DOOR_ENOMEM;
  door__buf_init(&jti, 128);
  door__buf_init(&payload, 65536);
  door__buf_init(&jws, 65536);
  if (!p->client_key) {
    err = door_detail_set(d, DOOR_ECONFIG_MISSING, "client_key_file",
                          "private_key_jwt needs the key to sign with", NULL);
    goto out;
  }
  if ((err = door__oidc_random_b64(32, &jti)))
    goto out;
  /* iss = sub = client_id, aud = the token endpoint it is sent to. */
  claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", p->s.client_id,
                     "sub", p->s.client_id, "aud", token_url, "jti",
                     door__buf_str(&jti), "iat", (json_int_t)now, "exp",
                     (json_int_t)(now + ASSERTION_LIFETIME));
  err = DOOR_ENOMEM;
  if (!claims)
    goto out;
  if ((err = door__json_dump(claims, &payload)) ||
      (err = door__jws_sign(p->client_key, p->client_key_alg, NULL,
                            payload.data, payload.len, &jws)))
    goto out;
  if ((err = door_provider_param_set(form, "client_id", p->s.client_id)) ||
      (err = door_provider_param_set(form, "client_assertion_type",
                                     ASSERTION_TYPE)) ||
      (err = door_provider_param_set(form, "client_assertion",
                                     door__buf_str(&jws))))
    goto out;
out:
  if (err && d && d->code != err)
    door_detail_set(d, err, "client_assertion",
                    "the client assertion could not be made", NULL);
  json_decref(claims);
  if (jws.data)
    OPENSSL_cleanse(jws.data, jws.len);
  door__buf_free(&jti);
  door__buf_free(&payload);
  door__buf_free(&jws);
  return err;
}
