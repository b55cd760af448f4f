/* The prepared-context sign and verify path (jwk_ops.c) and the per-key
 * header cache (jws_sign.c): round trips for every algorithm, a
 * cross-check against the EVP_DigestSign / EVP_DigestVerify path they
 * replaced (written out here), the DER to R || S conversion, and keys
 * shared by threads from their first use. */
#include "t.h"

#include "helpers.h"
#include "jose/jose_int.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <pthread.h>

static const char payload[] =
    "{\"iss\":\"https://idp.example\",\"sub\":\"alice\",\"aud\":\"rp\","
    "\"iat\":1700000000,\"exp\":1700003600,\"jti\":\"x1\"}";
#define PAYLOAD_LEN (sizeof payload - 1)

/* ---- the former path, for the cross-checks ------------------------------ */

static int old_params(EVP_PKEY_CTX *pctx, door_alg alg) {
  if (alg == DOOR_ALG_PS256)
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  if (alg == DOOR_ALG_RS256)
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  return 1;
}

/* EVP_DigestSign over in; ES256 converted with d2i_ECDSA_SIG. */
static int old_sign(EVP_PKEY *pkey, door_alg alg, const char *in, size_t len,
                    unsigned char *sig, size_t *sig_len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  unsigned char der[80];
  size_t n = sizeof der;
  int ok = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, pkey, NULL) !=
          1 ||
      !old_params(pctx, alg))
    goto out;
  if (alg == DOOR_ALG_ES256) {
    const unsigned char *p = der;
    ECDSA_SIG *es;
    const BIGNUM *r = NULL, *s = NULL;
    if (EVP_DigestSign(ctx, der, &n, (const unsigned char *)in, len) != 1)
      goto out;
    es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    if (!es)
      goto out;
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
    ECDSA_SIG_free(es);
    *sig_len = 64;
  } else {
    n = DOOR_JWS_SIG_MAX;
    ok = EVP_DigestSign(ctx, sig, &n, (const unsigned char *)in, len) == 1;
    *sig_len = n;
  }
out:
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

/* R || S to DER through OpenSSL's own encoder. */
static size_t old_der(const unsigned char *rs, unsigned char *der) {
  ECDSA_SIG *es = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
  unsigned char *p = der;
  int n;
  if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    return 0;
  }
  n = i2d_ECDSA_SIG(es, &p);
  ECDSA_SIG_free(es);
  return n > 0 ? (size_t)n : 0;
}

/* 1 when EVP_DigestVerify accepts sig (raw R || S for ES256). */
static int old_verify(EVP_PKEY *pkey, door_alg alg, const char *in, size_t len,
                      const unsigned char *sig, size_t sig_len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  unsigned char der[80];
  int ok = 0;
  if (alg == DOOR_ALG_ES256) {
    sig_len = old_der(sig, der);
    sig = der;
  }
  if (ctx &&
      EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, pkey, NULL) ==
          1 &&
      old_params(pctx, alg))
    ok = EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)in, len) ==
         1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

/* ---- helpers ------------------------------------------------------------ */

/* Splits a compact JWS: signing input length and the decoded signature. */
static void split(const door_buf *tok, size_t *input_len, unsigned char *sig,
                  size_t *sig_len) {
  const char *dot2 = NULL;
  size_t i, dots = 0;
  for (i = 0; i < tok->len; i++) {
    if (tok->data[i] == '.' && ++dots == 2)
      dot2 = tok->data + i;
  }
  T_OK(dot2 != NULL);
  *input_len = (size_t)(dot2 - tok->data);
  T_EQ_ERR(door__b64url_decode(dot2 + 1, tok->len - *input_len - 1, sig,
                               DOOR_JWS_SIG_MAX, sig_len),
           DOOR_OK);
}

static door_jwk *public_of(const door_jwk *k) {
  json_t *pub = NULL;
  door_jwk *pk = NULL;
  T_EQ_ERR(door__jwk_public_json(k, 0, &pub), DOOR_OK);
  T_EQ_ERR(door__jwk_parse(pub, DOOR_JWK_PUBLIC_ONLY, &pk, NULL), DOOR_OK);
  json_decref(pub);
  return pk;
}

/* The decoded header of a compact JWS, as text. */
static void header_text(const door_buf *tok, char *out, size_t cap) {
  const char *dot = memchr(tok->data, '.', tok->len);
  size_t n = 0;
  T_OK(dot != NULL);
  T_EQ_ERR(door__b64url_decode(tok->data, (size_t)(dot - tok->data),
                               (unsigned char *)out, cap - 1, &n),
           DOOR_OK);
  out[n] = '\0';
}

/* ---- round trips and cross-checks --------------------------------------- */

static void crosscheck(door_alg alg) {
  door_jwk *k = NULL, *pub = NULL;
  door_buf tok, tok2;
  unsigned char sig[DOOR_JWS_SIG_MAX], osig[DOOR_JWS_SIG_MAX];
  size_t in_len = 0, sig_len = 0, osig_len = 0;
  int i;
  T_EQ_ERR(door__jwk_generate(alg, "x1", &k), DOOR_OK);
  if (alg != DOOR_ALG_HS256)
    pub = public_of(k);
  door__buf_init(&tok, 16384);
  door__buf_init(&tok2, 16384);
  for (i = 0; i < 3; i++) { /* the first call builds the contexts */
    door__buf_reset(&tok);
    T_EQ_ERR(door__jws_sign_typ(k, alg, "at+jwt", payload, PAYLOAD_LEN, &tok),
             DOOR_OK);
    T_EQ_ERR(h_parse_verify(tok.data, k, alg), DOOR_OK);
    if (pub)
      T_EQ_ERR(h_parse_verify(tok.data, pub, alg), DOOR_OK);
    split(&tok, &in_len, sig, &sig_len);
    if (alg == DOOR_ALG_HS256) {
      unsigned char mac[32];
      unsigned int mlen = 0;
      /* the same bytes as the one-shot HMAC() */
      T_OK(HMAC(EVP_sha256(), k->secret, (int)k->secret_len,
                (const unsigned char *)tok.data, in_len, mac, &mlen) != NULL);
      T_EQ_INT(sig_len, 32);
      T_EQ_MEM(sig, mac, 32);
      continue;
    }
    T_EQ_INT(sig_len, alg == DOOR_ALG_ES256 ? 64 : k->sig_len);
    /* new signature, old verification */
    T_OK(old_verify(door__jwk_evp(pub), alg, tok.data, in_len, sig, sig_len));
    /* old signature, new verification */
    T_OK(old_sign(door__jwk_evp(k), alg, tok.data, in_len, osig, &osig_len));
    T_EQ_INT(osig_len, sig_len);
    T_EQ_ERR(
        door__jws_verify_raw(pub, alg, alg, tok.data, in_len, osig, osig_len),
        DOOR_OK);
    T_EQ_ERR(
        door__jws_verify_raw(k, alg, alg, tok.data, in_len, osig, osig_len),
        DOOR_OK);
    if (alg == DOOR_ALG_RS256) /* deterministic: the very same bytes */
      T_EQ_MEM(sig, osig, sig_len);
    /* a flipped bit fails both ways */
    sig[sig_len / 2] ^= 0x01;
    T_OK(!old_verify(door__jwk_evp(pub), alg, tok.data, in_len, sig, sig_len));
    T_EQ_ERR(
        door__jws_verify_raw(pub, alg, alg, tok.data, in_len, sig, sig_len),
        DOOR_ESIG_INVALID);
    /* another input fails */
    T_EQ_ERR(door__jws_verify_raw(pub, alg, alg, tok.data, in_len - 1, osig,
                                  osig_len),
             DOOR_ESIG_INVALID);
  }
  /* the generic entry point with {"typ":...} makes the same header */
  {
    json_t *extra = json_pack("{s:s}", "typ", "at+jwt");
    door_err e = door__jws_sign(k, alg, extra, payload, PAYLOAD_LEN, &tok2);
    json_decref(extra);
    T_EQ_ERR(e, DOOR_OK);
  }
  {
    char h1[256], h2[256];
    header_text(&tok, h1, sizeof h1);
    header_text(&tok2, h2, sizeof h2);
    T_EQ_STR(h1, h2);
  }
  door__buf_free(&tok);
  door__buf_free(&tok2);
  door__jwk_unref(pub);
  door__jwk_unref(k);
}

static void test_crosscheck_es256(void) { crosscheck(DOOR_ALG_ES256); }
static void test_crosscheck_rs256(void) { crosscheck(DOOR_ALG_RS256); }
static void test_crosscheck_ps256(void) { crosscheck(DOOR_ALG_PS256); }
static void test_crosscheck_hs256(void) { crosscheck(DOOR_ALG_HS256); }

/* One RSA key (no alg member) signs and verifies RS256 and PS256 with two
 * distinct prepared contexts, and neither verifies the other's. */
static void test_rsa_both_paddings(void) {
  door_jwk *gen = NULL, *k = NULL, *pub = NULL;
  door_buf pem, rs, ps;
  int i;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_RS256, NULL, &gen), DOOR_OK);
  door__buf_init(&pem, 65536);
  T_EQ_ERR(door__jwk_to_pem(gen, 1, &pem), DOOR_OK);
  T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len, "both", &k, NULL), DOOR_OK);
  T_EQ_INT(door__jwk_algs(k), DOOR_ALG_RS256 | DOOR_ALG_PS256);
  pub = public_of(k);
  door__buf_init(&rs, 16384);
  door__buf_init(&ps, 16384);
  for (i = 0; i < 2; i++) {
    door__buf_reset(&rs);
    door__buf_reset(&ps);
    T_EQ_ERR(door__jws_sign(k, DOOR_ALG_RS256, NULL, payload, PAYLOAD_LEN, &rs),
             DOOR_OK);
    T_EQ_ERR(door__jws_sign(k, DOOR_ALG_PS256, NULL, payload, PAYLOAD_LEN, &ps),
             DOOR_OK);
    T_EQ_ERR(h_parse_verify(rs.data, pub, DOOR_ALG_RS256), DOOR_OK);
    T_EQ_ERR(h_parse_verify(ps.data, pub, DOOR_ALG_PS256), DOOR_OK);
  }
  /* a PS256 signature presented as RS256 (same signing input otherwise) */
  {
    unsigned char sig[DOOR_JWS_SIG_MAX];
    size_t in_len = 0, sig_len = 0;
    split(&ps, &in_len, sig, &sig_len);
    T_EQ_ERR(door__jws_verify_raw(pub, DOOR_ALG_RS256, DOOR_ALG_ALL, ps.data,
                                  in_len, sig, sig_len),
             DOOR_ESIG_INVALID);
    split(&rs, &in_len, sig, &sig_len);
    T_EQ_ERR(door__jws_verify_raw(pub, DOOR_ALG_PS256, DOOR_ALG_ALL, rs.data,
                                  in_len, sig, sig_len),
             DOOR_ESIG_INVALID);
  }
  door__buf_free(&pem);
  door__buf_free(&rs);
  door__buf_free(&ps);
  door__jwk_unref(pub);
  door__jwk_unref(k);
  door__jwk_unref(gen);
}

/* The checks ahead of any crypto are unchanged. */
static void test_checks_kept(void) {
  door_jwk *ec = NULL, *pub = NULL, *hs = NULL;
  door_buf b;
  unsigned char sig[64];
  json_t *two = json_pack("{s:s,s:i}", "typ", "JWT", "x", 1);
  json_t *alg = json_pack("{s:s}", "alg", "none");
  json_t *kid = json_pack("{s:s}", "kid", "other");
  json_t *num = json_pack("{s:i}", "typ", 1);
  door__buf_init(&b, 16384);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "e", &ec), DOOR_OK);
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_HS256, "h", &hs), DOOR_OK);
  pub = public_of(ec);
  T_EQ_ERR(door__jws_sign_typ(pub, DOOR_ALG_ES256, "JWT", "{}", 2, &b),
           DOOR_EINVAL);
  T_EQ_ERR(door__jws_sign_typ(ec, DOOR_ALG_RS256, "JWT", "{}", 2, &b),
           DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(door__jws_sign_typ(ec, DOOR_ALG_UNKNOWN, NULL, "{}", 2, &b),
           DOOR_EALG_UNKNOWN);
  T_EQ_ERR(door__jws_sign_typ(NULL, DOOR_ALG_ES256, NULL, "{}", 2, &b),
           DOOR_EINVAL);
  T_EQ_ERR(door__jws_sign_typ(ec, DOOR_ALG_ES256, NULL, NULL, 2, &b),
           DOOR_EINVAL);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, alg, "{}", 2, &b), DOOR_EINVAL);
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, kid, "{}", 2, &b), DOOR_EINVAL);
  T_EQ_INT(b.len, 0);
  /* headers outside the cache are built per call, members in order */
  T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, two, "{}", 2, &b), DOOR_OK);
  {
    char h[256];
    header_text(&b, h, sizeof h);
    T_EQ_STR(h, "{\"alg\":\"ES256\",\"kid\":\"e\",\"typ\":\"JWT\",\"x\":1}");
    door__buf_reset(&b);
    T_EQ_ERR(door__jws_sign(ec, DOOR_ALG_ES256, num, "{}", 2, &b), DOOR_OK);
    header_text(&b, h, sizeof h);
    T_EQ_STR(h, "{\"alg\":\"ES256\",\"kid\":\"e\",\"typ\":1}");
    door__buf_reset(&b);
    T_EQ_ERR(door__jws_sign_typ(ec, DOOR_ALG_ES256, NULL, "{}", 2, &b),
             DOOR_OK);
    header_text(&b, h, sizeof h);
    T_EQ_STR(h, "{\"alg\":\"ES256\",\"kid\":\"e\"}");
    door__buf_reset(&b);
    T_EQ_ERR(door__jws_sign_typ(ec, DOOR_ALG_ES256, "a\"b", "{}", 2, &b),
             DOOR_OK);
    header_text(&b, h, sizeof h);
    T_EQ_STR(h, "{\"alg\":\"ES256\",\"kid\":\"e\",\"typ\":\"a\\\"b\"}");
  }
  /* ES256 verification: length and range refused before any crypto */
  memset(sig, 0, sizeof sig);
  T_EQ_ERR(door__jws_verify_raw(pub, DOOR_ALG_ES256, DOOR_ALG_ES256, "a.b", 3,
                                sig, 63),
           DOOR_ESIG_LENGTH);
  T_EQ_ERR(door__jws_verify_raw(pub, DOOR_ALG_ES256, DOOR_ALG_ES256, "a.b", 3,
                                sig, 64),
           DOOR_ESIG_RANGE);
  T_EQ_ERR(door__jws_verify_raw(pub, DOOR_ALG_ES256, DOOR_ALG_RS256, "a.b", 3,
                                sig, 64),
           DOOR_EALG_NOT_ALLOWED);
  T_EQ_ERR(door__jws_verify_raw(hs, DOOR_ALG_HS256, DOOR_ALG_HS256, "a.b", 3,
                                sig, 31),
           DOOR_ESIG_LENGTH);
  T_EQ_ERR(door__jws_verify_raw(hs, DOOR_ALG_HS256, DOOR_ALG_HS256, "a.b", 3,
                                sig, 32),
           DOOR_ESIG_INVALID);
  /* an oct key never becomes an EC or RSA context, nor a pkey an HMAC */
  T_EQ_ERR(
      door__jws_verify_raw(hs, DOOR_ALG_ES256, DOOR_ALG_ALL, "a.b", 3, sig, 64),
      DOOR_EALG_KEY_MISMATCH);
  T_EQ_ERR(door__jws_verify_raw(pub, DOOR_ALG_HS256, DOOR_ALG_ALL, "a.b", 3,
                                sig, 32),
           DOOR_EALG_KEY_MISMATCH);
  json_decref(two);
  json_decref(alg);
  json_decref(kid);
  json_decref(num);
  door__buf_free(&b);
  door__jwk_unref(pub);
  door__jwk_unref(ec);
  door__jwk_unref(hs);
}

/* More (alg, typ) pairs than cache slots: every token still right. */
static void test_header_cache_overflow(void) {
  door_jwk *k = NULL;
  door_buf b, want;
  char typ[16], h[256];
  int i, round;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, NULL, &k), DOOR_OK);
  door__buf_init(&b, 16384);
  door__buf_init(&want, 256);
  for (round = 0; round < 2; round++) {
    for (i = 0; i < DOOR__HDR_SLOTS + 4; i++) {
      typ[0] = 't';
      typ[1] = (char)('a' + i);
      typ[2] = '\0';
      door__buf_reset(&b);
      T_EQ_ERR(door__jws_sign_typ(k, DOOR_ALG_ES256, typ, "{}", 2, &b),
               DOOR_OK);
      header_text(&b, h, sizeof h);
      door__buf_reset(&want);
      door__buf_puts(&want, "{\"alg\":\"ES256\",\"typ\":\"");
      door__buf_puts(&want, typ);
      door__buf_puts(&want, "\"}");
      T_EQ_STR(h, door__buf_str(&want));
      T_EQ_ERR(h_parse_verify(b.data, k, DOOR_ALG_ES256), DOOR_OK);
    }
  }
  door__buf_free(&b);
  door__buf_free(&want);
  door__jwk_unref(k);
}

/* A token's size is the exact reservation: out->max still decides. */
static void test_exact_size(void) {
  door_jwk *k = NULL;
  door_buf big, small;
  T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "k", &k), DOOR_OK);
  door__buf_init(&big, 16384);
  T_EQ_ERR(
      door__jws_sign_typ(k, DOOR_ALG_ES256, "JWT", payload, PAYLOAD_LEN, &big),
      DOOR_OK);
  door__buf_init(&small, big.len);
  T_EQ_ERR(door__jws_sign_typ(k, DOOR_ALG_ES256, "JWT", payload, PAYLOAD_LEN,
                              &small),
           DOOR_OK);
  T_EQ_INT(small.len, big.len);
  door__buf_free(&small);
  door__buf_init(&small, big.len - 1);
  T_EQ_ERR(door__jws_sign_typ(k, DOOR_ALG_ES256, "JWT", payload, PAYLOAD_LEN,
                              &small),
           DOOR_ETOOBIG);
  T_EQ_INT(small.len, 0);
  door__buf_free(&small);
  door__buf_free(&big);
  door__jwk_unref(k);
}

/* ---- DER to R || S ------------------------------------------------------- */

static size_t der_of(const unsigned char *r, size_t rn, const unsigned char *s,
                     size_t sn, unsigned char *der) {
  size_t n = 2;
  der[n++] = 0x02;
  der[n++] = (unsigned char)rn;
  memcpy(der + n, r, rn);
  n += rn;
  der[n++] = 0x02;
  der[n++] = (unsigned char)sn;
  memcpy(der + n, s, sn);
  n += sn;
  der[0] = 0x30;
  der[1] = (unsigned char)(n - 2);
  return n;
}

static void test_der_to_raw(void) {
  static const unsigned char n_minus_1[32] = {
      0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
      0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x50};
  unsigned char der[96], raw[64], v[33], one = 1, zero = 0;
  size_t n;
  /* r = 1, s = n - 1 (with its leading 0x00) */
  v[0] = 0;
  memcpy(v + 1, n_minus_1, 32);
  n = der_of(&one, 1, v, 33, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_OK);
  T_OK(raw[31] == 1 && raw[0] == 0);
  T_EQ_MEM(raw + 32, n_minus_1, 32);
  /* s = n: out of range */
  v[32] = 0x51;
  n = der_of(&one, 1, v, 33, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  /* r = 0 */
  n = der_of(&zero, 1, &one, 1, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  /* negative (top bit set without a 0x00) */
  v[1] = 0x80;
  n = der_of(v + 1, 1, &one, 1, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  /* not minimal: 0x00 before a byte under 0x80 */
  v[0] = 0;
  v[1] = 0x7f;
  n = der_of(v, 2, &one, 1, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  /* its minimal form, r = 0x7f */
  n = der_of(v + 1, 1, &one, 1, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_OK);
  T_OK(raw[31] == 0x7f && raw[30] == 0 && raw[63] == 1);
  /* 33 bytes whose first is not the 0x00 of a positive value */
  v[0] = 0x01;
  memset(v + 1, 0x80, 32);
  n = der_of(v, 33, &one, 1, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  /* empty integer */
  n = der_of(v, 0, &one, 1, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  /* 34-byte integer */
  memset(v, 0, sizeof v);
  {
    unsigned char w[34];
    memset(w, 0, sizeof w);
    w[1] = 0x80;
    n = der_of(w, 34, &one, 1, der);
    T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  }
  /* well-formed, then broken framing */
  memcpy(v, n_minus_1, 32);
  v[0] = 0x7f;
  n = der_of(v, 32, v, 32, der);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_OK);
  T_EQ_MEM(raw, v, 32);
  T_EQ_MEM(raw + 32, v, 32);
  der[n] = 0;
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n + 1, raw), DOOR_ECRYPTO);
  der[1]++;
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n + 1, raw), DOOR_ECRYPTO);
  der[1]--;
  der[0] = 0x31;
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  der[0] = 0x30;
  der[2] = 0x03;
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  der[2] = 0x02;
  der[3] = 33; /* r claims a byte of s */
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_ECRYPTO);
  T_EQ_ERR(door__jwk_es256_der_to_raw(der, 7, raw), DOOR_ECRYPTO);
  T_EQ_ERR(door__jwk_es256_der_to_raw(NULL, 0, raw), DOOR_ECRYPTO);
}

/* Against OpenSSL's decoder on many real signatures (short r and s among
 * them: about 1 in 128 has a leading zero byte). */
static void test_der_matches_openssl(void) {
  EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  EVP_PKEY_CTX *c = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
  unsigned char md[32], der[80], raw[64], want[64];
  int i, shorter = 0;
  T_OK(c != NULL && EVP_PKEY_sign_init(c) == 1);
  memset(md, 0x5a, sizeof md);
  for (i = 0; i < 2000; i++) {
    size_t n = sizeof der;
    const unsigned char *p = der;
    ECDSA_SIG *es;
    const BIGNUM *r = NULL, *s = NULL;
    md[i % 32] ^= (unsigned char)i;
    T_OK(EVP_PKEY_sign(c, der, &n, md, sizeof md) == 1);
    es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    T_OK(es != NULL);
    ECDSA_SIG_get0(es, &r, &s);
    T_OK(BN_bn2binpad(r, want, 32) == 32 &&
         BN_bn2binpad(s, want + 32, 32) == 32);
    shorter += BN_num_bytes(r) < 32 || BN_num_bytes(s) < 32;
    ECDSA_SIG_free(es);
    T_EQ_ERR(door__jwk_es256_der_to_raw(der, n, raw), DOOR_OK);
    T_EQ_MEM(raw, want, 64);
  }
  T_OK(shorter > 0);
  EVP_PKEY_CTX_free(c);
  EVP_PKEY_free(pkey);
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
  door_jwk *key, *pub;
  door_alg alg;
  int failures;
};

static void *work(void *arg) {
  struct worker *w = arg;
  door_buf b;
  int i;
  door__buf_init(&b, 16384);
  for (i = 0; i < 40; i++) {
    door__buf_reset(&b);
    if (door__jws_sign_typ(w->key, w->alg, (i & 1) ? "JWT" : NULL, payload,
                           PAYLOAD_LEN, &b) ||
        h_parse_verify(b.data, w->pub, w->alg))
      w->failures++;
  }
  door__buf_free(&b);
  return NULL;
}

/* Fresh keys shared by threads from their first use: the contexts and
 * headers are built and published concurrently. */
static void test_threads_first_use(void) {
  static const door_alg algs[] = {DOOR_ALG_ES256, DOOR_ALG_PS256,
                                  DOOR_ALG_HS256};
  size_t a;
  for (a = 0; a < sizeof algs / sizeof algs[0]; a++) {
    struct worker w[6];
    pthread_t th[6];
    door_jwk *k = NULL, *pub;
    int i;
    T_EQ_ERR(door__jwk_generate(algs[a], "t", &k), DOOR_OK);
    pub = algs[a] == DOOR_ALG_HS256 ? door__jwk_ref(k) : public_of(k);
    for (i = 0; i < 6; i++) {
      w[i].key = k;
      w[i].pub = pub;
      w[i].alg = algs[a];
      w[i].failures = 0;
      T_EQ_INT(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < 6; i++)
      pthread_join(th[i], NULL);
    for (i = 0; i < 6; i++)
      T_EQ_INT(w[i].failures, 0);
    door__jwk_unref(pub);
    door__jwk_unref(k);
  }
}

T_MAIN(T_CASE(test_crosscheck_es256), T_CASE(test_crosscheck_rs256),
       T_CASE(test_crosscheck_ps256), T_CASE(test_crosscheck_hs256),
       T_CASE(test_rsa_both_paddings), T_CASE(test_checks_kept),
       T_CASE(test_header_cache_overflow), T_CASE(test_exact_size),
       T_CASE(test_der_to_raw), T_CASE(test_der_matches_openssl),
       T_CASE(test_threads_first_use))
