/* door-idp core: code store, PKCE, pairwise subjects, fault counters,
 * request log. */
#include "idp/faults.h"
#include "idp/http.h"
#include "idp/idp.h"
#include "idp/reqlog.h"
#include "idp/store.h"
#include "jose/jose.h"
#include "t.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static door_idp_grant grant(const char *client, const char *redirect,
                            int64_t exp) {
  door_idp_grant g;
  memset(&g, 0, sizeof g);
  g.client_id = (char *)client;
  g.user_id = (char *)"alice";
  g.redirect_uri = (char *)redirect;
  g.scope = (char *)"openid";
  g.nonce = (char *)"n-1";
  g.exp = exp;
  return g;
}

static void test_code_one_time(void) {
  door_idp_store s;
  door_idp_grant g = grant("rp", "https://rp/cb", 160), out;
  T_EQ_ERR(door__idp_store_init(&s, 100), DOOR_OK);
  T_EQ_ERR(door__idp_store_put(&s, "code-1", &g, 100), DOOR_OK);
  T_EQ_ERR(door__idp_store_put(&s, "code-1", &g, 100), DOOR_EEXISTS);
  T_EQ_ERR(
      door__idp_code_redeem(&s, "code-1", "rp", "https://rp/cb", 101, 0, &out),
      DOOR_OK);
  T_EQ_STR(out.user_id, "alice");
  T_EQ_STR(out.nonce, "n-1");
  door__idp_grant_free(&out);
  /* The second redemption fails, and still tells what was issued. */
  T_EQ_ERR(door__idp_store_append(&s, "code-1",
                                  offsetof(door_idp_grant, issued), "at-1"),
           DOOR_OK);
  T_EQ_ERR(door__idp_store_append(&s, "code-1",
                                  offsetof(door_idp_grant, issued), "rt-1"),
           DOOR_OK);
  T_EQ_ERR(door__idp_store_append(&s, "code-1",
                                  offsetof(door_idp_grant, issued), "at-1"),
           DOOR_OK);
  T_EQ_ERR(
      door__idp_code_redeem(&s, "code-1", "rp", "https://rp/cb", 102, 0, &out),
      DOOR_EIDP_GRANT_USED);
  T_EQ_STR(out.issued, "at-1 rt-1");
  door__idp_grant_free(&out);
  T_EQ_ERR(
      door__idp_code_redeem(&s, "nope", "rp", "https://rp/cb", 102, 0, &out),
      DOOR_ENOTFOUND);
  door__idp_store_free(&s);
}

static void test_code_bindings(void) {
  door_idp_store s;
  door_idp_grant g = grant("rp", "https://rp/cb", 160), out;
  T_EQ_ERR(door__idp_store_init(&s, 100), DOOR_OK);
  T_EQ_ERR(door__idp_store_put(&s, "c", &g, 100), DOOR_OK);
  T_EQ_ERR(
      door__idp_code_redeem(&s, "c", "other", "https://rp/cb", 101, 0, &out),
      DOOR_EIDP_GRANT_CLIENT);
  T_EQ_ERR(door__idp_code_redeem(&s, "c", "rp", "https://rp/cb2", 101, 0, &out),
           DOOR_EIDP_GRANT_REDIRECT);
  T_EQ_ERR(door__idp_code_redeem(&s, "c", "rp", NULL, 101, 0, &out),
           DOOR_EIDP_GRANT_REDIRECT);
  /* Failed attempts do not burn the code; `keep` (the code_reuse fault)
   * leaves it redeemable. */
  T_EQ_ERR(door__idp_code_redeem(&s, "c", "rp", "https://rp/cb", 101, 1, &out),
           DOOR_OK);
  door__idp_grant_free(&out);
  T_EQ_ERR(door__idp_code_redeem(&s, "c", "rp", "https://rp/cb", 101, 0, &out),
           DOOR_OK);
  door__idp_grant_free(&out);
  T_EQ_ERR(door__idp_code_redeem(&s, "c", "rp", "https://rp/cb", 101, 0, &out),
           DOOR_EIDP_GRANT_USED);
  door__idp_grant_free(&out);
  door__idp_store_free(&s);
}

static void test_code_expiry(void) {
  door_idp_store s;
  door_idp_grant g = grant("rp", "https://rp/cb", 160), out;
  T_EQ_ERR(door__idp_store_init(&s, 100), DOOR_OK);
  T_EQ_ERR(door__idp_store_put(&s, "c", &g, 100), DOOR_OK);
  T_EQ_INT(door__idp_store_count(&s), 1);
  T_EQ_ERR(door__idp_code_redeem(&s, "c", "rp", "https://rp/cb", 160, 0, &out),
           DOOR_EIDP_GRANT_EXPIRED);
  T_EQ_INT(door__idp_store_count(&s), 0);
  door__idp_store_free(&s);
}

static void test_store_cap_and_purge(void) {
  door_idp_store s;
  door_idp_grant g = grant("rp", NULL, 50), out;
  char key[32];
  size_t i, before;
  T_EQ_ERR(door__idp_store_init(&s, 1000), DOOR_OK);
  for (i = 0; i < 1000; i++) {
    key[0] = 'k';
    door__u64_to_str(i, key + 1);
    g.exp = i < 500 ? 50 : 500;
    T_EQ_ERR(door__idp_store_put(&s, key, &g, 10), DOOR_OK);
  }
  T_EQ_ERR(door__idp_store_put(&s, "full", &g, 10), DOOR_ETOOBIG);
  /* Past the first half's expiry the store makes room by itself. */
  T_EQ_ERR(door__idp_store_put(&s, "full", &g, 60), DOOR_OK);
  door__idp_store_purge(&s, 60);
  T_EQ_INT(door__idp_store_count(&s), 501);
  T_EQ_ERR(door__idp_store_take(&s, "k999", 60, &out), DOOR_OK);
  door__idp_grant_free(&out);
  T_EQ_ERR(door__idp_store_get(&s, "k999", 60, &out), DOOR_ENOTFOUND);
  before = door__idp_store_count(&s);
  T_EQ_INT(door__idp_store_purge(&s, 1000), before);
  T_EQ_INT(door__idp_store_count(&s), 0);
  door__idp_store_free(&s);
}

static void test_pkce(void) {
  /* RFC 7636 appendix B. */
  const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const char *c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  T_EQ_ERR(door__idp_pkce_check(c, "S256", v), DOOR_OK);
  T_EQ_ERR(door__idp_pkce_check(c, "S256",
                                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK"),
           DOOR_EIDP_PKCE);
  T_EQ_ERR(door__idp_pkce_check(c, "S256", NULL), DOOR_EIDP_PKCE_MISSING);
  T_EQ_ERR(door__idp_pkce_check(c, "S256", "short"), DOOR_EIDP_PKCE_FORMAT);
  T_EQ_ERR(door__idp_pkce_check(c, "S256",
                                "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
           DOOR_EIDP_PKCE_FORMAT);
  T_EQ_ERR(door__idp_pkce_check(v, "plain", v), DOOR_OK);
  T_EQ_ERR(door__idp_pkce_check(c, "S512", v), DOOR_EUNSUPPORTED);
}

static void test_pairwise(void) {
  unsigned char key[32], mac[32];
  unsigned int maclen = 0;
  door_buf a, b, want;
  const char msg[] = "door-rs\0taro";
  memset(key, 7, sizeof key);
  door__buf_init(&a, 256);
  door__buf_init(&b, 256);
  door__buf_init(&want, 256);
  T_EQ_ERR(door__idp_pairwise_sub(key, "door-rs", "taro", &a), DOOR_OK);
  /* Independently: HMAC-SHA256(key, sector || 0 || user), base64url. */
  T_OK(HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg, sizeof msg - 1,
            mac, &maclen) != NULL);
  T_EQ_ERR(door__b64url_encode(mac, maclen, &want), DOOR_OK);
  T_EQ_STR(door__buf_str(&a), door__buf_str(&want));
  T_EQ_INT(a.len, 43);
  /* Another client sees another subject; the same client the same one. */
  T_EQ_ERR(door__idp_pairwise_sub(key, "door-hs", "taro", &b), DOOR_OK);
  T_OK(strcmp(a.data, b.data) != 0);
  door__buf_reset(&b);
  T_EQ_ERR(door__idp_pairwise_sub(key, "door-rs", "taro", &b), DOOR_OK);
  T_EQ_STR(a.data, b.data);
  /* The separator keeps ("door-r","staro") apart from ("door-rs","taro"). */
  door__buf_reset(&b);
  T_EQ_ERR(door__idp_pairwise_sub(key, "door-r", "staro", &b), DOOR_OK);
  T_OK(strcmp(a.data, b.data) != 0);
  door__buf_free(&a);
  door__buf_free(&b);
  door__buf_free(&want);
}

static door_idp_fault_arm arm(const char *name, long long count) {
  door_idp_fault_arm a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.count = count;
  return a;
}

static void test_fault_counts(void) {
  door_idp_faults f;
  door_idp_fault_set fs;
  door_idp_fault_arm a = arm("id_token.iss_wrong", 2);
  uint64_t id = 0;
  int idx = door__idp_fault_find("id_token.iss_wrong");
  T_OK(idx >= 0);
  T_EQ_ERR(door__idp_faults_init(&f), DOOR_OK);
  T_EQ_ERR(door__idp_faults_arm(&f, &a, &id, NULL), DOOR_OK);
  T_EQ_INT(id, 1);
  /* Other endpoints do not consume it. */
  door__idp_faults_take(&f, "generic", DOOR_IDP_EP_USERINFO, "rp", &fs);
  T_EQ_INT(fs.n, 0);
  door__idp_faults_take(&f, "generic", DOOR_IDP_EP_TOKEN, "rp", &fs);
  T_EQ_INT(fs.n, 1);
  T_EQ_INT(fs.hits[0].fault, idx);
  door__idp_faults_take(&f, "daccount", DOOR_IDP_EP_TOKEN, NULL, &fs);
  T_EQ_INT(fs.n, 1);
  door__idp_faults_take(&f, "generic", DOOR_IDP_EP_TOKEN, "rp", &fs);
  T_EQ_INT(fs.n, 0);
  T_EQ_INT(f.n, 0);
  door__idp_faults_free(&f);
}

static void test_fault_scopes(void) {
  door_idp_faults f;
  door_idp_fault_set fs;
  door_idp_fault_arm a = arm("token.no_id_token", 1);
  json_t *list;
  uint64_t id = 0, id2 = 0;
  T_EQ_ERR(door__idp_faults_init(&f), DOOR_OK);
  a.profile = "generic";
  a.client_id = "rp-es";
  T_EQ_ERR(door__idp_faults_arm(&f, &a, &id, NULL), DOOR_OK);
  door__idp_faults_take(&f, "daccount", DOOR_IDP_EP_TOKEN, "rp-es", &fs);
  T_EQ_INT(fs.n, 0);
  door__idp_faults_take(&f, "generic", DOOR_IDP_EP_TOKEN, "rp-rs", &fs);
  T_EQ_INT(fs.n, 0);
  door__idp_faults_take(&f, "generic", DOOR_IDP_EP_TOKEN, NULL, &fs);
  T_EQ_INT(fs.n, 0);
  door__idp_faults_take(&f, "generic", DOOR_IDP_EP_TOKEN, "rp-es", &fs);
  T_EQ_INT(fs.n, 1);
  /* count 0: until disarmed. */
  a = arm("http.status_503", 0);
  a.endpoint = "jwks";
  T_EQ_ERR(door__idp_faults_arm(&f, &a, &id2, NULL), DOOR_OK);
  door__idp_faults_take(&f, "xmarket", DOOR_IDP_EP_JWKS, NULL, &fs);
  door__idp_faults_take(&f, "xmarket", DOOR_IDP_EP_JWKS, NULL, &fs);
  T_EQ_INT(fs.n, 1);
  list = door__idp_faults_json(&f);
  T_EQ_INT(json_array_size(list), 1);
  T_OK(json_is_null(json_object_get(json_array_get(list, 0), "remaining")));
  T_EQ_INT(json_integer_value(json_object_get(json_array_get(list, 0), "hits")),
           2);
  json_decref(list);
  T_EQ_ERR(door__idp_faults_disarm(&f, id2), DOOR_OK);
  T_EQ_ERR(door__idp_faults_disarm(&f, id2), DOOR_ENOTFOUND);
  door__idp_faults_take(&f, "xmarket", DOOR_IDP_EP_JWKS, NULL, &fs);
  T_EQ_INT(fs.n, 0);
  door__idp_faults_free(&f);
}

static void test_fault_arm_checks(void) {
  door_idp_faults f;
  door_idp_fault_arm a = arm("no.such_fault", 1);
  door_detail d;
  T_EQ_ERR(door__idp_faults_init(&f), DOOR_OK);
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_UNKNOWN);
  a = arm("http.status_500", 1); /* any-endpoint faults need one */
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_ARGS);
  T_EQ_STR(d.where, "endpoint");
  a.endpoint = "nowhere";
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_ARGS);
  a = arm("id_token.iss_wrong", 1);
  a.endpoint = "userinfo"; /* fixed to token */
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_ARGS);
  a = arm("id_token.iss_wrong", 1);
  a.str = "x"; /* takes no parameter */
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_ARGS);
  a = arm("http.delay", 1);
  a.endpoint = "token";
  a.str = "slow"; /* integer parameter */
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_ARGS);
  a = arm("id_token.iss_wrong", -1);
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, &d), DOOR_EIDP_FAULT_ARGS);
  T_EQ_INT(f.n, 0);
  door__idp_faults_free(&f);
}

static void test_fault_registry(void) {
  size_t i, k, n = door__idp_fault_count();
  json_t *cat = door__idp_fault_catalog();
  T_OK(n >= 40);
  T_EQ_INT(json_array_size(cat), n);
  json_decref(cat);
  for (i = 0; i < n; i++) {
    const door_idp_fault_def *f = door__idp_fault_def(i);
    T_OK(f->name && strchr(f->name, '.'));
    T_OK(f->apply != NULL);
    T_OK(f->description && *f->description);
    T_OK((f->param == DOOR_IDP_PARAM_NONE) == (f->param_default == NULL));
    T_EQ_INT(door__idp_fault_find(f->name), i);
    for (k = i + 1; k < n; k++)
      T_OK(strcmp(f->name, door__idp_fault_def(k)->name) != 0);
  }
}

static void test_fault_hooks(void) {
  door_idp_faults f;
  door_idp_fault_set fs;
  door_idp_fault_ctx ctx;
  door_idp_fault_arm a = arm("id_token.exp_past", 1);
  json_t *claims =
      json_pack("{s:s, s:I, s:I, s:s}", "iss", "https://op", "iat",
                (json_int_t)1000, "exp", (json_int_t)4600, "nonce", "n");
  T_EQ_ERR(door__idp_faults_init(&f), DOOR_OK);
  a.has_num = 1;
  a.num = 30;
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, NULL), DOOR_OK);
  a = arm("id_token.nonce_wrong", 1);
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, NULL), DOOR_OK);
  a = arm("id_token.alg_none", 1);
  T_EQ_ERR(door__idp_faults_arm(&f, &a, NULL, NULL), DOOR_OK);
  door__idp_faults_take(&f, "p", DOOR_IDP_EP_TOKEN, NULL, &fs);
  T_EQ_INT(fs.n, 3);
  memset(&ctx, 0, sizeof ctx);
  ctx.obj = claims;
  door__idp_faults_apply(&fs, DOOR_IDP_STAGE_CLAIMS, &ctx);
  T_EQ_INT(json_integer_value(json_object_get(claims, "exp")), 970);
  T_EQ_STR(json_string_value(json_object_get(claims, "nonce")), "wrong-n");
  T_OK(door__idp_faults_any(&fs, DOOR_IDP_STAGE_SIGN));
  T_OK(!door__idp_faults_any(&fs, DOOR_IDP_STAGE_WIRE));
  json_decref(claims);
  door__idp_faults_free(&f);
}

static void test_reqlog_ring(void) {
  door_idp_reqlog l;
  door_idp_reqlog_query q;
  door_kvlist h, e;
  json_t *arr;
  size_t i;
  door__kvlist_init(&h);
  door__kvlist_init(&e);
  T_EQ_ERR(door__kvlist_add(&h, "Authorization", "Basic eA=="), DOOR_OK);
  T_EQ_ERR(door__idp_reqlog_init(&l, 3), DOOR_OK);
  for (i = 0; i < 5; i++)
    T_EQ_ERR(door__idp_reqlog_add(&l, i % 2 ? "daccount" : "generic", "main",
                                  "token", "POST", "/token", &h, &e, &e),
             DOOR_OK);
  memset(&q, 0, sizeof q);
  arr = door__idp_reqlog_json(&l, &q);
  T_EQ_INT(json_array_size(arr), 3); /* capped: the last three */
  T_EQ_INT(json_integer_value(json_object_get(json_array_get(arr, 0), "seq")),
           3);
  json_decref(arr);
  q.profile = "generic";
  arr = door__idp_reqlog_json(&l, &q);
  T_EQ_INT(json_array_size(arr), 2);
  json_decref(arr);
  q.profile = NULL;
  q.since = 4;
  arr = door__idp_reqlog_json(&l, &q);
  T_EQ_INT(json_array_size(arr), 1);
  T_EQ_STR(
      json_string_value(json_array_get(
          json_array_get(json_object_get(json_array_get(arr, 0), "headers"), 0),
          1)),
      "Basic eA==");
  json_decref(arr);
  door__idp_reqlog_clear(&l);
  q.since = 0;
  arr = door__idp_reqlog_json(&l, &q);
  T_EQ_INT(json_array_size(arr), 0);
  json_decref(arr);
  door__idp_reqlog_free(&l);
  door__kvlist_free(&h);
}

T_MAIN(T_CASE(test_code_one_time), T_CASE(test_code_bindings),
       T_CASE(test_code_expiry), T_CASE(test_store_cap_and_purge),
       T_CASE(test_pkce), T_CASE(test_pairwise), T_CASE(test_fault_counts),
       T_CASE(test_fault_scopes), T_CASE(test_fault_arm_checks),
       T_CASE(test_fault_registry), T_CASE(test_fault_hooks),
       T_CASE(test_reqlog_ring))
