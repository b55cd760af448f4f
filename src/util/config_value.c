/* Configuration values: one parser per key type, secrets. */
#include "util/config_int.h"

#include "util/url.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *door__cfg_strdup(const char *s) {
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p)
    memcpy(p, s, n + 1);
  return p;
}

static int door__cfg_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int door__cfg_strcaseeq(const char *a, const char *b) {
  while (*a && door__cfg_lower((unsigned char)*a) ==
                   door__cfg_lower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

door_err door__cfg_quote(door_buf *out, const char *s) {
  size_t i;
  door_err err = door__buf_putc(out, '\'');
  for (i = 0; !err && s[i] && i < 48; i++) {
    unsigned char c = (unsigned char)s[i];
    err = door__buf_putc(out, (c < 0x20 || c == 0x7F) ? '?' : (char)c);
  }
  if (!err && s[i])
    err = door__buf_puts(out, "...");
  if (!err)
    err = door__buf_putc(out, '\'');
  return err;
}

/* ---- edit distance for "did you mean" ------------------------------------ */

static size_t door__cfg_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), i, j;
  size_t row[65], prev, tmp;
  if (la > 64 || lb > 64)
    return 99;
  for (j = 0; j <= lb; j++)
    row[j] = j;
  for (i = 1; i <= la; i++) {
    prev = row[0];
    row[0] = i;
    for (j = 1; j <= lb; j++) {
      size_t cost = door__cfg_lower((unsigned char)a[i - 1]) ==
                            door__cfg_lower((unsigned char)b[j - 1])
                        ? 0
                        : 1;
      size_t best = prev + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      tmp = row[j];
      row[j] = best;
      prev = tmp;
    }
  }
  return row[lb];
}

const char *door__cfg_suggest(const char *s, const char *const *names,
                              size_t n) {
  const char *best = NULL;
  size_t i, bd = 3, d, len = strlen(s);
  for (i = 0; i < n; i++) {
    if (!names[i])
      continue;
    d = door__cfg_distance(s, names[i]);
    /* Short words need a closer match: "x" is not a typo of "ab". */
    if (d < bd && (d <= 1 || len > 4)) {
      bd = d;
      best = names[i];
    }
  }
  return best;
}

/* ---- scalar parsers ------------------------------------------------------ */

door_err door__config_parse_bool(const char *s, int *out) {
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};
  size_t i;
  for (i = 0; i < 4; i++) {
    if (door__cfg_strcaseeq(s, yes[i])) {
      *out = 1;
      return DOOR_OK;
    }
    if (door__cfg_strcaseeq(s, no[i])) {
      *out = 0;
      return DOOR_OK;
    }
  }
  return DOOR_ECONFIG_VALUE;
}

/* Decimal digits only, at most 18 of them. */
static door_err door__cfg_digits(const char **sp, long long *out) {
  const char *s = *sp;
  long long v = 0;
  size_t n = 0;
  while (*s >= '0' && *s <= '9') {
    if (++n > 18)
      return DOOR_ECONFIG_VALUE;
    v = v * 10 + (*s++ - '0');
  }
  if (!n)
    return DOOR_ECONFIG_VALUE;
  *sp = s;
  *out = v;
  return DOOR_OK;
}

static door_err door__cfg_parse_int(const char *s, long long *out) {
  int neg = *s == '-';
  long long v;
  if (neg)
    s++;
  if (door__cfg_digits(&s, &v) || *s)
    return DOOR_ECONFIG_VALUE;
  *out = neg ? -v : v;
  return DOOR_OK;
}

door_err door__config_parse_duration(const char *s, int64_t *seconds) {
  long long v, mul = 1;
  if (door__cfg_digits(&s, &v))
    return DOOR_ECONFIG_VALUE;
  switch (*s) {
  case '\0':
    break;
  case 's':
    s++;
    break;
  case 'm':
    mul = 60;
    s++;
    break;
  case 'h':
    mul = 3600;
    s++;
    break;
  case 'd':
    mul = 86400;
    s++;
    break;
  default:
    return DOOR_ECONFIG_VALUE;
  }
  if (*s || v > INT64_MAX / mul)
    return DOOR_ECONFIG_VALUE;
  *seconds = (int64_t)(v * mul);
  return DOOR_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t door__days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Exactly n digits at *sp. */
static int door__cfg_fixed(const char **sp, int n, int *out) {
  int v = 0, i;
  for (i = 0; i < n; i++) {
    char c = (*sp)[i];
    if (c < '0' || c > '9')
      return 0;
    v = v * 10 + (c - '0');
  }
  *sp += n;
  *out = v;
  return 1;
}

door_err door__config_parse_time(const char *s, int64_t *unix_time) {
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, leap;
  if (!door__cfg_fixed(&s, 4, &y) || *s++ != '-' ||
      !door__cfg_fixed(&s, 2, &mo) || *s++ != '-' ||
      !door__cfg_fixed(&s, 2, &d) || (*s != 'T' && *s != 't'))
    return DOOR_ECONFIG_VALUE;
  s++;
  if (!door__cfg_fixed(&s, 2, &h) || *s++ != ':' ||
      !door__cfg_fixed(&s, 2, &mi) || *s++ != ':' ||
      !door__cfg_fixed(&s, 2, &sec))
    return DOOR_ECONFIG_VALUE;
  if (*s == '.') { /* fractions of a second are accepted and dropped */
    s++;
    if (*s < '0' || *s > '9')
      return DOOR_ECONFIG_VALUE;
    while (*s >= '0' && *s <= '9')
      s++;
  }
  if (*s == 'Z' || *s == 'z') {
    s++;
  } else if (*s == '+' || *s == '-') {
    sign = *s++ == '+' ? 1 : -1;
    if (!door__cfg_fixed(&s, 2, &oh) || *s++ != ':' ||
        !door__cfg_fixed(&s, 2, &om) || oh > 23 || om > 59)
      return DOOR_ECONFIG_VALUE;
  } else {
    return DOOR_ECONFIG_VALUE;
  }
  if (*s)
    return DOOR_ECONFIG_VALUE;
  leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
      (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
    return DOOR_ECONFIG_VALUE;
  *unix_time = door__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
               sec - sign * (oh * 3600 + om * 60);
  return DOOR_OK;
}

door_err door__cfg_put_duration(door_buf *out, long long seconds) {
  static const struct {
    long long n;
    char unit;
  } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}};
  size_t i;
  door_err err;
  for (i = 0; i < 3; i++) {
    if (seconds >= units[i].n && seconds % units[i].n == 0) {
      err = door__buf_put_i64(out, seconds / units[i].n);
      return err ? err : door__buf_putc(out, units[i].unit);
    }
  }
  err = door__buf_put_i64(out, seconds);
  return err ? err : door__buf_putc(out, 's');
}

/* ---- values -------------------------------------------------------------- */

static void door__strlist_free(door_strlist *l) {
  size_t i;
  for (i = 0; i < l->n; i++)
    free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

void door__cfg_value_free(door_config_value *v) {
  const door_config_key *k = v->key;
  free(v->text);
  door__strlist_free(&v->list);
  if (v->secret.value) {
    OPENSSL_cleanse(v->secret.value, v->secret.len);
    free(v->secret.value);
  }
  free(v->secret.origin);
  memset(v, 0, sizeof *v);
  v->key = k;
}

/* The shared state of one parse, for messages. */
typedef struct door__cfg_vp {
  door__cfg_ctx *c;
  const door_config_key *k;
  const char *keyname; /* "K" or "K_file" */
  int line;
  door_buf what;
  door_buf hint;
} door__cfg_vp;

static door_err door__vp_fail(door__cfg_vp *p, door_diag_level level,
                              door_err code) {
  if (p->what.len == 0 && door__buf_puts(&p->what, door_strerror(code)))
    p->c->oom = 1;
  door__cfg_report(p->c, level, p->line, p->keyname, code,
                   door__buf_str(&p->what), door__buf_str(&p->hint));
  return code;
}

/* Builds what = a + quote(v) + b.  Never used with a secret value. */
static void door__vp_what(door__cfg_vp *p, const char *a, const char *v,
                          const char *b) {
  door_err err;
  door__buf_reset(&p->what);
  err = door__buf_puts(&p->what, a);
  if (!err && v)
    err = door__cfg_quote(&p->what, v);
  if (!err && b)
    err = door__buf_puts(&p->what, b);
  if (err)
    p->c->oom = 1;
}

static void door__vp_hint(door__cfg_vp *p, const char *a, const char *b) {
  door_err err;
  door__buf_reset(&p->hint);
  err = door__buf_puts(&p->hint, a ? a : "");
  if (!err && b)
    err = door__buf_puts(&p->hint, b);
  if (err)
    p->c->oom = 1;
}

/* hint = "one of: a, b, c" or "did you mean 'b'?" */
static void door__vp_choices_hint(door__cfg_vp *p, const char *got) {
  const char *const *ch = p->k->choices;
  const char *best;
  size_t n = 0, i;
  door_err err = DOOR_OK;
  while (ch[n])
    n++;
  best = door__cfg_suggest(got, ch, n);
  door__buf_reset(&p->hint);
  if (best) {
    err = door__buf_puts(&p->hint, "did you mean ");
    if (!err)
      err = door__cfg_quote(&p->hint, best);
    if (!err)
      err = door__buf_puts(&p->hint, "? ");
  }
  if (!err)
    err = door__buf_puts(&p->hint, "one of:");
  for (i = 0; !err && i < n; i++) {
    err = door__buf_puts(&p->hint, i ? ", " : " ");
    if (!err)
      err = door__buf_puts(&p->hint, ch[i]);
  }
  if (err)
    p->c->oom = 1;
}

static int door__cfg_in(const char *const *choices, const char *s) {
  for (; *choices; choices++)
    if (strcmp(*choices, s) == 0)
      return 1;
  return 0;
}

static char *door__cfg_resolve(door__cfg_ctx *c, const char *path) {
  door_buf b;
  door__buf_init(&b, 4096 * 2);
  if (path[0] != '/' && c->base_dir && c->base_dir[0]) {
    size_t n = strlen(c->base_dir);
    if (door__buf_puts(&b, c->base_dir) ||
        (c->base_dir[n - 1] != '/' && door__buf_putc(&b, '/')))
      goto fail;
  }
  if (door__buf_puts(&b, path))
    goto fail;
  return door__buf_detach(&b);
fail:
  door__buf_free(&b);
  return NULL;
}

static door_err door__parse_list(door__cfg_vp *p, const char *s,
                                 door_config_value *v) {
  size_t i, n = 0, cap = 0;
  char **items = NULL, **grown;
  while (*s) {
    size_t len = strcspn(s, " \t,");
    if (len == 0) {
      s++;
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      grown = realloc(items, cap * sizeof *items);
      if (!grown)
        goto nomem;
      items = grown;
    }
    items[n] = malloc(len + 1);
    if (!items[n])
      goto nomem;
    memcpy(items[n], s, len);
    items[n][len] = '\0';
    n++;
    s += len;
  }
  v->list.items = items;
  v->list.n = n;
  for (i = 0; i < n; i++) {
    size_t j;
    for (j = 0; j < i; j++) {
      if (strcmp(items[i], items[j]) == 0) {
        door__vp_what(p, "item ", items[i], " is listed twice");
        door__vp_hint(p, "remove one", NULL);
        return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
      }
    }
  }
  return DOOR_OK;
nomem:
  v->list.items = items;
  v->list.n = n;
  p->c->oom = 1;
  return DOOR_ENOMEM;
}

static door_err door__list_choices(door__cfg_vp *p,
                                   const door_config_value *v) {
  size_t i;
  for (i = 0; i < v->list.n; i++) {
    if (!door__cfg_in(p->k->choices, v->list.items[i])) {
      door__vp_what(p, "unknown item ", v->list.items[i], NULL);
      door__vp_choices_hint(p, v->list.items[i]);
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
  }
  return DOOR_OK;
}

static door_err door__parse_url(door__cfg_vp *p, const char *s) {
  door_url u;
  door_detail d;
  door_err err = door__url_parse(s, &u, &d);
  if (err == DOOR_ENOMEM) {
    p->c->oom = 1;
    return err;
  }
  if (err) {
    door__buf_reset(&p->what);
    if (door__buf_puts(&p->what, "bad URL: ") ||
        door__buf_puts(&p->what, d.what) || door__buf_puts(&p->what, " at ") ||
        door__buf_puts(&p->what, d.where))
      p->c->oom = 1;
    door__vp_hint(p, d.hint[0] ? d.hint : "write an absolute https:// URL",
                  NULL);
    return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
  }
  if (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0) {
    door__vp_what(p, "URL scheme ", u.scheme, " is not http or https");
    door__vp_hint(p, "write an absolute https:// URL", NULL);
    err = door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
  } else if (u.fragment) {
    door__vp_what(p, "URL has a fragment (#...)", NULL, NULL);
    door__vp_hint(p, "remove the fragment", NULL);
    err = door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
  }
  door__url_free(&u);
  return err;
}

static door_err door__read_secret_file(door__cfg_vp *p, const char *path,
                                       door_config_secret *sec) {
  struct stat st;
  int fd = -1, e;
  size_t len = 0;
  ssize_t r;
  char *buf = NULL;
  door_err err = DOOR_OK;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 || fstat(fd, &st) != 0) {
    e = errno;
    door__vp_what(p, "cannot read secret file ", path, ": ");
    if (door__buf_puts(&p->what, strerror(e)))
      p->c->oom = 1;
    door__vp_hint(p, "check the path and that the broker's user may read it",
                  NULL);
    err = door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_SECRET);
    goto out;
  }
  if (!S_ISREG(st.st_mode) || (size_t)st.st_size > DOOR_CONFIG_MAX_SECRET) {
    door__vp_what(p, "secret file ", path,
                  S_ISREG(st.st_mode) ? " is larger than 64 KiB"
                                      : " is not a regular file");
    err = door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_SECRET);
    goto out;
  }
  buf = malloc((size_t)st.st_size + 1);
  if (!buf) {
    p->c->oom = 1;
    err = DOOR_ENOMEM;
    goto out;
  }
  while (len < (size_t)st.st_size) {
    r = read(fd, buf + len, (size_t)st.st_size - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  if (len > 0 && buf[len - 1] == '\r')
    len--;
  buf[len] = '\0';
  if (len == 0 || memchr(buf, '\0', len)) {
    door__vp_what(p, "secret file ", path,
                  len ? " holds a NUL byte" : " is empty");
    err = door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_SECRET);
    goto out;
  }
  if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
    door__vp_what(p, "secret file ", path,
                  " may be read or changed by other users");
    door__vp_hint(p, "chmod 600 (or 640 with the broker's group) the file",
                  NULL);
    door__vp_fail(p, DOOR_DIAG_WARNING, DOOR_ECONFIG_SECRET);
  }
  sec->source = DOOR_SECRET_FILE;
  sec->origin = door__cfg_strdup(path);
  if (!sec->origin) {
    p->c->oom = 1;
    err = DOOR_ENOMEM;
    goto out;
  }
  sec->value = buf;
  sec->len = len;
  buf = NULL;
out:
  if (buf) {
    OPENSSL_cleanse(buf, (size_t)st.st_size + 1);
    free(buf);
  }
  if (fd >= 0)
    close(fd);
  return err;
}

static door_err door__parse_secret(door__cfg_vp *p, const char *s, int is_file,
                                   door_config_secret *sec) {
  const char *var, *val;
  size_t i;
  if (is_file) {
    char *path = door__cfg_resolve(p->c, s);
    door_err err;
    if (!path) {
      p->c->oom = 1;
      return DOOR_ENOMEM;
    }
    err = door__read_secret_file(p, path, sec);
    free(path);
    return err;
  }
  if (strncmp(s, "env:", 4) == 0) {
    var = s + 4;
    for (i = 0; var[i]; i++) {
      char ch = var[i];
      if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
            (i > 0 && ch >= '0' && ch <= '9')))
        break;
    }
    if (i == 0 || var[i]) {
      door__vp_what(p, "bad environment variable name ", var, NULL);
      door__vp_hint(p, "write env:NAME with NAME of letters, digits and _",
                    NULL);
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
    val = getenv(var);
    if (!val || !*val) {
      door__vp_what(p, "environment variable ", var,
                    val ? " is empty" : " is not set");
      door__vp_hint(p, "set it in the broker's environment, or use ", NULL);
      if (door__buf_puts(&p->hint, p->k->name) ||
          door__buf_puts(&p->hint, "_file = PATH"))
        p->c->oom = 1;
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_SECRET);
    }
    sec->source = DOOR_SECRET_ENV;
    sec->origin = door__cfg_strdup(var);
  } else {
    val = s;
    sec->source = DOOR_SECRET_LITERAL;
  }
  sec->len = strlen(val);
  sec->value = door__cfg_strdup(val);
  if (!sec->value || (sec->source == DOOR_SECRET_ENV && !sec->origin)) {
    p->c->oom = 1;
    return DOOR_ENOMEM;
  }
  return DOOR_OK;
}

static door_err door__parse_typed(door__cfg_vp *p, const char *s, int is_file,
                                  door_config_value *v) {
  const door_config_key *k = p->k;
  long long n = 0;
  int64_t t = 0;
  int b;
  size_t i;
  if (k->type == DOOR_CFG_LIST)
    return door__parse_list(p, s, v);
  if (*s == '\0' && !(k->flags & DOOR_CFG_EMPTY_OK)) {
    door__vp_what(p, "empty value", NULL, NULL);
    door__vp_hint(p, "give a value, or remove the line to use the default",
                  NULL);
    return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
  }
  if (k->type == DOOR_CFG_SECRET)
    return door__parse_secret(p, s, is_file, &v->secret);
  switch (k->type) {
  case DOOR_CFG_STRING:
  case DOOR_CFG_SECRET:
  case DOOR_CFG_LIST:
    break;
  case DOOR_CFG_URL:
    if (door__parse_url(p, s))
      return DOOR_ECONFIG_VALUE;
    break;
  case DOOR_CFG_PATH:
    v->text = door__cfg_resolve(p->c, s);
    if (!v->text) {
      p->c->oom = 1;
      return DOOR_ENOMEM;
    }
    if ((k->flags & DOOR_CFG_MUST_EXIST)) {
      struct stat st;
      int e = 0;
      if (stat(v->text, &st) != 0 || access(v->text, R_OK) != 0)
        e = errno;
      else if (!S_ISREG(st.st_mode))
        e = EISDIR;
      if (e) {
        door__vp_what(p, "cannot read ", v->text, ": ");
        if (door__buf_puts(&p->what,
                           e == EISDIR ? "not a regular file" : strerror(e)))
          p->c->oom = 1;
        door__vp_hint(p, "check the path and its permissions", NULL);
        return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
      }
    }
    return DOOR_OK;
  case DOOR_CFG_BOOL:
    if (door__config_parse_bool(s, &b)) {
      door__vp_what(p, "not a boolean: ", s, NULL);
      door__vp_hint(p, "write yes or no (also true/false, on/off, 1/0)", NULL);
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
    v->num = b;
    return DOOR_OK;
  case DOOR_CFG_INT:
  case DOOR_CFG_DURATION:
    if (k->type == DOOR_CFG_INT
            ? door__cfg_parse_int(s, &n) != DOOR_OK
            : door__config_parse_duration(s, &t) != DOOR_OK) {
      door__vp_what(
          p,
          k->type == DOOR_CFG_INT ? "not an integer: " : "not a duration: ", s,
          NULL);
      door__vp_hint(p,
                    k->type == DOOR_CFG_INT
                        ? "write a decimal number"
                        : "write a number with an optional unit s, m, h "
                          "or d: 90, 90s, 10m, 1h, 7d",
                    NULL);
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
    if (k->type == DOOR_CFG_DURATION)
      n = (long long)t;
    if (n < k->min || n > k->max) {
      door_err err;
      door__vp_what(p, "out of range: ", s, NULL);
      door__buf_reset(&p->hint);
      err = door__buf_puts(&p->hint, "use a value from ");
      if (!err)
        err = k->type == DOOR_CFG_INT
                  ? door__buf_put_i64(&p->hint, k->min)
                  : door__cfg_put_duration(&p->hint, k->min);
      if (!err)
        err = door__buf_puts(&p->hint, " to ");
      if (!err)
        err = k->type == DOOR_CFG_INT
                  ? door__buf_put_i64(&p->hint, k->max)
                  : door__cfg_put_duration(&p->hint, k->max);
      if (err)
        p->c->oom = 1;
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
    v->num = n;
    return DOOR_OK;
  case DOOR_CFG_ENUM:
    for (i = 0; k->choices[i]; i++) {
      if (strcmp(k->choices[i], s) == 0)
        break;
    }
    if (!k->choices[i]) {
      door__vp_what(p, "unknown value ", s, NULL);
      door__vp_choices_hint(p, s);
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
    v->num = (long long)i;
    break;
  case DOOR_CFG_TIME:
    if (door__config_parse_time(s, &t)) {
      door__vp_what(p, "not an RFC 3339 timestamp: ", s, NULL);
      door__vp_hint(p,
                    "write e.g. 2025-03-01T18:00:00+09:00 or "
                    "2025-03-01T09:00:00Z",
                    NULL);
      return door__vp_fail(p, DOOR_DIAG_ERROR, DOOR_ECONFIG_VALUE);
    }
    v->num = t;
    break;
  }
  v->text = door__cfg_strdup(s);
  if (!v->text) {
    p->c->oom = 1;
    return DOOR_ENOMEM;
  }
  return DOOR_OK;
}

door_err door__cfg_parse_value(door__cfg_ctx *c, const door_config_key *k,
                               const char *text, int is_file, int line,
                               door_config_value *v) {
  door__cfg_vp p;
  char keyname[80];
  size_t n = strlen(k->name);
  door_err err;
  door_detail d;
  if (n > sizeof keyname - 6)
    n = sizeof keyname - 6;
  memcpy(keyname, k->name, n);
  memcpy(keyname + n, is_file ? "_file" : "", is_file ? 6 : 1);
  p.c = c;
  p.k = k;
  p.keyname = keyname;
  p.line = line;
  door__buf_init(&p.what, 512);
  door__buf_init(&p.hint, 512);
  door__cfg_value_free(v);
  v->key = k;
  err = door__parse_typed(&p, text, is_file, v);
  if (!err && k->check) {
    door_detail_clear(&d);
    err = k->check(v, &d);
    if (err) {
      door__cfg_report(c, DOOR_DIAG_ERROR, line, keyname, err, d.what, d.hint);
      if (err == DOOR_ENOMEM)
        c->oom = 1;
    }
  }
  if (!err && k->type == DOOR_CFG_LIST && k->choices)
    err = door__list_choices(&p, v);
  if (err) {
    door__cfg_value_free(v);
  } else {
    v->set = 1;
    v->line = line;
  }
  door__buf_free(&p.what);
  door__buf_free(&p.hint);
  return err;
}
