/* A loopback HTTP fixture for the relying-party tests: libmicrohttpd on
 * 127.0.0.1 (plain http: the client allows it to loopback only with
 * allow_insecure_loopback), every request answered by a test callback. */
#ifndef DOOR_TEST_OIDC_FX_H
#define DOOR_TEST_OIDC_FX_H

#include "util/buf.h"
#include "util/url.h"

#include <pthread.h>

typedef struct fx_req {
  const char *method;
  const char *path;
  door_kvlist args;          /* decoded query arguments */
  const char *authorization; /* NULL when absent */
  const char *body;          /* NUL-terminated */
  size_t body_len;
} fx_req;

typedef struct fx_resp {
  unsigned status;
  const char *content_type; /* default application/json */
  door_buf body;
} fx_resp;

typedef void (*fx_fn)(void *ud, const fx_req *rq, fx_resp *rs);

typedef struct fx_srv {
  struct MHD_Daemon *daemon;
  unsigned short port;
  fx_fn fn;
  void *ud;
  pthread_mutex_t mu; /* serialises the callback */
} fx_srv;

/* Returns 0 on success. */
int fx_start(fx_srv *s, fx_fn fn, void *ud);
void fx_stop(fx_srv *s);

#endif
