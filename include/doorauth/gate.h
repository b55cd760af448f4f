/* doorauth — the gate: offline verification of DOOR participation tokens.
 *
 * A participation token is a compact JWS made by the broker
 * (doorauth/tickets.h) for one person and one event:
 *
 *   header  {"alg":"ES256","typ":"door-participation+jwt","kid":"..."}
 *   claims  {"iss":"<broker public URL>","aud":"<event id>",
 *            "sub":"<pairwise id>","tier":"...","iat":N,"nbf":N,"exp":N,
 *            "jti":"..."}
 *
 * An event's gate holds the broker's public keys (a JWK set: a file, a
 * string, or the broker's /.well-known/jwks.json fetched and cached) and
 * checks tokens without asking the broker anything:
 *
 *   door_gate_options o;
 *   door_gate_options_init(&o);
 *   o.issuer = "https://door.example.jp";
 *   o.jwks_file = "/etc/door/jwks.json";
 *   o.single_use = 1;                           (single-use events)
 *   err = door_gate_new(&o, &gate, &d);
 *   ...
 *   err = door_gate_verify(gate, token, strlen(token), "live-2025",
 *                          time(NULL), &res, &d);
 *   if (err == DOOR_OK) admit(res.sub, res.tier); else refuse(err);
 *
 * Checks, in this order, each failure with its own stable code
 * (door_err_name(): GATE_EXP, SIG_INVALID, ...), failing closed:
 *   structure (the JOSE module's rules, same codes): size caps
 *     (JWS_TOOBIG), three segments (JWS_SEGMENTS), strict base64url (B64),
 *     header and claims JSON (JWS_HEADER, JWS_PAYLOAD, JSON_DUPKEY,
 *     JSON_DEPTH, UTF8), alg none (ALG_NONE), unknown alg (ALG_UNKNOWN),
 *     crit (JWS_CRIT), key-supplying headers (JWS_KEYREF);
 *   header: alg ES256 only (ALG_NOT_ALLOWED), typ exactly
 *     door-participation+jwt (GATE_TYP), a kid (KID_UNKNOWN when absent),
 *     no other member (GATE_HEADER);
 *   claims present, of their types, and nothing else (GATE_CLAIMS):
 *     iss, aud, sub, tier, jti non-empty strings without control
 *     characters; iat, nbf, exp non-negative integers;
 *   the key: kid in the key set (KID_UNKNOWN);
 *   the signature: 64 bytes (SIG_LENGTH), 1 <= r, s < n (SIG_RANGE), then
 *     ECDSA P-256 with SHA-256 (SIG_INVALID);
 *   then, only for authentic tokens: iss equal to the configured issuer
 *     (GATE_ISS), aud equal to the event id given (GATE_AUD), now < exp +
 *     leeway (GATE_EXP), now >= nbf - leeway (GATE_NBF), iat <= now +
 *     leeway (GATE_IAT), and with single_use a jti never admitted before
 *     for this event (GATE_REPLAYED).
 * Keys that stopped being published (a retired key after its overlap) are
 * not in the set: KID_UNKNOWN.
 *
 * Fast path: tokens in the form the broker writes are read without a JSON
 * tree (a strict reader for exactly this flat header and claim set: no
 * duplicates, standard escapes only, canonical integers); each key's
 * OpenSSL contexts are prepared once and reused.  Anything the strict
 * reader does not take is refused; the JOSE module's full parser then only
 * names the reason.
 *
 * Single use: with single_use, a token's (event id, jti) is admitted once.
 * The built-in record is in memory (one gate process), kept until the
 * token's exp + leeway, bounded by jti_max live entries (past that, verify
 * fails with DOOR_ETOOBIG: it cannot prove the token unused).  Several gates
 * sharing one event plug a shared record (jti_guard); the library has one
 * backed by the broker's store.
 *
 * Key sets from a URL: fetched at door_gate_new (libcurl; https, or http to
 * a loopback address with allow_insecure_loopback; no redirects; 256 KiB
 * cap) and written to jwks_cache_file when given, so that a gate started
 * without network uses the last good copy.  door_gate_refresh fetches again
 * once the server's Cache-Control max-age (clamped to 60 s .. 1 day) has
 * passed; a token naming an unknown kid makes verify fetch again at most
 * once a minute.  A failed fetch keeps the keys in use.
 *
 * Threading: after door_gate_new returns, door_gate_verify and
 * door_gate_refresh may be called from any number of threads at once on
 * one gate.  door_gate_free must not race with any other call.
 * Tokens are never logged nor put in a door_detail.
 */
#ifndef DOORAUTH_GATE_H
#define DOORAUTH_GATE_H

#include "doorauth/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DOOR_GATE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define DOOR_GATE_MUST_CHECK
#endif

/* The header typ of a participation token. */
#define DOOR_GATE_TYP "door-participation+jwt"

/* Longest claim values a gate takes (bytes; longer: GATE_CLAIMS). */
#define DOOR_GATE_ISS_MAX 512
#define DOOR_GATE_AUD_MAX 255
#define DOOR_GATE_SUB_MAX 128
#define DOOR_GATE_TIER_MAX 64
#define DOOR_GATE_JTI_MAX 128
#define DOOR_GATE_KID_MAX 128

/* Default leeway for nbf, exp and iat, in seconds. */
#define DOOR_GATE_LEEWAY_DEFAULT 30
/* Default bound of the in-memory single-use record. */
#define DOOR_GATE_JTI_MAX_DEFAULT 100000

/* A shared single-use record.  admit() records (event_id, jti) until
 * expires_at and returns DOOR_OK the first time, DOOR_EGATE_REPLAYED after
 * (any other code makes verify fail with it: fail closed).  It must be
 * safe to call from several threads at once. */
typedef struct door_gate_jti_guard {
  door_err (*admit)(void *ud, const char *event_id, const char *jti,
                    int64_t expires_at, int64_t now);
  void *ud;
} door_gate_jti_guard;

typedef struct door_gate_options {
  /* Required: the broker's public URL, compared exactly with iss. */
  const char *issuer;
  /* Exactly one key source: */
  const char *jwks;      /* a JWK set document... */
  size_t jwks_len;       /* ...of this length (0: strlen) */
  const char *jwks_file; /* a file holding one */
  const char *jwks_url;  /* or the broker's /.well-known/jwks.json */
  /* URL only: */
  const char *jwks_cache_file; /* last good copy; NULL: none */
  const char *ca_file;         /* PEM CA bundle; NULL: the system's */
  int allow_insecure_loopback; /* http:// to 127.0.0.1, ::1, localhost */
  long timeout_ms;             /* whole fetch; 0: 10000 */
  /* Checks: */
  int64_t leeway; /* seconds, 0..3600; door_gate_options_init: 30 */
  int single_use; /* 1: refuse a jti admitted before */
  /* Shared record for single_use; NULL: in memory, this gate only.  Must
   * outlive the gate. */
  const door_gate_jti_guard *jti_guard;
  size_t jti_max; /* in-memory record bound; 0: the default */
  /* Seconds since the epoch for refresh timing; NULL: time(). */
  int64_t (*clock)(void *ud);
  void *clock_ud;
} door_gate_options;

/* Zeroes `o` and sets leeway to DOOR_GATE_LEEWAY_DEFAULT. */
void door_gate_options_init(door_gate_options *o);

typedef struct door_gate door_gate;

/* Creates a gate.  DOOR_EINVAL for missing or contradicting options (no
 * issuer, no key source or more than one, leeway out of range); the JWKS
 * codes of the JOSE module (JWKS_INVALID also when the set has no P-256 key
 * with a kid usable for ES256); DOOR_EIO for an unreadable file; HTTP codes
 * when the URL fails and there is no cache file to fall back to. */
door_err door_gate_new(const door_gate_options *o, door_gate **out,
                       door_detail *d) DOOR_GATE_MUST_CHECK;
void door_gate_free(door_gate *g);

/* What an admitted token says. */
typedef struct door_gate_result {
  char sub[DOOR_GATE_SUB_MAX + 1];
  char tier[DOOR_GATE_TIER_MAX + 1];
  char jti[DOOR_GATE_JTI_MAX + 1];
  char kid[DOOR_GATE_KID_MAX + 1];
  int64_t iat, nbf, exp;
} door_gate_result;

/* Verifies `token` (token[0..len)) for `event_id` at `now` (Unix time).
 * DOOR_OK: admitted, and `out` says by what; any other code: refused for
 * that reason (see the list above), and `out` is zeroed.  `out` is
 * required; `d` may be NULL.  No allocation on this path once the gate is
 * warm, except the first use of a key by each concurrent caller. */
door_err door_gate_verify(door_gate *g, const char *token, size_t len,
                          const char *event_id, int64_t now,
                          door_gate_result *out,
                          door_detail *d) DOOR_GATE_MUST_CHECK;

/* URL sources: fetches the key set again when its max-age has passed (or
 * always with force), swapping it in when it parses.  DOOR_OK also when no
 * fetch was due; DOOR_EUNSUPPORTED for file and string sources. */
door_err door_gate_refresh(door_gate *g, int force,
                           door_detail *d) DOOR_GATE_MUST_CHECK;

/* Number of ES256 keys in use. */
size_t door_gate_key_count(door_gate *g);

#ifdef __cplusplus
}
#endif
#endif
