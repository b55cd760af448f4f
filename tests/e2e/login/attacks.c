/* Attacks on the login, against the real door-idp: login CSRF (a callback
 * with no pending login in this browser), code injection (another
 * browser's code with this browser's state), the mix-up attack (a trusted
 * provider turned hostile bounces the browser to the honest one), and
 * private_key_jwt client authentication (the assertion as sent, a key the
 * provider does not know, keys that cannot be used). */
#include "login_env.h"
#include "util/config.h"
#include "util/errlist.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static door_jwk *g_es, *g_ps, *g_wrong;

static const char *const k_key_files[] = {"client-es.pem", "client-ps.pem",
                                          "client-wrong.pem", "client-pub.pem"};

static void write_pem(const char *name, const door_jwk *key, int private_) {
  door_buf pem, path;
  FILE *f;
  door__buf_init(&pem, 65536);
  door__buf_init(&path, 512);
  T_EQ_ERR(door__jwk_to_pem(key, private_, &pem), DOOR_OK);
  door__buf_puts(&path, g_keydir);
  door__buf_putc(&path, '/');
  door__buf_puts(&path, name);
  f = fopen(door__buf_str(&path), "wb");
  T_OK(f != NULL);
  T_OK(fwrite(pem.data, 1, pem.len, f) == pem.len);
  T_OK(fclose(f) == 0);
  T_OK(chmod(door__buf_str(&path), 0600) == 0);
  door__buf_free(&pem);
  door__buf_free(&path);
}

/* POST /profiles/generic/clients: a private_key_jwt client with `key`'s
 * public half as its jwks. */
static void register_client(const char *client_id, const door_jwk *key,
                            const char *redirects) {
  json_t *pub = NULL;
  door_buf body;
  e2e_resp r;
  T_EQ_ERR(door__jwk_public_json(key, 0, &pub), DOOR_OK);
  door__buf_init(&body, 65536);
  door__buf_puts(&body, "{\"client_id\":\"");
  door__buf_puts(&body, client_id);
  door__buf_puts(&body, "\",\"token_endpoint_auth_method\":"
                        "\"private_key_jwt\",\"redirect_uris\":[");
  door__buf_puts(&body, redirects);
  door__buf_puts(&body, "],\"jwks\":{\"keys\":[");
  T_EQ_ERR(door__json_dump(pub, &body), DOOR_OK);
  door__buf_puts(&body, "]}}");
  json_decref(pub);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "POST", "/profiles/generic/clients", body.data, &r), 0);
  if (r.status != 201)
    printf("# POST clients: %ld %s\n", r.status, door__buf_str(&r.body));
  T_EQ_INT(r.status, 201);
  e2e_resp_free(&r);
  door__buf_free(&body);
}

void pkjwt_setup(void) {
  const char *tmp = getenv("TMPDIR");
  int n = snprintf(g_keydir, sizeof g_keydir, "%s/door-e2e-login-keys.XXXXXX",
                   tmp && *tmp ? tmp : "/tmp");
  T_OK(n > 0 && (size_t)n < sizeof g_keydir && mkdtemp(g_keydir));
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &g_es), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_PS256, NULL, &g_ps), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &g_wrong), DOOR_OK);
  write_pem(k_key_files[0], g_es, 1);
  write_pem(k_key_files[1], g_ps, 1);
  write_pem(k_key_files[2], g_wrong, 1);
  write_pem(k_key_files[3], g_es, 0);
  register_client("rp-pk", g_es,
                  "\"" REDIRECT_BASE "generic-pk\",\"" REDIRECT_BASE
                  "generic-pk-wrong\"");
  register_client("rp-pk-ps", g_ps, "\"" REDIRECT_BASE "generic-pk-ps\"");
}

void pkjwt_cleanup(void) {
  size_t i;
  char path[512];
  for (i = 0; g_keydir[0] && i < sizeof k_key_files / sizeof *k_key_files;
       i++) {
    snprintf(path, sizeof path, "%s/%s", g_keydir, k_key_files[i]);
    unlink(path);
  }
  if (g_keydir[0])
    rmdir(g_keydir);
  door__jwk_unref(g_es);
  door__jwk_unref(g_ps);
  door__jwk_unref(g_wrong);
  g_es = g_ps = g_wrong = NULL;
}

/* ---- login CSRF ---------------------------------------------------------- */

/* A callback this browser never began (the attacker's own, planted in the
 * victim's browser): no pending login, nothing sent to the provider, and
 * the real owner can still finish it. */
void test_csrf(void) {
  attempt a;
  door_login_result r;
  uint64_t mark;
  go_to_provider(g_rp, "generic", "alice", &a);
  mark = log_mark();
  T_EQ_ERR(door_login_finish(g_rp, "generic", a.query, NULL, NULL, &r, NULL),
           DOOR_ELOGIN_NO_PENDING);
  door_login_result_clear(&r);
  T_EQ_ERR(
      door_login_finish(g_rp, "generic", a.query, "theme=dark", NULL, &r, NULL),
      DOOR_ELOGIN_NO_PENDING);
  door_login_result_clear(&r);
  T_EQ_INT(log_count("generic", "token", mark), 0);
  T_EQ_ERR(
      door_login_finish(g_rp, "generic", a.query, a.cookie, NULL, &r, NULL),
      DOOR_OK);
  door_login_result_clear(&r);
  door_login_start_clear(&a.start);
}

/* ---- code injection ------------------------------------------------------ */

typedef struct captured {
  char text[16384];
  size_t len;
} captured;

static void capture(void *ud, door_log_level level, const char *line,
                    size_t len) {
  captured *c = ud;
  (void)level;
  if (c->len + len + 2 < sizeof c->text) {
    memcpy(c->text + c->len, line, len);
    c->len += len;
    c->text[c->len++] = '\n';
    c->text[c->len] = '\0';
  }
}

/* The victim's code, stolen, pasted into the thief's own callback (with the
 * thief's valid state and cookie): the provider refuses it because the
 * code is bound to the victim's PKCE challenge. */
void test_code_injection(void) {
  static captured logged;
  door_log lg;
  door_rp_options o;
  door_rp *rp = NULL;
  door_login_result r;
  door_detail d;
  attempt victim, thief;
  char code[256], injected[8192];
  json_t *tok;
  uint64_t mark;
  door__log_init(&lg, "e2e");
  lg.min_level = DOOR_LOG_WARN;
  lg.sink = capture;
  lg.sink_ud = &logged;
  door_rp_options_init(&o);
  o.log = &lg;
  T_EQ_ERR(door_rp_new(g_cfg, &o, &rp, &d), DOOR_OK);
  go_to_provider(rp, "generic", "alice", &victim);
  go_to_provider(rp, "generic", "alice", &thief);
  query_get(victim.query, "code", code, sizeof code);
  query_with(thief.query, "code", code, injected, sizeof injected);
  mark = log_mark();
  T_EQ_ERR(
      door_login_finish(rp, "generic", injected, thief.cookie, NULL, &r, &d),
      DOOR_ETOKEN_ERROR);
  door_login_result_clear(&r);
  T_EQ_STR(d.where, "invalid_grant");
  T_OK(strstr(logged.text, "code_verifier does not match") != NULL);
  /* One exchange, with the victim's code; no userinfo. */
  tok = log_since("generic", "token", mark);
  T_EQ_INT(json_array_size(tok), 1);
  T_EQ_STR(log_field(json_array_get(tok, 0), "form", "code"), code);
  T_OK(log_field(json_array_get(tok, 0), "form", "code_verifier") != NULL);
  json_decref(tok);
  T_EQ_INT(log_count("generic", "userinfo", mark), 0);
  door_login_start_clear(&victim.start);
  door_login_start_clear(&thief.start);
  door_rp_free(rp);
}

/* ---- mix-up -------------------------------------------------------------- */

/* Arms authorize.forward at the attacker: its authorization endpoint sends
 * the browser on to the honest provider's, with the broker's state, nonce
 * and PKCE challenge, and `override` (a query) replacing parameters. */
static void arm_bounce(const char *override) {
  door_buf param;
  door__buf_init(&param, 4096);
  door__buf_putc(&param, '"');
  door__buf_puts(&param, e2e_url(E, "generic", "authorization_endpoint"));
  door__buf_putc(&param, '?');
  door__buf_puts(&param, override);
  door__buf_putc(&param, '"');
  arm("authorize.forward", "attacker", NULL, door__buf_str(&param));
  door__buf_free(&param);
}

/* The honest provider's authorization request carried the login's state
 * and came for `client_id`; nobody's token endpoint was called. */
static void no_exchange_after_bounce(const attempt *a, const char *client_id,
                                     uint64_t mark) {
  json_t *authz = log_since("generic", "authorization", mark);
  char state[128];
  query_get(strchr(a->start.authorization_url, '?') + 1, "state", state,
            sizeof state);
  T_EQ_INT(json_array_size(authz), 1);
  T_EQ_STR(log_field(json_array_get(authz, 0), "query", "state"), state);
  T_EQ_STR(log_field(json_array_get(authz, 0), "query", "client_id"),
           client_id);
  json_decref(authz);
  T_EQ_INT(log_count("attacker", "authorization", mark), 1);
  T_EQ_INT(log_count("attacker", "token", mark), 0);
  T_EQ_INT(log_count("generic", "token", mark), 0);
  T_EQ_INT(log_count("attacker", "userinfo", mark), 0);
}

void test_mixup(void) {
  door_login_result r;
  door_detail d;
  attempt a;
  char iss[256];
  uint64_t mark;
  /* Unarmed, the attacker is an ordinary provider of this broker. */
  T_EQ_ERR(login_with(g_rp, "attacker", "alice", &r, &d), DOOR_OK);
  T_EQ_STR(r.subject, "alice-at-attacker");
  door_login_result_clear(&r);

  /* 1. Bounced with the honest client_id and redirect_uri: the honest
   * provider answers at the honest provider's callback, and the login
   * begun with the attacker is refused there. */
  arm_bounce("client_id=rp-rs&redirect_uri=https%3A%2F%2Fdoor.localhost%2F"
             "callback%2Fgeneric");
  mark = log_mark();
  T_EQ_ERR(browse(g_rp, "attacker", "alice", &a), DOOR_OK);
  T_EQ_INT(a.hops, 2);
  T_EQ_STR(a.callback, "generic");
  query_get(a.query, "iss", iss, sizeof iss);
  T_EQ_STR(iss, e2e_url(E, "generic", "issuer"));
  T_EQ_ERR(door_login_finish(g_rp, a.callback, a.query, a.cookie, NULL, &r, &d),
           DOOR_ELOGIN_PROVIDER_MISMATCH);
  door_login_result_clear(&r);
  no_exchange_after_bounce(&a, "rp-rs", mark);
  door_login_start_clear(&a.start);

  /* 2. The honest provider also accepts the attacker provider's callback
   * (a loose registration): the browser comes back where the attacker
   * wants, and RFC 9207's iss names the honest issuer. */
  arm_bounce("client_id=rp-shared");
  mark = log_mark();
  T_EQ_ERR(browse(g_rp, "attacker", "alice", &a), DOOR_OK);
  T_EQ_INT(a.hops, 2);
  T_EQ_STR(a.callback, "attacker");
  T_EQ_ERR(door_login_finish(g_rp, a.callback, a.query, a.cookie, NULL, &r, &d),
           DOOR_EISS_PARAM_MISMATCH);
  door_login_result_clear(&r);
  no_exchange_after_bounce(&a, "rp-shared", mark);
  door_login_start_clear(&a.start);
  disarm_all();
}

/* ---- private_key_jwt ----------------------------------------------------- */

/* The newest token request's client assertion, checked claim by claim and
 * verified with `key`; its jti into `jti`. */
static void check_assertion(uint64_t mark, const char *client_id,
                            const door_jwk *key, door_alg alg, char *jti,
                            size_t cap) {
  door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  json_t *tok = log_since("generic", "token", mark), *e;
  const char *assertion, *s;
  door_jws jws;
  json_int_t iat, exp;
  T_EQ_INT(json_array_size(tok), 1);
  e = json_array_get(tok, 0);
  T_EQ_STR(log_field(e, "form", "client_assertion_type"),
           "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  T_EQ_STR(log_field(e, "form", "client_id"), client_id);
  T_OK(log_field(e, "form", "client_secret") == NULL);
  T_OK(log_field(e, "headers", "Authorization") == NULL);
  T_OK(log_field(e, "form", "code_verifier") != NULL);
  assertion = log_field(e, "form", "client_assertion");
  T_OK(assertion != NULL);
  T_EQ_ERR(door__jws_parse(assertion, strlen(assertion), &lim, &jws, NULL),
           DOOR_OK);
  T_EQ_INT(jws.alg, alg);
  T_EQ_ERR(door__jws_verify(&jws, key, (unsigned)alg), DOOR_OK);
  T_EQ_STR(json_string_value(json_object_get(jws.payload, "iss")), client_id);
  T_EQ_STR(json_string_value(json_object_get(jws.payload, "sub")), client_id);
  T_EQ_STR(json_string_value(json_object_get(jws.payload, "aud")),
           e2e_url(E, "generic", "token_endpoint"));
  iat = json_integer_value(json_object_get(jws.payload, "iat"));
  exp = json_integer_value(json_object_get(jws.payload, "exp"));
  T_OK(iat >= e2e_now() - 5 && iat <= e2e_now());
  T_EQ_INT(exp - iat, 60);
  s = json_string_value(json_object_get(jws.payload, "jti"));
  T_OK(s && strlen(s) == 43 && strlen(s) < cap);
  memcpy(jti, s, strlen(s) + 1);
  door__jws_clear(&jws);
  json_decref(tok);
}

/* door_rp_new on one [provider] whose key settings are `keys`. */
static door_err rp_new_with(const char *keys, door_detail *d) {
  door_buf t;
  door_config *cfg = NULL;
  door_errlist errs;
  door_rp_options o;
  door_rp *rp = NULL;
  door_err err;
  door__buf_init(&t, 8192);
  door__buf_puts(&t, "[broker]\npublic_url = https://door.localhost\n"
                     "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                     "Hh8\n[store]\nurl = sqlite:unused.db\n"
                     "[provider \"p\"]\ntype = generic\n"
                     "issuer = https://idp.example\nclient_id = c\n"
                     "token_auth_method = private_key_jwt\n");
  door__buf_puts(&t, keys);
  door__errlist_init(&errs);
  T_EQ_ERR(
      door__config_load_mem("k.conf", t.data, t.len, g_keydir, &cfg, &errs),
      DOOR_OK);
  door__errlist_free(&errs);
  door__buf_free(&t);
  door_rp_options_init(&o);
  err = door_rp_new(cfg, &o, &rp, d);
  door_rp_free(rp);
  door__config_free(cfg);
  return err;
}

void test_private_key_jwt(void) {
  door_login_result r;
  door_detail d;
  char jti1[64], jti2[64];
  uint64_t mark;
  /* ES256 (the default algorithm). */
  mark = log_mark();
  T_EQ_ERR(login_with(g_rp, "generic-pk", "alice", &r, &d), DOOR_OK);
  T_EQ_STR(r.subject, "alice-sub");
  door_login_result_clear(&r);
  check_assertion(mark, "rp-pk", g_es, DOOR_ALG_ES256, jti1, sizeof jti1);
  /* A new assertion each time. */
  mark = log_mark();
  T_EQ_ERR(login_with(g_rp, "generic-pk", "alice", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  check_assertion(mark, "rp-pk", g_es, DOOR_ALG_ES256, jti2, sizeof jti2);
  T_OK(strcmp(jti1, jti2) != 0);
  /* PS256 with an RSA key. */
  mark = log_mark();
  T_EQ_ERR(login_with(g_rp, "generic-pk-ps", "alice", &r, &d), DOOR_OK);
  door_login_result_clear(&r);
  check_assertion(mark, "rp-pk-ps", g_ps, DOOR_ALG_PS256, jti1, sizeof jti1);
  /* Signed with a key the provider does not have for rp-pk: refused. */
  mark = log_mark();
  T_EQ_ERR(login_with(g_rp, "generic-pk-wrong", "alice", &r, &d),
           DOOR_ETOKEN_ERROR);
  door_login_result_clear(&r);
  T_EQ_STR(d.where, "invalid_client");
  check_assertion(mark, "rp-pk", g_wrong, DOOR_ALG_ES256, jti1, sizeof jti1);
  T_EQ_INT(log_count("generic", "userinfo", mark), 0);
  /* Keys that cannot be used are refused when the context is made. */
  T_EQ_ERR(rp_new_with("client_key_file = client-es.pem\n", &d), DOOR_OK);
  T_EQ_ERR(rp_new_with("client_key_file = client-es.pem\n"
                       "client_key_alg = RS256\n",
                       &d),
           DOOR_ECONFIG_CONFLICT);
  T_EQ_STR(d.where, "client_key_alg");
  T_EQ_ERR(rp_new_with("client_key_file = client-ps.pem\n"
                       "client_key_alg = PS256\n",
                       &d),
           DOOR_OK);
  T_EQ_ERR(rp_new_with("client_key_file = client-pub.pem\n", &d),
           DOOR_ECONFIG_VALUE);
  T_EQ_STR(d.where, "client_key_file");
}
