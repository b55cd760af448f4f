/* return_to allow-list: every classic open-redirect trick is refused. */
#include "oidc/oidc.h"
#include "t.h"

static const char *const k_allow[] = {
    "https://door.example",
    "https://shop.example/door/",
    "https://app.example:8443/rooms",
};
static const char k_own[] = "https://broker.example";

static door_err check(const char *t) {
  return door__return_to_check(t, k_own, k_allow,
                               sizeof k_allow / sizeof k_allow[0], NULL);
}

static void test_refused(void) {
  static const char *const bad[] = {
      "//evil.example",
      "///evil.example",
      "////evil.example/x",
      "/\\evil.example",
      "\\\\evil.example",
      "\\/evil.example",
      "%2f%5cevil.example",
      "%2F%2Fevil.example",
      "/%2f%2fevil.example",
      "/%5cevil.example",
      "/%2e%2e/x",
      "/a/../b",
      "/./b",
      "http:evil.example",
      "https:evil.example",
      "https:/evil.example",
      "http://evil.example/",
      "https://door.example@evil.example/",
      "https://user:pw@door.example/",
      "https://door.example.evil/",
      "https://door.exampleevil/",
      "https://evil.example/https://door.example",
      "https://shop.example/doorevil",
      "https://shop.example/other",
      "http://door.example/",
      "https://door.example:444/",
      "https://app.example:8443/roomsx",
      "https://app.example/rooms",
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "data:text/html,<script>",
      "vbscript:x",
      "/ok\r\nSet-Cookie: x=y",
      "/ok\n",
      "/ok\r",
      "/ok\tx",
      "/ok x",
      " /ok",
      "/ok%00",
      "/ok%0d%0aLocation:%20x",
      "rooms/1",
      "?x=1",
      "#frag",
      "",
      "https://door.example/\x7f",
      "https://d\xc3\xb6or.example/",
      "https://door%2eexample/",
      "ftp://door.example/",
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (check(bad[i]) != DOOR_ERETURN_TO_REFUSED)
      T_FAIL_("accepted: \"%s\"", bad[i]);
  }
  T_EQ_ERR(door__return_to_check(NULL, k_own, NULL, 0, NULL),
           DOOR_ERETURN_TO_REFUSED);
}

static void test_nul_in_the_middle(void) {
  /* A C string cannot hold a NUL: what follows it is never seen, and the
   * decoder refuses %00 before it gets here.  What is seen must still pass
   * the rules on its own. */
  static const char s[] = "//evil\0/ok";
  T_EQ_ERR(check(s), DOOR_ERETURN_TO_REFUSED);
}

static void test_too_long(void) {
  char buf[DOOR_RETURN_TO_MAX + 2];
  size_t i;
  buf[0] = '/';
  for (i = 1; i < sizeof buf - 1; i++)
    buf[i] = 'a';
  buf[sizeof buf - 1] = '\0';
  T_EQ_ERR(check(buf), DOOR_ERETURN_TO_REFUSED);
  buf[DOOR_RETURN_TO_MAX] = '\0';
  T_EQ_ERR(check(buf), DOOR_OK);
}

static void test_accepted(void) {
  static const char *const good[] = {
      "/",
      "/rooms/42",
      "/rooms/42?tab=chat&x=%20y",
      "/rooms/42#seat",
      "/a/b.c/d..e",
      "/p?next=//evil",
      "https://door.example",
      "https://door.example/",
      "https://door.example/rooms?id=1",
      "HTTPS://DOOR.EXAMPLE/x",
      "https://door.example:443/x",
      "https://shop.example/door/",
      "https://shop.example/door/item/1",
      "https://app.example:8443/rooms",
      "https://app.example:8443/rooms/9",
      "https://broker.example/after",
  };
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    door_detail d;
    door_err err = door__return_to_check(
        good[i], k_own, k_allow, sizeof k_allow / sizeof k_allow[0], &d);
    if (err != DOOR_OK)
      T_FAIL_("refused: \"%s\": %s", good[i], d.what);
  }
}

static void test_no_allow_list(void) {
  T_EQ_ERR(door__return_to_check("/x", NULL, NULL, 0, NULL), DOOR_OK);
  T_EQ_ERR(door__return_to_check("https://door.example/", NULL, NULL, 0, NULL),
           DOOR_ERETURN_TO_REFUSED);
}

T_MAIN(T_CASE(test_refused), T_CASE(test_nul_in_the_middle),
       T_CASE(test_too_long), T_CASE(test_accepted), T_CASE(test_no_allow_list))
