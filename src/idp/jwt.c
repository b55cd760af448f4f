/* door-idp token minting and verification of its own tokens. */
#include "idp/jwt.h"

#include "util/json.h"

#include <stdlib.h>
#include <string.h>

int door__idp_has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  const char *p = list;
  while (p && *p) {
    const char *end = strchr(p, ' ');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, word, n) == 0)
      return 1;
    p = end ? end + 1 : NULL;
  }
  return 0;
}

typedef struct scope_claims {
  const char *scope;
  const char *const *claims;
} scope_claims;

static const char *const profile_claims[] = {
    "name",        "family_name", "given_name",
    "middle_name", "nickname",    "preferred_username",
    "profile",     "picture",     "website",
    "gender",      "birthdate",   "zoneinfo",
    "locale",      "updated_at",  NULL};
static const char *const email_claims[] = {"email", "email_verified", NULL};
static const char *const phone_claims[] = {"phone_number",
                                           "phone_number_verified", NULL};
static const char *const address_claims[] = {"address", NULL};

static const scope_claims scope_map[] = {
    {"profile", profile_claims},
    {"email", email_claims},
    {"phone", phone_claims},
    {"address", address_claims},
};

int door__idp_claim_in_scope(const char *claim, const char *scope) {
  size_t i, k;
  int standard = 0;
  if (!scope)
    return 1;
  for (i = 0; i < sizeof scope_map / sizeof scope_map[0]; i++) {
    for (k = 0; scope_map[i].claims[k]; k++) {
      if (strcmp(scope_map[i].claims[k], claim) == 0) {
        standard = 1;
        if (door__idp_has_word(scope, scope_map[i].scope))
          return 1;
      }
    }
  }
  /* Claims outside the standard scopes are released with openid. */
  return !standard;
}

/* Base64url alphabet position of c, or -1. */
static int b64_val(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Flips one bit of the signature inside a full 6-bit group (never the
 * trailing bits), early enough to stay inside r for ES256: the signature
 * still decodes but does not verify. */
static void corrupt(door_buf *out, size_t start) {
  char *dot = memchr(out->data + start, '.', out->len - start), *sig;
  size_t siglen, pos;
  int v;
  if (!dot)
    return;
  dot = memchr(dot + 1, '.', out->len - (size_t)(dot + 1 - out->data));
  if (!dot)
    return;
  sig = dot + 1;
  siglen = out->len - (size_t)(sig - out->data);
  if (siglen < 2)
    return;
  pos = siglen > 12 ? 10 : 0;
  v = b64_val(sig[pos]);
  if (v >= 0)
    sig[pos] = b64_chars[v ^ 1];
}

/* A copy of `key` under another kid (NULL: none), through PEM. */
static door_err rekey(const door_jwk *key, const char *kid, door_jwk **out) {
  door_buf pem;
  door_err err;
  door__buf_init(&pem, 65536);
  err = door__jwk_to_pem(key, 1, &pem);
  if (!err)
    err = door__jwk_from_pem(pem.data, pem.len, kid, out, NULL);
  door__buf_free(&pem);
  return err;
}

static door_err sign_none(const json_t *header_extra, const char *payload,
                          size_t len, door_buf *out) {
  json_t *h = json_pack("{s:s}", "alg", "none");
  door_buf hb;
  door_err err;
  if (!h)
    return DOOR_ENOMEM;
  if (header_extra)
    json_object_update(h, (json_t *)header_extra);
  door__buf_init(&hb, 4096);
  err = door__json_dump(h, &hb);
  json_decref(h);
  if (!err)
    err = door__b64url_encode(hb.data, hb.len, out);
  if (!err)
    err = door__buf_putc(out, '.');
  if (!err)
    err = door__b64url_encode(payload, len, out);
  if (!err)
    err = door__buf_putc(out, '.');
  door__buf_free(&hb);
  return err;
}

/* Makes sure the JWKS publishes at least two keys of alg's family, so a
 * token without kid is ambiguous. */
static door_err ensure_two_published(door_idp_profile *p, door_alg alg) {
  size_t i, n = 0;
  pthread_mutex_lock(&p->lock);
  for (i = 0; i < p->nkeys; i++) {
    if (p->keys[i].published && door__jwk_algs(p->keys[i].jwk) & alg)
      n++;
  }
  pthread_mutex_unlock(&p->lock);
  if (n >= 2)
    return DOOR_OK;
  return door__idp_key_add(p, alg, NULL, 1, 0, NULL, NULL, 0);
}

static door_err pick_key(door_idp_profile *p, const door_idp_client *c,
                         door_alg *alg, const door_idp_sign_opts *o,
                         door_jwk **key) {
  door_jwk *k = NULL, *twin = NULL;
  door_buf pem;
  char kid[48];
  door_err err;
  *key = NULL;
  if (*alg == DOOR_ALG_HS256 && !(o && o->hs256_pubkey)) {
    if (!c || !c->hs_key)
      return DOOR_EALG_NOT_ALLOWED;
    *key = door__jwk_ref(c->hs_key);
    return DOOR_OK;
  }
  if (*alg == DOOR_ALG_HS256) /* hs256_pubkey on an HS256 client */
    *alg = p->default_alg == DOOR_ALG_HS256 ? DOOR_ALG_RS256 : p->default_alg;
  if (o && o->rotate_first) {
    err = door__idp_key_rotate(p, *alg, NULL, 0);
    if (err)
      return err;
  }
  if (o && o->unpublished) {
    err = door__idp_random_token(6, kid + 12, sizeof kid - 12);
    if (err)
      return err;
    memcpy(kid, "unpublished-", 12);
    return door__jwk_generate(*alg, kid, key);
  }
  err = door__idp_key_signing(p, *alg, &k);
  if (err)
    return err;
  if (o && o->hs256_pubkey) {
    /* The confusion attack: the public key's PEM as an HMAC secret, with
     * the real key's kid so a naive verifier picks that key. */
    door__buf_init(&pem, 65536);
    err = door__jwk_to_pem(k, 0, &pem);
    if (!err)
      err = door__jwk_from_secret(pem.data, pem.len, door__jwk_kid(k), &twin);
    door__buf_free(&pem);
    *alg = DOOR_ALG_HS256;
  } else if (o && o->unknown_kid) {
    err = door__idp_random_token(6, kid + 8, sizeof kid - 8);
    if (!err) {
      memcpy(kid, "unknown-", 8);
      err = rekey(k, kid, &twin);
    }
  } else if (o && o->omit_kid) {
    err = ensure_two_published(p, *alg);
    if (!err)
      err = rekey(k, NULL, &twin);
  } else {
    *key = k;
    return DOOR_OK;
  }
  door__jwk_unref(k);
  if (err)
    return err;
  *key = twin;
  return DOOR_OK;
}

door_err door__idp_sign_payload(door_idp_profile *p, const door_idp_client *c,
                                door_alg alg, const char *payload, size_t len,
                                const char *typ, const door_idp_sign_opts *o,
                                door_buf *out) {
  json_t *extra = NULL;
  door_jwk *key = NULL;
  size_t start = out->len;
  door_err err;
  if (o && o->alg_none) {
    if (typ) {
      extra = json_pack("{s:s}", "typ", typ);
      if (!extra)
        return DOOR_ENOMEM;
    }
    err = sign_none(extra, payload, len, out);
    goto out;
  }
  err = pick_key(p, c, &alg, o, &key);
  /* {"alg", "kid", "typ"}: the key keeps the header jansson built */
  if (!err)
    err = door__jws_sign_typ(key, alg, typ, payload, len, out);
  if (!err && o && o->corrupt_sig)
    corrupt(out, start);
out:
  if (key)
    door__jwk_unref(key);
  json_decref(extra);
  return err;
}

door_err door__idp_sign(door_idp_profile *p, const door_idp_client *c,
                        door_alg alg, const json_t *claims, const char *typ,
                        const door_idp_sign_opts *o, door_buf *out) {
  door_buf payload;
  door_err err;
  door__buf_init(&payload, 65536);
  err = door__idp_json_dump(claims, &payload);
  if (!err)
    err = door__idp_sign_payload(p, c, alg, payload.data, payload.len, typ, o,
                                 out);
  door__buf_free(&payload);
  return err;
}

door_err door__idp_verify_own(door_idp_profile *p, const door_idp_client *c,
                              const char *token, door_jws *out) {
  door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  door_jwks *set = NULL;
  door_err err;
  size_t i;
  err = door__jws_parse(token, strlen(token), &lim, out, NULL);
  if (err)
    return err;
  if (out->alg == DOOR_ALG_HS256) {
    err = c && c->hs_key ? door__jws_verify(out, c->hs_key, DOOR_ALG_HS256)
                         : DOOR_EALG_NOT_ALLOWED;
    goto out;
  }
  set = door__idp_own_keys(p);
  err = DOOR_EKID_UNKNOWN;
  for (i = 0; set && i < door__jwks_count(set); i++) {
    const door_jwk *k = door__jwks_get(set, i);
    const char *kid = door__jwk_kid(k);
    if (out->kid && (!kid || strcmp(kid, out->kid) != 0))
      continue;
    if (!(door__jwk_algs(k) & out->alg))
      continue;
    err = door__jws_verify(out, k, DOOR_ALG_RS256 | DOOR_ALG_ES256);
    if (!err)
      break;
  }
out:
  if (set)
    door__jwks_unref(set);
  if (err)
    door__jws_clear(out);
  return err;
}
