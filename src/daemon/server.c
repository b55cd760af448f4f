/* door-broker's listener on libmicrohttpd: an internal thread pool with
 * epoll, TLS (GnuTLS inside MHD) when tls_cert/tls_key are set, request
 * bodies accumulated up to DOOR_DAEMON_BODY_MAX, answers with the security
 * headers, and a graceful stop (quiesce, drain, stop). */
#include "daemon/daemon.h"
#include "daemon/html.h"
#include "util/config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DOOR_D_PAIRS_MAX 64
#define DOOR_D_VALUE_MAX ((size_t)16 << 10)

/* ---- answers ---------------------------------------------------------------
 */

void door__dresp_init(door_dresp *r) {
  memset(r, 0, sizeof *r);
  r->status = 500;
  r->content_type = "text/plain; charset=utf-8";
  door__buf_init(&r->body, DOOR_DAEMON_PAGE_MAX);
  door__kvlist_init(&r->headers);
  r->route = DOOR_R_OTHER;
}

void door__dresp_free(door_dresp *r) {
  door__buf_free(&r->body);
  door__kvlist_free(&r->headers);
}

door_err door__dresp_header(door_dresp *r, const char *name,
                            const char *value) {
  return door__kvlist_add(&r->headers, name, value);
}

door_err door__dresp_redirect(door_dresp *r, unsigned status,
                              const char *location) {
  r->status = status;
  door__buf_reset(&r->body);
  return door__dresp_header(r, "Location", location);
}

door_err door__dresp_cookies(door_dresp *r, const door_broker_reply *br) {
  size_t i;
  door_err err = DOOR_OK;
  for (i = 0; !err && i < br->n_set_cookie; i++)
    err = door__dresp_header(r, "Set-Cookie", br->set_cookie[i]);
  return err;
}

door_err door__dresp_text(door_dresp *r, unsigned status, const char *ctype,
                          const char *text) {
  r->status = status;
  r->content_type = ctype;
  door__buf_reset(&r->body);
  return door__buf_puts(&r->body, text);
}

door_err door__dresp_security(door_dresp *r, int tls) {
  door_err err;
  if ((err = door__dresp_header(r, "Content-Security-Policy",
                                "default-src 'none'; style-src "
                                "'unsafe-inline'; frame-ancestors 'none'; "
                                "base-uri 'none'")) ||
      (err = door__dresp_header(r, "X-Content-Type-Options", "nosniff")) ||
      (err = door__dresp_header(r, "X-Frame-Options", "DENY")) ||
      (err = door__dresp_header(r, "Referrer-Policy", "same-origin")))
    return err;
  if (tls && (err = door__dresp_header(r, "Strict-Transport-Security",
                                       "max-age=31536000")))
    return err;
  if (!r->cacheable)
    err = door__dresp_header(r, "Cache-Control", "no-store");
  return err;
}

/* ---- requests
 * ----------------------------------------------------------------
 */

typedef struct door_dconn {
  door_daemon *dd;
  char *uri; /* raw request target */
  door_buf body;
  int started;
  int too_big;
} door_dconn;

static void *door__uri_log(void *cls, const char *uri,
                           struct MHD_Connection *con) {
  door_daemon *dd = cls;
  door_dconn *c = calloc(1, sizeof *c);
  (void)con;
  if (!c)
    return NULL;
  c->dd = dd;
  c->uri = strdup(uri ? uri : "/");
  if (!c->uri) {
    free(c);
    return NULL;
  }
  door__buf_init(&c->body, DOOR_DAEMON_BODY_MAX);
  return c;
}

static void door__completed(void *cls, struct MHD_Connection *con,
                            void **con_cls,
                            enum MHD_RequestTerminationCode toe) {
  door_daemon *dd = cls;
  door_dconn *c = *con_cls;
  (void)con;
  (void)toe;
  if (!c)
    return;
  if (c->started)
    atomic_fetch_sub(&dd->in_flight, 1);
  if (c->body.data)
    memset(c->body.data, 0, c->body.len);
  door__buf_free(&c->body);
  free(c->uri);
  free(c);
  *con_cls = NULL;
}

static enum MHD_Result door__send(struct MHD_Connection *con, door_dresp *r) {
  struct MHD_Response *mr;
  enum MHD_Result ret;
  size_t len = r->body.len, i;
  mr = MHD_create_response_from_buffer(len, len ? r->body.data : (void *)"",
                                       MHD_RESPMEM_MUST_COPY);
  if (!mr)
    return MHD_NO;
  MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  for (i = 0; i < r->headers.n; i++)
    MHD_add_response_header(mr, r->headers.items[i].name,
                            r->headers.items[i].value);
  ret = MHD_queue_response(con, r->status, mr);
  MHD_destroy_response(mr);
  return ret;
}

static int door__is_form(const char *ctype) {
  static const char f[] = "application/x-www-form-urlencoded";
  return ctype && strncasecmp(ctype, f, sizeof f - 1) == 0 &&
         (ctype[sizeof f - 1] == '\0' || ctype[sizeof f - 1] == ';' ||
          ctype[sizeof f - 1] == ' ');
}

static void door__count(door_daemon *dd, door_route_id route, unsigned status) {
  unsigned cls = status / 100;
  if (cls > 5)
    cls = 0;
  if (route < DOOR_R_COUNT_)
    atomic_fetch_add(&dd->requests[route][cls], 1);
}

static enum MHD_Result door__on_request(void *cls, struct MHD_Connection *con,
                                        const char *url, const char *method,
                                        const char *version,
                                        const char *upload_data,
                                        size_t *upload_data_size,
                                        void **con_cls) {
  door_daemon *dd = cls;
  door_dconn *c = *con_cls;
  door_dreq q;
  door_dresp r;
  door_buf path;
  const char *qs;
  enum MHD_Result ret;
  (void)url;
  (void)version;
  if (!c)
    return MHD_NO;
  if (!c->started) {
    /* Counted from here to door__completed (MHD calls it for every request
     * whose handler ran), so a graceful stop can wait for it. */
    c->started = 1;
    atomic_fetch_add(&dd->in_flight, 1);
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!c->too_big &&
        door__buf_append(&c->body, upload_data, *upload_data_size))
      c->too_big = 1;
    *upload_data_size = 0;
    return MHD_YES;
  }
  memset(&q, 0, sizeof q);
  door__kvlist_init(&q.form);
  door__kvlist_init(&q.args);
  door__dresp_init(&r);
  door__buf_init(&path, 8192);
  qs = strchr(c->uri, '?');
  if (door__buf_append(&path, c->uri,
                       qs ? (size_t)(qs - c->uri) : strlen(c->uri)))
    q.args_bad = 1;
  q.method = method;
  q.path = door__buf_str(&path);
  q.query = qs ? qs + 1 : "";
  q.cookie = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Cookie");
  q.origin = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin");
  q.authorization =
      MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
  q.content_type =
      MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type");
  q.lang = door__lang_pick(
      MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Accept-Language"));
  q.body = door__buf_str(&c->body);
  q.body_len = c->body.len;
  q.body_too_big = c->too_big;
  if (*q.query && door__form_parse(q.query, strlen(q.query), DOOR_D_PAIRS_MAX,
                                   DOOR_D_VALUE_MAX, &q.args))
    q.args_bad = 1;
  if (c->body.len && door__is_form(q.content_type) &&
      door__form_parse(c->body.data, c->body.len, DOOR_D_PAIRS_MAX,
                       DOOR_D_VALUE_MAX, &q.form))
    q.args_bad = 1;
  if (door__route(dd, &q, &r) != DOOR_OK) {
    door__kvlist_free(&r.headers);
    door__kvlist_init(&r.headers);
    door__dresp_text(&r, 500, "text/plain; charset=utf-8", "internal error\n");
  }
  if (door__dresp_security(&r, dd->tls) != DOOR_OK) {
    ret = MHD_NO;
  } else {
    door__count(dd, r.route, r.status);
    ret = door__send(con, &r);
  }
  door__dresp_free(&r);
  door__kvlist_free(&q.form);
  door__kvlist_free(&q.args);
  door__buf_free(&path);
  return ret;
}

static void door__mhd_log(void *cls, const char *fmt, va_list ap) {
  door_daemon *dd = cls;
  (void)ap;
  /* MHD's messages are printf formats: log the format only, never
   * formatted with request data. */
  door__log(&dd->log, DOOR_LOG_WARN, "http.mhd", "message", fmt, NULL);
}

/* ---- start and stop -------------------------------------------------------
 */

static door_err door__read_pem(const char *path, char **out, door_detail *d) {
  door_buf b;
  char chunk[4096];
  size_t n;
  FILE *f = fopen(path, "rb");
  *out = NULL;
  if (!f)
    return door_detail_set(d, DOOR_EIO, path, "cannot read this TLS file",
                           "check tls_cert and tls_key");
  door__buf_init(&b, (size_t)1 << 20);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (door__buf_append(&b, chunk, n)) {
      fclose(f);
      door__buf_free(&b);
      return door_detail_set(d, DOOR_ETOOBIG, path, "TLS file too large", NULL);
    }
  fclose(f);
  *out = door__buf_detach(&b);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

/* The listen address: HOST:PORT ([::1]:PORT for IPv6; host names are
 * resolved once). */
static door_err door__listen_addr(const char *listen,
                                  struct sockaddr_storage *ss, int *v6,
                                  char *host_out, size_t host_cap, int *port,
                                  door_detail *d) {
  door_buf b;
  door_url u;
  struct addrinfo hints, *res = NULL;
  door_err err;
  size_t n;
  door__buf_init(&b, 512);
  err = door__buf_puts(&b, "http://");
  if (!err)
    err = door__buf_puts(&b, listen);
  if (!err)
    err = door__buf_putc(&b, '/');
  if (!err)
    err = door__url_parse(door__buf_str(&b), &u, d);
  door__buf_free(&b);
  if (err)
    return door_detail_set(d, DOOR_ECONFIG_VALUE, "listen",
                           "bad listen address", "write HOST:PORT");
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  *port = u.port;
  n = strlen(u.host);
  if (n >= host_cap)
    n = host_cap - 1;
  memcpy(host_out, u.host, n);
  host_out[n] = '\0';
  {
    char ps[8];
    door_buf pb;
    door__buf_init(&pb, sizeof ps);
    door__buf_put_u64(&pb, (uint64_t)u.port);
    memcpy(ps, door__buf_str(&pb), pb.len + 1);
    door__buf_free(&pb);
    if (getaddrinfo(u.host, ps, &hints, &res) != 0 || !res) {
      door__url_free(&u);
      return door_detail_set(d, DOOR_ESERVER, "listen",
                             "the listen host does not resolve", NULL);
    }
  }
  door__url_free(&u);
  memset(ss, 0, sizeof *ss);
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *v6 = res->ai_family == AF_INET6;
  freeaddrinfo(res);
  return DOOR_OK;
}

door_err door__server_start(door_daemon *dd, const char *listen, int threads,
                            const char *tls_cert, const char *tls_key,
                            door_detail *d) {
  struct sockaddr_storage ss;
  char host[256], *cert = NULL, *key = NULL;
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                       MHD_USE_ITC | MHD_USE_ERROR_LOG;
  int v6 = 0, port = 0;
  door_buf u;
  door_err err;
  dd->listen_fd = -1;
  if ((err = door__listen_addr(listen, &ss, &v6, host, sizeof host, &port, d)))
    return err;
  if (v6)
    flags |= MHD_USE_IPv6;
  if (tls_cert && tls_key) {
    if ((err = door__read_pem(tls_cert, &cert, d)) ||
        (err = door__read_pem(tls_key, &key, d)))
      goto out;
    flags |= MHD_USE_TLS;
    dd->tls = 1;
  }
  dd->mhd = MHD_start_daemon(
      flags, 0, NULL, NULL, door__on_request, dd, MHD_OPTION_EXTERNAL_LOGGER,
      door__mhd_log, dd, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(threads > 0 ? threads : 4),
      MHD_OPTION_URI_LOG_CALLBACK, door__uri_log, dd,
      MHD_OPTION_NOTIFY_COMPLETED, door__completed, dd,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
      /* Request line, headers and cookies (browsers cap a cookie at 4 KiB)
       * fit in MHD's default 32 KiB; MHD answers 431 beyond.  MHD zeroes
       * the pool for every request, so a larger one costs a larger memset
       * per request (128 KiB was 1 % of a login's CPU). */
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
      dd->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, key,
      MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END);
  if (!dd->mhd) {
    err = door_detail_set(d, DOOR_ESERVER, listen,
                          "the listener could not start (address in use, "
                          "or a bad TLS key pair)",
                          "check listen, tls_cert and tls_key");
    goto out;
  }
  door__buf_init(&u, sizeof dd->url);
  err = door__buf_puts(&u, dd->tls ? "https://" : "http://");
  if (!err && v6)
    err = door__buf_putc(&u, '[');
  if (!err)
    err = door__buf_puts(&u, host);
  if (!err && v6)
    err = door__buf_putc(&u, ']');
  if (!err)
    err = door__buf_putc(&u, ':');
  if (!err)
    err = door__buf_put_u64(&u, (uint64_t)port);
  if (!err && u.len < sizeof dd->url)
    memcpy(dd->url, u.data, u.len + 1);
  door__buf_free(&u);
  err = DOOR_OK;
out:
  if (key) {
    memset(key, 0, strlen(key));
    free(key);
  }
  free(cert);
  return err;
}

void door__server_stop(door_daemon *dd, int grace) {
  struct timespec ts = {0, 20 * 1000 * 1000};
  int waited;
  MHD_socket fd;
  if (!dd->mhd)
    return;
  /* No new connections; requests in flight (logins half way through a
   * code exchange) run to their end. */
  fd = MHD_quiesce_daemon(dd->mhd);
  for (waited = 0; waited < grace * 50 && atomic_load(&dd->in_flight) > 0;
       waited++)
    nanosleep(&ts, NULL);
  MHD_stop_daemon(dd->mhd);
  dd->mhd = NULL;
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
}
