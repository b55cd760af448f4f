/* JOSE micro-benchmark: ES256 sign and verify through door__jws_sign /
 * door__jws_verify against a raw OpenSSL loop on the same key (pre-parsed
 * EVP_PKEY, prepared EVP_PKEY_CTX, SHA-256 then ECDSA only: the floor).
 *
 * usage: bench_jose [--seconds S] [--rounds R]
 *        bench_jose --iters N --only NAME   (fixed work, for callgrind)
 * NAME: jose_sign, raw_sign, jose_verify, raw_verify, jose_parse_verify.
 *
 * Rates are per CPU-second of this thread (CLOCK_THREAD_CPUTIME_ID), so
 * other load on a shared machine disturbs them less; each figure is the best
 * of R rounds, the rounds of the jose and raw loops interleaved. */
#include "jose/jose.h"
#include "util/json.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A typical RFC 9068 access token payload, as door-idp issues. */
static const char payload[] =
    "{\"iss\":\"http://127.0.0.1:39523\",\"sub\":\"bench-client\",\"aud\":"
    "\"http://127.0.0.1:39523\",\"client_id\":\"bench-client\",\"iat\":"
    "1795902923,\"exp\":1795906523,\"jti\":\"2E1_OdqGv0p7aXc1Yb9kQw\","
    "\"scope\":\"api\"}";

typedef struct fixture {
  door_jwk *key, *pub;
  json_t *extra;
  door_buf token;         /* one token signed by door__jws_sign */
  door_jws jws;           /* the token, parsed */
  EVP_PKEY_CTX *sign_ctx; /* raw loop: sign_init + md done once */
  EVP_PKEY_CTX *verify_ctx;
  EVP_MD *md;
  unsigned char der[80]; /* the token's signature, DER */
  size_t der_len;
} fixture;

static void die(const char *what) {
  fprintf(stderr, "bench_jose: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* R || S to DER (both < 2^256, positive). */
static size_t der_int(unsigned char *o, const unsigned char *v) {
  size_t i = 0, n, pad;
  while (i < 31 && v[i] == 0)
    i++;
  n = 32 - i;
  pad = (v[i] & 0x80) ? 1 : 0;
  o[0] = 0x02;
  o[1] = (unsigned char)(n + pad);
  o[2] = 0;
  memcpy(o + 2 + pad, v + i, n);
  return 2 + pad + n;
}

static void fixture_init(fixture *f) {
  json_t *pubj = NULL;
  size_t n;
  memset(f, 0, sizeof *f);
  door__buf_init(&f->token, 65536);
  if (door__jwk_generate(DOOR_ALG_ES256, "bench-es256", &f->key))
    die("key generation");
  if (door__jwk_public_json(f->key, 0, &pubj) ||
      door__jwk_parse(pubj, DOOR_JWK_PUBLIC_ONLY, &f->pub, NULL))
    die("public key");
  json_decref(pubj);
  f->extra = json_pack("{s:s}", "typ", "at+jwt");
  if (!f->extra)
    die("json");
  if (door__jws_sign(f->key, DOOR_ALG_ES256, f->extra, payload,
                     sizeof payload - 1, &f->token))
    die("door__jws_sign");
  if (door__jws_parse(f->token.data, f->token.len, NULL, &f->jws, NULL))
    die("door__jws_parse");
  if (door__jws_verify(&f->jws, f->pub, DOOR_ALG_ES256))
    die("door__jws_verify");
  f->md = EVP_MD_fetch(NULL, "SHA256", NULL);
  f->sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, door__jwk_evp(f->key), NULL);
  f->verify_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, door__jwk_evp(f->pub), NULL);
  if (!f->md || !f->sign_ctx || !f->verify_ctx ||
      EVP_PKEY_sign_init(f->sign_ctx) != 1 ||
      EVP_PKEY_CTX_set_signature_md(f->sign_ctx, f->md) != 1 ||
      EVP_PKEY_verify_init(f->verify_ctx) != 1 ||
      EVP_PKEY_CTX_set_signature_md(f->verify_ctx, f->md) != 1)
    die("raw contexts");
  if (f->jws.sig_len != 64)
    die("signature length");
  n = 2;
  n += der_int(f->der + n, f->jws.sig);
  n += der_int(f->der + n, f->jws.sig + 32);
  f->der[0] = 0x30;
  f->der[1] = (unsigned char)(n - 2);
  f->der_len = n;
}

static void fixture_free(fixture *f) {
  door__jws_clear(&f->jws);
  door__buf_free(&f->token);
  json_decref(f->extra);
  door__jwk_unref(f->key);
  door__jwk_unref(f->pub);
  EVP_PKEY_CTX_free(f->sign_ctx);
  EVP_PKEY_CTX_free(f->verify_ctx);
  EVP_MD_free(f->md);
}

typedef void (*op_fn)(fixture *f);

static void op_jose_sign(fixture *f) {
  door_buf out;
  door__buf_init(&out, 65536);
  if (door__jws_sign(f->key, DOOR_ALG_ES256, f->extra, payload,
                     sizeof payload - 1, &out))
    die("door__jws_sign");
  door__buf_free(&out);
}

static void op_raw_sign(fixture *f) {
  unsigned char md[32], sig[80];
  unsigned int mdlen = 0;
  size_t siglen = sizeof sig;
  /* the same signing input door__jws_sign hashes */
  if (EVP_Digest(f->jws.signing_input, f->jws.signing_input_len, md, &mdlen,
                 f->md, NULL) != 1 ||
      EVP_PKEY_sign(f->sign_ctx, sig, &siglen, md, mdlen) != 1)
    die("raw sign");
}

static void op_jose_verify(fixture *f) {
  if (door__jws_verify(&f->jws, f->pub, DOOR_ALG_ES256))
    die("door__jws_verify");
}

static void op_raw_verify(fixture *f) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (EVP_Digest(f->jws.signing_input, f->jws.signing_input_len, md, &mdlen,
                 f->md, NULL) != 1 ||
      EVP_PKEY_verify(f->verify_ctx, f->der, f->der_len, md, mdlen) != 1)
    die("raw verify");
}

static void op_jose_parse_verify(fixture *f) {
  door_jws jws;
  if (door__jws_parse(f->token.data, f->token.len, NULL, &jws, NULL))
    die("door__jws_parse");
  if (door__jws_verify(&jws, f->pub, DOOR_ALG_ES256))
    die("door__jws_verify");
  door__jws_clear(&jws);
}

static const struct {
  const char *name;
  op_fn fn;
} ops[] = {
    {"jose_sign", op_jose_sign},
    {"raw_sign", op_raw_sign},
    {"jose_verify", op_jose_verify},
    {"raw_verify", op_raw_verify},
    {"jose_parse_verify", op_jose_parse_verify},
};

/* ops per CPU-second over about `secs` seconds of CPU. */
static double rate(fixture *f, op_fn fn, double secs) {
  double t0 = cpu_now(), t;
  long n = 0;
  do {
    int i;
    for (i = 0; i < 64; i++)
      fn(f);
    n += 64;
    t = cpu_now() - t0;
  } while (t < secs);
  return (double)n / t;
}

static double best(double a, double b) { return a > b ? a : b; }

int main(int argc, char **argv) {
  double secs = 0.5;
  long iters = 0;
  int rounds = 5, i;
  const char *only = NULL;
  fixture f;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      secs = atof(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
      iters = atol(argv[++i]);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else {
      fprintf(stderr, "usage: bench_jose [--seconds S] [--rounds R] "
                      "[--iters N --only NAME]\n");
      return 2;
    }
  }
  if (secs <= 0 || rounds < 1)
    die("bad --seconds or --rounds");
  fixture_init(&f);
  if (only) {
    size_t k;
    long n;
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
      if (strcmp(ops[k].name, only) != 0)
        continue;
      for (n = 0; n < (iters > 0 ? iters : 1000); n++)
        ops[k].fn(&f);
      fixture_free(&f);
      return 0;
    }
    die("unknown --only name");
  }
  {
    double js = 0, rs = 0, jv = 0, rv = 0, jpv = 0;
    for (i = 0; i < rounds; i++) {
      js = best(js, rate(&f, op_jose_sign, secs));
      rs = best(rs, rate(&f, op_raw_sign, secs));
      jv = best(jv, rate(&f, op_jose_verify, secs));
      rv = best(rv, rate(&f, op_raw_verify, secs));
      jpv = best(jpv, rate(&f, op_jose_parse_verify, secs));
    }
    printf("bench: jose_es256_sign %.0f ops/s\n", js);
    printf("bench: openssl_es256_sign_raw %.0f ops/s\n", rs);
    printf("ratio: jose_es256_sign vs openssl_raw %.3f\n", js / rs);
    printf("bench: jose_es256_verify %.0f ops/s\n", jv);
    printf("bench: openssl_es256_verify_raw %.0f ops/s\n", rv);
    printf("ratio: jose_es256_verify vs openssl_raw %.3f\n", jv / rv);
    printf("bench: jose_es256_parse_verify %.0f ops/s\n", jpv);
  }
  fixture_free(&f);
  return 0;
}
