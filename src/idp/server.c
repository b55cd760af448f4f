/* door-idp listeners on libevent 2.1: sockets, the TLS context (OpenSSL,
 * through bufferevent_openssl), the loop threads and their evhttp servers.
 * server_req.c adapts the requests; server_ev.h says which thread does
 * what. */
#include "idp/server.h"

#include "idp/server_ev.h"

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* evhttp refuses (its own HTML 413, before reading) a body over these; a
 * body over the handlers' caps (64 KiB, admin 1 MiB: server_req.c) and
 * under these gets door-idp's OAuth JSON 413. */
#define EV_BODY_MAX_PROFILE ((size_t)8 << 20)
#define EV_BODY_MAX_ADMIN ((size_t)32 << 20)
/* Request line and headers (libmicrohttpd's pool was 32 KiB in all). */
#define EV_HEADERS_MAX ((ev_ssize_t)64 << 10)
#define IDLE_TIMEOUT_S 30

struct door_idp_server {
  SSL_CTX *tls;         /* NULL when every listener is plain */
  door_idp_loop *loops; /* idp->threads profile loops, then the admin loop */
  size_t nloops;
};

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

/* `what` and OpenSSL's first error; where: the file (or "tls"). */
static door_err tls_fail(const char *file, const char *what, door_detail *d) {
  door_buf w;
  door_err err;
  char ebuf[160];
  unsigned long e = ERR_peek_error();
  door__buf_init(&w, 400);
  door__buf_puts(&w, what);
  if (e) {
    ERR_error_string_n(e, ebuf, sizeof ebuf);
    door__buf_puts(&w, ": ");
    door__buf_puts(&w, ebuf);
  }
  ERR_clear_error();
  err = door_detail_set(d, DOOR_ESERVER, file ? file : "tls", door__buf_str(&w),
                        "give --tls-cert and --tls-key as PEM files that "
                        "belong together (build/certs/server.pem, "
                        "server.key), or --plain-http");
  door__buf_free(&w);
  return err;
}

/* One SSL_CTX from the PEM certificate (and chain) and key in memory:
 * TLS 1.2 and later. */
static door_err tls_new(door_idp *idp, SSL_CTX **out, door_detail *d) {
  SSL_CTX *ctx = NULL;
  BIO *bio = NULL;
  X509 *x = NULL;
  EVP_PKEY *key = NULL;
  door_err err = DOOR_OK;
  if (!idp->tls_cert_pem || !idp->tls_key_pem)
    return door_detail_set(d, DOOR_ESERVER, "tls",
                           "HTTPS listener without a certificate",
                           "give --tls-cert and --tls-key (build/certs), "
                           "or --plain-http");
  ERR_clear_error();
  ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
    err = tls_fail(NULL, "cannot create the TLS context", d);
    goto out;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_sess_set_cache_size(ctx, 1024);
  bio = BIO_new_mem_buf(idp->tls_cert_pem, -1);
  x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  if (!x || SSL_CTX_use_certificate(ctx, x) != 1) {
    err = tls_fail(idp->tls_cert_file,
                   "the TLS certificate is not a valid PEM certificate", d);
    goto out;
  }
  X509_free(x);
  /* The rest of the file: the chain, sent after the certificate. */
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
      err = tls_fail(idp->tls_cert_file, "cannot add a chain certificate", d);
      goto out;
    }
    x = NULL;
  }
  ERR_clear_error(); /* the end of the PEM file */
  BIO_free(bio);
  bio = BIO_new_mem_buf(idp->tls_key_pem, -1);
  key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  if (!key) {
    err = tls_fail(idp->tls_key_file,
                   "the TLS key is not a valid PEM private key", d);
    goto out;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    err = tls_fail(idp->tls_key_file,
                   "the TLS key does not belong to the certificate", d);
    goto out;
  }
  *out = ctx;
  ctx = NULL;
out:
  X509_free(x);
  EVP_PKEY_free(key);
  BIO_free(bio);
  SSL_CTX_free(ctx);
  return err;
}

/* evhttp's bufferevent factory on HTTPS listeners: one SSL per connection,
 * accepting; evhttp sets the socket. */
static struct bufferevent *tls_bev(struct event_base *base, void *arg) {
  SSL *ssl = SSL_new(arg);
  struct bufferevent *bev;
  if (!ssl)
    return NULL;
  bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                       BEV_OPT_CLOSE_ON_FREE);
  if (!bev)
    return NULL;
  /* Clients may close without close_notify once they have their answer. */
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

/* An evhttp for listener `l` on loop `lp`, accepting on a dup() of its
 * socket. */
static door_err bind_http(struct door_idp_server *s, door_idp_loop *lp,
                          door_idp_listener *l, door_detail *d) {
  char where[160];
  door_idp_binding *b = &lp->binds[lp->nbinds];
  int fd;
  listener_where(l, where, sizeof where);
  b->loop = lp;
  b->l = l;
  b->http = evhttp_new(lp->base);
  if (!b->http)
    return door_detail_set(d, DOOR_ENOMEM, where, "cannot create an evhttp",
                           NULL);
  lp->nbinds++;
  evhttp_set_allowed_methods(
      b->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                   EVHTTP_REQ_PATCH);
  /* No Content-Type unless the handler set one. */
  evhttp_set_default_content_type(b->http, NULL);
  evhttp_set_timeout(b->http, IDLE_TIMEOUT_S);
  evhttp_set_max_headers_size(b->http, EV_HEADERS_MAX);
  evhttp_set_max_body_size(
      b->http, (ev_ssize_t)(l->prof ? EV_BODY_MAX_PROFILE : EV_BODY_MAX_ADMIN));
  evhttp_set_gencb(b->http, door__idp_ev_request, b);
  if (!l->plain)
    evhttp_set_bevcb(b->http, tls_bev, s->tls);
  fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0 || evhttp_accept_socket(b->http, fd) != 0) {
    if (fd >= 0)
      close(fd);
    return door_detail_set(d, DOOR_ESERVER, where,
                           "libevent cannot accept on the socket",
                           "too many open files?");
  }
  return DOOR_OK;
}

static void *loop_main(void *arg) {
  door_idp_loop *lp = arg;
  event_base_dispatch(lp->base);
  return NULL;
}

/* Loop `lp` with an evhttp for each listener of `ls`. */
static door_err loop_init(struct door_idp_server *s, door_idp *idp,
                          door_idp_loop *lp, door_idp_listener **ls, size_t n,
                          door_detail *d) {
  struct event_config *cfg = event_config_new();
  door_err err;
  size_t i;
  lp->idp = idp;
  /* The change list batches epoll_ctl calls: a keep-alive request that
   * disables reading, writes its answer at once (server_req.c) and enables
   * reading again makes none.  libevent warns against it with dup()ed fds
   * in the same epoll set: each loop registers only its own dup of a
   * listening socket and closes it only in evhttp_free, after the loop has
   * stopped, right before the base (and its epoll set) goes. */
  if (cfg)
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  lp->base = cfg ? event_base_new_with_config(cfg) : NULL;
  if (cfg)
    event_config_free(cfg);
  lp->binds = calloc(n ? n : 1, sizeof *lp->binds);
  if (!lp->base || !lp->binds)
    return door_detail_set(d, DOOR_ENOMEM, "server",
                           "cannot create an event loop", NULL);
  for (i = 0; i < n; i++) {
    err = bind_http(s, lp, ls[i], d);
    if (err)
      return err;
  }
  return DOOR_OK;
}

/* Every listener of the process, profiles first, the admin listener last. */
static door_err all_listeners(door_idp *idp, door_idp_listener ***out,
                              size_t *n) {
  size_t i, k, cap = 1;
  door_idp_listener **ls;
  for (i = 0; i < idp->nprofiles; i++)
    cap += idp->profiles[i]->nlisteners;
  ls = calloc(cap, sizeof *ls);
  if (!ls)
    return DOOR_ENOMEM;
  *n = 0;
  for (i = 0; i < idp->nprofiles; i++) {
    for (k = 0; k < idp->profiles[i]->nlisteners; k++)
      ls[(*n)++] = &idp->profiles[i]->listeners[k];
  }
  ls[(*n)++] = &idp->admin;
  *out = ls;
  return DOOR_OK;
}

static door_err run_all(door_idp *idp, door_detail *d) {
  struct door_idp_server *s;
  door_idp_listener **ls = NULL;
  door_err err;
  size_t n = 0, i;
  int need_tls = 0;
  s = calloc(1, sizeof *s);
  if (!s)
    return door_detail_set(d, DOOR_ENOMEM, "server", "out of memory", NULL);
  idp->server = s;
  err = all_listeners(idp, &ls, &n);
  if (err)
    return door_detail_set(d, err, "server", "out of memory", NULL);
  for (i = 0; i < n; i++)
    need_tls |= !ls[i]->plain;
  if (need_tls) {
    err = tls_new(idp, &s->tls, d);
    if (err)
      goto out;
  }
  /* Cross-thread event_active and loopbreak; libevent keeps this setting
   * for the process (a second call is harmless). */
  if (evthread_use_pthreads() != 0) {
    err = door_detail_set(d, DOOR_ESERVER, "server",
                          "libevent has no pthreads support", NULL);
    goto out;
  }
  s->nloops = (idp->threads ? idp->threads : 1) + 1;
  s->loops = calloc(s->nloops, sizeof *s->loops);
  if (!s->loops) {
    err = door_detail_set(d, DOOR_ENOMEM, "server", "out of memory", NULL);
    goto out;
  }
  for (i = 0; i + 1 < s->nloops; i++) {
    err = loop_init(s, idp, &s->loops[i], ls, n - 1, d);
    if (err)
      goto out;
  }
  err = loop_init(s, idp, &s->loops[s->nloops - 1], &ls[n - 1], 1, d);
  if (err)
    goto out;
  for (i = 0; i < s->nloops; i++) {
    if (pthread_create(&s->loops[i].thread, NULL, loop_main, &s->loops[i])) {
      err = door_detail_set(d, DOOR_ESERVER, "server",
                            "cannot start a loop thread", NULL);
      goto out;
    }
    s->loops[i].running = 1;
  }
out:
  free(ls);
  return err;
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
  err = run_all(idp, d);
  if (err)
    goto fail;
  return DOOR_OK;
fail:
  door__idp_server_stop(idp);
  return err;
}

static void close_listener(door_idp_listener *l) {
  if (l->bound) {
    close(l->fd);
    l->bound = 0;
  }
}

void door__idp_server_stop(door_idp *idp) {
  struct door_idp_server *s = idp->server;
  size_t i, k;
  if (s) {
    for (i = 0; i < s->nloops; i++) {
      /* loopexit, not loopbreak: it also stops a loop that has not
       * entered event_base_dispatch yet. */
      if (s->loops[i].running)
        event_base_loopexit(s->loops[i].base, NULL);
    }
    for (i = 0; i < s->nloops; i++) {
      door_idp_loop *lp = &s->loops[i];
      if (lp->running)
        pthread_join(lp->thread, NULL);
      lp->running = 0;
      door__idp_ev_drop_pending(lp);
      for (k = 0; k < lp->nbinds; k++)
        evhttp_free(lp->binds[k].http);
      free(lp->binds);
      if (lp->base)
        event_base_free(lp->base);
    }
    free(s->loops);
    SSL_CTX_free(s->tls);
    free(s);
    idp->server = NULL;
  }
  close_listener(&idp->admin);
  for (i = 0; i < idp->nprofiles; i++) {
    for (k = 0; k < idp->profiles[i]->nlisteners; k++)
      close_listener(&idp->profiles[i]->listeners[k]);
  }
}
