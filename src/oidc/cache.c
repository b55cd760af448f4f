/* Fetched-document cache with one fetch at a time, TTL, last-good fallback
 * and a refresh cooldown.  See cache.h. */
#include "oidc/cache.h"

#include <string.h>
#include <time.h>

static int64_t door__cache_now(const door_cache *c) {
  if (c->cfg.clock)
    return c->cfg.clock(c->cfg.clock_ud);
  return (int64_t)time(NULL);
}

door_err door__cache_init(door_cache *c, const door_cache_config *cfg) {
  memset(c, 0, sizeof *c);
  if (!cfg || !cfg->fetch || !cfg->ref || !cfg->unref)
    return DOOR_EINVAL;
  c->cfg = *cfg;
  if (c->cfg.ttl_default <= 0)
    c->cfg.ttl_default = 3600;
  if (c->cfg.ttl_min <= 0)
    c->cfg.ttl_min = 60;
  if (c->cfg.ttl_max <= 0)
    c->cfg.ttl_max = 86400;
  if (c->cfg.cooldown <= 0)
    c->cfg.cooldown = 60;
  if (c->cfg.retry <= 0)
    c->cfg.retry = 10;
  if (pthread_mutex_init(&c->mu, NULL) != 0)
    return DOOR_EINTERNAL;
  if (pthread_cond_init(&c->cv, NULL) != 0) {
    pthread_mutex_destroy(&c->mu);
    return DOOR_EINTERNAL;
  }
  c->last_attempt = INT64_MIN / 2;
  return DOOR_OK;
}

void door__cache_destroy(door_cache *c) {
  if (!c || !c->cfg.unref)
    return;
  if (c->value)
    c->cfg.unref(c->value);
  c->value = NULL;
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
}

static int64_t door__ttl(const door_cache *c, int64_t max_age) {
  int64_t ttl = max_age < 0 ? c->cfg.ttl_default : max_age;
  if (ttl < c->cfg.ttl_min)
    ttl = c->cfg.ttl_min;
  if (ttl > c->cfg.ttl_max)
    ttl = c->cfg.ttl_max;
  return ttl;
}

/* Runs one fetch.  Called and returns with the mutex held; drops it while
 * the callback runs.  Returns the fetch's result. */
static door_err door__cache_fetch_locked(door_cache *c, int64_t now) {
  void *fresh = NULL, *old = NULL;
  int64_t max_age = -1;
  door_detail det;
  door_err err;
  c->fetching = 1;
  c->last_attempt = now;
  pthread_mutex_unlock(&c->mu);
  door_detail_clear(&det);
  err = c->cfg.fetch(c->cfg.fetch_ud, &fresh, &max_age, &det);
  if (!err && !fresh)
    err = DOOR_EINTERNAL;
  pthread_mutex_lock(&c->mu);
  c->fetches++;
  if (!err) {
    old = c->value;
    c->value = fresh;
    c->expires_at = door__cache_now(c) + door__ttl(c, max_age);
  } else if (det.code == DOOR_OK) {
    door_detail_set(&det, err, "fetch",
                    "a provider document could not be "
                    "fetched",
                    NULL);
  }
  c->last_err = err;
  c->last_detail = det;
  c->fetching = 0;
  c->generation++;
  pthread_cond_broadcast(&c->cv);
  if (old) {
    /* Unref outside the lock: it may free a large set. */
    pthread_mutex_unlock(&c->mu);
    c->cfg.unref(old);
    pthread_mutex_lock(&c->mu);
  }
  return err;
}

static door_err door__cache_fail(door_cache *c, door_detail *d) {
  door_err err = c->last_err ? c->last_err : DOOR_EINTERNAL;
  if (d)
    *d = c->last_detail;
  return err;
}

door_err door__cache_get(door_cache *c, void **out, door_detail *d) {
  door_err err;
  int64_t now;
  *out = NULL;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    now = door__cache_now(c);
    if (c->value && now < c->expires_at)
      goto give;
    if (c->fetching) {
      pthread_cond_wait(&c->cv, &c->mu);
      continue;
    }
    if (c->last_err && now - c->last_attempt < c->cfg.retry) {
      if (c->value)
        goto give; /* stale, last good */
      err = door__cache_fail(c, d);
      pthread_mutex_unlock(&c->mu);
      return err;
    }
    break;
  }
  err = door__cache_fetch_locked(c, now);
  if (err && !c->value) {
    err = door__cache_fail(c, d);
    pthread_mutex_unlock(&c->mu);
    return err;
  }
give:
  *out = c->cfg.ref(c->value);
  pthread_mutex_unlock(&c->mu);
  return DOOR_OK;
}

door_err door__cache_refresh(door_cache *c, void *seen, void **out,
                             door_detail *d) {
  door_err err;
  int64_t now;
  *out = NULL;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    if (c->value && c->value != seen)
      goto give; /* replaced since the caller looked */
    if (c->fetching) {
      pthread_cond_wait(&c->cv, &c->mu);
      continue;
    }
    break;
  }
  now = door__cache_now(c);
  if (now - c->last_attempt < c->cfg.cooldown) {
    pthread_mutex_unlock(&c->mu);
    return door_detail_set(d, DOOR_ENOTFOUND, "cache",
                           "the key set was fetched moments ago", NULL);
  }
  err = door__cache_fetch_locked(c, now);
  if (err || !c->value || c->value == seen) {
    if (!err)
      err = DOOR_ENOTFOUND;
    else if (d)
      *d = c->last_detail;
    pthread_mutex_unlock(&c->mu);
    return err;
  }
give:
  *out = c->cfg.ref(c->value);
  pthread_mutex_unlock(&c->mu);
  return DOOR_OK;
}

void *door__jwks_cache_ref(void *v) { return door__jwks_ref(v); }
void door__jwks_cache_unref(void *v) { door__jwks_unref(v); }

static int door__kid_miss(door_err err) { return err == DOOR_EKID_UNKNOWN; }

door_err door__jwks_cache_verify(door_cache *c, const door_jws *jws,
                                 unsigned allowed, door_detail *d) {
  void *set = NULL, *fresh = NULL;
  door_err err;
  err = door__cache_get(c, &set, d);
  if (err)
    return err;
  err = door__jws_verify_jwks(jws, set, allowed, NULL);
  if (door__kid_miss(err) && !door__cache_refresh(c, set, &fresh, NULL)) {
    err = door__jws_verify_jwks(jws, fresh, allowed, NULL);
    door__jwks_unref(fresh);
  }
  door__jwks_unref(set);
  if (err == DOOR_EKID_UNKNOWN)
    door_detail_set(d, err, jws->kid ? "kid" : "jwks",
                    "the provider signed with a key it does not publish",
                    "try again in a minute (the provider may be rotating "
                    "its keys)");
  else if (err == DOOR_EKID_AMBIGUOUS)
    door_detail_set(d, err, "kid",
                    "the token names no key and the provider publishes "
                    "several",
                    NULL);
  else if (err)
    door_detail_set(d, err, "signature",
                    "the ID token's signature does not verify", NULL);
  return err;
}
