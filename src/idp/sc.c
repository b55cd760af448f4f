/* door-idp scenario reading helpers: JSON paths in error messages. */
#include "idp/sc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void door__idp_sc_init(door_idp_sc *sc, door_detail *d, const char *dir,
                       const char *where) {
  sc->d = d;
  sc->dir = dir;
  door__buf_init(&sc->path, 1024);
  if (where)
    door__buf_puts(&sc->path, where);
}

void door__idp_sc_free(door_idp_sc *sc) { door__buf_free(&sc->path); }

size_t door__idp_sc_key(door_idp_sc *sc, const char *key) {
  size_t old = sc->path.len;
  if (old)
    door__buf_putc(&sc->path, '.');
  door__buf_puts(&sc->path, key);
  return old;
}

size_t door__idp_sc_index(door_idp_sc *sc, size_t i) {
  size_t old = sc->path.len;
  door__buf_putc(&sc->path, '[');
  door__buf_put_u64(&sc->path, i);
  door__buf_putc(&sc->path, ']');
  return old;
}

void door__idp_sc_pop(door_idp_sc *sc, size_t len) {
  if (len <= sc->path.len) {
    sc->path.len = len;
    if (sc->path.data)
      sc->path.data[len] = '\0';
  }
}

door_err door__idp_sc_fail(door_idp_sc *sc, door_err code, const char *what,
                           const char *hint) {
  return door_detail_set(sc->d, code,
                         sc->path.len ? door__buf_str(&sc->path) : "(top)",
                         what, hint);
}

door_err door__idp_sc_known(door_idp_sc *sc, const json_t *obj,
                            const char *const *allowed) {
  const char *key;
  json_t *v;
  size_t i, old;
  json_object_foreach((json_t *)obj, key, v) {
    int ok = 0;
    (void)v;
    for (i = 0; allowed[i]; i++) {
      if (strcmp(allowed[i], key) == 0) {
        ok = 1;
        break;
      }
    }
    if (!ok) {
      old = door__idp_sc_key(sc, key);
      door__idp_sc_fail(sc, DOOR_ECONFIG_UNKNOWN, "unknown member",
                        "check the spelling against docs/door-idp.md");
      door__idp_sc_pop(sc, old);
      return DOOR_ECONFIG_UNKNOWN;
    }
  }
  return DOOR_OK;
}

door_err door__idp_sc_str(door_idp_sc *sc, const json_t *obj, const char *key,
                          const char **out) {
  json_t *v = json_object_get(obj, key);
  size_t old;
  door_err err;
  if (!v)
    return DOOR_OK;
  if (!json_is_string(v)) {
    old = door__idp_sc_key(sc, key);
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be a string", NULL);
    door__idp_sc_pop(sc, old);
    return err;
  }
  *out = json_string_value(v);
  return DOOR_OK;
}

door_err door__idp_sc_bool(door_idp_sc *sc, const json_t *obj, const char *key,
                           int *out) {
  json_t *v = json_object_get(obj, key);
  size_t old;
  door_err err;
  if (!v)
    return DOOR_OK;
  if (!json_is_boolean(v)) {
    old = door__idp_sc_key(sc, key);
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be true or false",
                            NULL);
    door__idp_sc_pop(sc, old);
    return err;
  }
  *out = json_is_true(v);
  return DOOR_OK;
}

door_err door__idp_sc_int(door_idp_sc *sc, const json_t *obj, const char *key,
                          long long min, long long max, long long *out) {
  json_t *v = json_object_get(obj, key);
  size_t old;
  door_err err;
  if (!v)
    return DOOR_OK;
  if (!json_is_integer(v) || json_integer_value(v) < min ||
      json_integer_value(v) > max) {
    door_buf what;
    door__buf_init(&what, 160);
    door__buf_puts(&what, "must be an integer from ");
    door__buf_put_i64(&what, min);
    door__buf_puts(&what, " to ");
    door__buf_put_i64(&what, max);
    old = door__idp_sc_key(sc, key);
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, door__buf_str(&what), NULL);
    door__idp_sc_pop(sc, old);
    door__buf_free(&what);
    return err;
  }
  *out = json_integer_value(v);
  return DOOR_OK;
}

door_err door__idp_sc_strv(door_idp_sc *sc, const json_t *obj, const char *key,
                           door_err (*check)(door_idp_sc *sc, const char *s,
                                             void *ud),
                           void *ud, char ***out, size_t *n) {
  json_t *arr = json_object_get(obj, key), *v;
  char **vec = NULL;
  size_t i, old = door__idp_sc_key(sc, key), old2;
  door_err err = DOOR_OK;
  *out = NULL;
  *n = 0;
  if (!arr)
    goto out;
  if (!json_is_array(arr)) {
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "must be an array of strings", NULL);
    goto out;
  }
  vec = calloc(json_array_size(arr) + 1, sizeof *vec);
  if (!vec) {
    err = DOOR_ENOMEM;
    goto out;
  }
  json_array_foreach(arr, i, v) {
    size_t len;
    old2 = door__idp_sc_index(sc, i);
    if (!json_is_string(v)) {
      err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be a string", NULL);
      goto out;
    }
    if (check) {
      err = check(sc, json_string_value(v), ud);
      if (err)
        goto out;
    }
    len = json_string_length(v) + 1;
    vec[i] = malloc(len);
    if (!vec[i]) {
      err = DOOR_ENOMEM;
      goto out;
    }
    memcpy(vec[i], json_string_value(v), len);
    door__idp_sc_pop(sc, old2);
  }
  *out = vec;
  *n = json_array_size(arr);
  vec = NULL;
out:
  if (vec) {
    for (i = 0; vec[i]; i++)
      free(vec[i]);
    free(vec);
  }
  if (!err)
    door__idp_sc_pop(sc, old);
  return err;
}

char *door__idp_sc_resolve(const char *dir, const char *name) {
  door_buf b;
  door__buf_init(&b, 8192);
  if (name[0] != '/' && dir && *dir) {
    door__buf_puts(&b, dir);
    door__buf_putc(&b, '/');
  }
  if (door__buf_puts(&b, name)) {
    door__buf_free(&b);
    return NULL;
  }
  return door__buf_detach(&b);
}

door_err door__idp_sc_read_file(door_idp_sc *sc, const char *name, size_t max,
                                door_buf *out) {
  char *path = door__idp_sc_resolve(sc->dir, name), chunk[4096];
  FILE *f;
  size_t n;
  door_err err = DOOR_OK;
  if (!path)
    return DOOR_ENOMEM;
  f = fopen(path, "rb");
  if (!f) {
    door_buf what;
    door__buf_init(&what, 180);
    door__buf_puts(&what, "cannot open ");
    door__buf_puts(&what, path);
    door__buf_puts(&what, ": ");
    door__buf_puts(&what, strerror(errno));
    err = door__idp_sc_fail(sc, DOOR_EIO, door__buf_str(&what), NULL);
    door__buf_free(&what);
    free(path);
    return err;
  }
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (out->len + n > max) {
      err = door__idp_sc_fail(sc, DOOR_ETOOBIG, "file too large", NULL);
      break;
    }
    err = door__buf_append(out, chunk, n);
    if (err)
      break;
  }
  if (!err && ferror(f))
    err = door__idp_sc_fail(sc, DOOR_EIO, "read error", NULL);
  fclose(f);
  free(path);
  return err;
}
