/* JWK and JWK set details: members, use/alg, skipping, selection, output
 * forms, PEM, reference counts and sharing between threads. */
#include "t.h"

#include "helpers.h"
#include "vectors.h"

#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <pthread.h>

#define RSA_PUB(extra)                                                         \
  "{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\"" extra "}"
#define EC_PUB(extra)                                                          \
  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X                    \
  "\",\"y\":\"" RFC7515_A3_Y "\"" extra "}"

static door_err jwks(const char *text, door_jwks **out, door_detail *d) {
  return door__jwks_parse(text, strlen(text), out, d);
}

static void test_rsa_modulus_forms(void) {
  unsigned char n[260];
  size_t nlen = 0;
  door_buf b;
  door_jwk *k = NULL;
  door_detail d;
  T_EQ_ERR(door__b64url_decode(RFC7520_RSA_N, strlen(RFC7520_RSA_N), n + 2,
                               sizeof n - 2, &nlen),
           DOOR_OK);
  door__buf_init(&b, 4096);
  /* one leading zero octet: tolerated, same key */
  n[1] = 0;
  door__buf_puts(&b, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
  door__b64url_encode(n + 1, nlen + 1, &b);
  door__buf_puts(&b, "\"}");
  T_EQ_ERR(h_jwk(b.data, 0, &k, NULL), DOOR_OK);
  T_EQ_INT(EVP_PKEY_get_bits(door__jwk_evp(k)), 2048);
  door__jwk_unref(k);
  /* two: refused */
  n[0] = 0;
  door__buf_reset(&b);
  door__buf_puts(&b, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
  door__b64url_encode(n, nlen + 2, &b);
  door__buf_puts(&b, "\"}");
  T_EQ_ERR(h_jwk(b.data, 0, &k, &d), DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "n");
  /* an even modulus */
  n[2 + nlen - 1] &= 0xfe;
  door__buf_reset(&b);
  door__buf_puts(&b, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
  door__b64url_encode(n + 2, nlen, &b);
  door__buf_puts(&b, "\"}");
  T_EQ_ERR(h_jwk(b.data, 0, &k, &d), DOOR_EJWK_INVALID);
  /* 8192 bits: unsupported size, skipped in a set */
  {
    unsigned char big[1024];
    door_jwks *set = NULL;
    memset(big, 0xc3, sizeof big);
    door__buf_reset(&b);
    door__buf_puts(&b, "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
    door__b64url_encode(big, sizeof big, &b);
    door__buf_puts(&b, "\"}");
    T_EQ_ERR(h_jwk(b.data, 0, &k, &d), DOOR_EJWK_KTY);
    door__buf_reset(&b);
    door__buf_puts(&b, "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
    door__b64url_encode(big, sizeof big, &b);
    door__buf_puts(&b, "\"}," EC_PUB("") "]}");
    T_EQ_ERR(jwks(b.data, &set, NULL), DOOR_OK);
    T_EQ_INT(door__jwks_count(set), 1);
    T_EQ_INT(door__jwks_skipped(set), 1);
    door__jwks_unref(set);
  }
  /* exponents */
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAA\"}",
                 0, &k, NULL),
           DOOR_EJWK_INVALID); /* even */
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQ\"}",
                 0, &k, NULL),
           DOOR_EJWK_INVALID); /* 1 */
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N
                 "\",\"e\":\"AAEAAQ\"}",
                 0, &k, NULL),
           DOOR_EJWK_INVALID); /* leading zero */
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"\"}", 0,
                 &k, NULL),
           DOOR_EJWK_INVALID); /* empty */
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N "\",\"e\":65537}", 0,
                 &k, NULL),
           DOOR_EJWK_INVALID); /* number */
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N "\"}", 0, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "e");
  T_EQ_ERR(h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7520_RSA_N
                 "=\",\"e\":\"AQAB\"}",
                 0, &k, &d),
           DOOR_EJWK_INVALID); /* padded */
  door__buf_free(&b);
}

static void test_members_use_alg(void) {
  door_jwk *k = NULL;
  door_detail d;
  T_EQ_ERR(h_jwk(RSA_PUB(",\"use\":\"sig\",\"alg\":\"PS256\",\"kid\":\"r1\""),
                 0, &k, NULL),
           DOOR_OK);
  T_EQ_INT(door__jwk_algs(k), DOOR_ALG_PS256);
  T_EQ_STR(door__jwk_kid(k), "r1");
  door__jwk_unref(k);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"use\":\"enc\""), 0, &k, &d), DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "use");
  T_EQ_ERR(h_jwk(RSA_PUB(",\"use\":1"), 0, &k, NULL), DOOR_EJWK_INVALID);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"alg\":\"ES256\""), 0, &k, NULL),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(h_jwk(EC_PUB(",\"alg\":\"RS256\""), 0, &k, NULL),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"alg\":\"HS256\""), 0, &k, NULL),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"alg\":\"RS384\""), 0, &k, NULL),
           DOOR_EALG_UNKNOWN);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"alg\":\"none\""), 0, &k, NULL), DOOR_EALG_NONE);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"alg\":true"), 0, &k, NULL), DOOR_EJWK_INVALID);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"kid\":42"), 0, &k, NULL), DOOR_EJWK_INVALID);
  T_EQ_ERR(h_jwk("{\"n\":\"AQAB\"}", 0, &k, &d), DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "kty");
  T_EQ_ERR(h_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", 0, &k,
                 NULL),
           DOOR_EJWK_KTY);
  T_EQ_ERR(h_jwk("{\"kty\":\"oct\"}", DOOR_JWK_ALLOW_PRIVATE, &k, NULL),
           DOOR_EJWK_KTY);
  T_EQ_ERR(h_jwk("{\"kty\":\"oct\",\"k\":\"AAAA\"}", DOOR_JWK_ALLOW_PRIVATE, &k,
                 NULL),
           DOOR_EJWK_KTY);
  T_EQ_ERR(h_jwk("{\"kty\":\"rsa\"}", 0, &k, NULL), DOOR_EJWK_KTY);
  T_EQ_ERR(h_jwk("[1]", 0, &k, NULL), DOOR_EJWK_INVALID);
  /* EC coordinates must be exactly 32 bytes */
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                 "\",\"y\":\"AAAA\"}",
                 0, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "y");
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA" RFC7515_A3_X
                 "A\",\"y\":\"" RFC7515_A3_Y "\"}",
                 0, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_ERR(h_jwk("{\"kty\":\"EC\",\"x\":\"" RFC7515_A3_X
                 "\",\"y\":\"" RFC7515_A3_Y "\"}",
                 0, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "crv");
}

static void test_private_jwks(void) {
  door_jwk *k = NULL;
  door_detail d;
  /* RFC 7515 A.3's EC private key, then with a wrong d */
  T_EQ_ERR(h_jwk(EC_PUB(",\"d\":\"" RFC7515_A3_D "\""), DOOR_JWK_ALLOW_PRIVATE,
                 &k, NULL),
           DOOR_OK);
  T_EQ_INT(door__jwk_is_private(k), 1);
  door__jwk_unref(k);
  T_EQ_ERR(
      h_jwk(EC_PUB(",\"d\":\"kpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\""),
            DOOR_JWK_ALLOW_PRIVATE, &k, &d),
      DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "d");
  /* RSA: d alone or a partial CRT set are refused, oth too */
  T_EQ_ERR(h_jwk(RSA_PUB(",\"d\":\"" RFC7520_RSA_D "\""),
                 DOOR_JWK_ALLOW_PRIVATE, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.what, "RSA private JWK needs p, q, dp, dq and qi");
  T_EQ_ERR(
      h_jwk(RSA_PUB(",\"d\":\"" RFC7520_RSA_D "\",\"p\":\"" RFC7520_RSA_P "\""),
            DOOR_JWK_ALLOW_PRIVATE, &k, &d),
      DOOR_EJWK_INVALID);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"d\":\"" RFC7520_RSA_D "\",\"oth\":[]"),
                 DOOR_JWK_ALLOW_PRIVATE, &k, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "oth");
  /* CRT values that belong to another key */
  T_EQ_ERR(
      h_jwk(RSA_PUB(",\"d\":\"" RFC7520_RSA_D "\",\"p\":\"" RFC7520_RSA_Q
                    "\",\"q\":\"" RFC7520_RSA_P "\",\"dp\":\"" RFC7520_RSA_DP
                    "\",\"dq\":\"" RFC7520_RSA_DQ "\",\"qi\":\"" RFC7520_RSA_QI
                    "\""),
            DOOR_JWK_ALLOW_PRIVATE, &k, &d),
      DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "d");
}

static void test_jwks_documents(void) {
  door_jwks *set = NULL;
  door_detail d;
  char *big;
  size_t i;
  door_buf b;
  T_EQ_ERR(jwks("not json", &set, &d), DOOR_EJWKS_INVALID);
  T_EQ_ERR(jwks("{}", &set, &d), DOOR_EJWKS_INVALID);
  T_EQ_ERR(jwks("{\"keys\":{}}", &set, &d), DOOR_EJWKS_INVALID);
  T_EQ_ERR(jwks("{\"keys\":[]}", &set, &d), DOOR_EJWKS_INVALID);
  T_EQ_ERR(jwks("{\"keys\":[1]}", &set, &d), DOOR_EJWKS_INVALID);
  T_EQ_STR(d.where, "keys[0]");
  T_EQ_ERR(jwks("[" RSA_PUB("") "]", &set, &d), DOOR_EJWKS_INVALID);
  T_EQ_ERR(jwks("{\"keys\":[],\"keys\":[" RSA_PUB("") "]}", &set, &d),
           DOOR_EJSON_DUPKEY);
  T_EQ_ERR(jwks("{\"keys\":[" RSA_PUB(",\"e\":\"AQAB\"") "]}", &set, &d),
           DOOR_EJSON_DUPKEY);
  /* only unusable keys */
  T_EQ_ERR(jwks("{\"keys\":[" RSA_PUB(",\"use\":\"enc\"") "]}", &set, &d),
           DOOR_EJWKS_INVALID);
  T_OK(set == NULL);
  /* mixed: two usable, four skipped */
  T_EQ_ERR(
      jwks("{\"keys\":[" RSA_PUB(",\"use\":\"enc\"") "," RSA_PUB(
               ",\"kid\":\"r\"") "," EC_PUB(",\"kid\":\"e\"") ","
                                                              "{\"kty\":"
                                                              "\"OKP\","
                                                              "\"crv\":"
                                                              "\"Ed25519\","
                                                              "\"x\":"
                                                              "\"AAAA\"}"
                                                              "," RSA_PUB(
                                                                  ",\"alg\""
                                                                  ":\"RS512"
                                                                  "\"") ","
                                                                        "{"
                                                                        "\""
                                                                        "kt"
                                                                        "y"
                                                                        "\""
                                                                        ":"
                                                                        "\""
                                                                        "EC"
                                                                        "\""
                                                                        ","
                                                                        "\""
                                                                        "cr"
                                                                        "v"
                                                                        "\""
                                                                        ":"
                                                                        "\""
                                                                        "P-"
                                                                        "38"
                                                                        "4"
                                                                        "\""
                                                                        ","
                                                                        "\""
                                                                        "x"
                                                                        "\""
                                                                        ":"
                                                                        "\""
                                                                        "AA"
                                                                        "\""
                                                                        ","
                                                                        "\""
                                                                        "y"
                                                                        "\""
                                                                        ":"
                                                                        "\""
                                                                        "AA"
                                                                        "\""
                                                                        "}]"
                                                                        "}",
           &set, &d),
      DOOR_OK);
  T_EQ_INT(door__jwks_count(set), 2);
  T_EQ_INT(door__jwks_skipped(set), 4);
  T_EQ_STR(door__jwk_kid(door__jwks_get(set, 0)), "r");
  T_EQ_STR(door__jwk_kid(door__jwks_get(set, 1)), "e");
  T_OK(door__jwks_get(set, 2) == NULL);
  door__jwks_unref(set);
  set = NULL;
  /* a malformed supported key is an error, not a skip */
  T_EQ_ERR(jwks("{\"keys\":[" EC_PUB(",\"kid\":\"e\"") ",{\"kty\":\"RSA\","
                                                       "\"e\":\"AQAB\"}]}",
                &set, &d),
           DOOR_EJWK_INVALID);
  T_EQ_STR(d.where, "keys[1].n");
  /* 65 keys */
  door__buf_init(&b, (size_t)1 << 20);
  door__buf_puts(&b, "{\"keys\":[");
  for (i = 0; i < 65; i++) {
    door__buf_puts(&b, i ? "," : "");
    door__buf_puts(&b, EC_PUB(""));
  }
  door__buf_puts(&b, "]}");
  T_EQ_ERR(door__jwks_parse(b.data, b.len, &set, &d), DOOR_ETOOBIG);
  door__buf_free(&b);
  /* over 256 KiB */
  big = malloc((size_t)300 << 10);
  T_OK(big != NULL);
  memset(big, ' ', (size_t)300 << 10);
  T_EQ_ERR(door__jwks_parse(big, (size_t)300 << 10, &set, &d), DOOR_ETOOBIG);
  free(big);
}

static void test_select(void) {
  door_jwk *r1 = NULL, *r2 = NULL, *e1 = NULL, *nokid = NULL, *keys[4];
  door_jwks *set = NULL;
  const door_jwk *k = NULL;
  T_EQ_ERR(h_jwk(RSA_PUB(",\"kid\":\"r1\",\"alg\":\"RS256\""), 0, &r1, NULL),
           DOOR_OK);
  T_EQ_ERR(h_jwk(RSA_PUB(",\"kid\":\"r2\",\"alg\":\"PS256\""), 0, &r2, NULL),
           DOOR_OK);
  T_EQ_ERR(h_jwk(EC_PUB(",\"kid\":\"r1\""), 0, &e1, NULL), DOOR_OK);
  T_EQ_ERR(h_jwk(EC_PUB(""), 0, &nokid, NULL), DOOR_OK);
  keys[0] = r1;
  keys[1] = r2;
  keys[2] = e1;
  T_EQ_ERR(door__jwks_from_keys(keys, 3, &set), DOOR_OK);
  /* same kid on an RSA and an EC key: the alg decides */
  T_EQ_ERR(door__jwks_select(set, "r1", DOOR_ALG_RS256, &k), DOOR_OK);
  T_OK(k == r1);
  T_EQ_ERR(door__jwks_select(set, "r1", DOOR_ALG_ES256, &k), DOOR_OK);
  T_OK(k == e1);
  T_EQ_ERR(door__jwks_select(set, "r1", DOOR_ALG_PS256, &k),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(door__jwks_select(set, "r3", DOOR_ALG_RS256, &k), DOOR_EKID_UNKNOWN);
  /* without kid: the one key allowing the alg */
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_PS256, &k), DOOR_OK);
  T_OK(k == r2);
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_HS256, &k), DOOR_EKID_UNKNOWN);
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_UNKNOWN, &k),
           DOOR_EALG_UNKNOWN);
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_RS256 | DOOR_ALG_PS256, &k),
           DOOR_EALG_UNKNOWN);
  door__jwks_unref(set);
  /* a token kid never matches a key without kid */
  keys[0] = nokid;
  T_EQ_ERR(door__jwks_from_keys(keys, 1, &set), DOOR_OK);
  T_EQ_ERR(door__jwks_select(set, "x", DOOR_ALG_ES256, &k), DOOR_EKID_UNKNOWN);
  T_EQ_ERR(door__jwks_select(set, NULL, DOOR_ALG_ES256, &k), DOOR_OK);
  door__jwks_unref(set);
  keys[1] = NULL;
  T_EQ_ERR(door__jwks_from_keys(keys, 2, &set), DOOR_EINVAL);
  door__jwk_unref(r1);
  door__jwk_unref(r2);
  door__jwk_unref(e1);
  door__jwk_unref(nokid);
}

static void test_output_forms(void) {
  door_jwk *r = NULL, *e = NULL, *keys[2];
  door_jwks *set = NULL, *back = NULL;
  door_buf b;
  json_t *j = NULL;
  const char *s = NULL;
  unsigned char n[300];
  size_t nlen = 0;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_RS256, "rk", &r), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "ek", &e), DOOR_OK);
  T_EQ_INT(door__jwk_is_private(r), 1);
  T_EQ_INT(EVP_PKEY_get_bits(door__jwk_evp(r)), 2048);
  keys[0] = r;
  keys[1] = e;
  T_EQ_ERR(door__jwks_from_keys(keys, 2, &set), DOOR_OK);
  door__buf_init(&b, 65536);
  T_EQ_ERR(door__jwks_to_json(set, 0, &b), DOOR_OK);
  T_OK(strstr(b.data, "\"d\"") == NULL);
  T_OK(strncmp(b.data,
               "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\","
               "\"kid\":\"rk\",\"n\":\"",
               60) == 0);
  /* what we publish, we parse back */
  T_EQ_ERR(door__jwks_parse(b.data, b.len, &back, NULL), DOOR_OK);
  T_EQ_INT(door__jwks_count(back), 2);
  door__jwks_unref(back);
  door__buf_reset(&b);
  T_EQ_ERR(door__jwks_to_json(set,
                              DOOR_JWK_OUT_OMIT_KID | DOOR_JWK_OUT_OMIT_ALG |
                                  DOOR_JWK_OUT_PAD_N,
                              &b),
           DOOR_OK);
  T_OK(strstr(b.data, "\"kid\"") == NULL);
  T_OK(strstr(b.data, "\"alg\"") == NULL);
  T_EQ_ERR(door__json_parse(b.data, b.len, 8, &j, NULL), DOOR_OK);
  T_EQ_ERR(door__json_get_str(json_array_get(json_object_get(j, "keys"), 0),
                              "n", &s),
           DOOR_OK);
  T_EQ_ERR(door__b64url_decode(s, strlen(s), n, sizeof n, &nlen), DOOR_OK);
  T_EQ_INT(nlen, 257);
  T_EQ_INT(n[0], 0);
  T_OK(n[1] & 0x80);
  T_EQ_ERR(door__json_get_str(json_array_get(json_object_get(j, "keys"), 1),
                              "x", &s),
           DOOR_OK);
  T_EQ_INT(strlen(s), 43);
  json_decref(j);
  /* the padded form parses back too (as d-account's does) */
  T_EQ_ERR(door__jwks_parse(b.data, b.len, &back, NULL), DOOR_OK);
  door__jwks_unref(back);
  /* an oct key has no public form */
  {
    door_jwk *h = NULL;
    door_jwks *hs = NULL;
    T_EQ_ERR(door__jwk_from_secret("s", 1, NULL, &h), DOOR_OK);
    T_EQ_ERR(door__jwks_from_keys(&h, 1, &hs), DOOR_OK);
    T_EQ_ERR(door__jwks_to_json(hs, 0, &b), DOOR_EINVAL);
    T_EQ_ERR(door__jwk_to_pem(h, 0, &b), DOOR_EINVAL);
    door__jwks_unref(hs);
    door__jwk_unref(h);
    T_EQ_ERR(door__jwk_from_secret("", 0, NULL, &h), DOOR_EINVAL);
    T_OK(h == NULL);
  }
  door__buf_free(&b);
  door__jwks_unref(set);
  door__jwk_unref(r);
  door__jwk_unref(e);
}

static void test_pem(void) {
  door_jwk *k = NULL, *pub = NULL, *priv = NULL;
  door_buf pem, tok;
  door_detail d;
  door_jws jws;
  door__buf_init(&pem, 16384);
  door__buf_init(&tok, 4096);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "pk", &k), DOOR_OK);
  T_EQ_ERR(door__jwk_to_pem(k, 1, &pem), DOOR_OK);
  T_OK(strncmp(pem.data, "-----BEGIN PRIVATE KEY-----", 27) == 0);
  T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len, "pk", &priv, NULL), DOOR_OK);
  T_EQ_INT(door__jwk_is_private(priv), 1);
  door__buf_reset(&pem);
  T_EQ_ERR(door__jwk_to_pem(k, 0, &pem), DOOR_OK);
  T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len, NULL, &pub, NULL), DOOR_OK);
  T_EQ_INT(door__jwk_is_private(pub), 0);
  T_EQ_ERR(door__jwk_to_pem(pub, 1, &pem), DOOR_EINVAL);
  /* sign with the PEM-loaded private key, verify with the PEM public */
  T_EQ_ERR(door__jws_sign(priv, DOOR_ALG_ES256, NULL, "{}", 2, &tok), DOOR_OK);
  T_EQ_ERR(door__jws_parse(tok.data, tok.len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_ERR(door__jws_verify(&jws, pub, DOOR_ALG_ES256), DOOR_OK);
  door__jws_clear(&jws);
  door__jwk_unref(k);
  door__jwk_unref(pub);
  door__jwk_unref(priv);
  /* garbage, empty, truncated */
  T_EQ_ERR(door__jwk_from_pem("hello", 5, NULL, &k, &d), DOOR_EJWK_INVALID);
  T_EQ_ERR(door__jwk_from_pem("", 0, NULL, &k, &d), DOOR_EINVAL);
  T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len / 2, NULL, &k, &d),
           DOOR_EJWK_INVALID);
  /* PKCS#1 RSA public key, weak RSA, other curve, encrypted */
  {
    EVP_PKEY *p;
    BIO *bio;
    char *data;
    long n;
    p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    T_OK(p != NULL);
    bio = BIO_new(BIO_s_mem());
    T_OK(PEM_write_bio_PUBKEY(bio, p) == 1);
    n = BIO_get_mem_data(bio, &data);
    T_EQ_ERR(door__jwk_from_pem(data, (size_t)n, NULL, &k, &d), DOOR_EJWK_WEAK);
    BIO_free(bio);
    EVP_PKEY_free(p);
    p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    bio = BIO_new(BIO_s_mem());
    T_OK(PEM_write_bio_PUBKEY(bio, p) == 1);
    n = BIO_get_mem_data(bio, &data);
    T_EQ_ERR(door__jwk_from_pem(data, (size_t)n, NULL, &k, &d), DOOR_EJWK_KTY);
    BIO_free(bio);
    EVP_PKEY_free(p);
    p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    bio = BIO_new(BIO_s_mem());
    T_OK(PEM_write_bio_PUBKEY(bio, p) == 1);
    n = BIO_get_mem_data(bio, &data);
    T_EQ_ERR(door__jwk_from_pem(data, (size_t)n, NULL, &k, &d), DOOR_EJWK_KTY);
    BIO_free(bio);
    EVP_PKEY_free(p);
    p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    bio = BIO_new(BIO_s_mem());
    T_OK(PEM_write_bio_PrivateKey(bio, p, EVP_aes_128_cbc(),
                                  (unsigned char *)"pw", 2, NULL, NULL) == 1);
    n = BIO_get_mem_data(bio, &data);
    T_EQ_ERR(door__jwk_from_pem(data, (size_t)n, NULL, &k, &d),
             DOOR_EJWK_INVALID);
    BIO_free(bio);
    EVP_PKEY_free(p);
  }
  /* traditional forms: SEC1 EC private key, PKCS#1 RSA public key */
  {
    door_jwk *r = NULL, *back = NULL;
    OSSL_ENCODER_CTX *ectx;
    unsigned char *out = NULL;
    size_t outlen = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long n;
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &k), DOOR_OK);
    T_OK(PEM_write_bio_PrivateKey_traditional(bio, door__jwk_evp(k), NULL, NULL,
                                              0, NULL, NULL) == 1);
    n = BIO_get_mem_data(bio, &data);
    T_OK(strncmp(data, "-----BEGIN EC PRIVATE KEY-----", 30) == 0);
    T_EQ_ERR(door__jwk_from_pem(data, (size_t)n, NULL, &back, &d), DOOR_OK);
    T_EQ_INT(door__jwk_is_private(back), 1);
    door__jwk_unref(back);
    door__jwk_unref(k);
    BIO_free(bio);
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_RS256, NULL, &r), DOOR_OK);
    ectx = OSSL_ENCODER_CTX_new_for_pkey(door__jwk_evp(r), EVP_PKEY_PUBLIC_KEY,
                                         "PEM", "type-specific", NULL);
    T_OK(ectx != NULL);
    T_OK(OSSL_ENCODER_to_data(ectx, &out, &outlen) == 1);
    OSSL_ENCODER_CTX_free(ectx);
    T_OK(strncmp((char *)out, "-----BEGIN RSA PUBLIC KEY-----", 30) == 0);
    T_EQ_ERR(door__jwk_from_pem((char *)out, outlen, NULL, &back, &d), DOOR_OK);
    T_EQ_INT(door__jwk_is_private(back), 0);
    T_EQ_INT(door__jwk_kty(back), DOOR_KTY_RSA);
    OPENSSL_free(out);
    door__jwk_unref(back);
    door__jwk_unref(r);
  }
  door__buf_free(&pem);
  door__buf_free(&tok);
}

static void test_refcounts(void) {
  door_jwk *k = NULL;
  door_jwks *set = NULL;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_HS256, "h", &k), DOOR_OK);
  T_EQ_INT(door__jwk_kty(k), DOOR_KTY_OCT);
  T_EQ_INT(door__jwk_algs(k), DOOR_ALG_HS256);
  T_OK(door__jwk_evp(k) == NULL);
  T_OK(door__jwk_ref(k) == k);
  door__jwk_unref(k);
  T_EQ_ERR(door__jwks_from_keys(&k, 1, &set), DOOR_OK);
  door__jwk_unref(k); /* the set keeps it alive */
  T_EQ_STR(door__jwk_kid(door__jwks_get(set, 0)), "h");
  T_OK(door__jwks_ref(set) == set);
  door__jwks_unref(set);
  door__jwks_unref(set);
  door__jwk_unref(NULL);
  door__jwks_unref(NULL);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_UNKNOWN, NULL, &k), DOOR_EALG_UNKNOWN);
}

/* Several threads verify with one shared set while the owner drops its
 * reference: keys are immutable and reference counts atomic. */
struct share {
  door_jwks *set;
  const char *tok;
  size_t len;
  int failures;
};

static void *verifier(void *arg) {
  struct share *s = arg;
  int i;
  for (i = 0; i < 200; i++) {
    door_jws jws;
    door_jwks *mine = door__jwks_ref(s->set);
    if (door__jws_parse(s->tok, s->len, NULL, &jws, NULL) ||
        door__jws_verify_jwks(&jws, mine, DOOR_ALG_ES256, NULL))
      s->failures++;
    door__jws_clear(&jws);
    door__jwks_unref(mine);
  }
  return NULL;
}

static void test_threads_share_keys(void) {
  door_jwk *k = NULL;
  door_jwks *set = NULL;
  door_buf tok;
  struct share sh[4];
  pthread_t th[4];
  int i;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "t", &k), DOOR_OK);
  door__buf_init(&tok, 4096);
  T_EQ_ERR(door__jws_sign(k, DOOR_ALG_ES256, NULL, "{\"n\":1}", 7, &tok),
           DOOR_OK);
  T_EQ_ERR(door__jwks_from_keys(&k, 1, &set), DOOR_OK);
  door__jwk_unref(k);
  for (i = 0; i < 4; i++) {
    sh[i].set = set;
    sh[i].tok = tok.data;
    sh[i].len = tok.len;
    sh[i].failures = 0;
    T_EQ_INT(pthread_create(&th[i], NULL, verifier, &sh[i]), 0);
  }
  for (i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  door__jwks_unref(set);
  for (i = 0; i < 4; i++)
    T_EQ_INT(sh[i].failures, 0);
  door__buf_free(&tok);
}

T_MAIN(T_CASE(test_rsa_modulus_forms), T_CASE(test_members_use_alg),
       T_CASE(test_private_jwks), T_CASE(test_jwks_documents),
       T_CASE(test_select), T_CASE(test_output_forms), T_CASE(test_pem),
       T_CASE(test_refcounts), T_CASE(test_threads_share_keys))
