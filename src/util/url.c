/* URL, query and form codecs: RFC 3986, WHATWG urlencoded. */
#include "util/url.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ---- percent-encoding ---------------------------------------------------- */

static int door__is_alpha(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int door__is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int door__is_unreserved(unsigned char c) {
  return door__is_alpha(c) || door__is_digit(c) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

static int door__is_sub_delim(unsigned char c) {
  return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

static int door__hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

door_err door__url_encode(door_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  char *at, *p;
  door_err err;
  /* At most three output bytes per input byte. */
  if (len > (SIZE_MAX - 1) / 3)
    return DOOR_ETOOBIG;
  err = door__buf_reserve(out, len * 3, &at);
  if (err) {
    /* Maybe the encoded form still fits: count exactly. */
    size_t need = 0;
    for (i = 0; i < len; i++)
      need += door__is_unreserved((unsigned char)s[i]) ? 1 : 3;
    err = door__buf_reserve(out, need, &at);
    if (err)
      return err;
  }
  p = at;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (door__is_unreserved(c)) {
      *p++ = (char)c;
    } else {
      *p++ = '%';
      *p++ = hex[c >> 4];
      *p++ = hex[c & 15];
    }
  }
  door__buf_commit(out, (size_t)(p - at));
  return DOOR_OK;
}

door_err door__url_decode(door_buf *out, const char *s, size_t len,
                          int plus_is_space) {
  size_t i, start = out->len;
  char *at, *p;
  door_err err = door__buf_reserve(out, len, &at);
  if (err)
    return err;
  p = at;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      int hi, lo;
      if (len - i < 3)
        goto bad;
      hi = door__hexval((unsigned char)s[i + 1]);
      lo = door__hexval((unsigned char)s[i + 2]);
      if (hi < 0 || lo < 0)
        goto bad;
      c = (unsigned char)(hi << 4 | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0')
      goto bad;
    *p++ = (char)c;
  }
  door__buf_commit(out, (size_t)(p - at));
  return DOOR_OK;
bad:
  /* Leave the buffer as it was (the reserve made data non-NULL). */
  out->data[start] = '\0';
  return DOOR_EENCODING;
}

/* ---- name/value lists ---------------------------------------------------- */

void door__kvlist_init(door_kvlist *l) {
  l->items = NULL;
  l->n = 0;
  l->cap = 0;
}

void door__kvlist_free(door_kvlist *l) {
  size_t i;
  for (i = 0; i < l->n; i++)
    free(l->items[i].name); /* the value lives in the same block */
  free(l->items);
  door__kvlist_init(l);
}

door_err door__kvlist_addn(door_kvlist *l, const char *name, size_t nlen,
                           const char *value, size_t vlen) {
  door_kv kv;
  if (!name || (!value && vlen))
    return DOOR_EINVAL;
  if (memchr(name, '\0', nlen) || (vlen && memchr(value, '\0', vlen)))
    return DOOR_EINVAL;
  if (nlen > SIZE_MAX / 2 - 2 || vlen > SIZE_MAX / 2)
    return DOOR_ENOMEM;
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 8;
    door_kv *items;
    if (ncap > SIZE_MAX / sizeof *items)
      return DOOR_ENOMEM;
    items = realloc(l->items, ncap * sizeof *items);
    if (!items)
      return DOOR_ENOMEM;
    l->items = items;
    l->cap = ncap;
  }
  /* One block: "name\0value\0" (a request's headers and form cost one
   * malloc per pair, not two). */
  kv.name = malloc(nlen + vlen + 2);
  if (!kv.name)
    return DOOR_ENOMEM;
  memcpy(kv.name, name, nlen);
  kv.name[nlen] = '\0';
  kv.value = kv.name + nlen + 1;
  if (vlen)
    memcpy(kv.value, value, vlen);
  kv.value[vlen] = '\0';
  l->items[l->n++] = kv;
  return DOOR_OK;
}

door_err door__kvlist_add(door_kvlist *l, const char *name, const char *value) {
  if (!name)
    return DOOR_EINVAL;
  if (!value)
    value = "";
  return door__kvlist_addn(l, name, strlen(name), value, strlen(value));
}

door_err door__kvlist_set_value(door_kvlist *l, size_t i, const char *value) {
  size_t nlen, vlen;
  char *block;
  if (!l || i >= l->n || !value)
    return DOOR_EINVAL;
  nlen = strlen(l->items[i].name);
  vlen = strlen(value);
  if (vlen > SIZE_MAX / 2)
    return DOOR_ENOMEM;
  block = malloc(nlen + vlen + 2);
  if (!block)
    return DOOR_ENOMEM;
  memcpy(block, l->items[i].name, nlen + 1);
  memcpy(block + nlen + 1, value, vlen + 1);
  free(l->items[i].name);
  l->items[i].name = block;
  l->items[i].value = block + nlen + 1;
  return DOOR_OK;
}

const char *door__kvlist_get(const door_kvlist *l, const char *name, int *dup) {
  const char *found = NULL;
  size_t i;
  if (dup)
    *dup = 0;
  for (i = 0; i < l->n; i++) {
    if (strcmp(l->items[i].name, name) != 0)
      continue;
    if (found) {
      if (dup)
        *dup = 1;
      return NULL;
    }
    found = l->items[i].value;
  }
  return found;
}

/* ---- application/x-www-form-urlencoded ----------------------------------- */

static door_err door__form_decode_part(door_buf *b, const char *s, size_t len,
                                       size_t max_len) {
  door_err err;
  door__buf_reset(b);
  err = door__url_decode(b, s, len, 1);
  if (err == DOOR_ETOOBIG || (!err && b->len > max_len))
    return DOOR_ETOOBIG;
  return err;
}

door_err door__form_parse(const char *s, size_t len, size_t max_pairs,
                          size_t max_len, door_kvlist *out) {
  door_buf name, value;
  size_t i = 0, start_n = out->n, pairs = 0;
  door_err err = DOOR_OK;
  /* The decoded form is never longer than the encoded one. */
  door__buf_init(&name, len + 1);
  door__buf_init(&value, len + 1);
  while (i < len) {
    const char *pair = s + i, *amp, *eq;
    size_t plen;
    amp = memchr(pair, '&', len - i);
    plen = amp ? (size_t)(amp - pair) : len - i;
    i += plen + 1;
    if (plen == 0)
      continue; /* empty pair: "a=1&&b" */
    if (++pairs > max_pairs) {
      err = DOOR_ETOOBIG;
      goto out;
    }
    eq = memchr(pair, '=', plen);
    err = door__form_decode_part(&name, pair, eq ? (size_t)(eq - pair) : plen,
                                 max_len);
    if (err)
      goto out;
    err = eq ? door__form_decode_part(&value, eq + 1,
                                      plen - (size_t)(eq - pair) - 1, max_len)
             : (door__buf_reset(&value), DOOR_OK);
    if (err)
      goto out;
    err = door__kvlist_add(out, door__buf_str(&name), door__buf_str(&value));
    if (err)
      goto out;
  }
out:
  if (err) {
    /* Roll back what this call added. */
    while (out->n > start_n) {
      out->n--;
      free(out->items[out->n].name);
    }
  }
  door__buf_free(&name);
  door__buf_free(&value);
  return err;
}

door_err door__form_append(door_buf *out, const char *name, const char *value) {
  size_t start = out->len;
  door_err err = DOOR_OK;
  if (!name)
    return DOOR_EINVAL;
  if (!value)
    value = "";
  if (out->len)
    err = door__buf_putc(out, '&');
  if (!err)
    err = door__url_encode(out, name, strlen(name));
  if (!err)
    err = door__buf_putc(out, '=');
  if (!err)
    err = door__url_encode(out, value, strlen(value));
  if (err && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return err;
}

/* ---- URL parsing --------------------------------------------------------- */

void door__url_free(door_url *u) {
  if (!u)
    return;
  free(u->scheme);
  free(u->userinfo);
  free(u->host);
  free(u->path);
  free(u->query);
  free(u->fragment);
  memset(u, 0, sizeof *u);
  u->port = -1;
}

static char *door__strndup(const char *s, size_t n, int lower) {
  char *p = malloc(n + 1);
  size_t i;
  if (!p)
    return NULL;
  for (i = 0; i < n; i++) {
    char c = s[i];
    p[i] = (lower && c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
  }
  p[n] = '\0';
  return p;
}

/* Fills the detail with the byte offset: a URL may hold a secret (userinfo,
 * a query parameter), so a detail never quotes it. */
static door_err door__url_fail(door_detail *d, size_t at, const char *what,
                               const char *hint) {
  char where[40] = "URL byte ";
  door__u64_to_str((uint64_t)at, where + strlen(where));
  return door_detail_set(d, DOOR_EURL, where, what, hint);
}

/* Checks pchar* plus the characters in `extra`, with well-formed %XX.
 * Returns the offset of the first bad byte or len. */
static size_t door__check_chars(const char *s, size_t len, const char *extra) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      if (len - i < 3 || door__hexval((unsigned char)s[i + 1]) < 0 ||
          door__hexval((unsigned char)s[i + 2]) < 0)
        return i;
      i += 2;
      continue;
    }
    if (door__is_unreserved(c) || door__is_sub_delim(c) || c == ':' ||
        c == '@' || strchr(extra, c) != NULL)
      continue;
    return i;
  }
  return len;
}

/* A dotted quad of four decimal octets without leading zeros. */
static int door__is_ipv4(const char *h, unsigned char out[4]) {
  int part = 0;
  while (part < 4) {
    unsigned v = 0, digits = 0;
    if (h[0] == '0' && door__is_digit((unsigned char)h[1]))
      return 0;
    while (door__is_digit((unsigned char)*h) && digits < 4) {
      v = v * 10 + (unsigned)(*h++ - '0');
      digits++;
    }
    if (!digits || v > 255)
      return 0;
    out[part++] = (unsigned char)v;
    if (part < 4 && *h++ != '.')
      return 0;
  }
  return *h == '\0';
}

/* WHATWG treats a host whose last label is numeric ("127.1", "0x7f.1",
 * "2130706433") as an IPv4 address in some form; only the canonical dotted
 * quad is accepted so every reader of the URL agrees on the address. */
static int door__host_ends_in_number(const char *h, size_t len) {
  size_t end = len, start, i;
  if (end && h[end - 1] == '.')
    end--;
  start = end;
  while (start && h[start - 1] != '.')
    start--;
  if (start == end)
    return 0;
  if (end - start >= 2 && h[start] == '0' &&
      (h[start + 1] == 'x' || h[start + 1] == 'X'))
    return 1;
  for (i = start; i < end; i++)
    if (!door__is_digit((unsigned char)h[i]))
      return 0;
  return 1;
}

static int door__is_special(const char *scheme) {
  return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
}

/* Parses the authority s[0..len) into u; `base` is the offset of s within
 * the URL for error positions. */
static door_err door__parse_authority(const char *s, size_t len, size_t base,
                                      door_url *u, door_detail *d) {
  const char *at, *host, *port = NULL;
  size_t hostlen, i, bad;
  unsigned char v4[4];
  at = memchr(s, '@', len);
  if (at) {
    size_t ulen = (size_t)(at - s);
    if (memchr(at + 1, '@', len - ulen - 1))
      return door__url_fail(d, base + ulen,
                            "more than one '@' in the authority",
                            "percent-encode '@' in the user name");
    bad = door__check_chars(s, ulen, "");
    if (bad < ulen)
      return door__url_fail(d, base + bad, "bad character in the userinfo",
                            "percent-encode it");
    u->userinfo = door__strndup(s, ulen, 0);
    if (!u->userinfo)
      return DOOR_ENOMEM;
    host = at + 1;
  } else {
    host = s;
  }
  hostlen = len - (size_t)(host - s);
  if (hostlen && host[0] == '[') {
    char tmp[64];
    unsigned char a6[16];
    const char *close = memchr(host, ']', hostlen);
    size_t iplen;
    if (!close)
      return door__url_fail(d, base + (size_t)(host - s),
                            "'[' without ']' in the host", NULL);
    iplen = (size_t)(close - host) - 1;
    if (iplen == 0 || iplen >= sizeof tmp)
      return door__url_fail(d, base + (size_t)(host - s), "bad IPv6 address",
                            NULL);
    memcpy(tmp, host + 1, iplen);
    tmp[iplen] = '\0';
    if (inet_pton(AF_INET6, tmp, a6) != 1)
      return door__url_fail(d, base + (size_t)(host - s) + 1,
                            "bad IPv6 address",
                            "zone identifiers and "
                            "IPvFuture are not supported");
    u->host = door__strndup(tmp, iplen, 1);
    if (!u->host)
      return DOOR_ENOMEM;
    if (close + 1 < host + hostlen) {
      if (close[1] != ':')
        return door__url_fail(d, base + (size_t)(close + 1 - s),
                              "junk after the IPv6 address", NULL);
      port = close + 2;
    }
  } else {
    const char *colon = memchr(host, ':', hostlen);
    size_t hl = colon ? (size_t)(colon - host) : hostlen;
    for (i = 0; i < hl; i++) {
      unsigned char c = (unsigned char)host[i];
      if (!(door__is_alpha(c) || door__is_digit(c) || c == '-' || c == '.' ||
            c == '_' || c == '~'))
        return door__url_fail(d, base + (size_t)(host - s) + i,
                              "bad character in the host name",
                              "use letters, digits, '-' and '.' only");
    }
    if (hl && door__host_ends_in_number(host, hl)) {
      char tmp[16];
      if (hl >= sizeof tmp)
        return door__url_fail(d, base + (size_t)(host - s),
                              "ambiguous numeric host",
                              "write an IPv4 address as four decimal octets");
      memcpy(tmp, host, hl);
      tmp[hl] = '\0';
      if (!door__is_ipv4(tmp, v4))
        return door__url_fail(d, base + (size_t)(host - s),
                              "ambiguous numeric host",
                              "write an IPv4 address as four decimal octets");
    }
    u->host = door__strndup(host, hl, 1);
    if (!u->host)
      return DOOR_ENOMEM;
    if (colon)
      port = colon + 1;
  }
  if (port) {
    size_t plen = len - (size_t)(port - s);
    long v = 0;
    if (plen == 0 || plen > 5)
      return door__url_fail(d, base + (size_t)(port - s),
                            "port must be a number from 1 to 65535", NULL);
    for (i = 0; i < plen; i++) {
      if (!door__is_digit((unsigned char)port[i]))
        return door__url_fail(d, base + (size_t)(port - s) + i,
                              "port must be a number from 1 to 65535", NULL);
      v = v * 10 + (port[i] - '0');
    }
    if (v < 1 || v > 65535)
      return door__url_fail(d, base + (size_t)(port - s),
                            "port must be a number from 1 to 65535", NULL);
    u->port = (int)v;
  }
  if (door__is_special(u->scheme) && u->host[0] == '\0')
    return door__url_fail(d, base, "http(s) URL without a host", NULL);
  return DOOR_OK;
}

door_err door__url_parse(const char *s, door_url *out, door_detail *d) {
  door_url u;
  size_t len, i, end, bad;
  const char *p;
  door_err err = DOOR_OK;
  memset(&u, 0, sizeof u);
  u.port = -1;
  memset(out, 0, sizeof *out);
  out->port = -1;
  if (!s)
    return door_detail_set(d, DOOR_EINVAL, NULL, "no URL", NULL);
  len = strlen(s);
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7F || c == '\\') {
      err = door__url_fail(d, i,
                           c == ' '    ? "space in URL"
                           : c == '\\' ? "backslash in URL"
                           : c >= 0x80 ? "non-ASCII byte in URL"
                                       : "control character in URL",
                           "percent-encode it");
      goto out;
    }
  }
  /* scheme */
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (door__is_alpha(c) ||
        (i > 0 && (door__is_digit(c) || c == '+' || c == '-' || c == '.')))
      continue;
    break;
  }
  if (i == 0 || i == len || s[i] != ':') {
    err = door__url_fail(d, i, "not an absolute URL: no scheme",
                         "write it as https://host/path");
    goto out;
  }
  u.scheme = door__strndup(s, i, 1);
  if (!u.scheme) {
    err = DOOR_ENOMEM;
    goto out;
  }
  p = s + i + 1;
  if (p[0] == '/' && p[1] == '/') {
    p += 2;
    end = strcspn(p, "/?#");
    err = door__parse_authority(p, end, (size_t)(p - s), &u, d);
    if (err)
      goto out;
    p += end;
  } else if (door__is_special(u.scheme)) {
    err = door__url_fail(d, (size_t)(p - s), "http(s) URL without a host",
                         "write it as https://host/path");
    goto out;
  }
  /* path */
  end = strcspn(p, "?#");
  bad = door__check_chars(p, end, "/");
  if (bad < end) {
    err = door__url_fail(d, (size_t)(p - s) + bad, "bad character in the path",
                         "percent-encode it");
    goto out;
  }
  u.path = door__strndup(p, end, 0);
  if (!u.path) {
    err = DOOR_ENOMEM;
    goto out;
  }
  p += end;
  if (*p == '?') {
    p++;
    end = strcspn(p, "#");
    bad = door__check_chars(p, end, "/?");
    if (bad < end) {
      err = door__url_fail(d, (size_t)(p - s) + bad,
                           "bad character in the query", "percent-encode it");
      goto out;
    }
    u.query = door__strndup(p, end, 0);
    if (!u.query) {
      err = DOOR_ENOMEM;
      goto out;
    }
    p += end;
  }
  if (*p == '#') {
    p++;
    end = strlen(p);
    bad = door__check_chars(p, end, "/?");
    if (bad < end) {
      err =
          door__url_fail(d, (size_t)(p - s) + bad,
                         "bad character in the fragment", "percent-encode it");
      goto out;
    }
    u.fragment = door__strndup(p, end, 0);
    if (!u.fragment) {
      err = DOOR_ENOMEM;
      goto out;
    }
  }
out:
  if (err) {
    if (err == DOOR_ENOMEM)
      door_detail_set(d, DOOR_ENOMEM, NULL, "out of memory parsing a URL",
                      NULL);
    door__url_free(&u);
    return err;
  }
  *out = u;
  return DOOR_OK;
}

int door__url_port(const door_url *u) {
  if (u->port > 0)
    return u->port;
  if (u->scheme && strcmp(u->scheme, "https") == 0)
    return 443;
  if (u->scheme && strcmp(u->scheme, "http") == 0)
    return 80;
  return -1;
}

int door__url_is_loopback(const door_url *u) {
  unsigned char v4[4], v6[16];
  static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                          0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff};
  if (!u || !u->host)
    return 0;
  if (strcmp(u->host, "localhost") == 0)
    return 1;
  if (door__is_ipv4(u->host, v4))
    return v4[0] == 127;
  if (strchr(u->host, ':') && inet_pton(AF_INET6, u->host, v6) == 1) {
    if (memcmp(v6, loop6, 16) == 0)
      return 1;
    return memcmp(v6, mapped, 12) == 0 && v6[12] == 127;
  }
  return 0;
}

door_err door__url_origin(const door_url *u, door_buf *out) {
  size_t start = out->len;
  int v6;
  door_err err;
  if (!u->scheme || !u->host || !u->host[0])
    return DOOR_EURL;
  v6 = strchr(u->host, ':') != NULL;
  err = door__buf_puts(out, u->scheme);
  if (!err)
    err = door__buf_puts(out, v6 ? "://[" : "://");
  if (!err)
    err = door__buf_puts(out, u->host);
  if (!err && v6)
    err = door__buf_putc(out, ']');
  if (!err && u->port > 0 &&
      !(door__is_special(u->scheme) &&
        u->port == (strcmp(u->scheme, "https") == 0 ? 443 : 80))) {
    err = door__buf_putc(out, ':');
    if (!err)
      err = door__buf_put_u64(out, (uint64_t)u->port);
  }
  if (err && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return err;
}
