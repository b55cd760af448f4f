/* A minimal login server embedding libdoorauth: d-account, XMarket and any
 * other configured provider sign people in to DOOR accounts.  It uses only
 * the installed public headers (doorauth/broker.h) and links the installed
 * library through pkg-config:
 *
 *   cc -o embed embed.c $(pkg-config --cflags --libs doorauth libmicrohttpd)
 *   ./embed /etc/doorauth/doorauth.ini 8080
 *
 * Routes (plain HTTP on 127.0.0.1: put TLS in front of it, or use
 * door-broker, which serves HTTPS itself):
 *   GET /login/NAME?return_to=/me   starts a login at provider NAME
 *   GET <NAME's redirect_uri path>  finishes it (door_broker_redirect_uri)
 *   GET /me                         the signed-in account as JSON, or 401
 *
 * Threading: libmicrohttpd calls the handler from its own thread; the
 * broker may be used from any number of threads (see broker.h).
 */
#include <doorauth/broker.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROVIDERS 32

typedef struct app {
  door_broker *broker;
} app;

/* The raw request target (path and query, still encoded): login finish
 * wants the query exactly as the provider sent it. */
static void *keep_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  return strdup(uri ? uri : "/");
}

static void forget_uri(void *cls, struct MHD_Connection *c, void **con_cls,
                       enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  free(*con_cls);
  *con_cls = NULL;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
                              const char *ctype, const char *body,
                              const char *location,
                              const door_broker_reply *r) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  enum MHD_Result ret;
  size_t i;
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", ctype);
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  if (location)
    MHD_add_response_header(resp, "Location", location);
  for (i = 0; r && i < r->n_set_cookie; i++)
    MHD_add_response_header(resp, "Set-Cookie", r->set_cookie[i]);
  ret = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result fail(struct MHD_Connection *c, app *a, door_err err,
                            const char *provider, const door_broker_reply *r) {
  char msg[512];
  door_broker_error_message(a->broker, err, provider, "en", msg, sizeof msg);
  return answer(c, (unsigned)door_broker_error_status(err),
                "text/plain; charset=utf-8", msg, NULL, r);
}

/* The provider whose redirect_uri has this path, or NULL. */
static const char *callback_provider(app *a, const char *path,
                                     door_broker_provider_info *p, size_t n) {
  char uri[2048];
  size_t i;
  for (i = 0; i < n; i++) {
    const char *scheme, *slash;
    if (door_broker_redirect_uri(a->broker, p[i].name, uri, sizeof uri))
      continue;
    scheme = strstr(uri, "://");
    slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (slash && strcmp(slash, path) == 0)
      return p[i].name;
  }
  return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *data,
                              size_t *size, void **con_cls) {
  app *a = cls;
  const char *raw = *con_cls, *q, *cookie, *provider;
  door_broker_provider_info p[MAX_PROVIDERS];
  door_broker_reply r;
  door_detail d;
  char path[1024];
  size_t n, plen;
  door_err err;
  enum MHD_Result ret;
  (void)url;
  (void)version;
  (void)data;
  (void)size;
  if (!raw || strcmp(method, "GET") != 0)
    return answer(c, 405, "text/plain", "GET only\n", NULL, NULL);
  q = strchr(raw, '?');
  plen = q ? (size_t)(q - raw) : strlen(raw);
  if (plen >= sizeof path)
    return answer(c, 414, "text/plain", "too long\n", NULL, NULL);
  memcpy(path, raw, plen);
  path[plen] = '\0';
  cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
  n = door_broker_providers(a->broker, p, MAX_PROVIDERS);
  if (n > MAX_PROVIDERS)
    n = MAX_PROVIDERS;

  if (strncmp(path, "/login/", 7) == 0) {
    door_broker_begin b;
    memset(&b, 0, sizeof b);
    b.provider = path + 7;
    b.return_to =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "return_to");
    err = door_broker_login_begin(a->broker, &b, cookie, &r, &d);
    ret = err ? fail(c, a, err, b.provider, NULL)
              : answer(c, 302, "text/plain", "", r.location, &r);
    door_broker_reply_clear(&r);
    return ret;
  }
  if ((provider = callback_provider(a, path, p, n))) {
    err = door_broker_login_finish(a->broker, provider, q ? q + 1 : "", cookie,
                                   &r, &d);
    /* Set-Cookie also on failure: it deletes the pending-login cookie. */
    ret = err ? fail(c, a, err, provider, &r)
              : answer(c, 302, "text/plain", "", r.location, &r);
    door_broker_reply_clear(&r);
    return ret;
  }
  if (strcmp(path, "/me") == 0) {
    door_broker_session s;
    char *json = NULL;
    err = door_broker_session_get(a->broker, cookie, &s, &d);
    if (err == DOOR_EBROKER_NO_SESSION)
      return answer(c, 401, "application/json", "{\"error\":\"not_signed_in\"}",
                    NULL, NULL);
    if (err)
      return fail(c, a, err, NULL, NULL);
    err = door_broker_session_json(&s, &json);
    door_broker_session_clear(&s);
    if (err)
      return fail(c, a, err, NULL, NULL);
    ret = answer(c, 200, "application/json", json, NULL, NULL);
    free(json);
    return ret;
  }
  return answer(c, 404, "text/plain", "not found\n", NULL, NULL);
}

int main(int argc, char **argv) {
  struct MHD_Daemon *httpd;
  struct sockaddr_in sin;
  door_config *cfg = NULL;
  door_detail d;
  sigset_t set;
  app a;
  char line[800];
  int port, sig;
  if (argc != 3 || (port = atoi(argv[2])) <= 0 || port > 65535) {
    fputs("usage: embed CONFIG PORT\n", stderr);
    return 2;
  }
  /* Signals are waited for below; every thread inherits the mask. */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  memset(&a, 0, sizeof a);
  if (door_config_load(argv[1], &cfg, &d) ||
      door_broker_new(cfg, NULL, &a.broker, &d)) { /* takes cfg */
    door_detail_format(&d, line, sizeof line);
    fprintf(stderr, "embed: %s\n", line);
    return 1;
  }
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  httpd = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
      NULL, handle, &a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
      MHD_OPTION_URI_LOG_CALLBACK, keep_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
      forget_uri, NULL, MHD_OPTION_END);
  if (!httpd) {
    fprintf(stderr, "embed: cannot listen on port %d\n", port);
    door_broker_free(a.broker);
    return 1;
  }
  printf("embed: listening on http://127.0.0.1:%d\n", port);
  fflush(stdout);
  while (sigwait(&set, &sig) != 0)
    ;
  MHD_stop_daemon(httpd);
  door_broker_free(a.broker);
  return 0;
}
