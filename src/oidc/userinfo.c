/* UserInfo responses (OIDC Core 5.3.2): a JSON object whose sub must be
 * the ID token's (5.3.4: otherwise the response must not be used). */
#include "oidc/oidc.h"
#include "util/json.h"

#include <string.h>

door_err door__userinfo_parse(const char *body, size_t len, const char *sub,
                              json_t **out, door_detail *d) {
  json_t *o = NULL;
  const char *s;
  door_err err;
  *out = NULL;
  if (len > DOOR_USERINFO_MAX)
    return door_detail_set(d, DOOR_ETOOBIG, "userinfo",
                           "the provider's user information is too large",
                           NULL);
  if (door__json_parse(body, len, DOOR_JSON_DEPTH_DEFAULT, &o, NULL) ||
      !json_is_object(o)) {
    err = door_detail_set(d, DOOR_EUSERINFO, "userinfo",
                          "the provider's user information is not a JSON "
                          "object (a signed response is not supported)",
                          NULL);
    goto out;
  }
  err = door__json_get_str(o, "sub", &s);
  if (err) {
    err = door_detail_set(d, DOOR_EUSERINFO, "sub",
                          "the provider's user information has no sub", NULL);
    goto out;
  }
  if (!sub || strcmp(s, sub) != 0) {
    err = door_detail_set(d, DOOR_EUSERINFO_SUB, "sub",
                          "the provider's user information is about another "
                          "user than the ID token",
                          "sign in again");
    goto out;
  }
  *out = o;
  o = NULL;
out:
  json_decref(o);
  return err;
}
