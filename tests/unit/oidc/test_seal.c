/* Sealed pending-login cookie: round trip, tampering, renaming, expiry. */
#include "oidc/oidc.h"
#include "t.h"

#include <string.h>

/* A state with '-' and '_' (base64url): the name parser must not split
 * on them. */
static const char k_state[] = "AAAAAAAAAA-AAAAAAAAAA_AAAAAAAAAA-AAAAAAAAAA";
static const char k_state2[] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

static void make_pending(door_pending *p) {
  memset(p, 0, sizeof *p);
  p->provider = "daccount";
  p->issuer = "https://conf.uw.docomo.ne.jp/";
  p->state = (char *)k_state;
  p->nonce = "nonce-value-123";
  p->code_verifier = "verifier-verifier-verifier-verifier-verifi";
  p->redirect_uri = "https://door.example/callback/daccount";
  p->return_to = "/rooms/42?x=1";
  p->link_account = "acct-7";
  p->created_at = 1700000000;
}

static void init_sealer(door_sealer *s) {
  static const unsigned char key[32] = "0123456789abcdef0123456789abcde";
  T_EQ_ERR(door__sealer_init(s, key, sizeof key), DOOR_OK);
}

static void seal(door_sealer *s, const char *name, door_buf *v) {
  door_pending p;
  make_pending(&p);
  door__buf_init(v, 8192);
  T_EQ_ERR(door__pending_seal(s, &p, name, v), DOOR_OK);
}

static void name_of(const char *state, int secure, door_buf *n) {
  door__buf_init(n, 256);
  T_EQ_ERR(door__pending_cookie_name(secure, state, n), DOOR_OK);
}

static void test_round_trip(void) {
  door_sealer s;
  door_buf n, v;
  door_pending out;
  init_sealer(&s);
  name_of(k_state, 1, &n);
  T_EQ_STR(door__buf_str(&n), "__Host-door-login-"
                              "AAAAAAAAAA-AAAAAAAAAA_AAAAAAAAAA-AAAAAAAAAA");
  seal(&s, door__buf_str(&n), &v);
  T_EQ_ERR(door__pending_open(&s, door__buf_str(&n), v.data, v.len, &out, NULL),
           DOOR_OK);
  T_EQ_STR(out.provider, "daccount");
  T_EQ_STR(out.issuer, "https://conf.uw.docomo.ne.jp/");
  T_EQ_STR(out.state, k_state);
  T_EQ_STR(out.nonce, "nonce-value-123");
  T_EQ_STR(out.code_verifier, "verifier-verifier-verifier-verifier-verifi");
  T_EQ_STR(out.redirect_uri, "https://door.example/callback/daccount");
  T_EQ_STR(out.return_to, "/rooms/42?x=1");
  T_EQ_STR(out.link_account, "acct-7");
  T_EQ_INT(out.created_at, 1700000000);
  T_EQ_INT(out.version, 1);
  /* The secrets are not readable in the value. */
  T_OK(strstr(v.data, "nonce") == NULL);
  door__pending_clear(&out);
  door__buf_free(&n);
  door__buf_free(&v);
}

static void test_fresh_iv(void) {
  door_sealer s;
  door_buf n, a, b;
  init_sealer(&s);
  name_of(k_state, 1, &n);
  seal(&s, door__buf_str(&n), &a);
  seal(&s, door__buf_str(&n), &b);
  T_OK(strcmp(a.data, b.data) != 0);
  door__buf_free(&n);
  door__buf_free(&a);
  door__buf_free(&b);
}

/* Flipping any bit of any byte of the decoded value fails; so does
 * changing any character of the encoded value. */
static void test_tamper_each_byte(void) {
  door_sealer s;
  door_buf n, v, raw, enc;
  door_pending out;
  unsigned char bytes[4096];
  size_t len = 0, i;
  init_sealer(&s);
  name_of(k_state, 1, &n);
  seal(&s, door__buf_str(&n), &v);
  T_EQ_ERR(door__b64url_decode(v.data, v.len, bytes, sizeof bytes, &len),
           DOOR_OK);
  for (i = 0; i < len; i++) {
    door__buf_init(&enc, 8192);
    bytes[i] ^= 0x01;
    T_EQ_ERR(door__b64url_encode(bytes, len, &enc), DOOR_OK);
    T_EQ_ERR(door__pending_open(&s, door__buf_str(&n), enc.data, enc.len, &out,
                                NULL),
             DOOR_ELOGIN_SEAL);
    bytes[i] ^= 0x01;
    door__buf_free(&enc);
  }
  /* Truncated and extended values. */
  T_EQ_ERR(
      door__pending_open(&s, door__buf_str(&n), v.data, v.len - 1, &out, NULL),
      DOOR_ELOGIN_SEAL);
  door__buf_init(&raw, 8192);
  T_EQ_ERR(door__buf_append(&raw, v.data, v.len), DOOR_OK);
  T_EQ_ERR(door__buf_puts(&raw, "AAAA"), DOOR_OK);
  T_EQ_ERR(
      door__pending_open(&s, door__buf_str(&n), raw.data, raw.len, &out, NULL),
      DOOR_ELOGIN_SEAL);
  T_EQ_ERR(door__pending_open(&s, door__buf_str(&n), "", 0, &out, NULL),
           DOOR_ELOGIN_SEAL);
  door__buf_free(&raw);
  door__buf_free(&n);
  door__buf_free(&v);
}

static void test_wrong_name(void) {
  door_sealer s;
  door_buf n, n2, n3, v;
  door_pending out;
  door_detail d;
  init_sealer(&s);
  name_of(k_state, 1, &n);
  name_of(k_state2, 1, &n2);
  name_of(k_state, 0, &n3);
  seal(&s, door__buf_str(&n), &v);
  /* Renamed to another state's cookie. */
  T_EQ_ERR(door__pending_open(&s, door__buf_str(&n2), v.data, v.len, &out, &d),
           DOOR_ELOGIN_SEAL);
  T_EQ_ERR(d.code, DOOR_ELOGIN_SEAL);
  /* Moved from the __Host- name to the plain one. */
  T_EQ_ERR(
      door__pending_open(&s, door__buf_str(&n3), v.data, v.len, &out, NULL),
      DOOR_ELOGIN_SEAL);
  door__buf_free(&n);
  door__buf_free(&n2);
  door__buf_free(&n3);
  door__buf_free(&v);
}

/* A record whose state differs from the name's, sealed under that name
 * (only possible with the key), is refused too. */
static void test_state_mismatch_inside(void) {
  door_sealer s;
  door_buf n, v;
  door_pending p, out;
  init_sealer(&s);
  name_of(k_state2, 1, &n);
  make_pending(&p);
  door__buf_init(&v, 8192);
  T_EQ_ERR(door__pending_seal(&s, &p, door__buf_str(&n), &v), DOOR_OK);
  T_EQ_ERR(door__pending_open(&s, door__buf_str(&n), v.data, v.len, &out, NULL),
           DOOR_ELOGIN_SEAL);
  door__buf_free(&n);
  door__buf_free(&v);
}

static void test_other_key(void) {
  door_sealer s, s2;
  door_buf n, v;
  door_pending out;
  static const unsigned char key2[32] = "another key, 32 bytes long.....";
  init_sealer(&s);
  T_EQ_ERR(door__sealer_init(&s2, key2, sizeof key2), DOOR_OK);
  name_of(k_state, 1, &n);
  seal(&s, door__buf_str(&n), &v);
  T_EQ_ERR(
      door__pending_open(&s2, door__buf_str(&n), v.data, v.len, &out, NULL),
      DOOR_ELOGIN_SEAL);
  door__buf_free(&n);
  door__buf_free(&v);
}

static void test_expiry(void) {
  door_pending p;
  door_detail d;
  make_pending(&p);
  T_EQ_ERR(door__pending_check_time(&p, 1700000000 + 600, 600, 60, NULL),
           DOOR_OK);
  T_EQ_ERR(door__pending_check_time(&p, 1700000000 + 601, 600, 60, &d),
           DOOR_ELOGIN_EXPIRED);
  T_EQ_ERR(d.code, DOOR_ELOGIN_EXPIRED);
  /* From the future: within the skew is fine, beyond it is not. */
  T_EQ_ERR(door__pending_check_time(&p, 1700000000 - 60, 600, 60, NULL),
           DOOR_OK);
  T_EQ_ERR(door__pending_check_time(&p, 1700000000 - 61, 600, 60, NULL),
           DOOR_ELOGIN_EXPIRED);
}

static void test_cookie_headers(void) {
  door_buf b;
  door__buf_init(&b, 1024);
  T_EQ_ERR(door__pending_set_cookie("__Host-door-login-x", "VAL", 1, 600, &b),
           DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "__Host-door-login-x=VAL; Path=/; Max-Age=600; "
                              "HttpOnly; SameSite=Lax; Secure");
  door__buf_reset(&b);
  T_EQ_ERR(door__pending_delete_cookie("door-login-x", 0, &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b),
           "door-login-x=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  door__buf_free(&b);
  /* A state that doorauth did not make cannot name a cookie. */
  door__buf_init(&b, 1024);
  T_EQ_ERR(door__pending_cookie_name(1, "a;b", &b), DOOR_EINVAL);
  T_EQ_ERR(door__pending_cookie_name(1, "short", &b), DOOR_EINVAL);
  door__buf_free(&b);
}

static void test_oversized(void) {
  door_sealer s;
  door_buf n, v;
  door_pending p;
  char big[3000];
  init_sealer(&s);
  name_of(k_state, 1, &n);
  make_pending(&p);
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  p.link_account = big;
  door__buf_init(&v, 8192);
  T_OK(door__pending_seal(&s, &p, door__buf_str(&n), &v) != DOOR_OK);
  door__buf_free(&n);
  door__buf_free(&v);
}

T_MAIN(T_CASE(test_round_trip), T_CASE(test_fresh_iv),
       T_CASE(test_tamper_each_byte), T_CASE(test_wrong_name),
       T_CASE(test_state_mismatch_inside), T_CASE(test_other_key),
       T_CASE(test_expiry), T_CASE(test_cookie_headers), T_CASE(test_oversized))
