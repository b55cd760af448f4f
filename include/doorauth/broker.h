/* doorauth — the broker: DOOR accounts, sessions, linking and logout on top
 * of the login flow (doorauth/login.h).  This is the API a login server
 * embeds; door-broker is a thin HTTP adapter over exactly these calls.
 *
 * As with door_login_*, no HTTP server is involved: the embedding program
 * owns the routes and passes the request's strings (raw query, raw Cookie
 * header, form fields) in; it gets back what to answer (a Location, the
 * Set-Cookie values, an account id) in a door_broker_reply.
 *
 * A minimal login server (examples/embed.c does exactly this):
 *
 *   door_config *cfg;  door_broker *b;  door_detail d;
 *   door_config_load("/etc/doorauth/doorauth.ini", &cfg, &d);
 *   door_broker_new(cfg, NULL, &b, &d);          (b now owns cfg)
 *
 *   GET /login/NAME?return_to=/x
 *     door_broker_begin p = {.provider = "NAME", .return_to = "/x"};
 *     door_broker_login_begin(b, &p, cookie_header, &reply, &d);
 *       -> 302 reply.location, Set-Cookie: each reply.set_cookie[i]
 *   GET /callback/NAME?...        (the redirect_uri registered at NAME:
 *                                  door_broker_redirect_uri())
 *     door_broker_login_finish(b, "NAME", raw_query, cookie_header,
 *                              &reply, &d);
 *       -> always send every reply.set_cookie[i] (also on failure);
 *          on success 302 reply.location (the return_to given at begin),
 *          on failure an error page (door_broker_error_message) with the
 *          status door_broker_error_status(err).
 *   any page
 *     door_broker_session_get(b, cookie_header, &s, &d)
 *       -> DOOR_OK and s.account_id, or DOOR_EBROKER_NO_SESSION.
 *
 * Accounts.  A DOOR account is an opaque id (32 hex digits) with one or
 * more linked identities, each an (issuer, subject) pair of a provider.  At
 * finish an unknown (issuer, subject) creates a new account and links it;
 * a known one signs in to its account.  Nothing else is ever matched: not
 * an e-mail address, a phone number nor any other claim.  Concurrent first
 * logins of one subject (threads or processes) create exactly one account.
 *
 * Linking.  Only from a signed-in session, through a fresh login at the
 * other provider: door_broker_login_begin with .link = 1 and the session's
 * CSRF token seals the session's account id into the pending login (and
 * asks the provider for prompt=login); at finish the session presenting
 * the callback must still be that account's (else
 * DOOR_EBROKER_LINK_SESSION), and the identity is linked to it.  An
 * identity linked to another account is refused
 * (DOOR_ESTORE_IDENTITY_TAKEN): it is never moved silently.  Unlinking an
 * account's last identity is refused (DOOR_ESTORE_LAST_IDENTITY).
 *
 * Sessions.  Server-side, in the store: the cookie holds 256 random bits
 * (base64url) and the store only their SHA-256.  Every login (and link)
 * makes a new id and ends the session the browser had.  A session ends
 * after [broker] session_idle without use or session_absolute after the
 * login, at logout, or at a provider's back-channel logout.  The cookie is
 *   __Host-door-session=ID; Path=/; Max-Age=ABS; HttpOnly; SameSite=Lax;
 *   Secure                                  when public_url is https,
 *   door-session=ID; Path=/; Max-Age=ABS; HttpOnly; SameSite=Lax
 *                                           otherwise (loopback tests).
 * Pending logins are one-time across every broker sharing the store: the
 * store's used_states table is the door_login replay guard, consumed by
 * the login's single store transaction (docs/broker.md, "The login
 * commit").
 *
 * CSRF.  Every state-changing call (link, unlink, logout) takes the
 * session's CSRF token (door_broker_session.csrf_token: an HMAC of a
 * per-session secret, stable for the session's life) and refuses a
 * missing or wrong one (DOOR_EBROKER_CSRF).  Put it in a hidden form field
 * of POST forms; door_broker_origin_check refuses a foreign Origin header.
 *
 * Logout.  door_broker_logout ends the session here and, when the
 * session's provider has an end_session_endpoint (configured or
 * discovered), answers with a Location at the provider (RP-Initiated
 * Logout 1.0: id_token_hint, client_id and post_logout_redirect_uri =
 * <public_url>/logged-out, which must be registered at the provider and
 * served by the embedder); otherwise the Location is <public_url>/logged-out.
 * The ID token for id_token_hint is kept in a sealed cookie
 * (__Host-door-logout, AES-256-GCM under a key derived from cookie_key,
 * bound to the session) only for such providers.
 * door_broker_backchannel_logout is the provider-facing endpoint of
 * Back-Channel Logout 1.0 (register <public_url>/backchannel-logout/NAME):
 * it validates the logout token with the provider's keys and ends the
 * sessions of its sid (or of its sub at that issuer).
 *
 * Ownership.  door_broker_new and door_broker_reload take the door_config
 * (also when they fail): the broker frees it when no call uses it any
 * more.  Replies, sessions and strings returned through out-parameters
 * belong to the caller: door_broker_reply_clear, door_broker_session_clear,
 * free().
 *
 * Threading.  After door_broker_new returns, every function may be called
 * from any number of threads at once on one door_broker, including
 * door_broker_reload: calls in flight finish with the configuration they
 * started with, and the next calls use the new one (the store and its
 * sessions stay).  door_broker_free must not race with any other call.
 *
 * Secrets.  Session ids, CSRF secrets, codes and tokens are never logged
 * and never put in a door_detail.  Every log line goes through the logger
 * (redaction by key and shape); options.log_sink receives finished lines.
 */
#ifndef DOORAUTH_BROKER_H
#define DOORAUTH_BROKER_H

#include "doorauth/error.h"
#include "doorauth/login.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ---------------------------------------------------------
 * The INI file described in docs/doorauth.example.ini ([broker], [store],
 * [provider "NAME"], [event "ID"]).  On failure *out is NULL and `d` holds
 * the first problem (`door-broker --config FILE check` lists them all). */
typedef struct door_config door_config;

door_err door_config_load(const char *path, door_config **out, door_detail *d);
void door_config_free(door_config *cfg);

/* ---- the broker ------------------------------------------------------------
 */

typedef struct door_broker door_broker;

/* Receives one finished, redacted log line (no newline); level 0 debug, 1
 * info, 2 warn, 3 error.  Called from any thread. */
typedef void (*door_broker_log_fn)(void *ud, int level, const char *line,
                                   size_t len);

typedef struct door_broker_options {
  door_broker_log_fn log_sink; /* NULL: lines go to stderr */
  void *log_ud;
  const char *log_program; /* prog= of each line; NULL: "doorauth" */
  /* Seconds since the epoch; NULL: time().  For tests. */
  int64_t (*clock)(void *ud);
  void *clock_ud;
} door_broker_options;

/* Zeroes the options: every field takes its default. */
void door_broker_options_init(door_broker_options *o);

/* Opens the store ([store] url, migrating it), configures the login flow
 * (door_rp) with a store-backed replay guard.  No network I/O.  Takes cfg,
 * which must not be used by the caller afterwards. */
door_err door_broker_new(door_config *cfg, const door_broker_options *o,
                         door_broker **out, door_detail *d);

/* Swaps in a new configuration (takes cfg): providers, return_to_allow,
 * timeouts, cookie_key and log level change for the next calls; sessions
 * stay.  [store] url is not reopened (a change is logged and ignored:
 * restart for that).  On failure the old configuration stays in force. */
door_err door_broker_reload(door_broker *b, door_config *cfg, door_detail *d);

void door_broker_free(door_broker *b);

/* ---- what to answer ------------------------------------------------------ */

#define DOOR_BROKER_MAX_COOKIES 4

typedef struct door_broker_reply {
  char *location; /* redirect here (302/303), or NULL */
  char *set_cookie[DOOR_BROKER_MAX_COOKIES]; /* Set-Cookie values to send */
  size_t n_set_cookie;
  char account_id[33]; /* finish: the account signed in to; "" otherwise */
  int account_created; /* finish: a new account was made */
  int linked;          /* finish of a link: the identity was linked */
} door_broker_reply;

void door_broker_reply_clear(door_broker_reply *r);

/* ---- providers ------------------------------------------------------------
 */

typedef struct door_broker_provider_info {
  char name[64];          /* [provider "NAME"] */
  char display_name[256]; /* display_name, or NAME */
  char type[32];          /* generic, daccount, xmarket */
} door_broker_provider_info;

/* Writes up to `cap` configured providers, in configuration order, and
 * returns how many there are. */
size_t door_broker_providers(door_broker *b, door_broker_provider_info *out,
                             size_t cap);

typedef struct door_broker_event_info {
  char id[256];    /* [event "ID"] */
  char title[256]; /* title, or ID */
} door_broker_event_info;

/* Writes up to `cap` configured events, in configuration order, and
 * returns how many there are. */
size_t door_broker_events(door_broker *b, door_broker_event_info *out,
                          size_t cap);

/* The callback URL registered at `provider` (door_login_redirect_uri). */
door_err door_broker_redirect_uri(door_broker *b, const char *provider,
                                  char *out, size_t cap);

/* 1 when public_url is https (cookies get __Host- and Secure). */
int door_broker_is_secure(door_broker *b);

/* ---- logins ------------------------------------------------------------- */

typedef struct door_broker_begin {
  const char *provider;   /* required */
  const char *return_to;  /* NULL: "/"; checked against return_to_allow */
  const char *login_hint; /* optional, passed to the provider */
  const char *prompt;     /* optional OIDC prompt; link forces "login" */
  int link;               /* 1: link `provider` to the signed-in account */
  const char *csrf_token; /* required when link */
} door_broker_begin;

/* Begins a login: out->location is the provider's authorization URL and
 * out->set_cookie[0] the sealed pending-login cookie.  With link = 1 the
 * Cookie header must carry a live session (DOOR_EBROKER_NO_SESSION) and
 * csrf_token be its token (DOOR_EBROKER_CSRF). */
door_err door_broker_login_begin(door_broker *b, const door_broker_begin *p,
                                 const char *cookie_header,
                                 door_broker_reply *out, door_detail *d);

/* Finishes a login at `provider`'s callback (door_login_finish's checks),
 * maps the identity to its account (or links it) and starts a new session:
 * out->set_cookie holds the pending-login deletion, the session cookie,
 * and the logout-hint cookie or its deletion; out->location the return_to
 * of the login.  On failure no session is made and out->set_cookie may
 * still hold cookie deletions: send them. */
door_err door_broker_login_finish(door_broker *b, const char *provider,
                                  const char *query, const char *cookie_header,
                                  door_broker_reply *out, door_detail *d);

/* ---- sessions ------------------------------------------------------------ */

typedef struct door_broker_identity {
  char *provider;     /* configuration name it was linked through */
  char *display_name; /* the provider's display name (or provider) */
  char *issuer;
  char *subject;
  int64_t linked_at, last_login_at; /* Unix time */
} door_broker_identity;

typedef struct door_broker_session {
  char account_id[33];
  int64_t created_at, idle_expires_at, absolute_expires_at; /* Unix time */
  char provider[64];   /* the provider of the login that made the session */
  char csrf_token[48]; /* for forms of this session (43 characters) */
  door_broker_identity *identities; /* oldest link first */
  size_t n_identities;
} door_broker_session;

/* Looks the session of the Cookie header up and refreshes its idle time.
 * DOOR_EBROKER_NO_SESSION when there is none (no cookie, unknown, expired
 * or ended).  `out` is overwritten; clear it after. */
door_err door_broker_session_get(door_broker *b, const char *cookie_header,
                                 door_broker_session *out, door_detail *d);
void door_broker_session_clear(door_broker_session *s);

/* The session as a JSON object (malloc'ed, free() it):
 *   {"account_id":"...","created_at":N,"expires_at":N,"provider":"...",
 *    "identities":[{"provider":"...","display_name":"...","issuer":"...",
 *                   "subject":"...","linked_at":N,"last_login_at":N}]}
 * expires_at is the earlier of the idle and absolute ends. */
door_err door_broker_session_json(const door_broker_session *s, char **out);

/* DOOR_OK when `token` is the session's CSRF token (constant time),
 * DOOR_EBROKER_CSRF otherwise (also for NULL or ""). */
door_err door_broker_csrf_check(const door_broker_session *s,
                                const char *token);

/* DOOR_OK when `origin` (the request's Origin header) is NULL, or is the
 * public_url's origin; DOOR_EBROKER_CSRF otherwise. */
door_err door_broker_origin_check(door_broker *b, const char *origin);

/* ---- participation tokens (docs/gate.md) ---------------------------------
 * At login the broker keeps the access/refresh tokens of providers with an
 * entitlement check (XMarket).  door_broker_participation runs
 * door_tickets_participation for the signed-in session `s` at `event_id`
 * on the current configuration, with the kept access token (an expired one
 * means a new sign-in: there is no refresh grant yet).  Always sets
 * *status and *body (malloc'ed; 200: door_tickets_token_json, a secret;
 * otherwise {"error":NAME,"message":...} in `lang`).  Returns DOOR_OK or
 * the refusal's code (TICKETS_*, ...), DOOR_ENOMEM without a body. */
#define DOOR_BROKER_PART_MAX_IDS 32
struct door_tickets;
door_err door_broker_participation(door_broker *b, struct door_tickets *t,
                                   const door_broker_session *s,
                                   const char *event_id, const char *lang,
                                   unsigned *status, char **body,
                                   door_detail *d);

/* Unlinks one identity of the signed-in account, named by issuer and
 * subject, or by provider alone (issuer and subject NULL).  Needs the
 * session's CSRF token.  DOOR_ESTORE_LAST_IDENTITY for the last one,
 * DOOR_ENOTFOUND when the account has no such identity. */
door_err door_broker_unlink(door_broker *b, const char *cookie_header,
                            const char *csrf_token, const char *provider,
                            const char *issuer, const char *subject,
                            door_detail *d);

/* Ends the session of the Cookie header (needs its CSRF token): out->
 * set_cookie deletes the session and logout-hint cookies and out->location
 * says where to send the browser (see Logout above).  Without a live
 * session: DOOR_EBROKER_NO_SESSION, with the cookie deletions and
 * location filled all the same. */
door_err door_broker_logout(door_broker *b, const char *cookie_header,
                            const char *csrf_token, door_broker_reply *out,
                            door_detail *d);

/* Back-Channel Logout 1.0 for `provider`: `body` is the POST body
 * (application/x-www-form-urlencoded with logout_token).  Validates the
 * token (src/oidc/logout.h lists the checks), refuses a replayed jti
 * (DOOR_ELOGOUT_TOKEN_REPLAYED) and ends the matching sessions; *ended
 * (may be NULL) says how many.  Answer 200 on DOOR_OK, else 400
 * (door_broker_error_status). */
door_err door_broker_backchannel_logout(door_broker *b, const char *provider,
                                        const char *body, size_t len,
                                        uint64_t *ended, door_detail *d);

/* ---- people-facing errors -------------------------------------------------
 * A sentence about `err` for the person at the browser in `lang` ("ja" or
 * "en"; others: "en"), naming the provider by its display name when one is
 * given: door_login_error_message for login errors, and the broker's own
 * (identity taken, last identity, not signed in, form token, link).
 * Returns the length written (always NUL-terminated when cap > 0). */
size_t door_broker_error_message(door_broker *b, door_err err,
                                 const char *provider, const char *lang,
                                 char *out, size_t cap);
/* The HTTP status for a failure: 401 not signed in, 403 CSRF and link
 * session, 404 unknown provider or account, 409 identity taken and last
 * identity, 502 provider unreachable, 503 store busy, 500 internal and
 * store failures, 400 for every other (login) failure. */
int door_broker_error_status(door_err err);

/* ---- operators ------------------------------------------------------------
 * JSON texts (malloc'ed, free() them).  An account is
 *   {"id":"...","created_at":N,"identities":[{"provider":"...",
 *    "issuer":"...","subject":"...","linked_at":N,"last_login_at":N}]}. */

/* Accounts in id order after `after_id` (NULL: from the first), at most
 * `limit` (1..1000): {"accounts":[...],"next":"ID" or null}. */
door_err door_broker_accounts_json(door_broker *b, const char *after_id,
                                   size_t limit, char **out, door_detail *d);
/* One account.  DOOR_ENOTFOUND: no such account. */
door_err door_broker_account_json(door_broker *b, const char *account_id,
                                  char **out, door_detail *d);
/* Unlinks the account's identity of `provider` (refuses the last one). */
door_err door_broker_account_unlink(door_broker *b, const char *account_id,
                                    const char *provider, door_detail *d);
/* Deletes the account with its identities and sessions; *out (may be
 * NULL) gets the counts as JSON: {"identities":N,"sessions":N,...}. */
door_err door_broker_account_delete(door_broker *b, const char *account_id,
                                    char **out, door_detail *d);

/* Deletes expired sessions and one-time keys, and the transmission
 * records older than [store] transmission_retention (default 90 days).
 * Call every few minutes. */
door_err door_broker_maintenance(door_broker *b, door_detail *d);
/* DOOR_OK when the store answers. */
door_err door_broker_health(door_broker *b, door_detail *d);

/* Prometheus text exposition format 0.0.4 (malloc'ed, free() it): logins
 * by provider and outcome, login latency histograms, key-set fetches per
 * provider, store call latency, back-channel logouts, live sessions,
 * accounts and identities. */
door_err door_broker_metrics(door_broker *b, char **out);

#ifdef __cplusplus
}
#endif
#endif
