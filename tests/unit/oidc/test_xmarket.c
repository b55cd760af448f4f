/* The XMarket provider: PKCE, the tickets scope, and the entitlement op
 * against the fixture's tickets endpoint. */
#include "fake_op.h"
#include "t.h"

#include <string.h>
#include <time.h>

static int64_t g_now;
static int64_t test_clock(void *ud) {
  (void)ud;
  return g_now;
}

static const char k_conf[] =
    "[broker]\n"
    "public_url = http://127.0.0.1:8080\n"
    "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
    "allow_insecure_loopback = yes\n"
    "[provider \"xmarket\"]\n"
    "type = xmarket\n"
    "issuer = http://127.0.0.1:PORT\n"
    "client_id = door-x\n"
    "client_secret = s3cr:t+/= x\n"
    "scopes = openid profile\n"
    "allowed_algs = ES256\n"
    "userinfo = yes\n"
    "manifest_extra = authorize:login_hint:user_identifier:login\n"
    "[provider \"plain\"]\n"
    "type = generic\n"
    "issuer = http://127.0.0.1:PORT\n"
    "client_id = door-x\n"
    "client_secret = s3cr:t+/= x\n"
    "allowed_algs = ES256\n";

typedef struct env {
  op o;
  door_config *cfg;
  door_rp *rp;
} env;

static void env_up(env *e) {
  door_rp_options opt;
  door_detail d;
  memset(e, 0, sizeof *e);
  g_now = (int64_t)time(NULL);
  T_EQ_INT(op_start(&e->o, OP_XMARKET, &g_now), 0);
  e->cfg = op_config(&e->o, k_conf);
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

static void test_login(void) {
  env e;
  door_login_params p;
  door_login_start s;
  door_login_result r;
  door_buf cb, ck;
  env_up(&e);
  door__buf_init(&cb, 1 << 16);
  door__buf_init(&ck, 1 << 16);
  memset(&p, 0, sizeof p);
  p.provider = "xmarket";
  p.login_hint = "alice";
  T_EQ_ERR(door_login_begin(e.rp, &p, &s, NULL), DOOR_OK);
  T_OK(strstr(s.authorization_url, "login_hint=alice") != NULL);
  op_authorize(&e.o, s.authorization_url, &cb);
  op_cookie_of(s.set_cookie, &ck);
  /* The tickets scope is added to the configured ones. */
  T_EQ_STR(e.o.scope, "openid profile tickets");
  T_EQ_INT(strlen(e.o.challenge), 43);
  T_EQ_ERR(door_login_finish(e.rp, "xmarket", door__buf_str(&cb),
                             door__buf_str(&ck), NULL, &r, NULL),
           DOOR_OK);
  T_EQ_STR(r.subject, "user-1");
  door_login_result_clear(&r);
  door_login_start_clear(&s);
  door__buf_free(&cb);
  door__buf_free(&ck);
  env_down(&e);
}

static void test_entitlement(void) {
  env e;
  door_entitlement ent;
  door_detail d;
  char body[1024];
  env_up(&e);
  /* One active ticket for the event, one used, one for another event. */
  e.o.tickets_body =
      "{\"tickets\":["
      "{\"ticket_id\":\"t-used\",\"event_id\":\"live 1\",\"tier\":\"vip\","
      "\"status\":\"used\"},"
      "{\"ticket_id\":\"t-other\",\"event_id\":\"live 2\",\"tier\":\"vip\","
      "\"status\":\"active\"},"
      "{\"ticket_id\":\"t-ok\",\"event_id\":\"live 1\",\"tier\":\"general\","
      "\"status\":\"active\",\"valid_until\":4102444800}]}";
  T_EQ_ERR(
      door_rp_entitlement(e.rp, "xmarket", "AT-1", "live 1", NULL, &ent, &d),
      DOOR_OK);
  T_EQ_INT(ent.entitled, 1);
  T_EQ_STR(ent.ticket_id, "t-ok");
  T_EQ_STR(ent.tier, "general");
  T_EQ_INT(ent.valid_until, 4102444800LL);
  /* The event id went in the query, form-encoded; the token in the header. */
  T_EQ_STR(e.o.tickets_query, "live 1");
  /* No active ticket for that event. */
  T_EQ_ERR(
      door_rp_entitlement(e.rp, "xmarket", "AT-1", "live 3", NULL, &ent, &d),
      DOOR_OK);
  T_EQ_INT(ent.entitled, 0);
  T_EQ_STR(ent.ticket_id, "");
  /* Not yet valid, and expired. */
  memcpy(body,
         "{\"tickets\":[{\"ticket_id\":\"a\",\"event_id\":\"e\","
         "\"tier\":\"g\",\"status\":\"active\","
         "\"valid_from\":4102444800}]}",
         sizeof "{\"tickets\":[{\"ticket_id\":\"a\",\"event_id\":\"e\","
                "\"tier\":\"g\",\"status\":\"active\","
                "\"valid_from\":4102444800}]}");
  e.o.tickets_body = body;
  T_EQ_ERR(door_rp_entitlement(e.rp, "xmarket", "AT-1", "e", NULL, &ent, &d),
           DOOR_OK);
  T_EQ_INT(ent.entitled, 0);
  e.o.tickets_body = "{\"tickets\":[{\"ticket_id\":\"a\",\"event_id\":\"e\","
                     "\"tier\":\"g\",\"status\":\"active\","
                     "\"valid_until\":1000}]}";
  T_EQ_ERR(door_rp_entitlement(e.rp, "xmarket", "AT-1", "e", NULL, &ent, &d),
           DOOR_OK);
  T_EQ_INT(ent.entitled, 0);
  /* Failures of the check itself. */
  T_EQ_ERR(door_rp_entitlement(e.rp, "xmarket", "wrong", "e", NULL, &ent, &d),
           DOOR_EENTITLEMENT);
  e.o.tickets_status = 403;
  T_EQ_ERR(door_rp_entitlement(e.rp, "xmarket", "AT-1", "e", NULL, &ent, &d),
           DOOR_EENTITLEMENT);
  T_OK(strstr(d.what, "tickets") != NULL);
  e.o.tickets_status = 200;
  e.o.tickets_body = "{\"tickets\":{}}";
  T_EQ_ERR(door_rp_entitlement(e.rp, "xmarket", "AT-1", "e", NULL, &ent, &d),
           DOOR_EENTITLEMENT);
  e.o.tickets_body = "{\"tickets\":[{\"event_id\":\"e\"}]}";
  T_EQ_ERR(door_rp_entitlement(e.rp, "xmarket", "AT-1", "e", NULL, &ent, &d),
           DOOR_EENTITLEMENT);
  T_EQ_INT(ent.entitled, 0);
  /* Providers without the capability. */
  T_EQ_ERR(door_rp_entitlement(e.rp, "plain", "AT-1", "e", NULL, &ent, &d),
           DOOR_EUNSUPPORTED);
  T_EQ_ERR(door_rp_entitlement(e.rp, "nope", "AT-1", "e", NULL, &ent, &d),
           DOOR_EPROVIDER_UNKNOWN);
  env_down(&e);
}

T_MAIN(T_CASE(test_login), T_CASE(test_entitlement))
