/* The one outbound path: every request to a provider is checked against
 * its manifest (authorize, token, userinfo, tickets, end_session), an
 * unlisted field refuses the request before anything is sent and counts
 * in door_rp_tx_refused, and each request leaves a record with field names
 * and never values. */
#include "doorauth/provider.h"
#include "fake_op.h"
#include "oidc/logout.h"
#include "t.h"

#include <string.h>
#include <time.h>

static int64_t g_now;
static int64_t test_clock(void *ud) {
  (void)ud;
  return g_now;
}

#define SECTION(name, type)                                                    \
  "[provider \"" name "\"]\n"                                                  \
  "type = " type "\n"                                                          \
  "issuer = http://127.0.0.1:PORT\n"                                           \
  "client_id = door-x\n"                                                       \
  "client_secret = s3cr:t+/= x\n"                                              \
  "allowed_algs = ES256\n"

static const char k_conf[] =
    "[broker]\n"
    "public_url = http://127.0.0.1:8080\n"
    "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
    "allow_insecure_loopback = yes\n" SECTION(
        "xm",
        "xmarket") "userinfo = yes\n"
                   "end_session_endpoint = "
                   "http://127.0.0.1:PORT/logout?tenant=1\n"
                   "manifest_extra = "
                   "end_session:tenant:protocol:logout\n" SECTION(
                       "narrow",
                       "xmarket") "manifest_tickets = header:Authorization\n"
                                  "manifest_token = grant_type code "
                                  "redirect_uri "
                                  "header:Authorization\n" SECTION("plain",
                                                                   "generic");

typedef struct env {
  op o;
  door_config *cfg;
  door_rp *rp;
} env;

static void env_up(env *e, op_mode mode, const char *conf) {
  door_rp_options opt;
  door_detail d;
  memset(e, 0, sizeof *e);
  g_now = (int64_t)time(NULL);
  T_EQ_INT(op_start(&e->o, mode, &g_now), 0);
  e->cfg = op_config(&e->o, conf);
  T_OK(e->cfg != NULL);
  door_rp_options_init(&opt);
  opt.clock = test_clock;
  T_EQ_ERR(door_rp_new(e->cfg, &opt, &e->rp, &d), DOOR_OK);
}

static void env_down(env *e) {
  door_rp_free(e->rp);
  door__config_free(e->cfg);
  op_stop(&e->o);
}

/* No record holds `value` (field names only). */
static void no_value(const door_txlog *tx, const char *value) {
  size_t i;
  for (i = 0; i < tx->n; i++)
    if (strstr(tx->items[i].fields, value))
      T_FAIL_("record %zu fields \"%s\" hold a value", i, tx->items[i].fields);
}

/* Begin and finish a login at `provider`, recording into tx. */
static door_err login(env *e, const char *provider, door_txlog *tx,
                      door_login_result *r, door_detail *d) {
  door_login_params p;
  door_login_start s;
  door_buf cb, ck;
  door_err err;
  door__buf_init(&cb, 1 << 16);
  door__buf_init(&ck, 1 << 16);
  memset(&p, 0, sizeof p);
  p.provider = provider;
  p.tx = tx;
  err = door_login_begin(e->rp, &p, &s, d);
  if (!err) {
    op_authorize(&e->o, s.authorization_url, &cb);
    op_cookie_of(s.set_cookie, &ck);
    no_value(tx, e->o.state);
    err = door_login_finish(e->rp, provider, door__buf_str(&cb),
                            door__buf_str(&ck), tx, r, d);
    door_login_start_clear(&s);
  }
  door__buf_free(&cb);
  door__buf_free(&ck);
  return err;
}

static void test_login_records(void) {
  env e;
  door_txlog tx;
  door_login_result r;
  door_detail d;
  env_up(&e, OP_XMARKET, k_conf);
  door_txlog_init(&tx);
  T_EQ_ERR(login(&e, "xm", &tx, &r, &d), DOOR_OK);
  /* authorize (redirect), token, userinfo: discovery and JWKS come from
   * the caches' own fetches, not recorded in the caller's log */
  T_EQ_INT(tx.n, 3);
  T_EQ_INT(tx.dropped, 0);
  T_EQ_INT(tx.items[0].endpoint, DOOR_TX_AUTHORIZE);
  T_EQ_STR(tx.items[0].provider, "xm");
  T_EQ_STR(tx.items[0].fields,
           "response_type client_id redirect_uri scope state nonce "
           "code_challenge code_challenge_method");
  T_EQ_INT(tx.items[0].purpose, DOOR_TXP_LOGIN);
  T_EQ_ERR(tx.items[0].outcome, DOOR_OK);
  T_EQ_INT(tx.items[0].http_status, 0);
  T_EQ_INT(tx.items[0].at, g_now);
  T_EQ_INT(tx.items[1].endpoint, DOOR_TX_TOKEN);
  T_EQ_STR(tx.items[1].fields,
           "grant_type code redirect_uri code_verifier header:Authorization");
  T_EQ_INT(tx.items[1].http_status, 200);
  T_EQ_INT(tx.items[2].endpoint, DOOR_TX_USERINFO);
  T_EQ_STR(tx.items[2].fields, "header:Authorization");
  T_EQ_INT(tx.items[2].http_status, 200);
  no_value(&tx, r.tokens.access_token);
  no_value(&tx, "CODE-");
  no_value(&tx, "door-x");
  door_login_result_clear(&r);
  /* the ticket check */
  {
    door_entitlement ent;
    e.o.tickets_body = "{\"tickets\":[]}";
    T_EQ_ERR(door_rp_entitlement(e.rp, "xm", "AT-1", "live 1", &tx, &ent, &d),
             DOOR_OK);
    T_EQ_INT(tx.n, 4);
    T_EQ_INT(tx.items[3].endpoint, DOOR_TX_TICKETS);
    T_EQ_STR(tx.items[3].fields, "event_id header:Authorization");
    T_EQ_INT(tx.items[3].purpose, DOOR_TXP_EVENT);
    T_EQ_INT(tx.items[3].http_status, 200);
    no_value(&tx, "live");
    no_value(&tx, "AT-1");
  }
  T_EQ_INT(door_rp_tx_refused(e.rp, "xm", DOOR_TX_AUTHORIZE), 0);
  env_down(&e);
}

/* An authorize parameter nobody listed: refused, no URL, counted. */
static void test_authorize_unlisted(void) {
  env e;
  door_txlog tx;
  door_login_params p;
  door_login_start s;
  door_detail d;
  env_up(&e, OP_XMARKET, k_conf);
  door_txlog_init(&tx);
  memset(&p, 0, sizeof p);
  p.provider = "plain";
  p.login_hint = "hanako@example.jp";
  p.tx = &tx;
  T_EQ_ERR(door_login_begin(e.rp, &p, &s, &d), DOOR_EPRIVACY_UNLISTED);
  T_OK(s.authorization_url == NULL && s.set_cookie == NULL);
  T_EQ_STR(d.where, "authorize login_hint");
  T_OK(strstr(d.what, "login_hint") != NULL);
  T_OK(strstr(d.hint, "manifest_extra") != NULL);
  T_EQ_INT(door_rp_tx_refused(e.rp, "plain", DOOR_TX_AUTHORIZE), 1);
  T_EQ_INT(door_rp_tx_refused(e.rp, "plain", DOOR_TX_TOKEN), 0);
  T_EQ_INT(door_rp_tx_refused(e.rp, "xm", DOOR_TX_AUTHORIZE), 0);
  T_EQ_INT(tx.n, 1);
  T_EQ_ERR(tx.items[0].outcome, DOOR_EPRIVACY_UNLISTED);
  T_OK(strstr(tx.items[0].fields, "login_hint") != NULL);
  no_value(&tx, "hanako");
  /* listed for xm? no: same refusal there, counted separately */
  p.provider = "xm";
  T_EQ_ERR(door_login_begin(e.rp, &p, &s, &d), DOOR_EPRIVACY_UNLISTED);
  T_EQ_INT(door_rp_tx_refused(e.rp, "xm", DOOR_TX_AUTHORIZE), 1);
  T_EQ_INT(door_rp_tx_refused(e.rp, "plain", DOOR_TX_AUTHORIZE), 1);
  T_EQ_INT(tx.n, 2);
  env_down(&e);
}

/* Token and tickets restricted by the configuration: nothing is sent. */
static void test_backchannel_unlisted(void) {
  env e;
  door_txlog tx;
  door_login_result r;
  door_entitlement ent;
  door_detail d;
  int calls;
  env_up(&e, OP_XMARKET, k_conf);
  door_txlog_init(&tx);
  calls = e.o.token_calls;
  T_EQ_ERR(login(&e, "narrow", &tx, &r, &d), DOOR_EPRIVACY_UNLISTED);
  T_OK(r.subject == NULL && r.tokens.access_token == NULL);
  door_login_result_clear(&r); /* the clear_cookie, kept on failure */
  T_EQ_STR(d.where, "token code_verifier");
  T_EQ_INT(e.o.token_calls, calls);
  T_EQ_INT(door_rp_tx_refused(e.rp, "narrow", DOOR_TX_TOKEN), 1);
  T_EQ_INT(tx.n, 2);
  T_EQ_INT(tx.items[1].endpoint, DOOR_TX_TOKEN);
  T_EQ_ERR(tx.items[1].outcome, DOOR_EPRIVACY_UNLISTED);
  T_EQ_INT(tx.items[1].http_status, 0);
  calls = e.o.tickets_calls;
  e.o.tickets_body = "{\"tickets\":[]}";
  T_EQ_ERR(door_rp_entitlement(e.rp, "narrow", "AT-1", "e", &tx, &ent, &d),
           DOOR_EPRIVACY_UNLISTED);
  T_EQ_STR(d.where, "tickets event_id");
  T_EQ_INT(e.o.tickets_calls, calls);
  T_EQ_INT(door_rp_tx_refused(e.rp, "narrow", DOOR_TX_TICKETS), 1);
  T_EQ_INT(ent.entitled, 0);
  env_down(&e);
}

static void test_end_session(void) {
  env e;
  door_txlog tx;
  door_buf url;
  door_detail d;
  env_up(&e, OP_XMARKET, k_conf);
  door_txlog_init(&tx);
  door__buf_init(&url, 8192);
  /* the endpoint's own query parameter is a field too: listed by extra */
  T_EQ_ERR(door__rp_end_session_url(
               e.rp, "xm", "http://127.0.0.1:1/logout?tenant=1", "IDT.x.y",
               "https://door/bye", "st", &tx, &url, &d),
           DOOR_OK);
  if (!strstr(door__buf_str(&url), "?tenant=1&id_token_hint=IDT.x.y"))
    T_FAIL_("end-session URL %s", door__buf_str(&url));
  T_EQ_INT(tx.n, 1);
  T_EQ_INT(tx.items[0].endpoint, DOOR_TX_END_SESSION);
  T_EQ_STR(tx.items[0].fields,
           "tenant id_token_hint client_id post_logout_redirect_uri state");
  T_EQ_INT(tx.items[0].purpose, DOOR_TXP_LOGOUT);
  no_value(&tx, "IDT");
  /* plain does not list tenant */
  door__buf_reset(&url);
  T_EQ_ERR(door__rp_end_session_url(e.rp, "plain",
                                    "http://127.0.0.1:1/logout?tenant=1", NULL,
                                    NULL, NULL, &tx, &url, &d),
           DOOR_EPRIVACY_UNLISTED);
  T_EQ_INT(url.len, 0);
  T_EQ_STR(d.where, "end_session tenant");
  T_EQ_INT(door_rp_tx_refused(e.rp, "plain", DOOR_TX_END_SESSION), 1);
  door__buf_free(&url);
  env_down(&e);
}

/* d-account's hook adds authif; a configuration that does not list it
 * refuses the authorization request. */
static const char k_dacc[] =
    "[broker]\n"
    "public_url = http://127.0.0.1:8080\n"
    "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
    "allow_insecure_loopback = yes\n"
    "[provider \"daccount\"]\n"
    "type = daccount\n"
    "issuer = http://127.0.0.1:PORT/\n"
    "client_id = door-client\n"
    "client_secret = sec\n"
    "authif = 1\n"
    "allowed_algs = RS256\n"
    "manifest_authorize = response_type client_id redirect_uri scope state "
    "nonce code_challenge code_challenge_method\n";

static void test_hook_unlisted(void) {
  env e;
  door_login_params p;
  door_login_start s;
  door_detail d;
  env_up(&e, OP_DACCOUNT, k_dacc);
  memset(&p, 0, sizeof p);
  p.provider = "daccount";
  T_EQ_ERR(door_login_begin(e.rp, &p, &s, &d), DOOR_EPRIVACY_UNLISTED);
  T_EQ_STR(d.where, "authorize authif");
  T_OK(s.authorization_url == NULL);
  T_EQ_INT(door_rp_tx_refused(e.rp, "daccount", DOOR_TX_AUTHORIZE), 1);
  env_down(&e);
}

static void test_txlog_full(void) {
  env e;
  door_txlog tx;
  door_login_params p;
  door_login_start s;
  size_t i;
  env_up(&e, OP_XMARKET, k_conf);
  door_txlog_init(&tx);
  memset(&p, 0, sizeof p);
  p.provider = "xm";
  p.tx = &tx;
  for (i = 0; i < DOOR_TXLOG_MAX + 3; i++) {
    T_EQ_ERR(door_login_begin(e.rp, &p, &s, NULL), DOOR_OK);
    door_login_start_clear(&s);
  }
  T_EQ_INT(tx.n, DOOR_TXLOG_MAX);
  T_EQ_INT(tx.dropped, 3);
  /* no log: nothing recorded, still checked */
  p.tx = NULL;
  T_EQ_ERR(door_login_begin(e.rp, &p, &s, NULL), DOOR_OK);
  door_login_start_clear(&s);
  env_down(&e);
}

T_MAIN(T_CASE(test_login_records), T_CASE(test_authorize_unlisted),
       T_CASE(test_backchannel_unlisted), T_CASE(test_end_session),
       T_CASE(test_hook_unlisted), T_CASE(test_txlog_full))
