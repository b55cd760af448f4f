/* door-idp scenario parsing (JSON paths in errors) and handlers called
 * without a server (discovery, token client authentication). */
#include "idp/http.h"
#include "idp/idp.h"
#include "util/json.h"
#include "t.h"

#include <string.h>

/* Loads `text` into a fresh context; returns the error, `d` filled. */
static door_err load(door_idp *idp, const char *text, door_detail *d) {
  json_t *doc = NULL;
  door_err err;
  T_EQ_ERR(door__idp_init(idp), DOOR_OK);
  door_detail_clear(d);
  T_EQ_ERR(door__json_parse(text, strlen(text), 32, &doc, d), DOOR_OK);
  err = door__idp_scenario_load(idp, doc, NULL, d);
  json_decref(doc);
  return err;
}

/* A scenario error: the code and the JSON path. */
static void expect_error(const char *text, door_err code, const char *where) {
  door_idp idp;
  door_detail d;
  door_err err = load(&idp, text, &d);
  door__idp_free(&idp);
  T_EQ_ERR(err, code);
  T_EQ_STR(d.where, where);
}

#define DACCOUNT_CLIENT(extra)                                                 \
  "{\"profiles\":{\"daccount\":{\"keys\":[{\"alg\":\"RS256\"}],"               \
  "\"clients\":[{\"client_id\":\"c\",\"client_secret\":\"planted-secret-x\","  \
  "\"redirect_uris\":[\"https://rp/cb\"]" extra "}]}}}"

static void test_errors_name_the_path(void) {
  expect_error("{\"profiles\":{\"daccount\":{\"clients\":[{\"client_id\":\"c\","
               "\"client_secret\":\"planted-secret-x\",\"redirect_uris\":["
               "\"https://rp/cb\",\"http://rp/cb\"]}]}}}",
               DOOR_ECONFIG_VALUE,
               "profiles.daccount.clients[0].redirect_uris[1]");
  expect_error(DACCOUNT_CLIENT(",\"token_endpoint_auth_method\":"
                               "\"client_secret_post\""),
               DOOR_ECONFIG_VALUE,
               "profiles.daccount.clients[0].token_endpoint_auth_method");
  expect_error(DACCOUNT_CLIENT(",\"id_token_signed_response_alg\":\"ES256\""),
               DOOR_ECONFIG_VALUE,
               "profiles.daccount.clients[0].id_token_signed_response_alg");
  /* HS256 with a secret too short to key it. */
  expect_error(DACCOUNT_CLIENT(",\"id_token_signed_response_alg\":\"HS256\""),
               DOOR_ECONFIG_VALUE,
               "profiles.daccount.clients[0].id_token_signed_response_alg");
  expect_error(DACCOUNT_CLIENT(",\"colour\":\"red\""), DOOR_ECONFIG_UNKNOWN,
               "profiles.daccount.clients[0].colour");
  expect_error("{\"profiles\":{\"generic\":{\"clients\":[{\"client_secret\":"
               "\"planted-secret-x\"}]}}}",
               DOOR_ECONFIG_MISSING, "profiles.generic.clients[0].client_id");
  expect_error("{\"profiles\":{\"op\":{}}}", DOOR_ECONFIG_VALUE,
               "profiles.op.kind");
  expect_error("{\"profiles\":{\"op\":{\"kind\":\"keycloak\"}}}",
               DOOR_ECONFIG_VALUE, "profiles.op.kind");
  expect_error("{\"profiles\":{}}", DOOR_ECONFIG_VALUE, "profiles");
  expect_error("{}", DOOR_ECONFIG_MISSING, "profiles");
  expect_error("{\"threads\":0,\"profiles\":{\"generic\":{}}}",
               DOOR_ECONFIG_VALUE, "threads");
  expect_error("{\"profiles\":{\"generic\":{\"listeners\":{\"main\":{"
               "\"host\":\"10.0.0.1\"}}}}}",
               DOOR_ECONFIG_VALUE, "profiles.generic.listeners.main.host");
  expect_error("{\"profiles\":{\"daccount\":{\"listeners\":{\"main\":{}}}}}",
               DOOR_ECONFIG_UNKNOWN, "profiles.daccount.listeners.main");
  expect_error("{\"profiles\":{\"xmarket\":{\"users\":[{\"id\":\"u\","
               "\"tickets\":[{\"ticket_id\":\"t\",\"event_id\":\"e\","
               "\"tier\":\"vip\",\"status\":\"lost\"}]}]}}}",
               DOOR_ECONFIG_VALUE,
               "profiles.xmarket.users[0].tickets[0].status");
  expect_error("{\"profiles\":{\"generic\":{\"clients\":["
               "{\"client_id\":\"c\",\"token_endpoint_auth_method\":\"none\","
               "\"redirect_uris\":[\"https://rp/cb\"]},"
               "{\"client_id\":\"c\",\"token_endpoint_auth_method\":\"none\","
               "\"redirect_uris\":[\"https://rp/cb\"]}]}}}",
               DOOR_ECONFIG_VALUE, "profiles.generic.clients[1]");
  expect_error("{\"profiles\":{\"generic\":{\"keys\":[{\"alg\":\"ES256\"}]}}}",
               DOOR_ECONFIG_MISSING, "profiles.generic.keys");
  expect_error("{\"profiles\":{\"generic\":{\"clock\":{\"fixed\":1,"
               "\"offset\":2}}}}",
               DOOR_ECONFIG_VALUE, "profiles.generic.clock");
}

static void test_good_scenario(void) {
  door_idp idp;
  door_detail d;
  door_idp_profile *p;
  door_idp_client *c;
  door_idp_user *u;
  json_t *keys;
  door_err err =
      load(&idp,
           "{\"threads\":3,\"auto_approve\":true,\"request_log_max\":5,"
           "\"profiles\":{"
           "\"daccount\":{\"pairwise_salt\":\"s\",\"clock\":{\"fixed\":1000},"
           "\"users\":[{\"id\":\"taro\"}],"
           "\"clients\":[{\"client_id\":\"c\",\"client_secret\":"
           "\"planted-secret-0123456789abcdef0123456789\",\"redirect_uris\":"
           "[\"https://rp/cb\"],\"id_token_signed_response_alg\":\"HS256\"}]},"
           "\"second\":{\"kind\":\"generic\",\"pkce\":\"verify\","
           "\"ttl\":{\"code\":30},\"paths\":{\"token\":\"/oauth/token\"},"
           "\"listeners\":{\"main\":{\"host\":\"::1\",\"port\":0}},"
           "\"clients\":[{\"client_id\":\"pub\",\"token_endpoint_auth_method\":"
           "\"none\",\"redirect_uris\":[\"http://127.0.0.1:8080/cb\"]}]}}}",
           &d);
  T_EQ_ERR(err, DOOR_OK);
  T_EQ_INT(idp.threads, 3);
  T_EQ_INT(idp.auto_approve, 1);
  T_EQ_INT(idp.reqlog.max, 5);
  p = door__idp_profile(&idp, "daccount");
  T_OK(p != NULL);
  T_EQ_INT(p->kind, DOOR_IDP_DACCOUNT);
  T_EQ_INT(door__idp_now(p), 1000);
  T_EQ_INT(p->nlisteners, 3);
  T_EQ_STR(p->listeners[1].host, "127.0.0.2");
  T_EQ_STR(p->alias[DOOR_IDP_EP_TOKEN], "/common/token");
  c = door__idp_client_get(p, "c");
  T_OK(c && c->hs_key && c->auth == DOOR_IDP_AUTH_BASIC);
  T_EQ_INT(c->id_token_alg, DOOR_ALG_HS256);
  door__idp_client_unref(c);
  u = door__idp_user_get(p, "taro");
  T_OK(u != NULL);
  door__idp_user_unref(u);
  /* One RSA key without kid. */
  keys = door__idp_keys_json(p);
  T_EQ_INT(json_array_size(keys), 1);
  T_OK(json_is_null(json_object_get(json_array_get(keys, 0), "kid")));
  json_decref(keys);
  p = door__idp_profile(&idp, "second");
  T_OK(p && p->kind == DOOR_IDP_GENERIC && p->pkce == DOOR_IDP_PKCE_VERIFY);
  T_EQ_INT(p->code_ttl, 30);
  T_EQ_STR(p->paths[DOOR_IDP_EP_TOKEN], "/oauth/token");
  T_EQ_STR(p->listeners[0].host, "::1");
  keys = door__idp_keys_json(p); /* RS256 and ES256, with kids */
  T_EQ_INT(json_array_size(keys), 2);
  T_OK(json_is_string(json_object_get(json_array_get(keys, 1), "kid")));
  json_decref(keys);
  door__idp_free(&idp);
}

static void test_pairwise_salt_is_stable(void) {
  const char *text =
      "{\"profiles\":{\"daccount\":{\"pairwise_salt\":\"salt-1\","
      "\"users\":[{\"id\":\"taro\"}],\"clients\":[{\"client_id\":\"c\","
      "\"client_secret\":\"planted-secret-x\",\"redirect_uris\":"
      "[\"https://rp/cb\"]}]}}}";
  door_buf a, b;
  door_detail d;
  int round;
  door__buf_init(&a, 256);
  door__buf_init(&b, 256);
  for (round = 0; round < 2; round++) {
    door_idp idp;
    door_idp_profile *p;
    door_idp_client *c;
    door_idp_user *u;
    T_EQ_ERR(load(&idp, text, &d), DOOR_OK);
    p = door__idp_profile(&idp, "daccount");
    c = door__idp_client_get(p, "c");
    u = door__idp_user_get(p, "taro");
    T_EQ_ERR(door__idp_subject(p, c, u, round ? &b : &a), DOOR_OK);
    door__idp_client_unref(c);
    door__idp_user_unref(u);
    door__idp_free(&idp);
  }
  T_EQ_STR(a.data, b.data); /* two "restarts", one subject */
  T_OK(strcmp(a.data, "taro") != 0);
  door__buf_free(&a);
  door__buf_free(&b);
}

/* A loaded daccount profile whose listeners pretend to be bound. */
static door_idp_profile *bound(door_idp *idp, door_detail *d) {
  door_idp_profile *p;
  size_t i;
  static const char *const origins[] = {"https://127.0.0.1:1001",
                                        "https://127.0.0.2:1002",
                                        "https://127.0.0.3:1003"};
  T_EQ_ERR(load(idp, DACCOUNT_CLIENT(""), d), DOOR_OK);
  p = door__idp_profile(idp, "daccount");
  for (i = 0; i < p->nlisteners; i++) {
    size_t n = strlen(origins[i]) + 1;
    p->listeners[i].origin = malloc(n);
    memcpy(p->listeners[i].origin, origins[i], n);
  }
  T_EQ_ERR(door__idp_profile_publish(p), DOOR_OK);
  return p;
}

static void test_daccount_discovery(void) {
  static const char *const want[] = {"issuer",
                                     "authorization_endpoint",
                                     "token_endpoint",
                                     "userinfo_endpoint",
                                     "jwks_uri",
                                     "response_types_supported",
                                     "subject_types_supported",
                                     "id_token_signing_alg_values_supported"};
  door_idp idp;
  door_detail d;
  door_idp_req q;
  door_idp_resp r;
  json_t *doc = NULL;
  const char *key;
  json_t *v;
  size_t i = 0;
  door_idp_profile *p = bound(&idp, &d);
  T_EQ_STR(p->issuer, "https://127.0.0.2:1002/");
  door__idp_req_init(&q);
  door__idp_resp_init(&r);
  q.idp = &idp;
  q.prof = p;
  q.listener = &p->listeners[1];
  q.method = "GET";
  q.path = "/.well-known/openid-configuration";
  q.ep = door__idp_route(q.listener, q.path);
  T_EQ_INT(q.ep, DOOR_IDP_EP_DISCOVERY);
  T_EQ_INT(door__idp_route(q.listener, "/common/token"), DOOR_IDP_EP_TOKEN);
  T_EQ_INT(door__idp_route(&p->listeners[0], "/token"), DOOR_IDP_EP_NONE);
  T_EQ_ERR(door__idp_dispatch(&q, &r), DOOR_OK);
  T_EQ_INT(r.status, 200);
  T_EQ_ERR(door__json_parse(r.body.data, r.body.len, 8, &doc, NULL), DOOR_OK);
  T_EQ_INT(json_object_size(doc), 8);
  json_object_foreach(doc, key, v) {
    (void)v;
    T_EQ_STR(key, want[i]);
    i++;
  }
  T_EQ_STR(json_string_value(json_object_get(doc, "authorization_endpoint")),
           "https://127.0.0.1:1001/cgi8/oidc/authorize");
  T_EQ_STR(json_string_value(json_object_get(doc, "jwks_uri")),
           "https://127.0.0.3:1003/oft/external/ofrnt/v1.0/jwksget");
  T_EQ_STR(
      json_string_value(json_array_get(
          json_object_get(doc, "id_token_signing_alg_values_supported"), 0)),
      "HS256");
  json_decref(doc);
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  door__idp_free(&idp);
}

/* POST /token with the client's credentials in the form: refused. */
static void test_daccount_refuses_post_auth(void) {
  door_idp idp;
  door_detail d;
  door_idp_req q;
  door_idp_resp r;
  door_idp_profile *p = bound(&idp, &d);
  door__idp_req_init(&q);
  door__idp_resp_init(&r);
  q.idp = &idp;
  q.prof = p;
  q.listener = &p->listeners[1];
  q.method = "POST";
  q.path = "/token";
  q.ep = DOOR_IDP_EP_TOKEN;
  T_EQ_ERR(door__kvlist_add(&q.form, "grant_type", "authorization_code"),
           DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&q.form, "code", "x"), DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&q.form, "client_id", "c"), DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&q.form, "client_secret", "planted-secret-x"),
           DOOR_OK);
  T_EQ_ERR(door__idp_dispatch(&q, &r), DOOR_OK);
  T_EQ_INT(r.status, 401);
  T_OK(strstr(door__buf_str(&r.body), "\"invalid_client\"") != NULL);
  T_OK(strstr(door__buf_str(&r.body), "client_secret_basic") != NULL);
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  door__idp_free(&idp);
}

/* Rotations beyond the cap drop the oldest key that signs nothing. */
static void test_key_rotation_cap(void) {
  door_idp idp;
  door_idp_profile *p;
  door_jwk *k = NULL;
  json_t *keys;
  char id[48], first[48];
  int i;
  T_EQ_ERR(door__idp_init(&idp), DOOR_OK);
  T_EQ_ERR(door__idp_profile_add(&idp, "xm", DOOR_IDP_XMARKET, &p), DOOR_OK);
  for (i = 0; i < 40; i++) {
    T_EQ_ERR(door__idp_key_rotate(p, DOOR_ALG_ES256, id, sizeof id), DOOR_OK);
    if (i == 0)
      memcpy(first, id, sizeof id);
  }
  keys = door__idp_keys_json(p);
  T_EQ_INT(json_array_size(keys), DOOR_IDP_MAX_KEYS);
  T_OK(strcmp(json_string_value(json_object_get(json_array_get(keys, 0), "id")),
              first) != 0);
  json_decref(keys);
  T_EQ_ERR(door__idp_key_signing(p, DOOR_ALG_ES256, &k), DOOR_OK);
  T_EQ_STR(door__jwk_kid(k), id);
  door__jwk_unref(k);
  T_EQ_ERR(door__idp_key_drop(p, id), DOOR_OK);
  /* The newest remaining key of the family signs now. */
  T_EQ_ERR(door__idp_key_signing(p, DOOR_ALG_ES256, &k), DOOR_OK);
  door__jwk_unref(k);
  T_EQ_ERR(door__idp_key_drop(p, id), DOOR_ENOTFOUND);
  door__idp_free(&idp);
}

T_MAIN(T_CASE(test_errors_name_the_path), T_CASE(test_key_rotation_cap),
       T_CASE(test_good_scenario), T_CASE(test_pairwise_salt_is_stable),
       T_CASE(test_daccount_discovery), T_CASE(test_daccount_refuses_post_auth))
