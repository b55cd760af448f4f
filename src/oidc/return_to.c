/* return_to: where the browser goes after a login.  An open redirect here
 * would hand a signed-in user to anyone, so the rules are narrow: relative
 * paths on our own origin, or absolute URLs on an allowed origin and path.
 */
#include "oidc/oidc.h"

#include <string.h>
#include <strings.h>

static door_err door__refuse(door_detail *d, const char *what) {
  return door_detail_set(d, DOOR_ERETURN_TO_REFUSED, "return_to", what,
                         "link to a page of DOOR or of an allowed site");
}

static int door__hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* Encoded '/', '\', '.', NUL and control characters in a path: a later
 * decoding step (a proxy, a framework) could turn them into "//evil". */
static int door__bad_escapes(const char *s, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) {
    char a, b;
    if (s[i] != '%')
      continue;
    if (i + 2 >= len || !door__hex(s[i + 1]) || !door__hex(s[i + 2]))
      return 1;
    a = s[i + 1];
    b = s[i + 2];
    if (a == '0' || a == '1' || (a == '7' && (b == 'f' || b == 'F')))
      return 1; /* controls, NUL, DEL */
    if (a == '2' && (b == 'f' || b == 'F' || b == 'e' || b == 'E' ||
                     b == '5')) /* '/', '.', '%' */
      return 1;
    if (a == '5' && (b == 'c' || b == 'C')) /* '\' */
      return 1;
  }
  return 0;
}

/* 1 when path begins with prefix at a segment boundary. */
static int door__path_under(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  if (n == 0 || (n == 1 && prefix[0] == '/'))
    return 1;
  if (strncmp(path, prefix, n) != 0)
    return 0;
  return prefix[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}

static int door__dot_segment(const char *path) {
  const char *p = path;
  while ((p = strstr(p, "/.")) != NULL) {
    if (p[2] == '/' || p[2] == '\0' ||
        (p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
      return 1;
    p += 2;
  }
  return 0;
}

/* Does the entry (an origin, maybe with a path) allow this URL? */
static int door__entry_allows(const char *entry, const door_url *u,
                              const char *origin) {
  door_url e;
  door_buf eo;
  int ok = 0;
  door__buf_init(&eo, 2048);
  if (door__url_parse(entry, &e, NULL))
    return 0;
  if (!e.userinfo && !e.query && !e.fragment && !door__url_origin(&e, &eo) &&
      strcmp(door__buf_str(&eo), origin) == 0)
    ok = door__path_under(u->path, e.path);
  door__url_free(&e);
  door__buf_free(&eo);
  return ok;
}

door_err door__return_to_check(const char *target, const char *own_origin,
                               const char *const *allow, size_t n_allow,
                               door_detail *d) {
  size_t len, i, pathlen;
  door_url u;
  door_buf origin;
  door_err err;
  int ok = 0;
  if (!target || !*target)
    return door__refuse(d, "the return address is empty");
  len = strnlen(target, DOOR_RETURN_TO_MAX + 1);
  if (len > DOOR_RETURN_TO_MAX)
    return door__refuse(d, "the return address is too long");
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)target[i];
    if (c <= 0x20 || c >= 0x7f || c == '\\')
      return door__refuse(d, "the return address has characters that are "
                             "not allowed");
  }
  pathlen = strcspn(target, "?#");
  if (door__bad_escapes(target, pathlen))
    return door__refuse(d, "the return address hides '/', '\\' or '.' "
                           "behind percent-encoding");
  if (target[0] == '/') {
    if (target[1] == '/')
      return door__refuse(d, "the return address points to another site");
    {
      /* Only the path matters for dot segments. */
      char path[DOOR_RETURN_TO_MAX + 1];
      memcpy(path, target, pathlen);
      path[pathlen] = '\0';
      if (door__dot_segment(path))
        return door__refuse(d, "the return address has '.' or '..' "
                               "segments");
    }
    return DOOR_OK;
  }
  if (strncasecmp(target, "https://", 8) != 0 &&
      strncasecmp(target, "http://", 7) != 0)
    return door__refuse(d, "the return address is neither a path of this "
                           "site nor an http(s) address");
  if (door__url_parse(target, &u, NULL))
    return door__refuse(d, "the return address is not a valid URL");
  door__buf_init(&origin, 2048);
  if (u.userinfo) {
    err = door__refuse(d, "the return address has a user name in it");
    goto out;
  }
  if (strchr(u.host, '%') || door__dot_segment(u.path)) {
    err = door__refuse(d, "the return address is not in canonical form");
    goto out;
  }
  err = door__url_origin(&u, &origin);
  if (err)
    goto out;
  if (own_origin && strcmp(door__buf_str(&origin), own_origin) == 0)
    ok = 1;
  for (i = 0; !ok && i < n_allow; i++)
    ok = allow[i] && door__entry_allows(allow[i], &u, door__buf_str(&origin));
  err = ok ? DOOR_OK
           : door__refuse(d, "the return address is not on an allowed site");
out:
  door__url_free(&u);
  door__buf_free(&origin);
  return err;
}
