/* door-idp: private_key_jwt client authentication at the token endpoint
 * (RFC 7523 section 3, RFC 7521 section 4.2, OpenID Connect Core 9). */
#include "idp/idp.h"
#include "util/json.h"

#include <string.h>

#define LEEWAY 60
#define MAX_LIFETIME 3600

door_err door__idp_assertion_sub(const char *assertion, door_buf *out) {
  door_jws jws;
  door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  const char *sub;
  door_err err;
  err = door__jws_parse(assertion, strlen(assertion), &lim, &jws, NULL);
  if (err)
    return err;
  sub = json_string_value(json_object_get(jws.payload, "sub"));
  err = sub && *sub ? door__buf_puts(out, sub) : DOOR_EINVAL;
  door__jws_clear(&jws);
  return err;
}

/* The signature, by one of the client's keys: the one its kid names, or
 * without a kid any key that verifies. */
static door_err verify_sig(const door_idp_client *c, const door_jws *jws) {
  const unsigned allowed = DOOR_ALG_RS256 | DOOR_ALG_PS256 | DOOR_ALG_ES256;
  door_err err = DOOR_EKID_UNKNOWN;
  size_t i;
  if (jws->kid)
    return door__jws_verify_jwks(jws, c->jwks, allowed, NULL);
  for (i = 0; i < door__jwks_count(c->jwks); i++) {
    const door_jwk *k = door__jwks_get(c->jwks, i);
    if (!(door__jwk_algs(k) & (unsigned)jws->alg))
      continue;
    err = door__jws_verify(jws, k, allowed);
    if (!err)
      return DOOR_OK;
  }
  return err;
}

static int aud_ok(const json_t *aud, const char *want) {
  size_t i;
  json_t *v;
  if (json_is_string(aud))
    return strcmp(json_string_value(aud), want) == 0;
  if (!json_is_array(aud))
    return 0;
  json_array_foreach(aud, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
      return 1;
  }
  return 0;
}

static int str_is(const json_t *o, const char *key, const char *want) {
  const char *v = json_string_value(json_object_get(o, key));
  return v && strcmp(v, want) == 0;
}

/* Optional NumericDate claim: 1 when absent or an integer. */
static int time_claim(const json_t *o, const char *key, json_int_t *out) {
  json_t *v = json_object_get(o, key);
  *out = 0;
  if (!v)
    return 1;
  if (!json_is_integer(v))
    return 0;
  *out = json_integer_value(v);
  return 1;
}

/* "client_id jti" remembered until exp. */
static door_err burn_jti(door_idp_profile *p, const char *client_id,
                         const char *jti, int64_t exp, int64_t now) {
  door_idp_grant g;
  door_buf key;
  door_err err;
  memset(&g, 0, sizeof g);
  g.exp = exp;
  door__buf_init(&key, 4096);
  err = door__buf_puts(&key, client_id);
  if (!err)
    err = door__buf_putc(&key, ' ');
  if (!err)
    err = door__buf_puts(&key, jti);
  if (!err)
    err = door__idp_store_put(&p->jtis, door__buf_str(&key), &g, now);
  door__buf_free(&key);
  return err;
}

door_err door__idp_client_assertion(door_idp_profile *p,
                                    const door_idp_client *c,
                                    const char *assertion, const char **desc) {
  door_jws jws;
  door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  const char *url = p->urls[DOOR_IDP_EP_TOKEN], *jti;
  json_int_t exp = 0, nbf = 0, iat = 0;
  int64_t now = door__idp_now(p);
  door_err err;
  *desc = "client_assertion is not a JWS";
  err = door__jws_parse(assertion, strlen(assertion), &lim, &jws, NULL);
  if (err)
    return err;
  err = DOOR_EINVAL;
  if (!c->jwks) {
    *desc = "the client has no registered keys";
    goto out;
  }
  if (verify_sig(c, &jws)) {
    *desc = "client_assertion signature does not verify with the client's "
            "keys";
    goto out;
  }
  jti = json_string_value(json_object_get(jws.payload, "jti"));
  if (!str_is(jws.payload, "iss", c->client_id) ||
      !str_is(jws.payload, "sub", c->client_id))
    *desc = "client_assertion iss and sub must be the client_id";
  else if (!url || !aud_ok(json_object_get(jws.payload, "aud"), url))
    *desc = "client_assertion aud must be the token endpoint URL";
  else if (!json_is_integer(json_object_get(jws.payload, "exp")) ||
           !time_claim(jws.payload, "exp", &exp) || exp <= now)
    *desc = "client_assertion has expired (or has no exp)";
  else if (exp > now + MAX_LIFETIME)
    *desc = "client_assertion lives longer than an hour";
  else if (!time_claim(jws.payload, "nbf", &nbf) || nbf > now + LEEWAY ||
           !time_claim(jws.payload, "iat", &iat) || iat > now + LEEWAY)
    *desc = "client_assertion nbf or iat is in the future";
  else if (!jti || !*jti)
    *desc = "client_assertion has no jti";
  else if ((err = burn_jti(p, c->client_id, jti, exp, now)) != DOOR_OK)
    *desc = err == DOOR_EEXISTS ? "client_assertion jti was already used"
                                : "client_assertion could not be recorded";
  else
    *desc = NULL;
  if (*desc && !err)
    err = DOOR_EINVAL;
out:
  door__jws_clear(&jws);
  return err;
}
