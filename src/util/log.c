/* Logging: one line per event, key=value or JSON, with redaction. */
#include "util/log.h"

#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DOOR__LOG_VALUE_MAX 1024 /* bytes of one written value */
#define DOOR__LOG_LINE_MAX 8192  /* bytes of one line */
#define DOOR__LOG_KEY_MAX 64     /* bytes of one key */
/* Room kept at the end of a line for the truncation marker and the '}'. */
#define DOOR__LOG_RESERVE 32

static const char *const door__log_level_names[] = {"debug", "info", "warn",
                                                    "error"};

static const char door__redacted[] = "[redacted]";

void door__log_init(door_log *lg, const char *program) {
  lg->min_level = DOOR_LOG_INFO;
  lg->format = DOOR_LOG_KV;
  lg->sink = NULL;
  lg->sink_ud = NULL;
  lg->program = program;
}

door_err door__log_level_parse(const char *s, door_log_level *out) {
  size_t i;
  if (!s)
    return DOOR_EINVAL;
  for (i = 0; i < sizeof door__log_level_names / sizeof(char *); i++) {
    if (strcmp(s, door__log_level_names[i]) == 0) {
      *out = (door_log_level)i;
      return DOOR_OK;
    }
  }
  return DOOR_EINVAL;
}

/* ---- redaction ----------------------------------------------------------- */

static int door__lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison in which '-' and '_' are the same. */
static int door__key_char_eq(char a, char b) {
  int x = door__lower((unsigned char)a), y = door__lower((unsigned char)b);
  if (x == '-')
    x = '_';
  if (y == '-')
    y = '_';
  return x == y;
}

static int door__key_eq(const char *a, size_t alen, const char *b) {
  size_t i, blen = strlen(b);
  if (alen != blen)
    return 0;
  for (i = 0; i < alen; i++)
    if (!door__key_char_eq(a[i], b[i]))
      return 0;
  return 1;
}

int door__log_key_is_secret(const char *key) {
  static const char *const exact[] = {
      "client_secret", "secret",    "password",      "code",
      "code_verifier", "token",     "access_token",  "refresh_token",
      "id_token",      "assertion", "authorization", "cookie",
      "set_cookie",    "session",   "state",         "nonce",
  };
  static const char *const suffixes[] = {"_secret", "_token", "_key",
                                         "_password"};
  size_t i, len, slen;
  if (!key)
    return 0;
  len = strlen(key);
  for (i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (door__key_eq(key, len, exact[i]))
      return 1;
  for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    slen = strlen(suffixes[i]);
    if (len > slen && door__key_eq(key + len - slen, slen, suffixes[i]))
      return 1;
  }
  return 0;
}

static int door__is_b64url(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* token68 characters (RFC 9110 section 11.2), without the trailing '='. */
static int door__is_token68(unsigned char c) {
  return door__is_b64url(c) || c == '.' || c == '~' || c == '+' || c == '/';
}

/* A JWS/JWE-shaped run at s: "eyJ" then base64url segments joined by at
 * least two dots, the first two segments not empty. */
static int door__jws_at(const char *s) {
  size_t i = 0, dots = 0, seglen = 0;
  if (strncmp(s, "eyJ", 3) != 0)
    return 0;
  for (;; i++) {
    unsigned char c = (unsigned char)s[i];
    if (door__is_b64url(c)) {
      seglen++;
    } else if (c == '.') {
      if (seglen == 0 && dots < 2)
        return 0;
      dots++;
      seglen = 0;
    } else {
      break;
    }
  }
  return dots >= 2;
}

/* "Bearer X" or "Basic X" at s, X being 8 or more token68 characters. */
static int door__auth_scheme_at(const char *s) {
  static const char *const schemes[] = {"bearer ", "basic "};
  size_t i, j, n;
  for (i = 0; i < 2; i++) {
    n = strlen(schemes[i]);
    for (j = 0; j < n; j++)
      if (door__lower((unsigned char)s[j]) != schemes[i][j])
        break;
    if (j < n)
      continue;
    while (s[n] == ' ')
      n++;
    for (j = 0; door__is_token68((unsigned char)s[n + j]); j++)
      ;
    if (j >= 8)
      return 1;
  }
  return 0;
}

int door__log_value_is_secret(const char *value) {
  size_t i;
  if (!value)
    return 0;
  for (i = 0; value[i]; i++) {
    /* Only at the start of a word: "xeyJ..." is not a token. */
    if (i > 0 && door__is_b64url((unsigned char)value[i - 1]))
      continue;
    if (door__jws_at(value + i) || door__auth_scheme_at(value + i))
      return 1;
  }
  return 0;
}

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t door__utf8_len(const unsigned char *s, size_t n) {
  size_t len, i;
  uint32_t cp;
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    len = 2;
    cp = s[0] & 0x1F;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    len = 3;
    cp = s[0] & 0x0F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    len = 4;
    cp = s[0] & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

static const char door__hex[] = "0123456789abcdef";

/* Whether a kv value needs quotes: space, '"', '=', a control character,
 * DEL or invalid UTF-8. */
static int door__kv_needs_quotes(const char *v) {
  const unsigned char *s = (const unsigned char *)v;
  size_t n = strlen(v), i = 0, l;
  while (i < n) {
    if (s[i] <= 0x20 || s[i] == '"' || s[i] == '=' || s[i] == 0x7F)
      return 1;
    l = door__utf8_len(s + i, n - i);
    if (!l)
      return 1;
    i += l;
  }
  return 0;
}

/* Writes the escaped form of one character sequence at s into tmp; returns
 * its length and sets *used to the number of input bytes consumed. */
static size_t door__escape_one(const unsigned char *s, size_t n, int json,
                               int quoted, char tmp[8], size_t *used) {
  size_t l = door__utf8_len(s, n);
  unsigned char c = s[0];
  *used = l ? l : 1;
  if (!l) { /* invalid UTF-8 byte */
    if (json) {
      memcpy(tmp, "\\ufffd", 6);
      return 6;
    }
    memcpy(tmp, "\\x", 2);
    tmp[2] = door__hex[c >> 4];
    tmp[3] = door__hex[c & 15];
    return 4;
  }
  if (l > 1) {
    memcpy(tmp, s, l);
    return l;
  }
  if (c == '"' || (c == '\\' && (json || quoted))) {
    tmp[0] = '\\';
    tmp[1] = (char)c;
    return 2;
  }
  if (c == '\n' || c == '\r' || c == '\t') {
    tmp[0] = '\\';
    tmp[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    return 2;
  }
  if (c < 0x20 || c == 0x7F) {
    if (json) {
      memcpy(tmp, "\\u00", 4);
      tmp[4] = door__hex[c >> 4];
      tmp[5] = door__hex[c & 15];
      return 6;
    }
    memcpy(tmp, "\\x", 2);
    tmp[2] = door__hex[c >> 4];
    tmp[3] = door__hex[c & 15];
    return 4;
  }
  tmp[0] = (char)c;
  return 1;
}

/* Appends the escaped value, at most DOOR__LOG_VALUE_MAX bytes of output
 * (quotes included); a value that does not fit is cut at a character
 * boundary and ends with "...". */
static door_err door__put_value(door_buf *b, const char *v, int json) {
  const unsigned char *s = (const unsigned char *)v;
  size_t n = strlen(v), i, used, tl, total = 0, written = 0;
  int quoted = json || door__kv_needs_quotes(v);
  size_t room = DOOR__LOG_VALUE_MAX - (quoted ? 2 : 0);
  char tmp[8];
  door_err err = DOOR_OK;
  for (i = 0; i < n && total <= room; i += used)
    total += door__escape_one(s + i, n - i, json, quoted, tmp, &used);
  if (total > room)
    room -= 3; /* for "..." */
  if (quoted)
    err = door__buf_putc(b, '"');
  for (i = 0; !err && i < n; i += used) {
    tl = door__escape_one(s + i, n - i, json, quoted, tmp, &used);
    if (written + tl > room) {
      err = door__buf_puts(b, "...");
      break;
    }
    err = door__buf_append(b, tmp, tl);
    written += tl;
  }
  if (!err && quoted)
    err = door__buf_putc(b, '"');
  return err;
}

/* Keys are written as given when made of [A-Za-z0-9_.-]; any other byte
 * becomes '_', so a key can never break the line's structure. */
static door_err door__put_key(door_buf *b, const char *k) {
  size_t i;
  door_err err = DOOR_OK;
  if (!k || !*k)
    k = "_";
  for (i = 0; k[i] && i < DOOR__LOG_KEY_MAX && !err; i++) {
    unsigned char c = (unsigned char)k[i];
    if (!(door__is_b64url(c) || c == '.'))
      c = '_';
    err = door__buf_putc(b, (char)c);
  }
  return err;
}

/* ---- line building ------------------------------------------------------- */

typedef struct door__line {
  door_buf buf;
  door_buf pair;
  int json;
  int truncated;
  door_err err;
} door__line;

static void door__line_pair(door__line *ln, const char *key, const char *value,
                            int redact_by_key) {
  door_err err;
  if (ln->err || ln->truncated)
    return;
  if (!value)
    value = "";
  if ((redact_by_key && door__log_key_is_secret(key)) ||
      door__log_value_is_secret(value))
    value = door__redacted;
  door__buf_reset(&ln->pair);
  if (ln->json) {
    err = door__buf_puts(&ln->pair, ln->buf.len > 1 ? ",\"" : "\"");
    if (!err)
      err = door__put_key(&ln->pair, key);
    if (!err)
      err = door__buf_puts(&ln->pair, "\":");
  } else {
    err = ln->buf.len ? door__buf_putc(&ln->pair, ' ') : DOOR_OK;
    if (!err)
      err = door__put_key(&ln->pair, key);
    if (!err)
      err = door__buf_putc(&ln->pair, '=');
  }
  if (!err)
    err = door__put_value(&ln->pair, value, ln->json);
  if (err) {
    ln->err = err;
    return;
  }
  if (ln->buf.len + ln->pair.len > DOOR__LOG_LINE_MAX - DOOR__LOG_RESERVE) {
    ln->truncated = 1;
    return;
  }
  ln->err = door__buf_append(&ln->buf, ln->pair.data, ln->pair.len);
}

/* RFC 3339 UTC with milliseconds: 2025-01-31T23:59:59.123Z */
static void door__timestamp(char out[32]) {
  struct timespec ts;
  struct tm tm;
  int v[7], w[7] = {4, 2, 2, 2, 2, 2, 3};
  const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  size_t n = 0;
  int i, j;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm)) {
    memcpy(out, "1970-01-01T00:00:00.000Z", 25);
    return;
  }
  v[0] = tm.tm_year + 1900;
  v[1] = tm.tm_mon + 1;
  v[2] = tm.tm_mday;
  v[3] = tm.tm_hour;
  v[4] = tm.tm_min;
  v[5] = tm.tm_sec > 59 ? 59 : tm.tm_sec;
  v[6] = (int)(ts.tv_nsec / 1000000);
  for (i = 0; i < 7; i++) {
    for (j = w[i] - 1; j >= 0; j--) {
      out[n + (size_t)j] = (char)('0' + v[i] % 10);
      v[i] /= 10;
    }
    n += (size_t)w[i];
    out[n++] = sep[i];
  }
  out[n] = '\0';
}

static void door__line_begin(door__line *ln, const door_log *lg,
                             door_log_level level, const char *event) {
  char ts[32];
  door__buf_init(&ln->buf, DOOR__LOG_LINE_MAX);
  door__buf_init(&ln->pair, DOOR__LOG_LINE_MAX);
  ln->json = lg->format == DOOR_LOG_JSON;
  ln->truncated = 0;
  ln->err = ln->json ? door__buf_putc(&ln->buf, '{') : DOOR_OK;
  door__timestamp(ts);
  door__line_pair(ln, "ts", ts, 0);
  door__line_pair(ln, "level",
                  (unsigned)level <= DOOR_LOG_ERROR
                      ? door__log_level_names[level]
                      : "error",
                  0);
  if (lg->program)
    door__line_pair(ln, "prog", lg->program, 0);
  door__line_pair(ln, "event", event, 0);
}

static void door__line_end(door__line *ln, const door_log *lg,
                           door_log_level level) {
  door_err err = ln->err;
  if (!err && ln->truncated)
    err = door__buf_puts(&ln->buf,
                         ln->json ? ",\"truncated\":true" : " truncated=true");
  if (!err && ln->json)
    err = door__buf_putc(&ln->buf, '}');
  if (!err) {
    if (lg->sink) {
      lg->sink(lg->sink_ud, level, ln->buf.data, ln->buf.len);
    } else {
      /* The line and its newline in one fwrite (stdio locks the stream). */
      ln->buf.max = DOOR__LOG_LINE_MAX + 1;
      if (!door__buf_putc(&ln->buf, '\n'))
        (void)!fwrite(ln->buf.data, 1, ln->buf.len, stderr);
    }
  }
  door__buf_free(&ln->buf);
  door__buf_free(&ln->pair);
}

static int door__log_enabled(const door_log *lg, door_log_level level) {
  return lg && level >= lg->min_level;
}

void door__log(const door_log *lg, door_log_level level, const char *event,
               ...) {
  door__line ln;
  va_list ap;
  const char *key, *value;
  if (!door__log_enabled(lg, level))
    return;
  door__line_begin(&ln, lg, level, event);
  va_start(ap, event);
  while ((key = va_arg(ap, const char *)) != NULL) {
    value = va_arg(ap, const char *);
    door__line_pair(&ln, key, value, 1);
  }
  va_end(ap);
  door__line_end(&ln, lg, level);
}

void door__log_detail(const door_log *lg, door_log_level level,
                      const char *event, const door_detail *d) {
  door__line ln;
  if (!door__log_enabled(lg, level))
    return;
  door__line_begin(&ln, lg, level, event);
  if (d) {
    door__line_pair(&ln, "err", door_err_name(d->code), 1);
    door__line_pair(&ln, "what", d->what[0] ? d->what : door_strerror(d->code),
                    1);
    if (d->where[0])
      door__line_pair(&ln, "where", d->where, 1);
    if (d->hint[0])
      door__line_pair(&ln, "hint", d->hint, 1);
  }
  door__line_end(&ln, lg, level);
}
