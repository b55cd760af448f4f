/* door-idp requests and responses, independent of libmicrohttpd.
 *
 * server.c turns an MHD request into a door_idp_req (raw query and form body
 * decoded into lists, headers in a list), calls door__idp_dispatch() and
 * sends the door_idp_resp back.  Handlers fill the response and return
 * DOOR_OK; a returned error becomes a 500 with an OAuth server_error body.
 */
#ifndef DOOR_IDP_HTTP_H
#define DOOR_IDP_HTTP_H

#include "idp/idp.h"
#include "util/buf.h"
#include "util/url.h"

#include <jansson.h>

typedef struct door_idp_req {
  door_idp *idp;
  door_idp_profile *prof; /* NULL on the admin listener */
  door_idp_listener *listener;
  door_idp_ep ep; /* routed endpoint, NONE when unknown */
  const char *method;
  const char *path;
  door_kvlist query;
  door_kvlist form;    /* application/x-www-form-urlencoded bodies */
  door_kvlist headers; /* names as received */
  const char *body;
  size_t body_len;
  int query_bad; /* the query did not decode */
  int form_bad;  /* the form body did not decode */
  door_idp_fault_set faults;
} door_idp_req;

typedef struct door_idp_resp {
  int status;
  const char *content_type; /* a static string */
  door_kvlist headers;
  door_buf body;
  unsigned delay_ms;
} door_idp_resp;

#define DOOR_IDP_BODY_MAX ((size_t)4 << 20)
/* The admin API's request log answer: up to request_log_max entries (each
 * with its headers, query and form), more than one ordinary answer. */
#define DOOR_IDP_REQLOG_BODY_MAX ((size_t)128 << 20)

void door__idp_req_init(door_idp_req *q);
void door__idp_req_free(door_idp_req *q);
/* Header value by case-insensitive name (the first one), or NULL. */
const char *door__idp_req_header(const door_idp_req *q, const char *name);
/* A parameter from the query (GET) or the form (POST); NULL when absent;
 * *dup set when repeated. */
const char *door__idp_req_param(const door_idp_req *q, const char *name,
                                int *dup);

/* Appends the value of cookie `name` (DOOR_ENOTFOUND when absent). */
door_err door__idp_req_cookie(const door_idp_req *q, const char *name,
                              door_buf *out);
/* The login session cookie's name for a profile: "door_idp_sid_" NAME. */
door_err door__idp_sid_cookie_name(const door_idp_profile *p, door_buf *out);

void door__idp_resp_init(door_idp_resp *r);
void door__idp_resp_free(door_idp_resp *r);
/* Clears status, headers and body (for a fault that replaces an answer). */
void door__idp_resp_reset(door_idp_resp *r);
door_err door__idp_resp_header(door_idp_resp *r, const char *name,
                               const char *value);
/* Appends the compact JSON of `j` to `out` like door__json_dump.  A flat
 * object (members all plain-ASCII strings, integers, booleans or null: the
 * token answer, access-token claims) is written member by member, byte for
 * byte as jansson would; anything else is dumped by json_dumpb straight into
 * the buffer's free space (no callback per fragment), a second dump only
 * when the first guess of the size was short.  On failure `out` is left as
 * it was. */
door_err door__idp_json_dump(const json_t *j, door_buf *out);
/* The flat writer's pieces, for JSON written without a jansson object
 * (access-token claims, token answers) that must come out byte for byte as
 * door__idp_json_dump of the object would.  door__idp_json_flat_str appends
 * the n bytes of `s` as a quoted JSON string when jansson's compact dump
 * copies every one of them unescaped (printable ASCII other than '"' and
 * '\\') and returns 1 (*err: the append's result); for any other string it
 * writes nothing and returns 0: the caller then takes the jansson path.
 * door__idp_json_flat_int appends v as jansson prints a json_int_t. */
int door__idp_json_flat_str(door_buf *out, const char *s, size_t n,
                            door_err *err);
door_err door__idp_json_flat_int(door_buf *out, json_int_t v);
/* A JSON answer; takes over `j`. Adds Cache-Control: no-store. */
door_err door__idp_resp_json(door_idp_resp *r, int status, json_t *j);
/* The same for JSON already written into r->body: status, content type and
 * the no-store headers. */
door_err door__idp_resp_json_body(door_idp_resp *r, int status);
/* {"error": error, "error_description": desc}. */
door_err door__idp_resp_oauth_error(door_idp_resp *r, int status,
                                    const char *error, const char *desc);
/* 401 with WWW-Authenticate: Bearer realm=..., error=... (RFC 6750). */
door_err door__idp_resp_bearer_error(door_idp_resp *r, int status,
                                     const char *error, const char *desc,
                                     const char *scope);
door_err door__idp_resp_text(door_idp_resp *r, int status, const char *ctype,
                             const char *text);
door_err door__idp_resp_redirect(door_idp_resp *r, const char *location);

/* Takes the request's faults for `client_id` (may be NULL) and runs the
 * REQUEST stage.  Returns 1 when a fault produced the final answer. */
int door__idp_req_faults(door_idp_req *q, door_idp_resp *r,
                         const char *client_id, door_idp_fault_ctx *ctx);

/* Routes q->ep to its handler and applies the WIRE faults. */
door_err door__idp_dispatch(door_idp_req *q, door_idp_resp *r);
/* Which endpoint of listener `l` serves `path` (NONE when none). */
door_idp_ep door__idp_route(const door_idp_listener *l, const char *path);

/* Handlers. */
door_err door__idp_discovery(door_idp_req *q, door_idp_resp *r);
/* Builds the profile's discovery document into p->discovery_json (called by
 * door__idp_profile_publish once the URLs are known). */
door_err door__idp_discovery_build(door_idp_profile *p);
door_err door__idp_jwks(door_idp_req *q, door_idp_resp *r);
door_err door__idp_authorize(door_idp_req *q, door_idp_resp *r);
door_err door__idp_token(door_idp_req *q, door_idp_resp *r);
door_err door__idp_userinfo(door_idp_req *q, door_idp_resp *r);
door_err door__idp_tickets(door_idp_req *q, door_idp_resp *r);
door_err door__idp_end_session(door_idp_req *q, door_idp_resp *r);
door_err door__idp_admin(door_idp_req *q, door_idp_resp *r);

#endif
