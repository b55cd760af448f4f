/* Token response parser. */
#include "oidc/oidc.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

static door_err parse(const char *body, int oidc) {
  door_token_response t;
  door_err err = door__token_response_parse(body, strlen(body), oidc, &t, NULL);
  door__token_response_clear(&t);
  return err;
}

static void test_good(void) {
  door_token_response t;
  static const char body[] =
      "{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
      "\"id_token\":\"a.b.c\",\"refresh_token\":\"RT\",\"scope\":\"openid\"}";
  T_EQ_ERR(door__token_response_parse(body, strlen(body), 1, &t, NULL),
           DOOR_OK);
  T_EQ_STR(t.access_token, "AT");
  T_EQ_STR(t.id_token, "a.b.c");
  T_EQ_STR(t.refresh_token, "RT");
  T_EQ_STR(t.scope, "openid");
  T_EQ_INT(t.expires_in, 3600);
  door__token_response_clear(&t);
}

static void test_token_type_case(void) {
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"bearer\","
                 "\"id_token\":\"x\"}",
                 1),
           DOOR_OK);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"BEARER\","
                 "\"id_token\":\"x\"}",
                 1),
           DOOR_OK);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"bEaReR\","
                 "\"id_token\":\"x\"}",
                 1),
           DOOR_OK);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"MAC\","
                 "\"id_token\":\"x\"}",
                 1),
           DOOR_ETOKEN_TYPE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer \","
                 "\"id_token\":\"x\"}",
                 1),
           DOOR_ETOKEN_TYPE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"id_token\":\"x\"}", 1),
           DOOR_ETOKEN_TYPE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"DPoP\","
                 "\"id_token\":\"x\"}",
                 1),
           DOOR_ETOKEN_TYPE);
}

static void test_missing_id_token(void) {
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer\"}", 1),
           DOOR_EID_TOKEN_MISSING);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer\","
                 "\"id_token\":\"\"}",
                 1),
           DOOR_EID_TOKEN_MISSING);
  /* Plain OAuth providers need none. */
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer\"}", 0),
           DOOR_OK);
}

static void test_malformed(void) {
  T_EQ_ERR(parse("", 1), DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("[]", 1), DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{", 1), DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{\"token_type\":\"Bearer\",\"id_token\":\"x\"}", 1),
           DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{\"access_token\":1,\"token_type\":\"Bearer\"}", 1),
           DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"access_token\":\"b\","
                 "\"token_type\":\"Bearer\",\"id_token\":\"x\"}",
                 1),
           DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer\","
                 "\"id_token\":\"x\",\"expires_in\":\"3600\"}",
                 1),
           DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer\","
                 "\"id_token\":\"x\",\"expires_in\":-1}",
                 1),
           DOOR_ETOKEN_RESPONSE);
  T_EQ_ERR(parse("{\"access_token\":\"a\",\"token_type\":\"Bearer\","
                 "\"id_token\":[\"x\"]}",
                 1),
           DOOR_ETOKEN_RESPONSE);
}

static void test_oversized(void) {
  door_buf b;
  size_t i;
  door_token_response t;
  door__buf_init(&b, 1 << 20);
  T_EQ_ERR(door__buf_puts(&b, "{\"access_token\":\"a\",\"token_type\":"
                              "\"Bearer\",\"id_token\":\""),
           DOOR_OK);
  for (i = 0; i < DOOR_TOKEN_MAX + 1; i++)
    T_EQ_ERR(door__buf_putc(&b, 'x'), DOOR_OK);
  T_EQ_ERR(door__buf_puts(&b, "\"}"), DOOR_OK);
  T_EQ_ERR(door__token_response_parse(b.data, b.len, 1, &t, NULL),
           DOOR_ETOOBIG);
  door__buf_reset(&b);
  T_EQ_ERR(door__buf_puts(&b, "{\"access_token\":\"a\",\"token_type\":"
                              "\"Bearer\",\"id_token\":\"x\",\"pad\":\""),
           DOOR_OK);
  for (i = 0; i < DOOR_TOKEN_RESPONSE_MAX; i++)
    T_EQ_ERR(door__buf_putc(&b, 'x'), DOOR_OK);
  T_EQ_ERR(door__buf_puts(&b, "\"}"), DOOR_OK);
  T_EQ_ERR(door__token_response_parse(b.data, b.len, 1, &t, NULL),
           DOOR_ETOOBIG);
  door__buf_free(&b);
}

static void test_oauth_error(void) {
  char e[64], desc[128];
  static const char body[] = "{\"error\":\"invalid_grant\",\"error_"
                             "description\":\"bad \\\"code\\\"\"}";
  T_EQ_ERR(door__oauth_error_parse(body, strlen(body), e, sizeof e, desc,
                                   sizeof desc),
           DOOR_OK);
  T_EQ_STR(e, "invalid_grant");
  T_EQ_STR(desc, "bad ?code?");
  T_EQ_ERR(door__oauth_error_parse("nope", 4, e, sizeof e, desc, sizeof desc),
           DOOR_OK);
  T_EQ_STR(e, "");
}

T_MAIN(T_CASE(test_good), T_CASE(test_token_type_case),
       T_CASE(test_missing_id_token), T_CASE(test_malformed),
       T_CASE(test_oversized), T_CASE(test_oauth_error))
