/* door-idp scenario reading helpers (internal to scenario*.c): a JSON path
 * kept alongside the walk, so every error names where it is, e.g.
 * "profiles.daccount.clients[0].redirect_uris[1]". */
#ifndef DOOR_IDP_SC_H
#define DOOR_IDP_SC_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <jansson.h>

typedef struct door_idp_sc {
  door_detail *d;
  const char *dir; /* base for relative file names, or NULL */
  door_buf path;
} door_idp_sc;

void door__idp_sc_init(door_idp_sc *sc, door_detail *d, const char *dir,
                       const char *where);
void door__idp_sc_free(door_idp_sc *sc);
/* Appends ".key" ("key" at the root); returns the previous length. */
size_t door__idp_sc_key(door_idp_sc *sc, const char *key);
/* Appends "[i]"; returns the previous length. */
size_t door__idp_sc_index(door_idp_sc *sc, size_t i);
void door__idp_sc_pop(door_idp_sc *sc, size_t len);
/* Fills the detail with the current path; returns `code`. */
door_err door__idp_sc_fail(door_idp_sc *sc, door_err code, const char *what,
                           const char *hint);
/* Refuses members of `obj` not in the NULL-terminated `allowed`. */
door_err door__idp_sc_known(door_idp_sc *sc, const json_t *obj,
                            const char *const *allowed);

/* Typed optional members: leave *out alone when absent. */
door_err door__idp_sc_str(door_idp_sc *sc, const json_t *obj, const char *key,
                          const char **out);
door_err door__idp_sc_bool(door_idp_sc *sc, const json_t *obj, const char *key,
                           int *out);
door_err door__idp_sc_int(door_idp_sc *sc, const json_t *obj, const char *key,
                          long long min, long long max, long long *out);
/* An array of strings (NULL when absent); *out is a malloc'ed vector of
 * malloc'ed strings.  `check` (may be NULL) validates each element, with
 * the path at the element. */
door_err door__idp_sc_strv(door_idp_sc *sc, const json_t *obj, const char *key,
                           door_err (*check)(door_idp_sc *sc, const char *s,
                                             void *ud),
                           void *ud, char ***out, size_t *n);
/* Reads a whole file named relative to sc->dir (capped at `max` bytes). */
door_err door__idp_sc_read_file(door_idp_sc *sc, const char *name, size_t max,
                                door_buf *out);
/* sc->dir + "/" + name unless name is absolute; malloc'ed. */
char *door__idp_sc_resolve(const char *dir, const char *name);

#endif
