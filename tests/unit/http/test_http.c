/* src/http: the outbound client against a scripted loopback TLS fixture. */
#include "fixture.h"
#include "pki.h"
#include "t.h"

#include "http/http.h"
#include "util/buf.h"
#include "util/log.h"

#include <pthread.h>
#include <time.h>

/* Secrets in this file start with "planted-": the run's logs are scanned for
 * them (tests/style/no-secrets-in-logs.sh). */
#define T_TOKEN "planted-http-token.AbC-123_~+/="
#define T_SECRET "planted-http-secret"

static const t_route t_routes[] = {
    {"/json",
     200,
     "application/json; charset=utf-8",
     {{NULL}},
     "{\"ok\":true}",
     0,
     0,
     0},
    {"/token",
     200,
     "application/json",
     {{"Cache-Control", "no-store"}},
     "{\"access_token\":\"a\"}",
     0,
     0,
     0},
    {"/jwks",
     200,
     "application/jwk-set+json",
     {{"Cache-Control", "public, max-age=3600"}},
     "{\"keys\":[]}",
     0,
     0,
     0},
    {"/denied",
     401,
     "application/json",
     {{"WWW-Authenticate", "Bearer error=\"invalid_token\""},
      {"WWW-Authenticate", "DPoP algs=\"ES256\""},
      {"Retry-After", "120"}},
     "{\"error\":\"invalid_token\"}",
     0,
     0,
     0},
    {"/moved",
     302,
     NULL,
     {{"Location", "https://elsewhere.example/cb?code=planted-http-code"}},
     "",
     0,
     0,
     0},
    {"/elsewhere", 200, "text/plain", {{NULL}}, "reached", 0, 0, 0},
    {"/big", 200, "application/json", {{NULL}}, NULL, 256 * 1024, 0, 0},
    {"/big-chunked", 200, "application/json", {{NULL}}, NULL, 4u << 20, 1, 0},
    {"/exact", 200, "application/json", {{NULL}}, NULL, 64 * 1024, 0, 0},
    {"/fat-headers",
     200,
     "application/json",
     {{"X-Filler", NULL}},
     "{}",
     0,
     0,
     0},
    {"/slow", 200, "application/json", {{NULL}}, "{}", 0, 0, 3000},
};
#define T_NROUTES (sizeof t_routes / sizeof t_routes[0])

/* A server, its PKI and a client trusting that PKI. */
typedef struct t_env {
  t_pki pki;
  t_srv srv;
  door_http *http;
} t_env;

static void t_env_start(t_env *e, const door_http_options *o) {
  door_http_options def;
  door_http_options opts;
  door_detail d;
  memset(e, 0, sizeof *e);
  T_EQ_INT(t_pki_make(&e->pki, "IP:127.0.0.1"), 0);
  T_EQ_INT(t_srv_start(&e->srv, "127.0.0.1", &e->pki, t_routes, T_NROUTES), 0);
  door__http_options_init(&def);
  opts = o ? *o : def;
  opts.ca_file = e->pki.ca_path;
  T_EQ_ERR(door__http_new(&opts, &e->http, &d), DOOR_OK);
}

static void t_env_stop(t_env *e) {
  door__http_free(e->http);
  t_srv_stop(&e->srv);
  t_pki_free(&e->pki);
}

/* "https://127.0.0.1:<port><path>" in a door_buf (free it). */
static const char *t_url(door_buf *b, const char *scheme, const char *host,
                         unsigned port, const char *path) {
  door__buf_init(b, 4096);
  door__buf_puts(b, scheme);
  door__buf_puts(b, "://");
  door__buf_puts(b, host);
  door__buf_putc(b, ':');
  door__buf_put_u64(b, port);
  door__buf_puts(b, path);
  return door__buf_str(b);
}

/* GET `path` on the env's server. */
static door_err t_get(t_env *e, const char *path, door_http_response *resp,
                      door_detail *d) {
  door_http_request req;
  door_buf u;
  door_err err;
  door__http_request_init(&req);
  req.url = t_url(&u, "https", "127.0.0.1", e->srv.port, path);
  err = door__http_do(e->http, &req, resp, d);
  door__buf_free(&u);
  return err;
}

static long t_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_get_json(void) {
  t_env e;
  door_http_response r;
  door_detail d;
  t_seen seen;
  t_env_start(&e, NULL);
  T_EQ_ERR(t_get(&e, "/json", &r, &d), DOOR_OK);
  T_EQ_INT(r.status, 200);
  T_EQ_STR(door__buf_str(&r.body), "{\"ok\":true}");
  T_EQ_INT(r.body.len, 11);
  T_EQ_STR(r.content_type, "application/json; charset=utf-8");
  T_EQ_INT(door__http_is_json(&r), 1);
  T_OK(r.location == NULL);
  T_EQ_INT(r.cache_max_age, -1);
  T_EQ_INT(r.retry_after, -1);
  T_EQ_INT(r.new_connections, 1);
  t_srv_seen(&e.srv, &seen);
  T_EQ_STR(seen.method, "GET");
  T_EQ_STR(seen.path, "/json");
  T_EQ_STR(seen.accept, "application/json");
  T_OK(seen.user_agent && strncmp(seen.user_agent, "doorauth/", 9) == 0);
  T_OK(seen.authorization == NULL);
  t_seen_free(&seen);
  door__http_response_free(&r);
  /* Second request: the pooled handle's connection is reused. */
  T_EQ_ERR(t_get(&e, "/json", &r, &d), DOOR_OK);
  T_EQ_INT(r.new_connections, 0);
  T_EQ_INT(t_srv_connections(&e.srv), 1);
  door__http_response_free(&r);
  t_env_stop(&e);
}

static void test_post_form(void) {
  static const char form[] = "grant_type=authorization_code&code=planted-"
                             "http-code&redirect_uri=https%3A%2F%2Fa.example"
                             "%2Fcb%3Fx%3D1%26y%3D2&z=%00%20+";
  t_env e;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  t_seen seen;
  t_env_start(&e, NULL);
  door__http_request_init(&req);
  req.method = DOOR_HTTP_POST;
  req.url = t_url(&u, "https", "127.0.0.1", e.srv.port, "/token");
  req.body = form;
  req.body_len = sizeof form - 1;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  T_EQ_INT(r.status, 200);
  T_EQ_INT(r.cache_no_store, 1);
  t_srv_seen(&e.srv, &seen);
  T_EQ_STR(seen.method, "POST");
  T_EQ_INT(seen.body_len, sizeof form - 1);
  T_EQ_STR(seen.body, form);
  T_EQ_STR(seen.content_type, "application/x-www-form-urlencoded");
  t_seen_free(&seen);
  door__http_response_free(&r);
  /* Another content type. */
  req.body = "{\"a\":1}";
  req.body_len = 7;
  req.content_type = "application/json";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  t_srv_seen(&e.srv, &seen);
  T_EQ_STR(seen.body, "{\"a\":1}");
  T_EQ_STR(seen.content_type, "application/json");
  t_seen_free(&seen);
  door__http_response_free(&r);
  door__buf_free(&u);
  t_env_stop(&e);
}

static void test_basic_auth(void) {
  t_env e;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  t_seen seen;
  t_env_start(&e, NULL);
  door__http_request_init(&req);
  req.method = DOOR_HTTP_POST;
  req.url = t_url(&u, "https", "127.0.0.1", e.srv.port, "/token");
  req.body = "grant_type=client_credentials";
  req.body_len = strlen(req.body);
  req.basic_user = "client%3Aid";
  req.basic_password = "s%2Fecret%20x";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  t_srv_seen(&e.srv, &seen);
  /* base64("client%3Aid:s%2Fecret%20x") */
  T_EQ_STR(seen.authorization, "Basic Y2xpZW50JTNBaWQ6cyUyRmVjcmV0JTIweA==");
  t_seen_free(&seen);
  door__http_response_free(&r);
  /* A raw ':' in the user would make the pair ambiguous. */
  req.basic_user = "client:id";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  door__http_response_free(&r);
  req.basic_user = "client";
  req.basic_password = NULL;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  door__http_response_free(&r);
  T_EQ_INT(t_srv_requests(&e.srv), 1);
  door__buf_free(&u);
  t_env_stop(&e);
}

static void test_bearer(void) {
  t_env e;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  t_seen seen;
  t_env_start(&e, NULL);
  door__http_request_init(&req);
  req.url = t_url(&u, "https", "127.0.0.1", e.srv.port, "/json");
  req.bearer_token = T_TOKEN;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  t_srv_seen(&e.srv, &seen);
  T_EQ_STR(seen.authorization, "Bearer " T_TOKEN);
  T_EQ_STR(seen.path, "/json");
  T_EQ_INT(seen.n_query_args, 0);
  t_seen_free(&seen);
  door__http_response_free(&r);
  /* A token outside b64token (space, CR/LF) is refused before any I/O. */
  req.bearer_token = "abc def";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  req.bearer_token = "abc\r\nX-Evil: 1";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  req.bearer_token = T_TOKEN;
  req.basic_user = "a";
  req.basic_password = "b";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  door__http_response_free(&r);
  T_EQ_INT(t_srv_requests(&e.srv), 1);
  door__buf_free(&u);
  t_env_stop(&e);
}

static void test_redirect_not_followed(void) {
  t_env e;
  door_http_response r;
  door_detail d;
  t_env_start(&e, NULL);
  T_EQ_ERR(t_get(&e, "/moved", &r, &d), DOOR_EHTTP_REDIRECT);
  T_EQ_ERR(d.code, DOOR_EHTTP_REDIRECT);
  T_EQ_INT(r.status, 302);
  T_EQ_STR(r.location, "https://elsewhere.example/cb?code=planted-http-code");
  T_OK(strstr(d.what, "https://elsewhere.example/cb") != NULL);
  T_OK(strstr(d.what, "planted-") == NULL); /* no query in the detail */
  T_EQ_INT(t_srv_requests(&e.srv), 1);
  door__http_response_free(&r);
  t_env_stop(&e);
}

static void test_status_passthrough(void) {
  t_env e;
  door_http_response r;
  door_detail d;
  t_env_start(&e, NULL);
  T_EQ_ERR(t_get(&e, "/denied", &r, &d), DOOR_OK);
  T_EQ_INT(r.status, 401);
  T_EQ_STR(r.www_authenticate,
           "Bearer error=\"invalid_token\", DPoP algs=\"ES256\"");
  T_EQ_INT(r.retry_after, 120);
  door__http_response_free(&r);
  T_EQ_ERR(t_get(&e, "/nowhere", &r, &d), DOOR_OK);
  T_EQ_INT(r.status, 404);
  door__http_response_free(&r);
  t_env_stop(&e);
}

static void test_body_cap(void) {
  t_env e;
  door_http_options o;
  door_http_response r;
  door_detail d;
  door_http_metrics m;
  door__http_options_init(&o);
  o.max_response_bytes = 64 * 1024;
  t_env_start(&e, &o);
  /* Content-Length over the cap: refused before the body is read. */
  T_EQ_ERR(t_get(&e, "/big", &r, &d), DOOR_EHTTP_TOOBIG);
  T_EQ_INT(r.body.len, 0);
  T_OK(r.body.data == NULL);
  door__http_response_free(&r);
  /* Chunked, no length: the transfer stops at the cap, memory bounded. */
  T_EQ_ERR(t_get(&e, "/big-chunked", &r, &d), DOOR_EHTTP_TOOBIG);
  T_EQ_INT(r.body.len, 0);
  door__http_response_free(&r);
  door__http_metrics(e.http, &m);
  T_EQ_INT(m.errors_too_big, 2);
  T_OK(m.bytes_received == 0);
  /* Exactly at the cap is fine. */
  T_EQ_ERR(t_get(&e, "/exact", &r, &d), DOOR_OK);
  T_EQ_INT(r.body.len, 64 * 1024);
  door__http_response_free(&r);
  t_env_stop(&e);
}

static void test_header_cap(void) {
  t_env e;
  door_http_options o;
  door_http_response r;
  door_detail d;
  static char filler[20 * 1024];
  static t_route routes[T_NROUTES];
  size_t i;
  memset(filler, 'h', sizeof filler - 1);
  memcpy(routes, t_routes, sizeof routes);
  for (i = 0; i < T_NROUTES; i++)
    if (strcmp(routes[i].path, "/fat-headers") == 0)
      routes[i].headers[0][1] = filler;
  door__http_options_init(&o);
  o.max_header_bytes = 16 * 1024;
  memset(&e, 0, sizeof e);
  T_EQ_INT(t_pki_make(&e.pki, "IP:127.0.0.1"), 0);
  T_EQ_INT(t_srv_start(&e.srv, "127.0.0.1", &e.pki, routes, T_NROUTES), 0);
  o.ca_file = e.pki.ca_path;
  T_EQ_ERR(door__http_new(&o, &e.http, &d), DOOR_OK);
  T_EQ_ERR(t_get(&e, "/fat-headers", &r, &d), DOOR_EHTTP_HEADERS_TOOBIG);
  door__http_response_free(&r);
  T_EQ_ERR(t_get(&e, "/json", &r, &d), DOOR_OK);
  door__http_response_free(&r);
  t_env_stop(&e);
}

static void test_timeout(void) {
  t_env e;
  door_http_options o;
  door_http_response r;
  door_detail d;
  long t0, ms;
  door__http_options_init(&o);
  o.total_timeout_ms = 400;
  t_env_start(&e, &o);
  t0 = t_now_ms();
  T_EQ_ERR(t_get(&e, "/slow", &r, &d), DOOR_EHTTP_TIMEOUT);
  ms = t_now_ms() - t0;
  T_OK(ms >= 350);
  T_OK(ms < 2000);
  door__http_response_free(&r);
  t_env_stop(&e);
}

static void test_unknown_ca(void) {
  t_env e;
  t_pki other;
  door_http_options o;
  door_http *h;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  t_env_start(&e, NULL);
  T_EQ_INT(t_pki_make(&other, "IP:127.0.0.1"), 0);
  door__http_options_init(&o);
  o.ca_file = other.ca_path;
  T_EQ_ERR(door__http_new(&o, &h, &d), DOOR_OK);
  door__http_request_init(&req);
  req.url = t_url(&u, "https", "127.0.0.1", e.srv.port, "/json");
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_EHTTP_TLS);
  printf("# %s\n", d.what);
  T_EQ_INT(r.status, 0);
  door__http_response_free(&r);
  T_OK(t_srv_connections(&e.srv) >= 1); /* the network was reached */
  T_EQ_INT(t_srv_requests(&e.srv), 0);
  door__http_free(h);
  t_pki_free(&other);
  door__buf_free(&u);
  t_env_stop(&e);
}

static void test_wrong_host_name(void) {
  t_pki pki;
  t_srv srv;
  door_http_options o;
  door_http *h;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  /* The certificate names 127.0.0.1 only; the server listens on 127.0.0.2. */
  T_EQ_INT(t_pki_make(&pki, "IP:127.0.0.1"), 0);
  T_EQ_INT(t_srv_start(&srv, "127.0.0.2", &pki, t_routes, T_NROUTES), 0);
  door__http_options_init(&o);
  o.ca_file = pki.ca_path;
  T_EQ_ERR(door__http_new(&o, &h, &d), DOOR_OK);
  door__http_request_init(&req);
  req.url = t_url(&u, "https", "127.0.0.2", srv.port, "/json");
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_EHTTP_TLS);
  printf("# %s\n", d.what);
  door__http_response_free(&r);
  T_OK(t_srv_connections(&srv) >= 1);
  T_EQ_INT(t_srv_requests(&srv), 0);
  door__buf_free(&u);
  door__http_free(h);
  t_srv_stop(&srv);
  t_pki_free(&pki);
}

static void test_plain_http_loopback(void) {
  t_srv srv;
  door_http_options o;
  door_http *h;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  T_EQ_INT(t_srv_start(&srv, "127.0.0.1", NULL, t_routes, T_NROUTES), 0);
  door__http_options_init(&o);
  T_EQ_ERR(door__http_new(&o, &h, &d), DOOR_OK);
  door__http_request_init(&req);
  req.url = t_url(&u, "http", "127.0.0.1", srv.port, "/json");
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_EHTTP_URL_REFUSED);
  door__http_response_free(&r);
  T_EQ_INT(t_srv_connections(&srv), 0);
  door__http_free(h);
  o.allow_insecure_loopback = 1;
  T_EQ_ERR(door__http_new(&o, &h, &d), DOOR_OK);
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_OK);
  T_EQ_INT(r.status, 200);
  T_EQ_STR(door__buf_str(&r.body), "{\"ok\":true}");
  door__http_response_free(&r);
  door__buf_free(&u);
  req.url = t_url(&u, "http", "localhost", srv.port, "/json");
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_OK);
  T_EQ_INT(r.status, 200);
  door__http_response_free(&r);
  door__buf_free(&u);
  door__http_free(h);
  t_srv_stop(&srv);
}

/* Refused before any network I/O: nothing listens at these addresses, and
 * the metrics show no connection was opened. */
static void test_urls_refused(void) {
  static const char *const bad[] = {
      "http://example.com/.well-known/openid-configuration",
      "http://10.0.0.1/token",
      "http://127.0.0.1.example.com/token",
      "ftp://127.0.0.1/x",
      "file:///etc/passwd",
      "https://user:pass@127.0.0.1:1/token",
      "https://user@127.0.0.1:1/token",
      "https://127.0.0.1:1/token#frag",
  };
  door_http_options o;
  door_http *h;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_http_metrics m;
  door_buf long_url;
  size_t i, k;
  door__http_options_init(&o);
  o.allow_insecure_loopback = 1;
  T_EQ_ERR(door__http_new(&o, &h, &d), DOOR_OK);
  door__http_request_init(&req);
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    req.url = bad[i];
    door_detail_clear(&d);
    T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_EHTTP_URL_REFUSED);
    T_EQ_ERR(d.code, DOOR_EHTTP_URL_REFUSED);
    T_OK(strstr(d.where, "pass") == NULL);
    T_EQ_INT(r.status, 0);
    door__http_response_free(&r);
  }
  /* A path too long to report is refused too. */
  door__buf_init(&long_url, 1 << 16);
  door__buf_puts(&long_url, "https://127.0.0.1:1/");
  for (k = 0; k < 10000; k++)
    door__buf_putc(&long_url, 'a');
  req.url = door__buf_str(&long_url);
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_EHTTP_URL_REFUSED);
  door__http_response_free(&r);
  door__buf_free(&long_url);
  req.url = "not a url";
  T_NE_INT(door__http_do(h, &req, &r, &d), DOOR_OK);
  door__http_response_free(&r);
  door__http_metrics(h, &m);
  T_EQ_INT(m.requests, i + 2);
  T_EQ_INT(m.errors_refused, i + 2);
  T_EQ_INT(m.connections, 0);
  door__http_free(h);
}

static void test_bad_requests(void) {
  t_env e;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  door_http_header hs[1];
  t_env_start(&e, NULL);
  door__http_request_init(&req);
  req.url = t_url(&u, "https", "127.0.0.1", e.srv.port, "/json");
  req.body = "x=1";
  req.body_len = 3;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL); /* GET+body */
  req.body = NULL;
  req.body_len = 0;
  req.headers = hs;
  req.n_headers = 1;
  hs[0].name = "X-Test";
  hs[0].value = "a\r\nX-Injected: 1";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  hs[0].name = "X Test";
  hs[0].value = "a";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  hs[0].name = "authorization";
  hs[0].value = "Bearer x";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  hs[0].name = "Host";
  hs[0].value = "evil.example";
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  req.accept = "text/html\r\nX: y";
  req.n_headers = 0;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_EINVAL);
  T_EQ_INT(t_srv_requests(&e.srv), 0);
  /* A well-formed extra header is sent. */
  req.accept = "application/jwk-set+json";
  hs[0].name = "X-Request-Id";
  hs[0].value = "abc 123";
  req.n_headers = 1;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  door__http_response_free(&r);
  T_EQ_INT(t_srv_requests(&e.srv), 1);
  door__buf_free(&u);
  t_env_stop(&e);
}

static void test_connection_refused(void) {
  t_srv srv;
  door_http *h;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  unsigned port;
  /* A port that was just free: start and stop a server on it. */
  T_EQ_INT(t_srv_start(&srv, "127.0.0.1", NULL, t_routes, T_NROUTES), 0);
  port = srv.port;
  t_srv_stop(&srv);
  T_EQ_ERR(door__http_new(NULL, &h, &d), DOOR_OK);
  door__http_request_init(&req);
  req.url = t_url(&u, "https", "127.0.0.1", port, "/json");
  T_EQ_ERR(door__http_do(h, &req, &r, &d), DOOR_EHTTP);
  T_EQ_ERR(d.code, DOOR_EHTTP);
  T_OK(d.what[0] != '\0');
  door__http_response_free(&r);
  door__buf_free(&u);
  door__http_free(h);
}

typedef struct t_worker {
  t_env *e;
  int n;
  int ok;
} t_worker;

static void *t_work(void *p) {
  t_worker *w = p;
  door_http_response r;
  door_detail d;
  int i;
  for (i = 0; i < w->n; i++) {
    if (t_get(w->e, "/json", &r, &d) == DOOR_OK && r.status == 200 &&
        strcmp(door__buf_str(&r.body), "{\"ok\":true}") == 0)
      w->ok++;
    door__http_response_free(&r);
  }
  return NULL;
}

static void test_concurrent_reuse(void) {
  enum { NT = 8, PER = 12 };
  t_env e;
  pthread_t th[NT];
  t_worker w[NT];
  door_http_metrics m;
  int i, ok = 0;
  unsigned conns;
  t_env_start(&e, NULL);
  for (i = 0; i < NT; i++) {
    w[i].e = &e;
    w[i].n = PER;
    w[i].ok = 0;
    T_EQ_INT(pthread_create(&th[i], NULL, t_work, &w[i]), 0);
  }
  for (i = 0; i < NT; i++) {
    pthread_join(th[i], NULL);
    ok += w[i].ok;
  }
  T_EQ_INT(ok, NT * PER);
  T_EQ_INT(t_srv_requests(&e.srv), NT * PER);
  conns = t_srv_connections(&e.srv);
  printf("# %d requests over %u connections\n", NT * PER, conns);
  T_OK(conns < NT * PER);
  T_OK(conns <= 2 * NT);
  door__http_metrics(e.http, &m);
  T_EQ_INT(m.requests, NT * PER);
  T_EQ_INT(m.responses, NT * PER);
  T_EQ_INT(m.connections, conns);
  T_EQ_INT(m.bytes_received, 11 * NT * PER);
  t_env_stop(&e);
}

static void test_cache_control(void) {
  t_env e;
  door_http_response r;
  door_detail d;
  long age;
  int ns;
  t_env_start(&e, NULL);
  T_EQ_ERR(t_get(&e, "/jwks", &r, &d), DOOR_OK);
  T_EQ_INT(r.cache_max_age, 3600);
  T_EQ_INT(r.cache_no_store, 0);
  T_EQ_INT(door__http_is_json(&r), 1);
  door__http_response_free(&r);
  t_env_stop(&e);
  door__http_parse_cache_control("max-age=60", &age, &ns);
  T_EQ_INT(age, 60);
  door__http_parse_cache_control("public , MAX-AGE=\"90\", max-age=30", &age,
                                 &ns);
  T_EQ_INT(age, 30);
  T_EQ_INT(ns, 0);
  door__http_parse_cache_control("private, x=\"a,max-age=1\", max-age=5", &age,
                                 &ns);
  T_EQ_INT(age, 5);
  door__http_parse_cache_control("max-age=abc", &age, &ns);
  T_EQ_INT(age, -1);
  door__http_parse_cache_control("max-age=", &age, &ns);
  T_EQ_INT(age, -1);
  door__http_parse_cache_control("max-age=99999999999999999999", &age, &ns);
  T_EQ_INT(age, 2147483648L);
  door__http_parse_cache_control("no-cache", &age, &ns);
  T_EQ_INT(ns, 1);
  door__http_parse_cache_control("no-cache=\"set-cookie\"", &age, &ns);
  T_EQ_INT(ns, 0);
  door__http_parse_cache_control("s-maxage=10", &age, &ns);
  T_EQ_INT(age, -1);
  door__http_parse_cache_control(NULL, &age, &ns);
  T_EQ_INT(age, -1);
}

static void test_retry_after(void) {
  /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777. */
  T_EQ_INT(door__http_parse_retry_after("120", 0), 120);
  T_EQ_INT(door__http_parse_retry_after(" 7 ", 0), 7);
  T_EQ_INT(door__http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
                                        784111777LL - 30),
           30);
  T_EQ_INT(door__http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
                                        784111777LL + 30),
           0);
  T_EQ_INT(door__http_parse_retry_after("soon", 0), -1);
  T_EQ_INT(door__http_parse_retry_after("12x", 0), -1);
  T_EQ_INT(door__http_parse_retry_after("", 0), -1);
}

static int t_is_json(const char *ct) {
  door_http_response r;
  memset(&r, 0, sizeof r);
  r.content_type = (char *)ct;
  return door__http_is_json(&r);
}

static void test_is_json(void) {
  T_EQ_INT(t_is_json("application/json"), 1);
  T_EQ_INT(t_is_json("Application/JSON ; charset=UTF-8"), 1);
  T_EQ_INT(t_is_json("application/jwk-set+json"), 1);
  T_EQ_INT(t_is_json("application/problem+json; x=y"), 1);
  T_EQ_INT(t_is_json("application/+json"), 0);
  T_EQ_INT(t_is_json("application/jsonx"), 0);
  T_EQ_INT(t_is_json("text/json"), 0);
  T_EQ_INT(t_is_json("text/html"), 0);
  T_EQ_INT(t_is_json("application/jwt"), 0);
  T_EQ_INT(t_is_json(""), 0);
  T_EQ_INT(t_is_json(NULL), 0);
}

typedef struct t_capture {
  door_buf lines;
} t_capture;

static void t_sink(void *ud, door_log_level level, const char *line,
                   size_t len) {
  t_capture *c = ud;
  (void)level;
  door__buf_append(&c->lines, line, len);
  door__buf_putc(&c->lines, '\n');
}

static void test_log_has_no_secrets(void) {
  t_env e;
  door_http_options o;
  door_http_request req;
  door_http_response r;
  door_detail d;
  door_buf u;
  door_log lg;
  t_capture cap;
  const char *s;
  door__buf_init(&cap.lines, 1 << 16);
  door__log_init(&lg, "test_http");
  lg.min_level = DOOR_LOG_DEBUG;
  lg.sink = t_sink;
  lg.sink_ud = &cap;
  door__http_options_init(&o);
  o.log = &lg;
  t_env_start(&e, &o);
  door__http_request_init(&req);
  req.method = DOOR_HTTP_POST;
  req.url = t_url(&u, "https", "127.0.0.1", e.srv.port,
                  "/token?client_secret=" T_SECRET);
  req.body = "client_secret=" T_SECRET;
  req.body_len = strlen(req.body);
  req.basic_user = "client";
  req.basic_password = T_SECRET;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  door__http_response_free(&r);
  req.method = DOOR_HTTP_GET;
  req.body = NULL;
  req.body_len = 0;
  req.basic_user = req.basic_password = NULL;
  req.bearer_token = T_TOKEN;
  T_EQ_ERR(door__http_do(e.http, &req, &r, &d), DOOR_OK);
  door__http_response_free(&r);
  s = door__buf_str(&cap.lines);
  T_OK(strstr(s, "http.request") != NULL);
  T_OK(strstr(s, "/token") != NULL);
  T_OK(strstr(s, "POST") != NULL);
  T_OK(strstr(s, "planted-") == NULL);
  T_OK(strstr(s, "client_secret") == NULL);
  T_OK(strstr(s, "Basic") == NULL);
  door__buf_free(&cap.lines);
  door__buf_free(&u);
  t_env_stop(&e);
}

T_MAIN(T_CASE(test_get_json), T_CASE(test_post_form), T_CASE(test_basic_auth),
       T_CASE(test_bearer), T_CASE(test_redirect_not_followed),
       T_CASE(test_status_passthrough), T_CASE(test_body_cap),
       T_CASE(test_header_cap), T_CASE(test_timeout), T_CASE(test_unknown_ca),
       T_CASE(test_wrong_host_name), T_CASE(test_plain_http_loopback),
       T_CASE(test_urls_refused), T_CASE(test_bad_requests),
       T_CASE(test_connection_refused), T_CASE(test_concurrent_reuse),
       T_CASE(test_cache_control), T_CASE(test_retry_after),
       T_CASE(test_is_json), T_CASE(test_log_has_no_secrets))
