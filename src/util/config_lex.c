/* Configuration lexing: lines through libinih, section headers, raw
 * `key = value` entries with their line numbers. */
#include "util/config_int.h"

#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* libinih keeps key names in a 50-byte buffer. */
#define DOOR__CFG_MAX_NAME 48

char *door__cfg_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* ---- diagnostics --------------------------------------------------------- */

door_err door__cfg_report(door__cfg_ctx *c, door_diag_level level, int line,
                          const char *key, door_err code, const char *what,
                          const char *hint) {
  door_buf where;
  size_t n;
  door__buf_init(&where, 256);
  if (door__buf_puts(&where, c->file) ||
      (line > 0 &&
       (door__buf_putc(&where, ':') || door__buf_put_i64(&where, line))))
    c->oom = 1;
  n = c->errs->n;
  door__errlist_add(c->errs, level, code, door__buf_str(&where), key, what,
                    hint);
  if (c->errs->n > n)
    c->errs->items[n].line = line;
  door__buf_free(&where);
  return code;
}

door_err door__cfg_section_label(const door_config_section *s, door_buf *out) {
  door_err err = door__buf_putc(out, '[');
  if (!err)
    err = door__buf_puts(out, door__cfg_kinds[s->kind].name);
  if (!err && s->name) {
    err = door__buf_puts(out, " \"");
    if (!err)
      err = door__buf_puts(out, s->name);
    if (!err)
      err = door__buf_putc(out, '"');
  }
  if (!err)
    err = door__buf_putc(out, ']');
  return err;
}

void door__cfg_msg(door__cfg_ctx *c, door_buf *b, ...) {
  va_list ap;
  const char *s;
  door__buf_reset(b);
  va_start(ap, b);
  while ((s = va_arg(ap, const char *)) != NULL)
    if (door__buf_puts(b, s))
      c->oom = 1;
  va_end(ap);
}

/* ---- section headers ----------------------------------------------------- */

static const char door__cfg_sections_hint[] =
    "sections are [broker], [store], [provider \"NAME\"] and [event \"ID\"]";

static void door__cfg_header_error(door__cfg_ctx *c, door_err code,
                                   door_buf *what, const char *hint) {
  door__cfg_report(c, DOOR_DIAG_ERROR, c->lineno, NULL, code,
                   door__buf_str(what), hint);
  c->cur = NULL;
  c->in_bad_section = 1;
}

static void door__cfg_header(door__cfg_ctx *c, const char *s, size_t n) {
  const char *close = memchr(s, ']', n), *in, *rest;
  size_t inlen, wlen, rlen, i;
  door_buf what, hint;
  const door__cfg_kind_info *info = NULL;
  int kind = -1;
  door_config_section *sec, **grown;
  door__buf_init(&what, 512);
  door__buf_init(&hint, 512);
  if (!close) {
    door__cfg_msg(c, &what, "section header without ']'", NULL);
    door__cfg_header_error(c, DOOR_ECONFIG_SYNTAX, &what,
                           door__cfg_sections_hint);
    goto out;
  }
  for (rest = close + 1; rest < s + n && (*rest == ' ' || *rest == '\t');)
    rest++;
  if (rest < s + n && *rest != '#' && *rest != ';') {
    door__cfg_msg(c, &what, "text after the section header", NULL);
    door__cfg_header_error(c, DOOR_ECONFIG_SYNTAX, &what,
                           "put comments on their own line or after ' ;'");
    goto out;
  }
  in = s + 1;
  inlen = (size_t)(close - in);
  while (inlen && (*in == ' ' || *in == '\t'))
    in++, inlen--;
  while (inlen && (in[inlen - 1] == ' ' || in[inlen - 1] == '\t'))
    inlen--;
  for (wlen = 0;
       wlen < inlen && in[wlen] != ' ' && in[wlen] != '\t' && in[wlen] != '"';)
    wlen++;
  for (i = 0; i < DOOR__CFG_NKINDS; i++) {
    if (strlen(door__cfg_kinds[i].name) == wlen &&
        memcmp(door__cfg_kinds[i].name, in, wlen) == 0) {
      kind = (int)i;
      info = &door__cfg_kinds[i];
    }
  }
  if (!info) {
    char word[64];
    const char *names[DOOR__CFG_NKINDS], *best;
    size_t wl = wlen < sizeof word - 1 ? wlen : sizeof word - 1;
    memcpy(word, in, wl);
    word[wl] = '\0';
    for (i = 0; i < DOOR__CFG_NKINDS; i++)
      names[i] = door__cfg_kinds[i].name;
    best = door__cfg_suggest(word, names, DOOR__CFG_NKINDS);
    door__buf_reset(&what);
    if (door__buf_puts(&what, "unknown section ") ||
        door__cfg_quote(&what, word))
      c->oom = 1;
    door__cfg_msg(c, &hint, best ? "did you mean [" : "", best ? best : "",
                  best ? "]? " : "", door__cfg_sections_hint, NULL);
    door__cfg_header_error(c, DOOR_ECONFIG_UNKNOWN, &what,
                           door__buf_str(&hint));
    goto out;
  }
  rest = in + wlen;
  rlen = inlen - wlen;
  while (rlen && (*rest == ' ' || *rest == '\t'))
    rest++, rlen--;
  if (!info->named && rlen) {
    door__cfg_msg(c, &what, "[", info->name, "] takes no name", NULL);
    door__cfg_msg(c, &hint, "write [", info->name, "]", NULL);
    door__cfg_header_error(c, DOOR_ECONFIG_SYNTAX, &what, door__buf_str(&hint));
    goto out;
  }
  if (info->named) {
    if (rlen < 2 || rest[0] != '"' || rest[rlen - 1] != '"' ||
        memchr(rest + 1, '"', rlen - 2)) {
      door__cfg_msg(
          c, &what, "[", info->name,
          rlen ? "] needs its name in double quotes" : "] needs a name", NULL);
      door__cfg_msg(c, &hint, "write [", info->name, " \"", info->label, "\"]",
                    NULL);
      door__cfg_header_error(c, DOOR_ECONFIG_SYNTAX, &what,
                             door__buf_str(&hint));
      goto out;
    }
    rest++;
    rlen -= 2;
    if (!door__cfg_name_ok(rest, rlen)) {
      char name[64];
      size_t nl = rlen < sizeof name - 1 ? rlen : sizeof name - 1;
      memcpy(name, rest, nl);
      name[nl] = '\0';
      door__cfg_msg(c, &what, "bad ", info->name, " ", info->label, " ", NULL);
      if (door__cfg_quote(&what, name))
        c->oom = 1;
      door__cfg_msg(c, &hint, "use 1 to 32 characters of a-z 0-9 _ -", NULL);
      door__cfg_header_error(c, DOOR_ECONFIG_SYNTAX, &what,
                             door__buf_str(&hint));
      goto out;
    }
  }
  for (i = 0; i < c->cfg->nsections; i++) {
    sec = c->cfg->sections[i];
    if ((int)sec->kind == kind &&
        (!info->named ||
         (strlen(sec->name) == rlen && memcmp(sec->name, rest, rlen) == 0))) {
      door__buf_reset(&what);
      if (door__buf_puts(&what, "duplicate section ") ||
          door__cfg_section_label(sec, &what))
        c->oom = 1;
      door__buf_reset(&hint);
      if (door__buf_puts(&hint, "first given on line ") ||
          door__buf_put_i64(&hint, sec->line) ||
          door__buf_puts(&hint, "; merge the two"))
        c->oom = 1;
      door__cfg_header_error(c, DOOR_ECONFIG_DUPLICATE, &what,
                             door__buf_str(&hint));
      goto out;
    }
  }
  sec = calloc(1, sizeof *sec);
  grown = realloc(c->cfg->sections,
                  (c->cfg->nsections + 1) * sizeof *c->cfg->sections);
  if (!sec || !grown) {
    free(sec);
    if (grown)
      c->cfg->sections = grown;
    c->oom = 1;
    c->cur = NULL;
    c->in_bad_section = 1;
    goto out;
  }
  c->cfg->sections = grown;
  sec->kind = (door__cfg_kind)kind;
  sec->line = c->lineno;
  if (info->named) {
    sec->name = door__cfg_strndup(rest, rlen);
    if (!sec->name) {
      free(sec);
      c->oom = 1;
      c->cur = NULL;
      c->in_bad_section = 1;
      goto out;
    }
  }
  c->cfg->sections[c->cfg->nsections++] = sec;
  c->cur = sec;
  c->in_bad_section = 0;
out:
  door__buf_free(&what);
  door__buf_free(&hint);
}

/* ---- lines --------------------------------------------------------------- */

static void door__cfg_line_error(door__cfg_ctx *c, door_err code,
                                 const char *what, const char *hint) {
  door__cfg_report(c, DOOR_DIAG_ERROR, c->lineno, NULL, code, what, hint);
}

/* libinih's reader: hands over one line per call (so the handler knows the
 * line number), after checking it.  Section headers are handled here and
 * bad lines are replaced by empty ones; libinih only splits `key = value`
 * and strips comments and blanks. */
static char *door__cfg_reader(char *str, int num, void *stream) {
  door__cfg_ctx *c = stream;
  const char *line, *nl;
  size_t n, i;
  if (c->pos >= c->len || num < 3)
    return NULL;
  line = c->text + c->pos;
  nl = memchr(line, '\n', c->len - c->pos);
  n = nl ? (size_t)(nl - line) : c->len - c->pos;
  c->pos += n + (nl ? 1 : 0);
  c->lineno++;
  memcpy(str, "\n", 2);
  if (n && line[n - 1] == '\r')
    n--;
  if (c->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
    line += 3;
    n -= 3;
  }
  if (n > DOOR_CONFIG_MAX_LINE || n + 2 > (size_t)num) {
    door__cfg_line_error(c, DOOR_ECONFIG_SYNTAX,
                         "line is longer than 198 characters",
                         "shorten it: put a long secret in a file (KEY_file "
                         "= PATH) and long lists in several shorter items");
    return str;
  }
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)line[i];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7F) {
      door__cfg_line_error(c, DOOR_ECONFIG_SYNTAX,
                           "control character in the line",
                           "remove it; values are plain text");
      return str;
    }
  }
  while (n && (*line == ' ' || *line == '\t'))
    line++, n--;
  if (n == 0 || *line == '#' || *line == ';')
    return str;
  if (*line == '[') {
    door__cfg_header(c, line, n);
    return str;
  }
  for (i = 0; i < n; i++) {
    char ch = line[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
      break;
  }
  if (i > DOOR__CFG_MAX_NAME) {
    door__cfg_line_error(c, DOOR_ECONFIG_SYNTAX, "key name is too long",
                         "key names have at most 48 characters");
    return str;
  }
  {
    size_t j = i;
    while (j < n && (line[j] == ' ' || line[j] == '\t'))
      j++;
    if (i == 0 || j >= n || line[j] != '=') {
      door__cfg_line_error(c, DOOR_ECONFIG_SYNTAX,
                           "expected 'key = value', a [section] or a comment",
                           "comments start with # or ;");
      return str;
    }
  }
  if (!c->cur) {
    if (!c->in_bad_section)
      door__cfg_line_error(c, DOOR_ECONFIG_SYNTAX, "key outside any section",
                           "put it under [broker], [store], [provider "
                           "\"NAME\"] or [event \"ID\"]");
    return str;
  }
  memcpy(str, line, n);
  str[n] = '\n';
  str[n + 1] = '\0';
  return str;
}

static int door__cfg_handler(void *user, const char *section, const char *name,
                             const char *value) {
  door__cfg_ctx *c = user;
  door_config_section *s = c->cur;
  door__cfg_raw *r;
  size_t i;
  (void)section;
  if (!s)
    return 1;
  for (i = 0; i < s->nraw; i++) {
    if (strcmp(s->raw[i].name, name) == 0) {
      door_buf what, hint;
      door__buf_init(&what, 256);
      door__buf_init(&hint, 256);
      door__cfg_msg(c, &what, "duplicate key in ", NULL);
      if (door__cfg_section_label(s, &what) ||
          door__buf_puts(&hint, "first given on line ") ||
          door__buf_put_i64(&hint, s->raw[i].line) ||
          door__buf_puts(&hint, "; keep one"))
        c->oom = 1;
      door__cfg_report(c, DOOR_DIAG_ERROR, c->lineno, name,
                       DOOR_ECONFIG_DUPLICATE, door__buf_str(&what),
                       door__buf_str(&hint));
      door__buf_free(&what);
      door__buf_free(&hint);
      return 1;
    }
  }
  if (s->nraw == s->capraw) {
    size_t ncap = s->capraw ? s->capraw * 2 : 8;
    r = realloc(s->raw, ncap * sizeof *r);
    if (!r) {
      c->oom = 1;
      return 1;
    }
    s->raw = r;
    s->capraw = ncap;
  }
  r = &s->raw[s->nraw];
  r->name = door__cfg_strndup(name, strlen(name));
  r->value = door__cfg_strndup(value, strlen(value));
  r->line = c->lineno;
  if (!r->name || !r->value) {
    free(r->name);
    free(r->value);
    c->oom = 1;
    return 1;
  }
  s->nraw++;
  return 1;
}

door_err door__cfg_lex(door__cfg_ctx *c) {
  size_t errors_before = c->errs->nerrors;
  int rc = ini_parse_stream(door__cfg_reader, c, door__cfg_handler, c);
  if (rc == -2) {
    c->oom = 1;
    return DOOR_ENOMEM;
  }
  /* The reader hands libinih only lines it can parse: an error here means
   * the two disagree, so report it rather than lose it. */
  if (rc != 0 && c->errs->nerrors == errors_before)
    door__cfg_report(c, DOOR_DIAG_ERROR, rc > 0 ? rc : 0, NULL,
                     DOOR_ECONFIG_SYNTAX, "syntax error", NULL);
  return DOOR_OK;
}
