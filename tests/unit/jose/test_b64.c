/* Strict base64url: RFC 4648 vectors, every refusal, and speed. */
#include "t.h"

#include "jose/jose.h"

#include <time.h>

static door_err dec(const char *s, unsigned char *out, size_t cap, size_t *n) {
  return door__b64url_decode(s, strlen(s), out, cap, n);
}

static void test_rfc4648_vectors(void) {
  static const char *const plain[] = {"",     "f",     "fo",    "foo",
                                      "foob", "fooba", "foobar"};
  static const char *const enc[] = {"",       "Zg",      "Zm8",     "Zm9v",
                                    "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  unsigned char out[16];
  size_t i, n;
  door_buf b;
  door__buf_init(&b, 64);
  for (i = 0; i < 7; i++) {
    door__buf_reset(&b);
    T_EQ_ERR(door__b64url_encode(plain[i], strlen(plain[i]), &b), DOOR_OK);
    T_EQ_STR(door__buf_str(&b), enc[i]);
    T_EQ_ERR(dec(enc[i], out, sizeof out, &n), DOOR_OK);
    T_EQ_INT(n, strlen(plain[i]));
    T_EQ_MEM(out, plain[i], n);
    T_EQ_INT(door__b64url_decoded_len(strlen(enc[i])), n);
  }
  door__buf_free(&b);
}

static void test_url_alphabet(void) {
  static const unsigned char bytes[] = {0xfb, 0xff, 0xbf, 0xfe};
  unsigned char out[8];
  size_t n;
  door_buf b;
  door__buf_init(&b, 64);
  T_EQ_ERR(door__b64url_encode(bytes, sizeof bytes, &b), DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "-_-__g");
  T_EQ_ERR(dec("-_-__g", out, sizeof out, &n), DOOR_OK);
  T_EQ_INT(n, 4);
  T_EQ_MEM(out, bytes, 4);
  door__buf_free(&b);
}

static void test_refusals(void) {
  unsigned char out[64];
  size_t n = 99;
  T_EQ_ERR(dec("Zg==", out, sizeof out, &n), DOOR_EB64); /* padding */
  T_EQ_ERR(dec("Zm8=", out, sizeof out, &n), DOOR_EB64); /* padding */
  T_EQ_INT(n, 0);
  T_EQ_ERR(dec("+/+/", out, sizeof out, &n), DOOR_EB64); /* std alphabet */
  T_EQ_ERR(dec("ab+c", out, sizeof out, &n), DOOR_EB64);
  T_EQ_ERR(dec("ab/c", out, sizeof out, &n), DOOR_EB64);
  T_EQ_ERR(dec("Zm9v Yg", out, sizeof out, &n), DOOR_EB64); /* space */
  T_EQ_ERR(dec("Zm9v\nYg", out, sizeof out, &n), DOOR_EB64);
  T_EQ_ERR(dec("Zm9vY\r", out, sizeof out, &n), DOOR_EB64);
  T_EQ_ERR(dec("Z", out, sizeof out, &n), DOOR_EB64); /* 1 mod 4 */
  T_EQ_ERR(dec("Zm9vY", out, sizeof out, &n), DOOR_EB64);
  T_EQ_ERR(dec("Zh", out, sizeof out, &n), DOOR_EB64);  /* trailing bits */
  T_EQ_ERR(dec("Zm9", out, sizeof out, &n), DOOR_EB64); /* trailing bits */
  T_EQ_ERR(dec("Zm_", out, sizeof out, &n), DOOR_EB64);
  T_EQ_ERR(dec("Zm8", out, sizeof out, &n), DOOR_OK);
  T_EQ_ERR(dec("Zm9v\xc3\xa9", out, sizeof out, &n), DOOR_EB64); /* UTF-8 */
  {
    static const char nul[] = "Zm\0v";
    T_EQ_ERR(door__b64url_decode(nul, 4, out, sizeof out, &n), DOOR_EB64);
  }
  T_EQ_ERR(dec("Zm9vYmFy", out, 5, &n), DOOR_ETOOBIG);
  T_EQ_ERR(dec("Zm9vYmFy", out, 6, &n), DOOR_OK);
}

static void test_every_trailing_char(void) {
  /* With 2 characters left, only A, Q, g, w end cleanly; with 3, only the
   * 16 characters whose low two bits are zero. */
  static const char alpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char s[4];
  unsigned char out[4];
  size_t i, n, ok2 = 0, ok3 = 0;
  for (i = 0; i < 64; i++) {
    s[0] = 'A';
    s[1] = alpha[i];
    s[2] = '\0';
    if (dec(s, out, sizeof out, &n) == DOOR_OK)
      ok2++;
    s[1] = 'A';
    s[2] = alpha[i];
    s[3] = '\0';
    if (dec(s, out, sizeof out, &n) == DOOR_OK)
      ok3++;
  }
  T_EQ_INT(ok2, 4);
  T_EQ_INT(ok3, 16);
}

static void test_roundtrip_all_lengths(void) {
  unsigned char in[300], out[300];
  size_t len, n, i;
  door_buf b;
  door__buf_init(&b, 1024);
  for (i = 0; i < sizeof in; i++)
    in[i] = (unsigned char)(i * 37 + 11);
  for (len = 0; len < sizeof in; len++) {
    door__buf_reset(&b);
    T_EQ_ERR(door__b64url_encode(in, len, &b), DOOR_OK);
    T_EQ_ERR(
        door__b64url_decode(b.data ? b.data : "", b.len, out, sizeof out, &n),
        DOOR_OK);
    T_EQ_INT(n, len);
    T_EQ_MEM(out, in, len);
  }
  door__buf_free(&b);
}

static void test_encode_cap(void) {
  door_buf b;
  door__buf_init(&b, 3);
  T_EQ_ERR(door__b64url_encode("foo", 3, &b), DOOR_ETOOBIG);
  T_EQ_INT(b.len, 0);
  door__buf_free(&b);
}

/* 64 MiB of decoding should take well under a second (table driven). */
static void test_speed(void) {
  static char enc[16384];
  static unsigned char out[12288];
  size_t i, n;
  clock_t t0;
  double secs;
  for (i = 0; i < sizeof enc; i++)
    enc[i] = "AQgw"[i % 4];
  t0 = clock();
  for (i = 0; i < 4096; i++)
    T_EQ_ERR(door__b64url_decode(enc, sizeof enc, out, sizeof out, &n),
             DOOR_OK);
  secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  printf("# decoded 64 MiB in %.3f s\n", secs);
  T_OK(secs < 5.0);
}

T_MAIN(T_CASE(test_rfc4648_vectors), T_CASE(test_url_alphabet),
       T_CASE(test_refusals), T_CASE(test_every_trailing_char),
       T_CASE(test_roundtrip_all_lengths), T_CASE(test_encode_cap),
       T_CASE(test_speed))
