/* Strict JSON on top of jansson (internal).
 *
 * door__json_parse is the only way doorauth reads JSON that came from
 * outside: it refuses duplicate member names (DOOR_EJSON_DUPKEY), nesting
 * deeper than the caller's cap (DOOR_EJSON_DEPTH, checked by a cheap
 * pre-scan before jansson sees the text), NUL bytes, raw or escaped
 * (DOOR_EJSON), invalid UTF-8 (DOOR_EUTF8), and anything larger than
 * DOOR_JSON_MAX_INPUT (DOOR_ETOOBIG).  Any JSON value is accepted at the top
 * level; callers check its type.
 *
 * Depth counts containers: "1" has depth 0, "[]" and "{}" depth 1,
 * {"a":[1]} depth 2.
 *
 * Getters borrow: strings returned point into the json_t and live as long as
 * it does.  They return DOOR_ENOTFOUND for a missing member and
 * DOOR_EJSON_TYPE for a member of another type (a JSON null is "another
 * type", not "missing").
 *
 * Thread-safety: stateless; distinct json_t values may be used from distinct
 * threads (jansson's reference counts are not atomic: don't share one json_t
 * between threads without a lock, except read-only after publication).
 */
#ifndef DOOR_UTIL_JSON_H
#define DOOR_UTIL_JSON_H

#include "doorauth/error.h"
#include "util/buf.h"

#include <jansson.h>
#include <stddef.h>

/* Largest input door__json_parse accepts, whatever the caller's cap. */
#define DOOR_JSON_MAX_INPUT ((size_t)16 << 20)
/* A sensible default depth cap for documents from the network. */
#define DOOR_JSON_DEPTH_DEFAULT 32

/* Parses exactly s[0..len).  On success *out is a new reference. */
door_err door__json_parse(const char *s, size_t len, size_t max_depth,
                          json_t **out, door_detail *d);

/* 0 when s[0..len) nests at most max_depth containers deep, else
 * DOOR_EJSON_DEPTH.  Does not validate anything else. */
door_err door__json_check_depth(const char *s, size_t len, size_t max_depth);

/* Appends the compact form (JSON_COMPACT, members in insertion order) of
 * `j` to `out`. */
door_err door__json_dump(const json_t *j, door_buf *out);

/* Typed member getters (obj must be an object, else DOOR_EJSON_TYPE). */
door_err door__json_get_str(const json_t *obj, const char *key, const char **s);
door_err door__json_get_int(const json_t *obj, const char *key, json_int_t *v);
door_err door__json_get_bool(const json_t *obj, const char *key, int *v);
door_err door__json_get_obj(const json_t *obj, const char *key, json_t **v);
door_err door__json_get_array(const json_t *obj, const char *key, json_t **v);

#endif
