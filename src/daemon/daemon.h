/* door-broker (internal): the HTTP adapter over the broker library.
 *
 * The daemon's whole state is one door_daemon, passed to every handler
 * (libmicrohttpd's closure argument); there are no globals.  Signals are
 * blocked in every thread and taken synchronously by the main thread with
 * sigtimedwait (serve.c), so no handler runs in signal context.
 *
 * Requests are reduced to a door_dreq (strings only) and answered by
 * filling a door_dresp; routes.c maps paths to broker calls and pages.c
 * renders HTML.  Every answer carries the security headers of
 * door__dresp_security (server.c).
 */
#ifndef DOOR_DAEMON_H
#define DOOR_DAEMON_H

#include "doorauth/broker.h"
#include "doorauth/tickets.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/url.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define DOOR_DAEMON_BODY_MAX ((size_t)64 << 10) /* request bodies */
#define DOOR_DAEMON_PAGE_MAX ((size_t)1 << 20)  /* answers */

typedef enum door_route_id {
  DOOR_R_CHOOSER = 0,
  DOOR_R_LOGIN,
  DOOR_R_CALLBACK,
  DOOR_R_ACCOUNT,
  DOOR_R_LINK,
  DOOR_R_UNLINK,
  DOOR_R_LOGOUT,
  DOOR_R_LOGGED_OUT,
  DOOR_R_API_SESSION,
  DOOR_R_HEALTHZ,
  DOOR_R_METRICS,
  DOOR_R_BACKCHANNEL,
  DOOR_R_JWKS,
  DOOR_R_PARTICIPATION,
  DOOR_R_PRIVACY,
  DOOR_R_STATS,
  DOOR_R_OTHER,
  DOOR_R_COUNT_
} door_route_id;

typedef struct door_daemon {
  door_broker *broker;
  door_tickets *tickets; /* participation-token keys (docs/gate.md) */
  door_log log;
  const char *config_path;
  struct MHD_Daemon *mhd;
  int listen_fd; /* after quiesce: ours to close */
  char url[300]; /* http(s)://HOST:PORT of the listener */
  int tls;
  atomic_int in_flight; /* requests between arrival and completion */
  atomic_uint_fast64_t requests[DOOR_R_COUNT_][6]; /* by status class */
  int64_t started_at;
} door_daemon;

typedef struct door_dreq {
  const char *method;
  const char *path;  /* raw path, without the query */
  const char *query; /* raw query without '?', "" when none */
  const char *cookie;
  const char *origin;
  const char *authorization; /* the Authorization header, or NULL */
  const char *content_type;
  const char *lang; /* "en" or "ja" (door__lang_pick) */
  const char *body; /* NUL-terminated */
  size_t body_len;
  int body_too_big;
  door_kvlist form; /* decoded body (POST forms) */
  door_kvlist args; /* decoded query */
  int args_bad;     /* the query or form did not decode */
} door_dreq;

typedef struct door_dresp {
  unsigned status;
  const char *content_type; /* static */
  door_buf body;
  door_kvlist headers; /* extra headers (Location, Set-Cookie, ...) */
  int cacheable;       /* 0: Cache-Control: no-store */
  door_route_id route;
} door_dresp;

void door__dresp_init(door_dresp *r);
void door__dresp_free(door_dresp *r);
door_err door__dresp_header(door_dresp *r, const char *name, const char *value);
/* A redirect: 302 for GET, 303 after a POST. */
door_err door__dresp_redirect(door_dresp *r, unsigned status,
                              const char *location);
/* Adds the reply's Set-Cookie values. */
door_err door__dresp_cookies(door_dresp *r, const door_broker_reply *br);
door_err door__dresp_text(door_dresp *r, unsigned status, const char *ctype,
                          const char *text);
/* Security headers every answer gets: CSP default-src 'none' with inline
 * styles only, frame-ancestors 'none', nosniff, Referrer-Policy
 * same-origin (no Referer to providers; "no-referrer" would make browsers
 * send "Origin: null" on our own form POSTs, which the Origin check
 * refuses), X-Frame-Options DENY, HSTS over TLS, and Cache-Control
 * no-store unless cacheable. */
door_err door__dresp_security(door_dresp *r, int tls);

/* routes.c: answers one request. */
door_err door__route(door_daemon *dd, const door_dreq *q, door_dresp *r);

/* server.c */
door_err door__server_start(door_daemon *dd, const char *listen, int threads,
                            const char *tls_cert, const char *tls_key,
                            door_detail *d);
/* Stops accepting, lets requests in flight finish (up to `grace` seconds),
 * then stops. */
void door__server_stop(door_daemon *dd, int grace);

/* serve.c / accounts.c / keys.c: commands. */
int door__cmd_serve(const char *prog, const char *config_path, int argc,
                    char **argv);
int door__cmd_accounts(const char *prog, const char *config_path, int argc,
                       char **argv);
int door__cmd_keys(const char *prog, const char *config_path, int argc,
                   char **argv);

/* Writes a detail as one line "door-broker: NAME: what (at where); hint". */
void door__print_detail(const char *prog, const door_detail *d);

#endif
