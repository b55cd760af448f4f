/* The broker (internal): the state behind door_broker and the helpers its
 * files share.
 *
 * Configuration generations.  Everything that comes from a configuration
 * (the door_config itself, the door_rp built from it, the logger, the
 * derived keys, the end-session cache) lives in one reference-counted
 * door__bgen.  A call takes a reference to the current generation
 * (door__bgen_get) and drops it when done (door__bgen_put); a reload builds
 * a new generation and swaps the pointer under the broker's mutex, so calls
 * in flight keep theirs and the old one is freed by the last of them.  The
 * store, the replay guard and the metrics belong to the broker and outlive
 * every generation.
 */
#ifndef DOOR_BROKER_INT_H
#define DOOR_BROKER_INT_H

#include "doorauth/broker.h"
#include "doorauth/privacy.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---- cookies and tokens (session.c) --------------------------------------
 */

#define DOOR_SESSION_ID_BYTES 32
#define DOOR_SESSION_ID_LEN 43 /* base64url of 32 bytes */
#define DOOR_CSRF_SECRET_BYTES 32
#define DOOR_CSRF_TOKEN_LEN 43
#define DOOR_CSRF_LABEL "doorauth csrf v1"

#define DOOR_SESSION_COOKIE_SECURE "__Host-door-session"
#define DOOR_SESSION_COOKIE_PLAIN "door-session"
#define DOOR_HINT_COOKIE_SECURE "__Host-door-logout"
#define DOOR_HINT_COOKIE_PLAIN "door-logout"
#define DOOR_HINT_LABEL "doorauth logout-hint v1"
/* Largest logout-hint cookie value written (browsers keep 4096 per
 * cookie, name and attributes included). */
#define DOOR_HINT_COOKIE_MAX 3800

const char *door__session_cookie_name(int secure);
const char *door__hint_cookie_name(int secure);

/* "NAME=VALUE; Path=/; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]". */
door_err door__broker_set_cookie(const char *name, const char *value,
                                 int secure, int64_t max_age, door_buf *out);
/* The same with an empty value and Max-Age=0. */
door_err door__broker_del_cookie(const char *name, int secure, door_buf *out);

/* A fresh session id: 32 random bytes, base64url (43 characters) into
 * `id` (cap >= 44), and its store hash. */
door_err door__session_id_new(char id[DOOR_SESSION_ID_LEN + 1],
                              uint8_t hash[DOOR_STORE_HASH_LEN]);
/* The store hash of a cookie value; DOOR_EINVAL when it is not a session
 * id's shape (43 base64url characters). */
door_err door__session_id_hash(const char *id, size_t len,
                               uint8_t hash[DOOR_STORE_HASH_LEN]);

/* The CSRF token of a session: base64url(HMAC-SHA256(secret,
 * DOOR_CSRF_LABEL)), 43 characters and a NUL into `out`. */
door_err door__csrf_token(const uint8_t *secret, size_t len,
                          char out[DOOR_CSRF_TOKEN_LEN + 1]);
/* DOOR_OK when `token` is the token of `secret` (constant time),
 * DOOR_EBROKER_CSRF otherwise. */
door_err door__csrf_verify(const uint8_t *secret, size_t len,
                           const char *token);

/* Finds the session cookie's value in a Cookie header: DOOR_OK and *value
 * / *len pointing into the header, or DOOR_EBROKER_NO_SESSION (absent,
 * given twice, or oversized header). */
door_err door__session_cookie_find(const char *cookie_header, int secure,
                                   const char **value, size_t *len);

/* ---- the logout hint (hint.c) ----------------------------------------------
 * The ID token kept for id_token_hint, sealed to the session: value =
 * base64url(0x01 | iv[12] | AES-256-GCM(provider NUL id_token) | tag[16]),
 * AAD = label NUL cookie name NUL session hash. */
door_err door__hint_key(const door_config *cfg, unsigned char key[32]);
door_err door__hint_seal(const unsigned char key[32], const char *cookie_name,
                         const uint8_t session_hash[DOOR_STORE_HASH_LEN],
                         const char *provider, const char *id_token,
                         door_buf *out);
/* Opens a value sealed by door__hint_seal; *provider and *id_token are
 * malloc'ed (wipe the token: door__broker_free_secret).  DOOR_ELOGIN_SEAL
 * when it does not open. */
door_err door__hint_open(const unsigned char key[32], const char *cookie_name,
                         const uint8_t session_hash[DOOR_STORE_HASH_LEN],
                         const char *value, size_t len, char **provider,
                         char **id_token);
void door__broker_free_secret(char *s);

/* ---- metrics (metrics.c) ----------------------------------------------------
 */

#define DOOR_M_PROVIDERS 32
#define DOOR_M_BUCKETS 12 /* finite bucket bounds, then +Inf */

typedef enum door_m_store_op {
  DOOR_M_ST_LOGIN = 0, /* login_identity */
  DOOR_M_ST_LINK,
  DOOR_M_ST_UNLINK,
  DOOR_M_ST_SESSION_CREATE,
  DOOR_M_ST_SESSION_GET,
  DOOR_M_ST_SESSION_DELETE,
  DOOR_M_ST_ACCOUNT_GET,
  DOOR_M_ST_STATE,
  DOOR_M_ST_AUDIT,
  DOOR_M_ST_ADMIN,
  DOOR_M_ST_COUNT_
} door_m_store_op;

typedef struct door_m_hist {
  atomic_uint_fast64_t buckets[DOOR_M_BUCKETS + 1]; /* not cumulative */
  atomic_uint_fast64_t count;
  atomic_uint_fast64_t sum_us;
} door_m_hist;

typedef enum door_m_login_ok {
  DOOR_M_OK_SIGNIN = 0, /* existing account */
  DOOR_M_OK_CREATED,    /* new account */
  DOOR_M_OK_LINKED,     /* identity linked */
  DOOR_M_OK_COUNT_
} door_m_login_ok;

typedef struct door_m_provider {
  char name[DOOR_STORE_PROVIDER_MAX + 1]; /* "" while unused */
  atomic_uint_fast64_t ok[DOOR_M_OK_COUNT_];
  atomic_uint_fast64_t failed[DOOR_ERR_COUNT_];
  atomic_uint_fast64_t begins, begin_failed;
  atomic_uint_fast64_t bcl_ok, bcl_failed, bcl_sessions;
  door_m_hist finish;
} door_m_provider;

typedef struct door_metrics {
  pthread_mutex_t mu; /* guards adding names */
  door_m_provider providers[DOOR_M_PROVIDERS];
  door_m_hist store[DOOR_M_ST_COUNT_];
  atomic_uint_fast64_t logouts;
  atomic_uint_fast64_t store_errors;
} door_metrics;

/* Bucket bounds in microseconds (DOOR_M_BUCKETS values). */
extern const uint64_t door__m_bounds_us[DOOR_M_BUCKETS];

door_err door__metrics_init(door_metrics *m);
void door__metrics_destroy(door_metrics *m);
/* The slot of a provider name (made on first use); NULL when every slot is
 * taken or the name is too long. */
door_m_provider *door__metrics_provider(door_metrics *m, const char *name);
void door__m_hist_observe(door_m_hist *h, uint64_t us);
/* Monotonic microseconds. */
uint64_t door__m_now_us(void);

/* Appends a Prometheus label value, escaped (\\, \", \n). */
door_err door__m_label(door_buf *out, const char *value);
/* Appends microseconds as seconds ("0.001500"). */
door_err door__m_seconds(door_buf *out, uint64_t us);
/* Appends one histogram: NAME_bucket{LABELS,le="..."} lines (cumulative),
 * NAME_sum and NAME_count.  `labels` is "" or `k="v"` pairs without
 * braces. */
door_err door__m_hist_write(door_buf *out, const char *name, const char *labels,
                            const door_m_hist *h);

/* ---- transmission records (txrec.c) ----------------------------------------
 * The rows of a door_txlog for the store: fields[i] holds row i's field
 * names as a JSON array; rows point into the log and into fields (keep
 * both until the rows are written). */
typedef struct door__txrows {
  door_store_transmission_new rows[DOOR_TXLOG_MAX];
  door_buf fields[DOOR_TXLOG_MAX];
  size_t n;
} door__txrows;

/* `account_id` may be NULL (not known).  Free with door__txrows_free also
 * after an error. */
door_err door__txrows_make(const door_txlog *log, const char *account_id,
                           door__txrows *out);
void door__txrows_free(door__txrows *r);
/* Appends a log's records to the store in one batch (a failure is logged,
 * not returned: the call they record happened either way). */
struct door__bgen;
void door__broker_record(door_broker *b, struct door__bgen *g,
                         const door_txlog *log, const char *account_id);
/* door_rp_options.transmitted of a generation (ud: the door__bgen): the
 * requests made for no caller (discovery and JWKS fetches of the shared
 * caches) recorded without an account. */
void door__broker_transmitted(void *ud, const door_transmission *t);

/* ---- logins in flight (login.c) ---------------------------------------------
 * One-time use of a login's state.  The replay guard door_rp calls during
 * door_login_finish (broker.c) registers the state's key here and checks
 * the store's used_states (a read: no write, no fsync); the login commit
 * then consumes the key in the store in the same transaction as the rest
 * of the login (door__store_login_commit), or a failed login records it
 * as used, and the key leaves this set.  A second callback with the same
 * state while the first is in flight is refused at once; one racing from
 * another broker process is refused by the commit.  At most
 * DOOR__INFLIGHT_MAX keys (the logins being finished at one time, one per
 * thread); past it the guard fails closed (DOOR_ETOOBIG).  Guarded by its
 * own mutex; keys are kept as SHA-256 digests.  An entry belongs to the
 * thread that registered it (the guard runs inside door_login_finish on
 * the caller's thread): find and remove see only the calling thread's
 * entries, so a concurrent duplicate never takes over another's. */
#define DOOR__INFLIGHT_MAX 4096

typedef struct door__inflight_entry {
  uint8_t h[32];
  int64_t expires_at;
  pthread_t owner; /* the thread whose door_login_finish registered it */
} door__inflight_entry;

typedef struct door__inflight {
  pthread_mutex_t mu;
  door__inflight_entry *e;
  size_t n, cap;
} door__inflight;

door_err door__inflight_init(door__inflight *f);
void door__inflight_destroy(door__inflight *f);
/* DOOR_ELOGIN_REPLAYED when the key is in flight; expired entries (at
 * `now`) are dropped first. */
door_err door__inflight_add(door__inflight *f, const char *key,
                            int64_t expires_at, int64_t now);
/* 1 and *expires_at when the key is in flight for this thread, else 0. */
int door__inflight_find(door__inflight *f, const char *key,
                        int64_t *expires_at);
void door__inflight_remove(door__inflight *f, const char *key);

/* ---- the broker ------------------------------------------------------------
 */

/* The end-session endpoint of one provider, looked up once per generation
 * and hour. */
typedef struct door__es_entry {
  pthread_mutex_t mu;
  int state; /* 0 unknown, 1 has one (url), 2 has none, 3 lookup failed */
  char *url;
  int64_t checked_at;
} door__es_entry;

typedef struct door__bgen {
  atomic_uint refs;
  door_config *cfg;
  door_log log;
  door_rp *rp;
  int secure;   /* public_url is https */
  char *base;   /* public_url without trailing '/' */
  char *origin; /* scheme://host[:port] of public_url */
  unsigned char hint_key[32];
  door__es_entry *es; /* one per configured provider */
  size_t nes;
  struct door_broker *b; /* for the rp's record sink (no reference held) */
} door__bgen;

struct door_broker {
  pthread_mutex_t mu; /* guards gen */
  door__bgen *gen;
  door_store *store;
  door_replay_guard replay;
  door__inflight inflight; /* login states between guard and commit */
  door_log log;            /* the store's and the broker's own lines */
  door_broker_options opt;
  door_metrics metrics;
};

int64_t door__broker_now(const door_broker *b);
/* The labels provider tokens are sealed under (door__hint_seal), bound to
 * SHA-256(account id) and the provider: participation.c opens them, the
 * login commit (login.c) seals them. */
#define DOOR__TOK_ACCESS "door-provider-access-token"
#define DOOR__TOK_REFRESH "door-provider-refresh-token"
/* participation.c: keeps the login's provider tokens when the provider
 * has an entitlement check (a failure is logged, not fatal). */
int door__broker_keeps_tokens(const door_config *cfg, const char *provider);
void door__broker_keep_tokens(door_broker *b, door__bgen *g,
                              const char *account_id, const char *provider,
                              const door_login_tokens *t);

door__bgen *door__bgen_get(door_broker *b);
void door__bgen_put(door__bgen *g);

/* The provider's configuration in a generation, or NULL. */
const door_provider_config *door__bgen_provider(const door__bgen *g,
                                                const char *name);
/* The provider's display name (or its name; or `name` when unknown). */
const char *door__bgen_display(const door__bgen *g, const char *name);

/* Adds a Set-Cookie value to a reply (DOOR_ETOOBIG past
 * DOOR_BROKER_MAX_COOKIES); takes `value` (detached from a door_buf). */
door_err door__reply_cookie(door_broker_reply *r, door_buf *value);

/* The live session of a Cookie header: DOOR_OK with `out` filled and
 * `hash` its store hash, or DOOR_EBROKER_NO_SESSION. */
door_err door__session_lookup(door_broker *b, door__bgen *g,
                              const char *cookie_header,
                              door_store_session *out,
                              uint8_t hash[DOOR_STORE_HASH_LEN],
                              door_detail *d);

/* Creates a session for `account_id` after a login at `provider` and adds
 * its cookie to `r`; `hint_token` (may be NULL) is the ID token kept for
 * RP-initiated logout when the provider has an end-session endpoint. */
door_err door__session_start(door_broker *b, door__bgen *g,
                             const char *account_id, const char *provider,
                             const char *issuer, const char *sid,
                             const char *sub, const char *id_token,
                             door_broker_reply *r, door_detail *d);

/* The same in three steps, for the login commit: prepare (a new id, its
 * hash and CSRF secret, the store row in p->s; account_id may be NULL and
 * set later), the store writes p->s, then the cookies; clear wipes. */
typedef struct door__session_prep {
  char id[DOOR_SESSION_ID_LEN + 1];
  uint8_t hash[DOOR_STORE_HASH_LEN];
  uint8_t csrf[DOOR_CSRF_SECRET_BYTES];
  char *idt_sid; /* the ID token's sid, when no sid was given */
  door_store_session_new s;
} door__session_prep;
door_err door__session_prepare(door_broker *b, door__bgen *g,
                               const char *account_id, const char *provider,
                               const char *issuer, const char *sid,
                               const char *sub, const char *id_token,
                               door__session_prep *p);
door_err door__session_cookies(door_broker *b, door__bgen *g,
                               const door__session_prep *p,
                               const char *provider, const char *id_token,
                               door_broker_reply *r);
void door__session_prep_clear(door__session_prep *p);

/* The provider's end-session endpoint from the generation's cache (looked
 * up at most once an hour): DOOR_OK and *url (malloc'ed), DOOR_ENOTFOUND
 * when it has none, or the lookup's error. */
door_err door__end_session_endpoint(door_broker *b, door__bgen *g,
                                    const char *provider, char **url,
                                    door_detail *d);

/* Runs a store call and records its latency and failure:
 *   err = DOOR__ST(b, t0, DOOR_M_ST_LINK, door__store_link_identity(...));
 * `t0` is a uint64_t variable of the caller (the comma operator sets it
 * before the call is evaluated). */
#define DOOR__ST(b, t0, op, call)                                              \
  ((t0) = door__m_now_us(), door__st_done((b), (op), (t0), (call)))
door_err door__st_done(door_broker *b, int op, uint64_t started, door_err err);

#endif
