/* Back-Channel Logout 1.0: validating a provider's logout token with the
 * provider's pinned algorithms and key set (see oidc/logout.h). */
#include "oidc/logout.h"
#include "oidc/rp_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void door__logout_claims_clear(door_logout_claims *c) {
  if (!c)
    return;
  free(c->issuer);
  free(c->sub);
  free(c->sid);
  free(c->jti);
  memset(c, 0, sizeof *c);
}

static door_err door__lt_fail(door_detail *d, door_err code, const char *claim,
                              const char *what) {
  return door_detail_set(d, code, claim, what,
                         "the provider's logout request was refused; the "
                         "session stays until it ends or the user logs out");
}

/* An optional string claim: NULL when absent; a non-string fails. */
static door_err door__lt_str(const json_t *p, const char *claim, door_err code,
                             const char **out, door_detail *d) {
  const json_t *v = json_object_get(p, claim);
  *out = NULL;
  if (!v)
    return DOOR_OK;
  if (!json_is_string(v))
    return door__lt_fail(d, code, claim,
                         "a logout token claim has the wrong type");
  *out = json_string_value(v);
  return DOOR_OK;
}

static int door__lt_date(const json_t *v, int64_t *out) {
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

/* typ: RFC 8725 explicit typing; absent is allowed (section 2.4). */
static door_err door__lt_typ(const door_jws *jws, door_detail *d) {
  const char *t = jws->typ;
  if (!t)
    return DOOR_OK;
  if (strncasecmp(t, "application/", 12) == 0)
    t += 12;
  if (strcasecmp(t, "logout+jwt") != 0)
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_TYP, "typ",
                         "the token is not typed as a logout token");
  return DOOR_OK;
}

static door_err door__lt_aud(const json_t *p, const char *client_id,
                             door_detail *d) {
  const json_t *aud = json_object_get(p, "aud");
  size_t i, n;
  if (json_is_string(aud)) {
    if (strcmp(json_string_value(aud), client_id) == 0)
      return DOOR_OK;
  } else if (json_is_array(aud) && (n = json_array_size(aud)) > 0) {
    int ours = 0, other = 0;
    for (i = 0; i < n; i++) {
      const json_t *a = json_array_get(aud, i);
      if (json_is_string(a) && strcmp(json_string_value(a), client_id) == 0)
        ours = 1;
      else
        other = 1;
    }
    if (ours && !other)
      return DOOR_OK;
  }
  return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_AUD, "aud",
                       "the logout token is not addressed to this service "
                       "alone");
}

static door_err door__lt_times(const json_t *p, int64_t now, int64_t leeway,
                               int64_t max_age, door_logout_claims *out,
                               door_detail *d) {
  const json_t *iat = json_object_get(p, "iat"),
               *exp = json_object_get(p, "exp");
  if (!iat || !door__lt_date(iat, &out->iat))
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_IAT, "iat",
                         "the logout token has no valid iat");
  if (out->iat > now + leeway)
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_IAT, "iat",
                         "the logout token was issued in the future (check "
                         "this server's clock)");
  if (max_age > 0 && now - out->iat > max_age + leeway)
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_IAT, "iat",
                         "the logout token was issued too long ago");
  if (exp) {
    if (!door__lt_date(exp, &out->exp))
      return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_EXP, "exp",
                           "the logout token's exp is not a number");
    if (now >= out->exp + leeway)
      return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_EXP, "exp",
                           "the logout token has expired");
  }
  return DOOR_OK;
}

/* A claim value we keep: 1..max bytes, no control characters. */
static int door__lt_ok_text(const char *s, size_t max) {
  size_t i, n = s ? strlen(s) : 0;
  if (n == 0 || n > max)
    return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      return 0;
  }
  return 1;
}

static door_err door__lt_claims(const json_t *p, door_logout_claims *out,
                                door_detail *d) {
  const json_t *events = json_object_get(p, "events");
  const char *jti, *sub, *sid;
  door_err err;
  if ((err = door__lt_str(p, "jti", DOOR_ELOGOUT_TOKEN_JTI, &jti, d)))
    return err;
  if (!door__lt_ok_text(jti, DOOR_LOGOUT_JTI_MAX))
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_JTI, "jti",
                         "the logout token has no usable jti");
  if (!json_is_object(events) ||
      !json_is_object(json_object_get(events, DOOR_BCL_EVENT)))
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_EVENTS, "events",
                         "the token does not carry the back-channel logout "
                         "event");
  if (json_object_get(p, "nonce"))
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_NONCE, "nonce",
                         "a logout token must not carry a nonce (is this an "
                         "ID token?)");
  if ((err = door__lt_str(p, "sub", DOOR_ELOGOUT_TOKEN_SUBJECT, &sub, d)) ||
      (err = door__lt_str(p, "sid", DOOR_ELOGOUT_TOKEN_SUBJECT, &sid, d)))
    return err;
  if ((sub && !door__lt_ok_text(sub, 255)) ||
      (sid && !door__lt_ok_text(sid, DOOR_LOGOUT_SID_MAX)) || (!sub && !sid))
    return door__lt_fail(d, DOOR_ELOGOUT_TOKEN_SUBJECT, "sid",
                         "the logout token names no usable session (sid) "
                         "nor user (sub)");
  if (!(out->jti = strdup(jti)) || (sub && !(out->sub = strdup(sub))) ||
      (sid && !(out->sid = strdup(sid))))
    return DOOR_ENOMEM;
  return DOOR_OK;
}

door_err door__logout_token_validate(door_rp *rp, const char *provider,
                                     const char *token, door_logout_claims *out,
                                     door_detail *d) {
  static const door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  door_provider *p;
  door_jws jws;
  const char *iss;
  door_detail local;
  size_t n;
  door_err err;
  if (!d)
    d = &local;
  door_detail_clear(d);
  memset(&jws, 0, sizeof jws);
  if (out)
    memset(out, 0, sizeof *out);
  if (!rp || !token || !out)
    return DOOR_EINVAL;
  p = door__rp_provider(rp, provider);
  if (!p)
    return door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, "provider",
                           "no provider of that name is configured", NULL);
  n = strlen(token);
  if (n > DOOR_LOGOUT_TOKEN_MAX)
    return door__lt_fail(d, DOOR_ETOOBIG, "logout_token",
                         "the logout token is too large");
  if ((err = door__jws_parse(token, n, &lim, &jws, d)) ||
      (err = door__lt_typ(&jws, d)))
    goto out;
  if (!(jws.alg & p->s.allowed_algs)) {
    err = door_detail_set(d, DOOR_EALG_NOT_ALLOWED, "alg",
                          "the logout token is signed with an algorithm this "
                          "provider is not configured for",
                          "check allowed_algs for this provider");
    goto out;
  }
  if ((err = door__provider_verify(p, &jws, d))) {
    if (d->code != err)
      door_detail_set(d, err, "signature",
                      "the logout token's signature does not verify", NULL);
    goto out;
  }
  if ((err = door__lt_str(jws.payload, "iss", DOOR_ELOGOUT_TOKEN_ISS, &iss, d)))
    goto out;
  if (!iss || strcmp(iss, p->s.issuer) != 0) {
    err = door__lt_fail(d, DOOR_ELOGOUT_TOKEN_ISS, "iss",
                        "the logout token comes from another issuer");
    goto out;
  }
  if ((err = door__lt_aud(jws.payload, p->s.client_id, d)) ||
      (err = door__lt_times(jws.payload, door__rp_now(rp), rp->leeway,
                            p->s.id_token_max_age, out, d)) ||
      (err = door__lt_claims(jws.payload, out, d)))
    goto out;
  if (!(out->issuer = strdup(p->s.issuer)))
    err = DOOR_ENOMEM;
out:
  door__jws_clear(&jws);
  if (err) {
    door__logout_claims_clear(out);
    if (d->code != err)
      door_detail_set(d, err, "logout_token", door_strerror(err), NULL);
    door__login_log_fail(rp, "logout_token.fail", provider, d);
  }
  return err;
}
