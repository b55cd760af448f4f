/* doorauth's relying party against oidc-provider (npm, an OpenID-certified
 * OP) configured as a generic provider: tests/interop/op/oidc-provider-op.mjs
 * on the pinned Node over HTTPS on loopback.  door_login_begin, the
 * browser's trip through the OP (libcurl keeping the OP's cookies through
 * its interaction redirects), door_login_finish; the same with
 * private_key_jwt; then the OP rotates its signing keys (the old ones leave
 * its JWKS) and both logins pass again: the unknown kid makes the JWKS
 * cache refetch once its cooldown allows.
 *
 * argv: tests/node oidc-provider-op.mjs ca.pem server.pem server.key
 */
#include "doorauth/login.h"
#include "jose/jose.h"
#include "t.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/errlist.h"
#include "util/json.h"
#include "util/url.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

jmp_buf t__jmp;

#define CALLBACK_BASE "https://door.localhost/callback/"
#define PREFIX "oidc-provider-op: "

static const char *g_node, *g_script, *g_ca, *g_cert, *g_key;
static char g_dir[256];
static pid_t g_pid = -1;
static int g_in = -1, g_out = -1; /* the OP's stdin, stdout */
static char g_issuer[256];
static char g_kids[2][64]; /* the OP's signing keys: RS256, ES256 */
static door_config *g_cfg;
static door_rp *g_rp;
static int64_t g_offset;
static door_jwk *g_client_key;

static int64_t rp_clock(void *ud) {
  (void)ud;
  return (int64_t)time(NULL) + g_offset;
}

static void path_in(const char *name, char *out, size_t cap) {
  int n = snprintf(out, cap, "%s/%s", g_dir, name);
  T_OK(n > 0 && (size_t)n < cap);
}

/* One line of the OP's stdout starting with PREFIX (others are skipped),
 * waiting at most `seconds`.  0 when found. */
static int read_line(char *out, size_t cap, int seconds) {
  static char buf[8192];
  static size_t len;
  time_t deadline = time(NULL) + seconds;
  for (;;) {
    char *nl;
    while ((nl = memchr(buf, '\n', len)) != NULL) {
      size_t n = (size_t)(nl - buf);
      int ours =
          n >= strlen(PREFIX) && memcmp(buf, PREFIX, strlen(PREFIX)) == 0;
      if (ours) {
        size_t m = n - strlen(PREFIX);
        if (m >= cap)
          m = cap - 1;
        memcpy(out, buf + strlen(PREFIX), m);
        out[m] = '\0';
      } else {
        printf("# op: %.*s\n", (int)n, buf);
      }
      memmove(buf, nl + 1, len - n - 1);
      len -= n + 1;
      if (ours)
        return 0;
    }
    {
      struct pollfd p = {g_out, POLLIN, 0};
      int left = (int)(deadline - time(NULL));
      ssize_t got;
      if (left <= 0 || len == sizeof buf)
        return -1;
      if (poll(&p, 1, left * 1000) <= 0)
        return -1;
      got = read(g_out, buf + len, sizeof buf - len);
      if (got <= 0)
        return -1;
      len += (size_t)got;
    }
  }
}

static void command(const char *cmd) {
  size_t n = strlen(cmd);
  T_OK(write(g_in, cmd, n) == (ssize_t)n && write(g_in, "\n", 1) == 1);
}

/* "keys KID KID" or "rotated KID KID" into g_kids. */
static void take_kids(const char *line, const char *word) {
  size_t n = strlen(word);
  T_OK(strncmp(line, word, n) == 0 && line[n] == ' ');
  T_OK(sscanf(line + n + 1, "%63s %63s", g_kids[0], g_kids[1]) == 2);
  T_OK(strncmp(g_kids[0], "rs256-", 6) == 0);
  T_OK(strncmp(g_kids[1], "es256-", 6) == 0);
}

static void write_file(const char *name, const char *data, size_t len) {
  char path[512];
  FILE *f;
  path_in(name, path, sizeof path);
  f = fopen(path, "wb");
  T_OK(f != NULL);
  T_OK(fwrite(data, 1, len, f) == len);
  T_OK(fclose(f) == 0);
  T_OK(chmod(path, 0600) == 0);
}

/* The client key for private_key_jwt: its PEM for the RP, its public JWK
 * set for the OP's door-pk client. */
static void make_client_key(void) {
  door_buf pem, jwks;
  json_t *pub = NULL;
  door__buf_init(&pem, 65536);
  door__buf_init(&jwks, 65536);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &g_client_key), DOOR_OK);
  T_EQ_ERR(door__jwk_to_pem(g_client_key, 1, &pem), DOOR_OK);
  write_file("client.pem", pem.data, pem.len);
  T_EQ_ERR(door__jwk_public_json(g_client_key, 0, &pub), DOOR_OK);
  door__buf_puts(&jwks, "{\"keys\":[");
  T_EQ_ERR(door__json_dump(pub, &jwks), DOOR_OK);
  door__buf_puts(&jwks, "]}");
  json_decref(pub);
  write_file("client.jwks", jwks.data, jwks.len);
  door__buf_free(&pem);
  door__buf_free(&jwks);
}

static void test_start_op(void) {
  int in[2], out[2];
  char jwks[512], line[512];
  const char *tmp = getenv("TMPDIR");
  int n = snprintf(g_dir, sizeof g_dir, "%s/door-e2e-op.XXXXXX",
                   tmp && *tmp ? tmp : "/tmp");
  T_OK(n > 0 && (size_t)n < sizeof g_dir && mkdtemp(g_dir));
  make_client_key();
  path_in("client.jwks", jwks, sizeof jwks);
  T_OK(pipe(in) == 0 && pipe(out) == 0);
  fflush(stdout);
  g_pid = fork();
  T_OK(g_pid >= 0);
  if (g_pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execl(g_node, g_node, g_script, g_cert, g_key, jwks, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  g_in = in[1];
  g_out = out[0];
  /* The pinned Node loads oidc-provider and makes RSA keys: on a busy
   * machine that takes a while. */
  T_EQ_INT(read_line(line, sizeof line, 120), 0);
  T_OK(strncmp(line, "issuer https://127.0.0.1:", 25) == 0);
  T_OK(strlen(line + 7) < sizeof g_issuer);
  memcpy(g_issuer, line + 7, strlen(line + 7) + 1);
  T_EQ_INT(read_line(line, sizeof line, 30), 0);
  take_kids(line, "keys");
  T_EQ_INT(read_line(line, sizeof line, 30), 0);
  T_EQ_STR(line, "ready");
}

static void test_config(void) {
  door_buf t;
  door_errlist errs;
  door_rp_options o;
  door_detail d;
  char key[512];
  size_t i;
  path_in("client.pem", key, sizeof key);
  door__buf_init(&t, 1 << 16);
  door__buf_puts(&t, "[broker]\npublic_url = https://door.localhost\n"
                     "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                     "Hh8\nca_file = ");
  door__buf_puts(&t, g_ca);
  door__buf_puts(&t, "\n[store]\nurl = sqlite:unused.db\n"
                     "[provider \"oidcp\"]\ntype = generic\nissuer = ");
  door__buf_puts(&t, g_issuer);
  door__buf_puts(&t, "\nclient_id = door\n"
                     "client_secret = planted-secret-oidc-provider-door-"
                     "0123456789abcdef\n"
                     "scopes = openid email\nallowed_algs = RS256 ES256\n"
                     "userinfo = yes\nkeep_claims = email email_verified\n"
                     /* this embedder sends login_hint (docs/privacy.md) */
                     "manifest_extra = authorize:login_hint:user_identifier:"
                     "login\n"
                     "[provider \"oidcp-pk\"]\ntype = generic\nissuer = ");
  door__buf_puts(&t, g_issuer);
  door__buf_puts(&t, "\nclient_id = door-pk\n"
                     "token_auth_method = private_key_jwt\nclient_key_file = ");
  door__buf_puts(&t, key);
  door__buf_puts(&t, "\nallowed_algs = ES256\n"
                     "manifest_extra = authorize:login_hint:user_identifier:"
                     "login\n");
  door__errlist_init(&errs);
  if (door__config_load_mem("op.conf", t.data, t.len, NULL, &g_cfg, &errs)) {
    for (i = 0; i < errs.n; i++) {
      door_buf l;
      door__buf_init(&l, 4096);
      door__diag_format(&errs.items[i], &l);
      printf("# config: %s\n", door__buf_str(&l));
      door__buf_free(&l);
    }
  }
  door__errlist_free(&errs);
  door__buf_free(&t);
  T_OK(g_cfg != NULL);
  door_rp_options_init(&o);
  o.clock = rp_clock;
  T_EQ_ERR(door_rp_new(g_cfg, &o, &g_rp, &d), DOOR_OK);
}

static size_t on_discard(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

/* The browser: from the authorization URL through the OP's redirects (its
 * interaction page and back), cookies kept, until it is sent to our
 * callback.  Fills the callback's query. */
static void browse(const char *auth_url, const char *provider, char *query,
                   size_t cap) {
  CURL *c = curl_easy_init();
  char url[8192], callback[256];
  int hops;
  T_OK(c != NULL);
  T_OK(strlen(auth_url) < sizeof url);
  memcpy(url, auth_url, strlen(auth_url) + 1);
  snprintf(callback, sizeof callback, "%s%s?", CALLBACK_BASE, provider);
  curl_easy_setopt(c, CURLOPT_CAINFO, g_ca);
  curl_easy_setopt(c, CURLOPT_COOKIEFILE, ""); /* the cookie engine */
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_discard);
  for (hops = 0; hops < 10; hops++) {
    char *next = NULL;
    long status = 0;
    CURLcode rc;
    curl_easy_setopt(c, CURLOPT_URL, url);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
      printf("# curl: %s for %s\n", curl_easy_strerror(rc), url);
    T_EQ_INT(rc, CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
    if (!next)
      printf("# the OP answered %ld without a redirect at %s\n", status, url);
    T_OK(next != NULL && strlen(next) < sizeof url);
    if (strncmp(next, callback, strlen(callback)) == 0) {
      T_OK(strlen(next + strlen(callback)) < cap);
      memcpy(query, next + strlen(callback),
             strlen(next + strlen(callback)) + 1);
      curl_easy_cleanup(c);
      return;
    }
    /* Only the OP's own pages. */
    T_OK(strncmp(next, g_issuer, strlen(g_issuer)) == 0);
    memmove(url, next, strlen(next) + 1);
  }
  curl_easy_cleanup(c);
  T_FAIL_("no callback after %d redirects", hops);
}

/* A full login; the ID token's kid into kid. */
static void login(const char *provider, char *kid, size_t cap) {
  door_login_params p;
  door_login_start s;
  door_login_result r;
  door_detail d;
  char query[8192], cookie[4096];
  json_t *h;
  size_t n;
  door_err err;
  memset(&p, 0, sizeof p);
  p.provider = provider;
  p.login_hint = "alice";
  p.return_to = "/rooms/1";
  T_EQ_ERR(door_login_begin(g_rp, &p, &s, &d), DOOR_OK);
  T_OK(strncmp(s.authorization_url, g_issuer, strlen(g_issuer)) == 0);
  browse(s.authorization_url, provider, query, sizeof query);
  n = strcspn(s.set_cookie, ";");
  T_OK(n < sizeof cookie);
  memcpy(cookie, s.set_cookie, n);
  cookie[n] = '\0';
  door_login_start_clear(&s);
  err = door_login_finish(g_rp, provider, query, cookie, NULL, &r, &d);
  if (err)
    printf("# finish %s: %s (%s: %s)\n", provider, door_err_name(err), d.where,
           d.what);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_STR(r.provider, provider);
  T_EQ_STR(r.issuer, g_issuer);
  T_EQ_STR(r.subject, "alice");
  T_EQ_STR(r.return_to, "/rooms/1");
  if (strcmp(provider, "oidcp") == 0)
    T_EQ_STR(r.claims_json, "{\"sub\":\"alice\",\"email\":\"alice@example."
                            "test\",\"email_verified\":true}");
  T_OK(r.tokens.access_token && r.tokens.id_token);
  /* The kid of the key that signed the ID token. */
  {
    const char *dot = strchr(r.tokens.id_token, '.');
    unsigned char raw[1024];
    size_t rawlen;
    T_OK(dot != NULL);
    T_EQ_ERR(door__b64url_decode(r.tokens.id_token,
                                 (size_t)(dot - r.tokens.id_token), raw,
                                 sizeof raw - 1, &rawlen),
             DOOR_OK);
    T_EQ_ERR(door__json_parse((const char *)raw, rawlen, 4, &h, NULL), DOOR_OK);
    T_OK(json_string_value(json_object_get(h, "kid")) &&
         strlen(json_string_value(json_object_get(h, "kid"))) < cap);
    memcpy(kid, json_string_value(json_object_get(h, "kid")),
           strlen(json_string_value(json_object_get(h, "kid"))) + 1);
    json_decref(h);
  }
  door_login_result_clear(&r);
}

static void test_login(void) {
  char kid[64];
  login("oidcp", kid, sizeof kid);
  T_EQ_STR(kid, g_kids[0]); /* RS256 */
}

static void test_login_private_key_jwt(void) {
  char kid[64];
  login("oidcp-pk", kid, sizeof kid);
  T_EQ_STR(kid, g_kids[1]); /* ES256 */
}

/* The OP rotates: its JWKS holds only the new keys.  The cached set lacks
 * the new kids; once the refetch cooldown (60 s) has passed, one refetch
 * finds them. */
static void test_rotation(void) {
  char line[512], kid[64], old[2][64];
  memcpy(old, g_kids, sizeof old);
  command("rotate");
  T_EQ_INT(read_line(line, sizeof line, 60), 0);
  take_kids(line, "rotated");
  T_OK(strcmp(old[0], g_kids[0]) != 0 && strcmp(old[1], g_kids[1]) != 0);
  g_offset = 61;
  login("oidcp", kid, sizeof kid);
  T_EQ_STR(kid, g_kids[0]);
  login("oidcp-pk", kid, sizeof kid);
  T_EQ_STR(kid, g_kids[1]);
  g_offset = 0;
}

static void test_stop_op(void) {
  int status = -1, i;
  char path[512];
  door_rp_free(g_rp);
  g_rp = NULL;
  door__config_free(g_cfg);
  g_cfg = NULL;
  door__jwk_unref(g_client_key);
  g_client_key = NULL;
  if (g_in >= 0) {
    command("quit");
    close(g_in);
    g_in = -1;
  }
  for (i = 0; g_pid > 0 && i < 200; i++) {
    if (waitpid(g_pid, &status, WNOHANG) == g_pid) {
      g_pid = -1;
      break;
    }
    usleep(50000);
  }
  if (g_pid > 0) {
    kill(g_pid, SIGKILL);
    waitpid(g_pid, &status, 0);
    g_pid = -1;
    T_FAIL_("the OP did not exit within 10 s of quit");
  }
  if (g_out >= 0)
    close(g_out);
  g_out = -1;
  path_in("client.pem", path, sizeof path);
  unlink(path);
  path_in("client.jwks", path, sizeof path);
  unlink(path);
  rmdir(g_dir);
  T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_start_op), T_CASE(test_config),
      T_CASE(test_login),    T_CASE(test_login_private_key_jwt),
      T_CASE(test_rotation), T_CASE(test_stop_op),
  };
  int rc;
  if (argc < 6) {
    puts("1..1\nnot ok 1 - usage: PROG tests/node oidc-provider-op.mjs "
         "ca.pem server.pem server.key");
    return 1;
  }
  g_node = argv[1];
  g_script = argv[2];
  g_ca = argv[3];
  g_cert = argv[4];
  g_key = argv[5];
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  if (g_pid > 0) {
    kill(g_pid, SIGKILL);
    waitpid(g_pid, NULL, 0);
  }
  curl_global_cleanup();
  return rc;
}
