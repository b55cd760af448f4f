/* The gate's parts: the strict reader against jansson, the ES256 check
 * against the JOSE module's, the in-memory single-use record, threads on
 * one gate, and key sets from files and URLs (a loopback server with
 * Cache-Control, refetch on an unknown kid, the offline cache). */
#include "t.h"

#include "tickets/gate_int.h"
#include "tk.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

/* ---- the strict reader --------------------------------------------------- */

static door_err rd_claims(const char *s, door__gate_claims *c) {
  return door__gate_read_claims((const unsigned char *)s, strlen(s), c);
}

static door_err rd_header(const char *s, door__gate_header *h) {
  return door__gate_read_header((const unsigned char *)s, strlen(s), h);
}

#define CL_HEAD "{\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"s\",\"tier\":\"t\","
#define CL_TIMES "\"iat\":1,\"nbf\":2,\"exp\":3,"

static void test_reader_takes(void) {
  door__gate_claims c;
  door__gate_header h;
  T_EQ_ERR(rd_claims(CL_HEAD CL_TIMES "\"jti\":\"j\"}", &c), DOOR_OK);
  T_EQ_STR(c.iss, "i");
  T_EQ_INT(c.iss_len, 1);
  T_EQ_INT(c.iat, 1);
  T_EQ_INT(c.nbf, 2);
  T_EQ_INT(c.exp, 3);
  T_EQ_STR(c.jti, "j");
  T_EQ_ERR(rd_claims(" \r\n\t{ \"jti\" : \"\\u00e9\\ud83d\\ude00\\/\\\\\\\"\" ,"
                     "\"exp\":0,\"nbf\":999999999999999,\"iat\":10,\"tier\":"
                     "\"\xe3\x81\x82\",\"sub\":\"s\",\"aud\":\"a\",\"iss\":"
                     "\"i\"}\n",
                     &c),
           DOOR_OK);
  T_EQ_STR(c.jti, "\xc3\xa9\xf0\x9f\x98\x80/\\\"");
  T_EQ_STR(c.tier, "\xe3\x81\x82");
  T_EQ_INT(c.nbf, 999999999999999LL);
  T_EQ_ERR(rd_header("{\"alg\":\"ES256\",\"typ\":\"x\",\"kid\":\"k\"}", &h),
           DOOR_OK);
  T_EQ_STR(h.kid, "k");
  T_EQ_INT(h.kid_len, 1);
}

static void test_reader_refuses(void) {
  static const char *const bad[] = {
      /* structure */
      "",
      "[]",
      "{}",
      "{" CL_TIMES "}",
      CL_HEAD CL_TIMES "\"jti\":\"j\"",
      CL_HEAD CL_TIMES "\"jti\":\"j\"}x",
      CL_HEAD CL_TIMES "\"jti\":\"j\",}",
      CL_HEAD CL_TIMES "\"jti\" \"j\"}",
      /* duplicates, unknown and missing members */
      CL_HEAD CL_TIMES "\"jti\":\"j\",\"jti\":\"j\"}",
      CL_HEAD CL_TIMES "\"jti\":\"j\",\"x\":1}",
      CL_HEAD CL_TIMES "\"jtI\":\"j\"}",
      CL_HEAD "\"iat\":1,\"nbf\":2,\"jti\":\"j\"}",
      /* value types */
      CL_HEAD CL_TIMES "\"jti\":1}",
      CL_HEAD CL_TIMES "\"jti\":null}",
      CL_HEAD CL_TIMES "\"jti\":[\"j\"]}",
      CL_HEAD "\"iat\":\"1\",\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":true,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      /* numbers */
      CL_HEAD "\"iat\":01,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":-1,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":+1,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":1.0,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":1e3,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":1E3,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      CL_HEAD "\"iat\":1000000000000000,\"nbf\":2,\"exp\":3,\"jti\":\"j\"}",
      /* strings */
      CL_HEAD CL_TIMES "\"jti\":\"\"}",
      CL_HEAD CL_TIMES "\"jti\":\"a\\u0000\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\\ud800\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\\udc00\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\\ud800\\u0041\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\\x41\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\\u00g1\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\\'\"}",
      CL_HEAD CL_TIMES "\"jti\":\"a\tb\"}",
      CL_HEAD CL_TIMES "\"jti\":\"a\\nb\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\x7f\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\xff\"}",
      CL_HEAD CL_TIMES "\"jti\":\"\xc0\xaf\"}",         /* overlong */
      CL_HEAD CL_TIMES "\"jti\":\"\xed\xa0\x80\"}",     /* surrogate */
      CL_HEAD CL_TIMES "\"jti\":\"\xf4\x90\x80\x80\"}", /* > U+10FFFF */
      CL_HEAD CL_TIMES "\"jti\":\"\xe3\x81\"}",         /* cut */
      CL_HEAD CL_TIMES "\"jti\":\"j}",
  };
  door__gate_claims c;
  door__gate_header h;
  size_t i;
  char longv[300];
  door_buf b;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (rd_claims(bad[i], &c) != DOOR_EJSON)
      T_FAIL_("reader took #%zu: %s", i, bad[i]);
  /* values past their caps */
  memset(longv, 'x', sizeof longv);
  longv[sizeof longv - 1] = '\0';
  door__buf_init(&b, 4096);
  door__buf_puts(&b, CL_HEAD CL_TIMES "\"jti\":\"");
  door__buf_puts(&b, longv);
  door__buf_puts(&b, "\"}");
  T_EQ_ERR(rd_claims(b.data, &c), DOOR_EJSON);
  door__buf_free(&b);
  /* headers: exactly alg, typ, kid */
  T_EQ_ERR(rd_header("{\"alg\":\"ES256\",\"typ\":\"x\"}", &h), DOOR_EJSON);
  T_EQ_ERR(rd_header("{\"alg\":\"ES256\",\"typ\":\"x\",\"kid\":\"k\",\"cty\":"
                     "\"x\"}",
                     &h),
           DOOR_EJSON);
  T_EQ_ERR(rd_header("{\"alg\":\"ES256\",\"typ\":\"x\",\"kid\":\"\"}", &h),
           DOOR_EJSON);
  T_EQ_ERR(rd_header("{\"alg\":\"ES256ES256ES256ES256\",\"typ\":\"x\",\"kid\":"
                     "\"k\"}",
                     &h),
           DOOR_EJSON);
}

/* Whatever the reader takes, jansson reads to the same values. */
static void test_reader_agrees_with_jansson(void) {
  static const char *const good[] = {
      CL_HEAD CL_TIMES "\"jti\":\"j\"}",
      " {\"jti\":\"\\u00e9\\t\",\"exp\":0,\"nbf\":5,\"iat\":7,\"tier\":\"t\","
      "\"sub\":\"\\\"\",\"aud\":\"a\",\"iss\":\"\\/\"} ",
  };
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    door__gate_claims c;
    json_t *j = NULL;
    door_err rd = rd_claims(good[i], &c);
    T_EQ_ERR(door__json_parse(good[i], strlen(good[i]), 4, &j, NULL), DOOR_OK);
    if (rd == DOOR_OK) {
      T_EQ_STR(c.iss, json_string_value(json_object_get(j, "iss")));
      T_EQ_STR(c.sub, json_string_value(json_object_get(j, "sub")));
      T_EQ_INT(c.exp, json_integer_value(json_object_get(j, "exp")));
    }
    json_decref(j);
  }
}

/* ---- ES256: the gate's pooled check against door__jws_verify_raw -------- */

static void test_es256_parity(void) {
  door_jwk *k = tk_key("k1");
  char *jwks = tk_jwks(&k, 1);
  door__gate_keys *ks = NULL;
  door__gate_key *gk;
  static const char input[] = "eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ";
  unsigned char good[64], sig[72];
  door_buf b;
  const char *s;
  size_t n = 0, i;
  T_EQ_ERR(door__gate_keys_parse(jwks, strlen(jwks), &ks, NULL), DOOR_OK);
  gk = door__gate_keys_find(ks, "k1", 2);
  T_OK(gk != NULL);
  T_OK(door__gate_keys_find(ks, "k", 1) == NULL);
  door__buf_init(&b, 4096);
  T_EQ_INT(tk_sign(k, "{\"alg\":\"ES256\"}", "{\"a\":1}", &b), 0);
  s = strrchr(b.data, '.') + 1;
  T_EQ_ERR(door__b64url_decode(s, strlen(s), good, 64, &n), DOOR_OK);
  T_OK(strncmp(b.data, input, strlen(input)) == 0);
  for (i = 0; i < 200; i++) {
    size_t len = 64;
    door_err a, r;
    memcpy(sig, good, 64);
    if (i % 5 == 1)
      sig[i % 64] ^= (unsigned char)(1u << (i % 8));
    else if (i % 5 == 2)
      memset(sig + (i % 2) * 32, i % 3 ? 0xff : 0, 32);
    else if (i % 5 == 3)
      len = i % 3 ? 63 : 65;
    else if (i % 5 == 4)
      memcpy(sig + 32, sig, 32);
    a = door__gate_es256_verify(ks, gk, input, strlen(input), sig, len);
    r = door__jws_verify_raw(k, DOOR_ALG_ES256, DOOR_ALG_ES256, input,
                             strlen(input), sig, len);
    if (a != r)
      T_FAIL_("case %zu: gate %s, jose %s", i, door_err_name(a),
              door_err_name(r));
  }
  /* the pool refills: verify many times in a row */
  for (i = 0; i < 50; i++)
    T_EQ_ERR(door__gate_es256_verify(ks, gk, input, strlen(input), good, 64),
             DOOR_OK);
  T_OK(gk->npool >= 1 && gk->npool <= DOOR__GATE_POOL);
  door__gate_keys_unref(ks);
  free(jwks);
  door__jwk_unref(k);
  door__buf_free(&b);
}

/* ---- the single-use record ----------------------------------------------- */

static void test_jti_record(void) {
  door__gate_jti *m = NULL;
  char jti[32];
  size_t i;
  T_EQ_ERR(door__gate_jti_new(100, &m), DOOR_OK);
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "a", 110, 100), DOOR_OK);
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "a", 110, 105), DOOR_EGATE_REPLAYED);
  T_EQ_ERR(door__gate_jti_admit(m, "ev2", "a", 110, 105), DOOR_OK);
  T_EQ_ERR(door__gate_jti_admit(m, "e", "va", 110, 105), DOOR_OK);
  /* kept until expires_at, then forgotten */
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "a", 200, 109), DOOR_EGATE_REPLAYED);
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "a", 200, 110), DOOR_OK);
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "a", 300, 150), DOOR_EGATE_REPLAYED);
  T_EQ_INT(door__gate_jti_count(m, 150), 1);
  /* arguments */
  T_EQ_ERR(door__gate_jti_admit(m, "", "a", 300, 150), DOOR_EINVAL);
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "", 300, 150), DOOR_EINVAL);
  T_EQ_ERR(door__gate_jti_admit(m, "ev", "b", 150, 150), DOOR_EINVAL);
  /* the bound: 100 live entries, then full until some expire */
  for (i = 0; i < 100; i++) {
    size_t k = door__u64_to_str(i, jti);
    jti[k] = '\0';
    T_EQ_ERR(door__gate_jti_admit(m, "cap", jti, 1000 + (int64_t)i, 500),
             DOOR_OK);
  }
  T_EQ_INT(door__gate_jti_count(m, 500), 100);
  T_EQ_ERR(door__gate_jti_admit(m, "cap", "one-more", 2000, 500), DOOR_ETOOBIG);
  T_EQ_ERR(door__gate_jti_admit(m, "cap", "0", 2000, 500), DOOR_EGATE_REPLAYED);
  /* at 1010, eleven of them have expired */
  T_EQ_ERR(door__gate_jti_admit(m, "cap", "one-more", 2000, 1010), DOOR_OK);
  T_EQ_INT(door__gate_jti_count(m, 1010), 90);
  door__gate_jti_free(m);
  /* growth: 20000 entries, each admitted once */
  T_EQ_ERR(door__gate_jti_new(0, &m), DOOR_OK);
  for (i = 0; i < 20000; i++) {
    size_t k = door__u64_to_str(i, jti);
    jti[k] = '\0';
    T_EQ_ERR(door__gate_jti_admit(m, "grow", jti, 10000, 1), DOOR_OK);
  }
  for (i = 0; i < 20000; i += 997) {
    size_t k = door__u64_to_str(i, jti);
    jti[k] = '\0';
    T_EQ_ERR(door__gate_jti_admit(m, "grow", jti, 10000, 2),
             DOOR_EGATE_REPLAYED);
  }
  T_EQ_INT(door__gate_jti_count(m, 2), 20000);
  door__gate_jti_free(m);
}

/* ---- threads ---------------------------------------------------------------
 */

typedef struct thr_arg {
  door_gate *g;
  const door_buf *toks;
  size_t ntoks;
  int ok, replayed, other;
} thr_arg;

static void *thr_verify(void *p) {
  thr_arg *a = p;
  size_t round, i;
  for (round = 0; round < 20; round++)
    for (i = 0; i < a->ntoks; i++) {
      door_gate_result r;
      door_err err = door_gate_verify(a->g, a->toks[i].data, a->toks[i].len,
                                      TK_EVENT, TK_NOW, &r, NULL);
      if (err == DOOR_OK)
        a->ok++;
      else if (err == DOOR_EGATE_REPLAYED)
        a->replayed++;
      else
        a->other++;
    }
  return NULL;
}

static void test_threads(void) {
  door_jwk *keys[2] = {tk_key("k1"), tk_key("k2")};
  char *jwks = tk_jwks(keys, 2);
  door_gate *multi = tk_gate(jwks, 0), *once = tk_gate(jwks, 1);
  door_buf toks[16], p;
  pthread_t th[8];
  thr_arg args[8];
  size_t i;
  int ok = 0, replayed = 0, other = 0;
  T_OK(multi && once);
  door__buf_init(&p, 4096);
  for (i = 0; i < 16; i++) {
    tk_claims c = tk_default();
    char jti[16];
    size_t n = door__u64_to_str(i, jti);
    jti[n] = '\0';
    c.jti = jti;
    tk_payload(&c, &p);
    door__buf_init(&toks[i], 4096);
    T_EQ_INT(tk_sign(keys[i % 2], i % 2 ? TK_HDR "\"k2\"}" : TK_HDR_K1, p.data,
                     &toks[i]),
             0);
  }
  /* multi-use: every verification admits */
  for (i = 0; i < 8; i++) {
    args[i] = (thr_arg){multi, toks, 16, 0, 0, 0};
    T_EQ_INT(pthread_create(&th[i], NULL, thr_verify, &args[i]), 0);
  }
  for (i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    ok += args[i].ok;
    other += args[i].other;
  }
  T_EQ_INT(ok, 8 * 20 * 16);
  T_EQ_INT(other, 0);
  /* single use: each of the 16 tokens admitted exactly once */
  ok = 0;
  for (i = 0; i < 8; i++) {
    args[i] = (thr_arg){once, toks, 16, 0, 0, 0};
    T_EQ_INT(pthread_create(&th[i], NULL, thr_verify, &args[i]), 0);
  }
  for (i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    ok += args[i].ok;
    replayed += args[i].replayed;
    other += args[i].other;
  }
  T_EQ_INT(ok, 16);
  T_EQ_INT(replayed, 8 * 20 * 16 - 16);
  T_EQ_INT(other, 0);
  for (i = 0; i < 16; i++)
    door__buf_free(&toks[i]);
  door__buf_free(&p);
  door_gate_free(multi);
  door_gate_free(once);
  free(jwks);
  door__jwk_unref(keys[0]);
  door__jwk_unref(keys[1]);
}

/* ---- key sets from files and URLs ---------------------------------------- */

typedef struct jwks_srv {
  struct MHD_Daemon *d;
  unsigned short port;
  pthread_mutex_t mu;
  char *body; /* the served document */
  const char *cache_control;
  int hits;
} jwks_srv;

static enum MHD_Result srv_answer(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **ptr) {
  jwks_srv *s = cls;
  struct MHD_Response *r;
  enum MHD_Result ret;
  (void)url;
  (void)method;
  (void)version;
  (void)upload;
  (void)upload_size;
  (void)ptr;
  pthread_mutex_lock(&s->mu);
  s->hits++;
  r = MHD_create_response_from_buffer(strlen(s->body), s->body,
                                      MHD_RESPMEM_MUST_COPY);
  if (s->cache_control)
    MHD_add_response_header(r, "Cache-Control", s->cache_control);
  pthread_mutex_unlock(&s->mu);
  ret = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ret;
}

static int srv_start(jwks_srv *s, char *body) {
  const union MHD_DaemonInfo *info;
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  s->body = body;
  s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                          srv_answer, s, MHD_OPTION_END);
  if (!s->d)
    return -1;
  info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : 0;
  return s->port ? 0 : -1;
}

static void srv_set(jwks_srv *s, char *body) {
  pthread_mutex_lock(&s->mu);
  free(s->body);
  s->body = body;
  pthread_mutex_unlock(&s->mu);
}

static void srv_stop(jwks_srv *s) {
  if (s->d)
    MHD_stop_daemon(s->d);
  s->d = NULL;
  free(s->body);
  s->body = NULL;
  pthread_mutex_destroy(&s->mu);
}

static int64_t g_clock = TK_NOW;
static int64_t test_clock(void *ud) {
  (void)ud;
  return g_clock;
}

static void test_jwks_file(void) {
  door_jwk *k = tk_key("k1");
  char *jwks = tk_jwks(&k, 1), path[] = "/tmp/door-gate-jwks-XXXXXX";
  int fd = mkstemp(path);
  door_gate_options o;
  door_gate *g = NULL;
  door_detail d;
  T_OK(fd >= 0);
  T_EQ_INT(write(fd, jwks, strlen(jwks)), (long long)strlen(jwks));
  close(fd);
  door_gate_options_init(&o);
  o.issuer = TK_ISS;
  o.jwks_file = path;
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_OK);
  T_EQ_INT(door_gate_key_count(g), 1);
  T_EQ_ERR(door_gate_refresh(g, 1, NULL), DOOR_EUNSUPPORTED);
  door_gate_free(g);
  unlink(path);
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_EIO);
  /* options */
  o.jwks_file = NULL;
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_EINVAL);
  o.jwks = jwks;
  o.jwks_url = "https://x/";
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_EINVAL);
  o.jwks_url = NULL;
  o.issuer = NULL;
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_EINVAL);
  o.issuer = TK_ISS;
  o.leeway = -1;
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_EINVAL);
  T_OK(g == NULL);
  free(jwks);
  door__jwk_unref(k);
}

static void test_jwks_url(void) {
  door_jwk *k1 = tk_key("k1"), *k2 = tk_key("k2"), *both[2];
  jwks_srv s;
  door_buf url, p, tok;
  door_gate_options o;
  door_gate *g = NULL, *off = NULL;
  door_detail d;
  char cache[] = "/tmp/door-gate-cache-XXXXXX";
  int fd = mkstemp(cache);
  tk_claims c = tk_default();
  T_OK(fd >= 0);
  close(fd);
  unlink(cache);
  both[0] = k1;
  both[1] = k2;
  T_EQ_INT(srv_start(&s, tk_jwks(&k1, 1)), 0);
  s.cache_control = "public, max-age=120";
  door__buf_init(&url, 256);
  door__buf_init(&p, 4096);
  door__buf_init(&tok, 4096);
  door__buf_puts(&url, "http://127.0.0.1:");
  door__buf_put_u64(&url, s.port);
  door__buf_puts(&url, "/.well-known/jwks.json");
  door_gate_options_init(&o);
  o.issuer = TK_ISS;
  o.jwks_url = url.data;
  o.jwks_cache_file = cache;
  o.clock = test_clock;
  /* plain http only to loopback, and only when allowed */
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_EHTTP_URL_REFUSED);
  o.allow_insecure_loopback = 1;
  T_EQ_ERR(door_gate_new(&o, &g, &d), DOOR_OK);
  T_EQ_INT(s.hits, 1);
  T_EQ_INT(access(cache, R_OK), 0);
  /* not due yet (max-age 120) */
  g_clock = TK_NOW + 100;
  T_EQ_ERR(door_gate_refresh(g, 0, NULL), DOOR_OK);
  T_EQ_INT(s.hits, 1);
  /* the broker rotates: k2 published; a k2 token makes the gate refetch */
  srv_set(&s, tk_jwks(both, 2));
  tk_payload(&c, &p);
  T_EQ_INT(tk_sign(k2, TK_HDR "\"k2\"}", p.data, &tok), 0);
  T_EQ_ERR(tk_verify(g, &tok, NULL), DOOR_OK);
  T_EQ_INT(s.hits, 2);
  T_EQ_INT(door_gate_key_count(g), 2);
  /* an unknown kid refetches at most once a minute */
  {
    door_jwk *k3 = tk_key("k3");
    T_EQ_INT(tk_sign(k3, TK_HDR "\"k3\"}", p.data, &tok), 0);
    T_EQ_ERR(tk_verify(g, &tok, NULL), DOOR_EKID_UNKNOWN);
    T_EQ_ERR(tk_verify(g, &tok, NULL), DOOR_EKID_UNKNOWN);
    T_EQ_INT(s.hits, 2);
    g_clock += 61;
    T_EQ_ERR(tk_verify(g, &tok, NULL), DOOR_EKID_UNKNOWN);
    T_EQ_INT(s.hits, 3);
    door__jwk_unref(k3);
  }
  /* due after max-age */
  g_clock += 121;
  T_EQ_ERR(door_gate_refresh(g, 0, NULL), DOOR_OK);
  T_EQ_INT(s.hits, 4);
  T_EQ_ERR(door_gate_refresh(g, 1, NULL), DOOR_OK);
  T_EQ_INT(s.hits, 5);
  /* a broken answer keeps the keys in use */
  srv_set(&s, strdup("{\"keys\":[]}"));
  T_EQ_ERR(door_gate_refresh(g, 1, &d), DOOR_EJWKS_INVALID);
  T_EQ_INT(door_gate_key_count(g), 2);
  T_EQ_ERR(tk_verify(g, &tok, NULL), DOOR_EKID_UNKNOWN);
  srv_stop(&s);
  /* offline: the cached copy (k1 and k2) */
  T_EQ_ERR(door_gate_new(&o, &off, &d), DOOR_OK);
  T_EQ_INT(door_gate_key_count(off), 2);
  T_EQ_INT(tk_sign(k2, TK_HDR "\"k2\"}", p.data, &tok), 0);
  T_EQ_ERR(tk_verify(off, &tok, NULL), DOOR_OK);
  T_NE_INT(door_gate_refresh(off, 1, NULL), DOOR_OK);
  T_EQ_INT(door_gate_key_count(off), 2);
  door_gate_free(off);
  /* offline without a cache: the fetch's error */
  unlink(cache);
  T_NE_INT(door_gate_new(&o, &off, &d), DOOR_OK);
  T_OK(off == NULL);
  door_gate_free(g);
  door__buf_free(&url);
  door__buf_free(&p);
  door__buf_free(&tok);
  door__jwk_unref(k1);
  door__jwk_unref(k2);
}

T_MAIN(T_CASE(test_reader_takes), T_CASE(test_reader_refuses),
       T_CASE(test_reader_agrees_with_jansson), T_CASE(test_es256_parity),
       T_CASE(test_jti_record), T_CASE(test_threads), T_CASE(test_jwks_file),
       T_CASE(test_jwks_url))
