/* "What it understood": a loaded configuration as text, secrets hidden. */
#include "util/config_int.h"

#include <string.h>

#define DOOR__DESCRIBE_COL 52

/* scheme://user:PASSWORD@host... with the password replaced. */
static door_err door__put_masked(door_buf *out, const char *s) {
  const char *auth = strstr(s, "://"), *end, *at, *colon;
  door_err err;
  if (!auth)
    return door__buf_puts(out, s);
  auth += 3;
  end = auth + strcspn(auth, "/?#");
  at = NULL;
  for (colon = auth; colon < end; colon++)
    if (*colon == '@')
      at = colon;
  if (!at)
    return door__buf_puts(out, s);
  colon = memchr(auth, ':', (size_t)(at - auth));
  if (!colon)
    return door__buf_puts(out, s);
  err = door__buf_append(out, s, (size_t)(colon + 1 - s));
  if (!err)
    err = door__buf_puts(out, "(hidden)");
  if (!err)
    err = door__buf_puts(out, at);
  return err;
}

static door_err door__put_value(door_buf *out, const door_config_value *v) {
  const door_config_key *k = v->key;
  door_err err = DOOR_OK;
  size_t i;
  switch (k->type) {
  case DOOR_CFG_STRING:
  case DOOR_CFG_URL:
  case DOOR_CFG_PATH:
  case DOOR_CFG_TIME:
    return door__put_masked(out, v->text ? v->text : "");
  case DOOR_CFG_ENUM:
    return door__buf_puts(out, k->choices[v->num]);
  case DOOR_CFG_BOOL:
    return door__buf_puts(out, v->num ? "yes" : "no");
  case DOOR_CFG_INT:
    return door__buf_put_i64(out, v->num);
  case DOOR_CFG_DURATION:
    return door__cfg_put_duration(out, v->num);
  case DOOR_CFG_LIST:
    if (v->list.n == 0)
      return door__buf_puts(out, "(none)");
    for (i = 0; !err && i < v->list.n; i++) {
      if (i)
        err = door__buf_putc(out, ' ');
      if (!err)
        err = door__buf_puts(out, v->list.items[i]);
    }
    return err;
  case DOOR_CFG_SECRET:
    switch (v->secret.source) {
    case DOOR_SECRET_FILE:
      err = door__buf_puts(out, "(secret from file ");
      break;
    case DOOR_SECRET_ENV:
      err = door__buf_puts(out, "(secret from environment variable ");
      break;
    default:
      return door__buf_puts(out, "(secret given inline)");
    }
    if (!err)
      err = door__buf_puts(out, v->secret.origin);
    if (!err)
      err = door__buf_putc(out, ')');
    return err;
  }
  return DOOR_OK;
}

/* Terminal columns of s[0..n): a 3- or 4-byte UTF-8 sequence (CJK, emoji)
 * counts as 2, continuation bytes as 0. */
static size_t door__columns(const char *s, size_t n) {
  size_t i, w = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80 || (c >= 0xC0 && c < 0xE0))
      w += 1;
    else if (c >= 0xE0)
      w += 2;
  }
  return w;
}

/* Pads the current line to the comment column. */
static door_err door__pad(door_buf *out, size_t line_start) {
  size_t w = door__columns(out->data + line_start, out->len - line_start);
  door_err err = door__buf_puts(out, "  ");
  for (w += 2; !err && w < DOOR__DESCRIBE_COL; w++)
    err = door__buf_putc(out, ' ');
  return err;
}

static door_err door__describe_section(const door_config_section *s,
                                       door_buf *out) {
  size_t i, start = out->len;
  door_err err = door__cfg_section_label(s, out);
  if (!err)
    err = door__pad(out, start);
  if (!err)
    err = door__buf_puts(out, "# line ");
  if (!err)
    err = door__buf_put_i64(out, s->line);
  if (!err)
    err = door__buf_putc(out, '\n');
  for (i = 0; !err && i < s->nvals; i++) {
    const door_config_value *v = &s->vals[i];
    if (!v->set)
      continue;
    start = out->len;
    err = door__buf_puts(out, "  ");
    if (!err)
      err = door__buf_puts(out, v->key->name);
    if (!err)
      err = door__buf_puts(out, " = ");
    if (!err)
      err = door__put_value(out, v);
    if (!err)
      err = door__pad(out, start);
    if (!err && v->line) {
      err = door__buf_puts(out, "# line ");
      if (!err)
        err = door__buf_put_i64(out, v->line);
    } else if (!err) {
      err = door__buf_puts(out, "# default");
    }
    if (!err)
      err = door__buf_putc(out, '\n');
  }
  return err;
}

door_err door__config_describe(const door_config *cfg, door_buf *out) {
  size_t i, start = out->len;
  door_err err;
  err = door__buf_puts(out, "# configuration from ");
  if (!err)
    err = door__buf_puts(out, cfg->path);
  if (!err)
    err = door__buf_puts(out, ": ");
  if (!err)
    err = door__buf_put_u64(out, cfg->nproviders);
  if (!err)
    err = door__buf_puts(out,
                         cfg->nproviders == 1 ? " provider, " : " providers, ");
  if (!err)
    err = door__buf_put_u64(out, cfg->nevents);
  if (!err)
    err = door__buf_puts(out, cfg->nevents == 1 ? " event\n" : " events\n");
  for (i = 0; !err && i < cfg->nsections; i++) {
    err = door__buf_putc(out, '\n');
    if (!err)
      err = door__describe_section(cfg->sections[i], out);
  }
  if (err && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return err;
}
