/* doorauth — participation tokens: who may enter an event, the token that
 * says so, and the broker's signing keys.  The gate's side is
 * doorauth/gate.h.
 *
 * The broker's route POST /api/events/{id}/participation (signed-in
 * session and CSRF token checked by the broker) is one call:
 *
 *   door_tickets_account a = {.account_id = s.account_id,
 *                             .identities = ids, .n_identities = n,
 *                             .access_token = fn, .ud = ctx};
 *   err = door_tickets_participation(t, cfg, rp, event_id, &a, now,
 *                                    &grant, &tok, &d);
 *   DOOR_OK  -> 200, body door_tickets_token_json(&tok)
 *   else     -> door_tickets_error_status(err) (403 for every refusal),
 *               body door_tickets_error_message(...)
 *
 * Events are the configuration's [event "ID"] sections: title, start and
 * end (the window: no token before start or from end on), providers (whose
 * identities may admit; empty: every provider), tiers, participants_file,
 * single_use, token_lifetime.
 *
 * Entitlement (door_tickets_check), per linked identity of a provider the
 * event takes:
 *   - XMarket (a provider with a ticket check): the account's access token
 *     at that provider, from the caller's access_token callback (which
 *     refreshes an expired one; DOOR_ENOTFOUND when there is no usable
 *     token), then the provider's ticket list (door_rp_entitlement).  An
 *     access token the provider refuses is asked for again with refresh = 1
 *     once; still refused, or none at all: TICKETS_RELOGIN_NEEDED ("sign in
 *     with XMarket again"), with the provider's name in d->where.
 *     A ticket whose tier the event does not take: TICKETS_TIER; no ticket:
 *     TICKETS_NO_TICKET.
 *   - other providers (d-account): the identity's subject must be a line of
 *     the event's participants_file, else TICKETS_NOT_PARTICIPANT.
 *   - the local roster, as a fallback: a line "account:ACCOUNT_ID" of the
 *     participants file admits that DOOR account whatever its identities.
 * The first identity that admits wins.  Refused, the reason is, in this
 * order: RELOGIN_NEEDED, a failed check's own code (HTTP_*, ENTITLEMENT:
 * "try again later"), TICKETS_TIER, TICKETS_NO_TICKET,
 * TICKETS_NOT_PARTICIPANT, TICKETS_NO_PROVIDER (no identity at a provider
 * the event takes).
 *
 * participants_file: one entry per line, "SUBJECT [TIER]" or
 * "account:ACCOUNT_ID [TIER]"; blank lines and lines starting with '#' are
 * ignored; TIER defaults to "participant".  The file is read again when it
 * changes.
 *
 * tiers: empty: any ticket tier is taken as it is ("general" when the
 * ticket has none).  Otherwise each item is "TIER" (taken as it is) or
 * "TICKET_TIER=DOOR_TIER" (renamed); a ticket of any other tier is refused.
 *
 * Token (door_tickets_issue): compact JWS, ES256, header
 * {"alg":"ES256","kid":KID,"typ":"door-participation+jwt"}, claims iss (the
 * broker's public URL), aud (the event id), sub (pairwise:
 * base64url(HMAC-SHA256(pairwise key, account_id || 0x00 || event_id)), so
 * organisers cannot follow a person across events), tier, iat = nbf = now,
 * exp = now + min(token_lifetime, end - now, ticket's valid_until - now),
 * jti (128 random bits, base64url).
 *
 * Keys, in the store ([store] url, shared by every broker instance): the
 * signing keys and the pairwise key (32 random bytes) are rows of the
 * signing_keys table, their private parts sealed with AES-256-GCM under
 * HKDF-SHA256([broker] cookie_key, "doorauth tickets: keys at rest v1"),
 * bound to the row's kid and alg: a copy of the database alone gives no
 * key.  Made at the first door_tickets_new, once however many brokers
 * start together (one serialised transaction; the others read the winner's
 * key).  kid is the RFC 7638 thumbprint.  The key that signs is the newest
 * one whose not_before has passed; the JWKS holds every key until its
 * retire_at.  Rotation publishes the new key `prepublish` seconds before it
 * signs (longer than the JWKS max-age, so caching gates have it), and keeps
 * the old one published until its last token has expired (the new key's
 * not_before + the longest token lifetime + 2 minutes); then it is marked
 * retired in the store.  Every door_tickets reads the keys again every
 * key_refresh seconds (and at once when none of its keys signs), so a
 * rotation made by `door-broker keys rotate` on any instance is taken up
 * by all within that time; when the store cannot be read, the keys in hand
 * stay in use.  A key ring in [broker] state_dir (pairwise.key,
 * signing-keys/index.json, signing-keys/KID.pem: earlier versions) is
 * imported into the store once at start (logged; the index and the
 * pairwise key file are renamed *.imported), keeping kids and subjects.
 *
 * Threading: after door_tickets_new returns, every function may be called
 * from any number of threads at once; door_tickets_free must not race with
 * them.  Tokens are secrets for as long as they live: never logged, never
 * in a door_detail.
 */
#ifndef DOORAUTH_TICKETS_H
#define DOORAUTH_TICKETS_H

#include "doorauth/error.h"
#include "doorauth/login.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct door_config;
struct door_log;

typedef struct door_tickets door_tickets;

/* The entitlement check of a provider (door_rp_entitlement's shape). */
typedef door_err (*door_tickets_entitlement_fn)(void *ud, const char *provider,
                                                const char *access_token,
                                                const char *event_id,
                                                door_entitlement *out,
                                                door_detail *d);

typedef struct door_tickets_options {
  const char *store_url; /* NULL: [store] url */
  /* NULL: [broker] state_dir; only read to import the keys of earlier
   * versions (see above). */
  const char *state_dir;
  const char *issuer; /* NULL: [broker] public_url */
  /* Seconds between reads of the keys from the store; 0: 2.  Keep it far
   * below prepublish: a rotation made by another broker is taken up
   * within this time. */
  int64_t key_refresh;
  int64_t jwks_max_age; /* JWKS Cache-Control max-age; 0: 300 */
  int64_t prepublish;   /* 0: 2 * jwks_max_age + 60 */
  /* Longest token any event gets, for key retirement; 0: the longest
   * token_lifetime of the configuration's events (at least 5 minutes). */
  int64_t max_token_lifetime;
  const struct door_log *log; /* NULL: no logging */
  /* Seconds since the epoch; NULL: time(). */
  int64_t (*clock)(void *ud);
  void *clock_ud;
  /* NULL: door_rp_entitlement on the door_rp given to check. */
  door_tickets_entitlement_fn entitlement;
  void *entitlement_ud;
} door_tickets_options;

/* Zeroes `o`: every field takes its default. */
void door_tickets_options_init(door_tickets_options *o);

/* Opens its own handle on the store (at most 2 connections), imports a
 * state directory's keys once, reads the signing keys and the pairwise
 * key, making them when missing (see above).  `cfg` is only read during
 * the call.  DOOR_ECONFIG_MISSING without a store URL, an issuer or a
 * cookie_key; DOOR_ETICKETS_KEY_SEAL when a stored key does not open with
 * this cookie_key; the store's errors (DOOR_ESTORE_UNAVAILABLE, ...);
 * DOOR_EIO, DOOR_EJSON, DOOR_EJWK_INVALID, DOOR_EINVAL for a state
 * directory that cannot be imported (nothing is imported then). */
door_err door_tickets_new(const struct door_config *cfg,
                          const door_tickets_options *o, door_tickets **out,
                          door_detail *d);
void door_tickets_free(door_tickets *t);

/* ---- entitlement ----------------------------------------------------------
 */

typedef struct door_tickets_identity {
  const char *provider; /* [provider "NAME"] it was linked through */
  const char *issuer;
  const char *subject;
} door_tickets_identity;

typedef struct door_tickets_account {
  const char *account_id;
  const door_tickets_identity *identities;
  size_t n_identities;
  /* A usable access token of this account at `provider` (refreshed by the
   * callee when expired, or when refresh is 1), malloc'ed into *token (the
   * caller wipes and frees it).  DOOR_ENOTFOUND: none, sign in again.
   * NULL: no access tokens (XMarket identities then need a new sign-in). */
  door_err (*access_token)(void *ud, const char *provider, int refresh,
                           char **token, door_detail *d);
  void *ud;
  /* The ticket checks made for this account are appended here
   * (doorauth/privacy.h; NULL: not recorded).  The caller keeps the
   * records, with the account id, in its transmission records. */
  struct door_txlog *tx;
} door_tickets_account;

typedef struct door_tickets_grant {
  char provider[64];   /* the identity's provider; "" for the roster */
  char via[16];        /* "ticket", "participants" or "roster" */
  char tier[65];       /* the token's tier */
  char ticket_id[128]; /* "ticket" only */
  int64_t valid_until; /* ticket's end; 0: none */
} door_tickets_grant;

/* DOOR_OK: admitted, `out` says how.  TICKETS_* (see above): refused.
 * Other codes: the check itself failed.  `rp` may be NULL when options
 * have an entitlement callback. */
door_err door_tickets_check(door_tickets *t, const struct door_config *cfg,
                            door_rp *rp, const char *event_id,
                            const door_tickets_account *acct, int64_t now,
                            door_tickets_grant *out, door_detail *d);

/* ---- issuing --------------------------------------------------------------
 */

typedef struct door_tickets_token {
  char *token; /* the compact JWS (malloc'ed; a secret) */
  char kid[64];
  char sub[64];
  char jti[32];
  char tier[65];
  char event_id[256];
  int64_t iat, exp;
} door_tickets_token;

/* A token for `account_id` at `event_id` with grant's tier (and
 * valid_until).  TICKETS_EVENT_UNKNOWN, TICKETS_EVENT_NOT_STARTED,
 * TICKETS_EVENT_CLOSED, TICKETS_NO_KEY. */
door_err door_tickets_issue(door_tickets *t, const struct door_config *cfg,
                            const char *event_id, const char *account_id,
                            const door_tickets_grant *grant, int64_t now,
                            door_tickets_token *out, door_detail *d);
/* Wipes and frees the token. */
void door_tickets_token_clear(door_tickets_token *tk);

/* door_tickets_check, then door_tickets_issue. */
door_err door_tickets_participation(door_tickets *t,
                                    const struct door_config *cfg, door_rp *rp,
                                    const char *event_id,
                                    const door_tickets_account *acct,
                                    int64_t now, door_tickets_grant *grant,
                                    door_tickets_token *out, door_detail *d);

/* The route's 200 body (malloc'ed):
 *   {"token":"...","token_type":"door-participation+jwt","event":"ID",
 *    "tier":"...","expires_at":N,"single_use":true|false} */
door_err door_tickets_token_json(const door_tickets_token *tk, int single_use,
                                 char **out);

/* The pairwise subject of `account_id` at `event_id` (43 characters). */
door_err door_tickets_subject(door_tickets *t, const char *account_id,
                              const char *event_id, char out[64]);

/* ---- keys -----------------------------------------------------------------
 */

/* The public key set for /.well-known/jwks.json (malloc'ed) and the
 * max-age to send: "Cache-Control: public, max-age=N". */
door_err door_tickets_jwks(door_tickets *t, char **json, int64_t *max_age,
                           door_detail *d);

/* {"keys":[{"kid","alg","created_at","not_before","retire_at",
 *           "state":"next"|"active"|"retiring"}]} (malloc'ed), oldest
 * first; "retiring": published, no longer signing. */
door_err door_tickets_keys_list(door_tickets *t, char **json, door_detail *d);

/* Flags for door_tickets_keys_rotate. */
#define DOOR_TICKETS_ROTATE_NOW                                                \
  1u /* compromise: the new key signs at once                                  \
        and every other key is withdrawn */

/* Makes a new key (see above) and plans the retirement of the others.
 * `kid` (may be NULL, else 64 bytes) receives the new key's kid. */
door_err door_tickets_keys_rotate(door_tickets *t, unsigned flags, char *kid,
                                  door_detail *d);

/* ---- messages for people ---------------------------------------------------
 */

/* A sentence for the person about a refusal or failure, in `lang` ("en" or
 * "ja"; others: "en"), naming the provider by `provider_display` when
 * given.  Returns the length written (NUL-terminated when cap > 0). */
size_t door_tickets_error_message(door_err err, const char *provider_display,
                                  const char *lang, char *out, size_t cap);
/* 404 unknown event, 403 for every refusal (no entitlement, window,
 * relogin), 502 a provider check that failed, 503 store busy, 500 others. */
int door_tickets_error_status(door_err err);

#ifdef __cplusplus
}
#endif
#endif
