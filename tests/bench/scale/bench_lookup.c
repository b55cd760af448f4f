/* Identity lookup latency through the store (door__store_identity_find),
 * on a database already holding the identities tests/bench/scale/run.sh
 * bulk-loaded: subjects "bench-NNNNNNN" (0 .. N-1) at ISSUER.
 *
 * usage: bench_scale_lookup URL ISSUER N LOOKUPS
 * Prints "lookups L p50_us X p99_us Y misses M". */
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  door_store *st = NULL;
  door_detail d;
  uint64_t *lat, seed = 88172645463325252u;
  long n, lookups, i, misses = 0;
  char acct[DOOR_STORE_ID_LEN + 1], sub[32];
  if (argc != 5) {
    fputs("usage: bench_scale_lookup URL ISSUER N LOOKUPS\n", stderr);
    return 2;
  }
  n = strtol(argv[3], NULL, 10);
  lookups = strtol(argv[4], NULL, 10);
  if (n <= 0 || lookups <= 0)
    return 2;
  lat = calloc((size_t)lookups, sizeof *lat);
  if (!lat)
    return 1;
  if (door__store_open(argv[1], NULL, &st, &d)) {
    fprintf(stderr, "bench_scale_lookup: cannot open the store: %s\n", d.what);
    return 1;
  }
  for (i = -lookups / 10; i < lookups; i++) { /* a tenth as warm-up */
    uint64_t t0;
    door_err err;
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    snprintf(sub, sizeof sub, "bench-%07ld", (long)(seed % (uint64_t)n));
    t0 = now_ns();
    err = door__store_identity_find(st, argv[2], sub, acct, &d);
    if (i >= 0)
      lat[i] = now_ns() - t0;
    if (err)
      misses++;
  }
  door__store_close(st);
  qsort(lat, (size_t)lookups, sizeof *lat, cmp_u64);
  printf("lookups %ld p50_us %.1f p99_us %.1f misses %ld\n", lookups,
         (double)lat[lookups / 2] / 1000.0,
         (double)lat[lookups * 99 / 100] / 1000.0, misses);
  free(lat);
  return misses ? 1 : 0;
}
