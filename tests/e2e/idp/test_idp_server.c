/* door-idp end to end: its server on h2o + OpenSSL.  One loop thread
 * (--threads 1) serves every profile listener, so these show that a delay
 * fault does not hold the other requests of its listener (a timer, not a
 * sleep), that a handler posting back-channel logout tokens does not block
 * the loop (the relying party calls door-idp back during the POST), that an
 * oversize body gets door-idp's OAuth JSON 413, and that the TLS handshake
 * works with an OpenSSL client that verifies the served certificate against
 * build/certs/ca.pem (and fails without it), and that a certificate or key
 * that does not load is named at start. */
#define _XOPEN_SOURCE 700 /* strptime */
#include "harness.h"
#include "t.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

jmp_buf t__jmp;
static e2e_env env;
static e2e_env *E = &env;

#define XM_BASIC "door-xm:planted-secret-xmarket-0123456789abcdef"
#define GE_REDIRECT "https://rp.localhost/callback/generic"
#define BCL_SECRET "planted-secret-generic-bcl-0123456789abcdef"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static long admin(const char *method, const char *path, const char *body,
                  json_t **out) {
  long st = e2e_admin_call(E, method, path, body, out);
  T_NE_INT(st, -1);
  return st;
}

/* ---- TLS with a plain OpenSSL client ------------------------------------ */

/* "https://127.0.0.1:PORT/..." -> host and port. */
static void split_origin(const char *url, char *host, size_t cap, int *port) {
  const char *h = strstr(url, "://"), *colon;
  size_t n;
  T_OK(h != NULL);
  h += 3;
  colon = strchr(h, ':');
  T_OK(colon != NULL);
  n = (size_t)(colon - h);
  T_OK(n < cap);
  memcpy(host, h, n);
  host[n] = '\0';
  *port = atoi(colon + 1);
}

static int tcp_connect(const char *host, int port) {
  struct sockaddr_in sin;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  if (fd < 0 || inet_pton(AF_INET, host, &sin.sin_addr) != 1 ||
      connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

/* One handshake with peer verification (against `ca`, or the default
 * store when NULL) and the IP address checked; `max` caps the version
 * (0: none).  On success sends GET `path` and appends the whole answer to
 * `out`.  Returns the handshake's result (1 ok) and sets *vr, *version. */
static int tls_get(const char *url, const char *ca, int max, const char *path,
                   long *vr, int *version, door_buf *out) {
  char host[64], chunk[4096];
  int port = 0, fd, ok = 0, n;
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *ssl = NULL;
  split_origin(url, host, sizeof host, &port);
  T_OK(ctx != NULL);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (ca)
    T_EQ_INT(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
  if (max)
    T_EQ_INT(SSL_CTX_set_max_proto_version(ctx, max), 1);
  fd = tcp_connect(host, port);
  T_OK(fd >= 0);
  ssl = SSL_new(ctx);
  T_OK(ssl != NULL);
  T_EQ_INT(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host), 1);
  SSL_set_fd(ssl, fd);
  ok = SSL_connect(ssl) == 1;
  *vr = SSL_get_verify_result(ssl);
  *version = SSL_version(ssl);
  if (ok) {
    door_buf req;
    door__buf_init(&req, 1024);
    door__buf_puts(&req, "GET ");
    door__buf_puts(&req, path);
    door__buf_puts(&req, " HTTP/1.1\r\nHost: ");
    door__buf_puts(&req, host);
    door__buf_puts(&req, "\r\nConnection: close\r\n\r\n");
    T_EQ_INT(SSL_write(ssl, req.data, (int)req.len), (long long)req.len);
    door__buf_free(&req);
    while ((n = SSL_read(ssl, chunk, sizeof chunk)) > 0)
      door__buf_append(out, chunk, (size_t)n);
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return ok;
}

static void test_tls_handshake_openssl_verifies_against_ca(void) {
  const char *url = e2e_url(E, "generic", "discovery");
  const char *path = strstr(strstr(url, "://") + 3, "/");
  door_buf out;
  long vr = -1;
  int version = 0;
  door__buf_init(&out, 1 << 20);
  T_EQ_INT(tls_get(url, E->ca, 0, path, &vr, &version, &out), 1);
  printf("# handshake: verify %ld, version 0x%x\n", vr, version);
  T_EQ_INT(vr, X509_V_OK);
  T_OK(version >= TLS1_2_VERSION);
  T_OK(strncmp(door__buf_str(&out), "HTTP/1.1 200 ", 13) == 0);
  T_OK(strstr(door__buf_str(&out), "\"issuer\"") != NULL);
  /* TLS 1.2 is served too. */
  door__buf_reset(&out);
  T_EQ_INT(tls_get(url, E->ca, TLS1_2_VERSION, path, &vr, &version, &out), 1);
  T_EQ_INT(version, TLS1_2_VERSION);
  T_EQ_INT(vr, X509_V_OK);
  T_OK(strncmp(door__buf_str(&out), "HTTP/1.1 200 ", 13) == 0);
  /* Without the test CA the certificate does not verify. */
  door__buf_reset(&out);
  T_EQ_INT(tls_get(url, NULL, 0, path, &vr, &version, &out), 0);
  printf("# without the CA: verify %ld\n", vr);
  T_NE_INT(vr, X509_V_OK);
  door__buf_free(&out);
}

/* ---- TLS set-up errors ----------------------------------------------------
 */

/* Runs door-idp with `cert` and `key`; returns its exit status and appends
 * its stderr to `out`. */
static int run_idp(const char *cert, const char *key, door_buf *out) {
  door_buf cmd;
  char chunk[1024];
  size_t n;
  int st;
  FILE *f;
  door__buf_init(&cmd, 4096);
  door__buf_puts(&cmd, "'");
  door__buf_puts(&cmd, E->idp_bin);
  door__buf_puts(&cmd, "' --scenario '");
  door__buf_puts(&cmd, E->scenario);
  door__buf_puts(&cmd, "' --tls-cert '");
  door__buf_puts(&cmd, cert);
  door__buf_puts(&cmd, "' --tls-key '");
  door__buf_puts(&cmd, key);
  door__buf_puts(&cmd, "' 2>&1 >/dev/null");
  f = popen(cmd.data, "r");
  T_OK(f != NULL);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    door__buf_append(out, chunk, n);
  st = pclose(f);
  door__buf_free(&cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tls_setup_errors_name_the_file(void) {
  door_buf junk, other, out;
  EVP_PKEY *k = EVP_EC_gen("P-256");
  FILE *f;
  door__buf_init(&junk, 512);
  door__buf_init(&other, 512);
  door__buf_init(&out, 65536);
  door__buf_puts(&junk, E->dir);
  door__buf_puts(&junk, "/junk.pem");
  door__buf_puts(&other, E->dir);
  door__buf_puts(&other, "/other.key");
  f = fopen(junk.data, "w");
  T_OK(f != NULL);
  fputs("not a PEM file\n", f);
  fclose(f);
  T_OK(k != NULL);
  f = fopen(other.data, "w");
  T_OK(f != NULL);
  T_EQ_INT(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
  fclose(f);
  EVP_PKEY_free(k);
  T_EQ_INT(run_idp(junk.data, E->key, &out), 1);
  printf("# %s", door__buf_str(&out));
  T_OK(strstr(door__buf_str(&out), "junk.pem: the TLS certificate is not a "
                                   "valid PEM certificate") != NULL);
  door__buf_reset(&out);
  T_EQ_INT(run_idp(E->cert, other.data, &out), 1);
  printf("# %s", door__buf_str(&out));
  T_OK(strstr(door__buf_str(&out),
              "other.key: the TLS key does not belong to the certificate") !=
       NULL);
  door__buf_reset(&out);
  T_EQ_INT(run_idp(E->cert, junk.data, &out), 1);
  printf("# %s", door__buf_str(&out));
  T_OK(strstr(door__buf_str(&out),
              "junk.pem: the TLS key is not a valid PEM private key") != NULL);
  unlink(junk.data);
  unlink(other.data);
  door__buf_free(&junk);
  door__buf_free(&other);
  door__buf_free(&out);
}

/* ---- a delay fault does not hold the listener --------------------------- */

static size_t sink(char *p, size_t s, size_t n, void *arg) {
  door_buf *b = arg;
  door__buf_append(b, p, s * n);
  return s * n;
}

static CURL *easy(const char *url, door_buf *body) {
  CURL *c = curl_easy_init();
  T_OK(c != NULL);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CAINFO, E->ca);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  return c;
}

static void test_delay_does_not_hold_the_listener(void) {
  CURLM *m = curl_multi_init();
  CURL *slow, *fast;
  door_buf sb, fb;
  double t0, t_slow = 0, t_fast = 0;
  long st_slow = 0, st_fast = 0;
  int running = 1, added = 0, left;
  CURLMsg *msg;
  T_EQ_INT(admin("DELETE", "/faults", NULL, NULL), 204);
  T_OK(e2e_arm(E, "{\"fault\":\"http.delay\",\"profile\":\"xmarket\","
                  "\"endpoint\":\"token\",\"param\":1500,\"count\":1}") > 0);
  door__buf_init(&sb, 1 << 20);
  door__buf_init(&fb, 1 << 20);
  slow = easy(e2e_url(E, "xmarket", "token_endpoint"), &sb);
  curl_easy_setopt(slow, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
  curl_easy_setopt(slow, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(slow, CURLOPT_USERPWD, XM_BASIC);
  fast = easy(e2e_url(E, "xmarket", "discovery"), &fb);
  t0 = now_s();
  curl_multi_add_handle(m, slow);
  while (running || !added) {
    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      if (msg->easy_handle == slow) {
        t_slow = now_s() - t0;
        curl_easy_getinfo(slow, CURLINFO_RESPONSE_CODE, &st_slow);
      } else {
        t_fast = now_s() - t0;
        curl_easy_getinfo(fast, CURLINFO_RESPONSE_CODE, &st_fast);
      }
    }
    /* The delayed request is at door-idp (its timer armed) after 300 ms. */
    if (!added && now_s() - t0 > 0.3) {
      curl_multi_add_handle(m, fast);
      added = 1;
      running = 1;
    }
    curl_multi_poll(m, NULL, 0, 20, NULL);
  }
  printf("# delayed token answer after %.3f s (status %ld), discovery "
         "started at 0.3 s answered after %.3f s (status %ld)\n",
         t_slow, st_slow, t_fast, st_fast);
  T_EQ_INT(st_slow, 200);
  T_EQ_INT(st_fast, 200);
  T_OK(t_slow >= 1.4);
  T_OK(t_fast > 0 && t_fast < t_slow);
  T_OK(strstr(door__buf_str(&sb), "access_token") != NULL);
  T_OK(strstr(door__buf_str(&fb), "\"issuer\"") != NULL);
  curl_multi_remove_handle(m, slow);
  curl_multi_remove_handle(m, fast);
  curl_easy_cleanup(slow);
  curl_easy_cleanup(fast);
  curl_multi_cleanup(m);
  door__buf_free(&sb);
  door__buf_free(&fb);
}

/* ---- Date header ----------------------------------------------------------
 */

/* Every answer carries an RFC 9110 IMF-fixdate Date (door-idp formats it
 * once a second per loop): the exact shape, and the time within a few
 * seconds of ours. */
static void test_date_header_is_imf_fixdate(void) {
  e2e_resp r;
  const char *d;
  struct tm tm;
  char *end;
  time_t t, now;
  int i;
  for (i = 0; i < 2; i++) {
    e2e_resp_init(&r);
    T_EQ_INT(e2e_http(E, "GET", e2e_url(E, "generic", "discovery"), NULL, NULL,
                      NULL, NULL, NULL, &r),
             0);
    d = e2e_header(&r, "date");
    printf("# Date: %s\n", d ? d : "(none)");
    T_OK(d != NULL && strlen(d) == 29);
    memset(&tm, 0, sizeof tm);
    end = d ? strptime(d, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    T_OK(end != NULL && *end == '\0');
    t = timegm(&tm);
    now = time(NULL);
    printf("# Date %lld, now %lld\n", (long long)t, (long long)now);
    T_OK(t <= now + 1 && t >= now - 5);
    e2e_resp_free(&r);
    if (i == 0)
      sleep(1); /* the next second's Date is formatted afresh */
  }
}

/* ---- methods and the request log's headers --------------------------------
 */

/* A method the handlers do not take gets door-idp's JSON 501, and the
 * connection stays usable. */
static void test_unknown_method_gets_json_501(void) {
  e2e_resp r;
  json_t *j;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "PROPFIND", e2e_url(E, "generic", "discovery"), NULL,
                    NULL, NULL, NULL, NULL, &r),
           0);
  j = e2e_json(&r);
  printf("# PROPFIND: %ld %s\n", r.status, door__buf_str(&r.body));
  T_EQ_INT(r.status, 501);
  T_EQ_STR(jstr(j, "error"), "invalid_request");
  T_EQ_STR(jstr(j, "error_description"), "method not implemented");
  json_decref(j);
  e2e_resp_free(&r);
  T_EQ_INT(e2e_get_status(E, e2e_url(E, "generic", "discovery")), 200);
}

/* The server library keeps Host and Content-Length out of its header list;
 * the request log still shows them: Host (the authority) first, the body's
 * length as Content-Length, the other headers as the client spelled them. */
static void test_request_log_has_host_and_content_length(void) {
  static const char form[] = "grant_type=client_credentials";
  const char *url = e2e_url(E, "xmarket", "token_endpoint");
  char host[64], want_host[96], want_len[24];
  int port = 0, saw_len = 0, saw_auth = 0;
  e2e_resp r;
  json_t *arr = NULL, *e, *h;
  size_t i;
  T_EQ_INT(admin("DELETE", "/requests", NULL, NULL), 204);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "POST", url, form, NULL, XM_BASIC, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 200);
  e2e_resp_free(&r);
  split_origin(url, host, sizeof host, &port);
  snprintf(want_host, sizeof want_host, "%s:%d", host, port);
  snprintf(want_len, sizeof want_len, "%zu", sizeof form - 1);
  T_EQ_INT(
      e2e_admin_call(E, "GET", "/requests?endpoint=token&limit=1", NULL, &arr),
      200);
  e = json_array_get(arr, 0);
  h = json_object_get(e, "headers");
  T_OK(json_array_size(h) >= 3);
  printf("# first header: %s: %s\n",
         json_string_value(json_array_get(json_array_get(h, 0), 0)),
         json_string_value(json_array_get(json_array_get(h, 0), 1)));
  T_EQ_STR(json_string_value(json_array_get(json_array_get(h, 0), 0)), "Host");
  T_EQ_STR(json_string_value(json_array_get(json_array_get(h, 0), 1)),
           want_host);
  for (i = 0; i < json_array_size(h); i++) {
    const char *n = json_string_value(json_array_get(json_array_get(h, i), 0));
    const char *v = json_string_value(json_array_get(json_array_get(h, i), 1));
    if (strcmp(n, "Content-Length") == 0) {
      saw_len++;
      T_EQ_STR(v, want_len);
    }
    saw_auth += strcmp(n, "Authorization") == 0; /* curl's spelling */
  }
  T_EQ_INT(saw_len, 1);
  T_EQ_INT(saw_auth, 1);
  json_decref(arr);
}

/* ---- oversize bodies ----------------------------------------------------- */

static void expect_json_413(const e2e_resp *r) {
  json_t *j = e2e_json(r);
  T_EQ_INT(r->status, 413);
  T_OK(j != NULL);
  T_EQ_STR(e2e_header(r, "content-type"), "application/json");
  T_EQ_STR(jstr(j, "error"), "invalid_request");
  T_EQ_STR(jstr(j, "error_description"), "request body too large");
  json_decref(j);
}

static void test_oversize_body_gets_json_413(void) {
  door_buf big;
  e2e_resp r;
  size_t i;
  door__buf_init(&big, (size_t)4 << 20);
  door__buf_puts(&big, "grant_type=client_credentials&pad=");
  for (i = 0; i < 100000; i++)
    door__buf_putc(&big, 'a');
  /* Over the profile listeners' 64 KiB. */
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "POST", e2e_url(E, "xmarket", "token_endpoint"),
                    big.data, NULL, XM_BASIC, NULL, NULL, &r),
           0);
  printf("# %zu-byte token request: %ld %s\n", big.len, r.status,
         door__buf_str(&r.body));
  expect_json_413(&r);
  e2e_resp_free(&r);
  /* The connection is still good: the same handle asks again. */
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "POST", e2e_url(E, "xmarket", "token_endpoint"),
                    "grant_type=client_credentials", NULL, XM_BASIC, NULL, NULL,
                    &r),
           0);
  T_EQ_INT(r.status, 200);
  e2e_resp_free(&r);
  /* Over the admin listener's 1 MiB. */
  for (i = 0; i < ((size_t)3 << 19); i++)
    door__buf_putc(&big, 'a');
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "POST", "/faults", big.data, &r), 0);
  printf("# %zu-byte admin request: %ld\n", big.len, r.status);
  expect_json_413(&r);
  e2e_resp_free(&r);
  door__buf_free(&big);
}

/* ---- back-channel logout off the loop ----------------------------------- */

/* The relying party's back-channel logout endpoint: before answering it
 * fetches door-idp's JWKS (as a broker verifying the logout token does). */
typedef struct receiver {
  e2e_tls_rx tls;
  pthread_mutex_t lock;
  int posts;
  long jwks_status;
  double jwks_seconds;
} receiver;

static receiver rx;

static enum MHD_Result rx_handler(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls) {
  receiver *r = cls;
  struct MHD_Response *resp;
  enum MHD_Result ret;
  door_buf body;
  CURL *h;
  double t0;
  long st = 0;
  (void)url;
  (void)method;
  (void)version;
  (void)data;
  if (!*con_cls) {
    *con_cls = r;
    return MHD_YES;
  }
  if (*size) {
    *size = 0;
    return MHD_YES;
  }
  door__buf_init(&body, 1 << 20);
  h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, e2e_url(E, "generic", "jwks_uri"));
  curl_easy_setopt(h, CURLOPT_CAINFO, E->ca);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
  t0 = now_s();
  if (curl_easy_perform(h) == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
  pthread_mutex_lock(&r->lock);
  r->posts++;
  r->jwks_status = st;
  r->jwks_seconds = now_s() - t0;
  pthread_mutex_unlock(&r->lock);
  curl_easy_cleanup(h);
  door__buf_free(&body);
  resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  ret = MHD_queue_response(c, 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

static int rx_start(receiver *r) {
  pthread_mutex_init(&r->lock, NULL);
  return e2e_tls_rx_start(&r->tls, E, rx_handler, r, NULL, NULL);
}

static void rx_stop(receiver *r) {
  e2e_tls_rx_stop(&r->tls);
  pthread_mutex_destroy(&r->lock);
}

static void test_end_session_logout_does_not_block_the_loop(void) {
  door_buf body, url, q;
  e2e_flow f;
  e2e_resp r;
  json_t *tok;
  double t0, took;
  T_EQ_INT(rx_start(&rx), 0);
  door__buf_init(&body, 4096);
  door__buf_puts(&body, "{\"client_secret\":\"" BCL_SECRET "\","
                        "\"redirect_uris\":[\"" GE_REDIRECT "\"],"
                        "\"post_logout_redirect_uris\":"
                        "[\"https://rp.localhost/bye2\"],"
                        "\"backchannel_logout_uri\":\"https://127.0.0.1:");
  door__buf_put_u64(&body, (uint64_t)rx.tls.port);
  door__buf_puts(&body, "/bcl\"}");
  T_EQ_INT(admin("PUT", "/profiles/generic/clients/rp-bcl", body.data, NULL),
           200);
  door__buf_free(&body);
  memset(&f, 0, sizeof f);
  f.profile = "generic";
  f.client_id = "rp-bcl";
  f.secret = BCL_SECRET;
  f.redirect_uri = GE_REDIRECT;
  f.user = "alice";
  f.nonce = "n";
  f.pkce = 1;
  f.auth = "basic";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  door__buf_init(&url, 16384);
  door__buf_init(&q, 16384);
  door__form_append(&q, "id_token_hint", jstr(tok, "id_token"));
  door__form_append(&q, "post_logout_redirect_uri",
                    "https://rp.localhost/bye2");
  door__buf_puts(&url, e2e_url(E, "generic", "end_session_endpoint"));
  door__buf_putc(&url, '?');
  door__buf_append(&url, q.data, q.len);
  e2e_resp_init(&r);
  t0 = now_s();
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  took = now_s() - t0;
  pthread_mutex_lock(&rx.lock);
  printf("# end_session answered %ld after %.3f s; the RP got %d POST(s), "
         "its JWKS call back got %ld after %.3f s (door-idp's back-channel "
         "POST gives up after 5 s)\n",
         r.status, took, rx.posts, rx.jwks_status, rx.jwks_seconds);
  pthread_mutex_unlock(&rx.lock);
  T_EQ_INT(r.status, 302);
  T_EQ_INT(rx.posts, 1);
  T_EQ_INT(rx.jwks_status, 200);
  /* Served while the POST was waiting for the RP's answer, not after
   * door-idp gave up on it. */
  T_OK(rx.jwks_seconds < 4.0);
  e2e_resp_free(&r);
  json_decref(tok);
  door__buf_free(&url);
  door__buf_free(&q);
}

/* SIGTERM while a delayed answer waits on its timer: door-idp drops it,
 * joins its threads and exits 0 (under ASan: nothing leaked). */
static void test_clean_shutdown_with_a_delayed_answer_pending(void) {
  CURLM *m = curl_multi_init();
  CURL *slow;
  door_buf sb;
  double t0, took;
  int running = 1, idle, port = 0;
  long st = -1;
  char host[64], c;
  struct timeval tv;
  ssize_t got;
  T_OK(e2e_arm(E, "{\"fault\":\"http.delay\",\"profile\":\"xmarket\","
                  "\"endpoint\":\"discovery\",\"param\":20000,"
                  "\"count\":1}") > 0);
  door__buf_init(&sb, 1 << 20);
  slow = easy(e2e_url(E, "xmarket", "discovery"), &sb);
  curl_multi_add_handle(m, slow);
  t0 = now_s();
  while (running && now_s() - t0 < 0.5) {
    curl_multi_perform(m, &running);
    curl_multi_poll(m, NULL, 0, 20, NULL);
  }
  T_OK(running); /* still waiting for its answer */
  /* An idle connection (accepted, nothing sent: a TLS handshake not begun)
   * is shut down by the server, not left open. */
  split_origin(e2e_url(E, "generic", "discovery"), host, sizeof host, &port);
  idle = tcp_connect(host, port);
  T_OK(idle >= 0);
  usleep(200 * 1000);
  T_EQ_INT(e2e_stop(E), 0);
  took = now_s() - t0;
  tv.tv_sec = 2;
  tv.tv_usec = 0;
  setsockopt(idle, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  got = recv(idle, &c, 1, 0);
  printf("# the idle connection read %zd after the stop (0: closed by "
         "door-idp)\n",
         got);
  T_OK(got == 0 || (got < 0 && errno == ECONNRESET));
  close(idle);
  while (running && now_s() - t0 < 10) {
    curl_multi_perform(m, &running);
    curl_multi_poll(m, NULL, 0, 20, NULL);
  }
  curl_easy_getinfo(slow, CURLINFO_RESPONSE_CODE, &st);
  printf("# door-idp stopped %.3f s after the delayed request (20 s delay); "
         "the client saw status %ld (0: no answer)\n",
         took, st);
  T_OK(took < 3.0);
  T_EQ_INT(st, 0);
  curl_multi_remove_handle(m, slow);
  curl_easy_cleanup(slow);
  curl_multi_cleanup(m);
  door__buf_free(&sb);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_tls_handshake_openssl_verifies_against_ca),
      T_CASE(test_tls_setup_errors_name_the_file),
      T_CASE(test_delay_does_not_hold_the_listener),
      T_CASE(test_date_header_is_imf_fixdate),
      T_CASE(test_unknown_method_gets_json_501),
      T_CASE(test_request_log_has_host_and_content_length),
      T_CASE(test_oversize_body_gets_json_413),
      T_CASE(test_end_session_logout_does_not_block_the_loop),
      T_CASE(test_clean_shutdown_with_a_delayed_answer_pending),
  };
  static const char *const extra[] = {"--auto-approve", "--threads", "1", NULL};
  int rc;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (e2e_start(E, argc, argv, extra)) {
    puts("1..1\nnot ok 1 - door-idp started");
    e2e_stop(E);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  rx_stop(&rx);
  curl_global_cleanup();
  return rc;
}
