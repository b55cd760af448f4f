/* door-idp request/response helpers and routing (no MHD here). */
#include "idp/http.h"

#include "util/json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void door__idp_req_init(door_idp_req *q) {
  memset(q, 0, sizeof *q);
  door__kvlist_init(&q->query);
  door__kvlist_init(&q->form);
  door__kvlist_init(&q->headers);
}

void door__idp_req_free(door_idp_req *q) {
  door__kvlist_free(&q->query);
  door__kvlist_free(&q->form);
  door__kvlist_free(&q->headers);
}

const char *door__idp_req_header(const door_idp_req *q, const char *name) {
  size_t i;
  for (i = 0; i < q->headers.n; i++) {
    if (strcasecmp(q->headers.items[i].name, name) == 0)
      return q->headers.items[i].value;
  }
  return NULL;
}

const char *door__idp_req_param(const door_idp_req *q, const char *name,
                                int *dup) {
  int d = 0;
  const char *v;
  if (dup)
    *dup = 0;
  if (q->method && strcmp(q->method, "POST") == 0) {
    v = door__kvlist_get(&q->form, name, &d);
  } else {
    v = door__kvlist_get(&q->query, name, &d);
  }
  if (dup)
    *dup = d;
  return v;
}

door_err door__idp_req_cookie(const door_idp_req *q, const char *name,
                              door_buf *out) {
  const char *c = door__idp_req_header(q, "Cookie");
  size_t nlen = strlen(name);
  while (c && *c) {
    const char *end = strchr(c, ';'), *eq;
    size_t n;
    while (*c == ' ')
      c++;
    n = end ? (size_t)(end - c) : strlen(c);
    eq = memchr(c, '=', n);
    if (eq && (size_t)(eq - c) == nlen && memcmp(c, name, nlen) == 0)
      return door__buf_append(out, eq + 1, n - (size_t)(eq + 1 - c));
    c = end ? end + 1 : NULL;
  }
  return DOOR_ENOTFOUND;
}

door_err door__idp_sid_cookie_name(const door_idp_profile *p, door_buf *out) {
  door_err err = door__buf_puts(out, "door_idp_sid_");
  return err ? err : door__buf_puts(out, p->name);
}

void door__idp_resp_init(door_idp_resp *r) {
  memset(r, 0, sizeof *r);
  r->status = 200;
  door__kvlist_init(&r->headers);
  door__buf_init(&r->body, DOOR_IDP_BODY_MAX);
}

void door__idp_resp_free(door_idp_resp *r) {
  door__kvlist_free(&r->headers);
  door__buf_free(&r->body);
}

void door__idp_resp_reset(door_idp_resp *r) {
  unsigned delay = r->delay_ms;
  door__idp_resp_free(r);
  door__idp_resp_init(r);
  r->delay_ms = delay;
}

door_err door__idp_resp_header(door_idp_resp *r, const char *name,
                               const char *value) {
  return door__kvlist_add(&r->headers, name, value);
}

/* See http.h: printable ASCII other than '"' and '\\' is what jansson
 * copies unescaped in every mode door-idp dumps with (no JSON_ENSURE_ASCII,
 * no JSON_ESCAPE_SLASH). */
int door__idp_json_flat_str(door_buf *out, const char *s, size_t n,
                            door_err *err) {
  const unsigned char *u = (const unsigned char *)s;
  unsigned bad = 0;
  size_t i;
  char *at;
  for (i = 0; i < n; i++) /* branch-free: vectorised */
    bad |= (unsigned)(u[i] < 0x20) | (unsigned)(u[i] > 0x7e) |
           (unsigned)(u[i] == '"') | (unsigned)(u[i] == '\\');
  if (bad)
    return 0;
  *err = door__buf_reserve(out, n + 2, &at);
  if (*err)
    return 1;
  at[0] = '"';
  memcpy(at + 1, s, n);
  at[n + 1] = '"';
  door__buf_commit(out, n + 2);
  return 1;
}

door_err door__idp_json_flat_int(door_buf *out, json_int_t v) {
  char tmp[24], *p = tmp + sizeof tmp;
  unsigned long long u =
      v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do
    *--p = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  return door__buf_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

/* The compact dump of an object whose members are all strings of plain
 * ASCII, integers, booleans or null (token answers, access-token claims):
 * byte for byte what json_dumpb(JSON_COMPACT) writes, members in insertion
 * order, without jansson's UTF-8 decoding of every character.  Returns 0
 * (nothing left in `out`) for anything else, which jansson then dumps. */
static int flat_object(const json_t *j, door_buf *out, door_err *err) {
  size_t start = out->len, klen;
  const char *key;
  json_t *v;
  int first = 1;
  *err = DOOR_OK;
  if (!json_is_object(j))
    return 0;
  *err = door__buf_putc(out, '{');
  json_object_keylen_foreach((json_t *)j, key, klen, v) {
    if (!*err && !first)
      *err = door__buf_putc(out, ',');
    first = 0;
    if (!*err && !door__idp_json_flat_str(out, key, klen, err))
      goto fallback;
    if (!*err)
      *err = door__buf_putc(out, ':');
    if (*err)
      break;
    switch (json_typeof(v)) {
    case JSON_STRING:
      if (!door__idp_json_flat_str(out, json_string_value(v),
                                   json_string_length(v), err))
        goto fallback;
      break;
    case JSON_INTEGER:
      *err = door__idp_json_flat_int(out, json_integer_value(v));
      break;
    case JSON_TRUE:
      *err = door__buf_puts(out, "true");
      break;
    case JSON_FALSE:
      *err = door__buf_puts(out, "false");
      break;
    case JSON_NULL:
      *err = door__buf_puts(out, "null");
      break;
    default:
      goto fallback;
    }
    if (*err)
      break;
  }
  if (!*err)
    *err = door__buf_putc(out, '}');
  if (*err && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return 1;
fallback:
  *err = DOOR_OK;
  out->len = start;
  out->data[start] = '\0'; /* '{' was written: data is allocated */
  return 0;
}

door_err door__idp_json_dump(const json_t *j, door_buf *out) {
  size_t room, n;
  char *at;
  door_err err;
  if (!j)
    return DOOR_EINVAL;
  if (out->len > out->max)
    return DOOR_ETOOBIG;
  if (flat_object(j, out, &err))
    return err;
  room = out->max - out->len;
  if (room > 2048)
    room = 2048; /* a first guess: token answers and claims fit */
  err = door__buf_reserve(out, room, &at);
  if (err)
    return err;
  n = json_dumpb(j, at, room, JSON_COMPACT | JSON_ENCODE_ANY);
  if (n > room) {
    if (n > out->max - out->len)
      err = DOOR_ETOOBIG;
    if (!err)
      err = door__buf_reserve(out, n, &at);
    if (!err && json_dumpb(j, at, n, JSON_COMPACT | JSON_ENCODE_ANY) != n)
      err = DOOR_EJSON;
  } else if (n == 0) {
    err = DOOR_EJSON; /* JSON text is never empty: jansson failed */
  }
  if (err) {
    out->data[out->len] = '\0'; /* the buffer as it was */
    return err;
  }
  door__buf_commit(out, n);
  return DOOR_OK;
}

door_err door__idp_resp_json(door_idp_resp *r, int status, json_t *j) {
  door_err err;
  if (!j)
    return DOOR_ENOMEM;
  door__buf_reset(&r->body);
  err = door__idp_json_dump(j, &r->body);
  json_decref(j);
  return err ? err : door__idp_resp_json_body(r, status);
}

door_err door__idp_resp_json_body(door_idp_resp *r, int status) {
  door_err err;
  r->status = status;
  r->content_type = "application/json";
  err = door__idp_resp_header(r, "Cache-Control", "no-store");
  if (!err)
    err = door__idp_resp_header(r, "Pragma", "no-cache");
  return err;
}

door_err door__idp_resp_oauth_error(door_idp_resp *r, int status,
                                    const char *error, const char *desc) {
  json_t *j = json_object();
  if (!j)
    return DOOR_ENOMEM;
  json_object_set_new(j, "error", json_string(error));
  if (desc)
    json_object_set_new(j, "error_description", json_string(desc));
  return door__idp_resp_json(r, status, j);
}

/* A quoted-string value for WWW-Authenticate: drops '"' and '\'. */
static door_err put_quoted(door_buf *b, const char *s) {
  door_err err = door__buf_putc(b, '"');
  for (; !err && *s; s++) {
    if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
      err = door__buf_putc(b, *s);
  }
  if (!err)
    err = door__buf_putc(b, '"');
  return err;
}

door_err door__idp_resp_bearer_error(door_idp_resp *r, int status,
                                     const char *error, const char *desc,
                                     const char *scope) {
  door_buf h;
  door_err err;
  door__buf_init(&h, 2048);
  err = door__buf_puts(&h, "Bearer realm=\"door-idp\"");
  if (!err && error) {
    err = door__buf_puts(&h, ", error=");
    if (!err)
      err = put_quoted(&h, error);
  }
  if (!err && desc) {
    err = door__buf_puts(&h, ", error_description=");
    if (!err)
      err = put_quoted(&h, desc);
  }
  if (!err && scope) {
    err = door__buf_puts(&h, ", scope=");
    if (!err)
      err = put_quoted(&h, scope);
  }
  if (!err) {
    if (error)
      err = door__idp_resp_oauth_error(r, status, error, desc);
    else
      err = door__idp_resp_json(r, status, json_object());
  }
  if (!err)
    err = door__idp_resp_header(r, "WWW-Authenticate", door__buf_str(&h));
  door__buf_free(&h);
  return err;
}

door_err door__idp_resp_text(door_idp_resp *r, int status, const char *ctype,
                             const char *text) {
  door__buf_reset(&r->body);
  r->status = status;
  r->content_type = ctype;
  return door__buf_puts(&r->body, text);
}

door_err door__idp_resp_redirect(door_idp_resp *r, const char *location) {
  door_err err;
  door__buf_reset(&r->body);
  r->status = 302;
  r->content_type = "text/plain; charset=utf-8";
  err = door__idp_resp_header(r, "Location", location);
  if (!err)
    err = door__idp_resp_header(r, "Cache-Control", "no-store");
  return err;
}

int door__idp_req_faults(door_idp_req *q, door_idp_resp *r,
                         const char *client_id, door_idp_fault_ctx *ctx) {
  memset(ctx, 0, sizeof *ctx);
  ctx->req = q;
  ctx->resp = r;
  ctx->prof = q->prof;
  door__idp_faults_take(&q->idp->faults, q->prof ? q->prof->name : NULL, q->ep,
                        client_id, &q->faults);
  door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_REQUEST, ctx);
  return ctx->done;
}

static int path_is(const char *want, const char *path) {
  return want && strcmp(want, path) == 0;
}

door_idp_ep door__idp_route(const door_idp_listener *l, const char *path) {
  const door_idp_profile *p = l->prof;
  unsigned ep;
  if (!p)
    return DOOR_IDP_EP_NONE;
  for (ep = 1; ep < DOOR_IDP_EP_COUNT_; ep++) {
    if (!(l->eps & (1u << ep)))
      continue;
    if (path_is(p->paths[ep], path) || path_is(p->alias[ep], path))
      return (door_idp_ep)ep;
  }
  return DOOR_IDP_EP_NONE;
}

static door_err not_found(door_idp_resp *r) {
  return door__idp_resp_oauth_error(r, 404, "not_found",
                                    "door-idp serves no such path here");
}

door_err door__idp_dispatch(door_idp_req *q, door_idp_resp *r) {
  door_idp_fault_ctx ctx;
  door_err err;
  q->faults.n = 0;
  if (!q->prof) {
    err = door__idp_admin(q, r);
  } else {
    switch (q->ep) {
    case DOOR_IDP_EP_DISCOVERY:
      err = door__idp_discovery(q, r);
      break;
    case DOOR_IDP_EP_JWKS:
      err = door__idp_jwks(q, r);
      break;
    case DOOR_IDP_EP_AUTHORIZE:
      err = door__idp_authorize(q, r);
      break;
    case DOOR_IDP_EP_TOKEN:
      err = door__idp_token(q, r);
      break;
    case DOOR_IDP_EP_USERINFO:
      err = door__idp_userinfo(q, r);
      break;
    case DOOR_IDP_EP_TICKETS:
      err = door__idp_tickets(q, r);
      break;
    case DOOR_IDP_EP_END_SESSION:
      err = door__idp_end_session(q, r);
      break;
    default:
      err = not_found(r);
      break;
    }
  }
  if (err) {
    door_detail d;
    door_detail_set(&d, err, q->path, "handler failed", NULL);
    door__log_detail(&q->idp->log, DOOR_LOG_ERROR, "idp.handler", &d);
    door__idp_resp_reset(r);
    err =
        door__idp_resp_oauth_error(r, 500, "server_error", door_err_name(err));
  }
  if (q->faults.n && door__idp_faults_any(&q->faults, DOOR_IDP_STAGE_WIRE)) {
    memset(&ctx, 0, sizeof ctx);
    ctx.req = q;
    ctx.resp = r;
    ctx.prof = q->prof;
    door__idp_faults_apply(&q->faults, DOOR_IDP_STAGE_WIRE, &ctx);
  }
  return err;
}
