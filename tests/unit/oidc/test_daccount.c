/* Provider registry and the d-account provider: the real JWKS and
 * discovery document, authif, client_secret_basic, /common/token, the
 * kid-less key, HS256 only when configured. */
#include "doorauth/provider.h"
#include "fake_op.h"
#include "oidc/oidc.h"
#include "oidc/t_paths.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t g_now;
static int64_t test_clock(void *ud) {
  (void)ud;
  return g_now;
}

static char *slurp(const char *name, size_t *len) {
  char path[512];
  FILE *f;
  char *buf;
  size_t n = strlen(DOOR_TEST_DATA);
  memcpy(path, DOOR_TEST_DATA, n);
  path[n] = '/';
  memcpy(path + n + 1, name, strlen(name) + 1);
  f = fopen(path, "rb");
  T_OK(f != NULL);
  buf = malloc(1 << 20);
  T_OK(buf != NULL);
  *len = fread(buf, 1, (1 << 20) - 1, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static void test_registry(void) {
  size_t n = 0, i;
  const door_provider_ops *const *all = door_provider_list(&n);
  T_OK(n >= 1);
  for (i = 0; i < n; i++) {
    T_OK(all[i]->type != NULL && all[i]->configure != NULL);
    T_OK(door_provider_find(all[i]->type) == all[i]);
  }
  T_OK(all[n] == NULL);
  T_OK(door_provider_find("nope") == NULL);
  T_OK(door_provider_find(NULL) == NULL);
  T_OK(door_provider_find("daccount") != NULL);
}

/* The real documents: the JWKS key has no kid and a kid-less RS256 token
 * selects it; the discovery document parses with its issuer. */
static void test_real_documents(void) {
  size_t len;
  char *jwks = slurp("daccount-jwks.json", &len);
  door_jwks *set = NULL;
  const door_jwk *k = NULL;
  door_metadata m;
  T_EQ_ERR(door__jwks_parse(jwks, len, &set, NULL), DOOR_OK);
  T_EQ_INT(door__jwks_count(set), 1);
  T_OK(door__jwk_kid(door__jwks_get(set, 0)) == NULL);
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_RS256, &k), DOOR_OK);
  T_OK(k == door__jwks_get(set, 0));
  /* Never for HS256: an RSA key is not an HMAC secret. */
  T_OK(door__jwks_select(set, NULL, DOOR_ALG_HS256, &k) != DOOR_OK);
  door__jwks_unref(set);
  free(jwks);
  jwks = slurp("daccount-openid-configuration.json", &len);
  T_EQ_ERR(door__discovery_parse(jwks, len, "https://conf.uw.docomo.ne.jp/", 0,
                                 &m, NULL),
           DOOR_OK);
  T_EQ_INT(m.pkce_s256_supported, 0);
  door__metadata_clear(&m);
  free(jwks);
}

static const char k_conf[] =
    "[broker]\n"
    "public_url = http://127.0.0.1:8080\n"
    "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
    "allow_insecure_loopback = yes\n"
    "[provider \"daccount\"]\n"
    "type = daccount\n"
    "issuer = http://127.0.0.1:PORT/\n"
    "client_id = door-client\n"
    "client_secret = s3cr:t+/= x\n"
    "authif = 1\n"
    "token_path = /common/token\n"
    "allowed_algs = RS256 HS256\n"
    "accept_hs256 = yes\n"
    "display_name = d-account\n"
    "[provider \"strict\"]\n"
    "type = daccount\n"
    "issuer = http://127.0.0.1:PORT/\n"
    "client_id = door-client\n"
    "client_secret = s3cr:t+/= x\n"
    "allowed_algs = RS256\n";

typedef struct env {
  op o;
  door_config *cfg;
  door_rp *rp;
  door_login_start start;
  door_buf cb, cookie;
} env;

static void env_up(env *e) {
  door_rp_options opt;
  door_detail d;
  memset(e, 0, sizeof *e);
  g_now = (int64_t)time(NULL);
  T_EQ_INT(op_start(&e->o, OP_DACCOUNT, &g_now), 0);
  e->o.check_basic = 1;
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

static door_err login(env *e, const char *provider, door_detail *d) {
  door_login_params p;
  door_login_result r;
  door_err err;
  memset(&p, 0, sizeof p);
  p.provider = provider;
  door_login_start_clear(&e->start);
  T_EQ_ERR(door_login_begin(e->rp, &p, &e->start, d), DOOR_OK);
  op_authorize(&e->o, e->start.authorization_url, &e->cb);
  op_cookie_of(e->start.set_cookie, &e->cookie);
  err = door_login_finish(e->rp, provider, door__buf_str(&e->cb),
                          door__buf_str(&e->cookie), NULL, &r, d);
  if (!err)
    T_EQ_STR(r.subject, "user-1");
  door_login_result_clear(&r);
  return err;
}

static void test_daccount_login(void) {
  env e;
  door_detail d;
  env_up(&e);
  T_EQ_ERR(login(&e, "daccount", &d), DOOR_OK);
  /* authif in the authorization URL, on d-account's authorize path; PKCE
   * sent although d-account does not declare it. */
  T_OK(strstr(e.start.authorization_url, "/cgi8/oidc/authorize?") != NULL);
  T_OK(strstr(e.start.authorization_url, "&authif=1") != NULL);
  T_OK(strstr(e.start.authorization_url, "code_challenge=") != NULL);
  /* /common/token with client_secret_basic (form-encoded id and secret);
   * the secret is not in the body. */
  T_EQ_STR(e.o.token_path, "/common/token");
  T_OK(strncmp(e.o.authorization, "Basic ", 6) == 0);
  T_OK(strstr(e.o.token_form, "client_secret") == NULL);
  T_OK(strstr(e.o.token_form, "code_verifier=") != NULL);
  /* The kid-less JWKS key verified the RS256 ID token. */
  T_EQ_INT(e.o.jwks_calls, 1);
  env_down(&e);
}

static void test_daccount_hs256(void) {
  env e;
  door_detail d;
  env_up(&e);
  e.o.sign_hs256 = 1;
  /* accept_hs256 = yes: keyed with the client secret, no JWKS fetch. */
  T_EQ_ERR(login(&e, "daccount", &d), DOOR_OK);
  T_EQ_INT(e.o.jwks_calls, 0);
  /* Not configured: refused before any key is looked at. */
  T_EQ_ERR(login(&e, "strict", &d), DOOR_EALG_NOT_ALLOWED);
  T_EQ_INT(e.o.jwks_calls, 0);
  env_down(&e);
}

static void test_daccount_defaults(void) {
  env e;
  door_detail d;
  env_up(&e);
  /* "strict": no authif sent, /token, RS256. */
  T_EQ_ERR(login(&e, "strict", &d), DOOR_OK);
  T_OK(strstr(e.start.authorization_url, "authif") == NULL);
  T_EQ_STR(e.o.token_path, "/token");
  env_down(&e);
}

static void test_daccount_errors(void) {
  env e;
  door_detail d;
  env_up(&e);
  e.o.token_error = "invalid_auth";
  T_EQ_ERR(login(&e, "daccount", &d), DOOR_ETOKEN_ERROR);
  T_EQ_STR(d.where, "invalid_auth");
  T_OK(strstr(d.what, "credentials") != NULL);
  e.o.token_error = "timestamp_refused";
  T_EQ_ERR(login(&e, "daccount", &d), DOOR_ETOKEN_ERROR);
  T_OK(strstr(d.what, "clock") != NULL);
  T_OK(strstr(d.hint, "NTP") != NULL);
  env_down(&e);
}

static void test_daccount_config_refusals(void) {
  op o;
  door_config *cfg;
  door_rp *rp = NULL;
  door_detail d;
  g_now = (int64_t)time(NULL);
  T_EQ_INT(op_start(&o, OP_DACCOUNT, &g_now), 0);
  cfg = op_config(&o, "[broker]\n"
                      "public_url = http://127.0.0.1:8080\n"
                      "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                      "Hh8\n"
                      "allow_insecure_loopback = yes\n"
                      "[provider \"daccount\"]\n"
                      "type = daccount\n"
                      "issuer = http://127.0.0.1:PORT/\n"
                      "client_id = door-client\n"
                      "client_secret = x\n"
                      "token_auth_method = client_secret_post\n");
  T_OK(cfg != NULL);
  T_EQ_ERR(door_rp_new(cfg, NULL, &rp, &d), DOOR_ECONFIG_VALUE);
  T_EQ_STR(d.where, "token_auth_method");
  T_OK(rp == NULL);
  door__config_free(cfg);
  op_stop(&o);
}

T_MAIN(T_CASE(test_registry), T_CASE(test_real_documents),
       T_CASE(test_daccount_login), T_CASE(test_daccount_hs256),
       T_CASE(test_daccount_defaults), T_CASE(test_daccount_errors),
       T_CASE(test_daccount_config_refusals))
