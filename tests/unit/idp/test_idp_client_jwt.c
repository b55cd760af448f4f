/* door-idp private_key_jwt: scenario rules for the client's jwks, and each
 * check of a client assertion (signature, iss/sub, aud, exp, nbf/iat, jti
 * one-time), then the token endpoint taking one. */
#include "idp/http.h"
#include "idp/idp.h"
#include "util/json.h"
#include "idp_token_req.h"
#include "t.h"

#include <string.h>

#define TOKEN_URL "https://127.0.0.1:1001/token"
#define NOW 1700000000LL

static door_jwk *g_key, *g_other;

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

/* {"profiles":{KIND:{"clients":[{... CLIENT}]}}} with g_key's public JWK
 * as the client's jwks when `jwks`. */
static door_err load_client(door_idp *idp, const char *kind, const char *client,
                            int jwks, door_detail *d) {
  door_buf t;
  json_t *pub = NULL;
  door_err err;
  door__buf_init(&t, 1 << 16);
  door__buf_puts(&t, "{\"profiles\":{\"");
  door__buf_puts(&t, kind);
  door__buf_puts(&t, "\":{\"clock\":{\"fixed\":1700000000},\"clients\":[{"
                     "\"client_id\":\"pk\",\"redirect_uris\":"
                     "[\"https://rp/cb\"]");
  door__buf_puts(&t, client);
  if (jwks) {
    T_EQ_ERR(door__jwk_public_json(g_key, 0, &pub), DOOR_OK);
    door__buf_puts(&t, ",\"jwks\":{\"keys\":[");
    T_EQ_ERR(door__json_dump(pub, &t), DOOR_OK);
    door__buf_puts(&t, "]}");
    json_decref(pub);
  }
  door__buf_puts(&t, "}]}}}");
  err = load(idp, t.data, d);
  door__buf_free(&t);
  return err;
}

static void test_scenario_rules(void) {
  door_idp idp;
  door_detail d;
  door_idp_client *c;
  door_idp_profile *p;
  g_key = NULL;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &g_key), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &g_other), DOOR_OK);
  T_EQ_ERR(load_client(&idp, "generic",
                       ",\"token_endpoint_auth_method\":\"private_key_jwt\"", 1,
                       &d),
           DOOR_OK);
  p = door__idp_profile(&idp, "generic");
  c = door__idp_client_get(p, "pk");
  T_OK(c && c->auth == DOOR_IDP_AUTH_PRIVATE_KEY_JWT && c->jwks &&
       !c->client_secret);
  T_EQ_INT(door__jwks_count(c->jwks), 1);
  door__idp_client_unref(c);
  door__idp_free(&idp);
  /* Without keys, keys without the method, at a d-account profile. */
  T_EQ_ERR(load_client(&idp, "generic",
                       ",\"token_endpoint_auth_method\":\"private_key_jwt\"", 0,
                       &d),
           DOOR_ECONFIG_MISSING);
  T_EQ_STR(d.where, "profiles.generic.clients[0].jwks");
  door__idp_free(&idp);
  T_EQ_ERR(load_client(&idp, "generic", ",\"client_secret\":\"s\"", 1, &d),
           DOOR_ECONFIG_VALUE);
  T_EQ_STR(d.where, "profiles.generic.clients[0].jwks");
  door__idp_free(&idp);
  T_EQ_ERR(load_client(&idp, "xmarket",
                       ",\"token_endpoint_auth_method\":\"private_key_jwt\"", 1,
                       &d),
           DOOR_ECONFIG_VALUE);
  T_EQ_STR(d.where, "profiles.xmarket.clients[0].token_endpoint_auth_method");
  door__idp_free(&idp);
}

/* A generic profile with the private_key_jwt client "pk", bound to a
 * made-up origin (its token endpoint is TOKEN_URL), clock fixed at NOW. */
static door_idp_profile *bound(door_idp *idp) {
  door_detail d;
  door_idp_profile *p;
  static const char origin[] = "https://127.0.0.1:1001";
  T_EQ_ERR(load_client(idp, "generic",
                       ",\"token_endpoint_auth_method\":\"private_key_jwt\"", 1,
                       &d),
           DOOR_OK);
  p = door__idp_profile(idp, "generic");
  p->listeners[0].origin = malloc(sizeof origin);
  memcpy(p->listeners[0].origin, origin, sizeof origin);
  T_EQ_ERR(door__idp_profile_publish(p), DOOR_OK);
  T_EQ_STR(p->urls[DOOR_IDP_EP_TOKEN], TOKEN_URL);
  return p;
}

/* An assertion: the good claims, then `edit` applied to them. */
static char *assertion(const door_jwk *key, const char *edit_key,
                       json_t *edit_value) {
  json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", "pk", "sub",
                        "pk", "aud", TOKEN_URL, "jti", "jti-1", "iat",
                        (json_int_t)NOW, "exp", (json_int_t)(NOW + 60));
  door_buf payload, out;
  T_OK(c != NULL);
  if (edit_key) {
    if (edit_value)
      json_object_set_new(c, edit_key, edit_value);
    else
      json_object_del(c, edit_key);
  }
  door__buf_init(&payload, 65536);
  door__buf_init(&out, 65536);
  T_EQ_ERR(door__json_dump(c, &payload), DOOR_OK);
  T_EQ_ERR(door__jws_sign(key, DOOR_ALG_ES256, NULL, payload.data, payload.len,
                          &out),
           DOOR_OK);
  json_decref(c);
  door__buf_free(&payload);
  return door__buf_detach(&out);
}

/* Each check refuses on its own, with its own description. */
static void refused(door_idp_profile *p, const door_idp_client *c,
                    const door_jwk *key, const char *edit_key,
                    json_t *edit_value, const char *want) {
  char *a = assertion(key, edit_key, edit_value);
  const char *desc = NULL;
  door_err err = door__idp_client_assertion(p, c, a, &desc);
  free(a);
  T_NE_INT(err, DOOR_OK);
  T_OK(desc != NULL);
  if (!strstr(desc, want))
    T_FAIL_("description \"%s\" lacks \"%s\"", desc, want);
}

static void test_assertion_checks(void) {
  door_idp idp;
  door_idp_profile *p = bound(&idp);
  door_idp_client *c = door__idp_client_get(p, "pk");
  const char *desc = NULL;
  char *a;
  T_OK(c != NULL);
  refused(p, c, g_other, NULL, NULL, "signature");
  refused(p, c, g_key, "iss", json_string("other"), "iss and sub");
  refused(p, c, g_key, "sub", NULL, "iss and sub");
  refused(p, c, g_key, "aud", json_string("https://127.0.0.1:1001"), "aud");
  refused(p, c, g_key, "aud", NULL, "aud");
  refused(p, c, g_key, "exp", NULL, "expired");
  refused(p, c, g_key, "exp", json_integer(NOW), "expired");
  refused(p, c, g_key, "exp", json_string("soon"), "expired");
  refused(p, c, g_key, "exp", json_integer(NOW + 7200), "longer than an hour");
  refused(p, c, g_key, "iat", json_integer(NOW + 120), "future");
  refused(p, c, g_key, "nbf", json_integer(NOW + 120), "future");
  refused(p, c, g_key, "jti", NULL, "jti");
  refused(p, c, g_key, "jti", json_string(""), "jti");
  /* None of the refusals burnt jti-1: it passes once, then never. */
  a = assertion(g_key, "aud", json_pack("[s, s]", "x", TOKEN_URL));
  T_EQ_ERR(door__idp_client_assertion(p, c, a, &desc), DOOR_OK);
  T_OK(desc == NULL);
  T_NE_INT(door__idp_client_assertion(p, c, a, &desc), DOOR_OK);
  T_OK(strstr(desc, "already used") != NULL);
  free(a);
  /* Not a JWS at all. */
  T_NE_INT(door__idp_client_assertion(p, c, "a.b", &desc), DOOR_OK);
  door__idp_client_unref(c);
  door__idp_free(&idp);
}

/* The token endpoint: the method is enforced both ways. */
static long token_status(door_idp *idp, door_idp_profile *p, const char *id,
                         const char *type, const char *assertion_,
                         const char *secret, door_buf *body) {
  door_idp_req q;
  door_idp_resp r;
  long st;
  idp_token_req(&q, idp, p, "authorization_code");
  door__idp_resp_init(&r);
  T_EQ_ERR(door__kvlist_add(&q.form, "code", "unknown-code"), DOOR_OK);
  if (id)
    T_EQ_ERR(door__kvlist_add(&q.form, "client_id", id), DOOR_OK);
  if (secret)
    T_EQ_ERR(door__kvlist_add(&q.form, "client_secret", secret), DOOR_OK);
  if (type)
    T_EQ_ERR(door__kvlist_add(&q.form, "client_assertion_type", type), DOOR_OK);
  if (assertion_)
    T_EQ_ERR(door__kvlist_add(&q.form, "client_assertion", assertion_),
             DOOR_OK);
  T_EQ_ERR(door__idp_dispatch(&q, &r), DOOR_OK);
  st = r.status;
  door__buf_reset(body);
  door__buf_puts(body, door__buf_str(&r.body));
  door__idp_resp_free(&r);
  door__idp_req_free(&q);
  return st;
}

static void test_token_endpoint(void) {
  door_idp idp;
  door_idp_profile *p = bound(&idp);
  door_buf body;
  char *a = assertion(g_key, "jti", json_string("jti-token"));
  door__buf_init(&body, 65536);
  /* Authenticated (no client_id: found from sub); the code is unknown. */
  T_EQ_INT(token_status(&idp, p, NULL, DOOR_IDP_ASSERTION_TYPE, a, NULL, &body),
           400);
  T_OK(strstr(door__buf_str(&body), "invalid_grant") != NULL);
  /* The same assertion again: its jti is spent. */
  T_EQ_INT(token_status(&idp, p, "pk", DOOR_IDP_ASSERTION_TYPE, a, NULL, &body),
           401);
  T_OK(strstr(door__buf_str(&body), "already used") != NULL);
  free(a);
  a = assertion(g_key, "jti", json_string("jti-token-2"));
  T_EQ_INT(token_status(&idp, p, "pk", "urn:other", a, NULL, &body), 401);
  T_OK(strstr(door__buf_str(&body), "client_assertion_type") != NULL);
  T_EQ_INT(token_status(&idp, p, "pk", NULL, NULL, "s", &body), 401);
  T_OK(strstr(door__buf_str(&body), "private_key_jwt") != NULL);
  T_EQ_INT(token_status(&idp, p, "pk", DOOR_IDP_ASSERTION_TYPE, a, "s", &body),
           400);
  T_OK(strstr(door__buf_str(&body), "not two") != NULL);
  /* client_id and the assertion's sub disagree. */
  T_EQ_INT(
      token_status(&idp, p, "nobody", DOOR_IDP_ASSERTION_TYPE, a, NULL, &body),
      401);
  free(a);
  door__buf_free(&body);
  door__idp_free(&idp);
}

static void test_zz_cleanup(void) {
  door__jwk_unref(g_key);
  door__jwk_unref(g_other);
}

T_MAIN(T_CASE(test_scenario_rules), T_CASE(test_assertion_checks),
       T_CASE(test_token_endpoint), T_CASE(test_zz_cleanup))
