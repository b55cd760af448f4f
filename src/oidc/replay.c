/* The built-in replay guard: a hash table of consumed keys, in memory,
 * under one mutex, pruned of expired keys as it goes. */
#include "doorauth/login.h"

#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOOR_REPLAY_DEFAULT_MAX 100000
#define DOOR_REPLAY_SWEEP_EVERY 1024

typedef struct door_replay_entry {
  struct door_replay_entry *next;
  int64_t expires_at;
  unsigned char hash[32]; /* SHA-256 of the key: the key is not kept */
} door_replay_entry;

struct door_replay_mem {
  pthread_mutex_t mu;
  door_replay_entry **buckets;
  size_t nbuckets; /* a power of two */
  size_t n;
  size_t max;
  unsigned long calls;
  int64_t (*clock)(void *);
  void *clock_ud;
};

door_err door_replay_mem_new(size_t max_keys, int64_t (*clock)(void *),
                             void *clock_ud, door_replay_mem **out) {
  door_replay_mem *m;
  *out = NULL;
  m = calloc(1, sizeof *m);
  if (!m)
    return DOOR_ENOMEM;
  m->nbuckets = 1024;
  m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
  if (!m->buckets) {
    free(m);
    return DOOR_ENOMEM;
  }
  if (pthread_mutex_init(&m->mu, NULL) != 0) {
    free(m->buckets);
    free(m);
    return DOOR_EINTERNAL;
  }
  m->max = max_keys ? max_keys : DOOR_REPLAY_DEFAULT_MAX;
  m->clock = clock;
  m->clock_ud = clock_ud;
  *out = m;
  return DOOR_OK;
}

void door_replay_mem_free(door_replay_mem *m) {
  size_t i;
  if (!m)
    return;
  for (i = 0; i < m->nbuckets; i++) {
    door_replay_entry *e = m->buckets[i], *next;
    for (; e; e = next) {
      next = e->next;
      free(e);
    }
  }
  free(m->buckets);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

static size_t door__bucket(const door_replay_mem *m,
                           const unsigned char h[32]) {
  size_t v = 0;
  memcpy(&v, h, sizeof v);
  return v & (m->nbuckets - 1);
}

/* Drops expired entries of one chain. */
static void door__prune_chain(door_replay_mem *m, door_replay_entry **slot,
                              int64_t now) {
  while (*slot) {
    door_replay_entry *e = *slot;
    if (e->expires_at < now) {
      *slot = e->next;
      free(e);
      m->n--;
    } else {
      slot = &e->next;
    }
  }
}

static void door__sweep(door_replay_mem *m, int64_t now) {
  size_t i;
  for (i = 0; i < m->nbuckets; i++)
    door__prune_chain(m, &m->buckets[i], now);
}

static void door__grow(door_replay_mem *m) {
  size_t nb = m->nbuckets * 2, i;
  door_replay_entry **b = calloc(nb, sizeof *b);
  if (!b)
    return; /* longer chains, still correct */
  for (i = 0; i < m->nbuckets; i++) {
    door_replay_entry *e = m->buckets[i], *next;
    for (; e; e = next) {
      size_t v = 0, j;
      next = e->next;
      memcpy(&v, e->hash, sizeof v);
      j = v & (nb - 1);
      e->next = b[j];
      b[j] = e;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->nbuckets = nb;
}

static door_err door__mem_consume(void *ud, const char *key,
                                  int64_t expires_at) {
  door_replay_mem *m = ud;
  unsigned char h[32];
  door_replay_entry *e, **slot;
  int64_t now;
  door_err err = DOOR_OK;
  if (!key)
    return DOOR_EINVAL;
  SHA256((const unsigned char *)key, strlen(key), h);
  pthread_mutex_lock(&m->mu);
  now = m->clock ? m->clock(m->clock_ud) : (int64_t)time(NULL);
  if (++m->calls % DOOR_REPLAY_SWEEP_EVERY == 0 || m->n >= m->max)
    door__sweep(m, now);
  slot = &m->buckets[door__bucket(m, h)];
  door__prune_chain(m, slot, now);
  for (e = *slot; e; e = e->next)
    if (memcmp(e->hash, h, sizeof h) == 0) {
      err = DOOR_ELOGIN_REPLAYED;
      goto out;
    }
  if (m->n >= m->max) {
    err = DOOR_ETOOBIG;
    goto out;
  }
  e = malloc(sizeof *e);
  if (!e) {
    err = DOOR_ENOMEM;
    goto out;
  }
  memcpy(e->hash, h, sizeof h);
  e->expires_at = expires_at;
  e->next = *slot;
  *slot = e;
  m->n++;
  if (m->n > 2 * m->nbuckets)
    door__grow(m);
out:
  pthread_mutex_unlock(&m->mu);
  return err;
}

door_replay_guard door_replay_mem_guard(door_replay_mem *m) {
  door_replay_guard g;
  g.consume = door__mem_consume;
  g.ud = m;
  return g;
}
