/* Login end to end against the real door-idp over TLS: door_login_begin,
 * GET the authorization URL with libcurl (adding login_hint; door-idp runs
 * with --auto-approve), read the Location, door_login_finish with its query
 * and the pending-login cookie.  Every profile here; every fault of
 * door-idp's registry in faults.c; login CSRF, code injection, mix-up and
 * private_key_jwt in attacks.c.
 *
 * argv: door-idp ca.pem server.pem server.key login.json daccount-disco.json
 */
#include "login_env.h"
#include "util/config.h"

#include <stdio.h>
#include <string.h>

jmp_buf t__jmp;

static void test_setup(void) {
  pkjwt_setup();
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
  go_to_provider(g_rp, "daccount", "taro", &a);
  T_OK(strstr(a.start.authorization_url, "/cgi8/oidc/authorize?"));
  T_OK(strstr(a.start.authorization_url, "&authif=1"));
  T_EQ_ERR(door_login_finish(g_rp, "daccount", a.query, a.cookie, NULL, &r, &d),
           DOOR_OK);
  T_OK(r.subject && *r.subject); /* pairwise */
  T_OK(strstr(r.claims_json, "\"name\":\"Docomo Taro\"") != NULL);
  door_login_result_clear(&r);
  /* The same callback again: one-time use. */
  T_EQ_ERR(door_login_finish(g_rp, "daccount", a.query, a.cookie, NULL, &r, &d),
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
                               NULL, &ent, &d),
           DOOR_OK);
  T_EQ_INT(ent.entitled, 1);
  T_EQ_STR(ent.ticket_id, "t-1");
  T_EQ_STR(ent.tier, "vip");
  T_EQ_ERR(door_rp_entitlement(g_rp, "xmarket", r.tokens.access_token, "ev-200",
                               NULL, &ent, &d),
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
  go_to_provider(g_rp, "generic", "alice", &a1);
  go_to_provider(g_rp, "generic", "alice", &a2);
  n1 = strlen(a1.cookie);
  memcpy(both, a1.cookie, n1);
  memcpy(both + n1, "; ", 2);
  memcpy(both + n1 + 2, a2.cookie, strlen(a2.cookie) + 1);
  T_EQ_ERR(door_login_finish(g_rp, "generic", a2.query, both, NULL, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  T_EQ_ERR(door_login_finish(g_rp, "generic", a1.query, both, NULL, &r, NULL),
           DOOR_OK);
  door_login_result_clear(&r);
  /* A callback whose cookie this browser does not have. */
  door_login_start_clear(&a1.start);
  go_to_provider(g_rp, "generic", "alice", &a1);
  T_EQ_ERR(
      door_login_finish(g_rp, "generic", a1.query, a2.cookie, NULL, &r, NULL),
      DOOR_ELOGIN_NO_PENDING);
  door_login_result_clear(&r);
  door_login_start_clear(&a1.start);
  door_login_start_clear(&a2.start);
}

/* A rotated key: the cached set lacks it; within the refetch cooldown it
 * stays unknown, after it one refetch finds it. */
static void test_key_rotation(void) {
  door_login_result r;
  door_detail d;
  uint64_t mark;
  door_rp *rp = make_rp();
  T_OK(rp != NULL);
  T_EQ_ERR(login_with(rp, "generic", "alice", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  /* Within the cooldown the unknown kid is refused without a refetch. */
  arm("id_token.key_rotated", "generic", NULL, NULL);
  mark = log_mark();
  T_EQ_ERR(login_with(rp, "generic", "alice", &r, &d), DOOR_EKID_UNKNOWN);
  door_login_result_clear(&r);
  T_EQ_INT(log_count("generic", "jwks", mark), 0);
  /* After it, one refetch finds the new key. */
  arm("id_token.key_rotated", "generic", NULL, NULL);
  g_offset = 61;
  mark = log_mark();
  T_EQ_ERR(login_with(rp, "generic", "alice", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  g_offset = 0;
  T_EQ_INT(log_count("generic", "jwks", mark), 1);
  door_rp_free(rp);
}

/* A discovery document naming another issuer: nothing starts. */
static void test_discovery_issuer(void) {
  door_rp *rp = make_rp();
  door_login_params p;
  door_login_start s;
  door_detail d;
  T_OK(rp != NULL);
  arm("discovery.issuer_wrong", "generic", NULL, NULL);
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
  pkjwt_cleanup();
  T_EQ_INT(e2e_stop(E), 0);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_setup),
      T_CASE(test_generic),
      T_CASE(test_daccount),
      T_CASE(test_xmarket),
      T_CASE(test_two_tabs),
      T_CASE(test_csrf),
      T_CASE(test_code_injection),
      T_CASE(test_mixup),
      T_CASE(test_private_key_jwt),
      T_CASE(test_fault_catalog),
      T_CASE(test_faults),
      T_CASE(test_key_rotation),
      T_CASE(test_discovery_issuer),
      T_CASE(test_refresh),
      T_CASE(test_privacy_audit),
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
