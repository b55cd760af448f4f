/* The callback's query string and the Cookie request header. */
#include "oidc/oidc.h"

#include <string.h>

void door__callback_clear(door_callback *cb) {
  size_t i;
  if (!cb)
    return;
  /* The code is a credential: wipe values before freeing. */
  for (i = 0; i < cb->kv.n; i++) {
    if (cb->kv.items[i].value)
      memset(cb->kv.items[i].value, 0, strlen(cb->kv.items[i].value));
  }
  door__kvlist_free(&cb->kv);
  memset(cb, 0, sizeof *cb);
}

door_err door__callback_parse(const char *query, door_callback *out,
                              door_detail *d) {
  size_t len, i, j;
  door_err err;
  memset(out, 0, sizeof *out);
  door__kvlist_init(&out->kv);
  if (!query)
    query = "";
  len = strnlen(query, DOOR_CALLBACK_MAX_QUERY + 1);
  if (len > DOOR_CALLBACK_MAX_QUERY)
    return door_detail_set(d, DOOR_ETOOBIG, "callback query",
                           "the sign-in answer is too long", NULL);
  err = door__form_parse(query, len, DOOR_CALLBACK_MAX_PAIRS,
                         DOOR_CALLBACK_MAX_VALUE, &out->kv);
  if (err == DOOR_ETOOBIG)
    return door_detail_set(d, err, "callback query",
                           "the sign-in answer has too many or too long "
                           "parameters",
                           NULL);
  if (err)
    return door_detail_set(d, DOOR_ELOGIN_CALLBACK, "callback query",
                           "the sign-in answer is not a valid query string",
                           NULL);
  for (i = 0; i < out->kv.n; i++)
    for (j = i + 1; j < out->kv.n; j++)
      if (strcmp(out->kv.items[i].name, out->kv.items[j].name) == 0)
        return door_detail_set(d, DOOR_ELOGIN_DUP_PARAM, out->kv.items[i].name,
                               "a parameter of the sign-in answer is repeated",
                               NULL);
  out->state = door__kvlist_get(&out->kv, "state", NULL);
  out->code = door__kvlist_get(&out->kv, "code", NULL);
  out->iss = door__kvlist_get(&out->kv, "iss", NULL);
  out->error = door__kvlist_get(&out->kv, "error", NULL);
  out->error_description =
      door__kvlist_get(&out->kv, "error_description", NULL);
  if (!out->state || !*out->state)
    return door_detail_set(d, DOOR_ELOGIN_STATE_MISSING, "state",
                           "the sign-in answer has no state parameter",
                           "start the sign-in from DOOR's login page");
  if (!door__oidc_is_b64url(out->state, DOOR_STATE_LEN))
    return door_detail_set(d, DOOR_ELOGIN_CALLBACK, "state",
                           "the sign-in answer's state was not made here",
                           "start the sign-in from DOOR's login page");
  if ((!out->code || !*out->code) && (!out->error || !*out->error))
    return door_detail_set(d, DOOR_ELOGIN_CODE_MISSING, "code",
                           "the sign-in answer has neither a code nor an "
                           "error",
                           NULL);
  return DOOR_OK;
}

static int door__ows(char c) { return c == ' ' || c == '\t'; }

door_err door__cookie_find(const char *header, const char *name,
                           const char **value, size_t *len, door_detail *d) {
  size_t hlen, nlen = strlen(name);
  const char *p, *end, *found = NULL;
  size_t found_len = 0;
  *value = NULL;
  *len = 0;
  if (!header)
    header = "";
  hlen = strnlen(header, DOOR_COOKIE_HEADER_MAX + 1);
  if (hlen > DOOR_COOKIE_HEADER_MAX)
    return door_detail_set(d, DOOR_ETOOBIG, "Cookie",
                           "the browser sent too many cookies", NULL);
  p = header;
  end = header + hlen;
  while (p < end) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *item_end = semi ? semi : end;
    const char *eq;
    while (p < item_end && door__ows(*p))
      p++;
    eq = memchr(p, '=', (size_t)(item_end - p));
    if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
      const char *v = eq + 1, *ve = item_end;
      while (ve > v && door__ows(ve[-1]))
        ve--;
      if (ve - v >= 2 && v[0] == '"' && ve[-1] == '"') {
        v++;
        ve--;
      }
      if (found)
        return door_detail_set(d, DOOR_ELOGIN_SEAL, name,
                               "the browser sent the sign-in cookie twice",
                               "clear this site's cookies and sign in again");
      found = v;
      found_len = (size_t)(ve - v);
    }
    p = semi ? semi + 1 : end;
  }
  if (!found)
    return door_detail_set(d, DOOR_ELOGIN_NO_PENDING, "Cookie",
                           "no sign-in was started in this browser for this "
                           "answer (it may have expired, been started in "
                           "another browser, or been forged)",
                           "start the sign-in again from DOOR");
  *value = found;
  *len = found_len;
  return DOOR_OK;
}
