/* Discovery documents: d-account's real one, issuer and https rules;
 * userinfo responses. */
#include "oidc/oidc.h"
#include "oidc/t_paths.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *name, size_t *len) {
  char path[512];
  FILE *f;
  char *buf;
  size_t n = strlen(DOOR_TEST_DATA);
  T_OK(n + strlen(name) + 2 < sizeof path);
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

static void test_daccount_document(void) {
  size_t len;
  char *doc = slurp("daccount-openid-configuration.json", &len);
  door_metadata m;
  door_detail d;
  T_EQ_ERR(door__discovery_parse(doc, len, "https://conf.uw.docomo.ne.jp/", 0,
                                 &m, &d),
           DOOR_OK);
  T_EQ_STR(m.issuer, "https://conf.uw.docomo.ne.jp/");
  T_EQ_STR(m.authorization_endpoint,
           "https://id.smt.docomo.ne.jp/cgi8/oidc/authorize");
  T_EQ_STR(m.token_endpoint, "https://conf.uw.docomo.ne.jp/token");
  T_EQ_STR(m.userinfo_endpoint, "https://conf.uw.docomo.ne.jp/userinfo");
  T_EQ_STR(m.jwks_uri, "https://fr-end.oidc.if.cilite.docomo.ne.jp/oft/"
                       "external/ofrnt/v1.0/jwksget");
  T_EQ_INT(m.id_token_algs, DOOR_ALG_HS256 | DOOR_ALG_RS256);
  T_EQ_INT(m.iss_parameter_supported, 0);
  T_EQ_INT(m.pkce_s256_supported, 0);
  door__metadata_clear(&m);
  /* The issuer is compared exactly: the trailing slash matters. */
  T_EQ_ERR(door__discovery_parse(doc, len, "https://conf.uw.docomo.ne.jp", 0,
                                 &m, &d),
           DOOR_EDISCOVERY_ISSUER);
  free(doc);
}

static door_err parse(const char *doc, int insecure_ok) {
  door_metadata m;
  door_err err = door__discovery_parse(doc, strlen(doc), "https://op.example",
                                       insecure_ok, &m, NULL);
  door__metadata_clear(&m);
  return err;
}

static void test_rules(void) {
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"https://op.example/a\","
                 "\"authorization_response_iss_parameter_supported\":true,"
                 "\"code_challenge_methods_supported\":[\"plain\",\"S256\"]}",
                 0),
           DOOR_OK);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"http://op.example/a\"}",
                 0),
           DOOR_EDISCOVERY_INSECURE);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"http://op.example/a\"}",
                 1),
           DOOR_EDISCOVERY_INSECURE);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"http://127.0.0.1:9/a\"}",
                 0),
           DOOR_EDISCOVERY_INSECURE);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"http://127.0.0.1:9/a\"}",
                 1),
           DOOR_OK);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"https://op.example/a\","
                 "\"jwks_uri\":\"http://op.example/k\"}",
                 0),
           DOOR_EDISCOVERY_INSECURE);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\"}", 0), DOOR_EDISCOVERY);
  T_EQ_ERR(parse("{\"issuer\":\"https://evil.example\","
                 "\"authorization_endpoint\":\"https://op.example/a\"}",
                 0),
           DOOR_EDISCOVERY_ISSUER);
  T_EQ_ERR(parse("{\"authorization_endpoint\":\"https://op.example/a\"}", 0),
           DOOR_EDISCOVERY_ISSUER);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"https://op.example/a\"}",
                 0),
           DOOR_EDISCOVERY);
  T_EQ_ERR(parse("{\"issuer\":\"https://op.example\","
                 "\"authorization_endpoint\":\"https://op.example/a\","
                 "\"authorization_response_iss_parameter_supported\":\"yes\"}",
                 0),
           DOOR_EDISCOVERY);
  T_EQ_ERR(parse("[]", 0), DOOR_EDISCOVERY);
}

static void test_flags(void) {
  door_metadata m;
  static const char doc[] =
      "{\"issuer\":\"https://op.example\","
      "\"authorization_endpoint\":\"https://op.example/a\","
      "\"authorization_response_iss_parameter_supported\":true,"
      "\"id_token_signing_alg_values_supported\":[\"ES256\",\"none\"],"
      "\"code_challenge_methods_supported\":[\"S256\"]}";
  T_EQ_ERR(door__discovery_parse(doc, strlen(doc), "https://op.example", 0, &m,
                                 NULL),
           DOOR_OK);
  T_EQ_INT(m.iss_parameter_supported, 1);
  T_EQ_INT(m.pkce_s256_supported, 1);
  T_EQ_INT(m.id_token_algs, DOOR_ALG_ES256);
  door__metadata_clear(&m);
}

static void test_userinfo(void) {
  json_t *o = NULL;
  static const char ok[] = "{\"sub\":\"u1\",\"name\":\"A\"}";
  static const char other[] = "{\"sub\":\"u2\"}";
  T_EQ_ERR(door__userinfo_parse(ok, strlen(ok), "u1", &o, NULL), DOOR_OK);
  T_EQ_STR(json_string_value(json_object_get(o, "name")), "A");
  json_decref(o);
  T_EQ_ERR(door__userinfo_parse(other, strlen(other), "u1", &o, NULL),
           DOOR_EUSERINFO_SUB);
  T_EQ_ERR(door__userinfo_parse("{}", 2, "u1", &o, NULL), DOOR_EUSERINFO);
  T_EQ_ERR(door__userinfo_parse("a.b.c", 5, "u1", &o, NULL), DOOR_EUSERINFO);
  T_EQ_ERR(door__userinfo_parse("{\"sub\":1}", 9, "u1", &o, NULL),
           DOOR_EUSERINFO);
}

T_MAIN(T_CASE(test_daccount_document), T_CASE(test_rules), T_CASE(test_flags),
       T_CASE(test_userinfo))
