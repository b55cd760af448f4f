/* Error names, messages and detail records. */
#include "t.h"

#include "doorauth/error.h"
#include "util/buf.h"

static void test_names_and_messages(void) {
  T_EQ_STR(door_err_name(DOOR_OK), "OK");
  T_EQ_STR(door_err_name(DOOR_ESIG_INVALID), "SIG_INVALID");
  T_EQ_STR(door_strerror(DOOR_EALG_NONE), "alg none is never accepted");
  T_EQ_STR(door_err_name((door_err)9999), "UNKNOWN");
  T_EQ_STR(door_strerror((door_err)-1), "unknown error");
}

static void test_every_code_has_a_distinct_name(void) {
  int i, j;
  for (i = 0; i < DOOR_ERR_COUNT_; i++)
    for (j = i + 1; j < DOOR_ERR_COUNT_; j++)
      T_OK(strcmp(door_err_name((door_err)i), door_err_name((door_err)j)) != 0);
}

static void test_detail_format(void) {
  door_detail d;
  char out[512];
  door_detail_clear(&d);
  T_EQ_ERR(door_detail_set(&d, DOOR_EJWK_WEAK, "jwks.keys[0]",
                           "RSA key of 1024 bits", "publish 2048 bits"),
           DOOR_EJWK_WEAK);
  door_detail_format(&d, out, sizeof out);
  T_EQ_STR(
      out,
      "JWK_WEAK: RSA key of 1024 bits (at jwks.keys[0]); publish 2048 bits");
  T_EQ_ERR(door_detail_set(NULL, DOOR_EIO, "x", "y", "z"), DOOR_EIO);
  door_detail_format(&d, out, 8);
  T_EQ_STR(out, "JWK_WEA");
}

static void test_buf_caps_and_numbers(void) {
  door_buf b;
  door__buf_init(&b, 8);
  T_EQ_ERR(door__buf_puts(&b, "abcd"), DOOR_OK);
  T_EQ_ERR(door__buf_put_i64(&b, -123), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "abcd-123");
  T_EQ_ERR(door__buf_putc(&b, 'x'), DOOR_ETOOBIG);
  T_EQ_INT(b.len, 8);
  door__buf_reset(&b);
  T_EQ_ERR(door__buf_put_u64(&b, 18446744073709551615ull), DOOR_ETOOBIG);
  T_EQ_INT(b.len, 0);
  door__buf_free(&b);
  door__buf_init(&b, 64);
  T_EQ_ERR(door__buf_put_u64(&b, 18446744073709551615ull), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "18446744073709551615");
  door__buf_free(&b);
}

T_MAIN(T_CASE(test_names_and_messages),
       T_CASE(test_every_code_has_a_distinct_name), T_CASE(test_detail_format),
       T_CASE(test_buf_caps_and_numbers))
