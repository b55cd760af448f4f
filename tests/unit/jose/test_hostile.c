/* The hostile table: every known way to get a JWS accepted that should not
 * be, each refused with its own error code (asserted exactly). */
#include "t.h"

#include "helpers.h"
#include "jose/test_paths.h"
#include "vectors.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <time.h>

#define ALL DOOR_ALG_ALL

static door_jwk *rsa_pub(void) {
  door_jwk *k = NULL;
  door_err err =
      h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
            DOOR_JWK_PUBLIC_ONLY, &k, NULL);
  return err ? NULL : k;
}

static door_jwk *ec_pub(const char *kid) {
  door_jwk *k = NULL;
  door_buf b;
  door_err err;
  door__buf_init(&b, 1024);
  door__buf_puts(&b, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                     "\",\"y\":\"" RFC7515_A3_Y "\"");
  if (kid) {
    door__buf_puts(&b, ",\"kid\":\"");
    door__buf_puts(&b, kid);
    door__buf_puts(&b, "\"");
  }
  door__buf_puts(&b, "}");
  err = h_jwk(b.data, DOOR_JWK_PUBLIC_ONLY, &k, NULL);
  door__buf_free(&b);
  return err ? NULL : k;
}

static door_err parse(const char *tok, door_detail *d) {
  door_jws jws;
  door_err err = door__jws_parse(tok, strlen(tok), NULL, &jws, d);
  if (!err)
    door__jws_clear(&jws);
  return err;
}

static door_err parse_b(const door_buf *b, const door_jws_limits *lim,
                        door_detail *d) {
  door_jws jws;
  door_err err = door__jws_parse(b->data, b->len, lim, &jws, d);
  if (!err)
    door__jws_clear(&jws);
  return err;
}

/* ---- alg none --------------------------------------------------------- */

static void test_alg_none_every_case(void) {
  static const char *const spellings[] = {"none", "None", "NONE",
                                          "nOnE", "NoNe", "nONE"};
  door_jwk *k = rsa_pub();
  door_buf b;
  size_t i;
  door__buf_init(&b, 4096);
  for (i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
    door_buf hdr;
    door_detail d;
    door__buf_init(&hdr, 64);
    door__buf_puts(&hdr, "{\"alg\":\"");
    door__buf_puts(&hdr, spellings[i]);
    door__buf_puts(&hdr, "\"}");
    h_token(&b, hdr.data, "{\"sub\":\"admin\"}", "");
    T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EALG_NONE);
    T_EQ_STR(d.where, "header.alg");
    /* with a signature-looking tail too */
    h_token(&b, hdr.data, "{\"sub\":\"admin\"}", "c2ln");
    T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EALG_NONE);
    door__buf_free(&hdr);
  }
  /* near-misses are unknown, not none */
  h_token(&b, "{\"alg\":\"none \"}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EALG_UNKNOWN);
  h_token(&b, "{\"alg\":\"\"}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EALG_UNKNOWN);
  h_token(&b, "{\"alg\":\"rs256\"}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EALG_UNKNOWN);
  /* none can never be put in an allow-list either */
  {
    unsigned mask;
    T_EQ_ERR(door__algs_parse("NONE", &mask, NULL), DOOR_EALG_NONE);
  }
  door__buf_free(&b);
  door__jwk_unref(k);
}

/* ---- HS256 keyed with the RSA public key ------------------------------ */

/* An attacker's HS256 token whose HMAC key is `secret`. */
static void forge_hs256(const void *secret, size_t len, door_buf *out) {
  door_jwk *hk = NULL;
  T_EQ_ERR(door__jwk_from_secret(secret, len, NULL, &hk), DOOR_OK);
  door__buf_reset(out);
  T_EQ_ERR(
      door__jws_sign(hk, DOOR_ALG_HS256, NULL, "{\"sub\":\"admin\"}", 15, out),
      DOOR_OK);
  door__jwk_unref(hk);
}

static void check_rsa_refuses(const door_buf *tok, door_jwk *const *rsa_keys,
                              size_t n) {
  door_jws jws;
  door_jwks *set = NULL;
  size_t i;
  T_EQ_ERR(door__jws_parse(tok->data, tok->len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_INT(jws.alg, DOOR_ALG_HS256);
  for (i = 0; i < n; i++) {
    /* even with HS256 in the allow-list, an RSA key never verifies it */
    T_EQ_ERR(door__jws_verify(&jws, rsa_keys[i], ALL), DOOR_EALG_KEY_MISMATCH);
    T_EQ_ERR(door__jws_verify_raw(rsa_keys[i], DOOR_ALG_HS256, ALL,
                                  jws.signing_input, jws.signing_input_len,
                                  jws.sig, jws.sig_len),
             DOOR_EALG_KEY_MISMATCH);
  }
  /* a key set of RSA keys has no key for HS256 */
  T_EQ_ERR(door__jwks_from_keys(rsa_keys, 1, &set), DOOR_OK);
  T_EQ_ERR(door__jws_verify_jwks(&jws, set, ALL, NULL), DOOR_EKID_UNKNOWN);
  T_EQ_ERR(door__jws_verify_jwks(&jws, set, DOOR_ALG_RS256, NULL),
           DOOR_EALG_NOT_ALLOWED);
  door__jwks_unref(set);
  door__jws_clear(&jws);
}

static void test_hs256_with_rsa_public_key(void) {
  door_jwk *jwk_key = rsa_pub(), *pem_key = NULL, *keys[2];
  door_buf pem, tok, jw;
  json_t *pub = NULL;
  unsigned char *der = NULL, nbytes[512];
  int derlen;
  size_t nlen = 0;
  T_OK(jwk_key != NULL);
  door__buf_init(&pem, 8192);
  door__buf_init(&tok, 8192);
  door__buf_init(&jw, 8192);
  /* the same public key in each encoding an attacker might MAC with */
  T_EQ_ERR(door__jwk_to_pem(jwk_key, 0, &pem), DOOR_OK);
  T_OK(strncmp(pem.data, "-----BEGIN PUBLIC KEY-----", 26) == 0);
  T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len, NULL, &pem_key, NULL),
           DOOR_OK);
  T_EQ_INT(door__jwk_kty(pem_key), DOOR_KTY_RSA);
  T_EQ_INT(door__jwk_algs(pem_key), DOOR_ALG_RS256 | DOOR_ALG_PS256);
  derlen = i2d_PUBKEY(door__jwk_evp(jwk_key), &der);
  T_OK(derlen > 256);
  T_EQ_ERR(door__jwk_public_json(jwk_key, 0, &pub), DOOR_OK);
  T_EQ_ERR(door__json_dump(pub, &jw), DOOR_OK);
  T_EQ_ERR(door__b64url_decode(RFC7515_A2_N, strlen(RFC7515_A2_N), nbytes,
                               sizeof nbytes, &nlen),
           DOOR_OK);
  keys[0] = jwk_key;
  keys[1] = pem_key;

  forge_hs256(pem.data, pem.len, &tok); /* PEM */
  check_rsa_refuses(&tok, keys, 2);
  forge_hs256(der, (size_t)derlen, &tok); /* DER */
  check_rsa_refuses(&tok, keys, 2);
  forge_hs256(jw.data, jw.len, &tok); /* JWK JSON */
  check_rsa_refuses(&tok, keys, 2);
  forge_hs256(nbytes, nlen, &tok); /* raw n */
  check_rsa_refuses(&tok, keys, 2);

  /* and an HMAC key that is not the forger's does not verify it */
  {
    door_jwk *other = NULL;
    door_jws jws;
    forge_hs256(pem.data, pem.len, &tok);
    T_EQ_ERR(
        door__jwk_from_secret("a-configured-client-secret", 26, NULL, &other),
        DOOR_OK);
    T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
    T_EQ_ERR(door__jws_verify(&jws, other, DOOR_ALG_HS256), DOOR_ESIG_INVALID);
    door__jws_clear(&jws);
    door__jwk_unref(other);
  }
  OPENSSL_free(der);
  json_decref(pub);
  door__buf_free(&pem);
  door__buf_free(&tok);
  door__buf_free(&jw);
  door__jwk_unref(jwk_key);
  door__jwk_unref(pem_key);
}

/* ---- ES256 signature values ------------------------------------------- */

static const unsigned char p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static door_err es256_with(const unsigned char *sig, size_t len) {
  door_jwk *k = ec_pub(NULL);
  door_buf b;
  door_err err;
  door__buf_init(&b, 4096);
  door__buf_puts(&b, "eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD_B64 ".");
  door__b64url_encode(sig, len, &b);
  err = h_parse_verify(b.data, k, DOOR_ALG_ES256);
  door__buf_free(&b);
  door__jwk_unref(k);
  return err;
}

static void test_es256_psychic_and_range(void) {
  unsigned char sig[64], good[64];
  size_t n = 0;
  const char *s = strrchr(RFC7515_A3_JWS, '.') + 1;
  T_EQ_ERR(door__b64url_decode(s, strlen(s), good, sizeof good, &n), DOOR_OK);
  T_EQ_INT(n, 64);
  T_EQ_ERR(es256_with(good, 64), DOOR_OK);

  memset(sig, 0, 64); /* r = s = 0: CVE-2022-21449 */
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 64); /* r = 0 */
  memset(sig, 0, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 64); /* s = 0 */
  memset(sig + 32, 0, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, p256_n, 32); /* r = n */
  memcpy(sig + 32, good + 32, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 32); /* s = n */
  memcpy(sig + 32, p256_n, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, p256_n, 32); /* r = s = n */
  memcpy(sig + 32, p256_n, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memset(sig, 0xff, 32); /* r > n */
  memcpy(sig + 32, good + 32, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 32); /* s > n (n + 1) */
  memcpy(sig + 32, p256_n, 32);
  sig[63]++;
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  /* in range but wrong: r = n - 1 is checked by the crypto, not refused */
  memcpy(sig, p256_n, 32);
  sig[31]--;
  memcpy(sig + 32, good + 32, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_INVALID);
  /* r = 1, s = 1: smallest in range */
  memset(sig, 0, 64);
  sig[31] = 1;
  sig[63] = 1;
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_INVALID);
  /* r and s swapped */
  memcpy(sig, good + 32, 32);
  memcpy(sig + 32, good, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_INVALID);
}

static void test_es256_lengths_and_der(void) {
  unsigned char sig[80], good[64];
  unsigned char *der = NULL, *p;
  size_t n = 0;
  int dl;
  const char *s = strrchr(RFC7515_A3_JWS, '.') + 1;
  ECDSA_SIG *es;
  T_EQ_ERR(door__b64url_decode(s, strlen(s), good, sizeof good, &n), DOOR_OK);
  T_EQ_ERR(es256_with(good, 0), DOOR_ESIG_LENGTH);
  T_EQ_ERR(es256_with(good, 63), DOOR_ESIG_LENGTH);
  memcpy(sig, good, 64);
  sig[64] = 0;
  T_EQ_ERR(es256_with(sig, 65), DOOR_ESIG_LENGTH);
  sig[0] = 0; /* a leading zero, 65 bytes */
  memcpy(sig + 1, good, 64);
  T_EQ_ERR(es256_with(sig, 65), DOOR_ESIG_LENGTH);
  /* the same (valid) signature in DER form, as OpenSSL would emit it */
  es = ECDSA_SIG_new();
  T_OK(es != NULL);
  T_OK(ECDSA_SIG_set0(es, BN_bin2bn(good, 32, NULL),
                      BN_bin2bn(good + 32, 32, NULL)) == 1);
  dl = i2d_ECDSA_SIG(es, &der);
  T_OK(dl >= 68 && dl <= 72);
  p = der;
  T_EQ_ERR(es256_with(p, (size_t)dl), DOOR_ESIG_LENGTH);
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
}

static void test_rsa_and_hmac_lengths(void) {
  door_jwk *k = rsa_pub(), *hk = NULL;
  unsigned char sig[300];
  door_buf b;
  const char *s = strrchr(RFC7515_A2_JWS, '.') + 1;
  size_t n = 0;
  door__buf_init(&b, 4096);
  T_EQ_ERR(door__b64url_decode(s, strlen(s), sig, sizeof sig, &n), DOOR_OK);
  T_EQ_INT(n, 256);
  /* 255 bytes (leading byte dropped), 257 (zero prepended), empty */
  door__buf_puts(&b, "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD_B64 ".");
  door__b64url_encode(sig + 1, 255, &b);
  T_EQ_ERR(h_parse_verify(b.data, k, ALL), DOOR_ESIG_LENGTH);
  door__buf_reset(&b);
  door__buf_puts(&b, "eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD_B64 ".");
  T_EQ_ERR(h_parse_verify(b.data, k, ALL), DOOR_ESIG_LENGTH);
  door__buf_free(&b);
  /* HS256 with a truncated MAC */
  T_EQ_ERR(h_secret_b64(RFC7515_A1_K, NULL, &hk), DOOR_OK);
  T_EQ_ERR(h_parse_verify(
               "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." RFC7515_PAYLOAD_B64
               ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOE",
               hk, ALL),
           DOOR_ESIG_LENGTH);
  door__jwk_unref(hk);
  door__jwk_unref(k);
}

/* ---- encoding and structure ------------------------------------------- */

static void test_non_canonical_base64url(void) {
  door_detail d;
  const char *good = RFC7515_A3_JWS;
  door_buf b;
  size_t dot1 = (size_t)(strchr(good, '.') - good);
  size_t dot2 = (size_t)(strrchr(good, '.') - good);
  door__buf_init(&b, 4096);
  T_EQ_ERR(parse(good, NULL), DOOR_OK);
  /* padding: the header is 20 chars, so '=' can only be appended */
  door__buf_append(&b, good, dot1);
  door__buf_puts(&b, "==");
  door__buf_puts(&b, good + dot1);
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EB64);
  T_EQ_STR(d.where, "header");
  /* signature with padding (86 chars + "==") */
  door__buf_reset(&b);
  door__buf_puts(&b, good);
  door__buf_puts(&b, "==");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EB64);
  T_EQ_STR(d.where, "signature");
  /* '+' in place of '-', and a '/' */
  door__buf_reset(&b);
  door__buf_puts(&b, good);
  *strchr(b.data + dot2, '-') = '+'; /* "...KAM6-Xx..." */
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EB64);
  door__buf_reset(&b);
  door__buf_puts(&b, good);
  b.data[dot2 + 5] = '/';
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EB64);
  /* whitespace and line breaks */
  {
    static const char *const ws[] = {" ", "\t", "\n", "\r\n"};
    size_t i;
    for (i = 0; i < 4; i++) {
      door__buf_reset(&b);
      door__buf_append(&b, good, dot1 + 10);
      door__buf_puts(&b, ws[i]);
      door__buf_puts(&b, good + dot1 + 10);
      T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EB64);
      T_EQ_STR(d.where, "payload");
    }
  }
  /* non-zero trailing bits: the signature is 86 chars (2 spare bits); the
   * last char 'Q' (010000) has them clear, 'R' (010001) does not */
  door__buf_reset(&b);
  door__buf_puts(&b, good);
  T_EQ_INT(b.data[b.len - 1], 'Q');
  b.data[b.len - 1] = 'R';
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EB64);
  T_EQ_STR(d.where, "signature");
  /* the payload is 112 chars: drop one char -> length 1 mod 4... */
  door__buf_reset(&b);
  door__buf_append(&b, good, dot2 - 1);
  door__buf_puts(&b, good + dot2);
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EB64);
  door__buf_free(&b);
}

static void test_segment_counts(void) {
  const char *good = RFC7515_A3_JWS;
  door_buf b;
  door__buf_init(&b, 8192);
  T_EQ_ERR(parse("", NULL), DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(parse("abc", NULL), DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(parse("eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD_B64, NULL),
           DOOR_EJWS_SEGMENTS); /* 2 */
  door__buf_puts(&b, good);
  door__buf_puts(&b, ".");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_SEGMENTS); /* 4, last empty */
  door__buf_puts(&b, "AAAA");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_SEGMENTS); /* 4 */
  door__buf_puts(&b, ".AAAA");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_SEGMENTS); /* 5 (JWE) */
  T_EQ_ERR(parse("..", NULL), DOOR_EJWS_HEADER);         /* 3, all empty */
  door__buf_free(&b);
}

/* Counts jansson allocations: the dot bomb must be refused before any. */
static size_t json_allocs;
static void *count_malloc(size_t n) {
  json_allocs++;
  return malloc(n);
}

static void test_100000_dots(void) {
  static const door_jws_limits huge = {(size_t)1 << 30, (size_t)1 << 30,
                                       (size_t)1 << 30, (size_t)1 << 30};
  size_t n = 100000, i;
  char *dots = malloc(n + 64);
  door_jws jws;
  door_detail d;
  clock_t t0;
  double secs;
  T_OK(dots != NULL);
  memset(dots, '.', n);
  dots[n] = '\0';
  /* default limits: the size cap answers first */
  T_EQ_ERR(door__jws_parse(dots, n, NULL, &jws, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "token");
  /* no size cap: refused at the third dot, no allocation, quickly */
  json_set_alloc_funcs(count_malloc, free);
  json_allocs = 0;
  t0 = clock();
  for (i = 0; i < 10000; i++)
    T_EQ_ERR(door__jws_parse(dots, n, &huge, &jws, NULL), DOOR_EJWS_SEGMENTS);
  /* a valid-looking prefix then 100,000 dots */
  memcpy(dots, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", 29);
  for (i = 0; i < 10000; i++)
    T_EQ_ERR(door__jws_parse(dots, n, &huge, &jws, NULL), DOOR_EJWS_SEGMENTS);
  secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  json_set_alloc_funcs(malloc, free);
  printf("# 20000 dot bombs refused in %.4f s, %zu JSON allocations\n", secs,
         json_allocs);
  T_EQ_INT(json_allocs, 0);
  T_OK(secs < 1.0);
  free(dots);
}

static void test_megabyte_segments(void) {
  static const door_jws_limits big_total = {(size_t)8 << 20, 2048, 12288, 1024};
  size_t mb = (size_t)1 << 20;
  door_buf b;
  door_detail d;
  char *seg = malloc(mb + 1);
  T_OK(seg != NULL);
  memset(seg, 'A', mb);
  seg[mb] = '\0';
  door__buf_init(&b, (size_t)4 << 20);
  /* default caps: the whole token is too big */
  door__buf_puts(&b, seg);
  door__buf_puts(&b, ".e30.AAAA");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "token");
  /* with a large total cap each segment still has its own */
  T_EQ_ERR(parse_b(&b, &big_total, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "header");
  door__buf_reset(&b);
  door__buf_puts(&b, "eyJhbGciOiJFUzI1NiJ9.");
  door__buf_puts(&b, seg);
  door__buf_puts(&b, ".AAAA");
  T_EQ_ERR(parse_b(&b, &big_total, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "payload");
  door__buf_reset(&b);
  door__buf_puts(&b, "eyJhbGciOiJFUzI1NiJ9.e30.");
  door__buf_puts(&b, seg);
  T_EQ_ERR(parse_b(&b, &big_total, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "signature");
  /* a signature segment within its encoded cap but over 512 bytes */
  {
    static const door_jws_limits wide_sig = {65536, 2048, 12288, 4096};
    door__buf_reset(&b);
    door__buf_puts(&b, "eyJhbGciOiJFUzI1NiJ9.e30.");
    door__buf_append(&b, seg, 1024);
    T_EQ_ERR(parse_b(&b, &wide_sig, &d), DOOR_EJWS_TOOBIG);
    T_EQ_STR(d.where, "signature");
  }
  door__buf_free(&b);
  free(seg);
}

static void test_duplicate_keys(void) {
  door_buf b;
  door_detail d;
  door__buf_init(&b, 4096);
  h_token(&b, "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJSON_DUPKEY);
  T_EQ_STR(d.where, "header");
  h_token(&b, "{\"alg\":\"HS256\",\"alg\":\"RS256\"}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJSON_DUPKEY);
  h_token(&b, "{\"alg\":\"ES256\"}", "{\"sub\":\"alice\",\"sub\":\"admin\"}",
          "");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJSON_DUPKEY);
  T_EQ_STR(d.where, "payload");
  h_token(&b, "{\"alg\":\"ES256\"}", "{\"a\":{\"x\":1,\"x\":2}}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJSON_DUPKEY);
  door__buf_free(&b);
}

static void test_crit_and_key_headers(void) {
  static const char *const keyrefs[] = {
      "{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}",
      "{\"alg\":\"RS256\",\"jku\":\"https://evil.example/jwks\"}",
      "{\"alg\":\"RS256\",\"x5u\":\"https://evil.example/cert\"}",
      "{\"alg\":\"RS256\",\"x5c\":[\"MIIB\"]}",
  };
  door_buf b;
  door_detail d;
  size_t i;
  door__buf_init(&b, 4096);
  h_token(&b, "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJWS_CRIT);
  h_token(&b, "{\"alg\":\"ES256\",\"crit\":[]}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_CRIT);
  h_token(&b, "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"]}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_CRIT);
  for (i = 0; i < 4; i++) {
    h_token(&b, keyrefs[i], "{}", "");
    T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJWS_KEYREF);
  }
  T_EQ_STR(d.where, "x5c");
  door__buf_free(&b);
}

static void test_header_and_payload_shapes(void) {
  door_buf b;
  door__buf_init(&b, 4096);
  h_token(&b, "{}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_HEADER); /* no alg */
  h_token(&b, "{\"alg\":256}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_HEADER);
  h_token(&b, "[\"alg\",\"ES256\"]", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_HEADER);
  h_token(&b, "{\"alg\":\"ES256\"", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_HEADER);
  h_token(&b, "{\"alg\":\"ES256\",\"kid\":7}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_HEADER);
  h_token(&b, "{\"alg\":\"ES256\",\"typ\":null}", "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_HEADER);
  h_token(&b, "{\"alg\":\"ES256\"}", "[1]", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_PAYLOAD);
  h_token(&b, "{\"alg\":\"ES256\"}", "\"sub\"", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_PAYLOAD);
  h_token(&b, "{\"alg\":\"ES256\"}", "", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_PAYLOAD);
  h_token(&b, "{\"alg\":\"ES256\"}", "{\"a\":\"\\u0000\"}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJWS_PAYLOAD);
  h_token(&b, "{\"alg\":\"ES256\"}", "{\"a\":\"\xff\"}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EUTF8);
  door__buf_free(&b);
}

static void test_deep_nesting(void) {
  door_buf b, j;
  door_detail d;
  size_t i;
  door__buf_init(&b, 8192);
  door__buf_init(&j, 8192);
  door__buf_puts(&j, "{\"alg\":\"ES256\",\"x\":");
  for (i = 0; i < 100; i++)
    door__buf_puts(&j, "[ ");
  door__buf_putc(&j, '1');
  for (i = 0; i < 100; i++)
    door__buf_putc(&j, ']');
  door__buf_putc(&j, '}');
  h_token(&b, j.data, "{}", "");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJSON_DEPTH);
  T_EQ_STR(d.where, "header");
  h_token(&b, "{\"alg\":\"ES256\"}", j.data, "");
  T_EQ_ERR(parse_b(&b, NULL, &d), DOOR_EJSON_DEPTH);
  T_EQ_STR(d.where, "payload");
  /* 16 levels are fine, 17 are not */
  h_token(&b, "{\"alg\":\"ES256\"}", "{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}",
          "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_OK);
  h_token(&b, "{\"alg\":\"ES256\"}",
          "{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", "");
  T_EQ_ERR(parse_b(&b, NULL, NULL), DOOR_EJSON_DEPTH);
  door__buf_free(&j);
  door__buf_free(&b);
}

/* ---- key selection and key types -------------------------------------- */

static void test_key_type_confusion(void) {
  door_jwk *ec = ec_pub("ec1"), *rsa = rsa_pub();
  door_jwk *keys[2];
  door_jwks *set = NULL;
  door_jws jws;
  door_buf b;
  T_OK(ec && rsa);
  door__buf_init(&b, 4096);
  /* RS256 token against the EC key, ES256 token against the RSA key */
  T_EQ_ERR(h_parse_verify(RFC7515_A2_JWS, ec, ALL), DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(h_parse_verify(RFC7515_A3_JWS, rsa, ALL), DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(h_parse_verify(RFC7515_A1_JWS, ec, ALL), DOOR_EALG_KEY_MISMATCH);
  /* PS256 with an RSA key whose JWK alg pins RS256 */
  {
    door_jwk *pinned = NULL;
    T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"" RFC7520_RSA_N
                   "\",\"e\":\"AQAB\"}",
                   DOOR_JWK_PUBLIC_ONLY, &pinned, NULL),
             DOOR_OK);
    T_EQ_ERR(h_parse_verify(PS256_VECTOR_JWS, pinned, ALL),
             DOOR_EALG_KEY_MISMATCH);
    door__jwk_unref(pinned);
  }
  /* RS256 token naming the EC key's kid in a set */
  h_token(&b, "{\"alg\":\"RS256\",\"kid\":\"ec1\"}", "{}", "AAAA");
  keys[0] = ec;
  keys[1] = rsa;
  T_EQ_ERR(door__jwks_from_keys(keys, 2, &set), DOOR_OK);
  T_EQ_ERR(door__jws_parse(b.data, b.len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_ERR(door__jws_verify_jwks(&jws, set, ALL, NULL), DOOR_EALG_KEY_MISMATCH);
  door__jws_clear(&jws);
  door__jwks_unref(set);
  door__buf_free(&b);
  door__jwk_unref(ec);
  door__jwk_unref(rsa);
}

static void test_alg_not_allowed(void) {
  door_jwk *ec = ec_pub(NULL), *rsa = rsa_pub(), *hk = NULL;
  T_EQ_ERR(h_secret_b64(RFC7515_A1_K, NULL, &hk), DOOR_OK);
  T_EQ_ERR(h_parse_verify(RFC7515_A3_JWS, ec, DOOR_ALG_RS256),
           DOOR_EALG_NOT_ALLOWED);
  T_EQ_ERR(h_parse_verify(RFC7515_A2_JWS, rsa, DOOR_ALG_PS256),
           DOOR_EALG_NOT_ALLOWED);
  T_EQ_ERR(h_parse_verify(RFC7515_A1_JWS, hk, ALL & ~DOOR_ALG_HS256),
           DOOR_EALG_NOT_ALLOWED);
  T_EQ_ERR(h_parse_verify(RFC7515_A3_JWS, ec, 0), DOOR_EALG_NOT_ALLOWED);
  door__jwk_unref(hk);
  door__jwk_unref(ec);
  door__jwk_unref(rsa);
}

static void test_kid_selection(void) {
  door_jwk *a = NULL, *b2 = NULL, *keys[2];
  door_jwks *set = NULL;
  door_jws jws;
  door_buf tok;
  const door_jwk *used = NULL;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "a", &a), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "b", &b2), DOOR_OK);
  keys[0] = a;
  keys[1] = b2;
  T_EQ_ERR(door__jwks_from_keys(keys, 2, &set), DOOR_OK);
  door__buf_init(&tok, 4096);
  /* signed by b, kid b: selected and verified */
  T_EQ_ERR(door__jws_sign(b2, DOOR_ALG_ES256, NULL, "{}", 2, &tok), DOOR_OK);
  T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_ERR(door__jws_verify_jwks(&jws, set, DOOR_ALG_ES256, &used), DOOR_OK);
  T_OK(used == b2);
  door__jws_clear(&jws);
  /* unknown kid */
  {
    json_t *hdr = NULL;
    door_jwk *c = NULL;
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "c", &c), DOOR_OK);
    door__buf_reset(&tok);
    T_EQ_ERR(door__jws_sign(c, DOOR_ALG_ES256, hdr, "{}", 2, &tok), DOOR_OK);
    T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
    T_EQ_ERR(door__jws_verify_jwks(&jws, set, DOOR_ALG_ES256, &used),
             DOOR_EKID_UNKNOWN);
    T_OK(used == NULL);
    door__jws_clear(&jws);
    door__jwk_unref(c);
  }
  /* no kid, two keys that could match */
  {
    door_jwk *nokid = NULL;
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &nokid), DOOR_OK);
    door__buf_reset(&tok);
    T_EQ_ERR(door__jws_sign(nokid, DOOR_ALG_ES256, NULL, "{}", 2, &tok),
             DOOR_OK);
    T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
    T_OK(jws.kid == NULL);
    T_EQ_ERR(door__jws_verify_jwks(&jws, set, DOOR_ALG_ES256, NULL),
             DOOR_EKID_AMBIGUOUS);
    door__jws_clear(&jws);
    door__jwk_unref(nokid);
  }
  /* a signature by key a presented with kid b fails on b */
  {
    door_jwk *imp = NULL;
    door_buf pem;
    door__buf_init(&pem, 8192);
    T_EQ_ERR(door__jwk_to_pem(a, 1, &pem), DOOR_OK);
    T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len, "b", &imp, NULL), DOOR_OK);
    door__buf_reset(&tok);
    T_EQ_ERR(door__jws_sign(imp, DOOR_ALG_ES256, NULL, "{}", 2, &tok), DOOR_OK);
    T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
    T_EQ_ERR(door__jws_verify_jwks(&jws, set, DOOR_ALG_ES256, NULL),
             DOOR_ESIG_INVALID);
    door__jws_clear(&jws);
    door__jwk_unref(imp);
    door__buf_free(&pem);
  }
  door__buf_free(&tok);
  door__jwks_unref(set);
  door__jwk_unref(a);
  door__jwk_unref(b2);
}

/* ---- hostile keys ----------------------------------------------------- */

static void test_jwk_private_members(void) {
  static const char *const members[] = {"d",  "p",  "q",   "dp",
                                        "dq", "qi", "oth", "k"};
  door_buf b;
  door_jwk *k = NULL;
  door_detail d;
  size_t i;
  door__buf_init(&b, 4096);
  for (i = 0; i < 8; i++) {
    door__buf_reset(&b);
    door__buf_puts(&b, "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N
                       "\",\"e\":\"AQAB\",\"");
    door__buf_puts(&b, members[i]);
    door__buf_puts(&b, "\":\"AQAB\"}");
    T_EQ_ERR(h_jwk(b.data, DOOR_JWK_PUBLIC_ONLY, &k, &d), DOOR_EJWK_PRIVATE);
    T_EQ_STR(d.where, members[i]);
    /* in a set too */
    door__buf_reset(&b);
    door__buf_puts(&b, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
                       "\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\",\"");
    door__buf_puts(&b, members[i]);
    door__buf_puts(&b, "\":\"" RFC7515_A3_D "\"}]}");
    {
      door_jwks *set = NULL;
      T_EQ_ERR(door__jwks_parse(b.data, b.len, &set, &d), DOOR_EJWK_PRIVATE);
      T_EQ_STR(d.where, "keys[0]");
    }
  }
  door__buf_free(&b);
}

static void test_jwk_rsa_1024(void) {
  /* 128 bytes of n, top bit set: a 1024-bit modulus */
  unsigned char n[128];
  door_buf b;
  door_jwk *k = NULL;
  door_jwks *set = NULL;
  door_detail d;
  memset(n, 0xc5, sizeof n);
  door__buf_init(&b, 4096);
  door__buf_puts(&b, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
  door__b64url_encode(n, sizeof n, &b);
  door__buf_puts(&b, "\"}");
  T_EQ_ERR(h_jwk(b.data, DOOR_JWK_PUBLIC_ONLY, &k, &d), DOOR_EJWK_WEAK);
  T_EQ_STR(d.where, "n");
  door__buf_reset(&b);
  door__buf_puts(&b, "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
  door__b64url_encode(n, sizeof n, &b);
  door__buf_puts(&b, "\"}]}");
  T_EQ_ERR(door__jwks_parse(b.data, b.len, &set, &d), DOOR_EJWK_WEAK);
  T_EQ_STR(d.where, "keys[0].n");
  /* 2047 bits: 256 bytes with the top bit clear */
  {
    unsigned char n2[256];
    memset(n2, 0x55, sizeof n2);
    n2[0] = 0x7f;
    door__buf_reset(&b);
    door__buf_puts(&b, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
    door__b64url_encode(n2, sizeof n2, &b);
    door__buf_puts(&b, "\"}");
    T_EQ_ERR(h_jwk(b.data, DOOR_JWK_PUBLIC_ONLY, &k, NULL), DOOR_EJWK_WEAK);
  }
  door__buf_free(&b);
}

static void test_jwk_ec_not_on_curve(void) {
  door_jwk *k = NULL;
  door_detail d;
  /* y ending in '1': a non-zero trailing bit, not base64url */
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                 "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
                 DOOR_JWK_PUBLIC_ONLY, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.what, "member is not base64url");
  T_OK(k == NULL);
  /* y one less than the real one: valid encoding, off the curve */
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                 "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aw\"}",
                 DOOR_JWK_PUBLIC_ONLY, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.what, "EC point is not on the P-256 curve");
  /* all-zero point */
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\","
                 "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                 "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                 DOOR_JWK_PUBLIC_ONLY, &k, &d),
           DOOR_EJWK_INVALID);
  /* other curves */
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" RFC7515_A3_X
                 "\",\"y\":\"" RFC7515_A3_Y "\"}",
                 DOOR_JWK_PUBLIC_ONLY, &k, &d),
           DOOR_EJWK_KTY);
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" RFC7515_A3_X
                 "\",\"y\":\"" RFC7515_A3_Y "\"}",
                 DOOR_JWK_PUBLIC_ONLY, &k, &d),
           DOOR_EJWK_KTY);
}

static void test_daccount_jwks(void) {
  door_buf path;
  FILE *f;
  char buf[8192];
  size_t n;
  door_jwks *set = NULL;
  const door_jwk *key = NULL;
  door_buf tok;
  door_jws jws;
  door_detail d;
  door__buf_init(&path, 4096);
  door__buf_puts(&path, DOOR_TEST_DATA_DIR "/daccount-jwks.json");
  f = fopen(path.data, "rb");
  door__buf_free(&path);
  T_OK(f != NULL);
  n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  T_EQ_ERR(door__jwks_parse(buf, n, &set, &d), DOOR_OK);
  T_EQ_INT(door__jwks_count(set), 1);
  T_EQ_INT(door__jwks_skipped(set), 0);
  T_OK(door__jwk_kid(door__jwks_get(set, 0)) == NULL);
  T_EQ_INT(door__jwk_kty(door__jwks_get(set, 0)), DOOR_KTY_RSA);
  T_EQ_INT(EVP_PKEY_get_bits(door__jwk_evp(door__jwks_get(set, 0))), 2048);
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_RS256, &key), DOOR_OK);
  T_OK(key == door__jwks_get(set, 0));
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_ES256, &key),
           DOOR_EKID_UNKNOWN);
  /* an RS256 token without kid reaches that key (and fails on signature) */
  door__buf_init(&tok, 4096);
  {
    unsigned char sig[256];
    memset(sig, 0x42, sizeof sig);
    h_token_sig(&tok, "{\"alg\":\"RS256\"}", "{\"sub\":\"x\"}", sig,
                sizeof sig);
  }
  T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_ERR(door__jws_verify_jwks(&jws, set, DOOR_ALG_RS256, NULL),
           DOOR_ESIG_INVALID);
  door__jws_clear(&jws);
  /* re-published with the leading zero octet it came with */
  door__buf_reset(&tok);
  T_EQ_ERR(door__jwks_to_json(set, DOOR_JWK_OUT_PAD_N, &tok), DOOR_OK);
  T_OK(strstr(tok.data, "\"n\":\"AMxIS3uMOplw3OGRevOrg7O1") != NULL);
  T_OK(strstr(tok.data, "\"e\":\"AQAB\"") != NULL);
  door__buf_free(&tok);
  door__jwks_unref(set);
}

T_MAIN(T_CASE(test_alg_none_every_case), T_CASE(test_hs256_with_rsa_public_key),
       T_CASE(test_es256_psychic_and_range), T_CASE(test_es256_lengths_and_der),
       T_CASE(test_rsa_and_hmac_lengths), T_CASE(test_non_canonical_base64url),
       T_CASE(test_segment_counts), T_CASE(test_100000_dots),
       T_CASE(test_megabyte_segments), T_CASE(test_duplicate_keys),
       T_CASE(test_crit_and_key_headers),
       T_CASE(test_header_and_payload_shapes), T_CASE(test_deep_nesting),
       T_CASE(test_key_type_confusion), T_CASE(test_alg_not_allowed),
       T_CASE(test_kid_selection), T_CASE(test_jwk_private_members),
       T_CASE(test_jwk_rsa_1024), T_CASE(test_jwk_ec_not_on_curve),
       T_CASE(test_daccount_jwks))
