/* The in-memory single-use record of one gate: (event id, jti) pairs kept
 * until their token's end, in one open-addressing table behind a mutex.
 *
 * An entry is the first 128 bits of SHA-256(event_id || 0x00 || jti) and
 * the time it may be forgotten: fixed size, so admitting never allocates
 * except when the table grows.  Expired entries are reused in place and
 * dropped when the table is rebuilt (at half load).  At most `max` live
 * entries: past that, admit fails with DOOR_ETOOBIG (a gate that cannot
 * record a token refuses it). */
#include "tickets/gate_int.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

typedef struct door__jti_slot {
  uint64_t a, b;
  int64_t until; /* 0: empty */
} door__jti_slot;

struct door__gate_jti {
  pthread_mutex_t mu;
  door__jti_slot *slots;
  size_t size; /* power of two */
  size_t used; /* non-empty slots, expired ones included */
  size_t max;
};

#define DOOR__JTI_MIN_SIZE 1024

door_err door__gate_jti_new(size_t max, door__gate_jti **out) {
  door__gate_jti *m = calloc(1, sizeof *m);
  *out = NULL;
  if (!m)
    return DOOR_ENOMEM;
  if (pthread_mutex_init(&m->mu, NULL) != 0) {
    free(m);
    return DOOR_ENOMEM;
  }
  m->max = max ? max : DOOR_GATE_JTI_MAX_DEFAULT;
  *out = m;
  return DOOR_OK;
}

void door__gate_jti_free(door__gate_jti *m) {
  if (!m)
    return;
  free(m->slots);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

static uint64_t door__load64(const unsigned char *p) {
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static size_t door__jti_live(const door__gate_jti *m, int64_t now) {
  size_t i, n = 0;
  for (i = 0; i < m->size; i++)
    if (m->slots[i].until > now)
      n++;
  return n;
}

/* Puts an entry known to be absent into a table without expired entries. */
static void door__jti_place(door__jti_slot *slots, size_t size,
                            const door__jti_slot *e) {
  size_t i = (size_t)e->a & (size - 1);
  while (slots[i].until != 0)
    i = (i + 1) & (size - 1);
  slots[i] = *e;
}

/* Rebuilds the table without expired entries, sized for one more. */
static door_err door__jti_rebuild(door__gate_jti *m, int64_t now) {
  size_t live = m->slots ? door__jti_live(m, now) : 0, size, i;
  door__jti_slot *ns;
  if (live + 1 > m->max)
    return DOOR_ETOOBIG;
  size = DOOR__JTI_MIN_SIZE;
  while (size < 4 * (live + 1))
    size *= 2;
  ns = calloc(size, sizeof *ns);
  if (!ns)
    return DOOR_ENOMEM;
  for (i = 0; i < m->size; i++)
    if (m->slots[i].until > now)
      door__jti_place(ns, size, &m->slots[i]);
  free(m->slots);
  m->slots = ns;
  m->size = size;
  m->used = live;
  return DOOR_OK;
}

door_err door__gate_jti_admit(door__gate_jti *m, const char *event_id,
                              const char *jti, int64_t expires_at,
                              int64_t now) {
  unsigned char buf[DOOR_GATE_AUD_MAX + 1 + DOOR_GATE_JTI_MAX], md[32];
  size_t el, jl, i, tomb = (size_t)-1;
  door__jti_slot e;
  door_err err = DOOR_OK;
  if (!m || !event_id || !jti)
    return DOOR_EINVAL;
  el = strlen(event_id);
  jl = strlen(jti);
  if (el == 0 || el > DOOR_GATE_AUD_MAX || jl == 0 || jl > DOOR_GATE_JTI_MAX ||
      expires_at <= now)
    return DOOR_EINVAL;
  memcpy(buf, event_id, el);
  buf[el] = 0;
  memcpy(buf + el + 1, jti, jl);
  SHA256(buf, el + 1 + jl, md);
  e.a = door__load64(md);
  e.b = door__load64(md + 8);
  e.until = expires_at;

  pthread_mutex_lock(&m->mu);
  /* An earlier admission first: a replay is a replay, full or not. */
  for (i = (size_t)e.a & (m->size - 1); m->slots && m->slots[i].until != 0;
       i = (i + 1) & (m->size - 1)) {
    door__jti_slot *s = &m->slots[i];
    if (s->a == e.a && s->b == e.b) {
      if (s->until > now)
        err = DOOR_EGATE_REPLAYED;
      else
        s->until = e.until; /* its earlier admission has expired */
      goto out;
    }
  }
  if (!m->slots || 2 * (m->used + 1) > m->size || m->used + 1 > m->max) {
    err = door__jti_rebuild(m, now);
    if (err)
      goto out;
  }
  for (i = (size_t)e.a & (m->size - 1); m->slots[i].until != 0;
       i = (i + 1) & (m->size - 1))
    if (m->slots[i].until <= now && tomb == (size_t)-1)
      tomb = i;
  if (tomb != (size_t)-1)
    m->slots[tomb] = e;
  else {
    m->slots[i] = e;
    m->used++;
  }
out:
  pthread_mutex_unlock(&m->mu);
  return err;
}

size_t door__gate_jti_count(door__gate_jti *m, int64_t now) {
  size_t n;
  pthread_mutex_lock(&m->mu);
  n = m->slots ? door__jti_live(m, now) : 0;
  pthread_mutex_unlock(&m->mu);
  return n;
}
