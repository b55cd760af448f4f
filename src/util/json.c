/* Strict JSON on top of jansson. */
#include "util/json.h"

#include <string.h>

door_err door__json_check_depth(const char *s, size_t len, size_t max_depth) {
  size_t i, depth = 0;
  int in_str = 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (in_str) {
      if (c == '\\')
        i++; /* skip the escaped character: never a quote or bracket */
      else if (c == '"')
        in_str = 0;
      continue;
    }
    switch (c) {
    case '"':
      in_str = 1;
      break;
    case '[':
    case '{':
      if (++depth > max_depth)
        return DOOR_EJSON_DEPTH;
      break;
    case ']':
    case '}':
      if (depth)
        depth--;
      break;
    default:
      break;
    }
  }
  return DOOR_OK;
}

/* The error text jansson gives may quote the input ("near '...'"), and the
 * input may hold a secret: details only say where (a byte offset). */
static door_err door__json_fail(door_detail *d, door_err code, size_t pos,
                                const char *what) {
  char where[48];
  size_t n;
  memcpy(where, "byte ", 5);
  n = 5 + door__u64_to_str((uint64_t)pos, where + 5);
  where[n] = '\0';
  return door_detail_set(d, code, where, what, NULL);
}

door_err door__json_parse(const char *s, size_t len, size_t max_depth,
                          json_t **out, door_detail *d) {
  json_error_t jerr;
  json_t *j;
  size_t pos;
  *out = NULL;
  if (!s && len)
    return door_detail_set(d, DOOR_EINVAL, NULL, "no JSON text", NULL);
  if (len > DOOR_JSON_MAX_INPUT)
    return door_detail_set(d, DOOR_ETOOBIG, NULL, "JSON text too large", NULL);
  if (len && memchr(s, '\0', len))
    return door__json_fail(d, DOOR_EJSON,
                           (size_t)((const char *)memchr(s, '\0', len) - s),
                           "NUL byte in JSON text");
  if (door__json_check_depth(s, len, max_depth))
    return door_detail_set(d, DOOR_EJSON_DEPTH, NULL,
                           "JSON nested deeper than allowed",
                           "flatten the document");
  j = json_loadb(s ? s : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                 &jerr);
  if (j) {
    *out = j;
    return DOOR_OK;
  }
  pos = jerr.position > 0 ? (size_t)jerr.position : 0;
  switch (json_error_code(&jerr)) {
  case json_error_duplicate_key:
    return door__json_fail(d, DOOR_EJSON_DUPKEY, pos,
                           "duplicate member name in JSON object");
  case json_error_invalid_utf8:
    return door__json_fail(d, DOOR_EUTF8, pos, "invalid UTF-8 in JSON text");
  case json_error_out_of_memory:
    return door__json_fail(d, DOOR_ENOMEM, pos, "out of memory parsing JSON");
  case json_error_stack_overflow:
    return door__json_fail(d, DOOR_EJSON_DEPTH, pos, "JSON nested too deeply");
  case json_error_null_character:
  case json_error_null_byte_in_key:
    return door__json_fail(d, DOOR_EJSON, pos, "NUL character in JSON string");
  case json_error_numeric_overflow:
    return door__json_fail(d, DOOR_EJSON, pos, "JSON number out of range");
  default:
    return door__json_fail(d, DOOR_EJSON, pos, "malformed JSON");
  }
}

struct door__dump_ctx {
  door_buf *out;
  door_err err;
};

static int door__json_dump_cb(const char *buffer, size_t size, void *data) {
  struct door__dump_ctx *ctx = data;
  ctx->err = door__buf_append(ctx->out, buffer, size);
  return ctx->err ? -1 : 0;
}

door_err door__json_dump(const json_t *j, door_buf *out) {
  struct door__dump_ctx ctx;
  size_t before = out->len;
  ctx.out = out;
  ctx.err = DOOR_OK;
  if (!j)
    return DOOR_EINVAL;
  if (json_dump_callback(j, door__json_dump_cb, &ctx,
                         JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
    out->len = before; /* leave the buffer as it was */
    if (out->data)
      out->data[before] = '\0';
    return ctx.err ? ctx.err : DOOR_EJSON;
  }
  return DOOR_OK;
}

static door_err door__json_member(const json_t *obj, const char *key,
                                  json_t **v) {
  if (!json_is_object(obj))
    return DOOR_EJSON_TYPE;
  *v = json_object_get(obj, key);
  return *v ? DOOR_OK : DOOR_ENOTFOUND;
}

door_err door__json_get_str(const json_t *obj, const char *key,
                            const char **s) {
  json_t *v;
  door_err err = door__json_member(obj, key, &v);
  if (err)
    return err;
  if (!json_is_string(v))
    return DOOR_EJSON_TYPE;
  *s = json_string_value(v);
  return DOOR_OK;
}

door_err door__json_get_int(const json_t *obj, const char *key,
                            json_int_t *out) {
  json_t *v;
  door_err err = door__json_member(obj, key, &v);
  if (err)
    return err;
  if (!json_is_integer(v))
    return DOOR_EJSON_TYPE;
  *out = json_integer_value(v);
  return DOOR_OK;
}

door_err door__json_get_bool(const json_t *obj, const char *key, int *out) {
  json_t *v;
  door_err err = door__json_member(obj, key, &v);
  if (err)
    return err;
  if (!json_is_boolean(v))
    return DOOR_EJSON_TYPE;
  *out = json_is_true(v);
  return DOOR_OK;
}

door_err door__json_get_obj(const json_t *obj, const char *key, json_t **out) {
  json_t *v;
  door_err err = door__json_member(obj, key, &v);
  if (err)
    return err;
  if (!json_is_object(v))
    return DOOR_EJSON_TYPE;
  *out = v;
  return DOOR_OK;
}

door_err door__json_get_array(const json_t *obj, const char *key,
                              json_t **out) {
  json_t *v;
  door_err err = door__json_member(obj, key, &v);
  if (err)
    return err;
  if (!json_is_array(v))
    return DOOR_EJSON_TYPE;
  *out = v;
  return DOOR_OK;
}
