/* Back-Channel Logout 1.0 logout tokens (src/oidc/logout_token.c) and the
 * broker's endpoint: the generic provider of the test configuration
 * accepts HS256 keyed with its client secret, so tokens are signed here
 * without any network.  Each check fails with its own code; a replayed
 * jti is refused; the sessions of the sid (or sub) end. */
#include "t_broker.h"

#include "jose/jose.h"
#include "oidc/logout.h"
#include "util/json.h"

#define SECRET "planted-secret-unit-0123456789abcdef"
#define ISS "https://127.0.0.1:9/g"

static t_env env;

/* A logout token: `claims` (JSON text) signed with `secret` and alg, typ
 * in the header when not NULL. */
static char *token(const char *claims, const char *secret, door_alg alg,
                   const char *typ) {
  door_jwk *k = NULL;
  json_t *h = typ ? json_pack("{s:s}", "typ", typ) : NULL;
  door_buf out;
  door__buf_init(&out, 16384);
  if (alg == DOOR_ALG_HS256)
    T_EQ_ERR(door__jwk_from_secret(secret, strlen(secret), NULL, &k), DOOR_OK);
  else
    T_EQ_ERR(door__jwk_generate(alg, "k1", &k), DOOR_OK);
  T_EQ_ERR(door__jws_sign(k, alg, h, claims, strlen(claims), &out), DOOR_OK);
  door__jwk_unref(k);
  json_decref(h);
  return door__buf_detach(&out);
}

/* Claims with iat = now; `extra` members appended ("" for none). */
static char *claims(const char *iss, const char *aud, const char *extra) {
  char *s = malloc(2048);
  snprintf(s, 2048,
           "{\"iss\":\"%s\",\"aud\":%s,\"iat\":%lld,\"jti\":\"j-%lld\","
           "\"events\":{\"" DOOR_BCL_EVENT "\":{}}%s}",
           iss, aud, (long long)env.now, (long long)env.now, extra);
  return s;
}

static door_err check(const char *c, const char *typ, door_logout_claims *out) {
  door__bgen *g = door__bgen_get(env.b);
  char *t = token(c, SECRET, DOOR_ALG_HS256, typ);
  door_detail d;
  door_err err = door__logout_token_validate(g->rp, "generic", t, out, &d);
  free(t);
  door__bgen_put(g);
  return err;
}

static door_err check_claims(const char *iss, const char *aud,
                             const char *extra) {
  door_logout_claims out;
  char *c = claims(iss, aud, extra);
  door_err err = check(c, "logout+jwt", &out);
  free(c);
  door__logout_claims_clear(&out);
  return err;
}

static void test_valid_tokens(void) {
  door_logout_claims out;
  char *c;
  t_env_make(&env, "https://door.example/");
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s-1\",\"sub\":\"u-1\"");
  T_EQ_ERR(check(c, "logout+jwt", &out), DOOR_OK);
  T_EQ_STR(out.issuer, ISS);
  T_EQ_STR(out.sid, "s-1");
  T_EQ_STR(out.sub, "u-1");
  T_OK(strncmp(out.jti, "j-", 2) == 0);
  T_EQ_INT(out.iat, env.now);
  door__logout_claims_clear(&out);
  /* typ absent, or with the media type prefix; aud as a one-item list. */
  T_EQ_ERR(check(c, NULL, &out), DOOR_OK);
  door__logout_claims_clear(&out);
  T_EQ_ERR(check(c, "application/logout+jwt", &out), DOOR_OK);
  door__logout_claims_clear(&out);
  free(c);
  T_EQ_ERR(check_claims(ISS, "[\"c2\"]", ",\"sub\":\"u-1\""), DOOR_OK);
  t_env_free(&env);
}

static void test_each_check_has_its_code(void) {
  door_logout_claims out;
  door__bgen *g;
  char *c, *t;
  t_env_make(&env, "https://door.example/");
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s\"");
  T_EQ_ERR(check(c, "JWT", &out), DOOR_ELOGOUT_TOKEN_TYP);
  T_EQ_ERR(check(c, "id_token+jwt", &out), DOOR_ELOGOUT_TOKEN_TYP);
  free(c);
  T_EQ_ERR(check_claims("https://other.example", "\"c2\"", ",\"sid\":\"s\""),
           DOOR_ELOGOUT_TOKEN_ISS);
  T_EQ_ERR(check_claims(ISS, "\"c1\"", ",\"sid\":\"s\""),
           DOOR_ELOGOUT_TOKEN_AUD);
  T_EQ_ERR(check_claims(ISS, "[\"c2\",\"c1\"]", ",\"sid\":\"s\""),
           DOOR_ELOGOUT_TOKEN_AUD);
  T_EQ_ERR(check_claims(ISS, "[]", ",\"sid\":\"s\""), DOOR_ELOGOUT_TOKEN_AUD);
  T_EQ_ERR(check_claims(ISS, "\"c2\"", ",\"sid\":\"s\",\"nonce\":\"n\""),
           DOOR_ELOGOUT_TOKEN_NONCE);
  T_EQ_ERR(check_claims(ISS, "\"c2\"", ""), DOOR_ELOGOUT_TOKEN_SUBJECT);
  T_EQ_ERR(check_claims(ISS, "\"c2\"", ",\"sid\":\"\""),
           DOOR_ELOGOUT_TOKEN_SUBJECT);
  T_EQ_ERR(check_claims(ISS, "\"c2\"", ",\"sub\":5"),
           DOOR_ELOGOUT_TOKEN_SUBJECT);
  T_EQ_ERR(check_claims(ISS, "\"c2\"", ",\"sid\":\"s\",\"exp\":1"),
           DOOR_ELOGOUT_TOKEN_EXP);
  /* Times: claims() stamps iat = env.now, so move the clock around it. */
  env.now += 3600; /* issued an hour in the future */
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s\"");
  env.now -= 3600;
  T_EQ_ERR(check(c, "logout+jwt", &out), DOOR_ELOGOUT_TOKEN_IAT);
  free(c);
  env.now -= 3600; /* an hour old: past id_token_max_age (10m) */
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s\"");
  env.now += 3600;
  T_EQ_ERR(check(c, "logout+jwt", &out), DOOR_ELOGOUT_TOKEN_IAT);
  free(c);
  env.now -= 300; /* five minutes old: fine */
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s\"");
  env.now += 300;
  T_EQ_ERR(check(c, "logout+jwt", &out), DOOR_OK);
  door__logout_claims_clear(&out);
  free(c);
  /* Missing members. */
  c = malloc(512);
  snprintf(c, 512,
           "{\"iss\":\"" ISS "\",\"aud\":\"c2\",\"jti\":\"j\",\"events\":"
           "{\"" DOOR_BCL_EVENT "\":{}},\"sid\":\"s\"}");
  T_EQ_ERR(check(c, NULL, &out), DOOR_ELOGOUT_TOKEN_IAT);
  snprintf(c, 512,
           "{\"iss\":\"" ISS "\",\"aud\":\"c2\",\"iat\":%lld,\"events\":"
           "{\"" DOOR_BCL_EVENT "\":{}},\"sid\":\"s\"}",
           (long long)env.now);
  T_EQ_ERR(check(c, NULL, &out), DOOR_ELOGOUT_TOKEN_JTI);
  snprintf(c, 512,
           "{\"iss\":\"" ISS "\",\"aud\":\"c2\",\"iat\":%lld,\"jti\":\"j\","
           "\"sid\":\"s\"}",
           (long long)env.now);
  T_EQ_ERR(check(c, NULL, &out), DOOR_ELOGOUT_TOKEN_EVENTS);
  snprintf(c, 512,
           "{\"iss\":\"" ISS "\",\"aud\":\"c2\",\"iat\":%lld,\"jti\":\"j\","
           "\"events\":{\"" DOOR_BCL_EVENT "\":true},\"sid\":\"s\"}",
           (long long)env.now);
  T_EQ_ERR(check(c, NULL, &out), DOOR_ELOGOUT_TOKEN_EVENTS);
  snprintf(c, 512,
           "{\"iss\":\"" ISS "\",\"aud\":\"c2\",\"iat\":%lld,\"jti\":\"j\","
           "\"events\":{\"http://example/other\":{}},\"sid\":\"s\"}",
           (long long)env.now);
  T_EQ_ERR(check(c, NULL, &out), DOOR_ELOGOUT_TOKEN_EVENTS);
  free(c);
  /* Signatures: another secret; an algorithm the provider is not pinned
   * to (it takes HS256 and RS256, not ES256); alg none. */
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s\"");
  g = door__bgen_get(env.b);
  t = token(c, "planted-secret-another-one-0123456789", DOOR_ALG_HS256, NULL);
  T_EQ_ERR(door__logout_token_validate(g->rp, "generic", t, &out, NULL),
           DOOR_ESIG_INVALID);
  free(t);
  t = token(c, NULL, DOOR_ALG_ES256, NULL);
  T_EQ_ERR(door__logout_token_validate(g->rp, "generic", t, &out, NULL),
           DOOR_EALG_NOT_ALLOWED);
  free(t);
  T_EQ_ERR(door__logout_token_validate(g->rp, "generic",
                                       "eyJhbGciOiJub25lIn0.e30.", &out, NULL),
           DOOR_EALG_NONE);
  T_EQ_ERR(door__logout_token_validate(g->rp, "nope", "a.b.c", &out, NULL),
           DOOR_EPROVIDER_UNKNOWN);
  T_OK(out.jti == NULL && out.sid == NULL);
  door__bgen_put(g);
  free(c);
  t_env_free(&env);
}

static void test_endpoint_ends_sessions_once(void) {
  door__bgen *g;
  door_broker_reply r;
  door_broker_session s;
  char account[33], cookie[128], body[4096], *c, *t;
  uint64_t ended = 0;
  size_t i;
  int created = 0;
  t_env_make(&env, "https://door.example/");
  /* Two sessions of one generic identity, with sids s-1 and s-2. */
  T_EQ_ERR(door__store_login_identity(env.b->store, ISS, "u-9", "generic", NULL,
                                      env.now, account, &created, NULL),
           DOOR_OK);
  g = door__bgen_get(env.b);
  memset(&r, 0, sizeof r);
  T_EQ_ERR(door__session_start(env.b, g, account, "generic", ISS, "s-1", "u-9",
                               NULL, &r, NULL),
           DOOR_OK);
  cookie[0] = '\0';
  for (i = 0; i < r.n_set_cookie; i++) {
    size_t n = strcspn(r.set_cookie[i], ";");
    if (strncmp(r.set_cookie[i], "__Host-door-session=", 20) == 0 &&
        n < sizeof cookie) {
      memcpy(cookie, r.set_cookie[i], n);
      cookie[n] = '\0';
    }
  }
  T_OK(cookie[0] != '\0');
  door_broker_reply_clear(&r);
  T_EQ_ERR(door__session_start(env.b, g, account, "generic", ISS, "s-2", "u-9",
                               NULL, &r, NULL),
           DOOR_OK);
  door_broker_reply_clear(&r);
  door__bgen_put(g);
  /* The token names s-2 only: the s-1 session stays. */
  c = claims(ISS, "\"c2\"", ",\"sid\":\"s-2\",\"sub\":\"u-9\"");
  t = token(c, SECRET, DOOR_ALG_HS256, "logout+jwt");
  /* A compact JWS (base64url and dots) needs no form escaping. */
  snprintf(body, sizeof body, "logout_token=%s", t);
  T_EQ_ERR(door_broker_backchannel_logout(env.b, "generic", body, strlen(body),
                                          &ended, NULL),
           DOOR_OK);
  T_EQ_INT(ended, 1);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  door_broker_session_clear(&s);
  /* The same token again: a replay. */
  T_EQ_ERR(door_broker_backchannel_logout(env.b, "generic", body, strlen(body),
                                          &ended, NULL),
           DOOR_ELOGOUT_TOKEN_REPLAYED);
  free(c);
  free(t);
  /* By sub alone: every session of u-9 at this issuer. */
  env.now += 1;
  c = claims(ISS, "\"c2\"", ",\"sub\":\"u-9\"");
  t = token(c, SECRET, DOOR_ALG_HS256, "logout+jwt");
  snprintf(body, sizeof body, "logout_token=%s", t);
  T_EQ_ERR(door_broker_backchannel_logout(env.b, "generic", body, strlen(body),
                                          &ended, NULL),
           DOOR_OK);
  T_EQ_INT(ended, 1);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL),
           DOOR_EBROKER_NO_SESSION);
  /* Malformed requests. */
  T_EQ_ERR(door_broker_backchannel_logout(env.b, "generic", "", 0, NULL, NULL),
           DOOR_EINVAL);
  snprintf(body, sizeof body, "logout_token=%s&logout_token=%s", t, t);
  T_EQ_ERR(door_broker_backchannel_logout(env.b, "generic", body, strlen(body),
                                          NULL, NULL),
           DOOR_EINVAL);
  free(c);
  free(t);
  t_env_free(&env);
}

T_MAIN(T_CASE(test_valid_tokens), T_CASE(test_each_check_has_its_code),
       T_CASE(test_endpoint_ends_sessions_once))
