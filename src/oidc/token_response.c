/* Token endpoint responses (RFC 6749 section 5, OIDC Core 3.1.3.3). */
#include "oidc/oidc.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void door__token_response_clear(door_token_response *t) {
  if (!t)
    return;
  door__oidc_free_secret(t->access_token);
  door__oidc_free_secret(t->id_token);
  door__oidc_free_secret(t->refresh_token);
  free(t->token_type);
  free(t->scope);
  memset(t, 0, sizeof *t);
  t->expires_in = -1;
}

static door_err door__bad(door_detail *d, door_err code, const char *where,
                          const char *what) {
  return door_detail_set(d, code, where, what,
                         "try again later; if it keeps failing, the "
                         "provider's service may have changed");
}

/* Copies an optional string member: absent is fine, another type is not. */
static door_err door__opt_str(json_t *o, const char *key, size_t cap,
                              char **out, door_detail *d) {
  const char *s;
  door_err err = door__json_get_str(o, key, &s);
  if (err == DOOR_ENOTFOUND)
    return DOOR_OK;
  if (err)
    return door__bad(d, DOOR_ETOKEN_RESPONSE, key,
                     "the token response has a member of the wrong type");
  if (strlen(s) > cap)
    return door__bad(d, DOOR_ETOOBIG, key,
                     "the token response has an oversized member");
  *out = strdup(s);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

door_err door__token_response_parse(const char *body, size_t len,
                                    int require_id_token,
                                    door_token_response *out, door_detail *d) {
  json_t *o = NULL, *exp;
  door_err err;
  memset(out, 0, sizeof *out);
  out->expires_in = -1;
  if (len > DOOR_TOKEN_RESPONSE_MAX)
    return door__bad(d, DOOR_ETOOBIG, "token response",
                     "the token response is too large");
  err = door__json_parse(body, len, 8, &o, NULL);
  if (err || !json_is_object(o)) {
    err = door__bad(d, DOOR_ETOKEN_RESPONSE, "token response",
                    "the token response is not a JSON object");
    goto out;
  }
  if ((err = door__opt_str(o, "access_token", DOOR_TOKEN_MAX,
                           &out->access_token, d)) ||
      (err = door__opt_str(o, "token_type", 64, &out->token_type, d)) ||
      (err = door__opt_str(o, "id_token", DOOR_TOKEN_MAX, &out->id_token, d)) ||
      (err = door__opt_str(o, "refresh_token", DOOR_TOKEN_MAX,
                           &out->refresh_token, d)) ||
      (err = door__opt_str(o, "scope", 4096, &out->scope, d)))
    goto out;
  if (!out->access_token || !*out->access_token) {
    err = door__bad(d, DOOR_ETOKEN_RESPONSE, "access_token",
                    "the token response has no access token");
    goto out;
  }
  if (!out->token_type || strcasecmp(out->token_type, "Bearer") != 0) {
    err = door__bad(d, DOOR_ETOKEN_TYPE, "token_type",
                    "the token response's token_type is not Bearer");
    goto out;
  }
  exp = json_object_get(o, "expires_in");
  if (exp) {
    if (!json_is_integer(exp) || json_integer_value(exp) < 0) {
      err = door__bad(d, DOOR_ETOKEN_RESPONSE, "expires_in",
                      "the token response's expires_in is not a "
                      "non-negative integer");
      goto out;
    }
    out->expires_in = (int64_t)json_integer_value(exp);
  }
  if (require_id_token && (!out->id_token || !*out->id_token)) {
    err = door__bad(d, DOOR_EID_TOKEN_MISSING, "id_token",
                    "the provider did not send an ID token");
    goto out;
  }
  err = DOOR_OK;
out:
  json_decref(o);
  if (err)
    door__token_response_clear(out);
  return err;
}

door_err door__oauth_error_parse(const char *body, size_t len, char *error,
                                 size_t error_cap, char *description,
                                 size_t description_cap) {
  json_t *o = NULL;
  const char *s;
  if (error_cap)
    error[0] = '\0';
  if (description_cap)
    description[0] = '\0';
  if (!body || len == 0 || len > DOOR_TOKEN_RESPONSE_MAX)
    return DOOR_OK;
  if (door__json_parse(body, len, 8, &o, NULL) || !json_is_object(o)) {
    json_decref(o);
    return DOOR_OK;
  }
  if (!door__json_get_str(o, "error", &s))
    door__oidc_safe_text(s, error, error_cap);
  if (!door__json_get_str(o, "error_description", &s))
    door__oidc_safe_text(s, description, description_cap);
  json_decref(o);
  return DOOR_OK;
}
