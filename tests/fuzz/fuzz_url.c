/* libFuzzer target: the URL and form codecs of src/util/url.c
 * (door__url_parse, door__form_parse, door__url_decode / door__url_encode).
 *
 * Invariants (abort() on violation):
 *  - an accepted URL has a lowercase scheme, no byte below 0x21, no space,
 *    no backslash in any component, a port of -1 or 1..65535, and a host
 *    for http(s);
 *  - a parsed form re-encoded with door__form_append parses back to the
 *    same pairs (names and values, in order);
 *  - encode then decode gives back the input (when it holds no NUL). */
#include "util/buf.h"
#include "util/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void clean_or_null(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  if (!s)
    return;
  for (; *p; p++)
    if (*p < 0x21 || *p == 0x7f || *p == '\\')
      abort();
}

static void check_url(const char *s) {
  door_url u;
  const char *c;
  if (door__url_parse(s, &u, NULL) != DOOR_OK)
    return;
  if (!u.scheme || !u.scheme[0])
    abort();
  for (c = u.scheme; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      abort();
  clean_or_null(u.scheme);
  clean_or_null(u.userinfo);
  clean_or_null(u.host);
  clean_or_null(u.path);
  clean_or_null(u.query);
  clean_or_null(u.fragment);
  if (u.port != -1 && (u.port < 1 || u.port > 65535))
    abort();
  if ((!strcmp(u.scheme, "https") || !strcmp(u.scheme, "http")) &&
      (!u.host || !u.host[0]))
    abort();
  door__url_free(&u);
}

static void check_form(const char *s, size_t len) {
  door_kvlist a, b;
  door_buf enc;
  size_t i;
  door__kvlist_init(&a);
  door__kvlist_init(&b);
  door__buf_init(&enc, (size_t)1 << 20);
  if (door__form_parse(s, len, 64, 4096, &a) != DOOR_OK)
    goto out;
  for (i = 0; i < a.n; i++)
    if (door__form_append(&enc, a.items[i].name, a.items[i].value) != DOOR_OK)
      goto out; /* over the buffer cap: nothing to compare */
  if (door__form_parse(enc.data ? enc.data : "", enc.len, 64, 1 << 20, &b) !=
      DOOR_OK)
    abort();
  /* empty pairs are skipped on parse; a name-less "=v" pair stays */
  if (a.n != b.n)
    abort();
  for (i = 0; i < a.n; i++)
    if (strcmp(a.items[i].name, b.items[i].name) ||
        strcmp(a.items[i].value, b.items[i].value))
      abort();
out:
  door__buf_free(&enc);
  door__kvlist_free(&a);
  door__kvlist_free(&b);
}

static void check_codec(const char *s, size_t len) {
  door_buf enc, dec;
  if (memchr(s, '\0', len))
    return;
  door__buf_init(&enc, (size_t)1 << 20);
  door__buf_init(&dec, (size_t)1 << 20);
  if (door__url_encode(&enc, s, len) != DOOR_OK)
    goto out;
  if (door__url_decode(&dec, enc.data ? enc.data : "", enc.len, 1) != DOOR_OK)
    abort();
  if (dec.len != len || (len && memcmp(dec.data, s, len)))
    abort();
out:
  door__buf_free(&enc);
  door__buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s;
  if (size > 65536)
    return 0;
  s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  check_url(s);
  check_form(s, size);
  check_codec(s, size);
  free(s);
  return 0;
}
