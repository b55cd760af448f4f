/* A list of diagnostics (internal): every error and warning found by a pass
 * that should report all problems at once, such as loading a configuration
 * file.  Each entry is a door_detail plus its level and the key concerned.
 */
#ifndef DOOR_UTIL_ERRLIST_H
#define DOOR_UTIL_ERRLIST_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <stddef.h>

typedef enum door_diag_level {
  DOOR_DIAG_ERROR = 0,
  DOOR_DIAG_WARNING = 1,
} door_diag_level;

typedef struct door_diag {
  door_diag_level level;
  int line;      /* line in the file, 0 when none (for sorting) */
  char key[64];  /* the configuration key concerned, "" when none */
  door_detail d; /* d.where is "FILE:LINE" or "FILE" */
} door_diag;

typedef struct door_errlist {
  door_diag *items;
  size_t n;
  size_t cap;
  size_t nerrors;   /* entries of level DOOR_DIAG_ERROR */
  size_t nwarnings; /* entries of level DOOR_DIAG_WARNING */
  size_t dropped;   /* entries not kept: past DOOR_ERRLIST_MAX or no memory */
} door_errlist;

/* More entries are counted in `dropped`, not stored. */
#define DOOR_ERRLIST_MAX 200

void door__errlist_init(door_errlist *l);
void door__errlist_free(door_errlist *l);
/* Appends an entry (strings are copied and truncated to fit) and returns
 * `code`, so a caller can write `return door__errlist_add(...)`. */
door_err door__errlist_add(door_errlist *l, door_diag_level level,
                           door_err code, const char *where, const char *key,
                           const char *what, const char *hint);

/* Sorts entries [from, n) by line, keeping the order of equal lines. */
void door__errlist_sort(door_errlist *l, size_t from);

/* Appends one line, without a newline:
 *   "FILE:LINE: error: what (key); hint"
 * The " (key)" and "; hint" parts are left out when empty. */
door_err door__diag_format(const door_diag *g, door_buf *out);

#endif
