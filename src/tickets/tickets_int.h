/* Issuing side internals (src/tickets): the signing key ring in the state
 * directory, the pairwise key, participant lists, the store-backed
 * single-use record.  Part of libdoorauth (not of door-gate). */
#ifndef DOOR_TICKETS_INT_H
#define DOOR_TICKETS_INT_H

#include "doorauth/gate.h"
#include "doorauth/tickets.h"
#include "jose/jose.h"
#include "util/config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

struct door_store;

/* ---- key ring (keyring.c) ------------------------------------------------ */

#define DOOR__TK_KID_MAX 63

typedef struct door__tk_key {
  char kid[DOOR__TK_KID_MAX + 1];
  int64_t created_at, not_before, retire_at; /* retire_at 0: not planned */
  door_jwk *jwk;                             /* private; NULL when listed
                                                without loading */
} door__tk_key;

typedef struct door__tk_ring {
  atomic_uint refs;
  size_t n;
  door__tk_key *keys; /* oldest first */
  /* index.json when read, to notice changes by other processes */
  int64_t mtime_ns;
  off_t size;
  ino_t ino;
} door__tk_ring;

/* Directory of the ring: STATE_DIR/signing-keys. */
door_err door__tk_ring_dir(const char *state_dir, char **out);
/* Opens the ring: creates the directories and, when no key signs at `now`,
 * a first key that signs at once; deletes keys past retire_at; loads the
 * rest.  Under the directory's lock. */
door_err door__tk_ring_open(const char *dir, int64_t now, door__tk_ring **out,
                            door_detail *d);
/* Rotation (see tickets.h): new key signing at now + prepublish (or now
 * with DOOR_TICKETS_ROTATE_NOW), others retired at that time +
 * retire_after (or at once).  Then reopens the ring into *out. */
door_err door__tk_ring_rotate(const char *dir, int64_t now, int64_t prepublish,
                              int64_t retire_after, unsigned flags,
                              char *kid_out, door__tk_ring **out,
                              door_detail *d);
/* 1 when index.json is not the one `r` was read from. */
int door__tk_ring_changed(const char *dir, const door__tk_ring *r);
door__tk_ring *door__tk_ring_ref(door__tk_ring *r);
void door__tk_ring_unref(door__tk_ring *r);
/* The key that signs at `now` (newest not_before <= now, not retired), or
 * NULL. */
const door__tk_key *door__tk_ring_signer(const door__tk_ring *r, int64_t now);
/* 1 when the key is in the JWKS at `now`. */
int door__tk_key_published(const door__tk_key *k, int64_t now);
/* RFC 7638 thumbprint of a P-256 key, base64url (43 characters). */
door_err door__tk_thumbprint(const door_jwk *key, char out[64]);

/* STATE_DIR/pairwise.key: read, or made (32 random bytes) when missing. */
door_err door__tk_pairwise_key(const char *state_dir, unsigned char key[32],
                               door_detail *d);
/* base64url(HMAC-SHA256(key, account_id || 0x00 || event_id)). */
door_err door__tk_pairwise_sub(const unsigned char key[32],
                               const char *account_id, const char *event_id,
                               char out[64]);

/* ---- the door_tickets object (issue.c) ----------------------------------- */

#define DOOR__TK_PCACHE 16

typedef struct door__tk_pcache {
  char *path;
  int64_t mtime_ns;
  off_t size;
  ino_t ino;
  struct door__tk_plist *list;
} door__tk_pcache;

struct door_tickets {
  char *state_dir, *ring_dir, *issuer;
  unsigned char pairwise[32];
  int64_t jwks_max_age, prepublish, max_lifetime;
  const struct door_log *log;
  int64_t (*clock)(void *ud);
  void *clock_ud;
  door_tickets_entitlement_fn entitlement;
  void *entitlement_ud;
  pthread_mutex_t mu; /* ring, ring_checked_at */
  door__tk_ring *ring;
  int64_t ring_checked_at;
  pthread_mutex_t pmu; /* participants cache */
  door__tk_pcache pc[DOOR__TK_PCACHE];
  size_t npc;
};

int64_t door__tk_now(const door_tickets *t);
void door__tk_copy(char *dst, size_t cap, const char *src);

/* ---- decisions (decide.c) ------------------------------------------------ */

/* Maps a ticket's tier through an event's `tiers` list (see tickets.h).
 * DOOR_ETICKETS_TIER when the event does not take it. */
door_err door__tk_map_tier(const door_strlist *tiers, const char *tier,
                           char *out, size_t cap);

/* One participants file, parsed. */
typedef struct door__tk_plist door__tk_plist;
/* Looks `entry` up in the participants file at `path` (parsed once, again
 * when it changes).  DOOR_OK with the tier, DOOR_ENOTFOUND, or an I/O
 * error. */
door_err door__tk_participant(door_tickets *t, const char *path,
                              const char *entry, char *tier, size_t cap,
                              door_detail *d);
void door__tk_pcache_clear(door_tickets *t);
/* Parses text: "SUBJECT [TIER]" or "account:ID [TIER]" lines. */
door_err door__tk_plist_parse(const char *text, size_t len,
                              door__tk_plist **out, door_detail *d);
void door__tk_plist_free(door__tk_plist *p);
/* DOOR_OK with the tier copied, or DOOR_ENOTFOUND. */
door_err door__tk_plist_find(const door__tk_plist *p, const char *entry,
                             char *tier, size_t cap);

/* ---- the store-backed single-use record (store_guard.c) ----------------- */

/* A guard over door__store_jti_admit: one admission per (event, jti)
 * across every gate sharing the store.  The store must outlive users. */
door_gate_jti_guard door__tickets_store_guard(struct door_store *st);

#endif
