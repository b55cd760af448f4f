/* ID-token validator: a table of claim sets and the code each must give. */
#include "oidc/oidc.h"
#include "t.h"

#include <string.h>

#define NOW 1700000000

static door_jwk *g_key;   /* ES256, kid k1 */
static door_jwk *g_other; /* ES256, kid k1, another key */
static door_jwk *g_rsa;   /* RS256, kid r1 */

static door_err verify_one(void *ud, const door_jws *jws, door_detail *d) {
  (void)d;
  return door__jws_verify(jws, (const door_jwk *)ud, DOOR_ALG_ALL);
}

static void keys(void) {
  if (g_key)
    return;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "k1", &g_key), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "k1", &g_other), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_RS256, "r1", &g_rsa), DOOR_OK);
}

static json_t *base_claims(void) {
  door_buf h;
  json_t *c;
  door__buf_init(&h, 128);
  T_EQ_ERR(door__jose_half_hash(DOOR_ALG_ES256, "AT", 2, &h), DOOR_OK);
  c = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss",
                "https://op.example/", "aud", "client-1", "sub", "user-1",
                "nonce", "N1", "iat", (json_int_t)(NOW - 10), "exp",
                (json_int_t)(NOW + 300), "at_hash", door__buf_str(&h));
  door__buf_free(&h);
  T_OK(c != NULL);
  return c;
}

static void sign(const door_jwk *key, door_alg alg, json_t *claims,
                 door_buf *out) {
  char *payload = json_dumps(claims, JSON_COMPACT);
  T_OK(payload != NULL);
  door__buf_init(out, 1 << 16);
  T_EQ_ERR(door__jws_sign(key, alg, NULL, payload, strlen(payload), out),
           DOOR_OK);
  free(payload);
}

static void expect_init(door_idt_expect *e) {
  static const char *const trusted[] = {"friend-app"};
  memset(e, 0, sizeof *e);
  e->issuer = "https://op.example/";
  e->client_id = "client-1";
  e->trusted_aud = trusted;
  e->n_trusted_aud = 1;
  e->allowed_algs = DOOR_ALG_ES256;
  e->nonce = "N1";
  e->access_token = "AT";
  e->now = NOW;
  e->leeway = 60;
  e->max_age = 3600;
}

static door_err run(json_t *claims, const door_jwk *sign_key, door_alg alg,
                    const door_jwk *verify_key) {
  door_buf tok;
  door_idt_expect e;
  json_t *out = NULL;
  door_detail d;
  door_err err;
  sign(sign_key, alg, claims, &tok);
  expect_init(&e);
  err = door__idtoken_validate(door__buf_str(&tok), &e, verify_one,
                               (void *)verify_key, &out, &d);
  if (!err) {
    T_OK(out != NULL);
    json_decref(out);
  } else {
    T_EQ_ERR(d.code, err);
  }
  door__buf_free(&tok);
  return err;
}

typedef struct idt_case {
  const char *name;
  const char *claim;
  const char *json; /* new value as JSON; NULL: remove the claim */
  door_err want;
} idt_case;

static const idt_case k_cases[] = {
    {"valid", "sub", "\"user-1\"", DOOR_OK},
    {"iss other", "iss", "\"https://evil.example/\"", DOOR_EIDT_ISS},
    {"iss no slash", "iss", "\"https://op.example\"", DOOR_EIDT_ISS},
    {"iss case", "iss", "\"https://OP.example/\"", DOOR_EIDT_ISS},
    {"iss missing", "iss", NULL, DOOR_EIDT_ISS},
    {"iss type", "iss", "1", DOOR_EIDT_CLAIM_TYPE},
    {"aud other", "aud", "\"client-2\"", DOOR_EIDT_AUD},
    {"aud missing", "aud", NULL, DOOR_EIDT_AUD},
    {"aud array ok", "aud", "[\"client-1\"]", DOOR_OK},
    {"aud array without us", "aud", "[\"client-2\",\"friend-app\"]",
     DOOR_EIDT_AUD},
    {"aud untrusted", "aud", "[\"client-1\",\"evil-app\"]",
     DOOR_EIDT_AUD_UNTRUSTED},
    {"aud trusted, no azp", "aud", "[\"client-1\",\"friend-app\"]",
     DOOR_EIDT_AZP},
    {"aud empty array", "aud", "[]", DOOR_EIDT_CLAIM_TYPE},
    {"aud number", "aud", "7", DOOR_EIDT_CLAIM_TYPE},
    {"aud array number", "aud", "[\"client-1\",7]", DOOR_EIDT_CLAIM_TYPE},
    {"azp other", "azp", "\"client-2\"", DOOR_EIDT_AZP},
    {"azp ours", "azp", "\"client-1\"", DOOR_OK},
    {"exp past", "exp", "1699999940", DOOR_EIDT_EXP},
    {"exp within leeway", "exp", "1699999941", DOOR_OK},
    {"exp missing", "exp", NULL, DOOR_EIDT_EXP},
    {"exp string", "exp", "\"1700000300\"", DOOR_EIDT_CLAIM_TYPE},
    {"exp real", "exp", "1700000300.5", DOOR_OK},
    {"iat future", "iat", "1700000061", DOOR_EIDT_IAT},
    {"iat future within leeway", "iat", "1700000060", DOOR_OK},
    {"iat missing", "iat", NULL, DOOR_EIDT_IAT},
    {"iat too old", "iat", "1699996339", DOOR_EIDT_TOO_OLD},
    {"iat old within max_age", "iat", "1699996340", DOOR_OK},
    {"nbf future", "nbf", "1700000061", DOOR_EIDT_NBF},
    {"nbf within leeway", "nbf", "1700000060", DOOR_OK},
    {"nbf type", "nbf", "null", DOOR_EIDT_CLAIM_TYPE},
    {"nonce other", "nonce", "\"N2\"", DOOR_EIDT_NONCE},
    {"nonce prefix", "nonce", "\"N\"", DOOR_EIDT_NONCE},
    {"nonce missing", "nonce", NULL, DOOR_EIDT_NONCE},
    {"nonce type", "nonce", "1", DOOR_EIDT_CLAIM_TYPE},
    {"at_hash other", "at_hash", "\"AAAAAAAAAAAAAAAAAAAAAA\"",
     DOOR_EIDT_AT_HASH},
    {"at_hash absent", "at_hash", NULL, DOOR_OK},
    {"at_hash type", "at_hash", "[]", DOOR_EIDT_CLAIM_TYPE},
    {"sub missing", "sub", NULL, DOOR_EIDT_SUB},
    {"sub empty", "sub", "\"\"", DOOR_EIDT_SUB},
    {"sub type", "sub", "42", DOOR_EIDT_CLAIM_TYPE},
    {"sub control", "sub", "\"a\\u0001b\"", DOOR_EIDT_SUB},
};

static void test_claims_table(void) {
  size_t i;
  keys();
  for (i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
    const idt_case *c = &k_cases[i];
    json_t *claims = base_claims();
    door_err got;
    if (c->json) {
      json_error_t je;
      json_t *v = json_loads(c->json, JSON_DECODE_ANY, &je);
      T_OK(v != NULL);
      json_object_set_new(claims, c->claim, v);
    } else {
      json_object_del(claims, c->claim);
    }
    got = run(claims, g_key, DOOR_ALG_ES256, g_key);
    json_decref(claims);
    if (got != c->want)
      T_FAIL_("case \"%s\": got %s, want %s", c->name, door_err_name(got),
              door_err_name(c->want));
  }
}

static void test_azp_with_several_audiences(void) {
  json_t *claims;
  keys();
  claims = base_claims();
  json_object_set_new(claims, "aud",
                      json_pack("[s,s]", "friend-app", "client-1"));
  json_object_set_new(claims, "azp", json_string("client-1"));
  T_EQ_ERR(run(claims, g_key, DOOR_ALG_ES256, g_key), DOOR_OK);
  json_object_set_new(claims, "azp", json_string("friend-app"));
  T_EQ_ERR(run(claims, g_key, DOOR_ALG_ES256, g_key), DOOR_EIDT_AZP);
  json_decref(claims);
}

static void test_signature(void) {
  json_t *claims;
  keys();
  claims = base_claims();
  /* Signed by another key with the same kid. */
  T_EQ_ERR(run(claims, g_other, DOOR_ALG_ES256, g_key), DOOR_ESIG_INVALID);
  /* An algorithm the provider is not pinned to (checked before the key). */
  T_EQ_ERR(run(claims, g_rsa, DOOR_ALG_RS256, g_rsa), DOOR_EALG_NOT_ALLOWED);
  json_decref(claims);
}

static void test_structure(void) {
  door_idt_expect e;
  expect_init(&e);
  keys();
  T_EQ_ERR(door__idtoken_validate("a.b", &e, verify_one, g_key, NULL, NULL),
           DOOR_EJWS_SEGMENTS);
  /* alg none, even with a valid-looking payload. */
  T_EQ_ERR(door__idtoken_validate("eyJhbGciOiJub25lIn0.e30.", &e, verify_one,
                                  g_key, NULL, NULL),
           DOOR_EALG_NONE);
}

static void test_tampered_payload(void) {
  door_buf tok, forged;
  door_idt_expect e;
  json_t *claims;
  char *payload;
  const char *dot1, *dot2;
  keys();
  claims = base_claims();
  sign(g_key, DOOR_ALG_ES256, claims, &tok);
  /* Replace the payload with one naming another subject. */
  json_object_set_new(claims, "sub", json_string("admin"));
  payload = json_dumps(claims, JSON_COMPACT);
  dot1 = strchr(tok.data, '.');
  dot2 = strchr(dot1 + 1, '.');
  door__buf_init(&forged, 1 << 16);
  T_EQ_ERR(door__buf_append(&forged, tok.data, (size_t)(dot1 - tok.data) + 1),
           DOOR_OK);
  T_EQ_ERR(door__b64url_encode(payload, strlen(payload), &forged), DOOR_OK);
  T_EQ_ERR(door__buf_puts(&forged, dot2), DOOR_OK);
  expect_init(&e);
  T_EQ_ERR(door__idtoken_validate(door__buf_str(&forged), &e, verify_one, g_key,
                                  NULL, NULL),
           DOOR_ESIG_INVALID);
  free(payload);
  json_decref(claims);
  door__buf_free(&tok);
  door__buf_free(&forged);
}

static void test_hs256_secret(void) {
  door_jwk *secret = NULL;
  json_t *claims = base_claims();
  door_buf h;
  static const char sec[] = "the-client-secret-of-at-least-32-bytes!";
  door_buf tok;
  door_idt_expect e;
  T_EQ_ERR(door__jwk_from_secret(sec, strlen(sec), NULL, &secret), DOOR_OK);
  door__buf_init(&h, 128);
  T_EQ_ERR(door__jose_half_hash(DOOR_ALG_HS256, "AT", 2, &h), DOOR_OK);
  json_object_set_new(claims, "at_hash", json_string(door__buf_str(&h)));
  door__buf_free(&h);
  sign(secret, DOOR_ALG_HS256, claims, &tok);
  expect_init(&e);
  e.allowed_algs = DOOR_ALG_HS256 | DOOR_ALG_RS256;
  T_EQ_ERR(door__idtoken_validate(door__buf_str(&tok), &e, verify_one, secret,
                                  NULL, NULL),
           DOOR_OK);
  /* Not pinned: refused even though the secret would verify. */
  e.allowed_algs = DOOR_ALG_RS256;
  T_EQ_ERR(door__idtoken_validate(door__buf_str(&tok), &e, verify_one, secret,
                                  NULL, NULL),
           DOOR_EALG_NOT_ALLOWED);
  door__buf_free(&tok);
  json_decref(claims);
  door__jwk_unref(secret);
}

static void test_cleanup(void) {
  door__jwk_unref(g_key);
  door__jwk_unref(g_other);
  door__jwk_unref(g_rsa);
  g_key = g_other = g_rsa = NULL;
}

T_MAIN(T_CASE(test_claims_table), T_CASE(test_azp_with_several_audiences),
       T_CASE(test_signature), T_CASE(test_structure),
       T_CASE(test_tampered_payload), T_CASE(test_hs256_secret),
       T_CASE(test_cleanup))
