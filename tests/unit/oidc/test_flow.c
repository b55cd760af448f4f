/* door_login_begin / door_login_finish against the scripted OP: the happy
 * path and each failure of the finish sequence with its own code. */
#include "fake_op.h"
#include "oidc/logout.h"
#include "oidc/oidc.h"
#include "t.h"
#include "util/log.h"

#include <pthread.h>

#include <string.h>
#include <time.h>

static const char k_conf[] =
    "[broker]\n"
    "public_url = http://127.0.0.1:8080/\n"
    "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
    "allow_insecure_loopback = yes\n"
    "return_to_allow = https://door.example\n"
    "login_timeout = 10m\n"
    "[provider \"op\"]\n"
    "type = generic\n"
    "issuer = http://127.0.0.1:PORT\n"
    "client_id = client-1\n"
    "client_secret = s3cr:t+/= x\n"
    "token_auth_method = client_secret_post\n"
    "allowed_algs = ES256\n"
    "userinfo = yes\n"
    "keep_claims = email name\n"
    "display_name = Test OP\n"
    "[provider \"op2\"]\n"
    "type = generic\n"
    "issuer = http://127.0.0.1:PORT\n"
    "client_id = client-1\n"
    "client_secret = s3cr:t+/= x\n"
    "allowed_algs = ES256\n";

static int64_t g_now;

static int64_t test_clock(void *ud) {
  (void)ud;
  return g_now;
}

typedef struct env {
  op o;
  door_config *cfg;
  door_rp *rp;
  door_login_start start;
  door_buf cb;     /* callback query */
  door_buf cookie; /* Cookie header */
} env;

static void env_up(env *e) {
  door_rp_options opt;
  door_detail d;
  memset(e, 0, sizeof *e);
  g_now = (int64_t)time(NULL);
  T_EQ_INT(op_start(&e->o, OP_GENERIC, &g_now), 0);
  e->cfg = op_config(&e->o, k_conf);
  T_OK(e->cfg != NULL);
  door_rp_options_init(&opt);
  opt.clock = test_clock;
  T_EQ_ERR(door_rp_new(e->cfg, &opt, &e->rp, &d), DOOR_OK);
  door__buf_init(&e->cb, 1 << 16);
  door__buf_init(&e->cookie, 1 << 16);
}

static void env_down(env *e) {
  door_login_start_clear(&e->start);
  door_rp_free(e->rp);
  door__config_free(e->cfg);
  op_stop(&e->o);
  door__buf_free(&e->cb);
  door__buf_free(&e->cookie);
}

/* begin + the OP's authorization: leaves the callback query and cookie. */
static void begin(env *e, const char *provider) {
  door_login_params p;
  door_detail d;
  memset(&p, 0, sizeof p);
  p.provider = provider;
  p.return_to = "/rooms/1";
  p.link_account = "acct-9";
  door_login_start_clear(&e->start);
  T_EQ_ERR(door_login_begin(e->rp, &p, &e->start, &d), DOOR_OK);
  op_authorize(&e->o, e->start.authorization_url, &e->cb);
  op_cookie_of(e->start.set_cookie, &e->cookie);
}

/* Runs finish; on failure the result (its clear_cookie) is released here
 * so the callers can stay short. */
static door_err finish(env *e, const char *provider, door_login_result *r,
                       door_detail *d) {
  door_err err = door_login_finish(e->rp, provider, door__buf_str(&e->cb),
                                   door__buf_str(&e->cookie), NULL, r, d);
  if (err) {
    T_OK(r->subject == NULL && r->tokens.access_token == NULL);
    door_login_result_clear(r);
  }
  return err;
}

static void test_happy_path(void) {
  env e;
  door_login_result r;
  door_detail d;
  env_up(&e);
  begin(&e, "op");
  /* The authorization URL carries the standard parameters. */
  T_OK(strncmp(e.start.authorization_url, e.o.base, strlen(e.o.base)) == 0);
  T_OK(strstr(e.start.authorization_url, "response_type=code") != NULL);
  T_OK(strstr(e.start.authorization_url, "code_challenge_method=S256"));
  T_EQ_STR(e.o.redirect_uri, "http://127.0.0.1:8080/callback/op");
  T_EQ_INT(strlen(e.o.state), 43);
  T_EQ_INT(strlen(e.o.challenge), 43);
  /* The cookie: one per login, named by the state, bound to the browser. */
  T_OK(strncmp(e.start.set_cookie, "door-login-", 11) == 0);
  T_OK(strstr(e.start.set_cookie, "; Path=/; Max-Age=600; HttpOnly; "
                                  "SameSite=Lax") != NULL);
  T_EQ_ERR(finish(&e, "op", &r, &d), DOOR_OK);
  T_EQ_STR(r.provider, "op");
  T_EQ_STR(r.issuer, e.o.issuer);
  T_EQ_STR(r.subject, "user-1");
  T_EQ_STR(r.return_to, "/rooms/1");
  T_EQ_STR(r.link_account, "acct-9");
  T_EQ_STR(r.tokens.access_token, "AT-1");
  T_EQ_STR(r.tokens.refresh_token, "RT-1");
  T_OK(r.tokens.id_token != NULL);
  T_EQ_INT(r.tokens.expires_at, g_now + 3600);
  /* Kept claims: sub, then the configured ones (the ID token's email wins
   * over userinfo's; name comes from userinfo). */
  T_EQ_STR(r.claims_json, "{\"sub\":\"user-1\",\"email\":\"idtoken@example.jp"
                          "\",\"name\":\"User One\"}");
  T_OK(r.clear_cookie != NULL);
  T_OK(strstr(r.clear_cookie, "Max-Age=0") != NULL);
  /* client_secret_post, the bearer token in the header for userinfo. */
  T_OK(strstr(e.o.token_form, "client_secret=s3cr%3At%2B%2F%3D%20x"));
  T_EQ_STR(e.o.authorization, "");
  T_EQ_STR(e.o.userinfo_auth, "Bearer AT-1");
  door_login_result_clear(&r);
  /* One-time use. */
  T_EQ_ERR(door_login_finish(e.rp, "op", door__buf_str(&e.cb),
                             door__buf_str(&e.cookie), NULL, &r, &d),
           DOOR_ELOGIN_REPLAYED);
  T_OK(r.clear_cookie != NULL);
  door_login_result_clear(&r);
  env_down(&e);
}

static void test_parallel_tabs(void) {
  env e;
  door_login_result r;
  door_buf cb1, ck;
  env_up(&e);
  door__buf_init(&cb1, 1 << 16);
  door__buf_init(&ck, 1 << 16);
  begin(&e, "op");
  T_EQ_ERR(door__buf_append(&cb1, e.cb.data, e.cb.len), DOOR_OK);
  T_EQ_ERR(door__buf_append(&ck, e.cookie.data, e.cookie.len), DOOR_OK);
  begin(&e, "op"); /* a second tab: its own cookie, the first one stays */
  T_EQ_ERR(door__buf_puts(&ck, "; "), DOOR_OK);
  T_EQ_ERR(door__buf_append(&ck, e.cookie.data, e.cookie.len), DOOR_OK);
  /* The browser sends both cookies with each callback; the first tab
   * finishes first, then the second. */
  T_EQ_ERR(door_login_finish(e.rp, "op", door__buf_str(&cb1),
                             door__buf_str(&ck), NULL, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  T_EQ_ERR(door_login_finish(e.rp, "op", door__buf_str(&e.cb),
                             door__buf_str(&ck), NULL, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  door__buf_free(&cb1);
  door__buf_free(&ck);
  env_down(&e);
}

/* Many threads sign in at once through one door_rp: every login works,
 * discovery and the key set are fetched once. */
typedef struct worker {
  env *e;
  int ok;
} worker;

static void *work(void *ud) {
  worker *w = ud;
  door_login_params p;
  door_login_start st;
  door_login_result r;
  door_buf cb, ck;
  int i;
  door__buf_init(&cb, 1 << 16);
  door__buf_init(&ck, 1 << 16);
  memset(&p, 0, sizeof p);
  p.provider = "op";
  for (i = 0; i < 8; i++) {
    if (door_login_begin(w->e->rp, &p, &st, NULL))
      continue;
    op_authorize(&w->e->o, st.authorization_url, &cb);
    op_cookie_of(st.set_cookie, &ck);
    if (door_login_finish(w->e->rp, "op", door__buf_str(&cb),
                          door__buf_str(&ck), NULL, &r, NULL) == DOOR_OK)
      w->ok++;
    door_login_result_clear(&r);
    door_login_start_clear(&st);
  }
  door__buf_free(&cb);
  door__buf_free(&ck);
  return NULL;
}

static void test_threads(void) {
  env e;
  pthread_t th[8];
  worker w[8];
  int i;
  env_up(&e);
  for (i = 0; i < 8; i++) {
    w[i].e = &e;
    w[i].ok = 0;
    T_EQ_INT(pthread_create(&th[i], NULL, work, &w[i]), 0);
  }
  for (i = 0; i < 8; i++)
    pthread_join(th[i], NULL);
  for (i = 0; i < 8; i++)
    T_EQ_INT(w[i].ok, 8);
  T_EQ_INT(e.o.disco_calls, 1);
  T_EQ_INT(e.o.jwks_calls, 1);
  T_EQ_INT(e.o.token_calls, 64);
  env_down(&e);
}

/* The log of logins, good and bad, holds no secret. */
typedef struct sink {
  pthread_mutex_t mu;
  door_buf lines;
} sink;

static void sink_fn(void *ud, door_log_level level, const char *line,
                    size_t len) {
  sink *k = ud;
  (void)level;
  pthread_mutex_lock(&k->mu);
  door__buf_append(&k->lines, line, len);
  door__buf_putc(&k->lines, '\n');
  pthread_mutex_unlock(&k->mu);
}

static void test_no_secrets_in_logs(void) {
  env e;
  door_log lg;
  door_rp *rp2 = NULL;
  door_rp_options opt;
  door_login_result r;
  sink k;
  char state[64], cookie_value[4096];
  const char *eq;
  env_up(&e);
  pthread_mutex_init(&k.mu, NULL);
  door__buf_init(&k.lines, 1 << 20);
  door__log_init(&lg, "test");
  lg.min_level = DOOR_LOG_DEBUG;
  lg.sink = sink_fn;
  lg.sink_ud = &k;
  door_rp_options_init(&opt);
  opt.clock = test_clock;
  opt.log = &lg;
  T_EQ_ERR(door_rp_new(e.cfg, &opt, &rp2, NULL), DOOR_OK);
  door_rp_free(e.rp);
  e.rp = rp2;
  begin(&e, "op");
  memcpy(state, e.o.state, sizeof state);
  eq = strchr(door__buf_str(&e.cookie), '=');
  memcpy(cookie_value, eq + 1, strlen(eq + 1) + 1);
  T_EQ_ERR(finish(&e, "op", &r, NULL), DOOR_OK);
  door_login_result_clear(&r);
  T_EQ_ERR(finish(&e, "op", &r, NULL), DOOR_ELOGIN_REPLAYED);
  e.o.token_error = "invalid_grant";
  begin(&e, "op");
  T_EQ_ERR(finish(&e, "op", &r, NULL), DOOR_ETOKEN_ERROR);
  e.o.token_error = NULL;
  e.o.nonce_override = "x";
  begin(&e, "op");
  T_EQ_ERR(finish(&e, "op", &r, NULL), DOOR_EIDT_NONCE);
  T_OK(strstr(door__buf_str(&k.lines), "login.ok") != NULL);
  T_OK(strstr(door__buf_str(&k.lines), "LOGIN_REPLAYED") != NULL);
  {
    const char *planted[] = {"AT-1", "RT-1",    "CODE-1", "s3cr",
                             "eyJ",  e.o.nonce, state,    cookie_value};
    size_t i;
    for (i = 0; i < sizeof planted / sizeof planted[0]; i++)
      if (strstr(door__buf_str(&k.lines), planted[i]))
        T_FAIL_("log holds a secret (%s):\n%s", planted[i],
                door__buf_str(&k.lines));
  }
  door__buf_free(&k.lines);
  pthread_mutex_destroy(&k.mu);
  env_down(&e);
}

static void test_pending_checks(void) {
  env e;
  door_login_result r;
  door_detail d;
  env_up(&e);
  begin(&e, "op");
  /* No cookie: CSRF or another browser. */
  T_EQ_ERR(
      door_login_finish(e.rp, "op", door__buf_str(&e.cb), "a=b", NULL, &r, &d),
      DOOR_ELOGIN_NO_PENDING);
  T_OK(r.clear_cookie != NULL);
  door_login_result_clear(&r);
  /* Another login's cookie renamed to this state. */
  {
    door_buf forged;
    const char *eq = strchr(door__buf_str(&e.cookie), '=');
    door__buf_init(&forged, 1 << 16);
    T_EQ_ERR(door__buf_append(&forged, e.cookie.data,
                              (size_t)(eq - e.cookie.data) + 1),
             DOOR_OK);
    T_EQ_ERR(door__buf_puts(&forged, "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
             DOOR_OK);
    T_EQ_ERR(door_login_finish(e.rp, "op", door__buf_str(&e.cb),
                               door__buf_str(&forged), NULL, &r, NULL),
             DOOR_ELOGIN_SEAL);
    door_login_result_clear(&r);
    door__buf_free(&forged);
  }
  /* Back on another provider's callback path (mix-up). */
  T_EQ_ERR(finish(&e, "op2", &r, &d), DOOR_ELOGIN_PROVIDER_MISMATCH);
  /* The login was consumed by that attempt: fail closed. */
  T_EQ_ERR(finish(&e, "op", &r, &d), DOOR_ELOGIN_REPLAYED);
  /* Expired. */
  begin(&e, "op");
  g_now += 601;
  T_EQ_ERR(finish(&e, "op", &r, &d), DOOR_ELOGIN_EXPIRED);
  g_now -= 601;
  /* Malformed callbacks. */
  begin(&e, "op");
  T_EQ_ERR(door__buf_puts(&e.cb, "&code=again"), DOOR_OK);
  T_EQ_ERR(finish(&e, "op", &r, &d), DOOR_ELOGIN_DUP_PARAM);
  T_EQ_ERR(door_login_finish(e.rp, "op", "code=x", NULL, NULL, &r, &d),
           DOOR_ELOGIN_STATE_MISSING);
  T_OK(r.clear_cookie == NULL);
  T_EQ_INT(e.o.token_calls, 0);
  env_down(&e);
}

static void test_provider_error_and_iss(void) {
  env e;
  door_login_result r;
  door_detail d;
  door_buf q;
  env_up(&e);
  door__buf_init(&q, 4096);
  begin(&e, "op");
  T_EQ_ERR(door__form_append(&q, "state", e.o.state), DOOR_OK);
  T_EQ_ERR(door__form_append(&q, "error", "access_denied"), DOOR_OK);
  T_EQ_ERR(door__form_append(&q, "error_description", "<b>no</b>\r\n"),
           DOOR_OK);
  T_EQ_ERR(door_login_finish(e.rp, "op", door__buf_str(&q),
                             door__buf_str(&e.cookie), NULL, &r, &d),
           DOOR_ELOGIN_PROVIDER_ERROR);
  door_login_result_clear(&r);
  T_EQ_STR(d.where, "error=access_denied");
  T_OK(strstr(d.what, "<b>") == NULL);
  /* iss missing although declared. */
  begin(&e, "op");
  door__buf_reset(&q);
  T_EQ_ERR(door__form_append(&q, "code", "CODE-999"), DOOR_OK);
  T_EQ_ERR(door__form_append(&q, "state", e.o.state), DOOR_OK);
  T_EQ_ERR(door_login_finish(e.rp, "op", door__buf_str(&q),
                             door__buf_str(&e.cookie), NULL, &r, &d),
           DOOR_EISS_PARAM_MISSING);
  door_login_result_clear(&r);
  /* iss of another issuer. */
  begin(&e, "op");
  T_EQ_ERR(door__form_append(&q, "iss", "http://127.0.0.1:1"), DOOR_OK);
  door__buf_reset(&e.cb);
  T_EQ_ERR(door__form_append(&e.cb, "code", "CODE-999"), DOOR_OK);
  T_EQ_ERR(door__form_append(&e.cb, "state", e.o.state), DOOR_OK);
  T_EQ_ERR(door__form_append(&e.cb, "iss", "http://127.0.0.1:1"), DOOR_OK);
  T_EQ_ERR(finish(&e, "op", &r, &d), DOOR_EISS_PARAM_MISMATCH);
  T_EQ_INT(e.o.token_calls, 0);
  door__buf_free(&q);
  env_down(&e);
}

typedef struct fault {
  const char *name;
  void (*set)(op *o);
  door_err want;
} fault;

static void f_token_error(op *o) { o->token_error = "invalid_grant"; }
static void f_token_type(op *o) { o->token_type = "MAC"; }
static void f_token_type_lower(op *o) { o->token_type = "bearer"; }
static void f_no_id_token(op *o) { o->omit_id_token = 1; }
static void f_nonce(op *o) { o->nonce_override = "not-the-nonce"; }
static void f_iss(op *o) { o->iss_override = "http://127.0.0.1:1"; }
static void f_aud(op *o) { o->aud_override = "client-2"; }
static void f_exp(op *o) { o->exp_offset = -400; }
static void f_kid(op *o) { o->bad_kid = 1; }
static void f_userinfo_sub(op *o) { o->userinfo_sub = "user-2"; }
static void f_hs256(op *o) { o->sign_hs256 = 1; }
static void f_bad_secret(op *o) { o->secret = "another secret"; }

static const fault k_faults[] = {
    {"token endpoint error", f_token_error, DOOR_ETOKEN_ERROR},
    {"token_type MAC", f_token_type, DOOR_ETOKEN_TYPE},
    {"token_type lower case", f_token_type_lower, DOOR_OK},
    {"no id_token", f_no_id_token, DOOR_EID_TOKEN_MISSING},
    {"nonce", f_nonce, DOOR_EIDT_NONCE},
    {"iss", f_iss, DOOR_EIDT_ISS},
    {"aud", f_aud, DOOR_EIDT_AUD},
    {"exp", f_exp, DOOR_EIDT_EXP},
    {"unknown kid", f_kid, DOOR_EKID_UNKNOWN},
    {"userinfo sub", f_userinfo_sub, DOOR_EUSERINFO_SUB},
    {"HS256 not pinned", f_hs256, DOOR_EALG_NOT_ALLOWED},
    {"client secret refused", f_bad_secret, DOOR_ETOKEN_ERROR},
};

static void test_faults(void) {
  size_t i;
  for (i = 0; i < sizeof k_faults / sizeof k_faults[0]; i++) {
    env e;
    door_login_result r;
    door_detail d;
    door_err got;
    env_up(&e);
    k_faults[i].set(&e.o);
    begin(&e, "op");
    got = finish(&e, "op", &r, &d);
    if (got == DOOR_OK)
      T_OK(r.subject != NULL);
    else
      T_OK(r.subject == NULL && r.tokens.access_token == NULL);
    door_login_result_clear(&r);
    env_down(&e);
    if (got != k_faults[i].want)
      T_FAIL_("fault \"%s\": got %s, want %s", k_faults[i].name,
              door_err_name(got), door_err_name(k_faults[i].want));
  }
}

static void test_begin_checks(void) {
  env e;
  door_login_params p;
  door_detail d;
  env_up(&e);
  memset(&p, 0, sizeof p);
  p.provider = "nope";
  T_EQ_ERR(door_login_begin(e.rp, &p, &e.start, &d), DOOR_EPROVIDER_UNKNOWN);
  p.provider = "op";
  p.return_to = "//evil.example/";
  T_EQ_ERR(door_login_begin(e.rp, &p, &e.start, &d), DOOR_ERETURN_TO_REFUSED);
  T_OK(e.start.authorization_url == NULL && e.start.set_cookie == NULL);
  p.return_to = "https://door.example/after";
  T_EQ_ERR(door_login_begin(e.rp, &p, &e.start, &d), DOOR_OK);
  door_login_start_clear(&e.start);
  {
    char uri[256];
    T_EQ_ERR(door_login_redirect_uri(e.rp, "op2", uri, sizeof uri), DOOR_OK);
    T_EQ_STR(uri, "http://127.0.0.1:8080/callback/op2");
    T_EQ_ERR(door_login_redirect_uri(e.rp, "op2", uri, 10), DOOR_ETOOBIG);
  }
  /* Discovery is fetched once and cached. */
  T_EQ_ERR(door_login_begin(e.rp, &p, &e.start, &d), DOOR_OK);
  T_EQ_INT(e.o.disco_calls, 1);
  env_down(&e);
}

/* Key sets are cached per issuer: "op" and "op2" share one issuer, so a
 * login with each fetches the JWKS once. */
static void test_jwks_per_issuer(void) {
  env e;
  door_login_result r;
  door_detail d;
  env_up(&e);
  begin(&e, "op");
  memset(&r, 0, sizeof r);
  T_EQ_ERR(finish(&e, "op", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  begin(&e, "op2");
  T_EQ_ERR(finish(&e, "op2", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  T_EQ_INT(e.o.token_calls, 2);
  T_EQ_INT(e.o.jwks_calls, 1);
  T_EQ_INT(door__rp_jwks_fetches(e.rp, "op2"), 1);
  env_down(&e);
}

static void test_messages(void) {
  char m[512];
  size_t n = door_login_error_message(DOOR_ELOGIN_EXPIRED, "d-account", "en", m,
                                      sizeof m);
  T_EQ_INT(n, strlen(m));
  T_EQ_STR(m, "Signing in with d-account took too long. Please sign in again.");
  door_login_error_message(DOOR_EHTTP_TIMEOUT, "XMarket", "ja", m, sizeof m);
  T_OK(strncmp(m, "XMarketに接続できませんでした", 10) == 0);
  door_login_error_message(DOOR_EIDT_NONCE, NULL, "xx", m, sizeof m);
  T_OK(strstr(m, "the provider") != NULL);
  /* Truncation keeps UTF-8 whole and the string terminated. */
  n = door_login_error_message(DOOR_ELOGIN_EXPIRED, "d", "ja", m, 8);
  T_OK(n < 8);
  T_EQ_INT(m[n], 0);
}

T_MAIN(T_CASE(test_happy_path), T_CASE(test_parallel_tabs),
       T_CASE(test_threads), T_CASE(test_no_secrets_in_logs),
       T_CASE(test_pending_checks), T_CASE(test_provider_error_and_iss),
       T_CASE(test_faults), T_CASE(test_begin_checks),
       T_CASE(test_jwks_per_issuer), T_CASE(test_messages))
