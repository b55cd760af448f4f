/* door-idp end to end: discovery documents, JWKS shapes, a full code flow
 * per profile (id_token verified against the served JWKS, claims, userinfo,
 * refresh), client_secret_post refused at d-account, PKCE enforced,
 * tickets, client_credentials. */
#include "harness.h"
#include "t.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

jmp_buf t__jmp;
static e2e_env env;
static e2e_env *E = &env;

#define DA_REDIRECT "https://rp.localhost/callback/daccount"
#define XM_REDIRECT "https://rp.localhost/callback/xmarket"
#define GE_REDIRECT "https://rp.localhost/callback/generic"
#define DA_RS_SECRET "planted-secret-daccount-rs-0123456789abcdef"
#define DA_HS_SECRET "planted-secret-daccount-hs-0123456789abcdef"
#define XM_SECRET "planted-secret-xmarket-0123456789abcdef"
#define GE_RS_SECRET "planted-secret-generic-rs-0123456789abcdef"
#define GE_ES_SECRET "planted-secret-generic-es-0123456789abcdef"

static json_t *get_json(const char *url, long want_status) {
  e2e_resp r;
  json_t *j;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, want_status);
  j = e2e_json(&r);
  e2e_resp_free(&r);
  T_OK(j != NULL);
  return j;
}

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* scheme://host:port of a URL (malloc'ed). */
static char *origin(const char *url) {
  door_url u;
  door_buf b;
  door__buf_init(&b, 512);
  T_EQ_ERR(door__url_parse(url, &u, NULL), DOOR_OK);
  T_EQ_ERR(door__url_origin(&u, &b), DOOR_OK);
  door__url_free(&u);
  return door__buf_detach(&b);
}

static void test_daccount_discovery_is_the_published_one(void) {
  json_t *doc = get_json(e2e_url(E, "daccount", "discovery"), 200), *ref;
  door_buf text;
  const char *k1, *k2;
  void *i1, *i2;
  char *oa, *ot, *oj, *oi;
  door__buf_init(&text, 65536);
  {
    FILE *f = fopen(E->daccount_ref, "rb");
    char chunk[4096];
    size_t n;
    T_OK(f != NULL);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
      door__buf_append(&text, chunk, n);
    fclose(f);
  }
  T_EQ_ERR(door__json_parse(text.data, text.len, 8, &ref, NULL), DOOR_OK);
  door__buf_free(&text);
  /* The same members, in the same order, nothing else. */
  T_EQ_INT(json_object_size(doc), json_object_size(ref));
  for (i1 = json_object_iter(doc), i2 = json_object_iter(ref); i1 && i2;
       i1 = json_object_iter_next(doc, i1),
      i2 = json_object_iter_next(ref, i2)) {
    k1 = json_object_iter_key(i1);
    k2 = json_object_iter_key(i2);
    T_EQ_STR(k1, k2);
  }
  T_OK(json_equal(json_object_get(doc, "response_types_supported"),
                  json_object_get(ref, "response_types_supported")));
  T_OK(json_equal(json_object_get(doc, "subject_types_supported"),
                  json_object_get(ref, "subject_types_supported")));
  T_OK(json_equal(
      json_object_get(doc, "id_token_signing_alg_values_supported"),
      json_object_get(ref, "id_token_signing_alg_values_supported")));
  /* Trailing-slash issuer, served at its own origin with the token and
   * userinfo endpoints; authorization and JWKS on two other origins. */
  T_EQ_STR(jstr(doc, "issuer"), e2e_url(E, "daccount", "issuer"));
  T_OK(jstr(doc, "issuer")[strlen(jstr(doc, "issuer")) - 1] == '/');
  oi = origin(jstr(doc, "issuer"));
  oa = origin(jstr(doc, "authorization_endpoint"));
  ot = origin(jstr(doc, "token_endpoint"));
  oj = origin(jstr(doc, "jwks_uri"));
  T_EQ_STR(ot, oi);
  T_OK(strcmp(oa, ot) != 0 && strcmp(oa, oj) != 0 && strcmp(ot, oj) != 0);
  T_OK(strstr(jstr(doc, "authorization_endpoint"), "/cgi8/oidc/authorize"));
  T_OK(strstr(jstr(doc, "jwks_uri"), "/oft/external/ofrnt/v1.0/jwksget"));
  free(oa);
  free(ot);
  free(oj);
  free(oi);
  json_decref(doc);
  json_decref(ref);
}

static void test_xmarket_generic_discovery(void) {
  static const char *const profiles[] = {"xmarket", "generic"};
  size_t i;
  for (i = 0; i < 2; i++) {
    json_t *doc = get_json(e2e_url(E, profiles[i], "discovery"), 200);
    T_EQ_STR(jstr(doc, "issuer"), e2e_url(E, profiles[i], "issuer"));
    T_EQ_STR(json_string_value(json_array_get(
                 json_object_get(doc, "code_challenge_methods_supported"), 0)),
             "S256");
    T_OK(json_is_true(json_object_get(
        doc, "authorization_response_iss_parameter_supported")));
    T_OK(jstr(doc, "token_endpoint") && jstr(doc, "userinfo_endpoint") &&
         jstr(doc, "jwks_uri") && json_object_get(doc, "scopes_supported") &&
         json_object_get(doc, "grant_types_supported") &&
         json_object_get(doc, "token_endpoint_auth_methods_supported") &&
         json_object_get(doc, "claims_supported"));
    if (i == 0) {
      T_OK(jstr(doc, "tickets_endpoint") != NULL);
      T_EQ_STR(
          json_string_value(json_array_get(
              json_object_get(doc, "id_token_signing_alg_values_supported"),
              0)),
          "ES256");
    } else {
      T_OK(jstr(doc, "end_session_endpoint") != NULL);
      T_OK(json_is_true(json_object_get(doc, "backchannel_logout_supported")));
      T_EQ_INT(json_array_size(json_object_get(
                   doc, "id_token_signing_alg_values_supported")),
               2);
    }
    json_decref(doc);
  }
}

static void test_jwks_shapes(void) {
  json_t *d = get_json(e2e_url(E, "daccount", "jwks_uri"), 200), *k;
  unsigned char n[600];
  size_t nlen = 0;
  door_jwks *set;
  /* d-account: one RSA key, no kid, no alg, n with a leading zero octet. */
  T_EQ_INT(json_array_size(json_object_get(d, "keys")), 1);
  k = json_array_get(json_object_get(d, "keys"), 0);
  T_EQ_STR(jstr(k, "kty"), "RSA");
  T_EQ_STR(jstr(k, "use"), "sig");
  T_OK(!json_object_get(k, "kid") && !json_object_get(k, "alg"));
  T_EQ_ERR(door__b64url_decode(jstr(k, "n"), strlen(jstr(k, "n")), n, sizeof n,
                               &nlen),
           DOOR_OK);
  T_EQ_INT(nlen, 257);
  T_EQ_INT(n[0], 0);
  T_OK(n[1] & 0x80);
  json_decref(d);
  /* xmarket: one EC key with kid and alg ES256. */
  d = get_json(e2e_url(E, "xmarket", "jwks_uri"), 200);
  T_EQ_INT(json_array_size(json_object_get(d, "keys")), 1);
  k = json_array_get(json_object_get(d, "keys"), 0);
  T_EQ_STR(jstr(k, "kty"), "EC");
  T_EQ_STR(jstr(k, "alg"), "ES256");
  T_OK(jstr(k, "kid") != NULL);
  json_decref(d);
  /* generic: RSA and EC, with kids; all parse with the strict parser. */
  d = get_json(e2e_url(E, "generic", "jwks_uri"), 200);
  T_EQ_INT(json_array_size(json_object_get(d, "keys")), 2);
  json_decref(d);
  set = e2e_jwks(E, "generic");
  T_OK(set != NULL);
  T_EQ_INT(door__jwks_count(set), 2);
  door__jwks_unref(set);
  set = e2e_jwks(E, "daccount");
  T_OK(set != NULL);
  door__jwks_unref(set);
}

/* Checks the standard claims of an id_token. */
static void check_claims(const char *profile, const json_t *c,
                         const char *client_id, const char *sub,
                         const char *nonce, const char *access_token,
                         door_alg alg) {
  door_buf h;
  long long now = e2e_now();
  door__buf_init(&h, 128);
  T_EQ_STR(jstr(c, "iss"), e2e_url(E, profile, "issuer"));
  T_EQ_STR(jstr(c, "aud"), client_id);
  T_EQ_STR(jstr(c, "sub"), sub);
  if (nonce)
    T_EQ_STR(jstr(c, "nonce"), nonce);
  else
    T_OK(!json_object_get(c, "nonce"));
  T_EQ_ERR(door__jose_half_hash(alg, access_token, strlen(access_token), &h),
           DOOR_OK);
  T_EQ_STR(jstr(c, "at_hash"), h.data);
  T_OK(json_integer_value(json_object_get(c, "iat")) <= now + 5);
  T_OK(json_integer_value(json_object_get(c, "iat")) >= now - 60);
  T_OK(json_integer_value(json_object_get(c, "exp")) > now);
  door__buf_free(&h);
}

/* d-account's pairwise sub, recomputed from the documented derivation:
 * base64url(HMAC-SHA256(SHA-256(pairwise_salt), client_id || 0 || user)). */
static void pairwise(const char *client, const char *user, door_buf *out) {
  unsigned char key[32], mac[32];
  unsigned int klen = 0, mlen = 0;
  door_buf msg;
  const char *salt = "e2e-pairwise-salt";
  door__buf_init(&msg, 256);
  door__buf_puts(&msg, client);
  door__buf_append(&msg, "", 1);
  door__buf_puts(&msg, user);
  T_OK(EVP_Digest(salt, strlen(salt), key, &klen, EVP_sha256(), NULL));
  T_OK(HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg.data, msg.len,
            mac, &mlen) != NULL);
  T_EQ_ERR(door__b64url_encode(mac, mlen, out), DOOR_OK);
  door__buf_free(&msg);
}

static void userinfo_sub(const char *profile, const char *at,
                         const char *url_key, const char *want_sub) {
  e2e_resp r;
  json_t *j;
  const char *url = e2e_url(E, profile, url_key);
  door_buf alt;
  door__buf_init(&alt, 1024);
  if (strcmp(url_key, "common") == 0) {
    /* d-account's /common/userinfo alias. */
    door__buf_puts(&alt, e2e_url(E, profile, "issuer"));
    door__buf_puts(&alt, "common/userinfo");
    url = alt.data;
  }
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url, NULL, NULL, NULL, at, NULL, &r), 0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  T_OK(j != NULL);
  T_EQ_STR(jstr(j, "sub"), want_sub);
  json_decref(j);
  e2e_resp_free(&r);
  door__buf_free(&alt);
}

static json_t *refresh(e2e_flow *f, const char *rt) {
  door_buf form;
  e2e_resp r;
  json_t *j;
  door__buf_init(&form, 4096);
  door__form_append(&form, "grant_type", "refresh_token");
  door__form_append(&form, "refresh_token", rt);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token_form(E, f, form.data, &r), 0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  T_OK(j != NULL);
  e2e_resp_free(&r);
  door__buf_free(&form);
  return j;
}

static void test_daccount_flow_rs256(void) {
  e2e_flow f;
  json_t *tok, *tok2;
  door_jws jws;
  door_buf sub, sub2;
  memset(&f, 0, sizeof f);
  f.profile = "daccount";
  f.client_id = "door-rs";
  f.secret = DA_RS_SECRET;
  f.redirect_uri = DA_REDIRECT;
  f.user = "taro";
  f.nonce = "nonce-da-1";
  f.state = "state-da-1";
  f.extra = "&authif=1&idauth=1";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  /* d-account does not send RFC 9207 iss. */
  T_OK(strstr(f.location, "iss=") == NULL);
  T_OK(strstr(f.location, "state=state-da-1") != NULL);
  T_EQ_ERR(e2e_verify(E, "daccount", jstr(tok, "id_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(door__alg_name(jws.alg), "RS256");
  T_OK(jws.kid == NULL);
  door__buf_init(&sub, 128);
  door__buf_init(&sub2, 128);
  pairwise("door-rs", "taro", &sub);
  T_OK(strcmp(sub.data, "taro") != 0);
  check_claims("daccount", jws.payload, "door-rs", sub.data, "nonce-da-1",
               jstr(tok, "access_token"), DOOR_ALG_RS256);
  door__jws_clear(&jws);
  userinfo_sub("daccount", jstr(tok, "access_token"), "userinfo_endpoint",
               sub.data);
  userinfo_sub("daccount", jstr(tok, "access_token"), "common", sub.data);
  /* Refresh: a new access token and id_token for the same subject. */
  T_OK(jstr(tok, "refresh_token") != NULL);
  tok2 = refresh(&f, jstr(tok, "refresh_token"));
  T_EQ_ERR(e2e_verify(E, "daccount", jstr(tok2, "id_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(jstr(jws.payload, "sub"), sub.data);
  T_OK(!json_object_get(jws.payload, "nonce"));
  T_OK(strcmp(jstr(tok2, "access_token"), jstr(tok, "access_token")) != 0);
  door__jws_clear(&jws);
  /* The other client sees another pairwise subject. */
  pairwise("door-hs", "taro", &sub2);
  T_OK(strcmp(sub.data, sub2.data) != 0);
  json_decref(tok);
  json_decref(tok2);
  door__buf_free(&sub);
  door__buf_free(&sub2);
}

static void test_daccount_flow_hs256(void) {
  e2e_flow f;
  json_t *tok;
  door_jws jws;
  door_buf sub;
  memset(&f, 0, sizeof f);
  f.profile = "daccount";
  f.client_id = "door-hs";
  f.secret = DA_HS_SECRET;
  f.redirect_uri = DA_REDIRECT;
  f.user = "taro";
  f.nonce = "nonce-hs";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  T_EQ_ERR(e2e_verify(E, "daccount", jstr(tok, "id_token"), DA_HS_SECRET, &jws),
           DOOR_OK);
  T_EQ_STR(door__alg_name(jws.alg), "HS256");
  door__buf_init(&sub, 128);
  pairwise("door-hs", "taro", &sub);
  check_claims("daccount", jws.payload, "door-hs", sub.data, "nonce-hs",
               jstr(tok, "access_token"), DOOR_ALG_HS256);
  door__jws_clear(&jws);
  /* The same token does not verify against the JWKS (no RSA signature). */
  T_OK(e2e_verify(E, "daccount", jstr(tok, "id_token"), NULL, &jws) != DOOR_OK);
  door__jws_clear(&jws);
  json_decref(tok);
  door__buf_free(&sub);
}

static void test_daccount_refuses_client_secret_post(void) {
  e2e_flow f;
  e2e_resp r;
  json_t *j;
  memset(&f, 0, sizeof f);
  f.profile = "daccount";
  f.client_id = "door-rs";
  f.secret = DA_RS_SECRET;
  f.redirect_uri = DA_REDIRECT;
  f.user = "taro";
  f.auth = "post";
  T_EQ_INT(e2e_authorize(E, &f), 302);
  T_OK(f.code[0]);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token(E, &f, &r), 0);
  T_EQ_INT(r.status, 401);
  j = e2e_json(&r);
  T_EQ_STR(jstr(j, "error"), "invalid_client");
  json_decref(j);
  e2e_resp_free(&r);
}

static void test_xmarket_flow_and_tickets(void) {
  e2e_flow f;
  json_t *tok, *tok2, *j, *t;
  door_jws jws;
  e2e_resp r;
  door_buf url;
  char *iss;
  memset(&f, 0, sizeof f);
  f.profile = "xmarket";
  f.client_id = "door-xm";
  f.secret = XM_SECRET;
  f.redirect_uri = XM_REDIRECT;
  f.user = "hanako";
  f.nonce = "nonce-xm";
  f.state = "st-xm";
  f.pkce = 1;
  f.scope = "openid profile email tickets offline_access";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  iss = e2e_query_param(f.location, "iss");
  T_EQ_STR(iss, e2e_url(E, "xmarket", "issuer"));
  free(iss);
  T_EQ_ERR(e2e_verify(E, "xmarket", jstr(tok, "id_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(door__alg_name(jws.alg), "ES256");
  T_OK(jws.kid != NULL);
  check_claims("xmarket", jws.payload, "door-xm", "hanako", "nonce-xm",
               jstr(tok, "access_token"), DOOR_ALG_ES256);
  T_EQ_STR(jstr(jws.payload, "email"), "hanako@example.test");
  door__jws_clear(&jws);
  userinfo_sub("xmarket", jstr(tok, "access_token"), "userinfo_endpoint",
               "hanako");
  /* Tickets with the tickets scope: only those of the event. */
  door__buf_init(&url, 4096);
  door__buf_puts(&url, e2e_url(E, "xmarket", "tickets_endpoint"));
  door__buf_puts(&url, "?event_id=ev-100");
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL,
                    jstr(tok, "access_token"), NULL, &r),
           0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  T_EQ_INT(json_array_size(json_object_get(j, "tickets")), 1);
  t = json_array_get(json_object_get(j, "tickets"), 0);
  T_EQ_STR(jstr(t, "ticket_id"), "t-1");
  T_EQ_STR(jstr(t, "event_id"), "ev-100");
  T_EQ_STR(jstr(t, "tier"), "vip");
  T_EQ_STR(jstr(t, "status"), "active");
  T_EQ_INT(json_integer_value(json_object_get(t, "valid_from")), 1767225600);
  T_EQ_INT(json_integer_value(json_object_get(t, "valid_until")), 1767312000);
  json_decref(j);
  e2e_resp_free(&r);
  /* Without a token: 401 with WWW-Authenticate. */
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL, NULL, NULL, &r), 0);
  T_EQ_INT(r.status, 401);
  T_OK(e2e_header(&r, "www-authenticate") &&
       strncmp(e2e_header(&r, "www-authenticate"), "Bearer", 6) == 0);
  e2e_resp_free(&r);
  e2e_resp_init(&r);
  T_EQ_INT(
      e2e_http(E, "GET", url.data, NULL, NULL, NULL, "not-a-token", NULL, &r),
      0);
  T_EQ_INT(r.status, 401);
  T_OK(strstr(e2e_header(&r, "www-authenticate"), "invalid_token"));
  e2e_resp_free(&r);
  /* Refresh keeps working and the refreshed token keeps the scope. */
  tok2 = refresh(&f, jstr(tok, "refresh_token"));
  T_EQ_ERR(e2e_verify(E, "xmarket", jstr(tok2, "id_token"), NULL, &jws),
           DOOR_OK);
  door__jws_clear(&jws);
  /* A token without the tickets scope: 403 insufficient_scope. */
  f.scope = "openid";
  json_decref(tok);
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", url.data, NULL, NULL, NULL,
                    jstr(tok, "access_token"), NULL, &r),
           0);
  T_EQ_INT(r.status, 403);
  T_OK(strstr(e2e_header(&r, "www-authenticate"), "insufficient_scope"));
  T_OK(strstr(e2e_header(&r, "www-authenticate"), "scope=\"tickets\""));
  e2e_resp_free(&r);
  door__buf_free(&url);
  json_decref(tok);
  json_decref(tok2);
}

static void test_pkce_enforced(void) {
  static const char *const profiles[] = {"xmarket", "generic"};
  static const char *const clients[] = {"door-xm", "rp-rs"};
  static const char *const secrets[] = {XM_SECRET, GE_RS_SECRET};
  static const char *const redirects[] = {XM_REDIRECT, GE_REDIRECT};
  size_t i;
  for (i = 0; i < 2; i++) {
    e2e_flow f;
    e2e_resp r;
    json_t *j;
    char *err;
    memset(&f, 0, sizeof f);
    f.profile = profiles[i];
    f.client_id = clients[i];
    f.secret = secrets[i];
    f.redirect_uri = redirects[i];
    f.user = i ? "alice" : "hanako";
    f.state = "s";
    /* No code_challenge: an error redirect, no code. */
    T_EQ_INT(e2e_authorize(E, &f), 302);
    T_OK(!f.code[0]);
    err = e2e_query_param(f.location, "error");
    T_EQ_STR(err, "invalid_request");
    free(err);
    /* plain is refused too. */
    f.extra = "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
              "&code_challenge_method=plain";
    T_EQ_INT(e2e_authorize(E, &f), 302);
    T_OK(!f.code[0]);
    f.extra = NULL;
    /* A wrong verifier, then none: invalid_grant. */
    f.pkce = 1;
    f.verifier = "wrong-verifier-wrong-verifier-wrong-verifier-0";
    T_EQ_INT(e2e_authorize(E, &f), 302);
    e2e_resp_init(&r);
    T_EQ_INT(e2e_token(E, &f, &r), 0);
    T_EQ_INT(r.status, 400);
    j = e2e_json(&r);
    T_EQ_STR(jstr(j, "error"), "invalid_grant");
    json_decref(j);
    e2e_resp_free(&r);
    f.pkce = 1;
    T_EQ_INT(e2e_authorize(E, &f), 302);
    f.pkce = 0;
    f.verifier = NULL;
    e2e_resp_init(&r);
    T_EQ_INT(e2e_token(E, &f, &r), 0);
    T_EQ_INT(r.status, 400);
    e2e_resp_free(&r);
  }
}

static void test_generic_flows(void) {
  e2e_flow f;
  json_t *tok, *tok2;
  door_jws jws;
  e2e_resp r;
  memset(&f, 0, sizeof f);
  f.profile = "generic";
  f.client_id = "rp-rs";
  f.secret = GE_RS_SECRET;
  f.redirect_uri = GE_REDIRECT;
  f.user = "alice";
  f.nonce = "n-g";
  f.pkce = 1;
  f.scope = "openid profile";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(door__alg_name(jws.alg), "RS256");
  check_claims("generic", jws.payload, "rp-rs", "alice-sub", "n-g",
               jstr(tok, "access_token"), DOOR_ALG_RS256);
  T_EQ_STR(jstr(jws.payload, "name"), "Alice");
  T_OK(!json_object_get(jws.payload, "email")); /* not in scope */
  T_OK(jstr(jws.payload, "sid") != NULL);
  door__jws_clear(&jws);
  userinfo_sub("generic", jstr(tok, "access_token"), "userinfo_endpoint",
               "alice-sub");
  tok2 = refresh(&f, jstr(tok, "refresh_token"));
  T_EQ_ERR(e2e_verify(E, "generic", jstr(tok2, "id_token"), NULL, &jws),
           DOOR_OK);
  door__jws_clear(&jws);
  /* Refresh tokens rotate: the old one is spent. */
  {
    door_buf form;
    door__buf_init(&form, 4096);
    door__form_append(&form, "grant_type", "refresh_token");
    door__form_append(&form, "refresh_token", jstr(tok, "refresh_token"));
    e2e_resp_init(&r);
    T_EQ_INT(e2e_token_form(E, &f, form.data, &r), 0);
    T_EQ_INT(r.status, 400);
    e2e_resp_free(&r);
    door__buf_free(&form);
  }
  json_decref(tok);
  json_decref(tok2);
  /* ES256 client authenticating with client_secret_post. */
  f.client_id = "rp-es";
  f.secret = GE_ES_SECRET;
  f.auth = "post";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(door__alg_name(jws.alg), "ES256");
  check_claims("generic", jws.payload, "rp-es", "alice-sub", "n-g",
               jstr(tok, "access_token"), DOOR_ALG_ES256);
  door__jws_clear(&jws);
  json_decref(tok);
  /* A public client: PKCE and client_id only. */
  f.client_id = "rp-public";
  f.secret = NULL;
  f.auth = "none";
  f.redirect_uri = "http://127.0.0.1/callback";
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  T_EQ_ERR(e2e_verify(E, "generic", jstr(tok, "id_token"), NULL, &jws),
           DOOR_OK);
  door__jws_clear(&jws);
  json_decref(tok);
}

static void test_code_is_single_use(void) {
  e2e_flow f;
  e2e_resp r;
  json_t *tok, *j;
  memset(&f, 0, sizeof f);
  f.profile = "generic";
  f.client_id = "rp-rs";
  f.secret = GE_RS_SECRET;
  f.redirect_uri = GE_REDIRECT;
  f.user = "alice";
  f.pkce = 1;
  tok = e2e_login(E, &f);
  T_OK(tok != NULL);
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token(E, &f, &r), 0);
  T_EQ_INT(r.status, 400);
  j = e2e_json(&r);
  T_EQ_STR(jstr(j, "error"), "invalid_grant");
  json_decref(j);
  e2e_resp_free(&r);
  /* The replay revoked what the code had issued (RFC 6749 4.1.2). */
  e2e_resp_init(&r);
  T_EQ_INT(e2e_http(E, "GET", e2e_url(E, "generic", "userinfo_endpoint"), NULL,
                    NULL, NULL, jstr(tok, "access_token"), NULL, &r),
           0);
  T_EQ_INT(r.status, 401);
  e2e_resp_free(&r);
  json_decref(tok);
}

static void test_client_credentials_jwt(void) {
  e2e_flow f;
  e2e_resp r;
  json_t *j;
  door_jws jws;
  memset(&f, 0, sizeof f);
  f.profile = "xmarket";
  f.client_id = "door-xm";
  f.secret = XM_SECRET;
  e2e_resp_init(&r);
  T_EQ_INT(
      e2e_token_form(E, &f, "grant_type=client_credentials&scope=openid", &r),
      0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  T_OK(!json_object_get(j, "id_token") && !json_object_get(j, "refresh_token"));
  T_EQ_ERR(e2e_verify(E, "xmarket", jstr(j, "access_token"), NULL, &jws),
           DOOR_OK);
  T_EQ_STR(door__alg_name(jws.alg), "ES256");
  T_EQ_STR(jws.typ, "at+jwt");
  T_EQ_STR(jstr(jws.payload, "sub"), "door-xm");
  T_EQ_STR(jstr(jws.payload, "client_id"), "door-xm");
  door__jws_clear(&jws);
  json_decref(j);
  e2e_resp_free(&r);
  /* d-account has no such grant for this client. */
  f.profile = "daccount";
  f.client_id = "door-rs";
  f.secret = DA_RS_SECRET;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_token_form(E, &f, "grant_type=client_credentials", &r), 0);
  T_EQ_INT(r.status, 400);
  e2e_resp_free(&r);
}

static void test_request_log_records_daccount_params(void) {
  e2e_resp r;
  json_t *arr, *e, *q;
  size_t i, k;
  int authif = 0, idauth = 0;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "GET",
                     "/requests?profile=daccount&endpoint="
                     "authorization",
                     NULL, &r),
           0);
  T_EQ_INT(r.status, 200);
  arr = e2e_json(&r);
  T_OK(json_array_size(arr) >= 1);
  json_array_foreach(arr, i, e) {
    T_EQ_STR(jstr(e, "listener"), "authorization");
    json_array_foreach(json_object_get(e, "query"), k, q) {
      const char *n = json_string_value(json_array_get(q, 0));
      const char *v = json_string_value(json_array_get(q, 1));
      authif |= strcmp(n, "authif") == 0 && strcmp(v, "1") == 0;
      idauth |= strcmp(n, "idauth") == 0;
    }
  }
  T_OK(authif && idauth);
  json_decref(arr);
  e2e_resp_free(&r);
}

static void test_clean_shutdown(void) { T_EQ_INT(e2e_stop(E), 0); }

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_daccount_discovery_is_the_published_one),
      T_CASE(test_xmarket_generic_discovery),
      T_CASE(test_jwks_shapes),
      T_CASE(test_daccount_flow_rs256),
      T_CASE(test_daccount_flow_hs256),
      T_CASE(test_daccount_refuses_client_secret_post),
      T_CASE(test_xmarket_flow_and_tickets),
      T_CASE(test_pkce_enforced),
      T_CASE(test_generic_flows),
      T_CASE(test_code_is_single_use),
      T_CASE(test_client_credentials_jwt),
      T_CASE(test_request_log_records_daccount_params),
      T_CASE(test_clean_shutdown),
  };
  static const char *const extra[] = {"--auto-approve", NULL};
  if (e2e_start(E, argc, argv, extra)) {
    puts("1..1\nnot ok 1 - door-idp started");
    e2e_stop(E);
    return 1;
  }
  return t_run(cases, sizeof cases / sizeof cases[0]);
}
