/* libFuzzer target: what a browser sends to the callback — the query
 * (door__callback_parse), the Cookie header (door__cookie_find), the sealed
 * pending-login cookie (door__pending_open) and return_to targets
 * (door__return_to_check).
 *
 * Invariants (abort() on violation):
 *  - a query that parses has a 43-character base64url state, a non-empty
 *    code or error, and no parameter twice;
 *  - a cookie value found lies inside the header;
 *  - no input ever opens as a sealed cookie (that would be a forgery);
 *  - an accepted return_to is a single-'/' path or an http(s) URL on an
 *    allowed origin, with no backslash, control character or space. */
#include "oidc/oidc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const allow[] = {"https://door.example",
                                    "https://shop.example/door/"};

static void check_callback(const char *s) {
  door_callback cb;
  size_t i, j;
  if (door__callback_parse(s, &cb, NULL) == DOOR_OK) {
    if (!door__oidc_is_b64url(cb.state, DOOR_STATE_LEN))
      abort();
    if (!(cb.code && *cb.code) && !(cb.error && *cb.error))
      abort();
    for (i = 0; i < cb.kv.n; i++)
      for (j = i + 1; j < cb.kv.n; j++)
        if (strcmp(cb.kv.items[i].name, cb.kv.items[j].name) == 0)
          abort();
  }
  door__callback_clear(&cb);
}

static void check_cookie(const char *s, const door_sealer *sealer) {
  static const char name[] =
      "__Host-door-login-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  const char *v;
  size_t len;
  door_pending p;
  if (door__cookie_find(s, name, &v, &len, NULL) == DOOR_OK) {
    if (v < s || v + len > s + strlen(s))
      abort();
    if (door__pending_open(sealer, name, v, len, &p, NULL) == DOOR_OK)
      abort();
  }
  if (door__pending_open(sealer, name, s, strlen(s), &p, NULL) == DOOR_OK)
    abort();
}

static void check_return_to(const char *s) {
  size_t i;
  door_url u;
  if (door__return_to_check(s, "https://broker.example", allow, 2, NULL))
    return;
  for (i = 0; s[i]; i++)
    if ((unsigned char)s[i] <= 0x20 || s[i] == '\\' ||
        (unsigned char)s[i] >= 0x7f)
      abort();
  if (s[0] == '/') {
    if (s[1] == '/')
      abort();
    return;
  }
  /* Absolute: https, no userinfo, port 443, an allowed host (and path). */
  if (door__url_parse(s, &u, NULL))
    abort();
  if (strcmp(u.scheme, "https") != 0 || u.userinfo || door__url_port(&u) != 443)
    abort();
  if (strcmp(u.host, "shop.example") == 0) {
    if (strncmp(u.path, "/door/", 6) != 0)
      abort();
  } else if (strcmp(u.host, "door.example") != 0 &&
             strcmp(u.host, "broker.example") != 0) {
    abort();
  }
  door__url_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static door_sealer sealer;
  static int ready;
  char *s;
  if (!ready) {
    static const unsigned char key[32] = "fuzz key fuzz key fuzz key fuzz";
    if (door__sealer_init(&sealer, key, sizeof key))
      abort();
    ready = 1;
  }
  if (size > 65536)
    return 0;
  s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  check_callback(s);
  check_cookie(s, &sealer);
  check_return_to(s);
  free(s);
  return 0;
}
