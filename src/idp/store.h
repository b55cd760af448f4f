/* door-idp grant stores: authorization codes, opaque access tokens, refresh
 * tokens and login sessions, each a string-keyed hash map of door_idp_grant
 * with an expiry, behind its own mutex.
 *
 * Values are copied in and out: a caller never holds a pointer into the
 * map, so a concurrent delete cannot pull memory from under it.  Expired
 * entries are dropped when met and by an incremental sweep on insertion.
 * A store holds at most `max` entries (DOOR_ETOOBIG past it, after a full
 * sweep of expired entries).
 */
#ifndef DOOR_IDP_STORE_H
#define DOOR_IDP_STORE_H

#include "doorauth/error.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Everything a code, token or session is bound to.  Any string may be NULL.
 * Owned by whoever holds the struct (door__idp_grant_free). */
typedef struct door_idp_grant {
  char *client_id;
  char *user_id;
  char *scope;
  char *nonce;
  char *sid;
  char *redirect_uri;
  char *code_challenge;
  char *challenge_method;
  char *clients; /* sessions: space-separated client ids that got tokens */
  char *issued;  /* codes: the tokens issued from it, space-separated */
  int64_t auth_time;
  int64_t exp; /* expiry, profile clock seconds */
  int used;    /* codes: redeemed */
} door_idp_grant;

void door__idp_grant_free(door_idp_grant *g);
/* Deep copy; dst is overwritten (not freed). */
door_err door__idp_grant_copy(door_idp_grant *dst, const door_idp_grant *src);

typedef struct door_idp_entry door_idp_entry;

typedef struct door_idp_store {
  pthread_mutex_t lock;
  door_idp_entry **buckets;
  size_t nbuckets;
  size_t n;
  size_t max;
  size_t sweep; /* next bucket of the incremental sweep */
} door_idp_store;

door_err door__idp_store_init(door_idp_store *s, size_t max);
void door__idp_store_free(door_idp_store *s);
size_t door__idp_store_count(door_idp_store *s);

/* Inserts a copy of `g` under `key` (DOOR_EEXISTS when taken).  `now` lets
 * the sweep drop expired entries. */
door_err door__idp_store_put(door_idp_store *s, const char *key,
                             const door_idp_grant *g, int64_t now);
/* Copies the grant out.  DOOR_ENOTFOUND, or DOOR_EIDP_GRANT_EXPIRED (the
 * entry is then dropped). */
door_err door__idp_store_get(door_idp_store *s, const char *key, int64_t now,
                             door_idp_grant *out);
/* door__idp_store_get and removal in one step. */
door_err door__idp_store_take(door_idp_store *s, const char *key, int64_t now,
                              door_idp_grant *out);
door_err door__idp_store_del(door_idp_store *s, const char *key);
/* Drops every expired entry; returns how many. */
size_t door__idp_store_purge(door_idp_store *s, int64_t now);
/* Appends " word" to the named string field of an entry (sessions'
 * clients, codes' issued tokens) unless already present.  `field` is
 * offsetof(door_idp_grant, clients) or offsetof(..., issued). */
door_err door__idp_store_append(door_idp_store *s, const char *key,
                                size_t field, const char *word);

/* Redeems an authorization code.  Checks, each with its own code: unknown
 * (DOOR_ENOTFOUND), expired (DOOR_EIDP_GRANT_EXPIRED), already redeemed
 * (DOOR_EIDP_GRANT_USED: `out` is still filled so the caller can revoke
 * what was issued), issued to another client (DOOR_EIDP_GRANT_CLIENT),
 * another redirect_uri (DOOR_EIDP_GRANT_REDIRECT).  On success the code is
 * marked used unless `keep` (the "code accepted twice" fault) and `out`
 * receives a copy. */
door_err door__idp_code_redeem(door_idp_store *s, const char *code,
                               const char *client_id, const char *redirect_uri,
                               int64_t now, int keep, door_idp_grant *out);

/* PKCE (RFC 7636): checks `verifier` (43..128 unreserved characters) against
 * the challenge for `method` ("S256" or "plain").  DOOR_EIDP_PKCE_MISSING
 * without a verifier, DOOR_EIDP_PKCE_FORMAT for a malformed one,
 * DOOR_EIDP_PKCE for a mismatch, DOOR_EUNSUPPORTED for another method. */
door_err door__idp_pkce_check(const char *challenge, const char *method,
                              const char *verifier);

/* `n` random bytes as base64url (a code, token or sid). */
door_err door__idp_random_token(size_t n, char *out, size_t cap);

/* Random bytes for the non-secret identifiers of every token (the JWT `jti`
 * of access tokens), drawn from OpenSSL 4 KiB at a time: one RAND_bytes
 * call (and its fork check, a getpid system call) per 256 jtis instead of
 * one per token.  Bytes are used once and wiped as they are handed out.
 * Thread-safe (one mutex); owned by its profile. */
typedef struct door_idp_rng {
  pthread_mutex_t lock;
  size_t pos; /* next unused byte of buf; sizeof buf: empty */
  unsigned char buf[4096];
} door_idp_rng;

door_err door__idp_rng_init(door_idp_rng *r);
void door__idp_rng_free(door_idp_rng *r);
/* Like door__idp_random_token, from the pool (n <= 64). */
door_err door__idp_rng_token(door_idp_rng *r, size_t n, char *out, size_t cap);

#endif
