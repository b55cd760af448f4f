/* Loopback HTTP fixture (see fx.h). */
#include "fx.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx_conn {
  door_buf body;
} fx_conn;

static enum MHD_Result fx_arg(void *cls, enum MHD_ValueKind kind,
                              const char *key, const char *value) {
  (void)kind;
  door__kvlist_add(cls, key, value ? value : "");
  return MHD_YES;
}

static enum MHD_Result fx_handle(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls) {
  fx_srv *s = cls;
  fx_conn *fc = *con_cls;
  fx_req rq;
  fx_resp rs;
  struct MHD_Response *r;
  enum MHD_Result ret;
  (void)version;
  if (!fc) {
    fc = calloc(1, sizeof *fc);
    if (!fc)
      return MHD_NO;
    door__buf_init(&fc->body, 1 << 20);
    *con_cls = fc;
    return MHD_YES;
  }
  if (*upload_size) {
    door__buf_append(&fc->body, upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  memset(&rq, 0, sizeof rq);
  rq.method = method;
  rq.path = url;
  door__kvlist_init(&rq.args);
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fx_arg, &rq.args);
  rq.authorization =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  rq.body = door__buf_str(&fc->body);
  rq.body_len = fc->body.len;
  memset(&rs, 0, sizeof rs);
  rs.status = 404;
  door__buf_init(&rs.body, 1 << 20);
  pthread_mutex_lock(&s->mu);
  s->fn(s->ud, &rq, &rs);
  pthread_mutex_unlock(&s->mu);
  r = MHD_create_response_from_buffer(
      rs.body.len, (void *)door__buf_str(&rs.body), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type",
                          rs.content_type ? rs.content_type
                                          : "application/json");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  ret = MHD_queue_response(c, rs.status, r);
  MHD_destroy_response(r);
  door__buf_free(&rs.body);
  door__kvlist_free(&rq.args);
  return ret;
}

static void fx_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe) {
  fx_conn *fc = *con_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (fc) {
    door__buf_free(&fc->body);
    free(fc);
    *con_cls = NULL;
  }
}

int fx_start(fx_srv *s, fx_fn fn, void *ud) {
  const union MHD_DaemonInfo *info;
  struct sockaddr_in sa;
  memset(s, 0, sizeof *s);
  s->fn = fn;
  s->ud = ud;
  pthread_mutex_init(&s->mu, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(0x7f000001);
  sa.sin_port = 0;
  s->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
      NULL, fx_handle, s, MHD_OPTION_SOCK_ADDR, &sa,
      MHD_OPTION_NOTIFY_COMPLETED, fx_done, s, MHD_OPTION_END);
  if (!s->daemon)
    return -1;
  info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (!info)
    return -1;
  s->port = info->port;
  return 0;
}

void fx_stop(fx_srv *s) {
  if (s->daemon)
    MHD_stop_daemon(s->daemon);
  s->daemon = NULL;
  pthread_mutex_destroy(&s->mu);
}
