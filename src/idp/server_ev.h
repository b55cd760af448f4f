/* door-idp's listeners on h2o's event loop (libh2o-evloop): what server.c
 * (sockets, TLS, threads, shutdown) and server_req.c (requests) share.
 *
 * Threads: `idp->threads` loop threads serve every profile listener (each
 * thread has its own h2o event loop and context and accepts on its own
 * dup() of each listening socket); one more loop thread serves the admin
 * listener.  Handlers run inline on the loop thread, except those that may
 * POST back-channel logout tokens (end_session, the admin API's
 * backchannel-logout): they run on a worker thread of their own, because
 * the relying party may call door-idp back (JWKS) over a connection owned
 * by that same loop.  Every h2o call happens on the loop thread; a worker
 * only runs the handler and posts a message to its loop's queue.  A delay
 * fault links a timeout entry on the loop instead of sleeping.
 *
 * Shutdown (door__idp_server_stop, any thread): a message to each loop;
 * the loop closes its listening sockets, shuts down the sockets of its
 * connections (pending answers are not sent: a delayed one is dropped at
 * once, a worker's when it ends), runs until its workers have ended (at
 * most 10 s) and h2o has closed every connection (at most 2 s more), then
 * the thread ends; the stopping thread disposes the contexts and loops.
 */
#ifndef DOOR_IDP_SERVER_EV_H
#define DOOR_IDP_SERVER_EV_H

#include "idp/idp.h"

#include <h2o.h>
#include <pthread.h>
#include <stdint.h>

typedef struct door_idp_loop door_idp_loop;
typedef struct door_idp_pending door_idp_pending;

/* The h2o handler of one listener (every loop shares it): where a request
 * came in. */
typedef struct door_idp_handler {
  h2o_handler_t super;
  door_idp_listener *l;
} door_idp_handler;

/* One listener on one loop. */
typedef struct door_idp_binding {
  door_idp_loop *loop;
  door_idp_listener *l;
  h2o_hostconf_t *hosts[2]; /* the listener's host, NULL: h2o picks it */
  h2o_accept_ctx_t accept;
  int fd;                     /* a dup() of l->fd, owned by `sock` */
  h2o_socket_t *sock;         /* listening; NULL once closed */
  h2o_timeout_entry_t resume; /* accepting paused (out of descriptors) */
} door_idp_binding;

/* An accepted connection, until h2o closes its socket. */
typedef struct door_idp_conn {
  struct door_idp_conn *prev, *next;
  door_idp_loop *loop;
  int fd;
} door_idp_conn;

/* The h2o timeout of one delay length (h2o 2.2 timeouts have one length
 * each); kept until the loop ends. */
typedef struct door_idp_delay {
  struct door_idp_delay *next;
  uint64_t ms;
  h2o_timeout_t timeout;
} door_idp_delay;

struct door_idp_loop {
  door_idp *idp;
  h2o_evloop_t *evloop;
  h2o_context_t ctx;
  int ctx_ready; /* ctx initialised (dispose it) */
  door_idp_binding *binds;
  size_t nbinds;
  h2o_multithread_receiver_t jobs;    /* worker jobs finished */
  h2o_multithread_receiver_t control; /* stop */
  h2o_multithread_message_t stop_msg;
  int stopping; /* the loop thread only */
  pthread_t thread;
  int running;               /* thread started, not yet joined */
  door_idp_pending *pending; /* delayed answers and worker jobs; only the
                                loop thread touches the list */
  door_idp_conn *conns;      /* the loop thread only */
  size_t nconns;
  door_idp_delay *delays;
};

/* The on_req of every listener's handler. */
int door__idp_h2o_request(h2o_handler_t *self, h2o_req_t *req);
/* The jobs receiver's callback: worker jobs whose handler has returned. */
void door__idp_h2o_jobs_done(h2o_multithread_receiver_t *recv,
                             h2o_linklist_t *messages);
/* On the loop thread, when stopping: every delayed answer is written now
 * (its delay cut short) to a connection already shut down; worker jobs end
 * on their own. */
void door__idp_h2o_flush_pending(door_idp_loop *lp);
/* After the loop has ended: unlinks what is left (nothing, normally) and
 * disposes the delay timeouts. */
void door__idp_h2o_drop_pending(door_idp_loop *lp);

#endif
