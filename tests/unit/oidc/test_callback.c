/* Callback query parser and Cookie header lookup. */
#include "oidc/oidc.h"
#include "t.h"

#include <string.h>

#define ST "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static door_err parse(const char *q) {
  door_callback cb;
  door_err err = door__callback_parse(q, &cb, NULL);
  door__callback_clear(&cb);
  return err;
}

static void test_good(void) {
  door_callback cb;
  T_EQ_ERR(door__callback_parse("code=abc%2Bd&state=" ST
                                "&iss=https%3A%2F%2Fop.example%2F",
                                &cb, NULL),
           DOOR_OK);
  T_EQ_STR(cb.code, "abc+d");
  T_EQ_STR(cb.state, ST);
  T_EQ_STR(cb.iss, "https://op.example/");
  T_OK(cb.error == NULL);
  door__callback_clear(&cb);
  T_EQ_ERR(door__callback_parse("state=" ST "&error=access_denied"
                                "&error_description=User+said+no",
                                &cb, NULL),
           DOOR_OK);
  T_EQ_STR(cb.error, "access_denied");
  T_EQ_STR(cb.error_description, "User said no");
  T_OK(cb.code == NULL);
  door__callback_clear(&cb);
}

static void test_errors(void) {
  T_EQ_ERR(parse("code=a&state=" ST "&state=" ST), DOOR_ELOGIN_DUP_PARAM);
  T_EQ_ERR(parse("code=a&code=b&state=" ST), DOOR_ELOGIN_DUP_PARAM);
  T_EQ_ERR(parse("code=a&state=" ST "&iss=x&iss=y"), DOOR_ELOGIN_DUP_PARAM);
  T_EQ_ERR(parse("code=a&state=" ST "&foo=1&foo=2"), DOOR_ELOGIN_DUP_PARAM);
  T_EQ_ERR(parse("code=a"), DOOR_ELOGIN_STATE_MISSING);
  T_EQ_ERR(parse("code=a&state="), DOOR_ELOGIN_STATE_MISSING);
  T_EQ_ERR(parse(""), DOOR_ELOGIN_STATE_MISSING);
  T_EQ_ERR(parse(NULL), DOOR_ELOGIN_STATE_MISSING);
  T_EQ_ERR(parse("code=a&state=short"), DOOR_ELOGIN_CALLBACK);
  T_EQ_ERR(parse("code=a&state=" ST "A"), DOOR_ELOGIN_CALLBACK);
  T_EQ_ERR(parse("code=a&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3B"),
           DOOR_ELOGIN_CALLBACK);
  T_EQ_ERR(parse("code=a&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;"),
           DOOR_ELOGIN_CALLBACK);
  T_EQ_ERR(parse("state=" ST), DOOR_ELOGIN_CODE_MISSING);
  T_EQ_ERR(parse("state=" ST "&code="), DOOR_ELOGIN_CODE_MISSING);
  T_EQ_ERR(parse("code=%zz&state=" ST), DOOR_ELOGIN_CALLBACK);
  T_EQ_ERR(parse("code=%00&state=" ST), DOOR_ELOGIN_CALLBACK);
}

static void test_caps(void) {
  static char q[DOOR_CALLBACK_MAX_QUERY + 64];
  door_buf b;
  int i;
  memset(q, 'a', sizeof q - 1);
  q[sizeof q - 1] = '\0';
  memcpy(q, "code=", 5);
  T_EQ_ERR(parse(q), DOOR_ETOOBIG);
  door__buf_init(&b, 1 << 16);
  T_EQ_ERR(door__buf_puts(&b, "state=" ST "&code=x"), DOOR_OK);
  for (i = 0; i < DOOR_CALLBACK_MAX_PAIRS; i++) {
    char name[8] = "&p";
    name[2] = (char)('a' + i % 26);
    name[3] = (char)('a' + i / 26);
    name[4] = '=';
    name[5] = '\0';
    T_EQ_ERR(door__buf_puts(&b, name), DOOR_OK);
  }
  T_EQ_ERR(parse(b.data), DOOR_ETOOBIG);
  door__buf_free(&b);
}

static void test_cookie_find(void) {
  const char *v;
  size_t n;
  T_EQ_ERR(door__cookie_find("a=1; door-login-X=abc; b=2", "door-login-X", &v,
                             &n, NULL),
           DOOR_OK);
  T_EQ_INT(n, 3);
  T_OK(memcmp(v, "abc", 3) == 0);
  T_EQ_ERR(
      door__cookie_find("door-login-X=\"q\"", "door-login-X", &v, &n, NULL),
      DOOR_OK);
  T_EQ_INT(n, 1);
  T_EQ_ERR(door__cookie_find("xdoor-login-X=1; door-login-XY=2", "door-login-X",
                             &v, &n, NULL),
           DOOR_ELOGIN_NO_PENDING);
  T_EQ_ERR(door__cookie_find(NULL, "door-login-X", &v, &n, NULL),
           DOOR_ELOGIN_NO_PENDING);
  T_EQ_ERR(door__cookie_find("", "door-login-X", &v, &n, NULL),
           DOOR_ELOGIN_NO_PENDING);
  T_EQ_ERR(door__cookie_find("door-login-X=1;door-login-X=2", "door-login-X",
                             &v, &n, NULL),
           DOOR_ELOGIN_SEAL);
}

T_MAIN(T_CASE(test_good), T_CASE(test_errors), T_CASE(test_caps),
       T_CASE(test_cookie_find))
