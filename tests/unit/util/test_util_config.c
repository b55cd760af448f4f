/* Configuration: syntax, schema, secrets, cross-checks, description. */
#include "t.h"

#include "util/config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

typedef struct res {
  door_config *cfg;
  door_errlist errs;
  door_err rc;
} res;

#define BASE                                                                   \
  "[broker]\n"                                                                 \
  "public_url = https://door.example.jp/\n"                                    \
  "[store]\n"                                                                  \
  "url = sqlite:door.db\n"
/* The same with [broker] last, for tests that add broker keys. */
#define BASE_BROKER_LAST                                                       \
  "[store]\n"                                                                  \
  "url = sqlite:door.db\n"                                                     \
  "[broker]\n"                                                                 \
  "public_url = https://door.example.jp/\n"
/* Both are lines 1-4; what follows starts on line 5. */

static void setup_dir(void);

static void load(res *r, const char *text) {
  setup_dir();
  door__errlist_init(&r->errs);
  r->cfg = NULL;
  r->rc = door__config_load_mem("t.ini", text, strlen(text), tmpdir, &r->cfg,
                                &r->errs);
}

static void done(res *r) {
  door__config_free(r->cfg);
  door__errlist_free(&r->errs);
  r->cfg = NULL;
}

static void dump(const res *r) {
  size_t i;
  door_buf b;
  door__buf_init(&b, 4096);
  for (i = 0; i < r->errs.n; i++) {
    door__buf_reset(&b);
    door__diag_format(&r->errs.items[i], &b);
    printf("#   %s [%s]\n", door__buf_str(&b),
           door_err_name(r->errs.items[i].d.code));
  }
  door__buf_free(&b);
}

/* Asserts the number of errors and warnings, listing them when wrong. */
#define T_COUNTS(r, ne, nw)                                                    \
  do {                                                                         \
    if ((r)->errs.nerrors != (size_t)(ne) ||                                   \
        (r)->errs.nwarnings != (size_t)(nw)) {                                 \
      dump(r);                                                                 \
      T_FAIL_("%zu errors, %zu warnings; want %d, %d", (r)->errs.nerrors,      \
              (r)->errs.nwarnings, (int)(ne), (int)(nw));                      \
    }                                                                          \
  } while (0)

static const door_diag *find(const res *r, const char *where, const char *key) {
  size_t i;
  for (i = 0; i < r->errs.n; i++) {
    const door_diag *g = &r->errs.items[i];
    if (strcmp(g->d.where, where) == 0 && strcmp(g->key, key ? key : "") == 0)
      return g;
  }
  return NULL;
}

/* Asserts a diagnostic at `where` about `key` with `code` whose what
 * contains `what` (or any what when NULL). */
#define T_DIAG(r, where_, key_, code_, what_)                                  \
  do {                                                                         \
    const char *t_w_ = (what_);                                                \
    const door_diag *t_g_ = find((r), (where_), (key_));                       \
    if (!t_g_) {                                                               \
      dump(r);                                                                 \
      T_FAIL_("no diagnostic at %s for key %s", (where_),                      \
              (key_) ? (const char *)(key_) : "-");                            \
    }                                                                          \
    T_EQ_ERR(t_g_->d.code, (code_));                                           \
    if (t_w_ && !strstr(t_g_->d.what, t_w_))                                   \
      T_FAIL_("what \"%s\" lacks \"%s\"", t_g_->d.what, t_w_);                 \
  } while (0)

static void write_file(const char *name, const char *content, int mode) {
  char path[256];
  int fd;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  unlink(path);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
    T_FAIL_("cannot write %s", path);
  close(fd);
  chmod(path, (mode_t)mode);
}

static void setup_dir(void) {
  if (tmpdir[0])
    return;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/door-config-test-XXXXXX");
  if (!mkdtemp(tmpdir))
    T_FAIL_("mkdtemp failed");
  write_file("ca.pem", "not really a certificate\n", 0644);
  write_file("people.csv", "alice\n", 0644);
  write_file("secret.txt", "s3cr3t-from-file\n", 0600);
  write_file("open-secret.txt", "world-readable\n", 0644);
  write_file("cookie.key",
             "000102030405060708090a0b0c0d0e0f"
             "101112131415161718191a1b1c1d1e1f\n",
             0600);
  write_file("empty.txt", "", 0600);
}

static void cleanup_dir(void) {
  static const char *const names[] = {"ca.pem",     "people.csv",
                                      "secret.txt", "open-secret.txt",
                                      "cookie.key", "empty.txt"};
  char path[256];
  size_t i;
  for (i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
    unlink(path);
  }
  rmdir(tmpdir);
}

/* ---- scalar parsers ------------------------------------------------------ */

static void test_parse_duration(void) {
  int64_t s = -1;
  T_EQ_ERR(door__config_parse_duration("90", &s), DOOR_OK);
  T_EQ_INT(s, 90);
  T_EQ_ERR(door__config_parse_duration("90s", &s), DOOR_OK);
  T_EQ_INT(s, 90);
  T_EQ_ERR(door__config_parse_duration("10m", &s), DOOR_OK);
  T_EQ_INT(s, 600);
  T_EQ_ERR(door__config_parse_duration("1h", &s), DOOR_OK);
  T_EQ_INT(s, 3600);
  T_EQ_ERR(door__config_parse_duration("7d", &s), DOOR_OK);
  T_EQ_INT(s, 604800);
  T_EQ_ERR(door__config_parse_duration("0", &s), DOOR_OK);
  T_EQ_INT(s, 0);
  T_EQ_ERR(door__config_parse_duration("", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("s", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("-1", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("1.5h", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("1h30m", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("10 m", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("10M", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("10x", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("1w", &s), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("999999999999999999d", &s),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_duration("9999999999999999999", &s),
           DOOR_ECONFIG_VALUE);
}

static void test_parse_bool(void) {
  static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True"};
  static const char *const no[] = {"no", "false", "off", "0", "No", "OFF"};
  static const char *const bad[] = {"", "y", "n", "2", "yess", "enable"};
  size_t i;
  int b;
  for (i = 0; i < 6; i++) {
    b = -1;
    T_EQ_ERR(door__config_parse_bool(yes[i], &b), DOOR_OK);
    T_EQ_INT(b, 1);
    T_EQ_ERR(door__config_parse_bool(no[i], &b), DOOR_OK);
    T_EQ_INT(b, 0);
    T_EQ_ERR(door__config_parse_bool(bad[i], &b), DOOR_ECONFIG_VALUE);
  }
}

static void test_parse_time(void) {
  int64_t t = 0;
  T_EQ_ERR(door__config_parse_time("1970-01-01T00:00:00Z", &t), DOOR_OK);
  T_EQ_INT(t, 0);
  T_EQ_ERR(door__config_parse_time("2025-03-01T18:00:00+09:00", &t), DOOR_OK);
  T_EQ_INT(t, 1740819600);
  T_EQ_ERR(door__config_parse_time("2025-03-01T09:00:00.250z", &t), DOOR_OK);
  T_EQ_INT(t, 1740819600);
  T_EQ_ERR(door__config_parse_time("2024-02-29t12:00:00-05:30", &t), DOOR_OK);
  T_EQ_INT(t, 1709227800);
  T_EQ_ERR(door__config_parse_time("1969-12-31T23:59:59Z", &t), DOOR_OK);
  T_EQ_INT(t, -1);
  T_EQ_ERR(door__config_parse_time("2025-02-29T00:00:00Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-04-31T00:00:00Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-13-01T00:00:00Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01T24:00:00Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01T18:00:00", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01 18:00:00Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01", &t), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-3-1T18:00:00Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01T18:00:00+0900", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01T18:00:00.Z", &t),
           DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_parse_time("2025-03-01T18:00:00Zjunk", &t),
           DOOR_ECONFIG_VALUE);
}

static void test_key32(void) {
  door_config_secret s;
  unsigned char k[32];
  memset(&s, 0, sizeof s);
  s.value = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
  s.len = strlen(s.value);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_OK);
  T_EQ_INT(k[0], 0);
  T_EQ_INT(k[26], 0x1a);
  T_EQ_INT(k[31], 0x1f);
  /* The same 32 bytes in base64url, with and without padding. */
  s.value = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  s.len = strlen(s.value);
  memset(k, 0xff, sizeof k);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_OK);
  T_EQ_INT(k[0], 0);
  T_EQ_INT(k[31], 0x1f);
  s.value = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  s.len = strlen(s.value);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_OK);
  /* Non-zero trailing bits, bad characters, wrong lengths. */
  s.value = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9";
  s.len = strlen(s.value);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_ECONFIG_VALUE);
  s.value = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+";
  s.len = strlen(s.value);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_ECONFIG_VALUE);
  s.value = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g";
  s.len = strlen(s.value);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_ECONFIG_VALUE);
  s.value = "00010203";
  s.len = strlen(s.value);
  T_EQ_ERR(door__config_key32(&s, k), DOOR_ECONFIG_VALUE);
  T_EQ_ERR(door__config_key32(NULL, k), DOOR_ECONFIG_VALUE);
}

/* ---- whole files --------------------------------------------------------- */

static const char good[] =
    "# doorauth test configuration\n"                        /* 1 */
    "[broker]\n"                                             /* 2 */
    "public_url = https://door.example.jp/\n"                /* 3 */
    "  listen = 0.0.0.0:9000   ; indented, with a comment\n" /* 4 */
    "return_to_allow = https://app.example.jp, https://x.example.jp/app/\n"
    "ca_file = ca.pem\n"                            /* 6 */
    "clock_skew = 30s\n"                            /* 7 */
    "log_level = debug\n"                           /* 8 */
    "log_format = json\n"                           /* 9 */
    "cookie_key_file = cookie.key\n"                /* 10 */
    "threads = 8\n"                                 /* 11 */
    "session_idle = 1h\n"                           /* 12 */
    "\n"                                            /* 13 */
    "[store]\n"                                     /* 14 */
    "url = postgres://door:pw@db.example.jp/door\n" /* 15 */
    "pool_size = 16\n"                              /* 16 */
    "[provider \"daccount\"]\n"                     /* 17 */
    "type = daccount\n"                             /* 18 */
    "issuer = https://conf.uw.docomo.ne.jp/\n"      /* 19 */
    "client_id = door-client\n"                     /* 20 */
    "client_secret_file = secret.txt\n"             /* 21 */
    "scopes = openid, profile\n"                    /* 22 */
    "allowed_algs = RS256 HS256\n"                  /* 23 */
    "accept_hs256 = yes\n"                          /* 24 */
    "authif = 1\n"                                  /* 25 */
    "extra_params = prompt=login&ui_locales=ja\n"   /* 26 */
    "keep_claims = sub\n"                           /* 27 */
    "[provider \"xmarket\"]\n"                      /* 28 */
    "type = xmarket\n"                              /* 29 */
    "issuer = https://xmarket.example/\n"           /* 30 */
    "client_id = xm\n"                              /* 31 */
    "client_secret = env:DOOR_TEST_XM_SECRET\n"     /* 32 */
    "tickets_endpoint = https://xmarket.example/api/tickets\n"
    "token_auth_method = client_secret_post\n" /* 34 */
    "[event \"live-2025\"]\n"                  /* 35 */
    "title = Live 2025\n"                      /* 36 */
    "start = 2025-03-01T18:00:00+09:00\n"      /* 37 */
    "end = 2025-03-01T21:00:00+09:00\n"        /* 38 */
    "providers = daccount xmarket\n"           /* 39 */
    "tiers = vip, XM_GOLD=vip\n"               /* 40 */
    "participants_file = people.csv\n"         /* 41 */
    "single_use = yes\n";                      /* 42 */

static void test_good_file(void) {
  res r;
  const door_broker_config *b;
  const door_provider_config *p;
  const door_event_config *e;
  const door_config_value *v;
  char path[256];
  setup_dir();
  setenv("DOOR_TEST_XM_SECRET", "xm-secret-from-env", 1);
  load(&r, good);
  T_COUNTS(&r, 0, 0);
  T_EQ_ERR(r.rc, DOOR_OK);
  T_OK(r.cfg != NULL);
  b = &r.cfg->broker;
  T_EQ_STR(b->public_url, "https://door.example.jp/");
  T_EQ_STR(b->listen, "0.0.0.0:9000");
  T_EQ_INT(b->return_to_allow.n, 2);
  T_EQ_STR(b->return_to_allow.items[1], "https://x.example.jp/app/");
  snprintf(path, sizeof path, "%s/ca.pem", tmpdir);
  T_EQ_STR(b->ca_file, path);
  T_EQ_INT(b->clock_skew, 30);
  T_EQ_STR(b->state_dir, "/var/lib/doorauth");
  T_EQ_INT(b->log_level, 0);
  T_EQ_INT(b->log_format, 1);
  T_EQ_INT(b->session_idle, 3600);
  T_EQ_INT(b->session_absolute, 7 * 86400);
  T_OK(b->cookie_key != NULL);
  T_EQ_INT(b->cookie_key->source, DOOR_SECRET_FILE);
  T_EQ_INT(b->cookie_key->len, 64);
  T_OK(b->tls_cert == NULL && b->tls_key == NULL);
  T_EQ_INT(b->threads, 8);
  T_EQ_INT(b->allow_insecure_loopback, 0);
  T_EQ_INT(b->login_timeout, 600);
  T_EQ_STR(r.cfg->store.url, "postgres://door:pw@db.example.jp/door");
  T_EQ_INT(r.cfg->store.pool_size, 16);
  T_EQ_INT(r.cfg->store.transmission_retention, 90 * 86400);
  T_EQ_INT(r.cfg->nproviders, 2);
  p = door__config_provider(r.cfg, "daccount");
  T_OK(p != NULL);
  T_EQ_INT(p->line, 17);
  T_EQ_INT(p->type, DOOR_PROVIDER_DACCOUNT);
  T_EQ_STR(p->issuer, "https://conf.uw.docomo.ne.jp/");
  T_EQ_STR(p->client_id, "door-client");
  T_EQ_INT(p->client_secret->source, DOOR_SECRET_FILE);
  T_EQ_STR(p->client_secret->value, "s3cr3t-from-file");
  T_EQ_INT(p->client_secret->len, 16);
  T_EQ_INT(p->scopes.n, 2);
  T_EQ_STR(p->scopes.items[1], "profile");
  T_EQ_INT(p->allowed_algs.n, 2);
  T_EQ_INT(p->token_auth_method, DOOR_TOKEN_AUTH_CLIENT_SECRET_BASIC);
  T_EQ_INT(p->discovery, 1);
  T_EQ_INT(p->pkce, 1);
  T_EQ_INT(p->userinfo, 0);
  T_EQ_INT(p->id_token_max_age, 600);
  T_EQ_STR(p->extra_params, "prompt=login&ui_locales=ja");
  T_OK(p->display_name == NULL);
  v = door__config_provider_value(p, "authif");
  T_OK(v != NULL && v->set);
  T_EQ_STR(v->text, "1");
  T_EQ_INT(v->line, 25);
  v = door__config_provider_value(p, "token_path");
  T_OK(v != NULL && v->set);
  T_EQ_STR(v->text, "/token");
  T_EQ_INT(v->line, 0);
  T_OK(door__config_provider_value(p, "tickets_endpoint") == NULL);
  p = door__config_provider(r.cfg, "xmarket");
  T_OK(p != NULL);
  T_EQ_INT(p->type, DOOR_PROVIDER_XMARKET);
  T_EQ_INT(p->client_secret->source, DOOR_SECRET_ENV);
  T_EQ_STR(p->client_secret->origin, "DOOR_TEST_XM_SECRET");
  T_EQ_STR(p->client_secret->value, "xm-secret-from-env");
  T_EQ_INT(p->token_auth_method, DOOR_TOKEN_AUTH_CLIENT_SECRET_POST);
  T_EQ_INT(p->allowed_algs.n, 1);
  T_EQ_STR(p->allowed_algs.items[0], "RS256");
  T_EQ_STR(door__config_provider_value(p, "tickets_scope")->text, "tickets");
  T_OK(door__config_provider(r.cfg, "nope") == NULL);
  T_EQ_INT(r.cfg->nevents, 1);
  e = door__config_event(r.cfg, "live-2025");
  T_OK(e != NULL);
  T_EQ_STR(e->title, "Live 2025");
  T_EQ_INT(e->start, 1740819600);
  T_EQ_INT(e->end, 1740819600 + 3 * 3600);
  T_EQ_INT(e->providers.n, 2);
  T_EQ_INT(e->tiers.n, 2);
  T_EQ_STR(e->tiers.items[1], "XM_GOLD=vip");
  T_EQ_INT(e->single_use, 1);
  T_EQ_INT(e->token_lifetime, 300);
  done(&r);
  unsetenv("DOOR_TEST_XM_SECRET");
}

static void test_describe_hides_secrets(void) {
  res r;
  door_buf b;
  const char *s;
  setup_dir();
  setenv("DOOR_TEST_XM_SECRET", "xm-secret-from-env", 1);
  load(&r, good);
  T_COUNTS(&r, 0, 0);
  door__buf_init(&b, 1 << 16);
  T_EQ_ERR(door__config_describe(r.cfg, &b), DOOR_OK);
  s = door__buf_str(&b);
  T_OK(strstr(s, "s3cr3t") == NULL);
  T_OK(strstr(s, "xm-secret-from-env") == NULL);
  T_OK(strstr(s, "000102") == NULL);
  T_OK(strstr(s, ":pw@") == NULL);
  T_OK(strstr(s, "url = postgres://door:(hidden)@db.example.jp/door") != NULL);
  T_OK(strstr(s, "(secret from environment variable DOOR_TEST_XM_SECRET)") !=
       NULL);
  T_OK(strstr(s, "client_secret = (secret from file /tmp/door-config-test-") !=
       NULL);
  T_OK(strstr(s, "# configuration from t.ini: 2 providers, 1 event\n") == s);
  T_OK(strstr(s, "\n[provider \"daccount\"]") != NULL);
  T_OK(strstr(s, "  clock_skew = 30s") != NULL);
  T_OK(strstr(s, "  session_absolute = 7d") != NULL);
  T_OK(strstr(s, "  listen = 0.0.0.0:9000") != NULL);
  T_OK(strstr(s, "  token_path = /token") != NULL);
  T_OK(strstr(s, "  accept_hs256 = yes") != NULL);
  T_OK(strstr(s, "  keep_claims = sub") != NULL);
  T_OK(strstr(s, "# line 7\n") != NULL);
  T_OK(strstr(s, "# default\n") != NULL);
  door__buf_free(&b);
  done(&r);
  unsetenv("DOOR_TEST_XM_SECRET");
}

static void test_minimal_file_and_defaults(void) {
  res r;
  load(&r, BASE);
  T_COUNTS(&r, 0, 0);
  T_EQ_STR(r.cfg->broker.listen, "127.0.0.1:8080");
  T_EQ_INT(r.cfg->broker.clock_skew, 60);
  T_EQ_INT(r.cfg->broker.threads, 4);
  T_EQ_INT(r.cfg->broker.log_level, 1);
  T_EQ_INT(r.cfg->broker.log_format, 0);
  T_EQ_INT(r.cfg->broker.session_idle, 7200);
  T_OK(r.cfg->broker.cookie_key == NULL);
  T_EQ_INT(r.cfg->broker.return_to_allow.n, 0);
  T_EQ_INT(r.cfg->nproviders, 0);
  T_EQ_STR(r.cfg->store.url, "sqlite:door.db");
  done(&r);
}

static void test_missing_sections_and_keys(void) {
  res r;
  load(&r, "");
  T_EQ_ERR(r.rc, DOOR_ECONFIG);
  T_OK(r.cfg == NULL);
  T_COUNTS(&r, 2, 0);
  T_DIAG(&r, "t.ini", NULL, DOOR_ECONFIG_MISSING, "no [broker] section");
  done(&r);
  load(&r, "[broker]\n"
           "[store]\n"
           "[provider \"p\"]\n"
           "[event \"e\"]\n");
  T_COUNTS(&r, 9, 0);
  T_DIAG(&r, "t.ini:1", "public_url", DOOR_ECONFIG_MISSING,
         "missing required key in [broker]");
  T_DIAG(&r, "t.ini:2", "url", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:3", "type", DOOR_ECONFIG_MISSING,
         "missing required key in [provider \"p\"]");
  T_DIAG(&r, "t.ini:3", "issuer", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:3", "client_id", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:3", "client_secret", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:4", "title", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:4", "start", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:4", "end", DOOR_ECONFIG_MISSING, NULL);
  done(&r);
}

static void test_syntax_errors_with_lines(void) {
  res r;
  load(&r, "stray = 1\n"                    /* 1: outside any section */
       BASE                                 /* 2-5 */
           "just some words\n"              /* 6 */
           "= value\n"                      /* 7 */
           "key: value\n"                   /* 8 */
           "pool_size = 4\n"                /* 9: fine */
           "bad\x01char = 1\n"              /* 10 */
           "# comment\n"                    /* 11 */
           "; comment\n"                    /* 12 */
           "  \t  \n"                       /* 13 */
           "[store\n"                       /* 14 */
           "k = v\n"                        /* 15: in a refused section */
           "[store] junk\n"                 /* 16 */
           "[broker] # a comment is fine\n" /* 17: duplicate */
           "[broker];x\n");                 /* 18: duplicate too */
  T_EQ_ERR(r.rc, DOOR_ECONFIG);
  T_DIAG(&r, "t.ini:1", NULL, DOOR_ECONFIG_SYNTAX, "key outside any section");
  T_DIAG(&r, "t.ini:6", NULL, DOOR_ECONFIG_SYNTAX, "expected 'key = value'");
  T_DIAG(&r, "t.ini:7", NULL, DOOR_ECONFIG_SYNTAX, "expected 'key = value'");
  T_DIAG(&r, "t.ini:8", NULL, DOOR_ECONFIG_SYNTAX, "expected 'key = value'");
  T_DIAG(&r, "t.ini:10", NULL, DOOR_ECONFIG_SYNTAX, "control character");
  T_DIAG(&r, "t.ini:14", NULL, DOOR_ECONFIG_SYNTAX, "without ']'");
  T_DIAG(&r, "t.ini:16", NULL, DOOR_ECONFIG_SYNTAX, "text after");
  T_DIAG(&r, "t.ini:17", NULL, DOOR_ECONFIG_DUPLICATE,
         "duplicate section [broker]");
  T_OK(strstr(find(&r, "t.ini:17", NULL)->d.hint, "first given on line 2"));
  T_DIAG(&r, "t.ini:18", NULL, DOOR_ECONFIG_DUPLICATE, NULL);
  T_COUNTS(&r, 9, 0);
  done(&r);
}

static void test_crlf_bom_and_no_final_newline(void) {
  res r;
  load(&r, "\xEF\xBB\xBF[broker]\r\npublic_url = https://d.example/\r\n"
           "[store]\r\nurl = sqlite:x.db");
  T_COUNTS(&r, 0, 0);
  T_EQ_STR(r.cfg->broker.public_url, "https://d.example/");
  T_EQ_STR(r.cfg->store.url, "sqlite:x.db");
  done(&r);
  /* A NUL byte inside the file is a control character. */
  {
    static const char nul[] = BASE "threads = 4\0junk\n";
    door__errlist_init(&r.errs);
    r.rc = door__config_load_mem("t.ini", nul, sizeof nul - 1, NULL, &r.cfg,
                                 &r.errs);
    T_COUNTS(&r, 1, 0);
    T_DIAG(&r, "t.ini:5", NULL, DOOR_ECONFIG_SYNTAX, "control character");
    done(&r);
  }
}

static void test_long_lines(void) {
  static const char times[] =
      "\nstart = 2025-01-01T00:00:00Z\nend = 2025-01-02T00:00:00Z\n";
  char text[2048];
  char name[200];
  res r;
  size_t n = strlen("title = ");
  /* 198 characters: accepted. */
  memset(name, 'x', 198 - n);
  name[198 - n] = '\0';
  snprintf(text, sizeof text, BASE "[event \"e\"]\ntitle = %s%s", name, times);
  load(&r, text);
  T_COUNTS(&r, 0, 0);
  T_EQ_INT(strlen(r.cfg->events[0].title), 198 - n);
  done(&r);
  /* 199 characters: refused, naming the line, and nothing truncated. */
  snprintf(text, sizeof text, BASE "[event \"e\"]\ntitle = x%s%s", name, times);
  load(&r, text);
  T_DIAG(&r, "t.ini:6", NULL, DOOR_ECONFIG_SYNTAX,
         "line is longer than 198 characters");
  /* ... and title counts as missing: the long line was not used. */
  T_DIAG(&r, "t.ini:5", "title", DOOR_ECONFIG_MISSING, NULL);
  T_COUNTS(&r, 2, 0);
  done(&r);
  /* A 1000-character comment is refused as well. */
  memset(text, '#', 1000);
  snprintf(text + 1000, sizeof text - 1000, "\n" BASE);
  load(&r, text);
  T_DIAG(&r, "t.ini:1", NULL, DOOR_ECONFIG_SYNTAX, "longer than 198");
  T_COUNTS(&r, 1, 0);
  done(&r);
  /* A key name longer than libinih's name buffer. */
  memset(name, 'k', 60);
  name[60] = '\0';
  snprintf(text, sizeof text, BASE "%s = 1\n", name);
  load(&r, text);
  T_DIAG(&r, "t.ini:5", NULL, DOOR_ECONFIG_SYNTAX, "key name is too long");
  T_COUNTS(&r, 1, 0);
  done(&r);
}

static void test_bad_section_names(void) {
  res r;
  load(&r,
       BASE "[provider daccount]\n"     /* 5 */
            "type = daccount\n"         /* 6: ignored */
            "[provider \"Bad Name\"]\n" /* 7 */
            "[provider \"\"]\n"         /* 8 */
            "[provider]\n"              /* 9 */
            "[broker \"x\"]\n"          /* 10 */
            "[brokr]\n"                 /* 11 */
            "bogus = 1\n"               /* 12: ignored */
            "[event \"a\"b\"]\n"        /* 13 */
            "[provider \"abcdefghijabcdefghijabcdefghijabc\"]\n" /* 14: 33 */
            "[Provider \"x\"]\n"                                 /* 15 */
            "[event 'x']\n");                                    /* 16 */
  T_DIAG(&r, "t.ini:5", NULL, DOOR_ECONFIG_SYNTAX,
         "[provider] needs its name in double quotes");
  T_EQ_STR(find(&r, "t.ini:5", NULL)->d.hint, "write [provider \"NAME\"]");
  T_DIAG(&r, "t.ini:7", NULL, DOOR_ECONFIG_SYNTAX,
         "bad provider NAME 'Bad Name'");
  T_EQ_STR(find(&r, "t.ini:7", NULL)->d.hint,
           "use 1 to 32 characters of a-z 0-9 _ -");
  T_DIAG(&r, "t.ini:8", NULL, DOOR_ECONFIG_SYNTAX, "bad provider NAME ''");
  T_DIAG(&r, "t.ini:9", NULL, DOOR_ECONFIG_SYNTAX, "[provider] needs a name");
  T_DIAG(&r, "t.ini:10", NULL, DOOR_ECONFIG_SYNTAX, "[broker] takes no name");
  T_DIAG(&r, "t.ini:11", NULL, DOOR_ECONFIG_UNKNOWN, "unknown section 'brokr'");
  T_OK(strncmp(find(&r, "t.ini:11", NULL)->d.hint, "did you mean [broker]? ",
               23) == 0);
  T_DIAG(&r, "t.ini:13", NULL, DOOR_ECONFIG_SYNTAX, "double quotes");
  T_DIAG(&r, "t.ini:14", NULL, DOOR_ECONFIG_SYNTAX, "bad provider NAME");
  T_DIAG(&r, "t.ini:15", NULL, DOOR_ECONFIG_UNKNOWN, "'Provider'");
  T_DIAG(&r, "t.ini:16", NULL, DOOR_ECONFIG_SYNTAX, "double quotes");
  T_COUNTS(&r, 10, 0);
  done(&r);
  /* Whitespace inside the brackets is fine; 32 characters are fine. */
  load(&r, BASE "[ event   \"abcdefghijabcdefghijabcdefghi-_1\" ]\n"
                "title = t\nstart = 2025-01-01T00:00:00Z\n"
                "end = 2025-01-01T01:00:00Z\n");
  T_COUNTS(&r, 0, 0);
  T_EQ_STR(r.cfg->events[0].id, "abcdefghijabcdefghijabcdefghi-_1");
  done(&r);
}

static void test_duplicates(void) {
  res r;
  load(&r, BASE "threads = 4\n"      /* 5: [store] has no threads */
                "[provider \"p\"]\n" /* 6 */
                "type = generic\n"   /* 7 */
                "issuer = https://i.example/\n"
                "client_id = a\n"                   /* 9 */
                "client_id = b\n"                   /* 10 */
                "client_secret = x\n"               /* 11 */
                "client_secret_file = secret.txt\n" /* 12 */
                "scopes = openid openid\n"          /* 13 */
                "[provider \"p\"]\n"                /* 14 */
                "client_id = c\n");                 /* 15: ignored */
  T_DIAG(&r, "t.ini:5", "threads", DOOR_ECONFIG_UNKNOWN,
         "unknown key in [store]");
  T_DIAG(&r, "t.ini:10", "client_id", DOOR_ECONFIG_DUPLICATE,
         "duplicate key in [provider \"p\"]");
  T_EQ_STR(find(&r, "t.ini:10", "client_id")->d.hint,
           "first given on line 9; keep one");
  T_DIAG(&r, "t.ini:12", "client_secret_file", DOOR_ECONFIG_CONFLICT,
         "both client_secret and client_secret_file are given");
  T_DIAG(&r, "t.ini:13", "scopes", DOOR_ECONFIG_VALUE,
         "item 'openid' is listed twice");
  T_DIAG(&r, "t.ini:14", NULL, DOOR_ECONFIG_DUPLICATE,
         "duplicate section [provider \"p\"]");
  T_COUNTS(&r, 5, 0);
  done(&r);
}

static void test_unknown_keys(void) {
  res r;
  load(&r, BASE "[provider \"d\"]\n"            /* 5 */
                "type = daccount\n"             /* 6 */
                "issuer = https://i.example/\n" /* 7 */
                "client_id = a\n"               /* 8 */
                "client_secret = s\n"           /* 9 */
                "client_secert = s\n"           /* 10 */
                "tickets_scope = t\n"           /* 11 */
                "foo = bar\n"                   /* 12 */
                "Issuer = https://i.example/\n" /* 13 */
                "client_secret_fil = x\n"       /* 14 */
                "[provider \"x\"]\n"            /* 15 */
                "type = nonsense\n"             /* 16 */
                "authif = 1\n"                  /* 17: no type: not reported */
                "issuer = https://i.example/\n" /* 18 */
                "client_id = a\n"               /* 19 */
                "client_secret = s\n");         /* 20 */
  T_DIAG(&r, "t.ini:10", "client_secert", DOOR_ECONFIG_UNKNOWN,
         "unknown key in [provider \"d\"]");
  T_EQ_STR(find(&r, "t.ini:10", "client_secert")->d.hint,
           "did you mean 'client_secret'?");
  T_DIAG(&r, "t.ini:11", "tickets_scope", DOOR_ECONFIG_UNKNOWN,
         "key only for providers of type xmarket");
  T_EQ_STR(find(&r, "t.ini:11", "tickets_scope")->d.hint,
           "this provider's type is daccount");
  T_DIAG(&r, "t.ini:12", "foo", DOOR_ECONFIG_UNKNOWN, NULL);
  T_OK(strncmp(find(&r, "t.ini:12", "foo")->d.hint,
               "valid keys: type, issuer, client_id, client_secret, "
               "client_secret_file, scopes,",
               70) == 0);
  T_OK(strlen(find(&r, "t.ini:12", "foo")->d.hint) < 192);
  T_DIAG(&r, "t.ini:13", "Issuer", DOOR_ECONFIG_UNKNOWN, NULL);
  T_EQ_STR(find(&r, "t.ini:13", "Issuer")->d.hint, "did you mean 'issuer'?");
  T_EQ_STR(find(&r, "t.ini:14", "client_secret_fil")->d.hint,
           "did you mean 'client_secret_file'?");
  T_DIAG(&r, "t.ini:16", "type", DOOR_ECONFIG_VALUE,
         "unknown value 'nonsense'");
  T_EQ_STR(find(&r, "t.ini:16", "type")->d.hint,
           "one of: generic, daccount, xmarket");
  T_COUNTS(&r, 6, 0);
  done(&r);
}

static void test_bad_values(void) {
  res r;
  setup_dir();
  load(&r, "[broker]\n"                                     /* 1 */
           "public_url = https://door example/\n"           /* 2 */
           "listen = 127.0.0.1\n"                           /* 3 */
           "threads = 0\n"                                  /* 4 */
           "clock_skew = 10x\n"                             /* 5 */
           "session_idle = 1h30m\n"                         /* 6 */
           "log_level = INFO\n"                             /* 7 */
           "log_format = yaml\n"                            /* 8 */
           "allow_insecure_loopback = maybe\n"              /* 9 */
           "ca_file = missing.pem\n"                        /* 10 */
           "tls_cert = .\n"                                 /* 11 */
           "return_to_allow = http://app.example\n"         /* 12 */
           "login_timeout = 5\n"                            /* 13 */
           "state_dir =\n"                                  /* 14 */
           "cookie_key = too-short\n"                       /* 15 */
           "[store]\n"                                      /* 16 */
           "url = mysql://u:hunter2@db/x\n"                 /* 17 */
           "pool_size = 1.5\n"                              /* 18 */
           "transmission_retention = -1d\n"                 /* 19 */
           "[provider \"p\"]\n"                             /* 20 */
           "type = generic\n"                               /* 21 */
           "issuer = ftp://i.example/\n"                    /* 22 */
           "client_id = a\n"                                /* 23 */
           "client_secret = env:1BAD\n"                     /* 24 */
           "scopes = profile email\n"                       /* 25 */
           "allowed_algs = rs256\n"                         /* 26 */
           "extra_params = a=%zz\n"                         /* 27 */
           "jwks_uri = https://i.example/jwks#frag\n"       /* 28 */
           "token_endpoint = https://u:p@i.example/token\n" /* 29 */
           "keep_claims = sub na\"me\n"                     /* 30 */
           "pkce = nah\n"                                   /* 31 */
           "token_auth_method = Client_Secret_Basic\n"      /* 32 */
           "[event \"e\"]\n"                                /* 33 */
           "title = t\n"                                    /* 34 */
           "start = 2025-02-30T00:00:00Z\n"                 /* 35 */
           "end = tomorrow\n"                               /* 36 */
           "tiers = =x a=b=c\n"                             /* 37 */
           "providers = p Q\n"                              /* 38 */
           "participants_file = nothere.csv\n");            /* 39 */
  T_DIAG(&r, "t.ini:2", "public_url", DOOR_ECONFIG_VALUE,
         "bad URL: space in URL at URL byte 12");
  T_DIAG(&r, "t.ini:3", "listen", DOOR_ECONFIG_VALUE,
         "bad listen address '127.0.0.1'");
  T_DIAG(&r, "t.ini:4", "threads", DOOR_ECONFIG_VALUE, "out of range: '0'");
  T_EQ_STR(find(&r, "t.ini:4", "threads")->d.hint, "use a value from 1 to 256");
  T_DIAG(&r, "t.ini:5", "clock_skew", DOOR_ECONFIG_VALUE,
         "not a duration: '10x'");
  T_DIAG(&r, "t.ini:6", "session_idle", DOOR_ECONFIG_VALUE, "not a duration");
  T_DIAG(&r, "t.ini:7", "log_level", DOOR_ECONFIG_VALUE,
         "unknown value 'INFO'");
  T_EQ_STR(find(&r, "t.ini:7", "log_level")->d.hint,
           "did you mean 'info'? one of: debug, info, warn, error");
  T_DIAG(&r, "t.ini:8", "log_format", DOOR_ECONFIG_VALUE, "'yaml'");
  T_DIAG(&r, "t.ini:9", "allow_insecure_loopback", DOOR_ECONFIG_VALUE,
         "not a boolean: 'maybe'");
  T_DIAG(&r, "t.ini:10", "ca_file", DOOR_ECONFIG_VALUE, "cannot read ");
  T_OK(strstr(find(&r, "t.ini:10", "ca_file")->d.what,
              "missing.pem': No such file or directory"));
  T_DIAG(&r, "t.ini:11", "tls_cert", DOOR_ECONFIG_VALUE, "not a regular file");
  T_DIAG(&r, "t.ini:12", "return_to_allow", DOOR_ECONFIG_VALUE, "is not https");
  T_DIAG(&r, "t.ini:13", "login_timeout", DOOR_ECONFIG_VALUE, "out of range");
  T_EQ_STR(find(&r, "t.ini:13", "login_timeout")->d.hint,
           "use a value from 10s to 1d");
  T_DIAG(&r, "t.ini:14", "state_dir", DOOR_ECONFIG_VALUE, "empty value");
  T_DIAG(&r, "t.ini:15", "cookie_key", DOOR_ECONFIG_VALUE,
         "cookie_key is not 32 bytes");
  T_DIAG(&r, "t.ini:17", "url", DOOR_ECONFIG_VALUE, "unknown store URL scheme");
  T_OK(strstr(find(&r, "t.ini:17", "url")->d.what, "hunter2") == NULL);
  T_DIAG(&r, "t.ini:18", "pool_size", DOOR_ECONFIG_VALUE,
         "not an integer: '1.5'");
  T_DIAG(&r, "t.ini:19", "transmission_retention", DOOR_ECONFIG_VALUE,
         "not a duration");
  T_DIAG(&r, "t.ini:22", "issuer", DOOR_ECONFIG_VALUE,
         "URL scheme 'ftp' is not http or https");
  T_DIAG(&r, "t.ini:24", "client_secret", DOOR_ECONFIG_VALUE,
         "bad environment variable name '1BAD'");
  T_DIAG(&r, "t.ini:25", "scopes", DOOR_ECONFIG_VALUE, "scopes lack openid");
  T_DIAG(&r, "t.ini:26", "allowed_algs", DOOR_ECONFIG_VALUE,
         "unknown item 'rs256'");
  T_OK(strncmp(find(&r, "t.ini:26", "allowed_algs")->d.hint,
               "did you mean 'RS256'?", 21) == 0);
  T_DIAG(&r, "t.ini:27", "extra_params", DOOR_ECONFIG_VALUE,
         "extra_params is not form data");
  T_DIAG(&r, "t.ini:28", "jwks_uri", DOOR_ECONFIG_VALUE, "fragment");
  T_DIAG(&r, "t.ini:29", "token_endpoint", DOOR_ECONFIG_VALUE,
         "URL has a user name");
  T_DIAG(&r, "t.ini:30", "keep_claims", DOOR_ECONFIG_VALUE,
         "bad claim name 'na\"me'");
  T_DIAG(&r, "t.ini:31", "pkce", DOOR_ECONFIG_VALUE, "not a boolean");
  T_DIAG(&r, "t.ini:32", "token_auth_method", DOOR_ECONFIG_VALUE,
         "unknown value");
  T_DIAG(&r, "t.ini:35", "start", DOOR_ECONFIG_VALUE,
         "not an RFC 3339 timestamp: '2025-02-30T00:00:00Z'");
  T_DIAG(&r, "t.ini:36", "end", DOOR_ECONFIG_VALUE, "'tomorrow'");
  T_DIAG(&r, "t.ini:37", "tiers", DOOR_ECONFIG_VALUE, "bad tier '=x'");
  T_DIAG(&r, "t.ini:38", "providers", DOOR_ECONFIG_VALUE,
         "bad provider name 'Q'");
  T_DIAG(&r, "t.ini:39", "participants_file", DOOR_ECONFIG_VALUE,
         "cannot read");
  T_COUNTS(&r, 32, 0);
  done(&r);
}

static void test_alg_none_refused(void) {
  static const char *const spellings[] = {"none", "None", "NONE", "nOnE"};
  char text[512];
  size_t i;
  res r;
  for (i = 0; i < 4; i++) {
    snprintf(text, sizeof text,
             BASE "[provider \"p\"]\ntype = generic\n"
                  "issuer = https://i.example/\nclient_id = a\n"
                  "client_secret = s\nallowed_algs = RS256 %s\n",
             spellings[i]);
    load(&r, text);
    T_COUNTS(&r, 1, 0);
    T_DIAG(&r, "t.ini:10", "allowed_algs", DOOR_EALG_NONE, "is never accepted");
    done(&r);
  }
  load(&r, BASE "[provider \"p\"]\ntype = generic\n"
                "issuer = https://i.example/\nclient_id = a\n"
                "client_secret = s\nallowed_algs = ,\n");
  T_DIAG(&r, "t.ini:10", "allowed_algs", DOOR_ECONFIG_VALUE, "is empty");
  done(&r);
}

static void test_extra_params(void) {
  res r;
  load(&r, BASE "[provider \"p\"]\ntype = daccount\n"
                "issuer = https://i.example/\nclient_id = a\n"
                "client_secret = s\nextra_params = authif=1&state=x\n");
  T_COUNTS(&r, 1, 0);
  T_DIAG(&r, "t.ini:10", "extra_params", DOOR_ECONFIG_VALUE,
         "extra_params may not set 'state'");
  done(&r);
  load(&r, BASE "[provider \"p\"]\ntype = daccount\n"
                "issuer = https://i.example/\nclient_id = a\n"
                "client_secret = s\nextra_params = a=1&a=2\n");
  T_DIAG(&r, "t.ini:10", "extra_params", DOOR_ECONFIG_VALUE, "repeated");
  done(&r);
  load(&r, BASE "[provider \"p\"]\ntype = daccount\n"
                "issuer = https://i.example/\nclient_id = a\n"
                "client_secret = s\nextra_params =\n");
  T_COUNTS(&r, 0, 0);
  T_EQ_STR(r.cfg->providers[0].extra_params, "");
  done(&r);
}

static void test_secrets(void) {
  res r;
  char text[1024];
  setup_dir();
  /* Missing and empty variables are named. */
  unsetenv("DOOR_TEST_NOPE");
  setenv("DOOR_TEST_EMPTY", "", 1);
  load(&r, BASE_BROKER_LAST "cookie_key = env:DOOR_TEST_NOPE\n"
                            "[provider \"p\"]\ntype = generic\n"
                            "issuer = https://i.example/\nclient_id = a\n"
                            "client_secret = env:DOOR_TEST_EMPTY\n");
  T_DIAG(&r, "t.ini:5", "cookie_key", DOOR_ECONFIG_SECRET,
         "environment variable 'DOOR_TEST_NOPE' is not set");
  T_EQ_STR(find(&r, "t.ini:5", "cookie_key")->d.hint,
           "set it in the broker's environment, or use cookie_key_file = "
           "PATH");
  T_DIAG(&r, "t.ini:10", "client_secret", DOOR_ECONFIG_SECRET,
         "environment variable 'DOOR_TEST_EMPTY' is empty");
  T_COUNTS(&r, 2, 0);
  done(&r);
  unsetenv("DOOR_TEST_EMPTY");
  /* Files: unreadable, empty, a directory; a loose mode is a warning. */
  load(&r, BASE_BROKER_LAST "cookie_key_file = nothere.key\n"
                            "[provider \"p\"]\ntype = generic\n"
                            "issuer = https://i.example/\nclient_id = a\n"
                            "client_secret_file = empty.txt\n"
                            "[provider \"q\"]\ntype = generic\n"
                            "issuer = https://i.example/\nclient_id = a\n"
                            "client_secret_file = .\n");
  T_DIAG(&r, "t.ini:5", "cookie_key_file", DOOR_ECONFIG_SECRET,
         "cannot read secret file");
  T_OK(strstr(find(&r, "t.ini:5", "cookie_key_file")->d.what,
              "nothere.key': No such file or directory"));
  T_DIAG(&r, "t.ini:10", "client_secret_file", DOOR_ECONFIG_SECRET, "is empty");
  T_DIAG(&r, "t.ini:15", "client_secret_file", DOOR_ECONFIG_SECRET,
         "is not a regular file");
  T_COUNTS(&r, 3, 0);
  done(&r);
  load(&r, BASE "[provider \"p\"]\ntype = generic\n"
                "issuer = https://i.example/\nclient_id = a\n"
                "client_secret_file = open-secret.txt\n");
  T_EQ_ERR(r.rc, DOOR_OK);
  T_COUNTS(&r, 0, 1);
  T_EQ_INT(r.errs.items[0].level, DOOR_DIAG_WARNING);
  T_DIAG(&r, "t.ini:9", "client_secret_file", DOOR_ECONFIG_SECRET,
         "may be read or changed by other users");
  T_EQ_STR(r.cfg->providers[0].client_secret->value, "world-readable");
  done(&r);
  /* An absolute path is used as is; a literal and its length. */
  snprintf(text, sizeof text,
           BASE_BROKER_LAST "cookie_key_file = %s/cookie.key\n"
                            "[provider \"p\"]\ntype = generic\n"
                            "issuer = https://i.example/\nclient_id = a\n"
                            "client_secret = literal with spaces\n",
           tmpdir);
  load(&r, text);
  T_COUNTS(&r, 0, 0);
  T_EQ_INT(r.cfg->broker.cookie_key->len, 64);
  T_EQ_INT(r.cfg->providers[0].client_secret->source, DOOR_SECRET_LITERAL);
  T_OK(r.cfg->providers[0].client_secret->origin == NULL);
  T_EQ_STR(r.cfg->providers[0].client_secret->value, "literal with spaces");
  done(&r);
  /* Secret values never appear in diagnostics. */
  load(&r, BASE_BROKER_LAST "cookie_key = hunter2hunter2\n");
  T_DIAG(&r, "t.ini:5", "cookie_key", DOOR_ECONFIG_VALUE, NULL);
  T_OK(strstr(find(&r, "t.ini:5", "cookie_key")->d.what, "hunter2") == NULL);
  done(&r);
}

static void test_cross_checks(void) {
  res r;
  load(&r, "[broker]\n"                                  /* 1 */
           "public_url = http://door.example.jp/\n"      /* 2 */
           "tls_cert = ca.pem\n"                         /* 3 */
           "session_idle = 8d\n"                         /* 4 */
           "[store]\nurl = sqlite:x\n"                   /* 5-6 */
           "[provider \"p\"]\n"                          /* 7 */
           "type = generic\n"                            /* 8 */
           "issuer = http://127.0.0.1:9000/\n"           /* 9 */
           "client_id = a\n"                             /* 10 */
           "discovery = no\n"                            /* 11 */
           "token_endpoint = http://idp.example/token\n" /* 12 */
           "userinfo = yes\n"                            /* 13 */
           "[provider \"d\"]\n"                          /* 14 */
           "type = daccount\n"                           /* 15 */
           "issuer = https://d.example/\n"               /* 16 */
           "client_id = a\n"                             /* 17 */
           "client_secret = s\n"                         /* 18 */
           "allowed_algs = HS256\n"                      /* 19 */
           "[event \"e\"]\n"                             /* 20 */
           "title = t\n"                                 /* 21 */
           "start = 2025-01-01T10:00:00Z\n"              /* 22 */
           "end = 2025-01-01T19:00:00+09:00\n"           /* 23 */
           "providers = p nope\n");                      /* 24 */
  T_DIAG(&r, "t.ini:2", "public_url", DOOR_ECONFIG_VALUE,
         "public_url is not https");
  T_DIAG(&r, "t.ini:3", "tls_cert", DOOR_ECONFIG_CONFLICT,
         "tls_cert and tls_key go together");
  T_DIAG(&r, "t.ini:4", "session_idle", DOOR_ECONFIG_CONFLICT,
         "longer than session_absolute");
  T_DIAG(&r, "t.ini:7", "client_secret", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:9", "issuer", DOOR_ECONFIG_VALUE,
         "provider URL is not https");
  T_OK(strstr(find(&r, "t.ini:9", "issuer")->d.hint,
              "allow_insecure_loopback = yes"));
  T_DIAG(&r, "t.ini:12", "token_endpoint", DOOR_ECONFIG_VALUE, "not https");
  T_EQ_STR(find(&r, "t.ini:12", "token_endpoint")->d.hint,
           "providers must be reached over https");
  T_DIAG(&r, "t.ini:11", "authorization_endpoint", DOOR_ECONFIG_MISSING,
         "discovery is off");
  T_DIAG(&r, "t.ini:11", "jwks_uri", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:13", "userinfo_endpoint", DOOR_ECONFIG_MISSING, NULL);
  T_DIAG(&r, "t.ini:19", "allowed_algs", DOOR_ECONFIG_CONFLICT,
         "HS256 is listed but accept_hs256 is no");
  T_DIAG(&r, "t.ini:23", "end", DOOR_ECONFIG_CONFLICT,
         "the event ends before it starts");
  T_DIAG(&r, "t.ini:24", "providers", DOOR_ECONFIG_REFERENCE,
         "no [provider \"nope\"] section");
  T_EQ_STR(find(&r, "t.ini:24", "providers")->d.hint, "providers defined: p d");
  T_COUNTS(&r, 12, 0);
  done(&r);
}

/* private_key_jwt: client_key_file required with it and only with it;
 * client_key_alg defaults to ES256. */
static void test_private_key_jwt(void) {
  res r;
  const char *path;
  load(&r, BASE "[provider \"p\"]\n"                    /* 5 */
                "type = generic\n"                      /* 6 */
                "issuer = https://idp.example/\n"       /* 7 */
                "client_id = a\n"                       /* 8 */
                "token_auth_method = private_key_jwt\n" /* 9 */
                "client_key_file = secret.txt\n"        /* 10 */
                "[provider \"q\"]\n"                    /* 11 */
                "type = generic\n"                      /* 12 */
                "issuer = https://idp.example/\n"       /* 13 */
                "client_id = a\n"                       /* 14 */
                "token_auth_method = private_key_jwt\n" /* 15 */
                "client_key_file = secret.txt\n"        /* 16 */
                "client_key_alg = PS256\n");            /* 17 */
  T_COUNTS(&r, 0, 0);
  path = r.cfg->providers[0].client_key_file;
  T_OK(path && strlen(path) > 11 &&
       strcmp(path + strlen(path) - 11, "/secret.txt") == 0);
  T_EQ_INT(r.cfg->providers[0].client_key_alg, DOOR_CLIENT_KEY_ES256);
  T_EQ_INT(r.cfg->providers[1].client_key_alg, DOOR_CLIENT_KEY_PS256);
  T_OK(r.cfg->providers[0].client_secret == NULL);
  done(&r);
  load(&r, BASE "[provider \"p\"]\n"                    /* 5 */
                "type = generic\n"                      /* 6 */
                "issuer = https://idp.example/\n"       /* 7 */
                "client_id = a\n"                       /* 8 */
                "token_auth_method = private_key_jwt\n" /* 9 */
                "[provider \"q\"]\n"                    /* 10 */
                "type = generic\n"                      /* 11 */
                "issuer = https://idp.example/\n"       /* 12 */
                "client_id = a\n"                       /* 13 */
                "client_secret = s\n"                   /* 14 */
                "client_key_file = secret.txt\n"        /* 15 */
                "[provider \"r\"]\n"                    /* 16 */
                "type = generic\n"                      /* 17 */
                "issuer = https://idp.example/\n"       /* 18 */
                "client_id = a\n"                       /* 19 */
                "token_auth_method = private_key_jwt\n" /* 20 */
                "client_key_file = secret.txt\n"        /* 21 */
                "client_key_alg = HS256\n");            /* 22 */
  T_DIAG(&r, "t.ini:9", "client_key_file", DOOR_ECONFIG_MISSING,
         "private_key_jwt needs the key to sign with");
  T_DIAG(&r, "t.ini:15", "client_key_file", DOOR_ECONFIG_CONFLICT,
         "only used with private_key_jwt");
  T_OK(find(&r, "t.ini:22", "client_key_alg") != NULL);
  T_COUNTS(&r, 3, 0);
  done(&r);
  /* A key others may read: a warning. */
  load(&r, BASE "[provider \"p\"]\n"                    /* 5 */
                "type = generic\n"                      /* 6 */
                "issuer = https://idp.example/\n"       /* 7 */
                "client_id = a\n"                       /* 8 */
                "token_auth_method = private_key_jwt\n" /* 9 */
                "client_key_file = open-secret.txt\n"); /* 10 */
  T_DIAG(&r, "t.ini:10", "client_key_file", DOOR_ECONFIG_SECRET,
         "may be read or changed by other users");
  T_COUNTS(&r, 0, 1);
  done(&r);
}

static void test_loopback_rules(void) {
  res r;
  static const char provider[] =
      "[provider \"t\"]\ntype = generic\n"
      "issuer = http://127.0.0.1:9000/\nclient_id = a\nclient_secret = s\n"
      "userinfo_endpoint = http://[::1]:9000/userinfo\n"
      "jwks_uri = http://localhost:9000/jwks\n";
  char text[1024];
  /* Plain http to loopback is fine for public_url, and for providers
   * once allow_insecure_loopback is on. */
  snprintf(text, sizeof text,
           "[broker]\npublic_url = http://127.0.0.1:8080/\n"
           "allow_insecure_loopback = yes\n"
           "return_to_allow = http://localhost:3000\n"
           "[store]\nurl = sqlite::memory:\n%s",
           provider);
  load(&r, text);
  T_COUNTS(&r, 0, 0);
  T_EQ_INT(r.cfg->broker.allow_insecure_loopback, 1);
  done(&r);
  snprintf(text, sizeof text,
           "[broker]\npublic_url = http://[::1]:8080/\n"
           "[store]\nurl = sqlite::memory:\n%s",
           provider);
  load(&r, text);
  T_DIAG(&r, "t.ini:7", "issuer", DOOR_ECONFIG_VALUE, "not https");
  T_DIAG(&r, "t.ini:10", "userinfo_endpoint", DOOR_ECONFIG_VALUE, NULL);
  T_DIAG(&r, "t.ini:11", "jwks_uri", DOOR_ECONFIG_VALUE, NULL);
  T_COUNTS(&r, 3, 0);
  done(&r);
}

static void test_daccount_hs256(void) {
  res r;
  load(&r, BASE "[provider \"d\"]\ntype = daccount\n"
                "issuer = https://d.example/\nclient_id = a\n"
                "client_secret = s\naccept_hs256 = yes\n");
  T_COUNTS(&r, 1, 0);
  T_DIAG(&r, "t.ini:10", "accept_hs256", DOOR_ECONFIG_CONFLICT,
         "HS256 is not in allowed_algs");
  done(&r);
  load(&r, BASE "[provider \"d\"]\ntype = daccount\n"
                "issuer = https://d.example/\nclient_id = a\n"
                "client_secret = s\naccept_hs256 = yes\n"
                "allowed_algs = RS256,HS256\ntoken_path = /common/token\n"
                "authif = 0\n");
  T_COUNTS(&r, 0, 0);
  T_EQ_STR(
      door__config_provider_value(&r.cfg->providers[0], "token_path")->text,
      "/common/token");
  done(&r);
  load(&r, BASE "[provider \"d\"]\ntype = daccount\n"
                "issuer = https://d.example/\nclient_id = a\n"
                "client_secret = s\ntoken_path = /oauth/token\nauthif = 2\n");
  T_DIAG(&r, "t.ini:10", "token_path", DOOR_ECONFIG_VALUE, "unknown value");
  T_DIAG(&r, "t.ini:11", "authif", DOOR_ECONFIG_VALUE, "unknown value '2'");
  T_COUNTS(&r, 2, 0);
  done(&r);
}

static void test_load_from_file(void) {
  door_config *cfg = NULL;
  door_errlist errs;
  char path[256];
  setup_dir();
  /* Relative paths are resolved against the file's directory. */
  write_file("door.ini", BASE_BROKER_LAST "ca_file = ca.pem\n", 0644);
  snprintf(path, sizeof path, "%s/door.ini", tmpdir);
  door__errlist_init(&errs);
  T_EQ_ERR(door__config_load(path, &cfg, &errs), DOOR_OK);
  T_OK(cfg != NULL);
  T_EQ_STR(cfg->path, path);
  T_OK(strncmp(cfg->broker.ca_file, tmpdir, strlen(tmpdir)) == 0);
  door__config_free(cfg);
  T_EQ_INT(errs.n, 0);
  /* A missing file. */
  snprintf(path, sizeof path, "%s/nothere.ini", tmpdir);
  T_EQ_ERR(door__config_load(path, &cfg, &errs), DOOR_EIO);
  T_OK(cfg == NULL);
  T_EQ_INT(errs.n, 1);
  T_EQ_STR(errs.items[0].d.where, path);
  T_EQ_STR(errs.items[0].d.what,
           "cannot read the configuration file: No such file or directory");
  /* A directory. */
  T_EQ_ERR(door__config_load(tmpdir, &cfg, &errs), DOOR_EIO);
  T_EQ_STR(errs.items[1].d.what,
           "cannot read the configuration file: not a regular file");
  door__errlist_free(&errs);
  snprintf(path, sizeof path, "%s/door.ini", tmpdir);
  unlink(path);
}

static void test_diag_format(void) {
  door_errlist l;
  door_buf b;
  size_t i;
  door__errlist_init(&l);
  door__buf_init(&b, 1024);
  T_EQ_ERR(door__errlist_add(&l, DOOR_DIAG_ERROR, DOOR_ECONFIG_UNKNOWN,
                             "f.ini:3", "foo", "unknown key in [broker]",
                             "did you mean 'for'?"),
           DOOR_ECONFIG_UNKNOWN);
  door__errlist_add(&l, DOOR_DIAG_WARNING, DOOR_ECONFIG_SECRET, "f.ini:4", NULL,
                    "loose mode", NULL);
  door__errlist_add(&l, DOOR_DIAG_ERROR, DOOR_ECONFIG, "f.ini", "", "", "");
  T_EQ_ERR(door__diag_format(&l.items[0], &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "f.ini:3: error: unknown key in [broker] (foo); "
                              "did you mean 'for'?");
  door__buf_reset(&b);
  door__diag_format(&l.items[1], &b);
  T_EQ_STR(door__buf_str(&b), "f.ini:4: warning: loose mode");
  door__buf_reset(&b);
  door__diag_format(&l.items[2], &b);
  T_EQ_STR(door__buf_str(&b), "f.ini: error: configuration error");
  T_EQ_INT(l.nerrors, 2);
  T_EQ_INT(l.nwarnings, 1);
  /* The list is capped. */
  for (i = 0; i < DOOR_ERRLIST_MAX + 5; i++)
    door__errlist_add(&l, DOOR_DIAG_ERROR, DOOR_ECONFIG, "x", NULL, "y", NULL);
  T_EQ_INT(l.n, DOOR_ERRLIST_MAX);
  T_EQ_INT(l.dropped, 8);
  T_EQ_INT(l.nerrors, DOOR_ERRLIST_MAX + 7);
  door__errlist_free(&l);
  door__buf_free(&b);
}

static void test_zz_cleanup(void) {
  setup_dir();
  cleanup_dir();
  T_OK(access(tmpdir, F_OK) != 0);
}

T_MAIN(T_CASE(test_parse_duration), T_CASE(test_parse_bool),
       T_CASE(test_parse_time), T_CASE(test_key32), T_CASE(test_good_file),
       T_CASE(test_describe_hides_secrets),
       T_CASE(test_minimal_file_and_defaults),
       T_CASE(test_missing_sections_and_keys),
       T_CASE(test_syntax_errors_with_lines),
       T_CASE(test_crlf_bom_and_no_final_newline), T_CASE(test_long_lines),
       T_CASE(test_bad_section_names), T_CASE(test_duplicates),
       T_CASE(test_unknown_keys), T_CASE(test_bad_values),
       T_CASE(test_alg_none_refused), T_CASE(test_extra_params),
       T_CASE(test_secrets), T_CASE(test_cross_checks),
       T_CASE(test_private_key_jwt), T_CASE(test_loopback_rules),
       T_CASE(test_daccount_hs256), T_CASE(test_load_from_file),
       T_CASE(test_diag_format), T_CASE(test_zz_cleanup))
