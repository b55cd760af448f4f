/* Scripted loopback HTTP(S) server (see fixture.h). */
#include "fixture.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T_MAX_UPLOAD ((size_t)1 << 20)

/* One request's upload, kept between access handler calls. */
typedef struct t_req {
  char *body;
  size_t len;
  int overflow;
} t_req;

/* Chunked body generator state. */
typedef struct t_gen {
  size_t left;
} t_gen;

static char *t_dup(const char *s, size_t n) {
  char *p;
  if (!s)
    return NULL;
  p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

static char *t_dupz(const char *s) { return s ? t_dup(s, strlen(s)) : NULL; }

void t_seen_free(t_seen *seen) {
  free(seen->method);
  free(seen->path);
  free(seen->body);
  free(seen->authorization);
  free(seen->content_type);
  free(seen->accept);
  free(seen->user_agent);
  memset(seen, 0, sizeof *seen);
}

static enum MHD_Result t_count_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value) {
  (void)kind;
  (void)key;
  (void)value;
  (*(unsigned *)cls)++;
  return MHD_YES;
}

static void t_sleep(t_srv *s, unsigned ms) {
  struct timespec ts = {0, 10 * 1000 * 1000};
  unsigned waited = 0;
  while (waited < ms && !s->stopping) {
    nanosleep(&ts, NULL);
    waited += 10;
  }
}

static ssize_t t_gen_read(void *cls, uint64_t pos, char *buf, size_t max) {
  t_gen *g = cls;
  size_t n = g->left < max ? g->left : max;
  (void)pos;
  if (n == 0)
    return MHD_CONTENT_READER_END_OF_STREAM;
  memset(buf, 'x', n);
  g->left -= n;
  return (ssize_t)n;
}

static void t_record(t_srv *s, struct MHD_Connection *c, const char *url,
                     const char *method, const t_req *r) {
  t_seen *l = &s->last;
  pthread_mutex_lock(&s->mu);
  t_seen_free(l);
  l->method = t_dupz(method);
  l->path = t_dupz(url);
  l->body = t_dup(r->body ? r->body : "", r->len);
  l->body_len = r->len;
  l->authorization =
      t_dupz(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
  l->content_type =
      t_dupz(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"));
  l->accept = t_dupz(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"));
  l->user_agent =
      t_dupz(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent"));
  l->n_query_args = 0;
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, t_count_arg,
                            &l->n_query_args);
  s->requests++;
  pthread_mutex_unlock(&s->mu);
}

static struct MHD_Response *t_make(const t_route *rt) {
  struct MHD_Response *resp;
  t_gen *g;
  char *body;
  size_t i;
  if (rt->body) {
    resp = MHD_create_response_from_buffer(strlen(rt->body), (void *)rt->body,
                                           MHD_RESPMEM_PERSISTENT);
  } else if (rt->chunked) {
    g = malloc(sizeof *g);
    if (!g)
      return NULL;
    g->left = rt->body_len;
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
                                             t_gen_read, g, free);
    if (!resp)
      free(g);
  } else {
    body = malloc(rt->body_len ? rt->body_len : 1);
    if (!body)
      return NULL;
    memset(body, 'x', rt->body_len);
    resp = MHD_create_response_from_buffer(rt->body_len, body,
                                           MHD_RESPMEM_MUST_FREE);
    if (!resp)
      free(body);
  }
  if (!resp)
    return NULL;
  if (rt->content_type)
    MHD_add_response_header(resp, "Content-Type", rt->content_type);
  for (i = 0; i < 4 && rt->headers[i][0] && rt->headers[i][1]; i++)
    MHD_add_response_header(resp, rt->headers[i][0], rt->headers[i][1]);
  return resp;
}

static enum MHD_Result t_handle(void *cls, struct MHD_Connection *c,
                                const char *url, const char *method,
                                const char *version, const char *upload,
                                size_t *upload_size, void **con_cls) {
  t_srv *s = cls;
  t_req *r = *con_cls;
  const t_route *rt = NULL;
  struct MHD_Response *resp;
  enum MHD_Result ret;
  size_t i;
  char *nb;
  (void)version;
  if (!r) {
    r = calloc(1, sizeof *r);
    if (!r)
      return MHD_NO;
    *con_cls = r;
    return MHD_YES;
  }
  if (*upload_size) {
    if (r->len + *upload_size > T_MAX_UPLOAD) {
      r->overflow = 1;
    } else {
      nb = realloc(r->body, r->len + *upload_size);
      if (!nb)
        return MHD_NO;
      r->body = nb;
      memcpy(r->body + r->len, upload, *upload_size);
      r->len += *upload_size;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  t_record(s, c, url, method, r);
  for (i = 0; i < s->n_routes; i++)
    if (strcmp(s->routes[i].path, url) == 0)
      rt = &s->routes[i];
  if (!rt) {
    resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, 404, resp);
    MHD_destroy_response(resp);
    return ret;
  }
  if (rt->delay_ms)
    t_sleep(s, rt->delay_ms);
  resp = t_make(rt);
  if (!resp)
    return MHD_NO;
  ret = MHD_queue_response(c, rt->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void t_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe) {
  t_req *r = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (r) {
    free(r->body);
    free(r);
    *con_cls = NULL;
  }
}

static void t_notify(void *cls, struct MHD_Connection *c, void **socket_ctx,
                     enum MHD_ConnectionNotificationCode toe) {
  t_srv *s = cls;
  (void)c;
  (void)socket_ctx;
  if (toe != MHD_CONNECTION_NOTIFY_STARTED)
    return;
  pthread_mutex_lock(&s->mu);
  s->connections++;
  pthread_mutex_unlock(&s->mu);
}

int t_srv_start(t_srv *s, const char *bind_ip, const t_pki *pki,
                const t_route *routes, size_t n_routes) {
  struct sockaddr_in sa;
  const union MHD_DaemonInfo *info;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO;
  memset(s, 0, sizeof *s);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  if (inet_pton(AF_INET, bind_ip, &sa.sin_addr) != 1)
    return -1;
  if (pthread_mutex_init(&s->mu, NULL) != 0)
    return -1;
  s->routes = routes;
  s->n_routes = n_routes;
  if (pki) {
    flags |= MHD_USE_TLS;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, t_handle, s, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_HTTPS_MEM_KEY, pki->key_pem, MHD_OPTION_HTTPS_MEM_CERT,
        pki->cert_pem, MHD_OPTION_NOTIFY_COMPLETED, t_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, t_notify, s, MHD_OPTION_END);
  } else {
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, t_handle, s, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_NOTIFY_COMPLETED, t_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, t_notify, s, MHD_OPTION_END);
  }
  if (!s->daemon) {
    pthread_mutex_destroy(&s->mu);
    return -1;
  }
  info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (!info || !info->port) {
    t_srv_stop(s);
    return -1;
  }
  s->port = info->port;
  return 0;
}

void t_srv_stop(t_srv *s) {
  if (!s->daemon)
    return;
  s->stopping = 1;
  MHD_stop_daemon(s->daemon);
  s->daemon = NULL;
  t_seen_free(&s->last);
  pthread_mutex_destroy(&s->mu);
}

unsigned t_srv_connections(t_srv *s) {
  unsigned n;
  pthread_mutex_lock(&s->mu);
  n = s->connections;
  pthread_mutex_unlock(&s->mu);
  return n;
}

unsigned t_srv_requests(t_srv *s) {
  unsigned n;
  pthread_mutex_lock(&s->mu);
  n = s->requests;
  pthread_mutex_unlock(&s->mu);
  return n;
}

void t_srv_seen(t_srv *s, t_seen *out) {
  const t_seen *l = &s->last;
  pthread_mutex_lock(&s->mu);
  out->method = t_dupz(l->method);
  out->path = t_dupz(l->path);
  out->body = t_dup(l->body, l->body_len);
  out->body_len = l->body_len;
  out->authorization = t_dupz(l->authorization);
  out->content_type = t_dupz(l->content_type);
  out->accept = t_dupz(l->accept);
  out->user_agent = t_dupz(l->user_agent);
  out->n_query_args = l->n_query_args;
  pthread_mutex_unlock(&s->mu);
}
