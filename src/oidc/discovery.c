/* OpenID Provider metadata (OIDC Discovery 1.0 section 3 and 4.3). */
#include "oidc/oidc.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#define DOOR_DISCOVERY_MAX 262144

void door__metadata_clear(door_metadata *m) {
  if (!m)
    return;
  free(m->issuer);
  free(m->authorization_endpoint);
  free(m->token_endpoint);
  free(m->userinfo_endpoint);
  free(m->jwks_uri);
  memset(m, 0, sizeof *m);
  m->max_age = -1;
}

door_err door__endpoint_check(const char *url, const char *what,
                              int allow_insecure_loopback, door_detail *d) {
  door_url u;
  door_err err = DOOR_OK;
  if (door__url_parse(url, &u, NULL))
    return door_detail_set(d, DOOR_EDISCOVERY, what,
                           "a provider endpoint is not a valid URL",
                           "fix the provider's configuration");
  if (u.userinfo || u.fragment)
    err = door_detail_set(d, DOOR_EDISCOVERY, what,
                          "a provider endpoint has a user name or fragment",
                          "fix the provider's configuration");
  else if (strcmp(u.scheme, "https") != 0 &&
           !(allow_insecure_loopback && strcmp(u.scheme, "http") == 0 &&
             door__url_is_loopback(&u)))
    err = door_detail_set(d, DOOR_EDISCOVERY_INSECURE, what,
                          "a provider endpoint is not https",
                          "use https endpoints (plain http only on "
                          "loopback with allow_insecure_loopback)");
  door__url_free(&u);
  return err;
}

static door_err door__take_url(json_t *o, const char *key, int required,
                               int insecure_ok, char **out, door_detail *d) {
  const char *s;
  door_err err = door__json_get_str(o, key, &s);
  if (err == DOOR_ENOTFOUND && !required)
    return DOOR_OK;
  if (err)
    return door_detail_set(d, DOOR_EDISCOVERY, key,
                           "the provider's discovery document lacks an "
                           "endpoint or has one of the wrong type",
                           "configure the endpoint explicitly");
  err = door__endpoint_check(s, key, insecure_ok, d);
  if (err)
    return err;
  *out = strdup(s);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

/* 1 when the array member `key` holds the string `want`. */
static int door__array_has(json_t *o, const char *key, const char *want) {
  json_t *a = json_object_get(o, key), *v;
  size_t i;
  if (!json_is_array(a))
    return 0;
  json_array_foreach(a, i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
      return 1;
  }
  return 0;
}

door_err door__discovery_parse(const char *body, size_t len,
                               const char *expected_issuer,
                               int allow_insecure_loopback, door_metadata *out,
                               door_detail *d) {
  json_t *o = NULL, *algs, *v;
  const char *iss;
  int b = 0;
  size_t i;
  door_err err;
  memset(out, 0, sizeof *out);
  out->max_age = -1;
  if (len > DOOR_DISCOVERY_MAX)
    return door_detail_set(d, DOOR_ETOOBIG, "discovery",
                           "the provider's discovery document is too large",
                           NULL);
  if (door__json_parse(body, len, DOOR_JSON_DEPTH_DEFAULT, &o, NULL) ||
      !json_is_object(o)) {
    err = door_detail_set(d, DOOR_EDISCOVERY, "discovery",
                          "the provider's discovery document is not a JSON "
                          "object",
                          NULL);
    goto out;
  }
  if (door__json_get_str(o, "issuer", &iss) || !expected_issuer ||
      strcmp(iss, expected_issuer) != 0) {
    err = door_detail_set(d, DOOR_EDISCOVERY_ISSUER, "issuer",
                          "the provider's discovery document names another "
                          "issuer",
                          "set issuer exactly as the provider publishes it "
                          "(including any trailing slash)");
    goto out;
  }
  out->issuer = strdup(iss);
  if (!out->issuer) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if ((err = door__take_url(o, "authorization_endpoint", 1,
                            allow_insecure_loopback,
                            &out->authorization_endpoint, d)) ||
      (err = door__take_url(o, "token_endpoint", 0, allow_insecure_loopback,
                            &out->token_endpoint, d)) ||
      (err = door__take_url(o, "userinfo_endpoint", 0, allow_insecure_loopback,
                            &out->userinfo_endpoint, d)) ||
      (err = door__take_url(o, "jwks_uri", 0, allow_insecure_loopback,
                            &out->jwks_uri, d)))
    goto out;
  algs = json_object_get(o, "id_token_signing_alg_values_supported");
  json_array_foreach(algs, i, v) {
    if (json_is_string(v))
      out->id_token_algs |= (unsigned)door__alg_from_name(
          json_string_value(v), json_string_length(v));
  }
  err = door__json_get_bool(o, "authorization_response_iss_parameter_supported",
                            &b);
  if (err && err != DOOR_ENOTFOUND) {
    err = door_detail_set(d, DOOR_EDISCOVERY,
                          "authorization_response_iss_parameter_supported",
                          "the provider's discovery document has a "
                          "non-boolean flag",
                          NULL);
    goto out;
  }
  out->iss_parameter_supported = !err && b;
  out->pkce_s256_supported =
      door__array_has(o, "code_challenge_methods_supported", "S256");
  err = DOOR_OK;
out:
  json_decref(o);
  if (err)
    door__metadata_clear(out);
  return err;
}
