/* JWKS cache: TTL, last good on failure, refetch cooldown on unknown kid,
 * one fetch at a time.  The fetch function and the clock are the cache's
 * seams: here they are a key-set sequence and a variable. */
#include "oidc/cache.h"
#include "oidc/oidc.h"
#include "t.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

typedef struct fake {
  int64_t now;
  door_jwks *next; /* what the next fetch returns (a reference is taken) */
  door_err fail;   /* when set, the fetch fails with it */
  int64_t max_age;
  int calls;
  int delay_ms;
  pthread_mutex_t mu;
} fake;

static int64_t fake_clock(void *ud) { return ((fake *)ud)->now; }

static door_err fake_fetch(void *ud, void **out, int64_t *max_age,
                           door_detail *d) {
  fake *f = ud;
  door_err err;
  pthread_mutex_lock(&f->mu);
  f->calls++;
  pthread_mutex_unlock(&f->mu);
  if (f->delay_ms)
    usleep((useconds_t)f->delay_ms * 1000);
  if (f->fail) {
    err = door_detail_set(d, f->fail, "jwks_uri", "fetch failed", NULL);
    return err;
  }
  *out = door__jwks_ref(f->next);
  *max_age = f->max_age;
  return DOOR_OK;
}

static door_jwk *k1, *k2, *knokid;
static door_jwks *set1, *set12, *set_nokid;

static void setup(fake *f, door_cache *c) {
  door_cache_config cfg;
  if (!k1) {
    door_jwk *a[2];
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "k1", &k1), DOOR_OK);
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "k2", &k2), DOOR_OK);
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_RS256, NULL, &knokid), DOOR_OK);
    a[0] = k1;
    a[1] = k2;
    T_EQ_ERR(door__jwks_from_keys(a, 1, &set1), DOOR_OK);
    T_EQ_ERR(door__jwks_from_keys(a, 2, &set12), DOOR_OK);
    T_EQ_ERR(door__jwks_from_keys(&knokid, 1, &set_nokid), DOOR_OK);
  }
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  f->now = 1000000;
  f->next = set1;
  f->max_age = -1;
  memset(&cfg, 0, sizeof cfg);
  cfg.fetch = fake_fetch;
  cfg.fetch_ud = f;
  cfg.ref = door__jwks_cache_ref;
  cfg.unref = door__jwks_cache_unref;
  cfg.clock = fake_clock;
  cfg.clock_ud = f;
  cfg.cooldown = 60;
  cfg.retry = 10;
  T_EQ_ERR(door__cache_init(c, &cfg), DOOR_OK);
}

static void make_jws(const door_jwk *key, door_alg alg, door_buf *tok,
                     door_jws *jws) {
  static const door_jws_limits lim = DOOR_JWS_LIMITS_DEFAULT;
  door__buf_init(tok, 1 << 16);
  T_EQ_ERR(door__jws_sign(key, alg, NULL, "{\"a\":1}", 7, tok), DOOR_OK);
  T_EQ_ERR(door__jws_parse(tok->data, tok->len, &lim, jws, NULL), DOOR_OK);
}

static void test_ttl_and_bounds(void) {
  fake f;
  door_cache c;
  void *v;
  setup(&f, &c);
  f.max_age = 5; /* bounded below by ttl_min (60) */
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 1);
  f.now += 59;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 1);
  f.now += 1;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 2);
  /* No max-age: the default hour. */
  f.max_age = -1;
  f.now += 61;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 3);
  f.now += 3599;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 3);
  door__cache_destroy(&c);
}

static void test_last_good_kept(void) {
  fake f;
  door_cache c;
  void *v;
  door_detail d;
  setup(&f, &c);
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  f.now += 4000; /* stale */
  f.fail = DOOR_EHTTP_TIMEOUT;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  T_OK(v == (void *)set1);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 2);
  /* Within the retry interval no new fetch is tried. */
  f.now += 5;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 2);
  f.now += 5;
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_OK);
  door__jwks_unref(v);
  T_EQ_INT(f.calls, 3);
  door__cache_destroy(&c);
  /* With nothing cached, the failure is the fetch's. */
  setup(&f, &c);
  f.fail = DOOR_EHTTP_TLS;
  T_EQ_ERR(door__cache_get(&c, &v, &d), DOOR_EHTTP_TLS);
  T_EQ_ERR(d.code, DOOR_EHTTP_TLS);
  T_EQ_ERR(door__cache_get(&c, &v, NULL), DOOR_EHTTP_TLS);
  T_EQ_INT(f.calls, 1);
  door__cache_destroy(&c);
}

static void test_unknown_kid_cooldown(void) {
  fake f;
  door_cache c;
  door_buf tok;
  door_jws jws;
  door_detail d;
  setup(&f, &c);
  make_jws(k2, DOOR_ALG_ES256, &tok, &jws);
  /* First use fetches set1 (no k2); the cooldown since that fetch forbids
   * an immediate refetch. */
  T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_ES256, &d),
           DOOR_EKID_UNKNOWN);
  T_EQ_INT(f.calls, 1);
  f.next = set12;
  f.now += 30;
  T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_ES256, NULL),
           DOOR_EKID_UNKNOWN);
  T_EQ_INT(f.calls, 1);
  /* After the cooldown: one refetch, and the rotated key verifies. */
  f.now += 30;
  T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_ES256, NULL), DOOR_OK);
  T_EQ_INT(f.calls, 2);
  T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_ES256, NULL), DOOR_OK);
  T_EQ_INT(f.calls, 2);
  door__jws_clear(&jws);
  door__buf_free(&tok);
  /* A token with a kid nobody publishes: one refetch per cooldown, no more
   * however many tokens arrive. */
  {
    door_jwk *stray;
    int i;
    T_EQ_ERR(door__jwk_generate(DOOR_ALG_ES256, "zz", &stray), DOOR_OK);
    make_jws(stray, DOOR_ALG_ES256, &tok, &jws);
    f.now += 61;
    for (i = 0; i < 20; i++)
      T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_ES256, NULL),
               DOOR_EKID_UNKNOWN);
    T_EQ_INT(f.calls, 3);
    f.now += 60;
    T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_ES256, NULL),
             DOOR_EKID_UNKNOWN);
    T_EQ_INT(f.calls, 4);
    door__jws_clear(&jws);
    door__buf_free(&tok);
    door__jwk_unref(stray);
  }
  door__cache_destroy(&c);
}

static void test_refetch_failure_keeps_set(void) {
  fake f;
  door_cache c;
  door_buf tok;
  door_jws jws1, jws2;
  setup(&f, &c);
  make_jws(k1, DOOR_ALG_ES256, &tok, &jws1);
  T_EQ_ERR(door__jwks_cache_verify(&c, &jws1, DOOR_ALG_ES256, NULL), DOOR_OK);
  {
    door_buf tok2;
    make_jws(k2, DOOR_ALG_ES256, &tok2, &jws2);
    f.now += 61;
    f.fail = DOOR_EHTTP;
    T_EQ_ERR(door__jwks_cache_verify(&c, &jws2, DOOR_ALG_ES256, NULL),
             DOOR_EKID_UNKNOWN);
    T_EQ_INT(f.calls, 2);
    /* The old set still verifies its tokens. */
    T_EQ_ERR(door__jwks_cache_verify(&c, &jws1, DOOR_ALG_ES256, NULL), DOOR_OK);
    door__jws_clear(&jws2);
    door__buf_free(&tok2);
  }
  door__jws_clear(&jws1);
  door__buf_free(&tok);
  door__cache_destroy(&c);
}

static void test_kidless(void) {
  fake f;
  door_cache c;
  door_buf tok;
  door_jws jws;
  setup(&f, &c);
  f.next = set_nokid;
  /* A kid-less token and a kid-less single key: d-account's case. */
  make_jws(knokid, DOOR_ALG_RS256, &tok, &jws);
  T_EQ_ERR(door__jwks_cache_verify(&c, &jws, DOOR_ALG_RS256, NULL), DOOR_OK);
  door__jws_clear(&jws);
  door__buf_free(&tok);
  door__cache_destroy(&c);
}

typedef struct racer {
  door_cache *c;
  door_err err;
} racer;

static void *race(void *ud) {
  racer *r = ud;
  void *v = NULL;
  r->err = door__cache_get(r->c, &v, NULL);
  if (v)
    door__jwks_unref(v);
  return NULL;
}

static void test_one_fetch_at_a_time(void) {
  fake f;
  door_cache c;
  pthread_t th[8];
  racer r[8];
  int i;
  setup(&f, &c);
  f.delay_ms = 50;
  for (i = 0; i < 8; i++) {
    r[i].c = &c;
    T_EQ_INT(pthread_create(&th[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    T_EQ_ERR(r[i].err, DOOR_OK);
  }
  T_EQ_INT(f.calls, 1);
  door__cache_destroy(&c);
}

static void test_cleanup(void) {
  door__jwks_unref(set1);
  door__jwks_unref(set12);
  door__jwks_unref(set_nokid);
  door__jwk_unref(k1);
  door__jwk_unref(k2);
  door__jwk_unref(knokid);
}

T_MAIN(T_CASE(test_ttl_and_bounds), T_CASE(test_last_good_kept),
       T_CASE(test_unknown_kid_cooldown),
       T_CASE(test_refetch_failure_keeps_set), T_CASE(test_kidless),
       T_CASE(test_one_fetch_at_a_time), T_CASE(test_cleanup))
