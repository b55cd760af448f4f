/* Caches of fetched documents (internal): discovery metadata and key sets.
 *
 * A door_cache holds one reference-counted value (a door_jwks, a
 * door_metadata holder, ...) fetched by a callback.  Rules:
 *  - one fetch at a time: a caller that finds a fetch under way waits for
 *    it and uses its result;
 *  - a value lives for the fetch's max-age (Cache-Control), bounded by
 *    ttl_min and ttl_max, ttl_default when the server gave none;
 *  - when a fetch fails the last good value is kept and served, and no new
 *    fetch is tried for `retry` seconds;
 *  - door__cache_refresh (a token's kid is unknown) fetches at most once
 *    per `cooldown` seconds, and not at all when someone else replaced the
 *    value the caller saw.
 * The mutex guards only the pointer and the timestamps; values are used
 * outside it through their own references.
 *
 * Threading: every function may be called from any thread; a cache is
 * freed only when no call on it is running.
 */
#ifndef DOOR_OIDC_CACHE_H
#define DOOR_OIDC_CACHE_H

#include "doorauth/error.h"
#include "jose/jose.h"

#include <pthread.h>
#include <stdint.h>

/* Seconds since the epoch. */
typedef int64_t (*door_clock_fn)(void *ud);

/* Fetches a fresh value: on success *out holds one reference and *max_age
 * the server's max-age in seconds (-1: none given). */
typedef door_err (*door_cache_fetch_fn)(void *ud, void **out, int64_t *max_age,
                                        door_detail *d);

typedef struct door_cache_config {
  door_cache_fetch_fn fetch;
  void *fetch_ud;
  void *(*ref)(void *value);
  void (*unref)(void *value);
  door_clock_fn clock; /* NULL: time() */
  void *clock_ud;
  int64_t ttl_default; /* 0: 3600 */
  int64_t ttl_min;     /* 0: 60 */
  int64_t ttl_max;     /* 0: 86400 */
  int64_t cooldown;    /* refresh on unknown kid; 0: 60 */
  int64_t retry;       /* after a failed fetch; 0: 10 */
} door_cache_config;

typedef struct door_cache {
  door_cache_config cfg;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  void *value;
  int64_t expires_at;
  int64_t last_attempt; /* any fetch */
  int64_t last_refresh; /* fetches from door__cache_refresh */
  int fetching;
  uint64_t generation; /* bumped when a fetch completes */
  door_err last_err;
  door_detail last_detail;
  uint64_t fetches; /* for tests and metrics */
} door_cache;

door_err door__cache_init(door_cache *c, const door_cache_config *cfg);
void door__cache_destroy(door_cache *c);

/* A reference to the current value, fetching it when there is none or it
 * is stale (and the retry interval allows).  A stale value is served when
 * the fetch fails. */
door_err door__cache_get(door_cache *c, void **out, door_detail *d);

/* Called when `seen` (a value from door__cache_get) lacked what was needed.
 * Returns a reference to a newer value: fetched now when the cooldown
 * allows, or one another thread fetched meanwhile.  DOOR_ENOTFOUND (and no
 * value) when nothing newer can be had within the cooldown. */
door_err door__cache_refresh(door_cache *c, void *seen, void **out,
                             door_detail *d);

/* ---- key sets ----------------------------------------------------------- */

/* Verifies a JWS with the cached key set: door__jws_verify_jwks, and when
 * the kid is unknown (or no key fits a kid-less token) one refresh within
 * the cooldown, then again.  The cache's values are door_jwks. */
door_err door__jwks_cache_verify(door_cache *c, const door_jws *jws,
                                 unsigned allowed, door_detail *d);
/* ref/unref adapters for door_jwks values. */
void *door__jwks_cache_ref(void *v);
void door__jwks_cache_unref(void *v);

#endif
