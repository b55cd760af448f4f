/* e2e harness for door-broker (see bh.h). */
#include "bh.h"

#include "run_prog.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static int read_file(const char *path, door_buf *b) {
  char chunk[4096];
  size_t n;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (door__buf_append(b, chunk, n)) {
      fclose(f);
      return -1;
    }
  fclose(f);
  return 0;
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  size_t n = strlen(text);
  if (!f)
    return -1;
  if (fwrite(text, 1, n, f) != n) {
    fclose(f);
    return -1;
  }
  return fclose(f) == 0 ? 0 : -1;
}

int bh_free_port(void) {
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
  if (fd < 0)
    return -1;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
      getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
    port = ntohs(sin.sin_port);
  close(fd);
  return port;
}

static pid_t spawn(const char *const *args, const char *log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(args[0], (char *const *)args);
    _exit(127);
  }
  return pid;
}

/* The scenario: the template with https://BROKER replaced. */
static int write_scenario(bh_env *e) {
  door_buf t, out;
  const char *p, *hit;
  int rc = -1;
  door__buf_init(&t, 1 << 20);
  door__buf_init(&out, 1 << 20);
  if (read_file(e->tpl, &t))
    goto done;
  for (p = door__buf_str(&t); (hit = strstr(p, "https://BROKER")); p = hit + 14)
    if (door__buf_append(&out, p, (size_t)(hit - p)) ||
        door__buf_puts(&out, e->base))
      goto done;
  if (door__buf_puts(&out, p) == DOOR_OK)
    rc = write_file(e->scenario, door__buf_str(&out));
done:
  door__buf_free(&t);
  door__buf_free(&out);
  return rc;
}

const char *bh_idp_url(bh_env *e, const char *profile, const char *key) {
  json_t *p =
      json_object_get(json_object_get(e->ready_json, "profiles"), profile);
  return json_string_value(json_object_get(p, key));
}

static int start_idp(bh_env *e) {
  const char *args[16];
  door_buf text;
  int waited, n = 0;
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
  args[n++] = e->ready;
  args[n++] = "--auto-approve";
  args[n] = NULL;
  e->idp_pid = spawn(args, e->idp_log);
  if (e->idp_pid < 0)
    return -1;
  for (waited = 0; waited < 400 && access(e->ready, R_OK) != 0; waited++) {
    int st;
    if (waitpid(e->idp_pid, &st, WNOHANG) == e->idp_pid) {
      e->idp_pid = 0;
      fputs("# door-idp exited before it was ready\n", stdout);
      return -1;
    }
    sleep_ms(50);
  }
  door__buf_init(&text, 1 << 20);
  if (read_file(e->ready, &text) ||
      door__json_parse(text.data, text.len, 16, &e->ready_json, NULL)) {
    door__buf_free(&text);
    fputs("# cannot read door-idp's ready file\n", stdout);
    return -1;
  }
  door__buf_free(&text);
  snprintf(e->admin, sizeof e->admin, "%s",
           json_string_value(json_object_get(e->ready_json, "admin")));
  return 0;
}

int bh_write_config(bh_env *e, const char *generic_display) {
  char text[8192];
  int n = snprintf(
      text, sizeof text,
      "# door-broker e2e configuration (generated)\n"
      "[broker]\npublic_url = %s/\nlisten = 127.0.0.1:%d\nca_file = %s\n"
      "state_dir = %s\n"
      "cookie_key = planted-secret-broker-cookie-key-0123456788\n"
      "tls_cert = %s\ntls_key = %s\nthreads = 4\nlog_level = info\n"
      "return_to_allow = %s\n"
      "[store]\nurl = sqlite:%s\n"
      "[provider \"daccount\"]\ntype = daccount\nissuer = %s\n"
      "client_id = door-broker\n"
      "client_secret = planted-secret-broker-daccount-0123456789abcdef\n"
      "display_name = d アカウント\n"
      "[provider \"xmarket\"]\ntype = xmarket\nissuer = %s\n"
      "client_id = door-broker\n"
      "client_secret = planted-secret-broker-xmarket-0123456789abcdef\n"
      "display_name = XMarket\nallowed_algs = RS256 ES256\n"
      "tickets_endpoint = %s\n"
      "[provider \"generic\"]\ntype = generic\nissuer = %s\n"
      "client_id = door-broker\n"
      "client_secret = planted-secret-broker-generic-0123456789abcdef\n"
      "display_name = %s\nkeep_claims = name\n"
      "[event \"ev-e2e\"]\ntitle = E2E Live\n"
      "start = 2020-01-01T00:00:00Z\nend = 2099-01-01T00:00:00Z\n"
      "providers = daccount xmarket\ntiers = vip, general\n"
      "participants_file = %s/participants.txt\ntoken_lifetime = 5m\n",
      e->base, e->port, e->ca, e->dir, e->cert, e->key, e->base, e->db,
      bh_idp_url(e, "daccount", "issuer"), bh_idp_url(e, "xmarket", "issuer"),
      bh_idp_url(e, "xmarket", "tickets_endpoint"),
      bh_idp_url(e, "generic", "issuer"), generic_display, e->dir);
  if (n <= 0 || (size_t)n >= sizeof text)
    return -1;
  {
    char pf[600];
    n = snprintf(pf, sizeof pf, "%s/participants.txt", e->dir);
    if (n <= 0 || (size_t)n >= sizeof pf ||
        write_file(pf, "# ev-e2e: nobody by d-account subject\n"))
      return -1;
  }
  return write_file(e->config, text);
}

int bh_start_broker(bh_env *e) {
  const char *args[8];
  bh_browser *b;
  bh_resp r;
  int waited, ok = 0;
  args[0] = e->broker_bin;
  args[1] = "--config";
  args[2] = e->config;
  args[3] = NULL;
  e->broker_pid = spawn(args, e->broker_log);
  if (e->broker_pid < 0)
    return -1;
  b = bh_browser_new(e, 1);
  b->quiet = 1;
  bh_resp_init(&r);
  for (waited = 0; waited < 200 && !ok; waited++) {
    int st;
    if (waitpid(e->broker_pid, &st, WNOHANG) == e->broker_pid) {
      e->broker_pid = 0;
      fputs("# door-broker exited before it was ready\n", stdout);
      break;
    }
    bh_resp_reset(&r);
    if (bh_get_path(b, "/healthz", &r) == 0 && r.status == 200)
      ok = 1;
    else
      sleep_ms(50);
  }
  bh_resp_free(&r);
  bh_browser_free(b);
  return ok ? 0 : -1;
}

int bh_kill_broker(bh_env *e, int sig) {
  return e->broker_pid > 0 ? kill(e->broker_pid, sig) : -1;
}

int bh_wait_broker(bh_env *e, int timeout_s) {
  int st, i;
  for (i = 0; i < timeout_s * 20; i++) {
    pid_t p = waitpid(e->broker_pid, &st, WNOHANG);
    if (p == e->broker_pid) {
      e->broker_pid = 0;
      if (WIFEXITED(st))
        return WEXITSTATUS(st);
      if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
      return -1;
    }
    sleep_ms(50);
  }
  return -1;
}

/* realpath(), kept for the life of the program. */
static const char *abs_path(const char *p) {
  char *r = realpath(p, NULL);
  if (!r)
    printf("# no such file: %s\n", p);
  return r;
}

/* 1 when the file at `path` contains `what`. */
static int log_says(const char *path, const char *what) {
  door_buf b;
  int found;
  door__buf_init(&b, 4 << 20);
  found = read_file(path, &b) == 0 && b.data && strstr(b.data, what) != NULL;
  door__buf_free(&b);
  return found;
}

int bh_setup(bh_env *e, int argc, char **argv) {
  const char *tmp = getenv("TMPDIR");
  int attempt, st;
  memset(e, 0, sizeof *e);
  if (argc < 7) {
    fputs("# usage: PROG door-idp door-broker ca.pem server.pem server.key "
          "scenario.json [sqlite3]\n",
          stdout);
    return -1;
  }
  /* Absolute paths: the configuration lives in another directory. */
  e->idp_bin = abs_path(argv[1]);
  e->broker_bin = abs_path(argv[2]);
  e->ca = abs_path(argv[3]);
  e->cert = abs_path(argv[4]);
  e->key = abs_path(argv[5]);
  e->tpl = abs_path(argv[6]);
  e->sqlite3 = argc > 7 ? argv[7] : NULL;
  if (!e->idp_bin || !e->broker_bin || !e->ca || !e->cert || !e->key || !e->tpl)
    return -1;
  snprintf(e->dir, sizeof e->dir, "%s/door-e2e-broker.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(e->dir))
    return -1;
  snprintf(e->scenario, sizeof e->scenario, "%s/scenario.json", e->dir);
  snprintf(e->config, sizeof e->config, "%s/broker.ini", e->dir);
  snprintf(e->db, sizeof e->db, "%s/door.db", e->dir);
  snprintf(e->ready, sizeof e->ready, "%s/ready.json", e->dir);
  snprintf(e->idp_log, sizeof e->idp_log, "%s/idp.log", e->dir);
  snprintf(e->broker_log, sizeof e->broker_log, "%s/broker.log", e->dir);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  /* The broker's port is chosen free here and bound by door-broker later
   * (door-idp's scenario names it in redirect URIs): a test running in
   * parallel may take it in between.  Then door-broker cannot listen, and
   * everything starts again on another port (at most 3 times). */
  for (attempt = 0; attempt < 3; attempt++) {
    e->port = bh_free_port();
    if (e->port <= 0)
      return -1;
    snprintf(e->base, sizeof e->base, "https://127.0.0.1:%d", e->port);
    snprintf(e->origin, sizeof e->origin, "%s", e->base);
    unlink(e->ready);
    if (write_scenario(e) || start_idp(e) || bh_write_config(e, "Generic OP"))
      return -1;
    if (bh_start_broker(e) == 0)
      return 0;
    if (e->broker_pid > 0 || !log_says(e->broker_log, "listener could not"))
      return -1; /* not the port race: report it */
    printf("# port %d was taken before door-broker bound it: again\n", e->port);
    kill(e->idp_pid, SIGTERM);
    waitpid(e->idp_pid, &st, 0);
    e->idp_pid = 0;
    json_decref(e->ready_json);
    e->ready_json = NULL;
  }
  return -1;
}

static void print_log(const char *what, const char *path) {
  door_buf b;
  door__buf_init(&b, 4 << 20);
  if (read_file(path, &b) == 0) {
    const char *p = door__buf_str(&b);
    printf("# --- %s ---\n", what);
    while (*p) {
      const char *end = strchr(p, '\n');
      size_t n = end ? (size_t)(end - p) : strlen(p);
      printf("# %.*s\n", (int)n, p);
      p += n + (end ? 1 : 0);
    }
  }
  door__buf_free(&b);
}

void bh_teardown(bh_env *e, int show_logs) {
  static const char *const files[] = {
      "scenario.json", "broker.ini", "door.db", "door.db-wal",
      "door.db-shm",   "ready.json", "idp.log", "broker.log"};
  char p[600];
  size_t i;
  int st;
  if (e->broker_pid > 0) {
    kill(e->broker_pid, SIGTERM);
    waitpid(e->broker_pid, &st, 0);
    e->broker_pid = 0;
  }
  if (e->idp_pid > 0) {
    kill(e->idp_pid, SIGTERM);
    waitpid(e->idp_pid, &st, 0);
    e->idp_pid = 0;
  }
  if (show_logs) {
    print_log("door-broker log", e->broker_log);
    print_log("door-idp log", e->idp_log);
  }
  for (i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", e->dir, files[i]);
    unlink(p);
  }
  rmdir(e->dir);
  json_decref(e->ready_json);
  e->ready_json = NULL;
  curl_global_cleanup();
}

/* ---- responses and browsers ------------------------------------------------
 */

void bh_resp_init(bh_resp *r) {
  memset(r, 0, sizeof *r);
  door__buf_init(&r->body, (size_t)8 << 20);
  door__kvlist_init(&r->headers);
}

void bh_resp_free(bh_resp *r) {
  door__buf_free(&r->body);
  door__kvlist_free(&r->headers);
}

void bh_resp_reset(bh_resp *r) {
  bh_resp_free(r);
  bh_resp_init(r);
}

const char *bh_header(const bh_resp *r, const char *name) {
  size_t i;
  for (i = 0; i < r->headers.n; i++)
    if (strcmp(r->headers.items[i].name, name) == 0)
      return r->headers.items[i].value;
  return NULL;
}

int bh_set_cookie_has(const bh_resp *r, const char *prefix) {
  size_t i, n = strlen(prefix);
  for (i = 0; i < r->headers.n; i++)
    if (strcmp(r->headers.items[i].name, "set-cookie") == 0 &&
        strncmp(r->headers.items[i].value, prefix, n) == 0)
      return 1;
  return 0;
}

char *bh_session_cookie(const bh_resp *r) {
  static const char name[] = "__Host-door-session=";
  size_t i;
  for (i = 0; i < r->headers.n; i++) {
    const char *v = r->headers.items[i].value, *semi;
    if (strcmp(r->headers.items[i].name, "set-cookie") != 0 ||
        strncmp(v, name, sizeof name - 1) != 0 || v[sizeof name - 1] == ';')
      continue;
    semi = strchr(v, ';');
    return semi ? strndup(v, (size_t)(semi - v)) : strdup(v);
  }
  return NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  bh_resp *r = ud;
  return door__buf_append(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  bh_resp *r = ud;
  size_t len = size * n, i;
  char *colon = memchr(p, ':', len), name[128];
  door_buf value;
  if (!colon || (size_t)(colon - p) >= sizeof name)
    return len;
  for (i = 0; p + i < colon; i++)
    name[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
  name[i] = '\0';
  colon++;
  while (colon < p + len && *colon == ' ')
    colon++;
  door__buf_init(&value, 65536);
  door__buf_append(&value, colon, (size_t)(p + len - colon));
  while (value.len && (value.data[value.len - 1] == '\r' ||
                       value.data[value.len - 1] == '\n'))
    value.data[--value.len] = '\0';
  door__kvlist_add(&r->headers, name, door__buf_str(&value));
  door__buf_free(&value);
  return len;
}

bh_browser *bh_browser_new(bh_env *e, int jarless) {
  bh_browser *b = calloc(1, sizeof *b);
  CURL *c;
  if (!b)
    return NULL;
  b->e = e;
  c = curl_easy_init();
  b->curl = c;
  if (!jarless)
    curl_easy_setopt(c, CURLOPT_COOKIEFILE, ""); /* the cookie engine */
  curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  return b;
}

void bh_browser_free(bh_browser *b) {
  if (!b)
    return;
  curl_easy_cleanup(b->curl);
  free(b);
}

static int request(bh_browser *b, const char *url, const char *form,
                   const char *origin, bh_resp *r) {
  CURL *c = b->curl;
  struct curl_slist *h = NULL;
  char line[4096];
  CURLcode rc;
  bh_resp_reset(r);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  if (form) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    snprintf(line, sizeof line, "Origin: %s", origin ? origin : b->e->origin);
    h = curl_slist_append(h, line);
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  if (b->lang) {
    snprintf(line, sizeof line, "Accept-Language: %s", b->lang);
    h = curl_slist_append(h, line);
  }
  if (b->cookie) {
    snprintf(line, sizeof line, "Cookie: %s", b->cookie);
    h = curl_slist_append(h, line);
  }
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(h);
  if (rc != CURLE_OK) {
    if (!b->quiet)
      printf("# curl: %s (%s)\n", curl_easy_strerror(rc), url);
    return -1;
  }
  return 0;
}

int bh_get(bh_browser *b, const char *url, bh_resp *r) {
  return request(b, url, NULL, NULL, r);
}

int bh_post(bh_browser *b, const char *url, const char *form,
            const char *origin, bh_resp *r) {
  return request(b, url, form, origin, r);
}

int bh_get_path(bh_browser *b, const char *path, bh_resp *r) {
  char url[4096];
  snprintf(url, sizeof url, "%s%s", b->e->base, path);
  return bh_get(b, url, r);
}

int bh_post_path(bh_browser *b, const char *path, const char *form,
                 bh_resp *r) {
  char url[4096];
  snprintf(url, sizeof url, "%s%s", b->e->base, path);
  return bh_post(b, url, form, NULL, r);
}

char *bh_enc(const char *s) {
  door_buf b;
  door__buf_init(&b, 1 << 16);
  if (door__url_encode(&b, s, strlen(s))) {
    door__buf_free(&b);
    return NULL;
  }
  return door__buf_detach(&b);
}

char *bh_query_param(const char *url, const char *name) {
  const char *q = strchr(url, '?');
  door_kvlist kv;
  const char *v;
  char *out = NULL;
  if (!q)
    return NULL;
  door__kvlist_init(&kv);
  if (door__form_parse(q + 1, strlen(q + 1), 64, 65536, &kv) == DOOR_OK &&
      (v = door__kvlist_get(&kv, name, NULL)) != NULL)
    out = strdup(v);
  door__kvlist_free(&kv);
  return out;
}

/* ---- flows
 * --------------------------------------------------------------------
 */

int bh_at_provider(bh_browser *b, const char *authz_url, const char *user,
                   bh_resp *out) {
  char *enc = bh_enc(user), *loc = NULL;
  door_buf url, form;
  const char *q;
  int rc = -1;
  door__buf_init(&url, 1 << 16);
  door__buf_init(&form, 1 << 16);
  door__buf_puts(&url, authz_url);
  door__buf_puts(&url,
                 strchr(authz_url, '?') ? "&login_hint=" : "?login_hint=");
  door__buf_puts(&url, enc);
  if (bh_get(b, door__buf_str(&url), out))
    goto done;
  if (out->status == 200 && (q = strchr(authz_url, '?'))) {
    /* The provider's sign-in page (prompt=login): approve as `user`. */
    door__buf_reset(&url);
    door__buf_append(&url, authz_url, (size_t)(q - authz_url));
    door__buf_puts(&form, q + 1);
    door__buf_puts(&form, "&user=");
    door__buf_puts(&form, enc);
    door__buf_puts(&form, "&door_idp_action=approve");
    if (bh_post(b, door__buf_str(&url), door__buf_str(&form), "null", out))
      goto done;
  }
  if (out->status != 302 || !bh_header(out, "location")) {
    if (!b->quiet)
      printf("# the provider answered %ld without a redirect\n", out->status);
    goto done;
  }
  loc = strdup(bh_header(out, "location"));
  if (strncmp(loc, b->e->base, strlen(b->e->base)) != 0) {
    printf("# the provider redirected elsewhere than the broker\n");
    goto done;
  }
  rc = bh_get(b, loc, out);
done:
  free(enc);
  free(loc);
  door__buf_free(&url);
  door__buf_free(&form);
  return rc;
}

long bh_login(bh_browser *b, const char *provider, const char *user,
              const char *return_to, bh_resp *out) {
  char path[2048], *authz = NULL, *rt = return_to ? bh_enc(return_to) : NULL;
  long status = -1;
  snprintf(path, sizeof path, "/login/%s%s%s", provider,
           rt ? "?return_to=" : "", rt ? rt : "");
  free(rt);
  if (bh_get_path(b, path, out) || out->status != 302 ||
      !bh_header(out, "location")) {
    if (!b->quiet)
      printf("# /login/%s answered %ld\n", provider, out->status);
    return -1;
  }
  authz = strdup(bh_header(out, "location"));
  if (bh_at_provider(b, authz, user, out) == 0)
    status = out->status;
  free(authz);
  return status;
}

char *bh_csrf(bh_browser *b) {
  static const char key[] = "name=\"csrf_token\" value=\"";
  bh_resp r;
  const char *p, *end;
  char *tok = NULL;
  bh_resp_init(&r);
  if (bh_get_path(b, "/account", &r) == 0 && r.status == 200 &&
      (p = strstr(door__buf_str(&r.body), key)) &&
      (end = strchr(p + sizeof key - 1, '"')))
    tok = strndup(p + sizeof key - 1, (size_t)(end - p - (sizeof key - 1)));
  bh_resp_free(&r);
  return tok;
}

long bh_link(bh_browser *b, const char *provider, const char *user,
             bh_resp *out) {
  char form[512], *tok = bh_csrf(b), *authz = NULL;
  long status = -1;
  if (!tok) {
    printf("# no CSRF token: not signed in?\n");
    return -1;
  }
  snprintf(form, sizeof form, "csrf_token=%s&provider=%s", tok, provider);
  free(tok);
  if (bh_post_path(b, "/account/link", form, out) || out->status != 303 ||
      !bh_header(out, "location")) {
    printf("# /account/link answered %ld\n", out->status);
    return -1;
  }
  authz = strdup(bh_header(out, "location"));
  if (bh_at_provider(b, authz, user, out) == 0)
    status = out->status;
  free(authz);
  return status;
}

long bh_session(bh_browser *b, json_t **json) {
  bh_resp r;
  long status = -1;
  if (json)
    *json = NULL;
  bh_resp_init(&r);
  if (bh_get_path(b, "/api/session", &r) == 0) {
    status = r.status;
    if (json && r.body.len)
      door__json_parse(r.body.data, r.body.len, 16, json, NULL);
  }
  bh_resp_free(&r);
  return status;
}

int bh_cli_argv(const bh_env *e, const char *config, door_buf *out,
                const char *const *args) {
  const char *argv[BH_CLI_MAX + 4];
  int n = 0;
  argv[n++] = e->broker_bin;
  argv[n++] = "--config";
  argv[n++] = config ? config : e->config;
  for (; *args && n < BH_CLI_MAX + 3; args++)
    argv[n++] = *args;
  if (*args)
    return -1; /* more than BH_CLI_MAX arguments */
  argv[n] = NULL;
  door__buf_reset(out);
  return run_prog(argv, out);
}

int bh_gate_verify(const bh_env *e, door_buf *out, const char *token) {
  char gate[600], jwks[400], iss[300];
  const char *slash = strrchr(e->broker_bin, '/');
  int n = snprintf(gate, sizeof gate, "%.*s/door-gate",
                   slash ? (int)(slash - e->broker_bin) : 1,
                   slash ? e->broker_bin : ".");
  if (n <= 0 || (size_t)n >= sizeof gate)
    return -1;
  snprintf(jwks, sizeof jwks, "%s/.well-known/jwks.json", e->base);
  snprintf(iss, sizeof iss, "%s/", e->base);
  {
    const char *argv[] = {gate,        "verify", "--jwks",  jwks,
                          "--issuer",  iss,      "--event", "ev-e2e",
                          "--ca-file", e->ca,    token,     NULL};
    door__buf_reset(out);
    return run_prog(argv, out);
  }
}
