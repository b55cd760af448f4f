/* URL, query and form codecs (internal).  RFC 3986 and the WHATWG
 * application/x-www-form-urlencoded rules.  No URL is ever built with printf:
 * build it in a door_buf with these functions.
 */
#ifndef DOOR_UTIL_URL_H
#define DOOR_UTIL_URL_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <stddef.h>

/* Percent-encodes `s[0..len)` for a query or form component: unreserved
 * characters (ALPHA DIGIT - . _ ~) are kept, everything else is %XX
 * (uppercase hex).  Spaces become %20 (valid in both a query and a form). */
door_err door__url_encode(door_buf *out, const char *s, size_t len);

/* Decodes a form/query component: %XX (either case) and '+' as space.
 * DOOR_EENCODING for a bad escape; NUL bytes (%00) are refused
 * (DOOR_EENCODING) so decoded values are always safe C strings. */
door_err door__url_decode(door_buf *out, const char *s, size_t len,
                          int plus_is_space);

/* A list of decoded name/value pairs, in input order.  Ownership: the list
 * owns each pair as one allocation, "name\0value\0", at `name`; `value`
 * points into it.  Never free or assign `value` alone: replace a value with
 * door__kvlist_set_value. */
typedef struct door_kv {
  char *name;
  char *value;
} door_kv;

typedef struct door_kvlist {
  door_kv *items;
  size_t n;
  size_t cap;
} door_kvlist;

void door__kvlist_init(door_kvlist *l);
void door__kvlist_free(door_kvlist *l);
door_err door__kvlist_add(door_kvlist *l, const char *name, const char *value);
/* The same with counted strings (not NUL-terminated); a NUL inside either
 * is refused (DOOR_EINVAL): names and values are C strings. */
door_err door__kvlist_addn(door_kvlist *l, const char *name, size_t nlen,
                           const char *value, size_t vlen);
/* Replaces the value of pair `i` (< l->n); on failure the pair is as it
 * was. */
door_err door__kvlist_set_value(door_kvlist *l, size_t i, const char *value);
/* The value of the only pair named `name`: NULL when absent.  When the name
 * occurs more than once, *dup (if not NULL) is set to 1 and NULL returned:
 * OAuth parameters must not repeat (RFC 6749 section 3.1). */
const char *door__kvlist_get(const door_kvlist *l, const char *name, int *dup);

/* Parses "a=1&b=2" (a query without '?', or a form body) into `out`.
 * Caps: max_pairs pairs, each name/value at most max_len bytes decoded;
 * DOOR_ETOOBIG past them.  Empty pairs ("a=1&&b") are skipped; a pair
 * without '=' has an empty value. */
door_err door__form_parse(const char *s, size_t len, size_t max_pairs,
                          size_t max_len, door_kvlist *out);
/* Appends name=value pairs, percent-encoded, joined by '&'. */
door_err door__form_append(door_buf *out, const char *name, const char *value);

/* A parsed absolute URL (RFC 3986), components owned by the struct. */
typedef struct door_url {
  char *scheme;   /* lowercased: "https" */
  char *userinfo; /* NULL when absent */
  char *host;     /* lowercased; IPv6 without brackets */
  int port;       /* -1 when absent */
  char *path;     /* "" when absent */
  char *query;    /* NULL when absent (without '?') */
  char *fragment; /* NULL when absent */
} door_url;

/* Parses an absolute URL.  Refuses control characters, spaces, backslashes,
 * NUL, a missing scheme or host for http(s), and ports outside 1..65535. */
door_err door__url_parse(const char *s, door_url *out, door_detail *d);
void door__url_free(door_url *u);
/* The default port (443/80) when none is given. */
int door__url_port(const door_url *u);
/* 1 when the host is a loopback address or "localhost". */
int door__url_is_loopback(const door_url *u);
/* scheme://host[:port] with the default port omitted, appended to out. */
door_err door__url_origin(const door_url *u, door_buf *out);

#endif
