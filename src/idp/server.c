/* door-idp listeners on libmicrohttpd: TLS (GnuTLS inside MHD), an internal
 * thread pool with epoll, request accumulation, and the adaptation of MHD
 * requests to door_idp_req / door_idp_resp (http.h). */
#include "idp/server.h"

#include "idp/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX_PROFILE ((size_t)64 << 10)
#define BODY_MAX_ADMIN ((size_t)1 << 20)
#define QUERY_PAIRS_MAX 256
#define PARAM_LEN_MAX ((size_t)64 << 10)

/* Per-request state, from the URI log callback to completion. */
typedef struct conn_req {
  char *uri; /* raw request target: path and query, still encoded */
  door_buf body;
  int started;
  int too_big;
} conn_req;

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con) {
  door_idp_listener *l = cls;
  conn_req *cr = calloc(1, sizeof *cr);
  size_t n = strlen(uri) + 1;
  (void)con;
  if (!cr)
    return NULL;
  cr->uri = malloc(n);
  if (!cr->uri) {
    free(cr);
    return NULL;
  }
  memcpy(cr->uri, uri, n);
  door__buf_init(&cr->body, l->prof ? BODY_MAX_PROFILE : BODY_MAX_ADMIN);
  return cr;
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  conn_req *cr = *con_cls;
  (void)cls;
  (void)con;
  (void)toe;
  if (!cr)
    return;
  door__buf_free(&cr->body);
  free(cr->uri);
  free(cr);
  *con_cls = NULL;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value) {
  door_kvlist *l = cls;
  (void)kind;
  if (l->n >= 200)
    return MHD_NO;
  door__kvlist_add(l, key, value ? value : "");
  return MHD_YES;
}

static int is_form(const char *ctype) {
  static const char want[] = "application/x-www-form-urlencoded";
  return ctype && strncasecmp(ctype, want, sizeof want - 1) == 0 &&
         (ctype[sizeof want - 1] == '\0' || ctype[sizeof want - 1] == ';' ||
          ctype[sizeof want - 1] == ' ');
}

static enum MHD_Result send_resp(struct MHD_Connection *c, door_idp_resp *r) {
  struct MHD_Response *mr;
  enum MHD_Result ret;
  size_t len = r->body.len, i;
  char *data = len ? door__buf_detach(&r->body) : NULL;
  mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  if (!mr) {
    free(data);
    return MHD_NO;
  }
  if (r->content_type)
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  for (i = 0; i < r->headers.n; i++)
    MHD_add_response_header(mr, r->headers.items[i].name,
                            r->headers.items[i].value);
  ret = MHD_queue_response(c, (unsigned)r->status, mr);
  MHD_destroy_response(mr);
  return ret;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0)
    ;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  door_idp_listener *l = cls;
  conn_req *cr = *con_cls;
  door_idp_req q;
  door_idp_resp r;
  const char *qs, *ctype;
  door_buf path;
  enum MHD_Result ret;
  (void)url;
  (void)version;
  if (!cr)
    return MHD_NO; /* out of memory in uri_log */
  if (!cr->started) {
    cr->started = 1;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!cr->too_big &&
        door__buf_append(&cr->body, upload_data, *upload_data_size))
      cr->too_big = 1;
    *upload_data_size = 0;
    return MHD_YES;
  }
  door__idp_req_init(&q);
  door__idp_resp_init(&r);
  door__buf_init(&path, 8192);
  q.idp = l->idp;
  q.prof = l->prof;
  q.listener = l;
  q.method = method;
  qs = strchr(cr->uri, '?');
  door__buf_append(&path, cr->uri,
                   qs ? (size_t)(qs - cr->uri) : strlen(cr->uri));
  q.path = door__buf_str(&path);
  if (qs && door__form_parse(qs + 1, strlen(qs + 1), QUERY_PAIRS_MAX,
                             PARAM_LEN_MAX, &q.query))
    q.query_bad = 1;
  MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, &q.headers);
  q.body = cr->body.data;
  q.body_len = cr->body.len;
  ctype = door__idp_req_header(&q, "Content-Type");
  if (cr->body.len && is_form(ctype) &&
      door__form_parse(cr->body.data, cr->body.len, QUERY_PAIRS_MAX,
                       PARAM_LEN_MAX, &q.form))
    q.form_bad = 1;
  q.ep = door__idp_route(l, q.path);
  if (l->prof)
    door__idp_reqlog_add(&l->idp->reqlog, l->prof->name, l->name,
                         q.ep ? door__idp_ep_name(q.ep) : "unknown", method,
                         q.path, &q.headers, &q.query, &q.form);
  if (cr->too_big)
    door__idp_resp_oauth_error(&r, 413, "invalid_request",
                               "request body too large");
  else
    door__idp_dispatch(&q, &r);
  if (r.delay_ms)
    sleep_ms(r.delay_ms > 60000 ? 60000 : r.delay_ms);
  ret = send_resp(c, &r);
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  door__buf_free(&path);
  return ret;
}

/* "https://127.0.0.1:443", IPv6 hosts in brackets. */
static door_err make_origin(door_idp_listener *l) {
  door_buf b;
  door_err err;
  int v6 = strchr(l->host, ':') != NULL;
  door__buf_init(&b, 512);
  err = door__buf_puts(&b, l->plain ? "http://" : "https://");
  if (!err && v6)
    err = door__buf_putc(&b, '[');
  if (!err)
    err = door__buf_puts(&b, l->host);
  if (!err && v6)
    err = door__buf_putc(&b, ']');
  if (!err)
    err = door__buf_putc(&b, ':');
  if (!err)
    err = door__buf_put_u64(&b, (uint64_t)l->port);
  if (err) {
    door__buf_free(&b);
    return err;
  }
  free(l->origin);
  l->origin = door__buf_detach(&b);
  return l->origin ? DOOR_OK : DOOR_ENOMEM;
}

/* "profiles.NAME.listeners.LISTENER" or "admin", for messages. */
static void listener_where(const door_idp_listener *l, char *out, size_t cap) {
  door_buf b;
  door__buf_init(&b, cap - 1);
  if (l->prof) {
    door__buf_puts(&b, "profiles.");
    door__buf_puts(&b, l->prof->name);
    door__buf_puts(&b, ".listeners.");
  }
  door__buf_puts(&b, l->name);
  memcpy(out, door__buf_str(&b), b.len + 1);
  door__buf_free(&b);
}

/* Creates, binds and listens on the listener's socket: its port (0 becomes
 * the kernel's choice) is known before any worker thread exists, so every
 * URL is built before the first request can arrive. */
static door_err bind_one(door_idp_listener *l, door_detail *d) {
  char where[160];
  struct sockaddr_storage ss;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  socklen_t len;
  int fd, one = 1, v6 = strchr(l->host, ':') != NULL;
  listener_where(l, where, sizeof where);
  memset(&ss, 0, sizeof ss);
  if (v6) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)l->port);
    if (inet_pton(AF_INET6, l->host, &sin6->sin6_addr) != 1)
      return door_detail_set(d, DOOR_ESERVER, where, "bad IPv6 address", NULL);
    len = sizeof *sin6;
  } else {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)l->port);
    if (inet_pton(AF_INET, l->host, &sin->sin_addr) != 1)
      return door_detail_set(d, DOOR_ESERVER, where, "bad IPv4 address", NULL);
    len = sizeof *sin;
  }
  fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return door_detail_set(d, DOOR_ESERVER, where, "cannot create a socket",
                           NULL);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (v6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    door_buf what;
    door_err err;
    close(fd);
    door__buf_init(&what, 180);
    door__buf_puts(&what, "cannot listen on ");
    door__buf_puts(&what, l->host);
    door__buf_putc(&what, ':');
    door__buf_put_u64(&what, (uint64_t)l->port);
    err = door_detail_set(d, DOOR_ESERVER, where, door__buf_str(&what),
                          "is the port taken, or the address not local?");
    door__buf_free(&what);
    return err;
  }
  len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
    close(fd);
    return door_detail_set(d, DOOR_ESERVER, where, "cannot read the bound port",
                           NULL);
  }
  l->port = ntohs(v6 ? sin6->sin6_port : sin->sin_port);
  l->fd = fd;
  l->bound = 1;
  return make_origin(l);
}

/* Hands the bound socket to a libmicrohttpd daemon (which closes it). */
static door_err run_one(door_idp *idp, door_idp_listener *l, door_detail *d) {
  char where[160];
  unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD;
  struct MHD_Daemon *daemon;
  listener_where(l, where, sizeof where);
  if (strchr(l->host, ':'))
    flags |= MHD_USE_IPv6;
  if (!l->plain) {
    if (!idp->tls_cert_pem || !idp->tls_key_pem)
      return door_detail_set(d, DOOR_ESERVER, where,
                             "HTTPS listener without a certificate",
                             "give --tls-cert and --tls-key (build/certs), "
                             "or --plain-http");
    flags |= MHD_USE_TLS;
  }
  daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, l->fd,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(l->prof ? idp->threads : 1),
      MHD_OPTION_URI_LOG_CALLBACK, uri_log, l, MHD_OPTION_NOTIFY_COMPLETED,
      completed, l, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
      l->plain ? MHD_OPTION_END : MHD_OPTION_HTTPS_MEM_KEY, idp->tls_key_pem,
      MHD_OPTION_HTTPS_MEM_CERT, idp->tls_cert_pem, MHD_OPTION_END);
  if (!daemon)
    return door_detail_set(d, DOOR_ESERVER, where,
                           "libmicrohttpd could not start on the socket",
                           l->plain ? NULL
                                    : "is the TLS certificate or key valid "
                                      "PEM?");
  l->daemon = daemon;
  l->bound = 0; /* the daemon owns the socket now */
  return DOOR_OK;
}

door_err door__idp_server_start(door_idp *idp, door_detail *d) {
  door_err err;
  size_t i, k;
  idp->admin.plain = 1;
  for (i = 0; i < idp->nprofiles; i++) {
    door_idp_profile *p = idp->profiles[i];
    for (k = 0; k < p->nlisteners; k++) {
      if (idp->plain_http)
        p->listeners[k].plain = 1;
      err = bind_one(&p->listeners[k], d);
      if (err)
        goto fail;
    }
    err = door__idp_profile_publish(p);
    if (err) {
      door_detail_set(d, err, p->name, "cannot build the endpoint URLs", NULL);
      goto fail;
    }
  }
  err = bind_one(&idp->admin, d);
  if (err)
    goto fail;
  for (i = 0; i < idp->nprofiles; i++) {
    for (k = 0; k < idp->profiles[i]->nlisteners; k++) {
      err = run_one(idp, &idp->profiles[i]->listeners[k], d);
      if (err)
        goto fail;
    }
  }
  err = run_one(idp, &idp->admin, d);
  if (err)
    goto fail;
  return DOOR_OK;
fail:
  door__idp_server_stop(idp);
  return err;
}

static void stop_one(door_idp_listener *l) {
  if (l->daemon) {
    MHD_stop_daemon(l->daemon);
    l->daemon = NULL;
  }
  if (l->bound) {
    close(l->fd);
    l->bound = 0;
  }
}

void door__idp_server_stop(door_idp *idp) {
  size_t i, k;
  stop_one(&idp->admin);
  for (i = 0; i < idp->nprofiles; i++) {
    for (k = 0; k < idp->profiles[i]->nlisteners; k++)
      stop_one(&idp->profiles[i]->listeners[k]);
  }
}
