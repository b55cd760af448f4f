/* Algorithm names, allow-lists and the OIDC half hash. */
#include "jose/jose.h"

#include <openssl/evp.h>
#include <string.h>

static const struct {
  const char *name;
  door_alg alg;
} door__algs[] = {
    {"RS256", DOOR_ALG_RS256},
    {"PS256", DOOR_ALG_PS256},
    {"ES256", DOOR_ALG_ES256},
    {"HS256", DOOR_ALG_HS256},
};

#define DOOR__NALGS (sizeof door__algs / sizeof door__algs[0])

door_alg door__alg_from_name(const char *name, size_t len) {
  size_t i;
  if (!name || len != 5)
    return DOOR_ALG_UNKNOWN;
  for (i = 0; i < DOOR__NALGS; i++)
    if (memcmp(name, door__algs[i].name, 5) == 0)
      return door__algs[i].alg;
  return DOOR_ALG_UNKNOWN;
}

const char *door__alg_name(door_alg alg) {
  size_t i;
  for (i = 0; i < DOOR__NALGS; i++)
    if (door__algs[i].alg == alg)
      return door__algs[i].name;
  return "unknown";
}

static int door__is_none(const char *w, size_t n) {
  static const char none[] = "none";
  size_t i;
  if (n != 4)
    return 0;
  for (i = 0; i < 4; i++) {
    char c = w[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != none[i])
      return 0;
  }
  return 1;
}

int door__alg_is_none(const char *name, size_t len) {
  return name ? door__is_none(name, len) : 0;
}

/* "what" for a bad word: prefix + the word (cut to 64 bytes) + "'". */
static door_err door__algs_fail(door_detail *d, door_err code,
                                const char *prefix, const char *w, size_t n) {
  char what[128];
  size_t p = strlen(prefix);
  if (n > 64)
    n = 64;
  memcpy(what, prefix, p);
  memcpy(what + p, w, n);
  what[p + n] = '\'';
  what[p + n + 1] = '\0';
  return door_detail_set(d, code, "algorithms", what,
                         "use RS256, PS256, ES256 or HS256");
}

door_err door__algs_parse(const char *list, unsigned *mask, door_detail *d) {
  const char *p = list;
  unsigned m = 0;
  *mask = 0;
  if (!list)
    return door_detail_set(d, DOOR_EINVAL, "algorithms", "no algorithm list",
                           NULL);
  for (;;) {
    const char *w;
    size_t n;
    door_alg a;
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (!*p)
      break;
    w = p;
    while (*p && *p != ' ' && *p != ',' && *p != '\t')
      p++;
    n = (size_t)(p - w);
    if (door__is_none(w, n))
      return door__algs_fail(d, DOOR_EALG_NONE, "alg none is never allowed: '",
                             w, n);
    a = door__alg_from_name(w, n);
    if (a == DOOR_ALG_UNKNOWN)
      return door__algs_fail(d, DOOR_EALG_UNKNOWN, "unknown algorithm '", w, n);
    m |= (unsigned)a;
  }
  if (!m)
    return door_detail_set(d, DOOR_EINVAL, "algorithms", "empty algorithm list",
                           "name at least one");
  *mask = m;
  return DOOR_OK;
}

door_err door__jose_half_hash(door_alg alg, const char *value, size_t len,
                              door_buf *out) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  switch (alg) {
  case DOOR_ALG_RS256:
  case DOOR_ALG_PS256:
  case DOOR_ALG_ES256:
  case DOOR_ALG_HS256:
    break;
  default:
    return DOOR_EALG_UNKNOWN;
  }
  if (!value && len)
    return DOOR_EINVAL;
  if (!EVP_Digest(value ? value : "", len, md, &mdlen, EVP_sha256(), NULL) ||
      mdlen != 32)
    return DOOR_ECRYPTO;
  return door__b64url_encode(md, mdlen / 2, out);
}
