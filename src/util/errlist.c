/* A list of diagnostics. */
#include "util/errlist.h"

#include <stdlib.h>
#include <string.h>

void door__errlist_init(door_errlist *l) { memset(l, 0, sizeof *l); }

void door__errlist_free(door_errlist *l) {
  free(l->items);
  door__errlist_init(l);
}

door_err door__errlist_add(door_errlist *l, door_diag_level level,
                           door_err code, const char *where, const char *key,
                           const char *what, const char *hint) {
  door_diag *g;
  size_t n;
  if (level == DOOR_DIAG_ERROR)
    l->nerrors++;
  else
    l->nwarnings++;
  if (l->n >= DOOR_ERRLIST_MAX) {
    l->dropped++;
    return code;
  }
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 16;
    g = realloc(l->items, ncap * sizeof *g);
    if (!g) {
      l->dropped++;
      return code;
    }
    l->items = g;
    l->cap = ncap;
  }
  g = &l->items[l->n++];
  g->level = level;
  g->line = 0;
  if (!key)
    key = "";
  n = strlen(key);
  if (n >= sizeof g->key)
    n = sizeof g->key - 1;
  memcpy(g->key, key, n);
  g->key[n] = '\0';
  door_detail_set(&g->d, code, where, what, hint);
  return code;
}

void door__errlist_sort(door_errlist *l, size_t from) {
  size_t i, j;
  door_diag tmp;
  /* Insertion sort: stable, and the lists are short. */
  for (i = from + 1; i < l->n; i++) {
    tmp = l->items[i];
    for (j = i; j > from && l->items[j - 1].line > tmp.line; j--)
      l->items[j] = l->items[j - 1];
    l->items[j] = tmp;
  }
}

door_err door__diag_format(const door_diag *g, door_buf *out) {
  size_t start = out->len;
  door_err err;
  err = door__buf_puts(out, g->d.where[0] ? g->d.where : "(unknown)");
  if (!err)
    err = door__buf_puts(out, g->level == DOOR_DIAG_ERROR ? ": error: "
                                                          : ": warning: ");
  if (!err)
    err = door__buf_puts(out,
                         g->d.what[0] ? g->d.what : door_strerror(g->d.code));
  if (!err && g->key[0]) {
    err = door__buf_puts(out, " (");
    if (!err)
      err = door__buf_puts(out, g->key);
    if (!err)
      err = door__buf_putc(out, ')');
  }
  if (!err && g->d.hint[0]) {
    err = door__buf_puts(out, "; ");
    if (!err)
      err = door__buf_puts(out, g->d.hint);
  }
  if (err && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return err;
}
