/* door-idp requests on libevent's evhttp: the adaptation of an evhttp
 * request to door_idp_req / door_idp_resp (http.h), delayed answers on a
 * timer, and the worker threads of the handlers that may POST back-channel
 * logout tokens (server_ev.h says which thread does what). */
#include "idp/server_ev.h"

#include "idp/http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BODY_MAX_PROFILE ((size_t)64 << 10)
#define BODY_MAX_ADMIN ((size_t)1 << 20)
#define QUERY_PAIRS_MAX 256
#define PARAM_LEN_MAX ((size_t)64 << 10)
#define HEADERS_MAX 200
#define DELAY_MAX_MS 60000u

/* An answer not sent from the request callback: a worker job (the handler
 * runs on `thread`), then maybe a delay (the same event as a timer). */
struct door_idp_pending {
  door_idp_pending *prev, *next;
  door_idp_loop *loop;
  struct evhttp_request *req;
  int plain; /* the listener serves plain HTTP */
  struct event *ev;
  int job; /* the worker thread has not been joined */
  pthread_t thread;
  door_idp_req q; /* valid while job */
  door_buf path;
  door_idp_resp r;
};

static const char *method_name(enum evhttp_cmd_type t) {
  switch (t) {
  case EVHTTP_REQ_GET:
    return "GET";
  case EVHTTP_REQ_POST:
    return "POST";
  case EVHTTP_REQ_HEAD:
    return "HEAD";
  case EVHTTP_REQ_PUT:
    return "PUT";
  case EVHTTP_REQ_DELETE:
    return "DELETE";
  case EVHTTP_REQ_OPTIONS:
    return "OPTIONS";
  case EVHTTP_REQ_PATCH:
    return "PATCH";
  case EVHTTP_REQ_TRACE:
    return "TRACE";
  case EVHTTP_REQ_CONNECT:
    return "CONNECT";
  }
  return "GET";
}

static int is_form(const char *ctype) {
  static const char want[] = "application/x-www-form-urlencoded";
  return ctype && strncasecmp(ctype, want, sizeof want - 1) == 0 &&
         (ctype[sizeof want - 1] == '\0' || ctype[sizeof want - 1] == ';' ||
          ctype[sizeof want - 1] == ' ');
}

static void free_detached(const void *data, size_t len, void *arg) {
  (void)data;
  (void)len;
  free(arg);
}

/* Sends `r` (the loop thread only).  A large body is handed to libevent by
 * reference (the request log's answer may be 128 MiB): no copy.  Like
 * libmicrohttpd before: Content-Length also on HEAD (no body then) and on
 * HTTP/1.0 answers. */
/* Two decimal digits of v (0-99). */
static char *two_digits(char *o, int v) {
  o[0] = (char)('0' + v / 10 % 10);
  o[1] = (char)('0' + v % 10);
  return o + 2;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate) of `t`. */
static void imf_date(time_t t, char out[30]) {
  static const char days[] = "SunMonTueWedThuFriSat";
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  struct tm tm;
  char *o = out;
  if (!gmtime_r(&t, &tm))
    memset(&tm, 0, sizeof tm);
  memcpy(o, days + 3 * (tm.tm_wday % 7), 3);
  memcpy(o + 3, ", ", 2);
  o = two_digits(o + 5, tm.tm_mday);
  *o++ = ' ';
  memcpy(o, months + 3 * (tm.tm_mon % 12), 3);
  o += 3;
  *o++ = ' ';
  o = two_digits(o, (tm.tm_year + 1900) / 100);
  o = two_digits(o, (tm.tm_year + 1900) % 100);
  *o++ = ' ';
  o = two_digits(o, tm.tm_hour);
  *o++ = ':';
  o = two_digits(o, tm.tm_min);
  *o++ = ':';
  o = two_digits(o, tm.tm_sec);
  memcpy(o, " GMT", 5);
}

/* The loop's Date header value, formatted once a second (evhttp would
 * format it for every answer). */
static const char *loop_date(door_idp_loop *lp) {
  time_t now = time(NULL);
  if (now != lp->date_at || !lp->date[0]) {
    imf_date(now, lp->date);
    lp->date_at = now;
  }
  return lp->date;
}

static void send_resp(door_idp_loop *lp, struct evhttp_request *req, int plain,
                      door_idp_resp *r) {
  struct evkeyvalq *h = evhttp_request_get_output_headers(req);
  struct evbuffer *out = evhttp_request_get_output_buffer(req);
  struct evhttp_connection *con;
  struct bufferevent *bev;
  size_t len = r->body.len, i;
  int head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
  if (head || !len) {
    /* nothing to send */
  } else if (len < 4096) {
    if (evbuffer_add(out, r->body.data, len) != 0)
      goto fail;
  } else {
    char *data = door__buf_detach(&r->body);
    if (!data)
      goto fail;
    if (evbuffer_add_reference(out, data, len, free_detached, data) != 0) {
      free(data);
      goto fail;
    }
  }
  evhttp_add_header(h, "Date", loop_date(lp));
  if (r->content_type)
    evhttp_add_header(h, "Content-Type", r->content_type);
  for (i = 0; i < r->headers.n; i++)
    evhttp_add_header(h, r->headers.items[i].name, r->headers.items[i].value);
  if (r->status >= 200 && r->status != 204 && r->status != 304) {
    char num[24];
    num[door__u64_to_str((uint64_t)len, num)] = '\0';
    evhttp_add_header(h, "Content-Length", num);
  }
  con = evhttp_request_get_connection(req);
  bev = con && plain ? evhttp_connection_get_bufferevent(con) : NULL;
  /* The body is already in the request's output buffer. */
  evhttp_send_reply(req, r->status, NULL, NULL);
  /* Write now, in this turn of the loop, rather than after the next
   * epoll_wait reports the socket writable (it is: the request was just
   * read from it); with the base's change list the write event's add and
   * del then cancel out.  Plain sockets only: bufferevent_openssl drives
   * its own events. */
  if (bev)
    event_active(&bev->ev_write, EV_WRITE, 1);
  return;
fail:
  evbuffer_drain(out, evbuffer_get_length(out));
  evhttp_send_error(req, 500, NULL);
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
  if (p->ev)
    event_free(p->ev);
  door__idp_req_free(&p->q);
  door__buf_free(&p->path);
  door__idp_resp_free(&p->r);
  free(p);
}

/* Arms the pending answer's delay (capped); 0 when armed. */
static int arm_delay(door_idp_pending *p) {
  unsigned ms = p->r.delay_ms > DELAY_MAX_MS ? DELAY_MAX_MS : p->r.delay_ms;
  struct timeval tv;
  tv.tv_sec = (time_t)(ms / 1000);
  tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
  p->r.delay_ms = 0;
  return event_add(p->ev, &tv);
}

static void pending_cb(int fd, short what, void *arg) {
  door_idp_pending *p = arg;
  (void)fd;
  (void)what;
  if (p->job) {
    pthread_join(p->thread, NULL);
    p->job = 0;
    door__idp_req_free(&p->q);
    door__idp_req_init(&p->q);
    if (p->r.delay_ms && arm_delay(p) == 0)
      return;
  }
  send_resp(p->loop, p->req, p->plain, &p->r);
  pending_unlink(p);
  pending_free(p);
}

static door_idp_pending *pending_new(door_idp_loop *lp,
                                     struct evhttp_request *req, int plain) {
  door_idp_pending *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->loop = lp;
  p->req = req;
  p->plain = plain;
  door__idp_req_init(&p->q);
  door__buf_init(&p->path, 8192);
  door__idp_resp_init(&p->r);
  p->ev = event_new(lp->base, -1, 0, pending_cb, p);
  if (!p->ev) {
    pending_free(p);
    return NULL;
  }
  p->next = lp->pending;
  if (p->next)
    p->next->prev = p;
  lp->pending = p;
  return p;
}

/* Takes over `r` and sends it after its delay_ms (capped) on a timer. */
static void send_later(door_idp_loop *lp, struct evhttp_request *req, int plain,
                       door_idp_resp *r) {
  door_idp_pending *p = pending_new(lp, req, plain);
  if (!p) {
    evhttp_send_error(req, 500, NULL);
    return;
  }
  p->r = *r;
  door__idp_resp_init(r);
  if (arm_delay(p) != 0)
    event_active(p->ev, EV_TIMEOUT, 0);
}

static void *job_main(void *arg) {
  door_idp_pending *p = arg;
  struct event *ev = p->ev;
  door__idp_dispatch(&p->q, &p->r);
  /* From here on the loop thread owns `p` (it joins this thread). */
  event_active(ev, EV_TIMEOUT, 0);
  return NULL;
}

/* Handlers that may POST back-channel logout tokens, synchronously. */
static int may_post_logout(const door_idp_req *q) {
  if (q->prof)
    return q->ep == DOOR_IDP_EP_END_SESSION;
  return strcmp(q->method, "POST") == 0 &&
         strstr(q->path, "backchannel-logout") != NULL;
}

/* Fills `q` from the evhttp request; returns 1 when the body is over the
 * listener's cap. */
static int adapt(door_idp_binding *b, struct evhttp_request *req,
                 door_idp_req *q, door_buf *path) {
  door_idp_listener *l = b->l;
  const char *uri = evhttp_request_get_uri(req), *qs, *ctype;
  struct evkeyvalq *in = evhttp_request_get_input_headers(req);
  struct evbuffer *body = evhttp_request_get_input_buffer(req);
  struct evkeyval *kv;
  size_t blen = evbuffer_get_length(body);
  int too_big = blen > (l->prof ? BODY_MAX_PROFILE : BODY_MAX_ADMIN);
  q->idp = l->idp;
  q->prof = l->prof;
  q->listener = l;
  q->method = method_name(evhttp_request_get_command(req));
  if (!uri)
    uri = "/";
  qs = strchr(uri, '?');
  door__buf_append(path, uri, qs ? (size_t)(qs - uri) : strlen(uri));
  q->path = door__buf_str(path);
  if (qs && door__form_parse(qs + 1, strlen(qs + 1), QUERY_PAIRS_MAX,
                             PARAM_LEN_MAX, &q->query))
    q->query_bad = 1;
  for (kv = in ? in->tqh_first : NULL; kv && q->headers.n < HEADERS_MAX;
       kv = kv->next.tqe_next)
    door__kvlist_add(&q->headers, kv->key, kv->value ? kv->value : "");
  if (!too_big && blen) {
    q->body = (const char *)evbuffer_pullup(body, -1);
    q->body_len = q->body ? blen : 0;
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
static void run_job(door_idp_loop *lp, struct evhttp_request *req, int plain,
                    door_idp_req *q, door_buf *path) {
  door_idp_pending *p = pending_new(lp, req, plain);
  door_idp_resp r;
  if (!p) {
    evhttp_send_error(req, 500, NULL);
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
  send_resp(lp, req, plain, &r);
  door__idp_resp_free(&r);
  pending_unlink(p);
  pending_free(p);
}

void door__idp_ev_request(struct evhttp_request *req, void *arg) {
  door_idp_binding *b = arg;
  door_idp_req q;
  door_idp_resp r;
  door_buf path;
  int too_big;
  door__idp_req_init(&q);
  door__idp_resp_init(&r);
  door__buf_init(&path, 8192);
  too_big = adapt(b, req, &q, &path);
  if (too_big) {
    door__idp_resp_oauth_error(&r, 413, "invalid_request",
                               "request body too large");
  } else if (may_post_logout(&q)) {
    run_job(b->loop, req, b->l->plain, &q, &path);
    door__idp_req_free(&q);
    door__buf_free(&path);
    door__idp_resp_free(&r);
    return;
  } else {
    door__idp_dispatch(&q, &r);
  }
  if (r.delay_ms)
    send_later(b->loop, req, b->l->plain, &r);
  else
    send_resp(b->loop, req, b->l->plain, &r);
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  door__buf_free(&path);
}

void door__idp_ev_drop_pending(door_idp_loop *lp) {
  door_idp_pending *p;
  while ((p = lp->pending) != NULL) {
    if (p->job)
      pthread_join(p->thread, NULL);
    /* A request whose connection is gone belongs to us; the others are
     * freed with their connection by evhttp_free(). */
    if (!evhttp_request_get_connection(p->req))
      evhttp_request_free(p->req);
    pending_unlink(p);
    pending_free(p);
  }
}
