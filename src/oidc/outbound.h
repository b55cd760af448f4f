/* The one outbound path to providers (internal; docs/privacy.md).
 *
 * Every request to a provider is built here: back-channel calls
 * (discovery, JWKS, token, refresh, userinfo, the ticket check) and the
 * browser redirects (authorization and end-session URLs).  Before anything
 * leaves, each field name (the parameters, the parameters already in the
 * endpoint URL's query, and "header:Authorization" when credentials go in
 * the header) is looked up in the provider's effective manifest for the
 * endpoint; one unlisted name refuses the whole request with
 * DOOR_EPRIVACY_UNLISTED (nothing is sent or returned), counts in the
 * provider's refusal counter (door_rp_tx_refused) and is logged (the name,
 * never a value).  Sent or refused, one door_transmission (field names,
 * purpose, outcome, HTTP status) is appended to `tx` when it is not NULL.
 *
 * tests/style/check.sh allows door__http_do only here (and in the HTTP
 * client itself, door-idp and the client's tests).
 *
 * Threading: any number of threads at once; `tx` belongs to one caller.
 */
#ifndef DOOR_OIDC_OUTBOUND_H
#define DOOR_OIDC_OUTBOUND_H

#include "oidc/rp_int.h"

typedef struct door_outbound {
  door_tx_endpoint endpoint;
  int post;                  /* 1: POST the params as a form; 0: GET query */
  const char *url;           /* the endpoint, possibly with its own query */
  const door_kvlist *params; /* NULL: none */
  const char *bearer_token;  /* Authorization: Bearer (header:Authorization) */
  const char *basic_user;    /* Authorization: Basic, both form-encoded */
  const char *basic_password;
  door_txlog *tx; /* NULL: not recorded */
} door_outbound;

/* Checks, sends and records one back-channel request.  `resp` is always
 * initialised (free it with door__http_response_free).  Errors: as
 * door__http_do, DOOR_EPRIVACY_UNLISTED. */
door_err door__outbound_call(door_provider *p, const door_outbound *o,
                             door_http_response *resp, door_detail *d);

/* Checks and records a browser redirect to `endpoint` with `params` added
 * to its query, and appends the URL to `url`. */
door_err door__outbound_redirect(door_provider *p, door_tx_endpoint e,
                                 const char *endpoint,
                                 const door_kvlist *params, door_txlog *tx,
                                 door_buf *url, door_detail *d);

/* door_provider_call.send for a provider's hooks; send_ud points to a
 * door_outbound_hook. */
typedef struct door_outbound_hook {
  door_provider *p;
  door_txlog *tx;
} door_outbound_hook;

door_err door__outbound_hook_send(const door_provider_call *call,
                                  const door_provider_request *rq, long *status,
                                  door_buf *body, door_detail *d);

#endif
