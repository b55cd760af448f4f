/* URL, query and form codecs. */
#include "t.h"

#include "util/url.h"

#include <stdlib.h>
#include <string.h>

static door_err decode(const char *in, int plus, char *out, size_t cap) {
  door_buf b;
  door_err err;
  door__buf_init(&b, 1024);
  err = door__url_decode(&b, in, strlen(in), plus);
  out[0] = '\0';
  if (!err && b.len < cap)
    memcpy(out, door__buf_str(&b), b.len + 1);
  door__buf_free(&b);
  return err;
}

static void test_encode(void) {
  door_buf b;
  door__buf_init(&b, 256);
  T_EQ_ERR(door__url_encode(&b, "aZ09-._~", 8), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "aZ09-._~");
  door__buf_reset(&b);
  T_EQ_ERR(door__url_encode(&b, "a b+c&d=e/f?#%", 14), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "a%20b%2Bc%26d%3De%2Ff%3F%23%25");
  door__buf_reset(&b);
  T_EQ_ERR(door__url_encode(&b, "\xe3\x81\x82\xff", 4), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "%E3%81%82%FF");
  door__buf_reset(&b);
  T_EQ_ERR(door__url_encode(&b, "x\0y", 3), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "x%00y");
  door__buf_free(&b);
  /* The cap counts the encoded size exactly. */
  door__buf_init(&b, 6);
  T_EQ_ERR(door__url_encode(&b, "ab c", 4), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "ab%20c");
  T_EQ_ERR(door__url_encode(&b, "d", 1), DOOR_ETOOBIG);
  T_EQ_STR(door__buf_str(&b), "ab%20c");
  door__buf_free(&b);
}

static void test_decode(void) {
  char out[256];
  T_EQ_ERR(decode("a%20b+c", 1, out, sizeof out), DOOR_OK);
  T_EQ_STR(out, "a b c");
  T_EQ_ERR(decode("a%20b+c", 0, out, sizeof out), DOOR_OK);
  T_EQ_STR(out, "a b+c");
  T_EQ_ERR(decode("%e3%81%82%E3%81%82", 1, out, sizeof out), DOOR_OK);
  T_EQ_STR(out, "\xe3\x81\x82\xe3\x81\x82");
  T_EQ_ERR(decode("\xe3\x81\x82", 1, out, sizeof out), DOOR_OK);
  T_EQ_STR(out, "\xe3\x81\x82");
  T_EQ_ERR(decode("%2B%25", 1, out, sizeof out), DOOR_OK);
  T_EQ_STR(out, "+%");
  T_EQ_ERR(decode("", 1, out, sizeof out), DOOR_OK);
  T_EQ_STR(out, "");
  T_EQ_ERR(decode("%zz", 1, out, sizeof out), DOOR_EENCODING);
  T_EQ_ERR(decode("%0", 1, out, sizeof out), DOOR_EENCODING);
  T_EQ_ERR(decode("%", 1, out, sizeof out), DOOR_EENCODING);
  T_EQ_ERR(decode("ab%4", 1, out, sizeof out), DOOR_EENCODING);
  T_EQ_ERR(decode("%g1", 1, out, sizeof out), DOOR_EENCODING);
  T_EQ_ERR(decode("%00", 1, out, sizeof out), DOOR_EENCODING);
  T_EQ_ERR(decode("a%00b", 0, out, sizeof out), DOOR_EENCODING);
}

static void test_decode_leaves_buffer_on_error(void) {
  door_buf b;
  door__buf_init(&b, 64);
  T_EQ_ERR(door__buf_puts(&b, "keep"), DOOR_OK);
  T_EQ_ERR(door__url_decode(&b, "ab%zz", 5, 1), DOOR_EENCODING);
  T_EQ_STR(door__buf_str(&b), "keep");
  T_EQ_INT(b.len, 4);
  /* A raw NUL byte is refused as well. */
  T_EQ_ERR(door__url_decode(&b, "a\0b", 3, 1), DOOR_EENCODING);
  T_EQ_STR(door__buf_str(&b), "keep");
  door__buf_free(&b);
}

static void test_kvlist(void) {
  door_kvlist l;
  int dup = 7;
  door__kvlist_init(&l);
  T_EQ_ERR(door__kvlist_add(&l, "a", "1"), DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&l, "b", NULL), DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&l, "a", "2"), DOOR_OK);
  T_EQ_ERR(door__kvlist_add(&l, NULL, "x"), DOOR_EINVAL);
  T_EQ_INT(l.n, 3);
  T_OK(door__kvlist_get(&l, "a", &dup) == NULL);
  T_EQ_INT(dup, 1);
  T_EQ_STR(door__kvlist_get(&l, "b", &dup), "");
  T_EQ_INT(dup, 0);
  T_OK(door__kvlist_get(&l, "c", &dup) == NULL);
  T_EQ_INT(dup, 0);
  T_OK(door__kvlist_get(&l, "a", NULL) == NULL);
  /* A value replaced: longer, then empty; the name and the other pairs
   * stay (ASan checks the one-block ownership). */
  T_EQ_ERR(door__kvlist_set_value(&l, 1, "a much longer value than before"),
           DOOR_OK);
  T_EQ_STR(l.items[1].name, "b");
  T_EQ_STR(door__kvlist_get(&l, "b", NULL), "a much longer value than before");
  T_EQ_ERR(door__kvlist_set_value(&l, 1, ""), DOOR_OK);
  T_EQ_STR(door__kvlist_get(&l, "b", NULL), "");
  T_EQ_ERR(door__kvlist_set_value(&l, 3, "x"), DOOR_EINVAL);
  T_EQ_ERR(door__kvlist_set_value(&l, 0, NULL), DOOR_EINVAL);
  T_EQ_STR(l.items[0].value, "1");
  T_EQ_STR(l.items[2].value, "2");
  /* Counted strings: copied and terminated; a NUL inside is refused. */
  T_EQ_ERR(door__kvlist_addn(&l, "Host: x", 4, "example.test:443", 12),
           DOOR_OK);
  T_EQ_STR(l.items[3].name, "Host");
  T_EQ_STR(l.items[3].value, "example.test");
  T_EQ_ERR(door__kvlist_addn(&l, "a\0b", 3, "v", 1), DOOR_EINVAL);
  T_EQ_ERR(door__kvlist_addn(&l, "n", 1, "v\0w", 3), DOOR_EINVAL);
  T_EQ_ERR(door__kvlist_addn(&l, "n", 1, NULL, 0), DOOR_OK);
  T_EQ_STR(l.items[4].value, "");
  T_EQ_INT(l.n, 5);
  door__kvlist_free(&l);
  T_EQ_INT(l.n, 0);
  T_OK(l.items == NULL);
}

static void test_form_parse(void) {
  door_kvlist l;
  const char *form = "a=1&&b=x+y%21&c&=v&d=%E3%81%82&e=";
  door__kvlist_init(&l);
  T_EQ_ERR(door__form_parse(form, strlen(form), 100, 100, &l), DOOR_OK);
  T_EQ_INT(l.n, 6);
  T_EQ_STR(l.items[0].name, "a");
  T_EQ_STR(l.items[0].value, "1");
  T_EQ_STR(l.items[1].name, "b");
  T_EQ_STR(l.items[1].value, "x y!");
  T_EQ_STR(l.items[2].name, "c");
  T_EQ_STR(l.items[2].value, "");
  T_EQ_STR(l.items[3].name, "");
  T_EQ_STR(l.items[3].value, "v");
  T_EQ_STR(l.items[4].value, "\xe3\x81\x82");
  T_EQ_STR(l.items[5].name, "e");
  T_EQ_STR(l.items[5].value, "");
  door__kvlist_free(&l);
  /* "a=b=c": the value runs to the next '&'. */
  T_EQ_ERR(door__form_parse("a=b=c", 5, 10, 10, &l), DOOR_OK);
  T_EQ_STR(door__kvlist_get(&l, "a", NULL), "b=c");
  door__kvlist_free(&l);
  /* Only separators: nothing. */
  T_EQ_ERR(door__form_parse("&&&", 3, 10, 10, &l), DOOR_OK);
  T_EQ_INT(l.n, 0);
  T_EQ_ERR(door__form_parse("", 0, 10, 10, &l), DOOR_OK);
  T_EQ_INT(l.n, 0);
  /* Length is honoured: no reading past it. */
  T_EQ_ERR(door__form_parse("a=1&b=2", 3, 10, 10, &l), DOOR_OK);
  T_EQ_INT(l.n, 1);
  T_EQ_STR(l.items[0].value, "1");
  door__kvlist_free(&l);
}

static void test_form_parse_errors_roll_back(void) {
  door_kvlist l;
  door__kvlist_init(&l);
  T_EQ_ERR(door__kvlist_add(&l, "pre", "x"), DOOR_OK);
  T_EQ_ERR(door__form_parse("a=1&b=%zz", 9, 10, 10, &l), DOOR_EENCODING);
  T_EQ_INT(l.n, 1);
  T_EQ_ERR(door__form_parse("a=1&b=%00", 9, 10, 10, &l), DOOR_EENCODING);
  T_EQ_ERR(door__form_parse("a%0=1", 5, 10, 10, &l), DOOR_EENCODING);
  /* Caps on decoded lengths: %41 is one byte. */
  T_EQ_ERR(door__form_parse("a=%41%41%41", 11, 10, 3, &l), DOOR_OK);
  T_EQ_STR(l.items[1].value, "AAA");
  T_EQ_ERR(door__form_parse("a=AAAA", 6, 10, 3, &l), DOOR_ETOOBIG);
  T_EQ_ERR(door__form_parse("AAAA=a", 6, 10, 3, &l), DOOR_ETOOBIG);
  T_EQ_INT(l.n, 2);
  door__kvlist_free(&l);
}

static void test_form_pair_cap(void) {
  door_buf b;
  door_kvlist l;
  size_t i;
  door__buf_init(&b, 1 << 20);
  door__kvlist_init(&l);
  for (i = 0; i < 10000; i++)
    T_EQ_ERR(door__form_append(&b, "k", "v"), DOOR_OK);
  T_EQ_ERR(door__form_parse(b.data, b.len, 10000, 16, &l), DOOR_OK);
  T_EQ_INT(l.n, 10000);
  door__kvlist_free(&l);
  T_EQ_ERR(door__form_append(&b, "k", "v"), DOOR_OK);
  T_EQ_ERR(door__form_parse(b.data, b.len, 10000, 16, &l), DOOR_ETOOBIG);
  T_EQ_INT(l.n, 0);
  /* Empty pairs do not count. */
  door__buf_reset(&b);
  for (i = 0; i < 20; i++)
    T_EQ_ERR(door__buf_puts(&b, "&&"), DOOR_OK);
  T_EQ_ERR(door__buf_puts(&b, "a=1"), DOOR_OK);
  T_EQ_ERR(door__form_parse(b.data, b.len, 1, 16, &l), DOOR_OK);
  T_EQ_INT(l.n, 1);
  door__kvlist_free(&l);
  door__buf_free(&b);
}

static void test_form_append_round_trip(void) {
  door_buf b;
  door_kvlist l;
  door__buf_init(&b, 1024);
  door__kvlist_init(&l);
  T_EQ_ERR(door__form_append(&b, "redirect_uri", "https://rp/cb?x=1&y=2"),
           DOOR_OK);
  T_EQ_ERR(door__form_append(&b, "scope", "openid profile"), DOOR_OK);
  T_EQ_ERR(door__form_append(&b, "e", NULL), DOOR_OK);
  T_EQ_ERR(door__form_append(&b, NULL, "x"), DOOR_EINVAL);
  T_EQ_STR(door__buf_str(&b), "redirect_uri=https%3A%2F%2Frp%2Fcb%3Fx%3D1%26y"
                              "%3D2&scope=openid%20profile&e=");
  T_EQ_ERR(door__form_parse(b.data, b.len, 10, 100, &l), DOOR_OK);
  T_EQ_STR(door__kvlist_get(&l, "redirect_uri", NULL), "https://rp/cb?x=1&y=2");
  T_EQ_STR(door__kvlist_get(&l, "scope", NULL), "openid profile");
  door__kvlist_free(&l);
  door__buf_free(&b);
  /* A failed append leaves the buffer as it was. */
  door__buf_init(&b, 8);
  T_EQ_ERR(door__form_append(&b, "a", "1"), DOOR_OK);
  T_EQ_ERR(door__form_append(&b, "bb", "22"), DOOR_ETOOBIG);
  T_EQ_STR(door__buf_str(&b), "a=1");
  door__buf_free(&b);
}

static void test_url_parse_full(void) {
  door_url u;
  door_detail d;
  T_EQ_ERR(door__url_parse("HTTPS://User:Pw@Example.COM:8443/A/b%2F?q=1&r#Frag",
                           &u, &d),
           DOOR_OK);
  T_EQ_STR(u.scheme, "https");
  T_EQ_STR(u.userinfo, "User:Pw");
  T_EQ_STR(u.host, "example.com");
  T_EQ_INT(u.port, 8443);
  T_EQ_STR(u.path, "/A/b%2F");
  T_EQ_STR(u.query, "q=1&r");
  T_EQ_STR(u.fragment, "Frag");
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("HTTPS://Example.COM/", &u, &d), DOOR_OK);
  T_EQ_STR(u.scheme, "https");
  T_EQ_STR(u.host, "example.com");
  T_EQ_INT(u.port, -1);
  T_EQ_INT(door__url_port(&u), 443);
  T_EQ_STR(u.path, "/");
  T_OK(u.userinfo == NULL && u.query == NULL && u.fragment == NULL);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://h", &u, &d), DOOR_OK);
  T_EQ_STR(u.path, "");
  T_EQ_INT(door__url_port(&u), 80);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("https://h?", &u, &d), DOOR_OK);
  T_EQ_STR(u.query, "");
  T_OK(u.fragment == NULL);
  door__url_free(&u);
}

static void test_url_userinfo_confusion(void) {
  door_url u;
  door_detail d;
  T_EQ_ERR(door__url_parse("https://good@evil", &u, &d), DOOR_OK);
  T_EQ_STR(u.userinfo, "good");
  T_EQ_STR(u.host, "evil");
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("https://good.example@evil.example/x", &u, &d),
           DOOR_OK);
  T_EQ_STR(u.host, "evil.example");
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("https://a@b@evil", &u, &d), DOOR_EURL);
  T_EQ_INT(d.code, DOOR_EURL);
  /* The detail names the position, never the URL (it may hold secrets). */
  T_EQ_STR(d.where, "URL byte 9");
  T_OK(strstr(d.what, "evil") == NULL);
  /* A '@' in the path does not make userinfo. */
  T_EQ_ERR(door__url_parse("https://good/@evil", &u, &d), DOOR_OK);
  T_EQ_STR(u.host, "good");
  T_OK(u.userinfo == NULL);
  T_EQ_STR(u.path, "/@evil");
  door__url_free(&u);
  /* Backslash tricks are refused outright. */
  T_EQ_ERR(door__url_parse("https://good\\@evil", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https:\\\\evil", &u, &d), DOOR_EURL);
}

static void test_url_ipv6_and_loopback(void) {
  door_url u;
  door_detail d;
  door_buf b;
  door__buf_init(&b, 256);
  T_EQ_ERR(door__url_parse("https://[::1]:8443/x", &u, &d), DOOR_OK);
  T_EQ_STR(u.host, "::1");
  T_EQ_INT(u.port, 8443);
  T_EQ_STR(u.path, "/x");
  T_EQ_INT(door__url_is_loopback(&u), 1);
  T_EQ_ERR(door__url_origin(&u, &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "https://[::1]:8443");
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://[0:0:0:0:0:0:0:1]/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 1);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://[::FFFF:127.0.0.9]/", &u, &d), DOOR_OK);
  T_EQ_STR(u.host, "::ffff:127.0.0.9");
  T_EQ_INT(door__url_is_loopback(&u), 1);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://[2001:db8::1]/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 0);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://127.0.0.5/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 1);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://127.255.255.254:1/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 1);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://LocalHost:8080/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 1);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://128.0.0.1/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 0);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://localhost.evil.example/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 0);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://127.0.0.1.evil.example/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 0);
  door__url_free(&u);
  T_EQ_INT(door__url_is_loopback(NULL), 0);
  /* Bad IPv6 forms. */
  T_EQ_ERR(door__url_parse("http://[::1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://[]/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://[::g]/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://[fe80::1%25eth0]/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://[::1]x/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://::1/", &u, &d), DOOR_EURL);
  door__buf_free(&b);
}

static void test_url_numeric_hosts(void) {
  door_url u;
  door_detail d;
  /* Forms a browser would read as 127.0.0.1 are refused as ambiguous. */
  T_EQ_ERR(door__url_parse("http://2130706433/", &u, &d), DOOR_EURL);
  T_EQ_STR(d.what, "ambiguous numeric host");
  T_EQ_ERR(door__url_parse("http://127.1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://0x7f.0.0.1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://0177.0.0.1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://127.0.0.1./", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://256.0.0.1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://1.2.3.4.5/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("http://a.0x10/", &u, &d), DOOR_EURL);
  /* A name with digits in a non-final label is fine. */
  T_EQ_ERR(door__url_parse("http://1.2.example/", &u, &d), DOOR_OK);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("http://0.0.0.0/", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_is_loopback(&u), 0);
  door__url_free(&u);
}

static void test_url_ports(void) {
  door_url u;
  door_detail d;
  T_EQ_ERR(door__url_parse("https://h:0/", &u, &d), DOOR_EURL);
  T_EQ_STR(d.what, "port must be a number from 1 to 65535");
  T_EQ_ERR(door__url_parse("https://h:65536/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:99999999999/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:-1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:+1/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:1a/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:1:2/", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("https://h:65535/", &u, &d), DOOR_OK);
  T_EQ_INT(u.port, 65535);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("https://h:1", &u, &d), DOOR_OK);
  T_EQ_INT(door__url_port(&u), 1);
  door__url_free(&u);
}

static void test_url_refusals(void) {
  static const char *const bad[] = {
      "https://h/a b",
      "https://h/a\tb",
      "https://h/\x01",
      "https://h/\x7f",
      "https://h/\xe3\x81\x82",
      "https:// h/",
      "/relative/path",
      "//h/path",
      "-h:8080",
      "1http://h/",
      ":x",
      "",
      "https:h/x",
      "https:/h/x",
      "https:///x",
      "https://",
      "https://:443/",
      "https://u@/",
      "https://h/%zz",
      "https://h/?%0",
      "https://h/#a#b",
      "https://h/<x>",
      "https://h/\"",
      "https://h/{x}",
      "https://h^/",
      "https://h%41/",
      "https://h/a|b",
      "https://h/?q=`",
      "https://ex ample.com/",
      "https://u\x01@h/",
  };
  size_t i;
  door_url u;
  door_detail d;
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    door_detail_clear(&d);
    if (door__url_parse(bad[i], &u, &d) != DOOR_EURL) {
      door__url_free(&u);
      T_FAIL_("accepted bad URL #%zu \"%s\"", i, bad[i]);
    }
    T_EQ_INT(d.code, DOOR_EURL);
    T_OK(d.what[0] != '\0');
    T_OK(strncmp(d.where, "URL byte ", 9) == 0);
  }
  /* NUL ends the C string: what follows is not part of the URL. */
  T_EQ_ERR(door__url_parse("https://h/x\0evil", &u, &d), DOOR_OK);
  T_EQ_STR(u.path, "/x");
  door__url_free(&u);
  T_EQ_ERR(door__url_parse(NULL, &u, &d), DOOR_EINVAL);
  T_EQ_ERR(door__url_parse("https://h/a b", &u, NULL), DOOR_EURL);
  T_OK(u.scheme == NULL && u.host == NULL);
}

static void test_url_other_schemes(void) {
  door_url u;
  door_detail d;
  door_buf b;
  door__buf_init(&b, 256);
  T_EQ_ERR(door__url_parse("javascript:alert(1)", &u, &d), DOOR_OK);
  T_EQ_STR(u.scheme, "javascript");
  T_OK(u.host == NULL);
  T_EQ_STR(u.path, "alert(1)");
  T_EQ_INT(door__url_port(&u), -1);
  T_EQ_INT(door__url_is_loopback(&u), 0);
  T_EQ_ERR(door__url_origin(&u, &b), DOOR_EURL);
  T_EQ_INT(b.len, 0);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("JavaScript://%0aalert(1)", &u, &d), DOOR_EURL);
  T_EQ_ERR(door__url_parse("mailto:a@b.example", &u, &d), DOOR_OK);
  T_EQ_STR(u.scheme, "mailto");
  T_EQ_STR(u.path, "a@b.example");
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("file:///etc/passwd", &u, &d), DOOR_OK);
  T_EQ_STR(u.host, "");
  T_EQ_STR(u.path, "/etc/passwd");
  T_EQ_ERR(door__url_origin(&u, &b), DOOR_EURL);
  door__url_free(&u);
  T_EQ_ERR(door__url_parse("com.example.app:/cb", &u, &d), DOOR_OK);
  T_EQ_STR(u.scheme, "com.example.app");
  T_EQ_STR(u.path, "/cb");
  door__url_free(&u);
  door__buf_free(&b);
}

static void test_url_origin(void) {
  static const char *const cases[][2] = {
      {"HTTPS://Example.COM/x?y#z", "https://example.com"},
      {"https://example.com:443/", "https://example.com"},
      {"https://example.com:80/", "https://example.com:80"},
      {"http://example.com:80/", "http://example.com"},
      {"http://example.com:443/", "http://example.com:443"},
      {"http://u:p@127.0.0.1:8080/", "http://127.0.0.1:8080"},
      {"wss://h:443/", "wss://h:443"},
  };
  size_t i;
  door_url u;
  door_detail d;
  door_buf b;
  door__buf_init(&b, 256);
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    door__buf_reset(&b);
    T_EQ_ERR(door__url_parse(cases[i][0], &u, &d), DOOR_OK);
    T_EQ_ERR(door__url_origin(&u, &b), DOOR_OK);
    door__url_free(&u);
    T_EQ_STR(door__buf_str(&b), cases[i][1]);
  }
  door__buf_free(&b);
  door__url_free(NULL);
}

T_MAIN(T_CASE(test_encode), T_CASE(test_decode),
       T_CASE(test_decode_leaves_buffer_on_error), T_CASE(test_kvlist),
       T_CASE(test_form_parse), T_CASE(test_form_parse_errors_roll_back),
       T_CASE(test_form_pair_cap), T_CASE(test_form_append_round_trip),
       T_CASE(test_url_parse_full), T_CASE(test_url_userinfo_confusion),
       T_CASE(test_url_ipv6_and_loopback), T_CASE(test_url_numeric_hosts),
       T_CASE(test_url_ports), T_CASE(test_url_refusals),
       T_CASE(test_url_other_schemes), T_CASE(test_url_origin))
