/* door-idp listeners on h2o's event loop (libh2o-evloop): sockets, the TLS
 * context (OpenSSL, h2o's TLS layer), the loop threads, their h2o contexts
 * and an orderly shutdown.  server_req.c adapts the requests; server_ev.h
 * says which thread does what. */
#define _GNU_SOURCE /* accept4 */
#include "idp/server.h"

#include "idp/server_ev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* h2o refuses (its own plain-text 413, before the handler) a body over
 * these; a body over the handlers' caps (64 KiB, admin 1 MiB: server_req.c)
 * and under these gets door-idp's OAuth JSON 413. */
#define H2O_BODY_MAX_PROFILE ((size_t)8 << 20)
#define H2O_BODY_MAX_ADMIN ((size_t)32 << 20)
#define IDLE_TIMEOUT_MS 30000
/* At shutdown: how long a loop waits for its worker jobs, then for h2o to
 * close the connections it shut down. */
#define STOP_JOBS_MS 10000
#define STOP_CONNS_MS 2000
/* Connections accepted per wake-up of a listening socket. */
#define ACCEPT_BATCH 64

struct door_idp_server {
  SSL_CTX *tls;         /* NULL when every listener is plain */
  door_idp_loop *loops; /* idp->threads profile loops, then the admin loop */
  size_t nloops;
  /* h2o configuration: one host per listener (its handler knows the
   * listener), shared by every loop; the admin listener has its own. */
  h2o_globalconf_t conf, admin_conf;
  int conf_ready, admin_conf_ready;
  h2o_hostconf_t **hosts; /* per listener, in all_listeners() order */
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

/* ---- connections --------------------------------------------------------- */

static void conn_closed(void *arg) {
  door_idp_conn *c = arg;
  door_idp_loop *lp = c->loop;
  if (c->prev)
    c->prev->next = c->next;
  else
    lp->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  lp->nconns--;
  free(c);
}

/* Accepts what is waiting on a listening socket (a batch), each connection
 * tracked until h2o closes it, so that a stopping loop can close them. */
static void on_accept(h2o_socket_t *listener, const char *err);

/* Accepting again after a pause (see on_accept). */
static void accept_resume(h2o_timeout_entry_t *entry) {
  door_idp_binding *b = H2O_STRUCT_FROM_MEMBER(door_idp_binding, resume, entry);
  if (b->sock && !b->loop->stopping)
    h2o_socket_read_start(b->sock, on_accept);
}

/* Out of descriptors or memory: the listening socket stays readable, so
 * stop reading it for 100 ms rather than spin. */
static void accept_pause(door_idp_binding *b) {
  h2o_socket_read_stop(b->sock);
  if (!h2o_timeout_is_linked(&b->resume)) {
    b->resume.cb = accept_resume;
    h2o_timeout_link(b->loop->evloop, &b->loop->ctx.hundred_ms_timeout,
                     &b->resume);
  }
}

static void on_accept(h2o_socket_t *listener, const char *err) {
  door_idp_binding *b = listener->data;
  door_idp_loop *lp = b->loop;
  int i, one = 1;
  if (err)
    return;
  for (i = 0; i < ACCEPT_BATCH && !lp->stopping; i++) {
    h2o_socket_t *sock;
    door_idp_conn *c;
    int fd = accept4(b->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      /* EAGAIN: another loop took it; ECONNABORTED: gone already */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM)
        accept_pause(b);
      break;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      accept_pause(b);
      break;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sock = h2o_evloop_socket_create(lp->evloop, fd,
                                    H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
    c->loop = lp;
    c->fd = fd;
    c->next = lp->conns;
    if (c->next)
      c->next->prev = c;
    lp->conns = c;
    lp->nconns++;
    sock->on_close.cb = conn_closed;
    sock->on_close.data = c;
    h2o_accept(&b->accept, sock);
  }
}

/* Stops accepting on `b` (the loop thread, or a loop that has ended). */
static void close_binding(door_idp_binding *b) {
  if (h2o_timeout_is_linked(&b->resume))
    h2o_timeout_unlink(&b->resume);
  if (b->sock) {
    h2o_socket_read_stop(b->sock);
    h2o_socket_close(b->sock); /* closes our dup */
    b->sock = NULL;
  }
}

/* ---- h2o configuration ----------------------------------------------------
 */

/* One h2o host per listener, its handler at "/" (door-idp routes paths
 * itself). */
static door_err conf_host(h2o_globalconf_t *conf, door_idp_listener *l,
                          size_t index, h2o_hostconf_t **out) {
  char name[32];
  size_t n;
  h2o_hostconf_t *host;
  h2o_pathconf_t *path;
  door_idp_handler *h;
  memcpy(name, "listener-", 9);
  n = 9 + door__u64_to_str((uint64_t)index, name + 9);
  name[n] = '\0';
  host = h2o_config_register_host(conf, h2o_iovec_init(name, n), 65535);
  if (!host)
    return DOOR_ENOMEM;
  path = h2o_config_register_path(host, "/", 0);
  h = (door_idp_handler *)h2o_create_handler(path, sizeof *h);
  h->super.on_req = door__idp_h2o_request;
  h->l = l;
  *out = host;
  return DOOR_OK;
}

static void conf_init(h2o_globalconf_t *conf, size_t body_max) {
  h2o_config_init(conf);
  conf->server_name = h2o_iovec_init("", 0); /* no Server header */
  conf->max_request_entity_size = body_max;
  conf->http1.req_timeout = IDLE_TIMEOUT_MS;
}

/* ---- loops -----------------------------------------------------------------
 */

static void on_control(h2o_multithread_receiver_t *recv,
                       h2o_linklist_t *messages) {
  door_idp_loop *lp = H2O_STRUCT_FROM_MEMBER(door_idp_loop, control, recv);
  door_idp_conn *c;
  size_t i;
  while (!h2o_linklist_is_empty(messages))
    h2o_linklist_unlink(messages->next);
  if (lp->stopping)
    return;
  lp->stopping = 1;
  for (i = 0; i < lp->nbinds; i++)
    close_binding(&lp->binds[i]);
  /* Pending answers are not sent: the connections go first (idle ones
   * read the end of the stream and close; an answer written now fails). */
  for (c = lp->conns; c; c = c->next)
    shutdown(c->fd, SHUT_RDWR);
  door__idp_h2o_flush_pending(lp);
}

static void *loop_main(void *arg) {
  door_idp_loop *lp = arg;
  uint64_t t0;
  door_idp_conn *c;
  while (!lp->stopping)
    h2o_evloop_run(lp->evloop, INT32_MAX);
  /* Worker jobs end (their answers go nowhere: on_control shut the
   * connections down), then h2o closes the connections. */
  t0 = h2o_now(lp->evloop);
  while (lp->pending && h2o_now(lp->evloop) - t0 < STOP_JOBS_MS)
    h2o_evloop_run(lp->evloop, 100);
  for (c = lp->conns; c; c = c->next)
    shutdown(c->fd, SHUT_RDWR); /* accepted since on_control: none */
  t0 = h2o_now(lp->evloop);
  while ((lp->conns || lp->pending) && h2o_now(lp->evloop) - t0 < STOP_CONNS_MS)
    h2o_evloop_run(lp->evloop, 100);
  /* One more turn: h2o frees closed sockets on the next run. */
  h2o_evloop_run(lp->evloop, 0);
  return NULL;
}

/* An accepting socket for listener `l` on loop `lp` (a dup() of its
 * socket), with `host` as the connections' only host. */
static door_err bind_h2o(struct door_idp_server *s, door_idp_loop *lp,
                         door_idp_listener *l, h2o_hostconf_t *host,
                         door_detail *d) {
  char where[160];
  door_idp_binding *b = &lp->binds[lp->nbinds];
  int fd;
  listener_where(l, where, sizeof where);
  b->loop = lp;
  b->l = l;
  b->hosts[0] = host;
  b->hosts[1] = NULL;
  b->accept.ctx = &lp->ctx;
  b->accept.hosts = b->hosts;
  b->accept.ssl_ctx = l->plain ? NULL : s->tls;
  fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return door_detail_set(d, DOOR_ESERVER, where,
                           "cannot duplicate the listening socket",
                           "too many open files?");
  b->fd = fd;
  b->sock = h2o_evloop_socket_create(lp->evloop, fd, H2O_SOCKET_FLAG_DONT_READ);
  b->sock->data = b;
  lp->nbinds++;
  h2o_socket_read_start(b->sock, on_accept);
  return DOOR_OK;
}

/* Loop `lp` (its h2o loop and context on `conf`) accepting on each listener
 * of `ls` (hosts: their h2o hosts). */
static door_err loop_init(struct door_idp_server *s, door_idp *idp,
                          door_idp_loop *lp, h2o_globalconf_t *conf,
                          door_idp_listener **ls, h2o_hostconf_t **hosts,
                          size_t n, door_detail *d) {
  door_err err;
  size_t i;
  lp->idp = idp;
  lp->evloop = h2o_evloop_create();
  lp->binds = calloc(n ? n : 1, sizeof *lp->binds);
  if (!lp->evloop || !lp->binds)
    return door_detail_set(d, DOOR_ENOMEM, "server",
                           "cannot create an event loop", NULL);
  h2o_context_init(&lp->ctx, lp->evloop, conf);
  lp->ctx_ready = 1;
  h2o_multithread_register_receiver(lp->ctx.queue, &lp->jobs,
                                    door__idp_h2o_jobs_done);
  h2o_multithread_register_receiver(lp->ctx.queue, &lp->control, on_control);
  for (i = 0; i < n; i++) {
    err = bind_h2o(s, lp, ls[i], hosts[i], d);
    if (err)
      return err;
  }
  return DOOR_OK;
}

/* Frees a loop whose thread has ended (or never started).  A loop that
 * still has connections or answers (h2o did not close them in time) is
 * left as it is: its memory goes with the process. */
static void loop_free(door_idp_loop *lp) {
  size_t i;
  if (lp->running)
    pthread_join(lp->thread, NULL);
  lp->running = 0;
  if (lp->conns || lp->pending) {
    fprintf(stderr,
            "door-idp: a loop kept %zu connection(s) past shutdown; "
            "leaving its memory to the process exit\n",
            lp->nconns);
    return;
  }
  door__idp_h2o_drop_pending(lp);
  for (i = 0; i < lp->nbinds; i++)
    close_binding(&lp->binds[i]);
  free(lp->binds);
  lp->binds = NULL;
  if (lp->ctx_ready) {
    /* Let h2o free what was closed (listeners, connections). */
    h2o_evloop_run(lp->evloop, 0);
    h2o_multithread_unregister_receiver(lp->ctx.queue, &lp->jobs);
    h2o_multithread_unregister_receiver(lp->ctx.queue, &lp->control);
    h2o_context_dispose(&lp->ctx);
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR < 3
    /* h2o before 2.3 closes the queue's sockets but leaves its memory
     * (upstream commit 6b0a76e, "release memory in destroy"). */
    free(lp->ctx.queue);
#endif
    lp->ctx_ready = 0;
  }
  if (lp->evloop)
    h2o_evloop_destroy(lp->evloop);
  lp->evloop = NULL;
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
  s->hosts = calloc(n, sizeof *s->hosts);
  s->nloops = (idp->threads ? idp->threads : 1) + 1;
  s->loops = calloc(s->nloops, sizeof *s->loops);
  if (!s->loops || !s->hosts) {
    err = door_detail_set(d, DOOR_ENOMEM, "server", "out of memory", NULL);
    goto out;
  }
  conf_init(&s->conf, H2O_BODY_MAX_PROFILE);
  s->conf_ready = 1;
  conf_init(&s->admin_conf, H2O_BODY_MAX_ADMIN);
  s->admin_conf_ready = 1;
  for (i = 0; i < n; i++) {
    err = conf_host(i + 1 < n ? &s->conf : &s->admin_conf, ls[i], i,
                    &s->hosts[i]);
    if (err) {
      err = door_detail_set(d, err, "server", "out of memory", NULL);
      goto out;
    }
  }
  for (i = 0; i + 1 < s->nloops; i++) {
    err = loop_init(s, idp, &s->loops[i], &s->conf, ls, s->hosts, n - 1, d);
    if (err)
      goto out;
  }
  err = loop_init(s, idp, &s->loops[s->nloops - 1], &s->admin_conf, &ls[n - 1],
                  &s->hosts[n - 1], 1, d);
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
  int kept = 0;
  if (s) {
    for (i = 0; i < s->nloops; i++) {
      door_idp_loop *lp = &s->loops[i];
      if (lp->running)
        h2o_multithread_send_message(&lp->control, &lp->stop_msg);
    }
    for (i = 0; i < s->nloops; i++) {
      loop_free(&s->loops[i]);
      kept |= s->loops[i].evloop != NULL;
    }
    if (!kept) {
      /* Nothing of h2o's refers to the configuration any more. */
      if (s->conf_ready)
        h2o_config_dispose(&s->conf);
      if (s->admin_conf_ready)
        h2o_config_dispose(&s->admin_conf);
      free(s->loops);
      free(s->hosts);
      SSL_CTX_free(s->tls);
      free(s);
    }
    idp->server = NULL;
  }
  close_listener(&idp->admin);
  for (i = 0; i < idp->nprofiles; i++) {
    for (k = 0; k < idp->profiles[i]->nlisteners; k++)
      close_listener(&idp->profiles[i]->listeners[k]);
  }
}
