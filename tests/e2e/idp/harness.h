/* e2e harness for door-idp: starts the real build/door-idp on ephemeral
 * ports, waits for its ready file, talks HTTPS to it with libcurl (TLS
 * verified against build/certs/ca.pem) and drives OAuth flows.
 *
 * Every program gets: argv[1] door-idp, argv[2] ca.pem, argv[3] server.pem,
 * argv[4] server.key, argv[5] the scenario, argv[6] the d-account discovery
 * document as published (tests/data).
 */
#ifndef DOOR_E2E_IDP_HARNESS_H
#define DOOR_E2E_IDP_HARNESS_H

#include "jose/jose.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/url.h"

#include <jansson.h>
#include <microhttpd.h>
#include <sys/types.h>

typedef struct e2e_env {
  const char *idp_bin, *ca, *cert, *key, *scenario, *daccount_ref;
  char dir[256]; /* temporary directory: ready file, log */
  pid_t pid;
  json_t *ready; /* the ready file */
  const char *admin;
  void *curl; /* one easy handle: keep-alive */
} e2e_env;

typedef struct e2e_resp {
  long status;
  door_buf body;
  door_kvlist headers; /* names lowercased */
  double seconds;
} e2e_resp;

/* Starts door-idp with `extra` arguments (NULL-terminated, may be NULL).
 * Returns 0 when ready. */
int e2e_start(e2e_env *e, int argc, char **argv, const char *const *extra);
/* SIGTERM, waits; returns the exit status (0 expected), -1 on trouble. */
int e2e_stop(e2e_env *e);

/* ready.profiles.<p>.<key> */
const char *e2e_url(e2e_env *e, const char *profile, const char *key);

void e2e_resp_init(e2e_resp *r);
void e2e_resp_free(e2e_resp *r);
const char *e2e_header(const e2e_resp *r, const char *name);

/* One request.  `body` with a form content type unless `ctype`; `basic`
 * is "user:password" (already form-encoded) or NULL; `bearer` may be NULL;
 * `cookie` may be NULL.  Returns 0 when a response arrived. */
int e2e_http(e2e_env *e, const char *method, const char *url, const char *body,
             const char *ctype, const char *basic, const char *bearer,
             const char *cookie, e2e_resp *out);
/* GET `url` (no credentials): its status, -1 when no response arrived. */
long e2e_get_status(e2e_env *e, const char *url);
/* Admin API: method + path ("/faults"), JSON body or NULL. */
int e2e_admin(e2e_env *e, const char *method, const char *path,
              const char *json, e2e_resp *out);
/* Admin API call that answers its status (-1 when no response arrived);
 * *out (may be NULL) gets the parsed body; an answer of 400 or more is
 * printed with its body as a TAP comment.  idp_admin_call with e->admin
 * (tests/e2e/common/idp_admin.h, shared with the door-broker harness). */
long e2e_admin_call(e2e_env *e, const char *method, const char *path,
                    const char *json, json_t **out);
/* Parses a response body as JSON (NULL when it is not). */
json_t *e2e_json(const e2e_resp *r);

/* Arms a fault through the admin API; returns its id, or 0. */
long long e2e_arm(e2e_env *e, const char *json);

/* A code flow. */
typedef struct e2e_flow {
  const char *profile, *client_id, *secret, *redirect_uri, *scope, *user;
  const char *auth; /* "basic", "post" or "none" */
  const char *nonce, *state;
  int pkce;             /* send S256 code_challenge */
  const char *verifier; /* NULL: the right one */
  const char *extra;    /* more authorize query, "&a=b", or NULL */
  /* results */
  char code[128];
  char location[4096];
} e2e_flow;

/* GET authorization_endpoint with login_hint; fills code (or leaves it
 * empty) and location.  Returns the HTTP status. */
long e2e_authorize(e2e_env *e, e2e_flow *f);
/* POST the code to the token endpoint; `out` gets the response. */
int e2e_token(e2e_env *e, e2e_flow *f, e2e_resp *out);
/* authorize + token; returns the token response JSON (200) or NULL. */
json_t *e2e_login(e2e_env *e, e2e_flow *f);
/* A token request with the flow's client authentication and `form`
 * (e.g. "grant_type=refresh_token&refresh_token=..."). */
int e2e_token_form(e2e_env *e, e2e_flow *f, const char *form, e2e_resp *out);

/* Query parameter of a URL (decoded, malloc'ed) or NULL. */
char *e2e_query_param(const char *url, const char *name);

/* The profile's JWKS, parsed (new reference) or NULL. */
door_jwks *e2e_jwks(e2e_env *e, const char *profile);
/* Parses and verifies a JWS against the profile's JWKS (or with `secret`
 * for HS256); returns the verify error; *out holds the parse. */
door_err e2e_verify(e2e_env *e, const char *profile, const char *token,
                    const char *secret, door_jws *out);
/* The decoded payload/header of a compact JWS without verifying. */
json_t *e2e_jwt_part(const char *token, int part);

/* A back-channel logout receiver for the tests: an HTTPS server on
 * 127.0.0.1 (ephemeral port) with door-idp's own test certificate
 * (E->cert, E->key), libmicrohttpd's internal thread, the caller's
 * handler; `done` may be NULL.  Returns 0 when listening (port set). */
typedef struct e2e_tls_rx {
  struct MHD_Daemon *d;
  char *cert, *key;
  int port;
} e2e_tls_rx;
int e2e_tls_rx_start(e2e_tls_rx *r, const e2e_env *e,
                     MHD_AccessHandlerCallback handler, void *cls,
                     MHD_RequestCompletedCallback done, void *done_cls);
void e2e_tls_rx_stop(e2e_tls_rx *r);

/* Unix time now. */
long long e2e_now(void);

#endif
