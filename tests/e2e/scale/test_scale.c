/* Scale-out end to end: one door-idp, two door-broker processes (A and B)
 * on different ports, one PostgreSQL store (tests/pg/cluster.sh run gives
 * DOOR_TEST_STORE_URL, DOOR_TEST_PG_DIR and DOOR_TEST_PG_CLUSTER).  Both
 * brokers have the same public_url (A's address plays the load balancer's)
 * and cookie_key, as instances behind a load balancer would; the test
 * sends each request to the instance it chooses.
 *   - a login begun on A finishes on B, and one begun on B finishes on A;
 *   - a session made on A is valid on B (and the other way round), and a
 *     logout on B ends it on A;
 *   - 500 concurrent first logins of 100 distinct subjects spread over
 *     both instances make exactly 100 accounts (checked with psql);
 *   - participation-token keys come from the store: a token issued by A
 *     verifies with the JWKS B serves; `keys rotate` on A's configuration
 *     is published by B, and after `keys rotate --now` B signs with the
 *     new key within its refresh interval (2 s); nothing in clear in
 *     signing_keys;
 *   - PostgreSQL stopped during a burst of logins: every callback is
 *     answered 503 with the clear message, each within 2 s, no account
 *     without an identity is left, and once PostgreSQL is back logins
 *     succeed on both instances, which were never restarted.
 *
 * argv: door-idp door-broker ca.pem server.pem server.key broker.json
 */
#include "bh.h"
#include "bh_privacy.h"
#include "psql.h"
#include "t.h"
#include "doorauth/gate.h"
#include "jose/jose.h"
#include "util/json.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

jmp_buf t__jmp;

#define N_SUBJECTS 100
#define N_LOGINS 500
#define N_THREADS 8

static bh_env A, B; /* B: a copy of A with its own port, config, log */
static const char *g_pg_url, *g_pg_dir, *g_pg_cluster;
static char g_tpl[320];
static int g_argc;
static char **g_argv;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The scenario: broker.json with N_SUBJECTS more users at "generic"
 * (id sNNN, sub scale-NNN). */
static int write_template(const char *src, const char *dst) {
  json_error_t je;
  json_t *root = json_load_file(src, 0, &je), *users;
  int i, rc;
  if (!root)
    return -1;
  users = json_object_get(
      json_object_get(json_object_get(root, "profiles"), "generic"), "users");
  if (!json_is_array(users)) {
    json_decref(root);
    return -1;
  }
  for (i = 0; i < N_SUBJECTS; i++) {
    char id[16], sub[32];
    snprintf(id, sizeof id, "s%03d", i);
    snprintf(sub, sizeof sub, "scale-%03d", i);
    json_array_append_new(users, json_pack("{s:s,s:{s:s,s:s}}", "id", id,
                                           "claims", "sub", sub, "name", id));
  }
  rc = json_dump_file(root, dst, JSON_INDENT(1));
  json_decref(root);
  return rc;
}

/* A broker configuration: public_url is always A's address, the store is
 * PostgreSQL, listen on `port`. */
static int write_config(bh_env *e, int port) {
  char text[8192], start[32], end[32], plist[300];
  time_t now = time(NULL), t0 = now - 3600, t1 = now + 6 * 3600;
  struct tm tm;
  FILE *f;
  int n;
  /* the event: generic identities on its participant list (alice) */
  strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
  strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
  snprintf(plist, sizeof plist, "%s/participants.txt", A.dir);
  f = fopen(plist, "wb");
  if (!f || fputs("alice-sub vip\n", f) < 0) {
    if (f)
      fclose(f);
    return -1;
  }
  fclose(f);
  n = snprintf(
      text, sizeof text,
      "# door-broker scale e2e configuration (generated)\n"
      "[broker]\npublic_url = %s/\nlisten = 127.0.0.1:%d\nca_file = %s\n"
      "state_dir = %s\n"
      "cookie_key = planted-secret-broker-cookie-key-0123456788\n"
      "tls_cert = %s\ntls_key = %s\nthreads = 4\nlog_level = info\n"
      "return_to_allow = %s\n"
      "[store]\nurl = %s\n"
      "[provider \"daccount\"]\ntype = daccount\nissuer = %s\n"
      "client_id = door-broker\n"
      "client_secret = planted-secret-broker-daccount-0123456789abcdef\n"
      "[provider \"xmarket\"]\ntype = xmarket\nissuer = %s\n"
      "client_id = door-broker\n"
      "client_secret = planted-secret-broker-xmarket-0123456789abcdef\n"
      "allowed_algs = RS256 ES256\n"
      "[provider \"generic\"]\ntype = generic\nissuer = %s\n"
      "client_id = door-broker\n"
      "client_secret = planted-secret-broker-generic-0123456789abcdef\n"
      "display_name = Generic OP\n"
      "[event \"ev-scale\"]\ntitle = Scale\nstart = %s\nend = %s\n"
      "providers = generic\nparticipants_file = %s\n",
      A.base, port, e->ca, e->dir, e->cert, e->key, A.base, g_pg_url,
      bh_idp_url(e, "daccount", "issuer"), bh_idp_url(e, "xmarket", "issuer"),
      bh_idp_url(e, "generic", "issuer"), start, end, plist);
  if (n <= 0 || (size_t)n >= sizeof text)
    return -1;
  f = fopen(e->config, "wb");
  if (!f)
    return -1;
  if (fwrite(text, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    return -1;
  }
  return fclose(f) == 0 ? 0 : -1;
}

/* base + path of instance `inst` (0: A, 1: B). */
static void url_of(int inst, const char *path, char *out, size_t cap) {
  snprintf(out, cap, "%s%s", inst ? B.base : A.base, path);
}

/* A whole login of `user` at "generic": begun on instance `begin`, the
 * callback sent to instance `finish` (the provider redirects to the public
 * URL, A's; the test rewrites the authority as a load balancer would route
 * it).  The callback's status (302 on success), -1 when something broke
 * before it; *secs gets the callback's time. */
static long login_via(bh_browser *b, int begin, int finish, const char *user,
                      bh_resp *r, double *secs) {
  char url[8192], *authz = NULL, *enc = bh_enc(user);
  const char *loc;
  size_t nb = strlen(A.base);
  long status = -1;
  double t0;
  url_of(begin, "/login/generic", url, sizeof url);
  if (bh_get(b, url, r) || r->status != 302 ||
      !(loc = bh_header(r, "location")))
    goto done;
  authz = strdup(loc);
  snprintf(url, sizeof url, "%s%slogin_hint=%s", authz,
           strchr(authz, '?') ? "&" : "?", enc);
  if (bh_get(b, url, r) || r->status != 302 ||
      !(loc = bh_header(r, "location")) || strncmp(loc, A.base, nb) != 0)
    goto done;
  url_of(finish, loc + nb, url, sizeof url);
  t0 = now_s();
  if (bh_get(b, url, r) == 0)
    status = r->status;
  if (secs)
    *secs = now_s() - t0;
done:
  if (status < 0 && !b->quiet)
    printf("# login %s %c->%c broke at status %ld\n", user, begin ? 'B' : 'A',
           finish ? 'B' : 'A', r->status);
  free(authz);
  free(enc);
  return status;
}

/* GET /api/session at instance `inst`: the status; the account id into
 * `acct` (may be NULL). */
static long session_at(bh_browser *b, int inst, char *acct, size_t cap) {
  char url[512];
  bh_resp r;
  json_t *j = NULL;
  long st = -1;
  url_of(inst, "/api/session", url, sizeof url);
  bh_resp_init(&r);
  if (bh_get(b, url, &r) == 0) {
    st = r.status;
    if (acct && st == 200 &&
        door__json_parse(r.body.data, r.body.len, 16, &j, NULL) == DOOR_OK) {
      const char *id = json_string_value(json_object_get(j, "account_id"));
      snprintf(acct, cap, "%s", id ? id : "");
    }
  }
  json_decref(j);
  bh_resp_free(&r);
  return st;
}

static int cluster(const char *what) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' %s '%s' >/dev/null", g_pg_cluster, what,
           g_pg_dir);
  return system(cmd);
}

static void test_setup(void) {
  char dir[256];
  const char *tmp = getenv("TMPDIR");
  g_pg_url = getenv("DOOR_TEST_STORE_URL");
  g_pg_dir = getenv("DOOR_TEST_PG_DIR");
  g_pg_cluster = getenv("DOOR_TEST_PG_CLUSTER");
  T_OK(g_pg_url && strncmp(g_pg_url, "postgres", 8) == 0 && g_pg_dir &&
       g_pg_cluster);
  snprintf(dir, sizeof dir, "%s/door-e2e-scale.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  T_OK(mkdtemp(dir) != NULL);
  snprintf(g_tpl, sizeof g_tpl, "%s/scenario-template.json", dir);
  T_EQ_INT(write_template(g_argv[6], g_tpl), 0);
  g_argv[6] = g_tpl;
  /* door-idp and a first broker (SQLite) the harness's way; then A and B
   * on PostgreSQL. */
  T_EQ_INT(bh_setup(&A, g_argc, g_argv), 0);
  T_EQ_INT(bh_kill_broker(&A, SIGTERM), 0);
  T_EQ_INT(bh_wait_broker(&A, 30), 0);
  T_EQ_INT(write_config(&A, A.port), 0);
  T_EQ_INT(bh_start_broker(&A), 0);
  B = A;
  B.ready_json = NULL; /* A's */
  B.idp_pid = 0;
  B.broker_pid = 0;
  B.port = bh_free_port();
  T_OK(B.port > 0 && B.port != A.port);
  snprintf(B.base, sizeof B.base, "https://127.0.0.1:%d", B.port);
  snprintf(B.config, sizeof B.config, "%s/broker-b.ini", A.dir);
  snprintf(B.broker_log, sizeof B.broker_log, "%s/broker-b.log", A.dir);
  B.ready_json = A.ready_json;
  T_EQ_INT(write_config(&B, B.port), 0);
  B.ready_json = NULL;
  T_EQ_INT(bh_start_broker(&B), 0);
}

/* A login begun on one instance finishes on the other; the session works
 * on both; logout on one ends it on the other. */
static void test_cross_instance(void) {
  bh_browser *b = bh_browser_new(&A, 0);
  bh_resp r;
  char acct_a[64] = "", acct_b[64] = "", *tok, *sc;
  char form[256], url[512];
  int begin;
  bh_resp_init(&r);
  for (begin = 0; begin < 2; begin++) {
    T_EQ_INT(login_via(b, begin, !begin, "alice", &r, NULL), 302);
    sc = bh_session_cookie(&r);
    T_OK(sc != NULL);
    free(sc);
    acct_a[0] = acct_b[0] = '\0';
    T_EQ_INT(session_at(b, 0, acct_a, sizeof acct_a), 200);
    T_EQ_INT(session_at(b, 1, acct_b, sizeof acct_b), 200);
    T_OK(acct_a[0] != '\0');
    T_EQ_STR(acct_a, acct_b);
  }
  /* Logout on B (CSRF token from A's account page) ends it on A. */
  tok = bh_csrf(b);
  T_OK(tok != NULL);
  snprintf(form, sizeof form, "csrf_token=%s", tok);
  free(tok);
  url_of(1, "/logout", url, sizeof url);
  T_EQ_INT(bh_post(b, url, form, A.origin, &r), 0);
  T_EQ_INT(r.status, 303);
  T_EQ_INT(session_at(b, 0, NULL, 0), 401);
  T_EQ_INT(session_at(b, 1, NULL, 0), 401);
  bh_resp_free(&r);
  bh_browser_free(b);
  T_EQ_INT(psql_num(g_pg_url, "SELECT count(*) FROM identities WHERE subject = "
                              "'alice-sub'"),
           1);
}

/* The callback of one login is sent to both instances: one-time use holds
 * across them (the store's used_states). */
static void test_replay_across(void) {
  bh_browser *b = bh_browser_new(&A, 0);
  bh_resp r;
  char url[8192], *authz, *enc = bh_enc("bob"), *cb;
  const char *loc;
  size_t nb = strlen(A.base);
  bh_resp_init(&r);
  url_of(0, "/login/generic", url, sizeof url);
  T_EQ_INT(bh_get(b, url, &r), 0);
  T_EQ_INT(r.status, 302);
  authz = strdup(bh_header(&r, "location"));
  snprintf(url, sizeof url, "%s&login_hint=%s", authz, enc);
  T_EQ_INT(bh_get(b, url, &r), 0);
  T_EQ_INT(r.status, 302);
  loc = bh_header(&r, "location");
  T_OK(loc && strncmp(loc, A.base, nb) == 0);
  cb = strdup(loc + nb);
  {
    /* The same browser state for both (an explicit Cookie header taken
     * before the first callback deletes the pending cookie). */
    struct curl_slist *cookies = NULL, *c;
    door_buf hdr;
    bh_browser *x = bh_browser_new(&A, 1), *y = bh_browser_new(&A, 1);
    door__buf_init(&hdr, 1 << 16);
    curl_easy_getinfo(b->curl, CURLINFO_COOKIELIST, &cookies);
    for (c = cookies; c; c = c->next) {
      /* Netscape format: 7 tab-separated fields, name and value last. */
      const char *f = c->data;
      int i;
      for (i = 0; i < 5 && f; i++)
        f = strchr(f, '\t') ? strchr(f, '\t') + 1 : NULL;
      if (f && strchr(f, '\t')) {
        if (hdr.len)
          door__buf_puts(&hdr, "; ");
        door__buf_append(&hdr, f, (size_t)(strchr(f, '\t') - f));
        door__buf_putc(&hdr, '=');
        door__buf_puts(&hdr, strchr(f, '\t') + 1);
      }
    }
    curl_slist_free_all(cookies);
    x->cookie = y->cookie = door__buf_str(&hdr);
    url_of(0, cb, url, sizeof url);
    T_EQ_INT(bh_get(x, url, &r), 0);
    T_EQ_INT(r.status, 302);
    url_of(1, cb, url, sizeof url);
    T_EQ_INT(bh_get(y, url, &r), 0);
    T_EQ_INT(r.status, 400);
    T_OK(strstr(door__buf_str(&r.body), "LOGIN_REPLAYED") != NULL);
    bh_browser_free(x);
    bh_browser_free(y);
    door__buf_free(&hdr);
  }
  free(cb);
  free(authz);
  free(enc);
  bh_resp_free(&r);
  bh_browser_free(b);
}

typedef struct worker {
  atomic_int *next;
  int limit;
  atomic_int *ok, *unavailable, *other, *slow;
  int first; /* subject offset */
  atomic_int *stop;
} worker;

/* ---- participation-token keys shared through the store ------------------ */

/* GET /.well-known/jwks.json at `inst` into jwks (malloc'ed): key count. */
static int jwks_at(bh_browser *b, int inst, char **jwks) {
  char url[512];
  bh_resp r;
  json_t *j = NULL;
  int n = -1;
  *jwks = NULL;
  url_of(inst, "/.well-known/jwks.json", url, sizeof url);
  bh_resp_init(&r);
  if (bh_get(b, url, &r) == 0 && r.status == 200 &&
      door__json_parse(r.body.data, r.body.len, 16, &j, NULL) == DOOR_OK) {
    n = (int)json_array_size(json_object_get(j, "keys"));
    *jwks = strdup(r.body.data);
  }
  json_decref(j);
  bh_resp_free(&r);
  return n;
}

/* POST the participation route of ev-scale at `inst`: the token
 * (malloc'ed) and its kid, or NULL. */
static char *token_at(bh_browser *b, int inst, const char *csrf, char kid[64]) {
  char url[512], form[512];
  unsigned char hdr[1024];
  bh_resp r;
  json_t *j = NULL, *h = NULL;
  char *tok = NULL, *enc = bh_enc(csrf);
  size_t n = 0;
  kid[0] = '\0';
  url_of(inst, "/api/events/ev-scale/participation", url, sizeof url);
  snprintf(form, sizeof form, "csrf_token=%s", enc);
  bh_resp_init(&r);
  if (bh_post(b, url, form, A.origin, &r) == 0 && r.status == 200 &&
      door__json_parse(r.body.data, r.body.len, 16, &j, NULL) == DOOR_OK &&
      json_string_value(json_object_get(j, "token"))) {
    const char *t = json_string_value(json_object_get(j, "token"));
    tok = strdup(t);
    if (door__b64url_decode(t, (size_t)(strchr(t, '.') - t), hdr,
                            sizeof hdr - 1, &n) == DOOR_OK &&
        door__json_parse((const char *)hdr, n, 4, &h, NULL) == DOOR_OK &&
        json_string_value(json_object_get(h, "kid")))
      snprintf(kid, 64, "%s", json_string_value(json_object_get(h, "kid")));
  } else {
    printf("# participation at %c: %ld %s\n", inst ? 'B' : 'A', r.status,
           r.body.data ? r.body.data : "");
  }
  json_decref(h);
  json_decref(j);
  bh_resp_free(&r);
  free(enc);
  return tok;
}

/* door_gate over `jwks` (a JWKS document): the verdict on `tok`. */
static door_err gate_on(const char *jwks, const char *tok) {
  door_gate_options o;
  door_gate *g = NULL;
  door_gate_result res;
  door_detail d;
  door_err err;
  char iss[300];
  snprintf(iss, sizeof iss, "%s/", A.base); /* public_url */
  door_gate_options_init(&o);
  o.issuer = iss;
  o.jwks = jwks;
  err = door_gate_new(&o, &g, &d);
  if (!err)
    err = door_gate_verify(g, tok, strlen(tok), "ev-scale", (int64_t)time(NULL),
                           &res, &d);
  if (err)
    printf("# gate: %s %s %s\n", door_err_name(err), d.where, d.what);
  door_gate_free(g);
  return err;
}

/* A token issued by A verifies with the JWKS that B serves (both read the
 * keys from PostgreSQL); `keys rotate` run against A's configuration is
 * published by B within B's refresh interval (2 s), and after `keys rotate
 * --now` B signs with the new key within that interval and no longer
 * publishes the old one. */
static void test_keys_shared(void) {
  bh_browser *b = bh_browser_new(&A, 0);
  bh_resp r;
  door_buf out;
  char *csrf, *tok, *jwks_b = NULL, *jwks_a = NULL;
  char kid_a[64], kid_b[64], next[64] = "", now_kid[64] = "";
  json_t *j;
  double t0;
  int i, n;
  bh_resp_init(&r);
  door__buf_init(&out, 1 << 20);
  T_EQ_INT(login_via(b, 0, 0, "alice", &r, NULL), 302);
  csrf = bh_csrf(b);
  T_OK(csrf != NULL);
  if (!csrf)
    goto done;
  tok = token_at(b, 0, csrf, kid_a);
  T_OK(tok != NULL);
  T_EQ_INT(jwks_at(b, 1, &jwks_b), 1);
  T_OK(jwks_b && kid_a[0] && strstr(jwks_b, kid_a) != NULL);
  if (tok && jwks_b)
    T_EQ_ERR(gate_on(jwks_b, tok), DOOR_OK);
  free(tok);
  free(jwks_b);
  jwks_b = NULL;
  /* one key in the store, whoever started first */
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(*) FROM signing_keys WHERE alg = 'ES256'"),
           1);
  /* rotation on A's configuration: B publishes the next key */
  T_EQ_INT(bh_cli(&A, NULL, &out, "keys", "rotate", "--json"), 0);
  j = json_loads(out.data ? out.data : "", 0, NULL);
  if (j && json_string_value(json_object_get(j, "kid")))
    snprintf(next, sizeof next, "%s",
             json_string_value(json_object_get(j, "kid")));
  json_decref(j);
  T_OK(next[0] != '\0');
  t0 = now_s();
  for (i = 0, n = 0; i < 60 && n != 2; i++) {
    free(jwks_b);
    n = jwks_at(b, 1, &jwks_b);
    if (n != 2)
      usleep(100 * 1000);
  }
  printf("# B published the rotated key after %.1f s\n", now_s() - t0);
  T_EQ_INT(n, 2);
  T_OK(jwks_b && strstr(jwks_b, next) && strstr(jwks_b, kid_a));
  free(jwks_b);
  jwks_b = NULL;
  /* until the next key's not_before the old key still signs, on B too */
  tok = token_at(b, 1, csrf, kid_b);
  T_EQ_STR(kid_b, kid_a);
  free(tok);
  /* compromise: --now on A's configuration; B signs with the new key */
  T_EQ_INT(bh_cli(&A, NULL, &out, "keys", "rotate", "--now", "--json"), 0);
  j = json_loads(out.data ? out.data : "", 0, NULL);
  if (j && json_string_value(json_object_get(j, "kid")))
    snprintf(now_kid, sizeof now_kid, "%s",
             json_string_value(json_object_get(j, "kid")));
  json_decref(j);
  T_OK(now_kid[0] != '\0');
  t0 = now_s();
  tok = NULL;
  for (i = 0; i < 60; i++) {
    free(tok);
    tok = token_at(b, 1, csrf, kid_b);
    if (tok && strcmp(kid_b, now_kid) == 0)
      break;
    usleep(100 * 1000);
  }
  printf("# B signed with the new key after %.1f s\n", now_s() - t0);
  T_EQ_STR(kid_b, now_kid);
  /* A's JWKS has only the new key, and it verifies B's token */
  T_EQ_INT(jwks_at(b, 0, &jwks_a), 1);
  T_OK(jwks_a && strstr(jwks_a, now_kid) && !strstr(jwks_a, kid_a));
  if (tok && jwks_a)
    T_EQ_ERR(gate_on(jwks_a, tok), DOOR_OK);
  free(tok);
  free(jwks_a);
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(*) FROM signing_keys WHERE alg = 'ES256' "
                    "AND NOT retired"),
           1);
  /* nothing in clear in the database */
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(*) FROM signing_keys WHERE "
                    "position('PRIVATE KEY'::bytea in private_pem) > 0"),
           0);
  free(csrf);
done:
  door__buf_free(&out);
  bh_resp_free(&r);
  bh_browser_free(b);
}

static void *run_logins(void *arg) {
  worker *w = arg;
  bh_browser *b = bh_browser_new(&A, 0);
  bh_resp r;
  int i;
  b->quiet = 1;
  bh_resp_init(&r);
  while ((i = atomic_fetch_add(w->next, 1)) < w->limit &&
         !atomic_load(w->stop)) {
    char user[16];
    double secs = 0;
    long st;
    snprintf(user, sizeof user, "s%03d", w->first + i % N_SUBJECTS);
    st = login_via(b, i % 2, (i / 2) % 2, user, &r, &secs);
    if (st == 302)
      atomic_fetch_add(w->ok, 1);
    else if (st == 503 &&
             strstr(door__buf_str(&r.body), "cannot reach its database")) {
      atomic_fetch_add(w->unavailable, 1);
      if (secs > 2.0)
        atomic_fetch_add(w->slow, 1);
    } else {
      if (atomic_fetch_add(w->other, 1) < 5)
        printf("# login %s: status %ld\n", user, st);
    }
  }
  bh_resp_free(&r);
  bh_browser_free(b);
  return NULL;
}

static void test_concurrent_first_logins(void) {
  atomic_int next = 0, ok = 0, unav = 0, other = 0, slow = 0, stop = 0;
  worker w = {&next, N_LOGINS, &ok, &unav, &other, &slow, 0, &stop};
  pthread_t th[N_THREADS];
  double t0 = now_s();
  int i;
  for (i = 0; i < N_THREADS; i++)
    T_EQ_INT(pthread_create(&th[i], NULL, run_logins, &w), 0);
  for (i = 0; i < N_THREADS; i++)
    pthread_join(th[i], NULL);
  printf("# %d logins over 2 instances, %d threads: %.1f s\n", N_LOGINS,
         N_THREADS, now_s() - t0);
  T_EQ_INT(atomic_load(&ok), N_LOGINS);
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(*) FROM identities WHERE subject LIKE "
                    "'scale-%'"),
           N_SUBJECTS);
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(DISTINCT account_id) FROM identities "
                    "WHERE subject LIKE 'scale-%'"),
           N_SUBJECTS);
  /* alice's and bob's accounts plus one per subject: nothing else. */
  T_EQ_INT(psql_num(g_pg_url, "SELECT count(*) FROM accounts"), N_SUBJECTS + 2);
}

/* The clear 503 page for a login whose callback hit a stopped store. */
static void test_postgres_down(void) {
  atomic_int next = 0, ok = 0, unav = 0, other = 0, slow = 0, stop = 0;
  worker w = {&next, 1000000, &ok, &unav, &other, &slow, 0, &stop};
  pthread_t th[4];
  bh_browser *b;
  bh_resp r;
  double t0;
  int i, inst;
  long st;
  /* A burst of logins (the sNNN users again: sign-ins now; first logins
   * are checked below) while PostgreSQL stops under it. */
  for (i = 0; i < 4; i++)
    T_EQ_INT(pthread_create(&th[i], NULL, run_logins, &w), 0);
  t0 = now_s();
  while (atomic_load(&ok) < 8 && now_s() - t0 < 60)
    usleep(20000);
  if (atomic_load(&ok) < 8)
    atomic_store(&stop, 1); /* the burst never got going: fails below */
  T_EQ_INT(cluster("halt"), 0);
  t0 = now_s();
  while (atomic_load(&unav) < 8 && now_s() - t0 < 30)
    usleep(20000);
  atomic_store(&stop, 1);
  for (i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  printf("# burst: %d ok, %d unavailable (503), %d other, %d slower than 2 s\n",
         atomic_load(&ok), atomic_load(&unav), atomic_load(&other),
         atomic_load(&slow));
  T_OK(atomic_load(&ok) >= 8);
  T_OK(atomic_load(&unav) >= 8);
  T_EQ_INT(atomic_load(&slow), 0);
  T_EQ_INT(atomic_load(&other), 0);
  /* First logins while it is down, on both: 503 with the message, fast. */
  b = bh_browser_new(&A, 0);
  bh_resp_init(&r);
  for (inst = 0; inst < 2; inst++) {
    double secs = 0;
    st = login_via(b, inst, inst, "u0", &r, &secs);
    T_EQ_INT(st, 503);
    T_OK(strstr(door__buf_str(&r.body), "cannot reach its database") != NULL);
    T_OK(secs < 2.0);
  }
  /* /healthz says so too; /metrics counts the store errors. */
  for (inst = 0; inst < 2; inst++) {
    char url[512];
    url_of(inst, "/healthz", url, sizeof url);
    T_EQ_INT(bh_get(b, url, &r), 0);
    T_EQ_INT(r.status, 503);
    url_of(inst, "/metrics", url, sizeof url);
    T_EQ_INT(bh_get(b, url, &r), 0);
    T_EQ_INT(r.status, 200);
    {
      const char *m =
          strstr(door__buf_str(&r.body), "\ndoor_store_errors_total ");
      T_OK(m != NULL);
      T_OK(strtol(m + 25, NULL, 10) > 0);
    }
  }
  /* Back: no restart of the brokers, logins on both. */
  T_EQ_INT(cluster("start"), 0);
  usleep(300000); /* past the pool's 250 ms hold-off */
  for (inst = 0; inst < 2; inst++) {
    st = login_via(b, inst, !inst, inst ? "u1" : "u0", &r, NULL);
    T_EQ_INT(st, 302);
    T_EQ_INT(session_at(b, inst, NULL, 0), 200);
    T_EQ_INT(session_at(b, !inst, NULL, 0), 200);
  }
  bh_resp_free(&r);
  bh_browser_free(b);
  /* No account without an identity. */
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(*) FROM accounts a WHERE NOT EXISTS "
                    "(SELECT 1 FROM identities i WHERE i.account_id = a.id)"),
           0);
  T_EQ_INT(psql_num(g_pg_url,
                    "SELECT count(*) FROM identities WHERE subject IN "
                    "('u0-sub', 'u1-sub')"),
           2);
  T_EQ_INT(psql_num(g_pg_url, "SELECT count(*) FROM accounts"), N_SUBJECTS + 4);
}

/* 1 when a broker log shows a sanitizer report (ASan builds). */
static int log_has_report(const char *path) {
  char line[1024];
  int found = 0;
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, "Sanitizer") || strstr(line, "runtime error")) {
      printf("# %s: %s", path, line);
      found = 1;
    }
  fclose(f);
  return found;
}

/* Issue 8: every request door-idp received from either instance (500
 * concurrent logins, the cross-instance cases, the outage) carried only
 * manifest fields (both instances run the same providers: A's
 * configuration stands for both). */
static void test_privacy_audit(void) {
  static const door_tx_endpoint expect[] = {DOOR_TX_AUTHORIZE, DOOR_TX_TOKEN};
  bh_privacy_audit(&A, expect, sizeof expect / sizeof expect[0]);
}

static void test_teardown(void) {
  int rc_a = -1, rc_b = -1, report;
  char p[600];
  /* Both brokers stop on SIGTERM with status 0 (a sanitizer's leak report
   * would make it 1). */
  if (B.broker_pid > 0 && bh_kill_broker(&B, SIGTERM) == 0)
    rc_b = bh_wait_broker(&B, 30);
  if (A.broker_pid > 0 && bh_kill_broker(&A, SIGTERM) == 0)
    rc_a = bh_wait_broker(&A, 30);
  report = log_has_report(A.broker_log) | log_has_report(B.broker_log);
  unlink(B.config);
  unlink(B.broker_log);
  snprintf(p, sizeof p, "%s", g_tpl);
  unlink(p);
  *strrchr(p, '/') = '\0';
  rmdir(p);
  bh_teardown(&A, report || rc_a != 0 || rc_b != 0);
  T_EQ_INT(report, 0);
  T_EQ_INT(rc_a, 0);
  T_EQ_INT(rc_b, 0);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_setup),
      T_CASE(test_cross_instance),
      T_CASE(test_replay_across),
      T_CASE(test_keys_shared),
      T_CASE(test_concurrent_first_logins),
      T_CASE(test_postgres_down),
      T_CASE(test_privacy_audit),
      T_CASE(test_teardown),
  };
  signal(SIGPIPE, SIG_IGN);
  g_argc = argc;
  g_argv = argv;
  if (argc < 7) {
    puts("1..1\nnot ok 1 - usage: e2e_scale door-idp door-broker ca.pem "
         "server.pem server.key broker.json");
    return 1;
  }
  return t_run(cases, sizeof cases / sizeof cases[0]);
}
