/* Error names, messages and detail records. */
#include "doorauth/error.h"

#include <string.h>

static const char *const door__err_names[] = {
#define DOOR__ERR_NAME(name, msg) #name,
    DOOR_ERR_MAP(DOOR__ERR_NAME)
#undef DOOR__ERR_NAME
};

static const char *const door__err_msgs[] = {
#define DOOR__ERR_MSG(name, msg) msg,
    DOOR_ERR_MAP(DOOR__ERR_MSG)
#undef DOOR__ERR_MSG
};

const char *door_err_name(door_err err) {
  if ((unsigned)err >= (unsigned)DOOR_ERR_COUNT_)
    return "UNKNOWN";
  return door__err_names[err];
}

const char *door_strerror(door_err err) {
  if ((unsigned)err >= (unsigned)DOOR_ERR_COUNT_)
    return "unknown error";
  return door__err_msgs[err];
}

static void door__copy(char *dst, size_t cap, const char *src) {
  size_t n;
  if (!src)
    src = "";
  n = strlen(src);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void door_detail_clear(door_detail *d) {
  if (!d)
    return;
  d->code = DOOR_OK;
  d->what[0] = d->where[0] = d->hint[0] = '\0';
}

door_err door_detail_set(door_detail *d, door_err code, const char *where,
                         const char *what, const char *hint) {
  if (!d)
    return code;
  d->code = code;
  door__copy(d->where, sizeof d->where, where);
  door__copy(d->what, sizeof d->what, what);
  door__copy(d->hint, sizeof d->hint, hint);
  return code;
}

/* Appends `s` to out[*len], keeping room for the terminator. */
static void door__cat(char *out, size_t cap, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len + 1 >= cap)
    return;
  if (n > cap - 1 - *len)
    n = cap - 1 - *len;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
}

size_t door_detail_format(const door_detail *d, char *out, size_t cap) {
  size_t len = 0;
  if (!out || cap == 0)
    return 0;
  out[0] = '\0';
  if (!d)
    return 0;
  door__cat(out, cap, &len, door_err_name(d->code));
  door__cat(out, cap, &len, ": ");
  door__cat(out, cap, &len, d->what[0] ? d->what : door_strerror(d->code));
  if (d->where[0]) {
    door__cat(out, cap, &len, " (at ");
    door__cat(out, cap, &len, d->where);
    door__cat(out, cap, &len, ")");
  }
  if (d->hint[0]) {
    door__cat(out, cap, &len, "; ");
    door__cat(out, cap, &len, d->hint);
  }
  return len;
}
