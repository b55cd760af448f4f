/* e2e harness for door-idp (see harness.h). */
#include "harness.h"

#include "idp_admin.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

long long e2e_now(void) { return (long long)time(NULL); }

static int read_all(const char *path, door_buf *b) {
  char chunk[4096];
  size_t n;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    door__buf_append(b, chunk, n);
  fclose(f);
  return 0;
}

static void path_in(const e2e_env *e, const char *name, door_buf *b) {
  door__buf_puts(b, e->dir);
  door__buf_putc(b, '/');
  door__buf_puts(b, name);
}

int e2e_start(e2e_env *e, int argc, char **argv, const char *const *extra) {
  door_buf ready, log, text;
  const char *args[32];
  size_t n = 0, i;
  int waited;
  const char *tmp = getenv("TMPDIR");
  memset(e, 0, sizeof *e);
  if (argc < 7) {
    fputs("# usage: PROG door-idp ca.pem server.pem server.key scenario "
          "daccount-discovery.json\n",
          stdout);
    return -1;
  }
  e->idp_bin = argv[1];
  e->ca = argv[2];
  e->cert = argv[3];
  e->key = argv[4];
  e->scenario = argv[5];
  e->daccount_ref = argv[6];
  door__buf_init(&text, 256);
  door__buf_puts(&text, tmp && *tmp ? tmp : "/tmp");
  door__buf_puts(&text, "/door-e2e-idp.XXXXXX");
  if (text.len >= sizeof e->dir || !mkdtemp(text.data)) {
    door__buf_free(&text);
    return -1;
  }
  memcpy(e->dir, text.data, text.len + 1);
  door__buf_free(&text);
  door__buf_init(&ready, 512);
  door__buf_init(&log, 512);
  path_in(e, "ready.json", &ready);
  path_in(e, "idp.log", &log);
  args[n++] = e->idp_bin;
  args[n++] = "--scenario";
  args[n++] = e->scenario;
  args[n++] = "--tls-cert";
  args[n++] = e->cert;
  args[n++] = "--tls-key";
  args[n++] = e->key;
  args[n++] = "--backchannel-ca";
  args[n++] = e->ca;
  args[n++] = "--ready-file";
  args[n++] = ready.data;
  for (i = 0; extra && extra[i] && n < 31; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  e->pid = fork();
  if (e->pid == 0) {
    int fd = open(log.data, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(args[0], (char *const *)args);
    _exit(127);
  }
  if (e->pid < 0)
    return -1;
  for (waited = 0; waited < 400; waited++) {
    int st;
    struct timespec ts = {0, 50 * 1000 * 1000};
    if (access(ready.data, R_OK) == 0)
      break;
    if (waitpid(e->pid, &st, WNOHANG) == e->pid) {
      door_buf out;
      door__buf_init(&out, 65536);
      read_all(log.data, &out);
      fputs("# door-idp exited before it was ready:\n# ", stdout);
      fputs(door__buf_str(&out), stdout);
      fputs("\n", stdout);
      door__buf_free(&out);
      e->pid = 0;
      return -1;
    }
    nanosleep(&ts, NULL);
  }
  door__buf_init(&text, 1 << 20);
  if (read_all(ready.data, &text) ||
      door__json_parse(text.data, text.len, 16, &e->ready, NULL)) {
    fputs("# cannot read the ready file\n", stdout);
    door__buf_free(&text);
    return -1;
  }
  door__buf_free(&text);
  door__buf_free(&ready);
  door__buf_free(&log);
  e->admin = json_string_value(json_object_get(e->ready, "admin"));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  e->curl = curl_easy_init();
  return e->admin && e->curl ? 0 : -1;
}

int e2e_stop(e2e_env *e) {
  int st = 0, rc = -1;
  door_buf p;
  if (e->curl)
    curl_easy_cleanup(e->curl);
  e->curl = NULL;
  if (e->pid > 0) {
    kill(e->pid, SIGTERM);
    if (waitpid(e->pid, &st, 0) == e->pid && WIFEXITED(st))
      rc = WEXITSTATUS(st);
    if (rc != 0) {
      door_buf out;
      door__buf_init(&out, 1 << 20);
      door__buf_init(&p, 512);
      path_in(e, "idp.log", &p);
      read_all(p.data, &out);
      fputs("# door-idp log:\n", stdout);
      fputs(door__buf_str(&out), stdout);
      door__buf_free(&out);
      door__buf_free(&p);
    }
  }
  door__buf_init(&p, 512);
  path_in(e, "ready.json", &p);
  unlink(p.data);
  door__buf_reset(&p);
  path_in(e, "idp.log", &p);
  unlink(p.data);
  door__buf_free(&p);
  rmdir(e->dir);
  json_decref(e->ready);
  e->ready = NULL;
  curl_global_cleanup();
  return rc;
}

const char *e2e_url(e2e_env *e, const char *profile, const char *key) {
  json_t *p = json_object_get(json_object_get(e->ready, "profiles"), profile);
  return json_string_value(json_object_get(p, key));
}

void e2e_resp_init(e2e_resp *r) {
  memset(r, 0, sizeof *r);
  door__buf_init(&r->body, (size_t)16 << 20);
  door__kvlist_init(&r->headers);
}

void e2e_resp_free(e2e_resp *r) {
  door__buf_free(&r->body);
  door__kvlist_free(&r->headers);
}

const char *e2e_header(const e2e_resp *r, const char *name) {
  size_t i;
  for (i = 0; i < r->headers.n; i++) {
    if (strcasecmp(r->headers.items[i].name, name) == 0)
      return r->headers.items[i].value;
  }
  return NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  e2e_resp *r = ud;
  return door__buf_append(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  e2e_resp *r = ud;
  size_t len = size * n, i;
  char *colon = memchr(p, ':', len);
  door_buf name, value;
  if (!colon)
    return len;
  door__buf_init(&name, 256);
  door__buf_init(&value, 16384);
  for (i = 0; p + i < colon; i++)
    door__buf_putc(&name,
                   (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]));
  colon++;
  while (colon < p + len && *colon == ' ')
    colon++;
  door__buf_append(&value, colon, (size_t)(p + len - colon));
  while (value.len && (value.data[value.len - 1] == '\r' ||
                       value.data[value.len - 1] == '\n'))
    value.data[--value.len] = '\0';
  door__kvlist_add(&r->headers, door__buf_str(&name), door__buf_str(&value));
  door__buf_free(&name);
  door__buf_free(&value);
  return len;
}

int e2e_http(e2e_env *e, const char *method, const char *url, const char *body,
             const char *ctype, const char *basic, const char *bearer,
             const char *cookie, e2e_resp *out) {
  CURL *c = e->curl;
  struct curl_slist *h = NULL;
  door_buf line;
  CURLcode rc;
  door__buf_init(&line, 16384);
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    door__buf_puts(&line, "Content-Type: ");
    door__buf_puts(&line, ctype ? ctype : "application/x-www-form-urlencoded");
    h = curl_slist_append(h, line.data);
  }
  if (basic) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, basic);
  }
  if (bearer) {
    door__buf_reset(&line);
    door__buf_puts(&line, "Authorization: Bearer ");
    door__buf_puts(&line, bearer);
    h = curl_slist_append(h, line.data);
  }
  if (cookie) {
    door__buf_reset(&line);
    door__buf_puts(&line, "Cookie: ");
    door__buf_puts(&line, cookie);
    h = curl_slist_append(h, line.data);
  }
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
  curl_slist_free_all(h);
  door__buf_free(&line);
  if (rc != CURLE_OK) {
    fputs("# curl: ", stdout);
    fputs(curl_easy_strerror(rc), stdout);
    fputs(" for ", stdout);
    fputs(url, stdout);
    fputs("\n", stdout);
    return -1;
  }
  return 0;
}

long e2e_get_status(e2e_env *e, const char *url) {
  e2e_resp r;
  long st;
  e2e_resp_init(&r);
  st = e2e_http(e, "GET", url, NULL, NULL, NULL, NULL, NULL, &r) == 0 ? r.status
                                                                      : -1;
  e2e_resp_free(&r);
  return st;
}

int e2e_admin(e2e_env *e, const char *method, const char *path,
              const char *json, e2e_resp *out) {
  door_buf url;
  int rc;
  door__buf_init(&url, 8192);
  door__buf_puts(&url, e->admin);
  door__buf_puts(&url, path);
  rc = e2e_http(e, method, url.data, json, json ? "application/json" : NULL,
                NULL, NULL, NULL, out);
  door__buf_free(&url);
  return rc;
}

json_t *e2e_json(const e2e_resp *r) {
  json_t *j = NULL;
  if (!r->body.len || door__json_parse(r->body.data, r->body.len, 64, &j, NULL))
    return NULL;
  return j;
}

long long e2e_arm(e2e_env *e, const char *json) {
  e2e_resp r;
  json_t *j;
  long long id = 0;
  e2e_resp_init(&r);
  if (e2e_admin(e, "POST", "/faults", json, &r) == 0 && r.status == 201) {
    j = e2e_json(&r);
    id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
  } else {
    fputs("# arming failed: ", stdout);
    fputs(door__buf_str(&r.body), stdout);
    fputs("\n", stdout);
  }
  e2e_resp_free(&r);
  return id;
}

char *e2e_query_param(const char *url, const char *name) {
  const char *q = strchr(url, '?');
  door_kvlist kv;
  const char *v;
  char *out = NULL;
  if (!q)
    return NULL;
  door__kvlist_init(&kv);
  if (door__form_parse(q + 1, strlen(q + 1), 64, 65536, &kv) == DOOR_OK &&
      (v = door__kvlist_get(&kv, name, NULL)) != NULL) {
    size_t n = strlen(v) + 1;
    out = malloc(n);
    if (out)
      memcpy(out, v, n);
  }
  door__kvlist_free(&kv);
  return out;
}

long e2e_authorize(e2e_env *e, e2e_flow *f) {
  door_buf url, q;
  e2e_resp r;
  const char *loc;
  char *code;
  long status;
  door__buf_init(&url, 16384);
  door__buf_init(&q, 16384);
  f->code[0] = f->location[0] = '\0';
  door__form_append(&q, "response_type", "code");
  door__form_append(&q, "client_id", f->client_id);
  door__form_append(&q, "redirect_uri", f->redirect_uri);
  door__form_append(&q, "scope", f->scope ? f->scope : "openid");
  if (f->state)
    door__form_append(&q, "state", f->state);
  if (f->nonce)
    door__form_append(&q, "nonce", f->nonce);
  if (f->user)
    door__form_append(&q, "login_hint", f->user);
  if (f->pkce) {
    door__form_append(&q, "code_challenge", CHALLENGE);
    door__form_append(&q, "code_challenge_method", "S256");
  }
  door__buf_puts(&url, e2e_url(e, f->profile, "authorization_endpoint"));
  door__buf_putc(&url, '?');
  door__buf_append(&url, q.data, q.len);
  if (f->extra)
    door__buf_puts(&url, f->extra);
  e2e_resp_init(&r);
  if (e2e_http(e, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r)) {
    status = -1;
    goto out;
  }
  status = r.status;
  loc = e2e_header(&r, "location");
  if (loc && strlen(loc) < sizeof f->location) {
    memcpy(f->location, loc, strlen(loc) + 1);
    code = e2e_query_param(loc, "code");
    if (code && strlen(code) < sizeof f->code)
      memcpy(f->code, code, strlen(code) + 1);
    free(code);
  }
out:
  e2e_resp_free(&r);
  door__buf_free(&url);
  door__buf_free(&q);
  return status;
}

int e2e_token_form(e2e_env *e, e2e_flow *f, const char *form, e2e_resp *out) {
  door_buf body, basic;
  int rc;
  door__buf_init(&body, 65536);
  door__buf_init(&basic, 4096);
  door__buf_puts(&body, form);
  if (f->auth && strcmp(f->auth, "post") == 0) {
    door__form_append(&body, "client_id", f->client_id);
    door__form_append(&body, "client_secret", f->secret);
  } else if (f->auth && strcmp(f->auth, "none") == 0) {
    door__form_append(&body, "client_id", f->client_id);
  } else {
    door__url_encode(&basic, f->client_id, strlen(f->client_id));
    door__buf_putc(&basic, ':');
    door__url_encode(&basic, f->secret, strlen(f->secret));
  }
  rc = e2e_http(e, "POST", e2e_url(e, f->profile, "token_endpoint"), body.data,
                NULL, basic.len ? basic.data : NULL, NULL, NULL, out);
  door__buf_free(&body);
  door__buf_free(&basic);
  return rc;
}

int e2e_token(e2e_env *e, e2e_flow *f, e2e_resp *out) {
  door_buf form;
  int rc;
  door__buf_init(&form, 16384);
  door__form_append(&form, "grant_type", "authorization_code");
  door__form_append(&form, "code", f->code);
  door__form_append(&form, "redirect_uri", f->redirect_uri);
  if (f->pkce || f->verifier)
    door__form_append(&form, "code_verifier",
                      f->verifier ? f->verifier : VERIFIER);
  rc = e2e_token_form(e, f, form.data, out);
  door__buf_free(&form);
  return rc;
}

json_t *e2e_login(e2e_env *e, e2e_flow *f) {
  e2e_resp r;
  json_t *j = NULL;
  if (e2e_authorize(e, f) != 302 || !f->code[0]) {
    fputs("# authorize did not give a code: ", stdout);
    fputs(f->location, stdout);
    fputs("\n", stdout);
    return NULL;
  }
  e2e_resp_init(&r);
  if (e2e_token(e, f, &r) == 0 && r.status == 200)
    j = e2e_json(&r);
  else {
    fputs("# token endpoint: ", stdout);
    fputs(door__buf_str(&r.body), stdout);
    fputs("\n", stdout);
  }
  e2e_resp_free(&r);
  return j;
}

door_jwks *e2e_jwks(e2e_env *e, const char *profile) {
  e2e_resp r;
  door_jwks *set = NULL;
  e2e_resp_init(&r);
  if (e2e_http(e, "GET", e2e_url(e, profile, "jwks_uri"), NULL, NULL, NULL,
               NULL, NULL, &r) == 0 &&
      r.status == 200)
    door__jwks_parse(r.body.data, r.body.len, &set, NULL);
  e2e_resp_free(&r);
  return set;
}

door_err e2e_verify(e2e_env *e, const char *profile, const char *token,
                    const char *secret, door_jws *out) {
  door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  door_jwks *set;
  door_jwk *k = NULL;
  door_err err;
  memset(out, 0, sizeof *out);
  err = door__jws_parse(token, strlen(token), &lim, out, NULL);
  if (err)
    return err;
  if (secret) {
    err = door__jwk_from_secret(secret, strlen(secret), NULL, &k);
    if (!err)
      err = door__jws_verify(out, k, DOOR_ALG_HS256);
    if (k)
      door__jwk_unref(k);
    return err;
  }
  set = e2e_jwks(e, profile);
  if (!set)
    return DOOR_EJWKS_INVALID;
  err = door__jws_verify_jwks(out, set, DOOR_ALG_RS256 | DOOR_ALG_ES256, NULL);
  door__jwks_unref(set);
  return err;
}

json_t *e2e_jwt_part(const char *token, int part) {
  const char *s = token, *end;
  unsigned char buf[16384];
  size_t n = 0;
  json_t *j = NULL;
  int i;
  for (i = 0; i < part && s; i++) {
    s = strchr(s, '.');
    if (s)
      s++;
  }
  if (!s)
    return NULL;
  end = strchr(s, '.');
  if (door__b64url_decode(s, end ? (size_t)(end - s) : strlen(s), buf,
                          sizeof buf, &n))
    return NULL;
  if (door__json_parse((const char *)buf, n, 16, &j, NULL))
    return NULL;
  return j;
}

static char *slurp(const char *path) {
  door_buf b;
  char chunk[4096];
  size_t n;
  FILE *f = fopen(path, "rb");
  door__buf_init(&b, 1 << 20);
  if (!f)
    return NULL;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    door__buf_append(&b, chunk, n);
  fclose(f);
  return door__buf_detach(&b);
}

int e2e_tls_rx_start(e2e_tls_rx *r, const e2e_env *e,
                     MHD_AccessHandlerCallback handler, void *cls,
                     MHD_RequestCompletedCallback done, void *done_cls) {
  struct sockaddr_in sin;
  const union MHD_DaemonInfo *info;
  memset(r, 0, sizeof *r);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(0x7f000001);
  r->cert = slurp(e->cert);
  r->key = slurp(e->key);
  if (!r->cert || !r->key)
    return -1;
  r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0,
                          NULL, NULL, handler, cls, MHD_OPTION_SOCK_ADDR,
                          (struct sockaddr *)&sin, MHD_OPTION_HTTPS_MEM_KEY,
                          r->key, MHD_OPTION_HTTPS_MEM_CERT, r->cert,
                          done ? MHD_OPTION_NOTIFY_COMPLETED : MHD_OPTION_END,
                          done, done_cls, MHD_OPTION_END);
  if (!r->d)
    return -1;
  info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
  r->port = info ? info->port : 0;
  return r->port ? 0 : -1;
}

void e2e_tls_rx_stop(e2e_tls_rx *r) {
  if (r->d)
    MHD_stop_daemon(r->d);
  free(r->cert);
  free(r->key);
  memset(r, 0, sizeof *r);
}

long e2e_admin_call(e2e_env *e, const char *method, const char *path,
                    const char *json, json_t **out) {
  return idp_admin_call(e->admin, method, path, json, out);
}
