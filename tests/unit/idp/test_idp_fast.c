/* door-idp's fast paths give the same bytes as the slow ones: the flat JSON
 * writer against json_dumpb, the jti random pool, the discovery document
 * built once at publish against a freshly built one. */
#include "idp/http.h"
#include "idp/idp.h"
#include "idp/store.h"
#include "t.h"

#include <string.h>

/* door__idp_json_dump(j) must equal json_dumpb(j, JSON_COMPACT). */
static void same_as_jansson(json_t *j) {
  door_buf b;
  char want[4096];
  size_t n =
      json_dumpb(j, want, sizeof want - 1, JSON_COMPACT | JSON_ENCODE_ANY);
  T_OK(n > 0 && n < sizeof want);
  want[n] = '\0';
  door__buf_init(&b, 65536);
  T_EQ_ERR(door__idp_json_dump(j, &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), want);
  T_EQ_INT(b.len, n);
  door__buf_free(&b);
  json_decref(j);
}

static void test_flat_dump_matches_jansson(void) {
  json_t *o;
  /* A token answer and access-token claims as door-idp builds them. */
  same_as_jansson(json_pack("{s:s, s:s, s:I, s:s}", "access_token",
                            "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln-_",
                            "token_type", "Bearer", "expires_in",
                            (json_int_t)600, "scope", "api"));
  same_as_jansson(json_pack(
      "{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", "http://127.0.0.1:4321",
      "sub", "bench-client", "aud", "http://127.0.0.1:4321/", "client_id",
      "bench-client", "iat", (json_int_t)1700000000, "exp",
      (json_int_t)1700000600, "jti", "AAECAwQFBgcICQoLDA0ODw"));
  /* Escapes, control bytes, DEL, UTF-8, slashes: jansson's rules. */
  same_as_jansson(json_pack("{s:s, s:s, s:s, s:s, s:s}", "q", "a\"b", "bs",
                            "a\\b", "ctl", "a\nb\x01", "del", "a\x7f", "utf8",
                            "\xe3\x81\x82/x"));
  same_as_jansson(json_pack("{s:s}", "k\"ey", "v"));
  /* Integers at the edges, booleans, null, empty strings and objects. */
  same_as_jansson(json_pack("{s:I, s:I, s:I, s:I, s:b, s:b, s:n, s:s}", "min",
                            (json_int_t)INT64_MIN, "max", (json_int_t)INT64_MAX,
                            "zero", (json_int_t)0, "neg", (json_int_t)-42, "t",
                            1, "f", 0, "n", "e", ""));
  same_as_jansson(json_object());
  /* Not flat: nested values, reals, arrays, non-objects go to jansson. */
  same_as_jansson(
      json_pack("{s:s, s:{s:i}, s:[i,i]}", "a", "b", "o", "x", 1, "arr", 1, 2));
  same_as_jansson(json_pack("{s:f}", "r", 0.5));
  same_as_jansson(json_string("just a string"));
  same_as_jansson(json_pack("[s,i]", "x", 3));
  /* Member order is insertion order, after deletes and re-sets too. */
  o = json_pack("{s:s, s:s, s:s}", "z", "1", "a", "2", "m", "3");
  json_object_del(o, "a");
  json_object_set_new(o, "a", json_string("4"));
  json_object_set_new(o, "z", json_integer(5));
  same_as_jansson(o);
}

static void test_flat_dump_appends_and_caps(void) {
  door_buf b;
  json_t *o = json_pack("{s:s}", "a", "0123456789");
  door__buf_init(&b, 64);
  T_EQ_ERR(door__buf_puts(&b, "x="), DOOR_OK);
  T_EQ_ERR(door__idp_json_dump(o, &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "x={\"a\":\"0123456789\"}");
  door__buf_free(&b);
  /* Too big for the cap: DOOR_ETOOBIG, the buffer as it was. */
  door__buf_init(&b, 12);
  T_EQ_ERR(door__buf_puts(&b, "x="), DOOR_OK);
  T_EQ_ERR(door__idp_json_dump(o, &b), DOOR_ETOOBIG);
  T_EQ_STR(door__buf_str(&b), "x=");
  T_EQ_INT(b.len, 2);
  door__buf_free(&b);
  json_decref(o);
}

static void test_jti_pool(void) {
  door_idp_rng r;
  char a[32], b[32];
  size_t i;
  T_EQ_ERR(door__idp_rng_init(&r), DOOR_OK);
  T_EQ_ERR(door__idp_rng_token(&r, 16, a, sizeof a), DOOR_OK);
  T_EQ_INT(strlen(a), 22); /* 16 bytes as unpadded base64url */
  T_EQ_INT(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_"),
           22);
  /* Across several refills (4096 / 16 = 256 per fill) nothing repeats back
   * to back, and the bytes handed out are wiped from the pool. */
  for (i = 0; i < 1000; i++) {
    T_EQ_ERR(door__idp_rng_token(&r, 16, b, sizeof b), DOOR_OK);
    T_OK(strcmp(a, b) != 0);
    memcpy(a, b, sizeof a);
    if (r.pos >= 16) {
      static const unsigned char zero[16];
      T_OK(memcmp(r.buf + r.pos - 16, zero, 16) == 0);
    }
  }
  T_EQ_ERR(door__idp_rng_token(&r, 65, a, sizeof a), DOOR_EINVAL);
  T_EQ_ERR(door__idp_rng_token(&r, 32, a, 8), DOOR_ETOOBIG);
  door__idp_rng_free(&r);
}

T_MAIN(T_CASE(test_flat_dump_matches_jansson),
       T_CASE(test_flat_dump_appends_and_caps), T_CASE(test_jti_pool))
