/* Size-capped growable byte buffer. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void door__buf_init(door_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void door__buf_free(door_buf *b) {
  free(b->data);
  door__buf_init(b, b->max);
}

void door__buf_reset(door_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

char *door__buf_detach(door_buf *b) {
  char *p = b->data;
  if (!p) {
    p = malloc(1);
    if (!p)
      return NULL;
    p[0] = '\0';
  }
  door__buf_init(b, b->max);
  return p;
}

door_err door__buf_reserve(door_buf *b, size_t n, char **at) {
  size_t need, ncap;
  char *p;
  if (n > b->max || b->len > b->max - n)
    return DOOR_ETOOBIG;
  need = b->len + n + 1; /* room for the terminator */
  if (need > b->cap) {
    ncap = b->cap ? b->cap : 64;
    while (ncap < need)
      ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    p = realloc(b->data, ncap);
    if (!p)
      return DOOR_ENOMEM;
    b->data = p;
    b->cap = ncap;
  }
  *at = b->data + b->len;
  return DOOR_OK;
}

void door__buf_commit(door_buf *b, size_t n) {
  b->len += n;
  b->data[b->len] = '\0';
}

door_err door__buf_append(door_buf *b, const void *p, size_t n) {
  char *at;
  door_err err = door__buf_reserve(b, n, &at);
  if (err)
    return err;
  if (n)
    memcpy(at, p, n);
  door__buf_commit(b, n);
  return DOOR_OK;
}

door_err door__buf_puts(door_buf *b, const char *s) {
  return door__buf_append(b, s, strlen(s));
}

door_err door__buf_putc(door_buf *b, char c) {
  return door__buf_append(b, &c, 1);
}

size_t door__u64_to_str(uint64_t v, char *out) {
  char tmp[21];
  size_t n = 0, i;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

door_err door__buf_put_u64(door_buf *b, uint64_t v) {
  char tmp[21];
  size_t n = door__u64_to_str(v, tmp);
  return door__buf_append(b, tmp, n);
}

door_err door__buf_put_i64(door_buf *b, int64_t v) {
  char tmp[22];
  size_t n;
  if (v < 0) {
    tmp[0] = '-';
    n = 1 + door__u64_to_str((uint64_t)0 - (uint64_t)v, tmp + 1);
  } else {
    n = door__u64_to_str((uint64_t)v, tmp);
  }
  return door__buf_append(b, tmp, n);
}
