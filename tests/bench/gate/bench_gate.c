/* Participation-token verification benchmark, one run, same tokens:
 *
 *   gate_verify   door_gate_verify (the gate's full check, multi-use)
 *   openssl_raw   the floor: a pre-parsed key, prepared OpenSSL contexts,
 *                 SHA-256 of the signing input and ECDSA verify of a
 *                 DER signature decoded beforehand; nothing else
 *   liboauth2     oauth2_token_verify with the key as a JWK (Debian
 *                 liboauth2, AGPL: linked into this benchmark only)
 *   libjwt        jwt_decode with the public key PEM, alg and aud checked
 *                 (Debian libjwt 1.10, which refuses any typ but "JWT":
 *                 it gets the same claims and key under typ JWT)
 *
 *   bench_gate prepare DIR [N]     keys and N tokens (default 1024) into DIR:
 *                                  jwks.json, pub.pem, tokens.txt, params
 *   bench_gate measure DIR [SECONDS] [ROUNDS]
 *   bench_gate both DIR [SECONDS]
 *
 * measure runs the four in interleaved rounds (SECONDS of CPU time each,
 * default 1, ROUNDS default 5) on the calling thread and reports each
 * one's median rate in verifications per CPU second, so that other load on
 * a shared machine does not tilt the ratios.  both runs gate_verify on two
 * threads for SECONDS (default 2) and reports verifications per
 * wall-clock second (run it on two cores), and the sum of each thread's
 * rate per CPU second (the gate's own scaling, whatever else runs).  Every
 * verification must succeed: a failure stops the benchmark.  Tokens cycle
 * through the set, which defeats liboauth2's result cache (expiry=0 as well).
 * Output: "bench: NAME VALUE UNIT" and "ratio: A vs B X" lines. */
#include "doorauth/gate.h"
#include "jose/jose.h"
#include "tickets/gate_int.h"
#include "util/json.h"

#include <jwt.h>
#include <oauth2/cfg.h>
#include <oauth2/log.h>
#include <oauth2/oauth2.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ISSUER "https://door.example.jp"
#define EVENT "live-2025"
#define MAX_TOKENS 4096

static void die(const char *what) {
  fputs("bench_gate: ", stderr);
  fputs(what, stderr);
  fputc('\n', stderr);
  exit(1);
}

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double wall_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *path_of(const char *dir, const char *name) {
  door_buf b;
  door__buf_init(&b, 4096);
  door__buf_puts(&b, dir);
  door__buf_putc(&b, '/');
  door__buf_puts(&b, name);
  return door__buf_detach(&b);
}

static void put_file(const char *dir, const char *name, const char *data,
                     size_t len) {
  char *p = path_of(dir, name);
  if (door__gate_write_file(p, data, len, 0644, NULL))
    die("cannot write into the output directory");
  free(p);
}

static char *get_file(const char *dir, const char *name, size_t *len) {
  char *p = path_of(dir, name), *text = NULL;
  if (door__gate_read_file(p, (size_t)64 << 20, &text, len, NULL))
    die("cannot read the prepared files (run prepare first)");
  free(p);
  return text;
}

/* ---- prepare ------------------------------------------------------------- */

static int prepare(const char *dir, size_t n) {
  door_jwk *key = NULL;
  json_t *extra = json_pack("{s:s}", "typ", DOOR_GATE_TYP);
  json_t *extra_jwt = json_pack("{s:s}", "typ", "JWT");
  door_buf toks, toks_jwt, jwks, pem, payload;
  door_jwks *set = NULL;
  int64_t now = (int64_t)time(NULL);
  size_t i;
  if (door__jwk_generate(DOOR_ALG_ES256, "bench-key-1", &key) || !extra ||
      !extra_jwt)
    die("key");
  door__buf_init(&toks, (size_t)16 << 20);
  door__buf_init(&toks_jwt, (size_t)16 << 20);
  door__buf_init(&jwks, 65536);
  door__buf_init(&pem, 65536);
  door__buf_init(&payload, 4096);
  for (i = 0; i < n; i++) {
    unsigned char sub[32], jti[16];
    door_buf s, j;
    json_t *claims;
    door__buf_init(&s, 64);
    door__buf_init(&j, 64);
    memset(sub, (int)(i & 0xff), sizeof sub);
    memcpy(jti, &i, sizeof i < sizeof jti ? sizeof i : sizeof jti);
    memset(jti + sizeof i, 0x5a, sizeof jti - sizeof i);
    door__b64url_encode(sub, sizeof sub, &s);
    door__b64url_encode(jti, sizeof jti, &j);
    /* the broker's claim set and member order (src/tickets/issue.c) */
    claims = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "iss", ISSUER,
                       "aud", EVENT, "sub", s.data, "tier", "vip", "iat",
                       (json_int_t)now, "nbf", (json_int_t)now, "exp",
                       (json_int_t)(now + 86400), "jti", j.data);
    door__buf_reset(&payload);
    if (!claims || door__json_dump(claims, &payload) ||
        door__jws_sign(key, DOOR_ALG_ES256, extra, payload.data, payload.len,
                       &toks) ||
        door__buf_putc(&toks, '\n') ||
        door__jws_sign(key, DOOR_ALG_ES256, extra_jwt, payload.data,
                       payload.len, &toks_jwt) ||
        door__buf_putc(&toks_jwt, '\n'))
      die("token");
    json_decref(claims);
    door__buf_free(&s);
    door__buf_free(&j);
  }
  if (door__jwks_from_keys(&key, 1, &set) ||
      door__jwks_to_json(set, 0, &jwks) || door__jwk_to_pem(key, 0, &pem))
    die("jwks");
  put_file(dir, "tokens.txt", toks.data, toks.len);
  put_file(dir, "tokens-jwt.txt", toks_jwt.data, toks_jwt.len);
  put_file(dir, "jwks.json", jwks.data, jwks.len);
  put_file(dir, "pub.pem", pem.data, pem.len);
  put_file(dir, "params", ISSUER " " EVENT "\n", strlen(ISSUER EVENT) + 2);
  door__jwks_unref(set);
  door__jwk_unref(key);
  json_decref(extra);
  json_decref(extra_jwt);
  door__buf_free(&toks);
  door__buf_free(&toks_jwt);
  door__buf_free(&jwks);
  door__buf_free(&pem);
  door__buf_free(&payload);
  return 0;
}

/* ---- the contenders ---------------------------------------------------- */

typedef struct bench_ctx {
  char **tok;
  size_t *len;
  size_t n;
  door_gate *gate;
  /* openssl_raw */
  EVP_PKEY *pkey;
  EVP_PKEY_CTX *pctx;
  EVP_MD_CTX *mctx;
  EVP_MD *md;
  unsigned char (*der)[72];
  size_t *der_len, *input_len;
  /* liboauth2 */
  oauth2_log_t *olog;
  oauth2_cfg_token_verify_t *overify;
  /* libjwt (its 1.x versions refuse any typ but JWT: the same claims and
   * key under typ JWT) */
  char **tok_jwt;
  char *pem;
  size_t pem_len;
  int64_t now;
} bench_ctx;

typedef int (*verify_fn)(bench_ctx *c, size_t i);

static int v_gate(bench_ctx *c, size_t i) {
  door_gate_result r;
  return door_gate_verify(c->gate, c->tok[i], c->len[i], EVENT, c->now, &r,
                          NULL) != DOOR_OK;
}

static int v_raw(bench_ctx *c, size_t i) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (EVP_DigestInit_ex2(c->mctx, c->md, NULL) != 1 ||
      EVP_DigestUpdate(c->mctx, c->tok[i], c->input_len[i]) != 1 ||
      EVP_DigestFinal_ex(c->mctx, md, &mdlen) != 1)
    return 1;
  return EVP_PKEY_verify(c->pctx, c->der[i], c->der_len[i], md, mdlen) != 1;
}

static int v_liboauth2(bench_ctx *c, size_t i) {
  json_t *payload = NULL;
  bool ok = oauth2_token_verify(c->olog, NULL, c->overify, c->tok[i], &payload);
  json_decref(payload);
  return !ok;
}

static int v_libjwt(bench_ctx *c, size_t i) {
  jwt_t *jwt = NULL;
  int rc = jwt_decode(&jwt, c->tok_jwt[i], (const unsigned char *)c->pem,
                      (int)c->pem_len);
  if (rc == 0 &&
      (jwt_get_alg(jwt) != JWT_ALG_ES256 || !jwt_get_grant(jwt, "aud") ||
       strcmp(jwt_get_grant(jwt, "aud"), EVENT) != 0))
    rc = 1;
  jwt_free(jwt);
  return rc != 0;
}

/* Verifications per CPU second over `secs` of this thread's CPU time. */
static const char *g_running = "";

/* 0 when f refuses token 0 with its signature's first byte changed (in
 * both token sets), and still takes the genuine one. */
static int forged_refused(bench_ctx *c, verify_fn f) {
  char *orig = c->tok[0], *orig_jwt = c->tok_jwt[0];
  char *a = strdup(orig), *b = strdup(orig_jwt), *sa, *sb;
  unsigned char der0 = c->der[0][8];
  int refused;
  if (!a || !b)
    die("memory");
  sa = strrchr(a, '.') + 1;
  sb = strrchr(b, '.') + 1;
  *sa = *sa == 'A' ? 'B' : 'A';
  *sb = *sb == 'A' ? 'B' : 'A';
  c->tok[0] = a;
  c->tok_jwt[0] = b;
  c->der[0][8] ^= 1;
  refused = f(c, 0) != 0;
  c->tok[0] = orig;
  c->tok_jwt[0] = orig_jwt;
  c->der[0][8] = der0;
  free(a);
  free(b);
  return refused && f(c, 0) == 0 ? 0 : -1;
}

static double run_for(bench_ctx *c, verify_fn f, double secs, size_t *next) {
  double t0 = cpu_now(), t;
  unsigned long long n = 0;
  do {
    int k;
    for (k = 0; k < 32; k++) {
      if (f(c, *next)) {
        fputs(g_running, stderr);
        die(": a verification failed");
      }
      *next = (*next + 1) % c->n;
      n++;
    }
    t = cpu_now() - t0;
  } while (t < secs);
  return (double)n / t;
}

typedef struct thr {
  bench_ctx *c;
  double secs;
  size_t start;
  unsigned long long n;
  double cpu; /* this thread's CPU seconds */
} thr;

static void *thr_run(void *p) {
  thr *a = p;
  double t0 = wall_now(), c0 = cpu_now();
  size_t i = a->start;
  do {
    int k;
    for (k = 0; k < 32; k++) {
      if (v_gate(a->c, i))
        die("a verification failed");
      i = (i + 1) % a->c->n;
      a->n++;
    }
  } while (wall_now() - t0 < a->secs);
  a->cpu = cpu_now() - c0;
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void load(bench_ctx *c, const char *dir) {
  size_t len = 0, i;
  char *text = get_file(dir, "tokens.txt", &len), *p, *save = NULL;
  char *jwks = get_file(dir, "jwks.json", &len);
  door_gate_options o;
  door_jwks *set = NULL;
  json_t *jw = NULL;
  char *jwk_text, *err;
  memset(c, 0, sizeof *c);
  c->tok = calloc(MAX_TOKENS, sizeof *c->tok);
  c->len = calloc(MAX_TOKENS, sizeof *c->len);
  c->input_len = calloc(MAX_TOKENS, sizeof *c->input_len);
  c->der = calloc(MAX_TOKENS, sizeof *c->der);
  c->der_len = calloc(MAX_TOKENS, sizeof *c->der_len);
  if (!c->tok || !c->len || !c->input_len || !c->der || !c->der_len)
    die("memory");
  for (p = strtok_r(text, "\n", &save); p && c->n < MAX_TOKENS;
       p = strtok_r(NULL, "\n", &save)) {
    const char *dot = strrchr(p, '.');
    unsigned char rs[64];
    size_t n = 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    unsigned char *q;
    c->tok[c->n] = p;
    c->len[c->n] = strlen(p);
    c->input_len[c->n] = (size_t)(dot - p);
    if (door__b64url_decode(dot + 1, strlen(dot + 1), rs, 64, &n) || n != 64 ||
        !es ||
        ECDSA_SIG_set0(es, BN_bin2bn(rs, 32, NULL),
                       BN_bin2bn(rs + 32, 32, NULL)) != 1)
      die("signature");
    q = c->der[c->n];
    c->der_len[c->n] = (size_t)i2d_ECDSA_SIG(es, &q);
    ECDSA_SIG_free(es);
    c->n++;
  }
  if (!c->n)
    die("no tokens");
  c->now = (int64_t)time(NULL);
  /* the gate */
  door_gate_options_init(&o);
  o.issuer = ISSUER;
  o.jwks = jwks;
  if (door_gate_new(&o, &c->gate, NULL))
    die("door_gate_new");
  /* openssl_raw: the key pre-parsed, contexts prepared once */
  if (door__jwks_parse(jwks, strlen(jwks), &set, NULL))
    die("jwks");
  c->pkey = door__jwk_evp(door__jwks_get(set, 0));
  EVP_PKEY_up_ref(c->pkey);
  c->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->pkey, NULL);
  c->mctx = EVP_MD_CTX_new();
  c->md = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (!c->pctx || !c->mctx || !c->md || EVP_PKEY_verify_init(c->pctx) != 1)
    die("openssl");
  /* liboauth2: the JWK, no result cache */
  if (door__jwk_public_json(door__jwks_get(set, 0), 0, &jw))
    die("jwk");
  jwk_text = json_dumps(jw, JSON_COMPACT);
  c->olog = oauth2_log_init(OAUTH2_LOG_ERROR, NULL);
  err = oauth2_cfg_token_verify_add_options(c->olog, &c->overify, "jwk",
                                            jwk_text, "expiry=0");
  if (err)
    die("liboauth2 configuration");
  free(jwk_text);
  json_decref(jw);
  door__jwks_unref(set);
  /* libjwt */
  c->pem = get_file(dir, "pub.pem", &c->pem_len);
  c->tok_jwt = calloc(c->n, sizeof *c->tok_jwt);
  text = get_file(dir, "tokens-jwt.txt", &len);
  save = NULL;
  for (i = 0, p = strtok_r(text, "\n", &save); p && i < c->n;
       p = strtok_r(NULL, "\n", &save))
    c->tok_jwt[i++] = p;
  if (!c->tok_jwt || i != c->n)
    die("tokens-jwt.txt");
}

static int measure(const char *dir, double secs, int rounds) {
  static const struct {
    const char *name;
    verify_fn f;
  } who[] = {{"gate_verify", v_gate},
             {"openssl_raw", v_raw},
             {"liboauth2", v_liboauth2},
             {"libjwt", v_libjwt}};
  enum { N = sizeof who / sizeof who[0] };
  double rates[N][64], med[N];
  bench_ctx c;
  size_t next[N] = {0};
  int r, k;
  if (rounds < 1 || rounds > 64)
    die("rounds: 1 to 64");
  load(&c, dir);
  /* every contender must refuse a forged token: a benchmark of something
   * that does not check the signature would be meaningless */
  for (k = 0; k < N; k++)
    if (forged_refused(&c, who[k].f) != 0) {
      fputs(who[k].name, stderr);
      die(": accepted a token with a wrong signature");
    }
  /* warm up every path once */
  for (k = 0; k < N; k++) {
    g_running = who[k].name;
    run_for(&c, who[k].f, 0.05, &next[k]);
  }
  for (r = 0; r < rounds; r++)
    for (k = 0; k < N; k++)
      rates[k][r] = run_for(&c, who[(k + r) % N].f, secs, &next[(k + r) % N]);
  /* rates[k][r] belongs to who[(k + r) % N]: regroup */
  for (k = 0; k < N; k++) {
    double v[64];
    int n = 0;
    for (r = 0; r < rounds; r++) {
      int j;
      for (j = 0; j < N; j++)
        if ((j + r) % N == k)
          v[n++] = rates[j][r];
    }
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    med[k] = v[n / 2];
    printf("bench: %s %.0f verifies/s\n", who[k].name, med[k]);
  }
  for (k = 1; k < N; k++)
    printf("ratio: gate_verify vs %s %.3f\n", who[k].name, med[0] / med[k]);
  fflush(stdout);
  door_gate_free(c.gate);
  oauth2_cfg_token_verify_free(c.olog, c.overify);
  oauth2_log_free(c.olog);
  EVP_PKEY_CTX_free(c.pctx);
  EVP_MD_CTX_free(c.mctx);
  EVP_MD_free(c.md);
  EVP_PKEY_free(c.pkey);
  return 0;
}

/* gate_verify on two threads, per wall-clock second (run on both cores). */
static int both(const char *dir, double secs) {
  bench_ctx c;
  thr t[2];
  pthread_t th[2];
  double t0, wall;
  size_t warm = 0;
  int i;
  load(&c, dir);
  run_for(&c, v_gate, 0.05, &warm);
  t0 = wall_now();
  for (i = 0; i < 2; i++) {
    t[i].c = &c;
    t[i].secs = secs;
    t[i].start = (size_t)i * c.n / 2;
    t[i].n = 0;
    if (pthread_create(&th[i], NULL, thr_run, &t[i]))
      die("thread");
  }
  for (i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  wall = wall_now() - t0;
  printf("bench: gate_verify_2cores %.0f verifies/s\n",
         (double)(t[0].n + t[1].n) / wall);
  /* What the two threads did per CPU second each, summed: the scaling of
   * the gate itself, whatever else the machine was running. */
  printf("bench: gate_verify_2cores_cpu %.0f verifies/s\n",
         (double)t[0].n / t[0].cpu + (double)t[1].n / t[1].cpu);
  fflush(stdout);
  door_gate_free(c.gate);
  oauth2_cfg_token_verify_free(c.olog, c.overify);
  oauth2_log_free(c.olog);
  EVP_PKEY_CTX_free(c.pctx);
  EVP_MD_CTX_free(c.mctx);
  EVP_MD_free(c.md);
  EVP_PKEY_free(c.pkey);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "prepare") == 0)
    return prepare(argv[2],
                   argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 1024);
  if (argc >= 3 && strcmp(argv[1], "measure") == 0)
    return measure(argv[2], argc > 3 ? strtod(argv[3], NULL) : 1.0,
                   argc > 4 ? atoi(argv[4]) : 5);
  if (argc >= 3 && strcmp(argv[1], "both") == 0)
    return both(argv[2], argc > 3 ? strtod(argv[3], NULL) : 2.0);
  fputs("usage: bench_gate prepare DIR [N] | measure DIR [SECONDS] [ROUNDS]"
        " | both DIR [SECONDS]\n",
        stderr);
  return 2;
}
