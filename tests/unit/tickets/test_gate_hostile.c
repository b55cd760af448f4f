/* The JOSE module's hostile token table again, through the gate's verifier
 * (its fast path and its diagnosis), plus what only a participation token
 * must refuse: ID and access tokens, another event, expired, not yet valid,
 * issued in the future, another issuer, extra or missing members, a
 * replayed single-use token.  Every refusal is asserted exactly. */
#include "t.h"

#include "jose/vectors.h"
#include "tk.h"

#include <openssl/x509.h>

static door_jwk *g_k1;
static door_gate *g_gate;

static void setup(void) {
  char *jwks;
  if (g_gate)
    return;
  g_k1 = tk_key("k1");
  T_OK(g_k1 != NULL);
  jwks = tk_jwks(&g_k1, 1);
  T_OK(jwks != NULL);
  g_gate = tk_gate(jwks, 0);
  free(jwks);
  T_OK(g_gate != NULL);
}

/* Signed by k1 with header `hdr` and the given claims. */
static door_err signed_with(const char *hdr, const char *payload,
                            door_detail *d) {
  door_buf b;
  door_err err;
  door__buf_init(&b, 1 << 20);
  T_EQ_INT(tk_sign(g_k1, hdr, payload, &b), 0);
  err = tk_verify(g_gate, &b, d);
  door__buf_free(&b);
  return err;
}

static door_err claims_with(const tk_claims *c, door_detail *d) {
  door_buf p;
  door_err err;
  door__buf_init(&p, 1 << 16);
  tk_payload(c, &p);
  err = signed_with(TK_HDR_K1, p.data, d);
  door__buf_free(&p);
  return err;
}

static door_err unsigned_tok(const char *hdr, const char *payload,
                             const char *sig_b64, door_detail *d) {
  door_buf b;
  door_err err;
  door__buf_init(&b, 1 << 20);
  tk_b64(&b, hdr, strlen(hdr));
  door__buf_putc(&b, '.');
  tk_b64(&b, payload, strlen(payload));
  door__buf_putc(&b, '.');
  door__buf_puts(&b, sig_b64);
  err = tk_verify(g_gate, &b, d);
  door__buf_free(&b);
  return err;
}

static void test_valid_token(void) {
  tk_claims c = tk_default();
  door_buf p, b;
  door_gate_result r;
  setup();
  door__buf_init(&p, 4096);
  door__buf_init(&b, 4096);
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(g_k1, TK_HDR_K1, p.data, &b), 0);
  T_EQ_ERR(door_gate_verify(g_gate, b.data, b.len, TK_EVENT, TK_NOW, &r, NULL),
           DOOR_OK);
  T_EQ_STR(r.sub, "pairwise-sub-0001");
  T_EQ_STR(r.tier, "vip");
  T_EQ_STR(r.jti, "jti-0001");
  T_EQ_STR(r.kid, "k1");
  T_EQ_INT(r.exp, TK_NOW + 300);
  /* any member order, JSON whitespace, standard escapes */
  T_EQ_ERR(signed_with("{ \"kid\" : \"k1\",\n\t\"typ\":\"door-participation"
                       "\\u002bjwt\", \"alg\":\"ES256\" }",
                       "{\"jti\":\"j\\u00e9\\/x\",\"exp\":1760000300,"
                       "\"nbf\":1760000000,\"iat\":1760000000,\"tier\":"
                       "\"v\\\"ip\",\"sub\":\"s\\ud83d\\ude00\",\"aud\":"
                       "\"live-2025\",\"iss\":\"https:\\/\\/door.example.jp\"}",
                       NULL),
           DOOR_OK);
  /* the result is zeroed on refusal */
  b.data[b.len - 2] ^= 1;
  T_NE_INT(door_gate_verify(g_gate, b.data, b.len, TK_EVENT, TK_NOW, &r, NULL),
           DOOR_OK);
  T_EQ_STR(r.sub, "");
  T_EQ_INT(r.exp, 0);
  door__buf_free(&p);
  door__buf_free(&b);
}

/* ---- the JOSE module's table ------------------------------------------ */

static void test_alg_none(void) {
  static const char *const spellings[] = {"none", "None", "NONE",
                                          "nOnE", "NoNe", "nONE"};
  door_buf h;
  door_detail d;
  size_t i;
  setup();
  door__buf_init(&h, 256);
  for (i = 0; i < 6; i++) {
    door__buf_reset(&h);
    door__buf_puts(&h, "{\"alg\":\"");
    door__buf_puts(&h, spellings[i]);
    door__buf_puts(&h, "\",\"typ\":\"door-participation+jwt\",\"kid\":\"k1\"}");
    T_EQ_ERR(unsigned_tok(h.data, "{\"sub\":\"admin\"}", "", &d),
             DOOR_EALG_NONE);
    T_EQ_STR(d.where, "header.alg");
    T_EQ_ERR(unsigned_tok(h.data, "{\"sub\":\"admin\"}", "c2ln", NULL),
             DOOR_EALG_NONE);
  }
  T_EQ_ERR(unsigned_tok("{\"alg\":\"none \"}", "{}", "", NULL),
           DOOR_EALG_UNKNOWN);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"\"}", "{}", "", NULL), DOOR_EALG_UNKNOWN);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"es256\",\"typ\":\"door-participation+jwt"
                        "\",\"kid\":\"k1\"}",
                        "{}", "", NULL),
           DOOR_EALG_UNKNOWN);
  door__buf_free(&h);
}

/* HS256 "signed" with the public key in every encoding: never verified,
 * the gate takes ES256 only. */
static void test_hs256_with_public_key(void) {
  door_jwk *pub = NULL, *hk = NULL;
  door_buf pem, tok, p;
  json_t *jw = NULL;
  unsigned char *der = NULL;
  int dl;
  char *jtext;
  const void *secrets[3];
  size_t lens[3], i;
  tk_claims c = tk_default();
  setup();
  door__buf_init(&pem, 8192);
  door__buf_init(&tok, 8192);
  door__buf_init(&p, 4096);
  T_EQ_ERR(door__jwk_to_pem(g_k1, 0, &pem), DOOR_OK);
  T_EQ_ERR(door__jwk_from_pem(pem.data, pem.len, "k1", &pub, NULL), DOOR_OK);
  dl = i2d_PUBKEY(door__jwk_evp(pub), &der);
  T_OK(dl > 0);
  T_EQ_ERR(door__jwk_public_json(pub, 0, &jw), DOOR_OK);
  jtext = json_dumps(jw, JSON_COMPACT);
  secrets[0] = pem.data;
  lens[0] = pem.len;
  secrets[1] = der;
  lens[1] = (size_t)dl;
  secrets[2] = jtext;
  lens[2] = strlen(jtext);
  tk_payload(&c, &p);
  for (i = 0; i < 3; i++) {
    json_t *extra = json_pack("{s:s}", "typ", DOOR_GATE_TYP);
    door_detail d;
    T_EQ_ERR(door__jwk_from_secret(secrets[i], lens[i], "k1", &hk), DOOR_OK);
    door__buf_reset(&tok);
    T_EQ_ERR(door__jws_sign(hk, DOOR_ALG_HS256, extra, p.data, p.len, &tok),
             DOOR_OK);
    T_EQ_ERR(tk_verify(g_gate, &tok, &d), DOOR_EALG_NOT_ALLOWED);
    T_EQ_STR(d.where, "header.alg");
    door__jwk_unref(hk);
    json_decref(extra);
  }
  free(jtext);
  json_decref(jw);
  OPENSSL_free(der);
  door__jwk_unref(pub);
  door__buf_free(&pem);
  door__buf_free(&tok);
  door__buf_free(&p);
}

static const unsigned char p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static door_err es256_with(const unsigned char *sig, size_t len) {
  tk_claims c = tk_default();
  door_buf p, b;
  door_err err;
  door__buf_init(&p, 4096);
  door__buf_init(&b, 4096);
  tk_payload(&c, &p);
  tk_with_sig(TK_HDR_K1, p.data, sig, len, &b);
  err = tk_verify(g_gate, &b, NULL);
  door__buf_free(&p);
  door__buf_free(&b);
  return err;
}

static void good_sig(unsigned char out[64]) {
  tk_claims c = tk_default();
  door_buf p, b;
  const char *s;
  size_t n = 0;
  door__buf_init(&p, 4096);
  door__buf_init(&b, 4096);
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(g_k1, TK_HDR_K1, p.data, &b), 0);
  s = strrchr(b.data, '.') + 1;
  T_EQ_ERR(door__b64url_decode(s, strlen(s), out, 64, &n), DOOR_OK);
  T_EQ_INT(n, 64);
  door__buf_free(&p);
  door__buf_free(&b);
}

static void test_es256_psychic_and_range(void) {
  unsigned char sig[64], good[64];
  setup();
  good_sig(good);
  T_EQ_ERR(es256_with(good, 64), DOOR_OK);
  memset(sig, 0, 64); /* CVE-2022-21449 */
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 64);
  memset(sig, 0, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 64);
  memset(sig + 32, 0, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, p256_n, 32);
  memcpy(sig + 32, good + 32, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 32);
  memcpy(sig + 32, p256_n, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memset(sig, 0xff, 32);
  memcpy(sig + 32, good + 32, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, good, 32);
  memcpy(sig + 32, p256_n, 32);
  sig[63]++;
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_RANGE);
  memcpy(sig, p256_n, 32); /* r = n - 1: in range, wrong */
  sig[31]--;
  memcpy(sig + 32, good + 32, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_INVALID);
  memset(sig, 0, 64);
  sig[31] = 1;
  sig[63] = 1;
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_INVALID);
  memcpy(sig, good + 32, 32); /* swapped */
  memcpy(sig + 32, good, 32);
  T_EQ_ERR(es256_with(sig, 64), DOOR_ESIG_INVALID);
  /* the gate still admits after all that (contexts are reusable) */
  T_EQ_ERR(es256_with(good, 64), DOOR_OK);
}

static void test_es256_lengths_and_der(void) {
  unsigned char sig[80], good[64], *der = NULL;
  ECDSA_SIG *es;
  int dl;
  setup();
  good_sig(good);
  T_EQ_ERR(es256_with(good, 0), DOOR_ESIG_LENGTH);
  T_EQ_ERR(es256_with(good, 63), DOOR_ESIG_LENGTH);
  memcpy(sig, good, 64);
  sig[64] = 0;
  T_EQ_ERR(es256_with(sig, 65), DOOR_ESIG_LENGTH);
  sig[0] = 0;
  memcpy(sig + 1, good, 64);
  T_EQ_ERR(es256_with(sig, 65), DOOR_ESIG_LENGTH);
  es = ECDSA_SIG_new();
  T_OK(es && ECDSA_SIG_set0(es, BN_bin2bn(good, 32, NULL),
                            BN_bin2bn(good + 32, 32, NULL)) == 1);
  dl = i2d_ECDSA_SIG(es, &der);
  T_OK(dl >= 68 && dl <= 72);
  T_EQ_ERR(es256_with(der, (size_t)dl), DOOR_ESIG_LENGTH);
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
}

static void test_other_algs_and_vectors(void) {
  setup();
  /* RFC 7515's RS256, ES256 (no typ) and HS256 tokens */
  T_EQ_ERR(tk_verify_str(g_gate, RFC7515_A2_JWS, NULL), DOOR_EALG_NOT_ALLOWED);
  T_EQ_ERR(tk_verify_str(g_gate, RFC7515_A3_JWS, NULL), DOOR_EGATE_TYP);
  T_EQ_ERR(tk_verify_str(g_gate, RFC7515_A1_JWS, NULL), DOOR_EALG_NOT_ALLOWED);
  /* RS256 naming our EC kid */
  T_EQ_ERR(unsigned_tok("{\"alg\":\"RS256\",\"typ\":\"door-participation+jwt"
                        "\",\"kid\":\"k1\"}",
                        "{}", "AAAA", NULL),
           DOOR_EALG_NOT_ALLOWED);
  T_EQ_ERR(
      unsigned_tok("{\"alg\":\"PS256\",\"kid\":\"k1\"}", "{}", "AAAA", NULL),
      DOOR_EALG_NOT_ALLOWED);
}

static void test_non_canonical_base64url(void) {
  tk_claims c = tk_default();
  door_buf p, good, b;
  door_detail d;
  size_t dot1, dot2, i;
  static const char *const ws[] = {" ", "\t", "\n", "\r\n"};
  setup();
  door__buf_init(&p, 4096);
  door__buf_init(&good, 4096);
  door__buf_init(&b, 4096);
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(g_k1, TK_HDR_K1, p.data, &good), 0);
  dot1 = (size_t)(strchr(good.data, '.') - good.data);
  dot2 = (size_t)(strrchr(good.data, '.') - good.data);
  /* padding after the header, whatever its length */
  door__buf_append(&b, good.data, dot1);
  door__buf_puts(&b, "=");
  door__buf_puts(&b, good.data + dot1);
  T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EB64);
  T_EQ_STR(d.where, "header");
  door__buf_reset(&b); /* signature (86 chars) padded */
  door__buf_puts(&b, good.data);
  door__buf_puts(&b, "==");
  T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EB64);
  T_EQ_STR(d.where, "signature");
  door__buf_reset(&b);
  door__buf_puts(&b, good.data);
  b.data[dot2 + 3] = '+';
  T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_EB64);
  b.data[dot2 + 3] = '/';
  T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_EB64);
  for (i = 0; i < 4; i++) {
    door__buf_reset(&b);
    door__buf_append(&b, good.data, dot1 + 10);
    door__buf_puts(&b, ws[i]);
    door__buf_puts(&b, good.data + dot1 + 10);
    T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EB64);
    T_EQ_STR(d.where, "payload");
  }
  /* non-zero trailing bits in the signature's last character */
  door__buf_reset(&b);
  door__buf_puts(&b, good.data);
  {
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char last = b.data[b.len - 1];
    size_t v = (size_t)(strchr(alpha, last) - alpha);
    b.data[b.len - 1] = alpha[v | 1]; /* 86 chars: 2 spare bits */
    T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EB64);
    T_EQ_STR(d.where, "signature");
  }
  /* a segment of length 1 mod 4 */
  door__buf_reset(&b);
  door__buf_puts(&b, good.data);
  door__buf_puts(&b, "AAA"); /* 86 + 3 characters */
  T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_EB64);
  door__buf_free(&p);
  door__buf_free(&good);
  door__buf_free(&b);
}

static void test_segments_and_sizes(void) {
  size_t mb = (size_t)1 << 20, n = 100000;
  char *big = malloc(mb + 64);
  door_gate_result res;
  door_detail d;
  door_buf b;
  setup();
  T_OK(big != NULL);
  door__buf_init(&b, (size_t)4 << 20);
  T_EQ_ERR(tk_verify_str(g_gate, "", NULL), DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(tk_verify_str(g_gate, "abc", NULL), DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(tk_verify_str(g_gate, "eyJhbGciOiJFUzI1NiJ9.e30", NULL),
           DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(tk_verify_str(g_gate, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA.", NULL),
           DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(tk_verify_str(g_gate, "a.b.c.d.e", NULL), DOOR_EJWS_SEGMENTS);
  T_EQ_ERR(tk_verify_str(g_gate, "..", NULL), DOOR_EJWS_HEADER);
  /* 100000 dots: the size cap answers */
  memset(big, '.', n);
  T_EQ_ERR(door_gate_verify(g_gate, big, n, TK_EVENT, TK_NOW, &res, &d),
           DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "token");
  /* a megabyte of header */
  memset(big, 'A', mb);
  memcpy(big + mb, ".e30.AAAA", 10);
  T_EQ_ERR(door_gate_verify(g_gate, big, mb + 9, TK_EVENT, TK_NOW, &res, &d),
           DOOR_EJWS_TOOBIG);
  /* each segment over its own cap, the token under the total */
  door__buf_puts(&b, "eyJhbGciOiJFUzI1NiJ9.e30.");
  door__buf_append(&b, big, 1028);
  T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "signature");
  door__buf_reset(&b);
  door__buf_append(&b, big, 2052);
  door__buf_puts(&b, ".e30.AAAA");
  T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "header");
  door__buf_reset(&b);
  door__buf_puts(&b, "eyJhbGciOiJFUzI1NiJ9.");
  door__buf_append(&b, big, 12292);
  door__buf_puts(&b, ".AAAA");
  T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EJWS_TOOBIG);
  T_EQ_STR(d.where, "payload");
  door__buf_free(&b);
  free(big);
}

static void test_duplicates_crit_keyrefs(void) {
  door_detail d;
  tk_claims c = tk_default();
  door_buf p;
  setup();
  door__buf_init(&p, 4096);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "{}", "", &d),
           DOOR_EJSON_DUPKEY);
  T_EQ_STR(d.where, "header");
  T_EQ_ERR(
      unsigned_tok("{\"alg\":\"HS256\",\"alg\":\"RS256\"}", "{}", "", NULL),
      DOOR_EJSON_DUPKEY);
  T_EQ_ERR(signed_with(TK_HDR "\"k1\",\"kid\":\"k1\"}", "{}", &d),
           DOOR_EJSON_DUPKEY);
  /* a duplicated claim, signed: refused before the signature */
  tk_payload(&c, &p);
  p.data[p.len - 1] = ',';
  door__buf_puts(&p, "\"aud\":\"other\"}");
  T_EQ_ERR(signed_with(TK_HDR_K1, p.data, &d), DOOR_EJSON_DUPKEY);
  T_EQ_STR(d.where, "payload");
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, "{\"a\":{\"x\":1,\"x\":2}}", "", NULL),
           DOOR_EJSON_DUPKEY);
  /* crit and key-supplying headers */
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}",
                        "{}", "", NULL),
           DOOR_EJWS_CRIT);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"typ\":\"door-participation+jwt"
                        "\",\"kid\":\"k1\",\"crit\":[]}",
                        "{}", "", NULL),
           DOOR_EJWS_CRIT);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"oct\",\"k\":"
                        "\"AAAA\"}}",
                        "{}", "", NULL),
           DOOR_EJWS_KEYREF);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"jku\":\"https://evil/\"}", "{}",
                        "", NULL),
           DOOR_EJWS_KEYREF);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"x5u\":\"https://evil/\"}", "{}",
                        "", NULL),
           DOOR_EJWS_KEYREF);
  T_EQ_ERR(unsigned_tok(TK_HDR "\"k1\",\"x5c\":[\"MIIB\"]}", "{}", "", &d),
           DOOR_EJWS_KEYREF);
  T_EQ_STR(d.where, "x5c");
  door__buf_free(&p);
}

static void test_shapes_and_depth(void) {
  door_buf j;
  door_detail d;
  size_t i;
  setup();
  T_EQ_ERR(unsigned_tok("{}", "{}", "", NULL), DOOR_EJWS_HEADER);
  T_EQ_ERR(unsigned_tok("{\"alg\":256}", "{}", "", NULL), DOOR_EJWS_HEADER);
  T_EQ_ERR(unsigned_tok("[\"alg\",\"ES256\"]", "{}", "", NULL),
           DOOR_EJWS_HEADER);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\"", "{}", "", NULL),
           DOOR_EJWS_HEADER);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"kid\":7}", "{}", "", NULL),
           DOOR_EJWS_HEADER);
  T_EQ_ERR(unsigned_tok("{\"alg\":\"ES256\",\"typ\":null}", "{}", "", NULL),
           DOOR_EJWS_HEADER);
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, "[1]", "", NULL), DOOR_EJWS_PAYLOAD);
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, "\"sub\"", "", NULL), DOOR_EJWS_PAYLOAD);
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, "", "", NULL), DOOR_EJWS_PAYLOAD);
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, "{\"a\":\"\\u0000\"}", "", NULL),
           DOOR_EJWS_PAYLOAD);
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, "{\"a\":\"\xff\"}", "", NULL), DOOR_EUTF8);
  door__buf_init(&j, 8192);
  door__buf_puts(&j, "{\"alg\":\"ES256\",\"x\":");
  for (i = 0; i < 100; i++)
    door__buf_puts(&j, "[ ");
  door__buf_putc(&j, '1');
  for (i = 0; i < 100; i++)
    door__buf_putc(&j, ']');
  door__buf_putc(&j, '}');
  T_EQ_ERR(unsigned_tok(j.data, "{}", "", &d), DOOR_EJSON_DEPTH);
  T_EQ_STR(d.where, "header");
  T_EQ_ERR(unsigned_tok(TK_HDR_K1, j.data, "", &d), DOOR_EJSON_DEPTH);
  T_EQ_STR(d.where, "payload");
  door__buf_free(&j);
}

static void test_kid_selection(void) {
  door_jwk *other = tk_key("k1"), *k2 = tk_key("k2");
  tk_claims c = tk_default();
  door_buf p, b;
  door_detail d;
  setup();
  door__buf_init(&p, 4096);
  door__buf_init(&b, 4096);
  tk_payload(&c, &p);
  /* unknown kid */
  T_EQ_INT(tk_sign(k2, TK_HDR "\"k2\"}", p.data, &b), 0);
  T_EQ_ERR(tk_verify(g_gate, &b, &d), DOOR_EKID_UNKNOWN);
  T_EQ_STR(d.where, "header.kid");
  /* no kid at all */
  T_EQ_INT(tk_sign(g_k1,
                   "{\"alg\":\"ES256\",\"typ\":\"door-participation+"
                   "jwt\"}",
                   p.data, &b),
           0);
  T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_EKID_UNKNOWN);
  /* another key presenting kid k1 */
  T_EQ_INT(tk_sign(other, TK_HDR_K1, p.data, &b), 0);
  T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_ESIG_INVALID);
  /* a kid longer than any key's, or with a control character */
  {
    char hdr[512];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, TK_HDR "\"", sizeof TK_HDR);
    memset(hdr + strlen(hdr), 'k', 200);
    memcpy(hdr + strlen(hdr), "\"}", 3);
    T_EQ_INT(tk_sign(g_k1, hdr, p.data, &b), 0);
    T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_EKID_UNKNOWN);
    T_EQ_INT(tk_sign(g_k1, TK_HDR "\"k\\n1\"}", p.data, &b), 0);
    T_EQ_ERR(tk_verify(g_gate, &b, NULL), DOOR_EKID_UNKNOWN);
  }
  /* a tampered payload */
  T_EQ_INT(tk_sign(g_k1, TK_HDR_K1, p.data, &b), 0);
  {
    size_t dot1 = (size_t)(strchr(b.data, '.') - b.data);
    b.data[dot1 + 5] = b.data[dot1 + 5] == 'A' ? 'B' : 'A';
  }
  T_NE_INT(tk_verify(g_gate, &b, NULL), DOOR_OK);
  door__jwk_unref(other);
  door__jwk_unref(k2);
  door__buf_free(&p);
  door__buf_free(&b);
}

static door_err gate_from(const char *jwks, door_detail *d) {
  door_gate_options o;
  door_gate *g = NULL;
  door_err err;
  door_gate_options_init(&o);
  o.issuer = TK_ISS;
  o.jwks = jwks;
  err = door_gate_new(&o, &g, d);
  door_gate_free(g);
  return err;
}

static void test_hostile_key_sets(void) {
  door_detail d;
  unsigned char n[128];
  door_buf b;
  setup();
  door__buf_init(&b, 8192);
  T_EQ_ERR(
      gate_from(
          "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
          "\",\"y\":\"" RFC7515_A3_Y "\",\"d\":\"" RFC7515_A3_D
          "\",\"kid\":\"a\"}]}",
          &d),
      DOOR_EJWK_PRIVATE);
  memset(n, 0xc5, sizeof n);
  door__buf_puts(&b, "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"");
  door__b64url_encode(n, sizeof n, &b);
  door__buf_puts(&b, "\"}]}");
  T_EQ_ERR(gate_from(b.data, &d), DOOR_EJWK_WEAK);
  T_EQ_ERR(
      gate_from(
          "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X
          "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aw\","
          "\"kid\":\"a\"}]}",
          &d),
      DOOR_EJWK_INVALID);
  /* an RSA-only set (d-account's) has nothing for the gate */
  door__buf_reset(&b);
  door__buf_puts(&b, "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"kid\":"
                     "\"r\",\"n\":\"" RFC7515_A2_N "\"}]}");
  T_EQ_ERR(gate_from(b.data, &d), DOOR_EJWKS_INVALID);
  /* an EC key without kid cannot be named by a token */
  T_EQ_ERR(gate_from("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
                     "\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}]}",
                     &d),
           DOOR_EJWKS_INVALID);
  /* two keys with one kid */
  T_EQ_ERR(gate_from("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
                     "\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
                     "\",\"kid\":\"a\"},{\"kty\":\"EC\",\"crv\":\"P-256\","
                     "\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y
                     "\",\"kid\":\"a\"}]}",
                     &d),
           DOOR_EJWKS_INVALID);
  T_EQ_ERR(gate_from("not json", &d), DOOR_EJWKS_INVALID);
  door__buf_free(&b);
}

/* ---- what only participation tokens refuse ------------------------------ */

static void test_id_and_access_tokens(void) {
  tk_claims c = tk_default();
  door_buf p;
  door_detail d;
  setup();
  door__buf_init(&p, 4096);
  tk_payload(&c, &p);
  /* an ES256 ID token (XMarket's form): typ JWT, or none */
  T_EQ_ERR(signed_with("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
                       "{\"iss\":\"https://xmarket.example\",\"sub\":\"u1\","
                       "\"aud\":\"door\",\"exp\":1760000300,\"iat\":"
                       "1760000000,\"nonce\":\"n\"}",
                       &d),
           DOOR_EGATE_TYP);
  T_EQ_STR(d.where, "header.typ");
  T_EQ_ERR(signed_with("{\"alg\":\"ES256\",\"kid\":\"k1\"}", p.data, NULL),
           DOOR_EGATE_TYP);
  /* an RFC 9068 access token */
  T_EQ_ERR(signed_with("{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}",
                       p.data, NULL),
           DOOR_EGATE_TYP);
  /* typ in another case, or with the application/ prefix */
  T_EQ_ERR(signed_with("{\"alg\":\"ES256\",\"typ\":\"DOOR-participation+jwt\","
                       "\"kid\":\"k1\"}",
                       p.data, NULL),
           DOOR_EGATE_TYP);
  T_EQ_ERR(signed_with("{\"alg\":\"ES256\",\"typ\":\"application/door-"
                       "participation+jwt\",\"kid\":\"k1\"}",
                       p.data, NULL),
           DOOR_EGATE_TYP);
  /* a d-account RS256 ID token */
  T_EQ_ERR(unsigned_tok("{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
                        "{\"iss\":\"https://conf.uw.docomo.ne.jp/\"}", "AAAA",
                        NULL),
           DOOR_EALG_NOT_ALLOWED);
  /* the right header over an ID token's claims */
  T_EQ_ERR(signed_with(TK_HDR_K1,
                       "{\"iss\":\"" TK_ISS "\",\"aud\":\"" TK_EVENT
                       "\",\"sub\":\"s\",\"tier\":\"t\",\"iat\":1760000000,"
                       "\"nbf\":1760000000,\"exp\":1760000300,\"jti\":\"j\","
                       "\"nonce\":\"n\"}",
                       &d),
           DOOR_EGATE_CLAIMS);
  door__buf_free(&p);
}

static void test_claim_checks(void) {
  tk_claims c;
  door_detail d;
  setup();
  c = tk_default();
  c.aud = "live-2026";
  T_EQ_ERR(claims_with(&c, &d), DOOR_EGATE_AUD);
  T_EQ_STR(d.where, "claims.aud");
  c = tk_default();
  c.iss = "https://door.example.jp/";
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_ISS);
  c.iss = "https://evil.example";
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_ISS);
  /* exp with the leeway of 30 s */
  c = tk_default();
  c.exp = TK_NOW - 30;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_EXP);
  c.exp = TK_NOW - 29;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_OK);
  c.exp = TK_NOW - 3600;
  T_EQ_ERR(claims_with(&c, &d), DOOR_EGATE_EXP);
  T_EQ_STR(d.where, "claims.exp");
  /* nbf */
  c = tk_default();
  c.nbf = TK_NOW + 31;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_NBF);
  c.nbf = TK_NOW + 30;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_OK);
  /* iat */
  c = tk_default();
  c.iat = TK_NOW + 31;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_IAT);
  /* expired and for another event: the issuer and event come first */
  c = tk_default();
  c.aud = "x";
  c.exp = 1;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_AUD);
  /* shapes of claims */
  c = tk_default();
  c.sub = "a\\nb";
  T_EQ_ERR(claims_with(&c, &d), DOOR_EGATE_CLAIMS);
  T_EQ_STR(d.where, "sub");
  c = tk_default();
  c.tier = "";
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_CLAIMS);
  c = tk_default();
  c.exp = -5;
  T_EQ_ERR(claims_with(&c, NULL), DOOR_EGATE_CLAIMS);
  T_EQ_ERR(signed_with(TK_HDR_K1,
                       "{\"iss\":\"" TK_ISS "\",\"aud\":[\"" TK_EVENT
                       "\"],\"sub\":\"s\",\"tier\":\"t\",\"iat\":1760000000,"
                       "\"nbf\":1760000000,\"exp\":1760000300,\"jti\":\"j\"}",
                       &d),
           DOOR_EGATE_CLAIMS);
  T_EQ_STR(d.where, "aud");
  T_EQ_ERR(signed_with(TK_HDR_K1,
                       "{\"iss\":\"" TK_ISS "\",\"aud\":\"" TK_EVENT
                       "\",\"sub\":\"s\",\"tier\":\"t\",\"iat\":1760000000,"
                       "\"nbf\":1760000000,\"exp\":1.7600003e9,\"jti\":\"j\"}",
                       &d),
           DOOR_EGATE_CLAIMS);
  T_EQ_STR(d.where, "exp");
  T_EQ_ERR(signed_with(TK_HDR_K1,
                       "{\"iss\":\"" TK_ISS "\",\"aud\":\"" TK_EVENT
                       "\",\"sub\":\"s\",\"tier\":\"t\",\"iat\":1760000000,"
                       "\"nbf\":1760000000,\"exp\":01760000300,\"jti\":\"j\"}",
                       NULL),
           DOOR_EJWS_PAYLOAD);
  T_EQ_ERR(signed_with(TK_HDR_K1,
                       "{\"iss\":\"" TK_ISS "\",\"aud\":\"" TK_EVENT
                       "\",\"sub\":\"s\",\"tier\":\"t\",\"iat\":1760000000,"
                       "\"nbf\":1760000000,\"jti\":\"j\"}",
                       &d),
           DOOR_EGATE_CLAIMS);
  T_EQ_STR(d.where, "exp");
  T_EQ_ERR(signed_with(TK_HDR_K1,
                       "{\"iss\":\"" TK_ISS "\",\"aud\":\"" TK_EVENT
                       "\",\"sub\":\"s\",\"tier\":\"t\",\"iat\":1760000000,"
                       "\"nbf\":1760000000,\"exp\":1760000300,\"jti\":\"j\","
                       "\"admin\":true}",
                       &d),
           DOOR_EGATE_CLAIMS);
  T_EQ_STR(d.where, "claims");
  /* an extra header member */
  c = tk_default();
  {
    door_buf p;
    door__buf_init(&p, 4096);
    tk_payload(&c, &p);
    T_EQ_ERR(signed_with(TK_HDR "\"k1\",\"cty\":\"JWT\"}", p.data, &d),
             DOOR_EGATE_HEADER);
    door__buf_free(&p);
  }
  /* the event id the gate is asked about must be given */
  {
    door_gate_result r;
    T_EQ_ERR(door_gate_verify(g_gate, "a.b.c", 5, "", TK_NOW, &r, NULL),
             DOOR_EINVAL);
    T_EQ_ERR(door_gate_verify(g_gate, "a.b.c", 5, NULL, TK_NOW, &r, NULL),
             DOOR_EINVAL);
  }
}

static void test_single_use_replay(void) {
  door_jwk *k = tk_key("k1");
  char *jwks = tk_jwks(&k, 1);
  door_gate *g = tk_gate(jwks, 1), *multi = tk_gate(jwks, 0);
  tk_claims c = tk_default();
  door_buf p, b;
  door_detail d;
  door_gate_result r;
  T_OK(g && multi);
  door__buf_init(&p, 4096);
  door__buf_init(&b, 4096);
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(k, TK_HDR_K1, p.data, &b), 0);
  T_EQ_ERR(tk_verify(g, &b, NULL), DOOR_OK);
  T_EQ_ERR(tk_verify(g, &b, &d), DOOR_EGATE_REPLAYED);
  T_EQ_STR(d.where, "claims.jti");
  /* the same jti for another event is another admission */
  c.aud = "other-event";
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(k, TK_HDR_K1, p.data, &b), 0);
  T_EQ_ERR(door_gate_verify(g, b.data, b.len, "other-event", TK_NOW, &r, NULL),
           DOOR_OK);
  T_EQ_ERR(door_gate_verify(g, b.data, b.len, "other-event", TK_NOW, &r, NULL),
           DOOR_EGATE_REPLAYED);
  /* a refused token is not recorded: a wrong event, then the right one */
  c = tk_default();
  c.jti = "jti-0002";
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(k, TK_HDR_K1, p.data, &b), 0);
  T_EQ_ERR(door_gate_verify(g, b.data, b.len, "x", TK_NOW, &r, NULL),
           DOOR_EGATE_AUD);
  T_EQ_ERR(tk_verify(g, &b, NULL), DOOR_OK);
  /* multi-use gates admit again */
  T_EQ_ERR(tk_verify(multi, &b, NULL), DOOR_OK);
  T_EQ_ERR(tk_verify(multi, &b, NULL), DOOR_OK);
  door_gate_free(g);
  door_gate_free(multi);
  free(jwks);
  door__jwk_unref(k);
  door__buf_free(&p);
  door__buf_free(&b);
}

static void test_teardown(void) {
  door_gate_free(g_gate);
  door__jwk_unref(g_k1);
  g_gate = NULL;
  g_k1 = NULL;
}

T_MAIN(T_CASE(test_valid_token), T_CASE(test_alg_none),
       T_CASE(test_hs256_with_public_key), T_CASE(test_es256_psychic_and_range),
       T_CASE(test_es256_lengths_and_der), T_CASE(test_other_algs_and_vectors),
       T_CASE(test_non_canonical_base64url), T_CASE(test_segments_and_sizes),
       T_CASE(test_duplicates_crit_keyrefs), T_CASE(test_shapes_and_depth),
       T_CASE(test_kid_selection), T_CASE(test_hostile_key_sets),
       T_CASE(test_id_and_access_tokens), T_CASE(test_claim_checks),
       T_CASE(test_single_use_replay), T_CASE(test_teardown))
