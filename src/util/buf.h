/* Size-capped growable byte buffer (internal).
 *
 * Ownership: a door_buf owns `data`.  door__buf_free() releases it;
 * door__buf_detach() hands it to the caller (free() it).  `data` is always
 * NUL-terminated after any successful append, so text can be used as a C
 * string; binary data may contain NULs (use `len`).
 *
 * Every append is checked against `max`: growing past it fails with
 * DOOR_ETOOBIG and leaves the buffer as it was.  No printf: numbers go in
 * through door__buf_put_u64 / door__buf_put_i64.
 */
#ifndef DOOR_UTIL_BUF_H
#define DOOR_UTIL_BUF_H

#include "doorauth/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct door_buf {
  char *data; /* NULL until the first append */
  size_t len;
  size_t cap;
  size_t max; /* largest allowed len */
} door_buf;

#define DOOR_BUF_DEFAULT_MAX ((size_t)1 << 20)

void door__buf_init(door_buf *b, size_t max);
void door__buf_free(door_buf *b);
/* Sets len to 0, keeps the allocation. */
void door__buf_reset(door_buf *b);
/* Returns the data (never NULL: "" for an empty buffer, caller frees) and
 * re-initialises the buffer.  NULL only on allocation failure. */
char *door__buf_detach(door_buf *b);

door_err door__buf_append(door_buf *b, const void *p, size_t n);
door_err door__buf_puts(door_buf *b, const char *s);
door_err door__buf_putc(door_buf *b, char c);
door_err door__buf_put_u64(door_buf *b, uint64_t v);
door_err door__buf_put_i64(door_buf *b, int64_t v);
/* Makes room for n more bytes; returns a pointer to write them at, then
 * call door__buf_commit(b, written). */
door_err door__buf_reserve(door_buf *b, size_t n, char **at);
void door__buf_commit(door_buf *b, size_t n);

/* "" for an empty buffer. */
static inline const char *door__buf_str(const door_buf *b) {
  return b->data ? b->data : "";
}

/* Writes the decimal form of v into out (cap >= 21); returns its length. */
size_t door__u64_to_str(uint64_t v, char *out);

#endif
