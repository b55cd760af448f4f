/* Compact JWS: RFC 7515 / RFC 7520 vectors, a fixed PS256 vector, sign and
 * verify round trips, header construction, half hashes. */
#include "t.h"

#include "helpers.h"
#include "vectors.h"

static door_jwk *rfc7515_rsa(void) {
  door_jwk *k = NULL;
  door_err err =
      h_jwk("{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}",
            DOOR_JWK_PUBLIC_ONLY, &k, NULL);
  return err ? NULL : k;
}

static door_jwk *rfc7515_ec(int priv) {
  door_jwk *k = NULL;
  door_err err =
      h_jwk(priv ? "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                   "\",\"y\":\"" RFC7515_A3_Y "\",\"d\":\"" RFC7515_A3_D "\"}"
                 : "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
                   "\",\"y\":\"" RFC7515_A3_Y "\"}",
            priv ? DOOR_JWK_ALLOW_PRIVATE : DOOR_JWK_PUBLIC_ONLY, &k, NULL);
  return err ? NULL : k;
}

static door_jwk *rfc7520_rsa(int priv) {
  door_jwk *k = NULL;
  door_err err;
  if (priv)
    err = h_jwk("{\"kty\":\"RSA\",\"kid\":\"" RFC7520_KID
                "\",\"use\":\"sig\",\"n\":\"" RFC7520_RSA_N
                "\",\"e\":\"AQAB\",\"d\":\"" RFC7520_RSA_D
                "\",\"p\":\"" RFC7520_RSA_P "\",\"q\":\"" RFC7520_RSA_Q
                "\",\"dp\":\"" RFC7520_RSA_DP "\",\"dq\":\"" RFC7520_RSA_DQ
                "\",\"qi\":\"" RFC7520_RSA_QI "\"}",
                DOOR_JWK_ALLOW_PRIVATE, &k, NULL);
  else
    err =
        h_jwk("{\"kty\":\"RSA\",\"kid\":\"" RFC7520_KID
              "\",\"use\":\"sig\",\"n\":\"" RFC7520_RSA_N "\",\"e\":\"AQAB\"}",
              DOOR_JWK_PUBLIC_ONLY, &k, NULL);
  return err ? NULL : k;
}

static void test_rfc7515_a1_hs256(void) {
  door_jwk *k = NULL;
  door_jws jws;
  const char *tok = RFC7515_A1_JWS;
  const char *iss = NULL;
  T_EQ_ERR(h_secret_b64(RFC7515_A1_K, NULL, &k), DOOR_OK);
  T_EQ_ERR(door__jws_parse(tok, strlen(tok), NULL, &jws, NULL), DOOR_OK);
  T_EQ_INT(jws.alg, DOOR_ALG_HS256);
  T_EQ_STR(jws.typ, "JWT");
  T_OK(jws.kid == NULL);
  T_EQ_ERR(door__json_get_str(jws.payload, "iss", &iss), DOOR_OK);
  T_EQ_STR(iss, "joe");
  T_EQ_ERR(door__jws_verify(&jws, k, DOOR_ALG_HS256), DOOR_OK);
  T_EQ_ERR(door__jws_verify(&jws, k, DOOR_ALG_RS256), DOOR_EALG_NOT_ALLOWED);
  door__jws_clear(&jws);
  door__jwk_unref(k);
  /* one bit off in the key */
  T_EQ_ERR(h_secret_b64("ByM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH7"
                        "5aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
                        NULL, &k),
           DOOR_OK);
  T_EQ_ERR(h_parse_verify(tok, k, DOOR_ALG_ALL), DOOR_ESIG_INVALID);
  door__jwk_unref(k);
}

static void test_rfc7515_a2_rs256(void) {
  door_jwk *k = rfc7515_rsa();
  T_OK(k != NULL);
  T_EQ_INT(door__jwk_kty(k), DOOR_KTY_RSA);
  T_EQ_INT(door__jwk_algs(k), DOOR_ALG_RS256 | DOOR_ALG_PS256);
  T_EQ_INT(door__jwk_is_private(k), 0);
  T_EQ_ERR(h_parse_verify(RFC7515_A2_JWS, k, DOOR_ALG_RS256), DOOR_OK);
  T_EQ_ERR(h_parse_verify(RFC7515_A2_JWS, k, DOOR_ALG_ES256),
           DOOR_EALG_NOT_ALLOWED);
  door__jwk_unref(k);
}

static void test_rfc7515_a3_es256(void) {
  door_jwk *k = rfc7515_ec(0), *kp = rfc7515_ec(1);
  door_jws jws;
  door_buf b;
  T_OK(k != NULL);
  T_OK(kp != NULL);
  T_EQ_INT(door__jwk_is_private(kp), 1);
  T_EQ_ERR(h_parse_verify(RFC7515_A3_JWS, k, DOOR_ALG_ES256), DOOR_OK);
  T_EQ_ERR(h_parse_verify(RFC7515_A3_JWS, kp, DOOR_ALG_ES256), DOOR_OK);
  /* a fresh signature by the RFC's private key verifies with its public */
  door__buf_init(&b, 4096);
  T_EQ_ERR(door__jws_sign(kp, DOOR_ALG_ES256, NULL, "{\"a\":1}", 7, &b),
           DOOR_OK);
  T_EQ_ERR(door__jws_parse(b.data, b.len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_INT(jws.sig_len, 64);
  T_EQ_ERR(door__jws_verify(&jws, k, DOOR_ALG_ES256), DOOR_OK);
  door__jws_clear(&jws);
  door__buf_free(&b);
  door__jwk_unref(k);
  door__jwk_unref(kp);
}

/* RFC 7520's payload is text, not a JSON object: door__jws_parse refuses
 * it (tokens we accept carry claims), and the signature itself is checked
 * with door__jws_verify_raw. */
static door_err verify_raw_token(const char *tok, const door_jwk *k,
                                 door_alg alg) {
  const char *dot2 = strrchr(tok, '.');
  unsigned char sig[DOOR_JWS_SIG_MAX];
  size_t n = 0;
  door_err err =
      door__b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig, &n);
  if (err)
    return err;
  return door__jws_verify_raw(k, alg, DOOR_ALG_ALL, tok, (size_t)(dot2 - tok),
                              sig, n);
}

static void test_rfc7520_41_rs256(void) {
  door_jwk *pub = rfc7520_rsa(0), *priv = rfc7520_rsa(1);
  door_jws jws;
  door_buf b;
  const char *tok = RFC7520_41_JWS;
  T_OK(pub != NULL);
  T_OK(priv != NULL);
  T_EQ_STR(door__jwk_kid(pub), RFC7520_KID);
  T_EQ_ERR(door__jws_parse(tok, strlen(tok), NULL, &jws, NULL),
           DOOR_EJWS_PAYLOAD);
  T_EQ_ERR(verify_raw_token(tok, pub, DOOR_ALG_RS256), DOOR_OK);
  T_EQ_ERR(verify_raw_token(tok, pub, DOOR_ALG_PS256), DOOR_ESIG_INVALID);
  /* RS256 is deterministic: signing the same input with the RFC's private
   * key must reproduce the RFC's signature exactly. */
  door__buf_init(&b, 8192);
  {
    static const char payload[] =
        "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. "
        "You step onto the road, and if you don't keep your feet, "
        "there\xe2\x80\x99s no knowing where you might be swept off to.";
    T_EQ_ERR(door__jws_sign(priv, DOOR_ALG_RS256, NULL, payload,
                            sizeof payload - 1, &b),
             DOOR_OK);
  }
  T_EQ_STR(door__buf_str(&b), tok);
  door__buf_free(&b);
  door__jwk_unref(pub);
  door__jwk_unref(priv);
}

static void test_rfc7520_42_43_unsupported(void) {
  door_jws jws;
  door_detail d;
  T_EQ_ERR(
      door__jws_parse(RFC7520_42_JWS, strlen(RFC7520_42_JWS), NULL, &jws, &d),
      DOOR_EALG_UNKNOWN);
  T_EQ_STR(d.where, "header.alg");
  T_EQ_ERR(
      door__jws_parse(RFC7520_43_JWS, strlen(RFC7520_43_JWS), NULL, &jws, NULL),
      DOOR_EALG_UNKNOWN);
  T_EQ_INT(door__alg_from_name("PS384", 5), DOOR_ALG_UNKNOWN);
  T_EQ_INT(door__alg_from_name("ES512", 5), DOOR_ALG_UNKNOWN);
  {
    unsigned mask = 0;
    T_EQ_ERR(door__algs_parse("RS256 PS384", &mask, &d), DOOR_EALG_UNKNOWN);
    T_EQ_STR(d.what, "unknown algorithm 'PS384'");
  }
}

static void test_rfc7520_44_hs256(void) {
  door_jwk *k = NULL;
  door_buf b;
  T_EQ_ERR(h_secret_b64(RFC7520_HMAC_K, RFC7520_HMAC_KID, &k), DOOR_OK);
  T_EQ_ERR(verify_raw_token(RFC7520_44_JWS, k, DOOR_ALG_HS256), DOOR_OK);
  /* HMAC is deterministic too */
  door__buf_init(&b, 8192);
  {
    static const char payload[] =
        "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. "
        "You step onto the road, and if you don't keep your feet, "
        "there\xe2\x80\x99s no knowing where you might be swept off to.";
    T_EQ_ERR(door__jws_sign(k, DOOR_ALG_HS256, NULL, payload,
                            sizeof payload - 1, &b),
             DOOR_OK);
  }
  T_EQ_STR(door__buf_str(&b), RFC7520_44_JWS);
  door__buf_free(&b);
  door__jwk_unref(k);
}

static void test_ps256_fixed_vector(void) {
  door_jwk *pub = rfc7520_rsa(0);
  door_jws jws;
  const char *sub = NULL;
  const char *tok = PS256_VECTOR_JWS;
  T_EQ_ERR(door__jws_parse(tok, strlen(tok), NULL, &jws, NULL), DOOR_OK);
  T_EQ_INT(jws.alg, DOOR_ALG_PS256);
  T_EQ_STR(jws.kid, RFC7520_KID);
  T_EQ_ERR(door__json_get_str(jws.payload, "sub", &sub), DOOR_OK);
  T_EQ_STR(sub, "ps256-vector");
  T_EQ_ERR(door__jws_verify(&jws, pub, DOOR_ALG_PS256), DOOR_OK);
  door__jws_clear(&jws);
  /* the same signature claimed as RS256 fails */
  T_EQ_ERR(verify_raw_token(tok, pub, DOOR_ALG_RS256), DOOR_ESIG_INVALID);
  door__jwk_unref(pub);
}

static void roundtrip(door_alg alg) {
  door_jwk *k = NULL, *pubk = NULL;
  door_jws jws;
  door_buf b, jw;
  json_t *extra = json_pack("{s:s}", "typ", "JWT"), *pub = NULL;
  const char *typ = NULL, *kid = NULL;
  T_EQ_ERR(door__jwk_generate(alg, "k1", &k), DOOR_OK);
  T_EQ_INT(door__jwk_algs(k), alg);
  door__buf_init(&b, 16384);
  door__buf_init(&jw, 16384);
  T_EQ_ERR(door__jws_sign(k, alg, extra, "{\"sub\":\"alice\"}", 15, &b),
           DOOR_OK);
  T_EQ_ERR(door__jws_parse(b.data, b.len, NULL, &jws, NULL), DOOR_OK);
  T_EQ_INT(jws.alg, alg);
  T_EQ_STR(jws.kid, "k1");
  T_EQ_STR(jws.typ, "JWT");
  T_EQ_ERR(door__jws_verify(&jws, k, alg), DOOR_OK);
  /* the header is {"alg":..,"kid":..,"typ":..} in that order */
  door__buf_reset(&jw);
  T_EQ_ERR(door__json_dump(jws.header, &jw), DOOR_OK);
  if (alg == DOOR_ALG_ES256)
    T_EQ_STR(door__buf_str(&jw), "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":"
                                 "\"JWT\"}");
  if (alg != DOOR_ALG_HS256) {
    /* verifies with the public JWK, round-tripped through JSON */
    T_EQ_ERR(door__jwk_public_json(k, 0, &pub), DOOR_OK);
    T_OK(json_object_get(pub, "d") == NULL);
    T_EQ_ERR(door__json_get_str(pub, "kid", &kid), DOOR_OK);
    T_EQ_STR(kid, "k1");
    T_EQ_ERR(door__json_get_str(pub, "use", &typ), DOOR_OK);
    T_EQ_STR(typ, "sig");
    T_EQ_ERR(door__jwk_parse(pub, DOOR_JWK_PUBLIC_ONLY, &pubk, NULL), DOOR_OK);
    T_EQ_INT(door__jwk_algs(pubk), alg);
    T_EQ_ERR(door__jws_verify(&jws, pubk, alg), DOOR_OK);
    T_EQ_ERR(door__jws_sign(pubk, alg, NULL, "{}", 2, &jw), DOOR_EINVAL);
    json_decref(pub);
    door__jwk_unref(pubk);
  } else {
    T_EQ_ERR(door__jwk_public_json(k, 0, &pub), DOOR_EINVAL);
  }
  /* tampering with one payload character breaks it */
  {
    char *dot = memchr(b.data, '.', b.len);
    door_jws t;
    dot[1] = dot[1] == 'e' ? 'f' : 'e';
    if (door__jws_parse(b.data, b.len, NULL, &t, NULL) == DOOR_OK) {
      T_EQ_ERR(door__jws_verify(&t, k, alg), DOOR_ESIG_INVALID);
      door__jws_clear(&t);
    }
  }
  door__jws_clear(&jws);
  door__buf_free(&b);
  door__buf_free(&jw);
  json_decref(extra);
  door__jwk_unref(k);
}

static void test_roundtrip_es256(void) { roundtrip(DOOR_ALG_ES256); }
static void test_roundtrip_rs256(void) { roundtrip(DOOR_ALG_RS256); }
static void test_roundtrip_ps256(void) { roundtrip(DOOR_ALG_PS256); }
static void test_roundtrip_hs256(void) { roundtrip(DOOR_ALG_HS256); }

static void test_sign_refusals(void) {
  door_jwk *ec = NULL;
  door_buf b;
  json_t *bad = json_pack("{s:s}", "alg", "none");
  json_t *badkid = json_pack("{s:s}", "kid", "other");
  json_t *notobj = json_string("x");
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &ec), DOOR_OK);
  door__buf_init(&b, 4096);
  door__buf_puts(&b, "prefix:");
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_RS256, NULL, "{}", 2, &b),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_HS256, NULL, "{}", 2, &b),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_UNKNOWN, NULL, "{}", 2, &b),
           DOOR_EALG_UNKNOWN);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, bad, "{}", 2, &b), DOOR_EINVAL);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, badkid, "{}", 2, &b),
           DOOR_EINVAL);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, notobj, "{}", 2, &b),
           DOOR_EINVAL);
  T_EQ_STR(door__buf_str(&b), "prefix:"); /* untouched on failure */
  /* no kid on the key: header is just {"alg":"ES256"} */
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, NULL, "{}", 2, &b), DOOR_OK);
  T_OK(strncmp(b.data, "prefix:eyJhbGciOiJFUzI1NiJ9.e30.", 32) == 0);
  door__buf_free(&b);
  /* a buffer too small fails cleanly */
  door__buf_init(&b, 40);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, NULL, "{}", 2, &b), DOOR_ETOOBIG);
  T_EQ_INT(b.len, 0);
  door__buf_free(&b);
  json_decref(bad);
  json_decref(badkid);
  json_decref(notobj);
  door__jwk_unref(ec);
}

static void test_half_hash(void) {
  /* OIDC Core A.3 / A.4 example: at_hash of
   * "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" */
  door_buf b;
  door__buf_init(&b, 256);
  T_EQ_ERR(door__jose_half_hash(DOOR_ALG_RS256,
                                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                                43, &b),
           DOOR_OK);
  T_EQ_STR(door__buf_str(&b), "77QmUPtjPfzWtF2AnpK9RQ");
  door__buf_reset(&b);
  T_EQ_ERR(door__jose_half_hash(DOOR_ALG_UNKNOWN, "x", 1, &b),
           DOOR_EALG_UNKNOWN);
  door__buf_free(&b);
}

static void test_alg_names(void) {
  unsigned mask = 0;
  door_detail d;
  T_EQ_INT(door__alg_from_name("RS256", 5), DOOR_ALG_RS256);
  T_EQ_INT(door__alg_from_name("rs256", 5), DOOR_ALG_UNKNOWN);
  T_EQ_INT(door__alg_from_name("RS2560", 6), DOOR_ALG_UNKNOWN);
  T_EQ_INT(door__alg_from_name("none", 4), DOOR_ALG_UNKNOWN);
  T_EQ_STR(door__alg_name(DOOR_ALG_PS256), "PS256");
  T_EQ_STR(door__alg_name(DOOR_ALG_RS256 | DOOR_ALG_ES256), "unknown");
  T_EQ_ERR(door__algs_parse("RS256 ES256", &mask, NULL), DOOR_OK);
  T_EQ_INT(mask, DOOR_ALG_RS256 | DOOR_ALG_ES256);
  T_EQ_ERR(door__algs_parse(" PS256,HS256 , ES256", &mask, NULL), DOOR_OK);
  T_EQ_INT(mask, DOOR_ALG_PS256 | DOOR_ALG_HS256 | DOOR_ALG_ES256);
  T_EQ_ERR(door__algs_parse("RS256 NoNe", &mask, &d), DOOR_EALG_NONE);
  T_EQ_STR(d.what, "alg none is never allowed: 'NoNe'");
  T_EQ_INT(mask, 0);
  T_EQ_ERR(door__algs_parse("", &mask, NULL), DOOR_EINVAL);
  T_EQ_ERR(door__algs_parse(" , ", &mask, NULL), DOOR_EINVAL);
}

T_MAIN(T_CASE(test_rfc7515_a1_hs256), T_CASE(test_rfc7515_a2_rs256),
       T_CASE(test_rfc7515_a3_es256), T_CASE(test_rfc7520_41_rs256),
       T_CASE(test_rfc7520_42_43_unsupported), T_CASE(test_rfc7520_44_hs256),
       T_CASE(test_ps256_fixed_vector), T_CASE(test_roundtrip_es256),
       T_CASE(test_roundtrip_rs256), T_CASE(test_roundtrip_ps256),
       T_CASE(test_roundtrip_hs256), T_CASE(test_sign_refusals),
       T_CASE(test_half_hash), T_CASE(test_alg_names))
