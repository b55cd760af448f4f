/* Issuing side internals (src/tickets): the signing keys and the pairwise
 * key in the store (and the import of the state directory of earlier
 * versions), participant lists, the store-backed single-use record.  Part of
 * libdoorauth (not of door-gate). */
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

#include "util/buf.h"

struct door_store;

/* ---- key ring ------------------------------------------------------------ */

#define DOOR__TK_KID_MAX 63
/* Old keys stay published this long after their last token could end
 * (gate leeway and clock skew). */
#define DOOR__TK_RETIRE_MARGIN 120
/* Most keys published at once (rotation refuses to go past it). */
#define DOOR__TK_MAX_KEYS 64
/* The row of the pairwise key in signing_keys (not a JWK: never in the
 * JWKS; its alg keeps it out of every key list). */
#define DOOR__TK_PAIRWISE_KID "door-pairwise"
#define DOOR__TK_PAIRWISE_ALG "HMAC-SHA256-pairwise"

typedef struct door__tk_key {
  char kid[DOOR__TK_KID_MAX + 1];
  int64_t created_at, not_before, retire_at; /* retire_at 0: not planned */
  door_jwk *jwk;                             /* private */
} door__tk_key;

/* The keys published at the time it was read; immutable once made. */
typedef struct door__tk_ring {
  atomic_uint refs;
  size_t n;
  door__tk_key *keys; /* oldest first */
} door__tk_ring;

door__tk_ring *door__tk_ring_new(void);
door__tk_ring *door__tk_ring_ref(door__tk_ring *r);
void door__tk_ring_unref(door__tk_ring *r);
/* Appends a copy of `k` (takes its jwk reference).  DOOR_ENOMEM. */
door_err door__tk_ring_push(door__tk_ring *r, const door__tk_key *k);
/* The key that signs at `now` (newest not_before <= now, not retired), or
 * NULL. */
const door__tk_key *door__tk_ring_signer(const door__tk_ring *r, int64_t now);
/* 1 when the key is in the JWKS at `now`. */
int door__tk_key_published(const door__tk_key *k, int64_t now);
/* RFC 7638 thumbprint of a P-256 key, base64url (43 characters). */
door_err door__tk_thumbprint(const door_jwk *key, char out[64]);
/* A private P-256 key from PEM whose thumbprint must be `kid`.
 * DOOR_EJWK_INVALID otherwise (where = `where`). */
door_err door__tk_key_from_pem(const char *pem, size_t len, const char *kid,
                               const char *where, door_jwk **out,
                               door_detail *d);

/* base64url(HMAC-SHA256(key, account_id || 0x00 || event_id)). */
door_err door__tk_pairwise_sub(const unsigned char key[32],
                               const char *account_id, const char *event_id,
                               char out[64]);

/* ---- the state directory of earlier versions (keyring.c) -----------------
 *
 * Before the keys lived in the store they were files; door_tickets_new
 * imports them once (keystore.c):
 *   STATE_DIR/pairwise.key             base64url of 32 bytes, 0600
 *   STATE_DIR/signing-keys/index.json  {"keys":[{"kid","alg","created_at",
 *                                       "not_before","retire_at"}]}
 *   STATE_DIR/signing-keys/KID.pem     PKCS#8, 0600
 * A file readable by group or others, a key that does not match its kid,
 * a malformed index or pairwise key: an error (nothing is imported). */

/* The published keys of the old ring at `now` (loaded), or *out = NULL
 * when there is no index.json. */
door_err door__tk_dir_ring(const char *state_dir, int64_t now,
                           door__tk_ring **out, door_detail *d);
/* The old pairwise key: *found = 0 when there is no file. */
door_err door__tk_dir_pairwise(const char *state_dir, unsigned char key[32],
                               int *found, door_detail *d);
/* Renames index.json and pairwise.key to NAME.imported (missing files are
 * skipped), so that the next start does not import them again. */
void door__tk_dir_mark_imported(const char *state_dir);

/* ---- keys in the store (keystore.c) ---------------------------------------
 *
 * Every key is a row of the store's signing_keys table; private_pem holds
 * the PKCS#8 PEM sealed with AES-256-GCM (door__tk_seal) under a key
 * derived from [broker] cookie_key, so a copy of the database alone gives
 * no signing key.  The pairwise key is the row DOOR__TK_PAIRWISE_KID. */

/* HKDF-SHA256(cookie_key, info "doorauth tickets: keys at rest v1").
 * DOOR_ECONFIG_MISSING without a cookie_key. */
door_err door__tk_seal_key(const struct door_config *cfg, unsigned char key[32],
                           door_detail *d);
/* 0x01 || IV (12) || AES-256-GCM(plain) || tag (16), with the kid and alg
 * as associated data (a blob moved to another row does not open). */
door_err door__tk_seal(const unsigned char key[32], const char *kid,
                       const char *alg, const void *plain, size_t len,
                       door_buf *out);
/* The inverse; DOOR_ETICKETS_KEY_SEAL when it does not open. */
door_err door__tk_unseal(const unsigned char key[32], const char *kid,
                         const char *alg, const uint8_t *blob, size_t len,
                         door_buf *out, door_detail *d);

/* At door_tickets_new: imports the state directory once, makes the first
 * key and the pairwise key unless another process did, reads the keys. */
door_err door__tk_store_start(door_tickets *t, int64_t now, door_detail *d);
/* The published keys at `now`, read from the store and opened (keys
 * already in `old`, which may be NULL, are taken from it rather than
 * opened again); retires (in the store) keys whose retire_at has passed. */
door_err door__tk_store_read(door_tickets *t, int64_t now,
                             const door__tk_ring *old, door__tk_ring **out,
                             door_detail *d);
/* Rotation (see tickets.h) in the store. */
door_err door__tk_store_rotate(door_tickets *t, int64_t now, unsigned flags,
                               char *kid_out, door_detail *d);

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
  char *state_dir, *issuer; /* state_dir: NULL when none (import only) */
  struct door_store *store; /* owned */
  unsigned char seal[32];   /* door__tk_seal_key */
  unsigned char pairwise[32];
  int64_t jwks_max_age, prepublish, max_lifetime, refresh;
  const struct door_log *log;
  int64_t (*clock)(void *ud);
  void *clock_ud;
  door_tickets_entitlement_fn entitlement;
  void *entitlement_ud;
  pthread_mutex_t mu; /* ring, ring_read_at */
  door__tk_ring *ring;
  int64_t ring_read_at; /* when the last read from the store began */
  pthread_mutex_t pmu;  /* participants cache */
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
