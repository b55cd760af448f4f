/* Login end to end against the real door-idp over TLS: door_login_begin,
 * GET the authorization URL with libcurl (adding login_hint; door-idp runs
 * with --auto-approve), read the Location, door_login_finish with its query
 * and the pending-login cookie.  Every profile, then door-idp's faults, each
 * mapped to the code the finish sequence must give.
 *
 * argv: door-idp ca.pem server.pem server.key login.json daccount-disco.json
 */
#include "doorauth/login.h"
#include "harness.h"
#include "t.h"
#include "util/config.h"
#include "util/errlist.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

jmp_buf t__jmp;
static e2e_env env;
static e2e_env *E = &env;
static door_config *g_cfg;
static door_rp *g_rp;
static int64_t g_offset; /* added to the RP's clock */

#define REDIRECT_BASE "https://door.localhost/callback/"

static int64_t rp_clock(void *ud) {
  (void)ud;
  return (int64_t)time(NULL) + g_offset;
}

/* "[broker]..." with the issuers door-idp serves and its CA. */
static door_config *make_config(void) {
  door_buf t;
  door_config *cfg = NULL;
  door_errlist errs;
  size_t i;
  door__buf_init(&t, 1 << 16);
  door__buf_puts(&t, "[broker]\n"
                     "public_url = https://door.localhost\n"
                     "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                     "Hh8\n"
                     "ca_file = ");
  door__buf_puts(&t, E->ca);
  door__buf_puts(&t, "\n[store]\nurl = sqlite:unused.db\n"
                     "[provider \"daccount\"]\ntype = daccount\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "daccount", "issuer"));
  door__buf_puts(&t, "\nclient_id = door-rs\n"
                     "client_secret = planted-secret-login-daccount-rs-"
                     "0123456789abcdef\n"
                     "authif = 1\nscopes = openid profile\nuserinfo = yes\n"
                     "keep_claims = name\n"
                     "display_name = d-account\n"
                     "[provider \"daccount-hs\"]\ntype = daccount\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "daccount", "issuer"));
  door__buf_puts(&t, "\nclient_id = door-hs\n"
                     "client_secret = planted-secret-login-daccount-hs-"
                     "0123456789abcdef\n"
                     "allowed_algs = RS256 HS256\naccept_hs256 = yes\n"
                     "token_path = /common/token\n"
                     "[provider \"xmarket\"]\ntype = xmarket\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "xmarket", "issuer"));
  door__buf_puts(&t, "\nclient_id = door-xm\n"
                     "client_secret = planted-secret-login-xmarket-"
                     "0123456789abcdef\n"
                     "scopes = openid profile email\nallowed_algs = ES256\n"
                     "userinfo = yes\nkeep_claims = email name\n"
                     "[provider \"generic\"]\ntype = generic\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "generic", "issuer"));
  door__buf_puts(&t, "\nclient_id = rp-rs\n"
                     "client_secret = planted-secret-login-generic-rs-"
                     "0123456789abcdef\n"
                     "scopes = openid email\nallowed_algs = RS256 ES256\n"
                     "userinfo = yes\nkeep_claims = email\n"
                     "[provider \"generic-es\"]\ntype = generic\nissuer = ");
  door__buf_puts(&t, e2e_url(E, "generic", "issuer"));
  door__buf_puts(&t, "\nclient_id = rp-es\n"
                     "client_secret = planted-secret-login-generic-es-"
                     "0123456789abcdef\n"
                     "token_auth_method = client_secret_post\n"
                     "allowed_algs = ES256\n");
  door__errlist_init(&errs);
  if (door__config_load_mem("login-e2e.conf", t.data, t.len, NULL, &cfg,
                            &errs)) {
    for (i = 0; i < errs.n; i++) {
      door_buf line;
      door__buf_init(&line, 4096);
      door__diag_format(&errs.items[i], &line);
      printf("# config: %s\n", door__buf_str(&line));
      door__buf_free(&line);
    }
    cfg = NULL;
  }
  door__errlist_free(&errs);
  door__buf_free(&t);
  return cfg;
}

static door_rp *make_rp(void) {
  door_rp_options o;
  door_rp *rp = NULL;
  door_detail d;
  door_err err;
  door_rp_options_init(&o);
  o.clock = rp_clock;
  err = door_rp_new(g_cfg, &o, &rp, &d);
  if (err)
    printf("# door_rp_new: %s %s %s\n", door_err_name(err), d.where, d.what);
  return rp;
}

typedef struct attempt {
  door_login_start start;
  char query[8192];
  char cookie[4096];
  long status; /* of the authorization endpoint */
} attempt;

/* begin, then the browser's trip to the provider: fills the callback's
 * query and the Cookie header.  Returns 0 when a callback was reached. */
static int go_to_provider(door_rp *rp, const char *provider, const char *user,
                          attempt *a) {
  door_login_params p;
  door_detail d;
  door_buf url;
  e2e_resp r;
  const char *loc, *q;
  size_t n;
  door_err err;
  memset(a, 0, sizeof *a);
  memset(&p, 0, sizeof p);
  p.provider = provider;
  p.return_to = "/rooms/7";
  err = door_login_begin(rp, &p, &a->start, &d);
  if (err) {
    printf("# begin %s: %s %s\n", provider, door_err_name(err), d.what);
    return -1;
  }
  door__buf_init(&url, 16384);
  door__buf_puts(&url, a->start.authorization_url);
  door__buf_puts(&url, "&");
  door__form_append(&url, "login_hint", user);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  a->status = r.status;
  loc = e2e_header(&r, "location");
  T_OK(loc != NULL);
  /* Back to our redirect_uri for this provider. */
  T_OK(strncmp(loc, REDIRECT_BASE, strlen(REDIRECT_BASE)) == 0);
  T_OK(strncmp(loc + strlen(REDIRECT_BASE), provider, strlen(provider)) == 0);
  q = strchr(loc, '?');
  T_OK(q != NULL && strlen(q + 1) < sizeof a->query);
  memcpy(a->query, q + 1, strlen(q + 1) + 1);
  n = strcspn(a->start.set_cookie, ";");
  T_OK(n < sizeof a->cookie);
  memcpy(a->cookie, a->start.set_cookie, n);
  a->cookie[n] = '\0';
  e2e_resp_free(&r);
  door__buf_free(&url);
  return 0;
}

static door_err login_with(door_rp *rp, const char *provider, const char *user,
                           door_login_result *r, door_detail *d) {
  attempt a;
  door_err err;
  memset(r, 0, sizeof *r);
  if (go_to_provider(rp, provider, user, &a))
    return DOOR_EINTERNAL;
  err = door_login_finish(rp, provider, a.query, a.cookie, r, d);
  door_login_start_clear(&a.start);
  return err;
}

static void test_setup(void) {
  g_cfg = make_config();
  T_OK(g_cfg != NULL);
  g_rp = make_rp();
  T_OK(g_rp != NULL);
}

static void test_generic(void) {
  door_login_result r;
  door_detail d;
  T_EQ_ERR(login_with(g_rp, "generic", "alice", &r, &d), DOOR_OK);
  T_EQ_STR(r.provider, "generic");
  T_EQ_STR(r.issuer, e2e_url(E, "generic", "issuer"));
  T_EQ_STR(r.subject, "alice-sub");
  T_EQ_STR(r.return_to, "/rooms/7");
  T_EQ_STR(r.claims_json,
           "{\"sub\":\"alice-sub\",\"email\":\"alice@example.test\"}");
  T_OK(r.tokens.access_token && r.tokens.id_token);
  T_OK(strstr(r.clear_cookie, "__Host-door-login-") == r.clear_cookie);
  door_login_result_clear(&r);
  /* client_secret_post and ES256. */
  T_EQ_ERR(login_with(g_rp, "generic-es", "alice", &r, &d), DOOR_OK);
  T_EQ_STR(r.subject, "alice-sub");
  door_login_result_clear(&r);
}

static void test_daccount(void) {
  door_login_result r;
  door_detail d;
  attempt a;
  T_EQ_INT(go_to_provider(g_rp, "daccount", "taro", &a), 0);
  T_OK(strstr(a.start.authorization_url, "/cgi8/oidc/authorize?"));
  T_OK(strstr(a.start.authorization_url, "&authif=1"));
  T_EQ_ERR(door_login_finish(g_rp, "daccount", a.query, a.cookie, &r, &d),
           DOOR_OK);
  T_OK(r.subject && *r.subject); /* pairwise */
  T_OK(strstr(r.claims_json, "\"name\":\"Docomo Taro\"") != NULL);
  door_login_result_clear(&r);
  /* The same callback again: one-time use. */
  T_EQ_ERR(door_login_finish(g_rp, "daccount", a.query, a.cookie, &r, &d),
           DOOR_ELOGIN_REPLAYED);
  door_login_result_clear(&r);
  door_login_start_clear(&a.start);
  /* HS256 keyed with the client secret, at /common/token. */
  T_EQ_ERR(login_with(g_rp, "daccount-hs", "taro", &r, &d), DOOR_OK);
  T_OK(r.subject && *r.subject);
  door_login_result_clear(&r);
}

static void test_xmarket(void) {
  door_login_result r;
  door_detail d;
  door_entitlement ent;
  T_EQ_ERR(login_with(g_rp, "xmarket", "hanako", &r, &d), DOOR_OK);
  T_OK(strstr(r.claims_json, "hanako@example.test") != NULL);
  T_OK(r.tokens.scope == NULL || strstr(r.tokens.scope, "tickets"));
  T_EQ_ERR(door_rp_entitlement(g_rp, "xmarket", r.tokens.access_token, "ev-100",
                               &ent, &d),
           DOOR_OK);
  T_EQ_INT(ent.entitled, 1);
  T_EQ_STR(ent.ticket_id, "t-1");
  T_EQ_STR(ent.tier, "vip");
  T_EQ_ERR(door_rp_entitlement(g_rp, "xmarket", r.tokens.access_token, "ev-200",
                               &ent, &d),
           DOOR_OK);
  T_EQ_INT(ent.entitled, 0);
  door_login_result_clear(&r);
}

/* Tabs in parallel: two logins begun, finished in the other order. */
static void test_two_tabs(void) {
  attempt a1, a2;
  door_login_result r;
  char both[8192];
  size_t n1;
  T_EQ_INT(go_to_provider(g_rp, "generic", "alice", &a1), 0);
  T_EQ_INT(go_to_provider(g_rp, "generic", "alice", &a2), 0);
  n1 = strlen(a1.cookie);
  memcpy(both, a1.cookie, n1);
  memcpy(both + n1, "; ", 2);
  memcpy(both + n1 + 2, a2.cookie, strlen(a2.cookie) + 1);
  T_EQ_ERR(door_login_finish(g_rp, "generic", a2.query, both, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  T_EQ_ERR(door_login_finish(g_rp, "generic", a1.query, both, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  /* A callback whose cookie this browser does not have. */
  door_login_start_clear(&a1.start);
  T_EQ_INT(go_to_provider(g_rp, "generic", "alice", &a1), 0);
  T_EQ_ERR(door_login_finish(g_rp, "generic", a1.query, a2.cookie, &r, NULL),
           DOOR_ELOGIN_NO_PENDING);
  door_login_result_clear(&r);
  door_login_start_clear(&a1.start);
  door_login_start_clear(&a2.start);
}

typedef struct fault_case {
  const char *fault;
  const char *profile;  /* door-idp profile */
  const char *provider; /* our [provider] */
  const char *user;
  const char *endpoint; /* for http.* faults */
  door_err want;
  int fresh; /* with a new door_rp (nothing cached) */
} fault_case;

static const fault_case k_faults[] = {
    {"authorize.error", "generic", "generic", "alice", NULL,
     DOOR_ELOGIN_PROVIDER_ERROR, 0},
    {"daccount.invalid_auth", "daccount", "daccount", "taro", NULL,
     DOOR_ELOGIN_PROVIDER_ERROR, 0},
    {"authorize.iss_wrong", "generic", "generic", "alice", NULL,
     DOOR_EISS_PARAM_MISMATCH, 0},
    {"authorize.iss_missing", "generic", "generic", "alice", NULL,
     DOOR_EISS_PARAM_MISSING, 0},
    {"authorize.state_wrong", "generic", "generic", "alice", NULL,
     DOOR_ELOGIN_CALLBACK, 0},
    {"token.error", "generic", "generic", "alice", NULL, DOOR_ETOKEN_ERROR, 0},
    {"daccount.timestamp_refused", "daccount", "daccount", "taro", NULL,
     DOOR_ETOKEN_ERROR, 0},
    {"token.no_id_token", "generic", "generic", "alice", NULL,
     DOOR_EID_TOKEN_MISSING, 0},
    {"id_token.iss_wrong", "generic", "generic", "alice", NULL, DOOR_EIDT_ISS,
     0},
    {"id_token.iss_missing", "generic", "generic", "alice", NULL, DOOR_EIDT_ISS,
     0},
    {"id_token.aud_wrong", "generic", "generic", "alice", NULL, DOOR_EIDT_AUD,
     0},
    {"id_token.aud_missing", "generic", "generic", "alice", NULL, DOOR_EIDT_AUD,
     0},
    {"id_token.aud_extra", "generic", "generic", "alice", NULL,
     DOOR_EIDT_AUD_UNTRUSTED, 0},
    {"id_token.sub_missing", "generic", "generic", "alice", NULL, DOOR_EIDT_SUB,
     0},
    {"id_token.iat_missing", "generic", "generic", "alice", NULL, DOOR_EIDT_IAT,
     0},
    {"id_token.iat_future", "generic", "generic", "alice", NULL, DOOR_EIDT_IAT,
     0},
    {"id_token.iat_week_old", "generic", "generic", "alice", NULL,
     DOOR_EIDT_TOO_OLD, 0},
    {"id_token.exp_past", "generic", "generic", "alice", NULL, DOOR_EIDT_EXP,
     0},
    {"id_token.nbf_future", "generic", "generic", "alice", NULL, DOOR_EIDT_NBF,
     0},
    {"id_token.nonce_wrong", "generic", "generic", "alice", NULL,
     DOOR_EIDT_NONCE, 0},
    {"id_token.nonce_missing", "generic", "generic", "alice", NULL,
     DOOR_EIDT_NONCE, 0},
    {"id_token.at_hash_wrong", "generic", "generic", "alice", NULL,
     DOOR_EIDT_AT_HASH, 0},
    {"id_token.alg_none", "generic", "generic", "alice", NULL, DOOR_EALG_NONE,
     0},
    {"id_token.sig_bad", "generic", "generic", "alice", NULL, DOOR_ESIG_INVALID,
     0},
    {"id_token.sig_bad", "daccount", "daccount-hs", "taro", NULL,
     DOOR_ESIG_INVALID, 0},
    {"id_token.hs256_pubkey", "generic", "generic", "alice", NULL,
     DOOR_EALG_NOT_ALLOWED, 0},
    {"id_token.hs256_pubkey", "daccount", "daccount-hs", "taro", NULL,
     DOOR_ESIG_INVALID, 0},
    /* The second key is published while the token is made: an RP whose
     * cached set holds one RSA key verifies with it; a fresh one sees two
     * and, the token naming none, refuses. */
    {"id_token.kid_missing", "generic", "generic", "alice", NULL, DOOR_OK, 0},
    {"id_token.kid_missing", "generic", "generic", "alice", NULL,
     DOOR_EKID_AMBIGUOUS, 1},
    {"id_token.kid_unknown", "generic", "generic", "alice", NULL,
     DOOR_EKID_UNKNOWN, 0},
    {"id_token.key_unpublished", "generic", "generic", "alice", NULL,
     DOOR_EKID_UNKNOWN, 0},
    {"userinfo.sub_wrong", "generic", "generic", "alice", NULL,
     DOOR_EUSERINFO_SUB, 0},
    {"http.status_500", "generic", "generic", "alice", "token",
     DOOR_ETOKEN_ERROR, 0},
    {"http.status_503", "generic", "generic", "alice", "userinfo",
     DOOR_EUSERINFO, 0},
    {"http.redirect", "generic", "generic", "alice", "token",
     DOOR_EHTTP_REDIRECT, 0},
    {"http.invalid_json", "generic", "generic", "alice", "token",
     DOOR_ETOKEN_RESPONSE, 0},
    {"http.truncated_json", "generic", "generic", "alice", "userinfo",
     DOOR_EUSERINFO, 0},
};

static void arm(const char *fault, const char *profile, const char *endpoint) {
  door_buf body;
  e2e_resp r;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "DELETE", "/faults", NULL, &r), 0);
  e2e_resp_free(&r);
  door__buf_init(&body, 1024);
  door__buf_puts(&body, "{\"fault\":\"");
  door__buf_puts(&body, fault);
  door__buf_puts(&body, "\",\"count\":1,\"profile\":\"");
  door__buf_puts(&body, profile);
  door__buf_putc(&body, '"');
  if (endpoint) {
    door__buf_puts(&body, ",\"endpoint\":\"");
    door__buf_puts(&body, endpoint);
    door__buf_putc(&body, '"');
  }
  door__buf_putc(&body, '}');
  T_OK(e2e_arm(E, body.data) > 0);
  door__buf_free(&body);
}

static void test_faults(void) {
  size_t i;
  int failed = 0;
  for (i = 0; i < sizeof k_faults / sizeof k_faults[0]; i++) {
    const fault_case *c = &k_faults[i];
    door_login_result r;
    door_detail d;
    door_err got;
    door_detail_clear(&d);
    door_rp *rp = c->fresh ? make_rp() : g_rp;
    T_OK(rp != NULL);
    arm(c->fault, c->profile, c->endpoint);
    got = login_with(rp, c->provider, c->user, &r, &d);
    if (rp != g_rp)
      door_rp_free(rp);
    if (got == DOOR_OK)
      door_login_result_clear(&r);
    else
      T_OK(r.subject == NULL && r.tokens.access_token == NULL);
    door_login_result_clear(&r);
    if (got != c->want) {
      printf("# fault %s on %s: got %s (%s: %s), want %s\n", c->fault,
             c->provider, door_err_name(got), d.where, d.what,
             door_err_name(c->want));
      failed = 1;
    }
  }
  {
    e2e_resp r;
    e2e_resp_init(&r);
    e2e_admin(E, "DELETE", "/faults", NULL, &r);
    e2e_resp_free(&r);
  }
  T_EQ_INT(failed, 0);
}

/* A rotated key: the cached set lacks it; after the cooldown one refetch
 * finds it. */
static void test_key_rotation(void) {
  door_login_result r;
  door_detail d;
  T_EQ_ERR(login_with(g_rp, "generic", "alice", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  arm("id_token.key_rotated", "generic", NULL);
  g_offset = 61;
  T_EQ_ERR(login_with(g_rp, "generic", "alice", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  g_offset = 0;
}

/* A discovery document naming another issuer: nothing starts. */
static void test_discovery_issuer(void) {
  door_rp *rp = make_rp();
  door_login_params p;
  door_login_start s;
  door_detail d;
  T_OK(rp != NULL);
  arm("discovery.issuer_wrong", "generic", NULL);
  memset(&p, 0, sizeof p);
  p.provider = "generic";
  T_EQ_ERR(door_login_begin(rp, &p, &s, &d), DOOR_EDISCOVERY_ISSUER);
  door_rp_free(rp);
}

static void test_shutdown(void) {
  door_rp_free(g_rp);
  g_rp = NULL;
  door__config_free(g_cfg);
  g_cfg = NULL;
  T_EQ_INT(e2e_stop(E), 0);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_setup),        T_CASE(test_generic),
      T_CASE(test_daccount),     T_CASE(test_xmarket),
      T_CASE(test_two_tabs),     T_CASE(test_faults),
      T_CASE(test_key_rotation), T_CASE(test_discovery_issuer),
      T_CASE(test_shutdown),
  };
  static const char *const extra[] = {"--auto-approve", NULL};
  if (e2e_start(E, argc, argv, extra)) {
    puts("1..1\nnot ok 1 - door-idp started");
    e2e_stop(E);
    return 1;
  }
  return t_run(cases, sizeof cases / sizeof cases[0]);
}
