/* Small helpers shared by the relying-party files. */
#include "oidc/oidc.h"
#include "util/random.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

char *door__oidc_strdup(const char *s) { return s ? strdup(s) : NULL; }

void door__oidc_free_secret(char *s) {
  if (!s)
    return;
  OPENSSL_cleanse(s, strlen(s));
  free(s);
}

int door__oidc_secret_eq(const char *a, const char *b) {
  size_t la, lb;
  if (!a || !b)
    return 0;
  la = strlen(a);
  lb = strlen(b);
  if (la != lb)
    return 0;
  return CRYPTO_memcmp(a, b, la) == 0;
}

door_err door__oidc_random_b64(size_t n, door_buf *out) {
  unsigned char raw[64];
  door_err err;
  if (n > sizeof raw)
    return DOOR_EINVAL;
  if (door__random(raw, n) != DOOR_OK)
    return DOOR_ERANDOM;
  err = door__b64url_encode(raw, n, out);
  OPENSSL_cleanse(raw, sizeof raw);
  return err;
}

void door__oidc_safe_text(const char *in, char *out, size_t cap) {
  size_t i = 0;
  if (cap == 0)
    return;
  for (; in && *in && i + 1 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    int ok = (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\');
    out[i++] = ok ? (char)c : '?';
  }
  out[i] = '\0';
}

int door__oidc_is_b64url(const char *s, size_t len) {
  size_t i;
  if (!s)
    return 0;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return s[len] == '\0';
}
