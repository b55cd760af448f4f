/* door-idp's listeners on libevent: what server.c (sockets, TLS, threads)
 * and server_req.c (requests) share.
 *
 * Threads: `idp->threads` loop threads serve every profile listener (each
 * thread has its own event_base and one evhttp per listener, accepting on
 * its own dup() of the listening socket); one more loop thread serves the
 * admin listener.  Handlers run inline on the loop thread, except those
 * that may POST back-channel logout tokens (end_session, the admin API's
 * backchannel-logout): they run on a worker thread of their own, because
 * the relying party may call door-idp back (JWKS) over a connection owned
 * by that same loop.  Every evhttp call happens on the loop thread; a
 * worker only runs the handler and wakes its loop with event_active().
 * A delay fault arms a timer on the loop instead of sleeping.
 */
#ifndef DOOR_IDP_SERVER_EV_H
#define DOOR_IDP_SERVER_EV_H

#include "idp/idp.h"

#include <pthread.h>
#include <time.h>

struct event_base;
struct evhttp;
struct evhttp_request;
typedef struct door_idp_loop door_idp_loop;
typedef struct door_idp_pending door_idp_pending;

/* One listener on one loop: the argument of the evhttp callbacks. */
typedef struct door_idp_binding {
  door_idp_loop *loop;
  door_idp_listener *l;
  struct evhttp *http;
} door_idp_binding;

struct door_idp_loop {
  door_idp *idp;
  struct event_base *base;
  door_idp_binding *binds;
  size_t nbinds;
  pthread_t thread;
  int running;               /* thread started, not yet joined */
  door_idp_pending *pending; /* delayed answers and worker jobs; only the
                                loop thread touches the list */
  char date[30];             /* the Date header of this second (loop only) */
  time_t date_at;
};

/* The evhttp request callback (arg: a door_idp_binding). */
void door__idp_ev_request(struct evhttp_request *req, void *arg);
/* After the loop thread has been joined: waits for the loop's worker
 * threads and frees every pending answer without sending it. */
void door__idp_ev_drop_pending(door_idp_loop *lp);

#endif
