/* Scripted loopback HTTP(S) server for the http client's tests, on
 * libmicrohttpd (one thread per connection, keep-alive).  It answers each
 * path from a table and records what the client sent. */
#ifndef DOOR_TEST_HTTP_FIXTURE_H
#define DOOR_TEST_HTTP_FIXTURE_H

#include "pki.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct t_route {
  const char *path;
  unsigned status;
  const char *content_type;  /* NULL: no Content-Type */
  const char *headers[4][2]; /* more response headers, {NULL} ends */
  const char *body;          /* NULL: body_len bytes of 'x' */
  size_t body_len;           /* used when body is NULL */
  int chunked;               /* 1: no Content-Length (chunked) */
  unsigned delay_ms;         /* wait before answering */
} t_route;

/* What the fixture saw of the last request (copies, NUL-terminated). */
typedef struct t_seen {
  char *method;
  char *path;
  char *body;
  size_t body_len;
  char *authorization;
  char *content_type;
  char *accept;
  char *user_agent;
  unsigned n_query_args;
} t_seen;

typedef struct t_srv {
  struct MHD_Daemon *daemon;
  unsigned short port;
  const t_route *routes;
  size_t n_routes;
  pthread_mutex_t mu;
  unsigned connections; /* TCP connections accepted */
  unsigned requests;    /* requests answered */
  t_seen last;
  atomic_int stopping;
} t_srv;

/* Listens on bind_ip (e.g. "127.0.0.1"), a free port, with TLS when pki is
 * not NULL.  `routes` must outlive the server.  Returns 0 on success. */
int t_srv_start(t_srv *s, const char *bind_ip, const t_pki *pki,
                const t_route *routes, size_t n_routes);
void t_srv_stop(t_srv *s);

/* Counters and the last request, read under the lock. */
unsigned t_srv_connections(t_srv *s);
unsigned t_srv_requests(t_srv *s);
/* Copies the last request into *out (free with t_seen_free). */
void t_srv_seen(t_srv *s, t_seen *out);
void t_seen_free(t_seen *seen);

#endif
