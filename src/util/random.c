/* Per-thread pool over OpenSSL's DRBG (random.h). */
#include "util/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define POOL 512
/* Larger requests go straight to OpenSSL. */
#define DIRECT_MIN (POOL / 4)

typedef struct pool {
  unsigned char b[POOL];
  size_t off; /* bytes handed out (and wiped) */
  unsigned gen;
  int filled;
} pool;

static _Thread_local pool tl_pool;
static atomic_uint fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void) { atomic_fetch_add(&fork_gen, 1u); }

static void register_fork(void) {
  pthread_atfork(NULL, NULL, after_fork_child);
}

door_err door__random(void *out, size_t n) {
  pool *p = &tl_pool;
  unsigned gen;
  if (!n)
    return DOOR_OK;
  pthread_once(&fork_once, register_fork);
  if (n >= DIRECT_MIN) {
    if (n > (size_t)0x7fffffff || RAND_bytes(out, (int)n) != 1) {
      memset(out, 0, n);
      return DOOR_ERANDOM;
    }
    return DOOR_OK;
  }
  gen = atomic_load(&fork_gen);
  if (!p->filled || p->gen != gen || POOL - p->off < n) {
    OPENSSL_cleanse(p->b, sizeof p->b);
    p->filled = 0;
    if (RAND_bytes(p->b, (int)sizeof p->b) != 1) {
      memset(out, 0, n);
      return DOOR_ERANDOM;
    }
    p->filled = 1;
    p->off = 0;
    p->gen = gen;
  }
  memcpy(out, p->b + p->off, n);
  OPENSSL_cleanse(p->b + p->off, n);
  p->off += n;
  return DOOR_OK;
}
