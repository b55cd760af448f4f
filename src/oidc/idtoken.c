/* ID token validation, OpenID Connect Core 1.0 section 3.1.3.7. */
#include "oidc/oidc.h"

#include <math.h>
#include <string.h>

static door_err door__idt_fail(door_detail *d, door_err code, const char *claim,
                               const char *what) {
  return door_detail_set(d, code, claim, what,
                         "sign in again; if it keeps failing, the provider "
                         "or this service is misconfigured");
}

/* A NumericDate: integer, or a finite real (truncated toward zero). */
static int door__numeric_date(const json_t *v, int64_t *out) {
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return 1;
  }
  if (json_is_real(v)) {
    double x = json_real_value(v);
    if (!isfinite(x) || x < -9.0e15 || x > 9.0e15)
      return 0;
    *out = (int64_t)x;
    return 1;
  }
  return 0;
}

static int door__trusted(const door_idt_expect *e, const char *aud) {
  size_t i;
  if (strcmp(aud, e->client_id) == 0)
    return 1;
  for (i = 0; i < e->n_trusted_aud; i++)
    if (e->trusted_aud[i] && strcmp(aud, e->trusted_aud[i]) == 0)
      return 1;
  return 0;
}

static door_err door__check_aud(const json_t *p, const door_idt_expect *e,
                                size_t *n_aud, door_detail *d) {
  const json_t *aud = json_object_get(p, "aud");
  size_t i, n;
  int ours = 0;
  if (!aud)
    return door__idt_fail(d, DOOR_EIDT_AUD, "aud", "the ID token has no aud");
  if (json_is_string(aud)) {
    *n_aud = 1;
    if (strcmp(json_string_value(aud), e->client_id) != 0)
      return door__idt_fail(d, DOOR_EIDT_AUD, "aud",
                            "the ID token was issued to another client");
    return DOOR_OK;
  }
  if (!json_is_array(aud) || json_array_size(aud) == 0)
    return door__idt_fail(d, DOOR_EIDT_CLAIM_TYPE, "aud",
                          "the ID token's aud is neither a string nor a "
                          "list of strings");
  n = json_array_size(aud);
  for (i = 0; i < n; i++) {
    const json_t *a = json_array_get(aud, i);
    if (!json_is_string(a))
      return door__idt_fail(d, DOOR_EIDT_CLAIM_TYPE, "aud",
                            "the ID token's aud list holds a non-string");
    if (strcmp(json_string_value(a), e->client_id) == 0)
      ours = 1;
  }
  if (!ours)
    return door__idt_fail(d, DOOR_EIDT_AUD, "aud",
                          "the ID token was issued to another client");
  for (i = 0; i < n; i++)
    if (!door__trusted(e, json_string_value(json_array_get(aud, i))))
      return door__idt_fail(d, DOOR_EIDT_AUD_UNTRUSTED, "aud",
                            "the ID token is also addressed to an "
                            "audience this service does not trust");
  *n_aud = n;
  return DOOR_OK;
}

/* Optional string claim: absent (NULL) or a string. */
static door_err door__opt_str(const json_t *p, const char *claim,
                              const char **out, door_detail *d) {
  const json_t *v = json_object_get(p, claim);
  *out = NULL;
  if (!v)
    return DOOR_OK;
  if (!json_is_string(v))
    return door__idt_fail(d, DOOR_EIDT_CLAIM_TYPE, claim,
                          "an ID token claim has the wrong type");
  *out = json_string_value(v);
  return DOOR_OK;
}

static door_err door__opt_date(const json_t *p, const char *claim, int *present,
                               int64_t *out, door_detail *d) {
  const json_t *v = json_object_get(p, claim);
  *present = v != NULL;
  if (v && !door__numeric_date(v, out))
    return door__idt_fail(d, DOOR_EIDT_CLAIM_TYPE, claim,
                          "an ID token time claim is not a number");
  return DOOR_OK;
}

static door_err door__check_times(const json_t *p, const door_idt_expect *e,
                                  door_detail *d) {
  int64_t exp = 0, iat = 0, nbf = 0;
  int has_exp, has_iat, has_nbf;
  door_err err;
  if ((err = door__opt_date(p, "exp", &has_exp, &exp, d)) ||
      (err = door__opt_date(p, "iat", &has_iat, &iat, d)) ||
      (err = door__opt_date(p, "nbf", &has_nbf, &nbf, d)))
    return err;
  if (!has_exp)
    return door__idt_fail(d, DOOR_EIDT_EXP, "exp", "the ID token has no exp");
  if (e->now >= exp + e->leeway)
    return door__idt_fail(d, DOOR_EIDT_EXP, "exp",
                          "the ID token has expired (check this server's "
                          "clock if this repeats)");
  if (!has_iat)
    return door__idt_fail(d, DOOR_EIDT_IAT, "iat", "the ID token has no iat");
  if (iat > e->now + e->leeway)
    return door__idt_fail(d, DOOR_EIDT_IAT, "iat",
                          "the ID token was issued in the future (check "
                          "this server's clock)");
  if (has_nbf && nbf > e->now + e->leeway)
    return door__idt_fail(d, DOOR_EIDT_NBF, "nbf",
                          "the ID token is not valid yet");
  if (e->max_age > 0 && e->now - iat > e->max_age + e->leeway)
    return door__idt_fail(d, DOOR_EIDT_TOO_OLD, "iat",
                          "the ID token was issued too long ago");
  return DOOR_OK;
}

static door_err door__check_at_hash(const json_t *p, const door_jws *jws,
                                    const door_idt_expect *e, door_detail *d) {
  const char *at_hash;
  door_buf want;
  door_err err = door__opt_str(p, "at_hash", &at_hash, d);
  if (err || !at_hash)
    return err;
  if (!e->access_token)
    return door__idt_fail(d, DOOR_EIDT_AT_HASH, "at_hash",
                          "the ID token has at_hash but there is no access "
                          "token");
  door__buf_init(&want, 128);
  err = door__jose_half_hash(jws->alg, e->access_token, strlen(e->access_token),
                             &want);
  if (!err && !door__oidc_secret_eq(door__buf_str(&want), at_hash))
    err = door__idt_fail(d, DOOR_EIDT_AT_HASH, "at_hash",
                         "the ID token does not belong to the access token");
  door__buf_free(&want);
  return err;
}

static door_err door__check_sub(const json_t *p, door_detail *d) {
  const char *sub;
  size_t i, n;
  door_err err = door__opt_str(p, "sub", &sub, d);
  if (err)
    return err;
  if (!sub || !*sub)
    return door__idt_fail(d, DOOR_EIDT_SUB, "sub", "the ID token has no sub");
  n = strlen(sub);
  if (n > 255)
    return door__idt_fail(d, DOOR_EIDT_SUB, "sub",
                          "the ID token's sub is longer than 255 bytes");
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)sub[i];
    if (c < 0x20 || c == 0x7f)
      return door__idt_fail(d, DOOR_EIDT_SUB, "sub",
                            "the ID token's sub has control characters");
  }
  return DOOR_OK;
}

door_err door__idtoken_validate(const char *token, const door_idt_expect *e,
                                door_idt_verify_fn verify, void *verify_ud,
                                json_t **claims, door_detail *d) {
  static const door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  door_jws jws;
  const json_t *p;
  const char *iss, *azp, *nonce;
  size_t n_aud = 0;
  door_err err;
  memset(&jws, 0, sizeof jws);
  if (!token || !e || !e->issuer || !e->client_id ||
      (!e->nonce && !e->refresh) || !verify)
    return DOOR_EINVAL;
  err = door__jws_parse(token, strlen(token), &lim, &jws, d);
  if (err)
    goto out;
  p = jws.payload;
  if ((err = door__opt_str(p, "iss", &iss, d)))
    goto out;
  if (!iss || strcmp(iss, e->issuer) != 0) {
    err = door__idt_fail(d, DOOR_EIDT_ISS, "iss",
                         "the ID token comes from another issuer");
    goto out;
  }
  if ((err = door__check_aud(p, e, &n_aud, d)))
    goto out;
  if ((err = door__opt_str(p, "azp", &azp, d)))
    goto out;
  if ((n_aud > 1 && !azp) || (azp && strcmp(azp, e->client_id) != 0)) {
    err = door__idt_fail(d, DOOR_EIDT_AZP, "azp",
                         "the ID token was authorized for another client");
    goto out;
  }
  if (!(jws.alg & e->allowed_algs)) {
    err = door_detail_set(d, DOOR_EALG_NOT_ALLOWED, "alg",
                          "the ID token is signed with an algorithm this "
                          "provider is not configured for",
                          "check allowed_algs for this provider");
    goto out;
  }
  if ((err = verify(verify_ud, &jws, d))) {
    if (d && d->code != err)
      door_detail_set(d, err, "signature",
                      "the ID token's signature does not verify", NULL);
    goto out;
  }
  if ((err = door__check_times(p, e, d)))
    goto out;
  if ((err = door__opt_str(p, "nonce", &nonce, d)))
    goto out;
  if (e->nonce && !door__oidc_secret_eq(nonce, e->nonce)) {
    err = door__idt_fail(d, DOOR_EIDT_NONCE, "nonce",
                         "the ID token was not made for this sign-in");
    goto out;
  }
  if ((err = door__check_at_hash(p, &jws, e, d)))
    goto out;
  if ((err = door__check_sub(p, d)))
    goto out;
  if (claims)
    *claims = json_incref(jws.payload);
out:
  door__jws_clear(&jws);
  return err;
}
