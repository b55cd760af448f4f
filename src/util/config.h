/* Configuration (internal): a git-config-style INI file, read with libinih
 * and checked against a schema.
 *
 *   [broker]
 *   public_url = https://door.example.jp/
 *   cookie_key_file = /etc/doorauth/cookie.key
 *
 *   [store]
 *   url = sqlite:/var/lib/doorauth/door.db
 *
 *   [provider "daccount"]
 *   type = daccount
 *   issuer = https://conf.uw.docomo.ne.jp/
 *   client_id = abc
 *   client_secret = env:DACCOUNT_CLIENT_SECRET
 *
 *   [event "live-2025"]
 *   title = Live 2025
 *   start = 2025-03-01T18:00:00+09:00
 *   end = 2025-03-01T21:00:00+09:00
 *   providers = daccount
 *
 * Syntax: comments are lines starting with '#' or ';', or " ;" and what
 * follows on a key line; keys are `name = value` (leading whitespace is
 * ignored, there are no continuation lines); section headers are [broker],
 * [store], [provider "NAME"] and [event "ID"], NAME and ID being 1 to 32
 * characters of a-z 0-9 _ -.  A line may hold at most
 * DOOR_CONFIG_MAX_LINE characters (libinih's line buffer).  Relative paths
 * are resolved against the directory of the configuration file.
 *
 * Schema: every section kind has a const table of door_config_key.  A
 * provider's type-specific keys come from the table of its type in
 * door__config_provider_types (a provider module may export its own table;
 * see door_config_provider_type).
 *
 * Secrets: a key K of type DOOR_CFG_SECRET accepts `K = literal`,
 * `K = env:VAR` (from the environment) or `K_file = PATH` (the file's
 * contents, one trailing newline stripped).  Secret values are never
 * printed: a description shows where a secret came from, not what it is.
 *
 * Errors: loading reports every problem it finds, not just the first, as
 * door_diag entries whose where is "FILE:LINE" (see util/errlist.h).
 */
#ifndef DOOR_UTIL_CONFIG_H
#define DOOR_UTIL_CONFIG_H

#include "doorauth/error.h"
#include "util/buf.h"
#include "util/errlist.h"

#include <stddef.h>
#include <stdint.h>

/* Longest accepted line, without its newline: libinih (as Debian builds
 * it) has a 200-byte line buffer that also holds "\n" and NUL. */
#define DOOR_CONFIG_MAX_LINE 198
/* Largest configuration file and largest secret file. */
#define DOOR_CONFIG_MAX_FILE ((size_t)1 << 20)
#define DOOR_CONFIG_MAX_SECRET ((size_t)64 << 10)

/* ---- schema -------------------------------------------------------------- */

typedef enum door_config_type {
  DOOR_CFG_STRING,   /* any text without control characters */
  DOOR_CFG_URL,      /* absolute http(s) URL without a fragment */
  DOOR_CFG_BOOL,     /* yes/no, true/false, on/off, 1/0 */
  DOOR_CFG_INT,      /* decimal integer in [min, max] */
  DOOR_CFG_DURATION, /* "90", "90s", "10m", "1h", "7d"; seconds in [min, max] */
  DOOR_CFG_LIST,     /* items separated by spaces and/or commas */
  DOOR_CFG_PATH,     /* file system path, resolved against the file's dir */
  DOOR_CFG_SECRET,   /* literal, env:VAR, or K_file = PATH */
  DOOR_CFG_ENUM,     /* one of `choices` */
  DOOR_CFG_TIME,     /* RFC 3339 timestamp with a zone: 2025-03-01T18:00:00Z */
} door_config_type;

/* Flags of a key. */
#define DOOR_CFG_REQUIRED 1u   /* must be given */
#define DOOR_CFG_MUST_EXIST 2u /* path: must name a readable file */
#define DOOR_CFG_EMPTY_OK 4u   /* string: "" is a valid value */

/* Field offset meaning "no field in the section's struct": the value is only
 * reachable through door__config_provider_value(). */
#define DOOR_CFG_NO_FIELD ((size_t)-1)

typedef struct door_config_value door_config_value;

/* Extra validation of a value that parsed.  Returns DOOR_OK, or an error
 * code with d->what and d->hint filled (d->where is filled by the caller). */
typedef door_err (*door_config_check_fn)(const door_config_value *v,
                                         door_detail *d);

typedef struct door_config_key {
  const char *name;
  door_config_type type;
  unsigned flags;
  const char *def;            /* default, as it would be written; or NULL */
  long long min, max;         /* DOOR_CFG_INT and DOOR_CFG_DURATION */
  const char *const *choices; /* enum values or allowed list items, NULL-
                                 terminated; NULL for any */
  door_config_check_fn check; /* or NULL */
  size_t offset;              /* field in the section struct, see below */
  const char *help;           /* one line */
} door_config_key;

/* Where a secret came from. */
typedef enum door_secret_source {
  DOOR_SECRET_NONE = 0,
  DOOR_SECRET_LITERAL,
  DOOR_SECRET_ENV,
  DOOR_SECRET_FILE,
} door_secret_source;

typedef struct door_config_secret {
  door_secret_source source;
  char *origin; /* variable name or file path; NULL for a literal */
  char *value;  /* NUL-terminated; wiped when the configuration is freed */
  size_t len;
} door_config_secret;

typedef struct door_strlist {
  char **items;
  size_t n;
} door_strlist;

/* One key's value in a loaded configuration. */
struct door_config_value {
  const door_config_key *key;
  int set;    /* 1: given in the file or as a default */
  int line;   /* line of the key; 0 for a default */
  char *text; /* text form (strings, URLs, resolved paths, enum names, times);
                 NULL for secrets and lists */
  long long num; /* bool 0/1, int, seconds of a duration, enum index,
                    Unix time of a timestamp */
  door_strlist list;
  door_config_secret secret;
};

/* Field types by key type, for `offset` into a section struct:
 *   STRING, URL, PATH  const char *        (NULL when not set)
 *   BOOL, INT, ENUM    int                  (enum: index in choices)
 *   DURATION, TIME     int64_t              (seconds; Unix time)
 *   LIST               door_strlist
 *   SECRET             const door_config_secret * (NULL when not set)
 * The struct's pointers borrow from the door_config that holds it. */

/* ---- provider types ------------------------------------------------------ */

typedef enum door_provider_type {
  DOOR_PROVIDER_GENERIC = 0,
  DOOR_PROVIDER_DACCOUNT = 1,
  DOOR_PROVIDER_XMARKET = 2,
} door_provider_type;

typedef enum door_token_auth {
  DOOR_TOKEN_AUTH_CLIENT_SECRET_BASIC = 0,
  DOOR_TOKEN_AUTH_CLIENT_SECRET_POST = 1,
  DOOR_TOKEN_AUTH_PRIVATE_KEY_JWT = 2,
} door_token_auth;

/* client_key_alg: how a private_key_jwt client assertion is signed. */
typedef enum door_client_key_alg {
  DOOR_CLIENT_KEY_ES256 = 0,
  DOOR_CLIENT_KEY_RS256 = 1,
  DOOR_CLIENT_KEY_PS256 = 2,
} door_client_key_alg;

typedef struct door_provider_config door_provider_config;

/* A provider type and its own keys.  `check` (optional) validates a whole
 * section of this type after every key parsed; it may report several
 * problems through `report`, which returns its code. */
typedef door_err (*door_config_report_fn)(void *ctx, int line, const char *key,
                                          door_err code, const char *what,
                                          const char *hint);
typedef struct door_config_provider_type {
  const char *name; /* value of `type` */
  const door_config_key *keys;
  size_t nkeys;
  void (*check)(const door_provider_config *p, door_config_report_fn report,
                void *ctx);
} door_config_provider_type;

/* Indexed by door_provider_type. */
extern const door_config_provider_type door__config_provider_types[];
extern const size_t door__config_nprovider_types;

/* ---- loaded configuration ------------------------------------------------ */

typedef struct door_broker_config {
  const char *public_url;
  const char *listen; /* HOST:PORT */
  door_strlist return_to_allow;
  const char *ca_file;
  int64_t clock_skew;
  const char *state_dir;
  int log_level;  /* door_log_level */
  int log_format; /* door_log_format */
  int64_t session_idle;
  int64_t session_absolute;
  const door_config_secret *cookie_key; /* see door__config_key32 */
  const char *tls_cert;
  const char *tls_key;
  int threads;
  int allow_insecure_loopback;
  int64_t login_timeout;
  int stats_k; /* anonymous statistics: counts below are suppressed */
  const door_config_secret *stats_token; /* operators' bearer token */
} door_broker_config;

typedef struct door_store_config {
  const char *url; /* sqlite:PATH, postgres://..., postgresql://... */
  int pool_size;
  int64_t transmission_retention;
} door_store_config;

typedef struct door_config_section door_config_section;

struct door_provider_config {
  const char *name;
  int line; /* of the section header */
  int type; /* door_provider_type */
  const char *issuer;
  const char *client_id;
  const door_config_secret *client_secret;
  door_strlist scopes;
  int token_auth_method;       /* door_token_auth */
  const char *client_key_file; /* private_key_jwt: PEM private key */
  int client_key_alg;          /* door_client_key_alg */
  door_strlist allowed_algs;
  int userinfo;
  const char *extra_params; /* form-encoded, validated */
  const char *display_name;
  door_strlist keep_claims;
  const char *authorization_endpoint;
  const char *token_endpoint;
  const char *userinfo_endpoint;
  const char *jwks_uri;
  const char *end_session_endpoint;
  int discovery;
  int pkce;
  int64_t id_token_max_age;
  const door_config_section *section_; /* for door__config_provider_value */
};

typedef struct door_event_config {
  const char *id;
  int line; /* of the section header */
  const char *title;
  int64_t start; /* Unix time */
  int64_t end;
  door_strlist providers; /* empty: every provider */
  door_strlist tiers;     /* "TIER" or "PROVIDER_TIER=door_tier" */
  const char *participants_file;
  int single_use;
  int64_t token_lifetime;
} door_event_config;

typedef struct door_config {
  char *path; /* as given to the loader */
  door_broker_config broker;
  door_store_config store;
  door_provider_config *providers;
  size_t nproviders;
  door_event_config *events;
  size_t nevents;
  door_config_section **sections; /* file order; own every value */
  size_t nsections;
} door_config;

/* Loads and checks `path`.  DOOR_OK: *out is set (free it with
 * door__config_free) and `errs` may hold warnings.  Otherwise *out is NULL
 * and `errs` holds every problem found; the return value is DOOR_EIO when
 * the file could not be read, DOOR_ENOMEM, or DOOR_ECONFIG.  `errs` must be
 * initialised (door__errlist_init); entries are appended. */
door_err door__config_load(const char *path, door_config **out,
                           door_errlist *errs);
/* The same from memory: `name` is used in diagnostics, relative paths are
 * resolved against `base_dir` (NULL: left relative). */
door_err door__config_load_mem(const char *name, const char *text, size_t len,
                               const char *base_dir, door_config **out,
                               door_errlist *errs);
void door__config_free(door_config *cfg);

/* "What it understood", for `door-broker check`: every section and every
 * key that has a value, with its line or "default"; secrets only as their
 * source. */
door_err door__config_describe(const door_config *cfg, door_buf *out);

/* A provider's value for `key`, including type-specific keys; NULL when
 * the key is unknown for this provider. */
const door_config_value *
door__config_provider_value(const door_provider_config *p, const char *key);
const door_provider_config *door__config_provider(const door_config *cfg,
                                                  const char *name);
const door_event_config *door__config_event(const door_config *cfg,
                                            const char *id);

/* Decodes a 32-byte key written as base64url (43 characters, or 44 with
 * one '=') or as 64 hex digits.  DOOR_ECONFIG_VALUE otherwise. */
door_err door__config_key32(const door_config_secret *s, unsigned char out[32]);

/* Value parsers, shared with the tests: DOOR_ECONFIG_VALUE on bad input. */
door_err door__config_parse_duration(const char *s, int64_t *seconds);
door_err door__config_parse_bool(const char *s, int *out);
door_err door__config_parse_time(const char *s, int64_t *unix_time);

#endif
