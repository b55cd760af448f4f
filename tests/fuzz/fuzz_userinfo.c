/* libFuzzer target: provider JSON documents — userinfo responses
 * (door__userinfo_parse) and discovery documents (door__discovery_parse).
 *
 * Invariants (abort() on violation):
 *  - accepted userinfo is an object whose sub is exactly the expected one;
 *  - accepted metadata has exactly the expected issuer, an authorization
 *    endpoint, and https endpoints only (the scheme in any letter case;
 *    loopback http is not allowed here); its algorithm mask holds only
 *    known algorithms. */
#include "oidc/oidc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void https_or_null(const char *url) {
  if (url && strncasecmp(url, "https://", 8) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *o = NULL;
  door_metadata m;
  const char *s = (const char *)data;
  if (door__userinfo_parse(s, size, "user-1", &o, NULL) == DOOR_OK) {
    if (!json_is_object(o) ||
        strcmp(json_string_value(json_object_get(o, "sub")), "user-1") != 0)
      abort();
    json_decref(o);
  }
  if (door__discovery_parse(s, size, "https://op.example", 0, &m, NULL) ==
      DOOR_OK) {
    if (strcmp(m.issuer, "https://op.example") != 0 ||
        !m.authorization_endpoint)
      abort();
    https_or_null(m.authorization_endpoint);
    https_or_null(m.token_endpoint);
    https_or_null(m.userinfo_endpoint);
    https_or_null(m.jwks_uri);
    if (m.id_token_algs & ~(unsigned)DOOR_ALG_ALL)
      abort();
    door__metadata_clear(&m);
  }
  return 0;
}
