/* The built-in replay guard: first use, replays, expiry, the cap, threads. */
#include "doorauth/login.h"
#include "t.h"
#include "util/buf.h"

#include <pthread.h>
#include <string.h>

static int64_t g_now = 1000;
static int64_t clock_fn(void *ud) {
  (void)ud;
  return g_now;
}

static void test_once(void) {
  door_replay_mem *m;
  door_replay_guard g;
  T_EQ_ERR(door_replay_mem_new(0, clock_fn, NULL, &m), DOOR_OK);
  g = door_replay_mem_guard(m);
  T_EQ_ERR(g.consume(g.ud, "a", 2000), DOOR_OK);
  T_EQ_ERR(g.consume(g.ud, "b", 2000), DOOR_OK);
  T_EQ_ERR(g.consume(g.ud, "a", 2000), DOOR_ELOGIN_REPLAYED);
  T_EQ_ERR(g.consume(g.ud, "a", 9999), DOOR_ELOGIN_REPLAYED);
  T_EQ_ERR(g.consume(g.ud, NULL, 2000), DOOR_EINVAL);
  /* Until it expires the key is remembered; then it is pruned. */
  g_now = 2000;
  T_EQ_ERR(g.consume(g.ud, "b", 2000), DOOR_ELOGIN_REPLAYED);
  g_now = 2001;
  T_EQ_ERR(g.consume(g.ud, "b", 3000), DOOR_OK);
  door_replay_mem_free(m);
  g_now = 1000;
}

static void test_cap(void) {
  door_replay_mem *m;
  door_replay_guard g;
  char key[16];
  int i;
  T_EQ_ERR(door_replay_mem_new(100, clock_fn, NULL, &m), DOOR_OK);
  g = door_replay_mem_guard(m);
  for (i = 0; i < 100; i++) {
    memset(key, 0, sizeof key);
    key[0] = 'k';
    key[1] = (char)('a' + i % 26);
    key[2] = (char)('a' + i / 26);
    T_EQ_ERR(g.consume(g.ud, key, 1500), DOOR_OK);
  }
  /* Full of live keys: refuse rather than forget one. */
  T_EQ_ERR(g.consume(g.ud, "one more", 1500), DOOR_ETOOBIG);
  /* Once they expire, room again. */
  g_now = 1501;
  T_EQ_ERR(g.consume(g.ud, "one more", 2500), DOOR_OK);
  door_replay_mem_free(m);
  g_now = 1000;
}

static void test_grows(void) {
  door_replay_mem *m;
  door_replay_guard g;
  char key[16];
  int i;
  T_EQ_ERR(door_replay_mem_new(0, clock_fn, NULL, &m), DOOR_OK);
  g = door_replay_mem_guard(m);
  for (i = 0; i < 5000; i++) {
    size_t n = door__u64_to_str((uint64_t)i, key);
    key[n] = '\0';
    T_EQ_ERR(g.consume(g.ud, key, 5000), DOOR_OK);
  }
  for (i = 0; i < 5000; i++) {
    size_t n = door__u64_to_str((uint64_t)i, key);
    key[n] = '\0';
    T_EQ_ERR(g.consume(g.ud, key, 5000), DOOR_ELOGIN_REPLAYED);
  }
  door_replay_mem_free(m);
}

typedef struct racer {
  door_replay_guard g;
  int wins;
} racer;

static void *race(void *ud) {
  racer *r = ud;
  char key[8] = "key-";
  int i;
  for (i = 0; i < 200; i++) {
    key[4] = (char)('a' + i % 26);
    key[5] = (char)('a' + i / 26);
    if (r->g.consume(r->g.ud, key, 5000) == DOOR_OK)
      r->wins++;
  }
  return NULL;
}

/* Each key is won by exactly one of the threads racing for it. */
static void test_threads(void) {
  door_replay_mem *m;
  pthread_t th[8];
  racer r[8];
  int i, total = 0;
  T_EQ_ERR(door_replay_mem_new(0, clock_fn, NULL, &m), DOOR_OK);
  for (i = 0; i < 8; i++) {
    r[i].g = door_replay_mem_guard(m);
    r[i].wins = 0;
    T_EQ_INT(pthread_create(&th[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    total += r[i].wins;
  }
  T_EQ_INT(total, 200);
  door_replay_mem_free(m);
}

T_MAIN(T_CASE(test_once), T_CASE(test_cap), T_CASE(test_grows),
       T_CASE(test_threads))
