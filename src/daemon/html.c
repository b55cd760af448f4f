/* HTML escaping, Accept-Language selection and dates (see html.h). */
#include "daemon/html.h"

#include <string.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t door__utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  size_t n, i;
  unsigned cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return n;
}

door_err door__html_escape(door_buf *out, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  door_err err = DOOR_OK;
  while (!err && *p) {
    size_t n;
    switch (*p) {
    case '&':
      err = door__buf_puts(out, "&amp;");
      break;
    case '<':
      err = door__buf_puts(out, "&lt;");
      break;
    case '>':
      err = door__buf_puts(out, "&gt;");
      break;
    case '"':
      err = door__buf_puts(out, "&quot;");
      break;
    case '\'':
      err = door__buf_puts(out, "&#39;");
      break;
    default:
      if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7F) {
        err = door__buf_puts(out, "\xEF\xBF\xBD");
        break;
      }
      n = door__utf8_len(p);
      if (!n) {
        err = door__buf_puts(out, "\xEF\xBF\xBD");
        break;
      }
      err = door__buf_append(out, p, n);
      p += n;
      continue;
    }
    p++;
  }
  return err;
}

static int door__ows(char c) { return c == ' ' || c == '\t'; }

/* q-value in thousandths: "1", "0.8", "0.125"; -1 when malformed. */
static int door__qvalue(const char *s, size_t n) {
  int v = 0, digits = 0;
  size_t i = 0;
  if (n == 0 || (s[0] != '0' && s[0] != '1'))
    return -1;
  v = (s[0] - '0') * 1000;
  i = 1;
  if (i < n && s[i] == '.') {
    int scale = 100;
    for (i++; i < n && digits < 3; i++, digits++) {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v += (s[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != n || v > 1000)
    return -1;
  return v;
}

const char *door__lang_pick(const char *h) {
  const char *p = h;
  int best_q = 0, best_ja = 0;
  if (!h)
    return "en";
  while (*p) {
    size_t seg, tag;
    const char *end, *semi, *tag_end;
    size_t n;
    int q = 1000, ja, en;
    while (door__ows(*p))
      p++;
    seg = strcspn(p, ",");
    end = p + seg;
    tag = strcspn(p, ";,");
    semi = tag < seg ? p + tag : NULL;
    tag_end = p + tag;
    while (tag_end > p && door__ows(tag_end[-1]))
      tag_end--;
    n = (size_t)(tag_end - p);
    ja = (n == 2 || (n > 2 && p[2] == '-')) && (p[0] == 'j' || p[0] == 'J') &&
         (p[1] == 'a' || p[1] == 'A');
    en = (n == 2 || (n > 2 && p[2] == '-')) && (p[0] == 'e' || p[0] == 'E') &&
         (p[1] == 'n' || p[1] == 'N');
    if (semi) {
      const char *v = semi + 1, *ve = end;
      while (v < ve && door__ows(*v))
        v++;
      while (ve > v && door__ows(ve[-1]))
        ve--;
      if (ve - v >= 2 && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
        q = door__qvalue(v + 2, (size_t)(ve - v - 2));
      else
        q = -1;
    }
    if ((ja || en) && q > best_q) {
      best_q = q;
      best_ja = ja;
    }
    p = *end ? end + 1 : end;
  }
  return best_ja ? "ja" : "en";
}

static door_err door__2d(door_buf *out, int v) {
  char s[3];
  s[0] = (char)('0' + (v / 10) % 10);
  s[1] = (char)('0' + v % 10);
  s[2] = '\0';
  return door__buf_puts(out, s);
}

door_err door__html_date(door_buf *out, int64_t t) {
  struct tm tm;
  time_t tt = (time_t)t;
  door_err err;
  if (!gmtime_r(&tt, &tm))
    return door__buf_puts(out, "-");
  if ((err = door__buf_put_i64(out, (int64_t)tm.tm_year + 1900)) ||
      (err = door__buf_putc(out, '-')) ||
      (err = door__2d(out, tm.tm_mon + 1)) ||
      (err = door__buf_putc(out, '-')) || (err = door__2d(out, tm.tm_mday)) ||
      (err = door__buf_putc(out, ' ')) || (err = door__2d(out, tm.tm_hour)) ||
      (err = door__buf_putc(out, ':')) || (err = door__2d(out, tm.tm_min)))
    return err;
  return door__buf_puts(out, " UTC");
}
