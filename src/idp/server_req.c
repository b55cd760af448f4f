/* door-idp requests on h2o: the adaptation of an h2o request to
 * door_idp_req / door_idp_resp (http.h), delayed answers on an h2o
 * timeout, and the worker threads of the handlers that may POST
 * back-channel logout tokens (server_ev.h says which thread does what). */
#include "idp/server_ev.h"

#include "idp/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_MAX_PROFILE ((size_t)64 << 10)
#define BODY_MAX_ADMIN ((size_t)1 << 20)
#define QUERY_PAIRS_MAX 256
#define PARAM_LEN_MAX ((size_t)64 << 10)
#define HEADERS_MAX 200
#define DELAY_MAX_MS 60000u
/* Distinct delay lengths with an h2o timeout of their own, per loop; a
 * further length shares the nearest longer one (or the longest). */
#define DELAY_LENGTHS_MAX 64

/* An answer not sent from the request callback: a worker job (the handler
 * runs on `thread`), then maybe a delay. */
struct door_idp_pending {
  door_idp_pending *prev, *next;
  door_idp_loop *loop;
  h2o_req_t *req;
  h2o_timeout_entry_t timer;     /* linked while the delay runs */
  h2o_multithread_message_t msg; /* the worker's "done" */
  int job;                       /* the worker thread has not been joined */
  pthread_t thread;
  door_idp_req q; /* valid while job */
  door_buf path;
  door_idp_resp r;
};

/* The methods that reach the handlers (others: 501). */
static const char *method_name(h2o_iovec_t m) {
  static const char *const known[] = {"GET",    "POST",    "HEAD", "PUT",
                                      "DELETE", "OPTIONS", "PATCH"};
  size_t i;
  for (i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (m.len == strlen(known[i]) && memcmp(m.base, known[i], m.len) == 0)
      return known[i];
  }
  return NULL;
}

static const char *reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 303:
    return "See Other";
  case 304:
    return "Not Modified";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 413:
    return "Content Too Large";
  case 415:
    return "Unsupported Media Type";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  }
  return status < 200   ? "Informational"
         : status < 300 ? "Success"
         : status < 400 ? "Redirection"
         : status < 500 ? "Client Error"
                        : "Server Error";
}

static int is_form(const char *ctype) {
  static const char want[] = "application/x-www-form-urlencoded";
  return ctype && strncasecmp(ctype, want, sizeof want - 1) == 0 &&
         (ctype[sizeof want - 1] == '\0' || ctype[sizeof want - 1] == ';' ||
          ctype[sizeof want - 1] == ' ');
}

/* A detached body, freed with the request's memory pool. */
static void free_slot(void *p) { free(*(char **)p); }

/* One response header: h2o wants lower-case names (its tokens); the name
 * goes out as the handler spelled it. */
static void add_header(h2o_req_t *req, const char *name, const char *value) {
  size_t n = strlen(name);
  h2o_iovec_t lc = h2o_strdup(&req->pool, name, n);
  h2o_iovec_t orig = h2o_strdup(&req->pool, name, n);
  h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
  h2o_strtolower(lc.base, n);
  h2o_add_header_by_str(&req->pool, &req->res.headers, lc.base, n, 1, orig.base,
                        v.base, v.len);
}

/* An answer ready in its request's memory, written when the loop has read
 * what this turn brought. */
typedef struct door_idp_out {
  h2o_timeout_entry_t soon;
  h2o_req_t *req;
  h2o_iovec_t buf;
} door_idp_out;

static void out_write(h2o_timeout_entry_t *entry) {
  static h2o_generator_t generator = {NULL, NULL};
  door_idp_out *o = H2O_STRUCT_FROM_MEMBER(door_idp_out, soon, entry);
  h2o_start_response(o->req, &generator);
  h2o_send(o->req, o->buf.len ? &o->buf : NULL, o->buf.len ? 1 : 0,
           H2O_SEND_STATE_FINAL);
}

/* Sends `r` (the loop thread only).  A large body goes to h2o by reference
 * (the request log's answer may be 128 MiB): no copy.  Content-Length also
 * on HEAD (no body then); none on 1xx, 204 and 304.
 *
 * The answer is written at the end of the loop's turn (h2o's zero timeout
 * runs after the turn's reads and their handlers), not at once: the
 * answers to the requests of one epoll_wait then leave together, and a
 * client that reads them (wrk, a test suite's connections) is woken once
 * for several rather than once per answer.  On this machine's virtual CPUs
 * that wake-up is most of a loopback write's cost: 4-5 us less per token
 * request (docs/door-idp.md, Benchmarks). */
static void send_resp(h2o_req_t *req, door_idp_resp *r) {
  size_t len = r->body.len, i;
  int head = req->input.method.len == 4 &&
             memcmp(req->input.method.base, "HEAD", 4) == 0;
  int no_body = r->status < 200 || r->status == 204 || r->status == 304;
  door_idp_out *o = h2o_mem_alloc_pool(&req->pool, sizeof *o);
  memset(o, 0, sizeof *o);
  o->req = req;
  o->soon.cb = out_write;
  req->res.status = r->status;
  req->res.reason = reason(r->status);
  if (r->content_type)
    add_header(req, "Content-Type", r->content_type);
  for (i = 0; i < r->headers.n; i++)
    add_header(req, r->headers.items[i].name, r->headers.items[i].value);
  req->res.content_length = no_body ? SIZE_MAX : len;
  if (!head && !no_body && len) {
    if (len < 4096) {
      o->buf = h2o_strdup(&req->pool, r->body.data, len);
    } else {
      char **slot = h2o_mem_alloc_shared(&req->pool, sizeof *slot, free_slot);
      *slot = door__buf_detach(&r->body);
      o->buf = h2o_iovec_init(*slot, *slot ? len : 0);
      if (!*slot) {
        /* out of memory: no body, a 500 with an empty one */
        req->res.status = 500;
        req->res.reason = reason(500);
        req->res.content_length = 0;
      }
    }
  }
  h2o_timeout_link(req->conn->ctx->loop, &req->conn->ctx->zero_timeout,
                   &o->soon);
}

/* A plain 500 when door-idp cannot even keep the request. */
static void send_500(h2o_req_t *req) {
  door_idp_resp r;
  door__idp_resp_init(&r);
  door__idp_resp_oauth_error(&r, 500, "server_error",
                             "door-idp is out of memory");
  send_resp(req, &r);
  door__idp_resp_free(&r);
}

static void pending_unlink(door_idp_pending *p) {
  if (p->prev)
    p->prev->next = p->next;
  else
    p->loop->pending = p->next;
  if (p->next)
    p->next->prev = p->prev;
}

static void pending_free(door_idp_pending *p) {
  if (h2o_timeout_is_linked(&p->timer))
    h2o_timeout_unlink(&p->timer);
  door__idp_req_free(&p->q);
  door__buf_free(&p->path);
  door__idp_resp_free(&p->r);
  free(p);
}

static void pending_send(door_idp_pending *p) {
  send_resp(p->req, &p->r);
  pending_unlink(p);
  pending_free(p);
}

static void delay_fired(h2o_timeout_entry_t *entry) {
  door_idp_pending *p = H2O_STRUCT_FROM_MEMBER(door_idp_pending, timer, entry);
  pending_send(p);
}

/* The loop's timeout of `ms` (made on first use). */
static h2o_timeout_t *delay_timeout(door_idp_loop *lp, uint64_t ms) {
  door_idp_delay *d, *longer = NULL, *longest = NULL;
  size_t n = 0;
  for (d = lp->delays; d; d = d->next, n++) {
    if (d->ms == ms)
      return &d->timeout;
    if (d->ms > ms && (!longer || d->ms < longer->ms))
      longer = d;
    if (!longest || d->ms > longest->ms)
      longest = d;
  }
  if (n >= DELAY_LENGTHS_MAX || !(d = calloc(1, sizeof *d))) {
    d = longer ? longer : longest;
    return d ? &d->timeout : NULL;
  }
  d->ms = ms;
  h2o_timeout_init(lp->evloop, &d->timeout, ms);
  d->next = lp->delays;
  lp->delays = d;
  return &d->timeout;
}

/* Sends the pending answer after its delay_ms (capped), or now when the
 * loop is stopping or has no timeout to offer. */
static void send_after_delay(door_idp_pending *p) {
  unsigned ms = p->r.delay_ms > DELAY_MAX_MS ? DELAY_MAX_MS : p->r.delay_ms;
  h2o_timeout_t *t = p->loop->stopping ? NULL : delay_timeout(p->loop, ms);
  p->r.delay_ms = 0;
  if (!t) {
    pending_send(p);
    return;
  }
  p->timer.cb = delay_fired;
  h2o_timeout_link(p->loop->evloop, t, &p->timer);
}

static door_idp_pending *pending_new(door_idp_loop *lp, h2o_req_t *req) {
  door_idp_pending *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->loop = lp;
  p->req = req;
  door__idp_req_init(&p->q);
  door__buf_init(&p->path, 8192);
  door__idp_resp_init(&p->r);
  p->next = lp->pending;
  if (p->next)
    p->next->prev = p;
  lp->pending = p;
  return p;
}

void door__idp_h2o_jobs_done(h2o_multithread_receiver_t *recv,
                             h2o_linklist_t *messages) {
  (void)recv;
  while (!h2o_linklist_is_empty(messages)) {
    h2o_multithread_message_t *m =
        H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
    door_idp_pending *p = H2O_STRUCT_FROM_MEMBER(door_idp_pending, msg, m);
    h2o_linklist_unlink(&m->link);
    pthread_join(p->thread, NULL);
    p->job = 0;
    door__idp_req_free(&p->q);
    door__idp_req_init(&p->q);
    if (p->r.delay_ms)
      send_after_delay(p);
    else
      pending_send(p);
  }
}

static void *job_main(void *arg) {
  door_idp_pending *p = arg;
  h2o_multithread_receiver_t *jobs = &p->loop->jobs;
  door__idp_dispatch(&p->q, &p->r);
  /* From here on the loop thread owns `p` (it joins this thread). */
  h2o_multithread_send_message(jobs, &p->msg);
  return NULL;
}

/* Handlers that may POST back-channel logout tokens, synchronously. */
static int may_post_logout(const door_idp_req *q) {
  if (q->prof)
    return q->ep == DOOR_IDP_EP_END_SESSION;
  return strcmp(q->method, "POST") == 0 &&
         strstr(q->path, "backchannel-logout") != NULL;
}

/* The request's headers as received, but for those h2o keeps out of its
 * header list: Host (its authority) first, Content-Length (the body's
 * length) last. */
static void adapt_headers(h2o_req_t *req, door_idp_req *q) {
  size_t i;
  if (req->input.authority.len)
    door__kvlist_addn(&q->headers, "Host", 4, req->input.authority.base,
                      req->input.authority.len);
  for (i = 0; i < req->headers.size && q->headers.n < HEADERS_MAX; i++) {
    const h2o_header_t *h = &req->headers.entries[i];
    door__kvlist_addn(&q->headers, h->orig_name ? h->orig_name : h->name->base,
                      h->name->len, h->value.base, h->value.len);
  }
  if (req->entity.base && q->headers.n < HEADERS_MAX) {
    char num[24];
    size_t n = door__u64_to_str((uint64_t)req->entity.len, num);
    door__kvlist_addn(&q->headers, "Content-Length", 14, num, n);
  }
}

/* Fills `q` from the h2o request; returns 1 when the body is over the
 * listener's cap. */
static int adapt(door_idp_listener *l, h2o_req_t *req, const char *method,
                 door_idp_req *q, door_buf *path) {
  const char *raw = req->input.path.base, *qs, *ctype;
  size_t rlen = req->input.path.len, blen = req->entity.len;
  int too_big = blen > (l->prof ? BODY_MAX_PROFILE : BODY_MAX_ADMIN);
  q->idp = l->idp;
  q->prof = l->prof;
  q->listener = l;
  q->method = method;
  qs = rlen ? memchr(raw, '?', rlen) : NULL;
  if (!rlen || memchr(raw, '\0', rlen))
    door__buf_putc(path, '/');
  else
    door__buf_append(path, raw, qs ? (size_t)(qs - raw) : rlen);
  q->path = door__buf_str(path);
  if (qs && door__form_parse(qs + 1, rlen - (size_t)(qs + 1 - raw),
                             QUERY_PAIRS_MAX, PARAM_LEN_MAX, &q->query))
    q->query_bad = 1;
  adapt_headers(req, q);
  if (!too_big && blen && req->entity.base) {
    q->body = req->entity.base;
    q->body_len = blen;
  }
  ctype = door__idp_req_header(q, "Content-Type");
  if (q->body_len && is_form(ctype) &&
      door__form_parse(q->body, q->body_len, QUERY_PAIRS_MAX, PARAM_LEN_MAX,
                       &q->form))
    q->form_bad = 1;
  q->ep = door__idp_route(l, q->path);
  if (l->prof)
    door__idp_reqlog_add(&l->idp->reqlog, l->prof->name, l->name,
                         q->ep ? door__idp_ep_name(q->ep) : "unknown",
                         q->method, q->path, &q->headers, &q->query, &q->form);
  return too_big;
}

/* Takes over `q` and `path` and runs the handler on a worker thread; the
 * loop sends the answer. */
static void run_job(door_idp_loop *lp, h2o_req_t *req, door_idp_req *q,
                    door_buf *path) {
  door_idp_pending *p = pending_new(lp, req);
  door_idp_resp r;
  if (!p) {
    send_500(req);
    return;
  }
  p->q = *q;
  p->path = *path; /* q->path points into the same allocation */
  door__idp_req_init(q);
  door__buf_init(path, 1);
  p->job = 1;
  if (pthread_create(&p->thread, NULL, job_main, p) == 0)
    return;
  p->job = 0;
  door__idp_resp_init(&r);
  door__idp_resp_oauth_error(&r, 503, "temporarily_unavailable",
                             "door-idp cannot start a worker thread");
  send_resp(req, &r);
  door__idp_resp_free(&r);
  pending_unlink(p);
  pending_free(p);
}

/* The loop of this request's connection. */
static door_idp_loop *req_loop(h2o_req_t *req) {
  return H2O_STRUCT_FROM_MEMBER(door_idp_loop, ctx, req->conn->ctx);
}

int door__idp_h2o_request(h2o_handler_t *self, h2o_req_t *req) {
  door_idp_listener *l = ((door_idp_handler *)self)->l;
  door_idp_loop *lp = req_loop(req);
  const char *method = method_name(req->input.method);
  door_idp_req q;
  door_idp_resp r;
  door_buf path;
  int too_big;
  door__idp_req_init(&q);
  door__idp_resp_init(&r);
  door__buf_init(&path, 8192);
  if (!method) {
    door__idp_resp_oauth_error(&r, 501, "invalid_request",
                               "method not implemented");
    send_resp(req, &r);
    goto out;
  }
  too_big = adapt(l, req, method, &q, &path);
  if (too_big) {
    door__idp_resp_oauth_error(&r, 413, "invalid_request",
                               "request body too large");
  } else if (may_post_logout(&q)) {
    run_job(lp, req, &q, &path);
    goto out;
  } else {
    door__idp_dispatch(&q, &r);
  }
  if (r.delay_ms && !lp->stopping) {
    door_idp_pending *p = pending_new(lp, req);
    if (!p) {
      send_500(req);
      goto out;
    }
    p->r = r;
    door__idp_resp_init(&r);
    send_after_delay(p);
  } else {
    send_resp(req, &r);
  }
out:
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  door__buf_free(&path);
  return 0;
}

void door__idp_h2o_flush_pending(door_idp_loop *lp) {
  door_idp_pending *p = lp->pending, *next;
  for (; p; p = next) {
    next = p->next;
    if (!p->job)
      pending_send(p); /* a delay cut short */
  }
}

void door__idp_h2o_drop_pending(door_idp_loop *lp) {
  door_idp_pending *p;
  door_idp_delay *d;
  while ((p = lp->pending) != NULL) {
    if (p->job)
      pthread_join(p->thread, NULL);
    pending_unlink(p);
    pending_free(p);
  }
  while ((d = lp->delays) != NULL) {
    lp->delays = d->next;
    h2o_timeout_dispose(lp->evloop, &d->timeout);
    free(d);
  }
}
