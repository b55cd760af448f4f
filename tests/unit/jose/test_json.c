/* Strict JSON: duplicates, depth, NUL bytes, UTF-8, getters, dump. */
#include "t.h"

#include "util/json.h"

#include <stdlib.h>

#define S(lit) lit, sizeof(lit) - 1

static void test_parse_ok(void) {
  json_t *j = NULL;
  const char *s = NULL;
  json_int_t i = 0;
  int b = 0;
  door_detail d;
  door_detail_clear(&d);
  T_EQ_ERR(door__json_parse(S("{\"a\":\"x\",\"n\":42,\"t\":true}"), 4, &j, &d),
           DOOR_OK);
  T_EQ_ERR(door__json_get_str(j, "a", &s), DOOR_OK);
  T_EQ_STR(s, "x");
  T_EQ_ERR(door__json_get_int(j, "n", &i), DOOR_OK);
  T_EQ_INT(i, 42);
  T_EQ_ERR(door__json_get_bool(j, "t", &b), DOOR_OK);
  T_EQ_INT(b, 1);
  T_EQ_ERR(door__json_get_str(j, "n", &s), DOOR_EJSON_TYPE);
  T_EQ_ERR(door__json_get_int(j, "a", &i), DOOR_EJSON_TYPE);
  T_EQ_ERR(door__json_get_str(j, "missing", &s), DOOR_ENOTFOUND);
  T_EQ_INT(d.code, DOOR_OK); /* untouched on success */
  json_decref(j);
  /* any top-level value */
  T_EQ_ERR(door__json_parse(S("\"str\""), 4, &j, NULL), DOOR_OK);
  T_OK(json_is_string(j));
  json_decref(j);
}

static void test_duplicates(void) {
  json_t *j = (json_t *)1;
  door_detail d;
  T_EQ_ERR(door__json_parse(S("{\"a\":1,\"a\":2}"), 4, &j, &d),
           DOOR_EJSON_DUPKEY);
  T_OK(j == NULL);
  T_EQ_INT(d.code, DOOR_EJSON_DUPKEY);
  T_EQ_ERR(door__json_parse(S("{\"x\":{\"b\":1,\"b\":1}}"), 4, &j, NULL),
           DOOR_EJSON_DUPKEY);
  /* escaped spelling of the same name is still a duplicate */
  T_EQ_ERR(door__json_parse(S("{\"alg\":1,\"\\u0061lg\":2}"), 4, &j, NULL),
           DOOR_EJSON_DUPKEY);
}

static void test_depth(void) {
  json_t *j = NULL;
  char deep[5000];
  size_t i;
  T_EQ_ERR(door__json_parse(S("[[[1]]]"), 3, &j, NULL), DOOR_OK);
  json_decref(j);
  T_EQ_ERR(door__json_parse(S("[[[[1]]]]"), 3, &j, NULL), DOOR_EJSON_DEPTH);
  /* brackets inside strings do not count, escaped quotes do not end them */
  T_EQ_ERR(door__json_parse(S("{\"a\":\"[[[[\\\"[[[[\"}"), 1, &j, NULL),
           DOOR_OK);
  json_decref(j);
  T_EQ_ERR(door__json_parse(S("{\"a\":{}}"), 1, &j, NULL), DOOR_EJSON_DEPTH);
  /* deeper than jansson's own limit: refused by the pre-scan, quickly */
  for (i = 0; i < 2500; i++) {
    deep[i] = '[';
    deep[i + 2500] = ']';
  }
  T_EQ_ERR(door__json_parse(deep, sizeof deep, 16, &j, NULL), DOOR_EJSON_DEPTH);
  T_EQ_ERR(door__json_check_depth(deep, sizeof deep, 2500), DOOR_OK);
}

static void test_nul_utf8_syntax(void) {
  json_t *j = NULL;
  static const char raw_nul[] = "{\"a\":\"x\0y\"}";
  T_EQ_ERR(door__json_parse(raw_nul, sizeof raw_nul - 1, 4, &j, NULL),
           DOOR_EJSON);
  T_EQ_ERR(door__json_parse(S("{\"a\":\"x\\u0000y\"}"), 4, &j, NULL),
           DOOR_EJSON);
  T_EQ_ERR(door__json_parse(S("{\"a\\u0000\":1}"), 4, &j, NULL), DOOR_EJSON);
  T_EQ_ERR(door__json_parse(S("{\"a\":\"\xc3\x28\"}"), 4, &j, NULL),
           DOOR_EUTF8);
  T_EQ_ERR(door__json_parse(S("{\"a\":1,}"), 4, &j, NULL), DOOR_EJSON);
  T_EQ_ERR(door__json_parse(S("{\"a\":1} x"), 4, &j, NULL), DOOR_EJSON);
  T_EQ_ERR(door__json_parse(S(""), 4, &j, NULL), DOOR_EJSON);
  T_EQ_ERR(door__json_parse(S("{\"a\":1e999999}"), 4, &j, NULL), DOOR_EJSON);
}

static void test_size_cap(void) {
  json_t *j = NULL;
  size_t n = DOOR_JSON_MAX_INPUT + 1;
  char *big = malloc(n);
  T_OK(big != NULL);
  memset(big, ' ', n);
  T_EQ_ERR(door__json_parse(big, n, 4, &j, NULL), DOOR_ETOOBIG);
  free(big);
}

static void test_dump(void) {
  json_t *j = NULL;
  door_buf b;
  door__buf_init(&b, 1024);
  T_EQ_ERR(door__json_parse(S("{ \"b\" : 1 , \"a\" : [ true , null ] }"), 4, &j,
                            NULL),
           DOOR_OK);
  T_EQ_ERR(door__json_dump(j, &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "{\"b\":1,\"a\":[true,null]}");
  door__buf_free(&b);
  door__buf_init(&b, 5);
  T_EQ_ERR(door__json_dump(j, &b), DOOR_ETOOBIG);
  T_EQ_INT(b.len, 0);
  door__buf_free(&b);
  json_decref(j);
}

T_MAIN(T_CASE(test_parse_ok), T_CASE(test_duplicates), T_CASE(test_depth),
       T_CASE(test_nul_utf8_syntax), T_CASE(test_size_cap), T_CASE(test_dump))
