/* Request header building and response header parsing for src/http. */
#include "http/http_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <string.h>

#define DOOR__HTTP_DELTA_MAX 2147483648L /* RFC 9111 section 1.2.2 */

int door__http_ieq(const char *s, size_t n, const char *lit) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char a = (unsigned char)s[i], b = (unsigned char)lit[i];
    if (b == '\0')
      return 0;
    if (a >= 'A' && a <= 'Z')
      a = (unsigned char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = (unsigned char)(b - 'A' + 'a');
    if (a != b)
      return 0;
  }
  return lit[n] == '\0';
}

static int door__http_ows(char c) { return c == ' ' || c == '\t'; }

/* Trims optional whitespace (and CR/LF at the end) around s[*b..*e). */
static void door__http_trim(const char *s, size_t *b, size_t *e) {
  while (*b < *e && door__http_ows(s[*b]))
    (*b)++;
  while (*e > *b &&
         (door__http_ows(s[*e - 1]) || s[*e - 1] == '\r' || s[*e - 1] == '\n'))
    (*e)--;
}

/* Parses 1*DIGIT, saturating at DOOR__HTTP_DELTA_MAX; -1 when not digits. */
static long door__http_delta(const char *s, size_t n) {
  long v = 0;
  size_t i;
  if (n == 0)
    return -1;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    if (v < DOOR__HTTP_DELTA_MAX)
      v = v * 10 + (s[i] - '0');
  }
  return v > DOOR__HTTP_DELTA_MAX ? DOOR__HTTP_DELTA_MAX : v;
}

void door__http_parse_cache_control(const char *v, long *max_age,
                                    int *no_store) {
  size_t i = 0, len, b, e, eq, vb, ve;
  int quoted;
  long age;
  *max_age = -1;
  *no_store = 0;
  if (!v)
    return;
  len = strlen(v);
  while (i < len) {
    /* One directive: up to the next comma outside a quoted string. */
    b = i;
    quoted = 0;
    while (i < len && (quoted || v[i] != ',')) {
      if (v[i] == '"')
        quoted = !quoted;
      else if (quoted && v[i] == '\\' && i + 1 < len)
        i++;
      i++;
    }
    e = i++;
    door__http_trim(v, &b, &e);
    for (eq = b; eq < e && v[eq] != '='; eq++)
      ;
    vb = eq < e ? eq + 1 : e;
    ve = e;
    door__http_trim(v, &b, &eq);
    door__http_trim(v, &vb, &ve);
    if (ve - vb >= 2 && v[vb] == '"' && v[ve - 1] == '"') {
      vb++;
      ve--;
    }
    if (door__http_ieq(v + b, eq - b, "max-age")) {
      age = door__http_delta(v + vb, ve - vb);
      if (age >= 0 && (*max_age < 0 || age < *max_age))
        *max_age = age;
    } else if (door__http_ieq(v + b, eq - b, "no-store") ||
               (door__http_ieq(v + b, eq - b, "no-cache") && eq == e)) {
      *no_store = 1;
    }
  }
}

long door__http_parse_retry_after(const char *v, long long now) {
  size_t b = 0, e;
  long long t;
  char tmp[64];
  if (!v)
    return -1;
  e = strlen(v);
  door__http_trim(v, &b, &e);
  if (b < e && v[b] >= '0' && v[b] <= '9')
    return door__http_delta(v + b, e - b);
  if (e - b == 0 || e - b >= sizeof tmp)
    return -1;
  memcpy(tmp, v + b, e - b);
  tmp[e - b] = '\0';
  t = (long long)curl_getdate(tmp, NULL);
  if (t == -1)
    return -1;
  if (t <= now)
    return 0;
  return t - now > DOOR__HTTP_DELTA_MAX ? DOOR__HTTP_DELTA_MAX
                                        : (long)(t - now);
}

int door__http_is_json(const door_http_response *resp) {
  const char *ct = resp ? resp->content_type : NULL;
  size_t b = 0, e, slash;
  if (!ct)
    return 0;
  for (e = 0; ct[e] && ct[e] != ';'; e++)
    ;
  door__http_trim(ct, &b, &e);
  for (slash = b; slash < e && ct[slash] != '/'; slash++)
    ;
  if (slash == e || !door__http_ieq(ct + b, slash - b, "application"))
    return 0;
  if (door__http_ieq(ct + slash + 1, e - slash - 1, "json"))
    return 1;
  /* application/<name>+json: a non-empty name before the suffix. */
  return e - slash - 1 > 5 && door__http_ieq(ct + e - 5, 5, "+json");
}

/* ---- response headers ---------------------------------------------- */

void door__http_hdrs_init(door__http_hdrs *hh, size_t max) {
  hh->total = 0;
  hh->max = max;
  hh->have_ct = hh->have_loc = hh->have_ra = 0;
  door__buf_init(&hh->content_type, max);
  door__buf_init(&hh->location, max);
  door__buf_init(&hh->www_authenticate, max);
  door__buf_init(&hh->cache_control, max);
  door__buf_init(&hh->retry_after, max);
}

void door__http_hdrs_free(door__http_hdrs *hh) {
  door__buf_free(&hh->content_type);
  door__buf_free(&hh->location);
  door__buf_free(&hh->www_authenticate);
  door__buf_free(&hh->cache_control);
  door__buf_free(&hh->retry_after);
}

static void door__http_hdrs_forget(door__http_hdrs *hh) {
  hh->have_ct = hh->have_loc = hh->have_ra = 0;
  door__buf_reset(&hh->content_type);
  door__buf_reset(&hh->location);
  door__buf_reset(&hh->www_authenticate);
  door__buf_reset(&hh->cache_control);
  door__buf_reset(&hh->retry_after);
}

/* Sets a single-valued header: the first occurrence wins. */
static door_err door__http_hdr_first(door_buf *b, int *have, const char *v,
                                     size_t n) {
  if (*have)
    return DOOR_OK;
  *have = 1;
  return door__buf_append(b, v, n);
}

/* Appends to a list-valued header, joining fields with ", ". */
static door_err door__http_hdr_join(door_buf *b, const char *v, size_t n) {
  door_err err = DOOR_OK;
  if (b->len)
    err = door__buf_append(b, ", ", 2);
  if (!err)
    err = door__buf_append(b, v, n);
  return err;
}

door_err door__http_hdrs_line(door__http_hdrs *hh, const char *line,
                              size_t len) {
  size_t colon, b, e, i;
  const char *name;
  door_err err;
  if (len > hh->max || hh->total > hh->max - len)
    return DOOR_EHTTP_HEADERS_TOOBIG;
  hh->total += len;
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    door__http_hdrs_forget(hh);
    return DOOR_OK;
  }
  for (colon = 0; colon < len && line[colon] != ':'; colon++)
    ;
  if (colon == 0 || colon == len)
    return DOOR_OK; /* the empty line ending the headers, or not a field */
  for (i = 0; i < colon; i++)
    if ((unsigned char)line[i] <= ' ')
      return DOOR_OK; /* whitespace in a field name: not a field we use */
  name = line;
  b = colon + 1;
  e = len;
  door__http_trim(line, &b, &e);
  if (door__http_ieq(name, colon, "content-type"))
    err =
        door__http_hdr_first(&hh->content_type, &hh->have_ct, line + b, e - b);
  else if (door__http_ieq(name, colon, "location"))
    err = door__http_hdr_first(&hh->location, &hh->have_loc, line + b, e - b);
  else if (door__http_ieq(name, colon, "retry-after"))
    err = door__http_hdr_first(&hh->retry_after, &hh->have_ra, line + b, e - b);
  else if (door__http_ieq(name, colon, "www-authenticate"))
    err = door__http_hdr_join(&hh->www_authenticate, line + b, e - b);
  else if (door__http_ieq(name, colon, "cache-control"))
    err = door__http_hdr_join(&hh->cache_control, line + b, e - b);
  else
    err = DOOR_OK;
  if (err == DOOR_ETOOBIG)
    err = DOOR_EHTTP_HEADERS_TOOBIG;
  return err;
}

/* Detaches `b` into *out when `have`; NULL otherwise. */
static door_err door__http_take_str(door_buf *b, int have, char **out) {
  *out = NULL;
  if (!have)
    return DOOR_OK;
  *out = door__buf_detach(b);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

door_err door__http_hdrs_finish(door__http_hdrs *hh, door_http_response *resp,
                                long long now) {
  door_err err;
  err =
      door__http_take_str(&hh->content_type, hh->have_ct, &resp->content_type);
  if (err)
    goto out;
  err = door__http_take_str(&hh->location, hh->have_loc, &resp->location);
  if (err)
    goto out;
  err = door__http_take_str(&hh->www_authenticate, hh->www_authenticate.len > 0,
                            &resp->www_authenticate);
  if (err)
    goto out;
  door__http_parse_cache_control(
      hh->cache_control.len ? door__buf_str(&hh->cache_control) : NULL,
      &resp->cache_max_age, &resp->cache_no_store);
  resp->retry_after =
      hh->have_ra
          ? door__http_parse_retry_after(door__buf_str(&hh->retry_after), now)
          : -1;
out:
  return err;
}

/* ---- request headers ----------------------------------------------- */

static int door__http_is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int door__http_is_token(const char *s) {
  if (!s || !*s)
    return 0;
  for (; *s; s++)
    if (!door__http_is_tchar((unsigned char)*s))
      return 0;
  return 1;
}

/* A field value: visible characters, SP, HTAB, obs-text; not empty. */
static int door__http_is_value(const char *s) {
  if (!s || !*s)
    return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return 0;
  }
  return 1;
}

/* RFC 6750 b64token. */
static int door__http_is_b64token(const char *s) {
  size_t i = 0;
  if (!s)
    return 0;
  while (s[i] && (door__http_is_tchar((unsigned char)s[i]) || s[i] == '/') &&
         !strchr("!#$%&'*^`|", s[i]))
    i++;
  if (i == 0)
    return 0;
  while (s[i] == '=')
    i++;
  return s[i] == '\0';
}

/* Visible ASCII, as form-encoding produces. */
static int door__http_is_visible(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
      return 0;
  return 1;
}

/* Builds "Name: value" and appends it to *l. */
static door_err door__http_add(struct curl_slist **l, const char *name,
                               const char *value) {
  door_buf b;
  struct curl_slist *n;
  door_err err;
  door__buf_init(&b, DOOR__HTTP_REQ_HEADER_MAX);
  err = door__buf_puts(&b, name);
  if (!err)
    err = door__buf_append(&b, ": ", 2);
  if (!err)
    err = door__buf_puts(&b, value);
  if (err)
    goto out;
  n = curl_slist_append(*l, b.data);
  if (!n) {
    err = DOOR_ENOMEM;
    goto out;
  }
  *l = n;
out:
  if (b.data)
    OPENSSL_cleanse(b.data, b.cap);
  door__buf_free(&b);
  return err;
}

/* "Basic " + base64(user ":" password), wiped after use. */
static door_err door__http_add_basic(struct curl_slist **l, const char *user,
                                     const char *pass) {
  door_buf raw, val;
  char *at;
  size_t n;
  door_err err;
  door__buf_init(&raw, DOOR__HTTP_REQ_HEADER_MAX);
  door__buf_init(&val, DOOR__HTTP_REQ_HEADER_MAX);
  err = door__buf_puts(&raw, user);
  if (!err)
    err = door__buf_putc(&raw, ':');
  if (!err)
    err = door__buf_puts(&raw, pass);
  if (!err)
    err = door__buf_puts(&val, "Basic ");
  if (err)
    goto out;
  n = (raw.len + 2) / 3 * 4;
  err = door__buf_reserve(&val, n + 1, &at);
  if (err)
    goto out;
  if (EVP_EncodeBlock((unsigned char *)at, (const unsigned char *)raw.data,
                      (int)raw.len) != (int)n) {
    err = DOOR_ECRYPTO;
    goto out;
  }
  door__buf_commit(&val, n);
  err = door__http_add(l, "Authorization", val.data);
out:
  if (raw.data)
    OPENSSL_cleanse(raw.data, raw.cap);
  if (val.data)
    OPENSSL_cleanse(val.data, val.cap);
  door__buf_free(&raw);
  door__buf_free(&val);
  return err;
}

/* "Bearer " + token, wiped after use. */
static door_err door__http_add_bearer(struct curl_slist **l,
                                      const char *token) {
  door_buf v;
  door_err err;
  door__buf_init(&v, DOOR__HTTP_REQ_HEADER_MAX);
  err = door__buf_puts(&v, "Bearer ");
  if (!err)
    err = door__buf_puts(&v, token);
  if (!err)
    err = door__http_add(l, "Authorization", v.data);
  if (v.data)
    OPENSSL_cleanse(v.data, v.cap);
  door__buf_free(&v);
  return err;
}

static const char *const door__http_reserved[] = {
    "authorization",
    "proxy-authorization",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "cookie",
    "te",
    "upgrade",
    "accept",
    "content-type",
    "user-agent",
    "keep-alive",
    "trailer",
    NULL,
};

static door_err door__http_bad(door_detail *d, const char *where,
                               const char *what) {
  return door_detail_set(d, DOOR_EINVAL, where, what, NULL);
}

door_err door__http_request_headers(const door_http_request *req,
                                    struct curl_slist **out, door_detail *d) {
  struct curl_slist *l = NULL;
  const char *accept = req->accept ? req->accept : "application/json";
  door_err err = DOOR_OK;
  size_t i, k;
  *out = NULL;
  if (!door__http_is_value(accept)) {
    err = door__http_bad(d, "accept", "bad Accept value");
    goto out;
  }
  err = door__http_add(&l, "Accept", accept);
  if (err)
    goto out;
  if (req->body) {
    const char *ct = req->content_type ? req->content_type
                                       : "application/x-www-form-urlencoded";
    if (!door__http_is_value(ct)) {
      err = door__http_bad(d, "content_type", "bad Content-Type value");
      goto out;
    }
    err = door__http_add(&l, "Content-Type", ct);
    if (err)
      goto out;
  }
  if (req->bearer_token && (req->basic_user || req->basic_password)) {
    err = door__http_bad(d, "bearer_token",
                         "bearer token and Basic credentials together");
    goto out;
  }
  if (req->bearer_token) {
    if (!door__http_is_b64token(req->bearer_token)) {
      err = door__http_bad(d, "bearer_token",
                           "bearer token has characters outside b64token");
      goto out;
    }
    err = door__http_add_bearer(&l, req->bearer_token);
    if (err)
      goto out;
  } else if (req->basic_user || req->basic_password) {
    if (!req->basic_user || !req->basic_password || !*req->basic_user ||
        !door__http_is_visible(req->basic_user) ||
        !door__http_is_visible(req->basic_password) ||
        strchr(req->basic_user, ':')) {
      err = door__http_bad(d, "basic_user",
                           "Basic credentials must be form-encoded, the user "
                           "non-empty and without ':'");
      goto out;
    }
    err = door__http_add_basic(&l, req->basic_user, req->basic_password);
    if (err)
      goto out;
  }
  for (i = 0; i < req->n_headers; i++) {
    const door_http_header *h = &req->headers[i];
    if (!door__http_is_token(h->name) || !door__http_is_value(h->value)) {
      err = door__http_bad(
          d, h->name && door__http_is_token(h->name) ? h->name : "headers",
          "malformed header name or value");
      goto out;
    }
    for (k = 0; door__http_reserved[k]; k++)
      if (door__http_ieq(h->name, strlen(h->name), door__http_reserved[k])) {
        err = door__http_bad(d, h->name,
                             "header is set by the client or its own field");
        goto out;
      }
    err = door__http_add(&l, h->name, h->value);
    if (err)
      goto out;
  }
  /* "Expect:" with no value removes libcurl's 100-continue for POST. */
  {
    struct curl_slist *n = curl_slist_append(l, "Expect:");
    if (!n) {
      err = DOOR_ENOMEM;
      goto out;
    }
    l = n;
  }
out:
  if (err == DOOR_ETOOBIG)
    door_detail_set(d, err, "headers", "a request header is too large", NULL);
  if (err) {
    door__http_slist_free(l);
    l = NULL;
  }
  *out = l;
  return err;
}

void door__http_slist_free(struct curl_slist *l) {
  struct curl_slist *p;
  for (p = l; p; p = p->next)
    if (p->data)
      OPENSSL_cleanse(p->data, strlen(p->data));
  curl_slist_free_all(l);
}
