/* Configuration schema: the key tables of [broker], [store], [provider] and
 * [event], and the checks of single values. */
#include "util/config_int.h"

#include "doorauth/privacy.h"
#include "util/url.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NOF DOOR_CFG_NO_FIELD
#define DAY 86400LL
#define BROKER(f) offsetof(door_broker_config, f)
#define STORE(f) offsetof(door_store_config, f)
#define PROV(f) offsetof(door_provider_config, f)
#define EVENT(f) offsetof(door_event_config, f)

int door__cfg_name_ok(const char *s, size_t len) {
  size_t i;
  if (len < 1 || len > 32)
    return 0;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return 0;
  }
  return 1;
}

/* ---- helpers for checks -------------------------------------------------- */

/* d->what = a + 'v' + b (v quoted and cut). */
static door_err door__chk(door_detail *d, door_err code, const char *a,
                          const char *v, const char *b, const char *hint) {
  door_buf w;
  door_err err;
  door__buf_init(&w, 256);
  err = door__buf_puts(&w, a);
  if (!err && v)
    err = door__cfg_quote(&w, v);
  if (!err && b)
    err = door__buf_puts(&w, b);
  if (err)
    code = DOOR_ENOMEM;
  door_detail_set(d, code, NULL, door__buf_str(&w), hint);
  door__buf_free(&w);
  return code;
}

static door_err door__chk_url(const char *s, door_url *u, door_detail *d) {
  door_err err = door__url_parse(s, u, d);
  if (err == DOOR_ENOMEM)
    return err;
  if (err)
    return door__chk(d, DOOR_ECONFIG_VALUE, "bad URL ", s, NULL, d->what);
  return DOOR_OK;
}

/* ---- value checks -------------------------------------------------------- */

static door_err door__check_public_url(const door_config_value *v,
                                       door_detail *d) {
  door_url u;
  door_err err = door__chk_url(v->text, &u, d);
  if (err)
    return err;
  if (u.userinfo || u.query)
    err =
        door__chk(d, DOOR_ECONFIG_VALUE,
                  "public_url may not have a user name or a query", NULL, NULL,
                  "write the broker's base URL, e.g. https://door."
                  "example.jp/");
  door__url_free(&u);
  return err;
}

/* The operators' statistics token: long enough not to be guessed, and
 * only characters that fit an Authorization header. */
static door_err door__check_stats_token(const door_config_value *v,
                                        door_detail *d) {
  size_t i;
  if (v->secret.len < 16)
    return door__chk(d, DOOR_ECONFIG_VALUE,
                     "stats_token is shorter than 16 characters", NULL, NULL,
                     "use e.g. 32 random bytes in hex (openssl rand -hex 32)");
  for (i = 0; i < v->secret.len; i++)
    if (v->secret.value[i] <= ' ' || v->secret.value[i] > '~')
      return door__chk(d, DOOR_ECONFIG_VALUE,
                       "stats_token has a space or a character outside "
                       "printable ASCII",
                       NULL, NULL,
                       "use e.g. 32 random bytes in hex (openssl rand -hex "
                       "32)");
  return DOOR_OK;
}

/* No user name in a URL the broker calls or compares. */
static door_err door__check_endpoint(const door_config_value *v,
                                     door_detail *d) {
  door_url u;
  door_err err = door__chk_url(v->text, &u, d);
  if (err)
    return err;
  if (u.userinfo)
    err = door__chk(d, DOOR_ECONFIG_VALUE, "URL has a user name", NULL, NULL,
                    "put credentials in client_id and client_secret");
  door__url_free(&u);
  return err;
}

/* OpenID Connect Discovery 1.0 section 3: no query, no fragment. */
static door_err door__check_issuer(const door_config_value *v, door_detail *d) {
  door_url u;
  door_err err = door__check_endpoint(v, d);
  if (err)
    return err;
  if (door__url_parse(v->text, &u, d))
    return DOOR_ECONFIG_VALUE;
  if (u.query)
    err = door__chk(d, DOOR_ECONFIG_VALUE, "issuer has a query", NULL, NULL,
                    "an issuer is scheme, host and path only; copy it from "
                    "the provider's discovery document");
  door__url_free(&u);
  return err;
}

static door_err door__check_listen(const door_config_value *v, door_detail *d) {
  door_buf b;
  door_url u;
  door_err err;
  door__buf_init(&b, 512);
  err = door__buf_puts(&b, "http://");
  if (!err)
    err = door__buf_puts(&b, v->text);
  if (!err)
    err = door__buf_putc(&b, '/');
  if (err) {
    door__buf_free(&b);
    return DOOR_ENOMEM;
  }
  err = door__url_parse(door__buf_str(&b), &u, d);
  door__buf_free(&b);
  if (err == DOOR_ENOMEM)
    return err;
  if (!err) {
    if (u.userinfo || u.port < 0 || strcmp(u.path, "/") != 0 || u.query ||
        !u.host[0])
      err = DOOR_ECONFIG_VALUE;
    door__url_free(&u);
  }
  if (err)
    return door__chk(d, DOOR_ECONFIG_VALUE, "bad listen address ", v->text,
                     NULL,
                     "write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
  return DOOR_OK;
}

static door_err door__check_return_to(const door_config_value *v,
                                      door_detail *d) {
  size_t i;
  for (i = 0; i < v->list.n; i++) {
    const char *s = v->list.items[i];
    door_url u;
    door_err err = door__chk_url(s, &u, d);
    if (err)
      return err;
    if (strcmp(u.scheme, "https") != 0 &&
        !(strcmp(u.scheme, "http") == 0 && door__url_is_loopback(&u)))
      err = door__chk(d, DOOR_ECONFIG_VALUE, "return_to_allow entry ", s,
                      " is not https", "only loopback hosts may use http");
    else if (u.userinfo || u.query || u.fragment)
      err = door__chk(d, DOOR_ECONFIG_VALUE, "return_to_allow entry ", s,
                      " has a user name, query or fragment",
                      "write an origin (https://host) or an origin and a "
                      "path prefix (https://host/app/)");
    door__url_free(&u);
    if (err)
      return err;
  }
  return DOOR_OK;
}

static door_err door__check_key32(const door_config_value *v, door_detail *d) {
  unsigned char k[32];
  door_err err = door__config_key32(&v->secret, k);
  memset(k, 0, sizeof k);
  if (err)
    return door__chk(d, DOOR_ECONFIG_VALUE,
                     "cookie_key is not 32 bytes in base64url or hex", NULL,
                     NULL, "make one with: openssl rand -hex 32");
  return DOOR_OK;
}

static door_err door__check_store_url(const door_config_value *v,
                                      door_detail *d) {
  const char *s = v->text;
  if (strncmp(s, "sqlite:", 7) == 0) {
    if (s[7] == '\0')
      return door__chk(d, DOOR_ECONFIG_VALUE, "sqlite: needs a path", NULL,
                       NULL, "write sqlite:/var/lib/doorauth/door.db");
    return DOOR_OK;
  }
  if (strncmp(s, "postgres://", 11) == 0 ||
      strncmp(s, "postgresql://", 13) == 0) {
    if (strchr(s, ' '))
      return door__chk(d, DOOR_ECONFIG_VALUE, "space in the store URL", NULL,
                       NULL, "percent-encode it");
    return DOOR_OK;
  }
  /* Not quoted: a database URL may hold a password. */
  return door__chk(d, DOOR_ECONFIG_VALUE, "unknown store URL scheme", NULL,
                   NULL,
                   "write sqlite:PATH, postgres://... or "
                   "postgresql://...");
}

/* scope-token (RFC 6749 section 3.3), and "openid" must be there. */
static door_err door__check_scopes(const door_config_value *v, door_detail *d) {
  size_t i, j;
  int openid = 0;
  for (i = 0; i < v->list.n; i++) {
    const char *s = v->list.items[i];
    for (j = 0; s[j]; j++) {
      unsigned char c = (unsigned char)s[j];
      if (c < 0x21 || c == '"' || c == '\\' || c > 0x7E)
        return door__chk(d, DOOR_ECONFIG_VALUE, "bad scope ", s, NULL,
                         "a scope is printable ASCII without '\"' or '\\'");
    }
    if (strcmp(s, "openid") == 0)
      openid = 1;
  }
  if (!openid)
    return door__chk(d, DOOR_ECONFIG_VALUE, "scopes lack openid", NULL, NULL,
                     "OpenID Connect needs the openid scope: add it");
  return DOOR_OK;
}

static door_err door__check_algs(const door_config_value *v, door_detail *d) {
  size_t i;
  for (i = 0; i < v->list.n; i++) {
    const char *s = v->list.items[i];
    if (strlen(s) == 4 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'o' &&
        (s[2] | 0x20) == 'n' && (s[3] | 0x20) == 'e')
      return door__chk(d, DOOR_EALG_NONE, "alg ", s,
                       " is never accepted: tokens must be signed",
                       "remove it from allowed_algs");
  }
  if (v->list.n == 0)
    return door__chk(d, DOOR_ECONFIG_VALUE, "allowed_algs is empty", NULL, NULL,
                     "list at least one of RS256 PS256 ES256 HS256");
  return DOOR_OK;
}

static door_err door__check_extra_params(const door_config_value *v,
                                         door_detail *d) {
  static const char *const reserved[] = {
      "response_type", "client_id",     "redirect_uri",          "scope",
      "state",         "nonce",         "code_challenge",        "request",
      "request_uri",   "response_mode", "code_challenge_method", NULL};
  door_kvlist l;
  door_err err;
  size_t i, j;
  door__kvlist_init(&l);
  err = door__form_parse(v->text, strlen(v->text), 32, 512, &l);
  if (err == DOOR_ENOMEM)
    return err;
  if (err)
    return door__chk(d, DOOR_ECONFIG_VALUE, "extra_params is not form data",
                     NULL, NULL,
                     "write name=value&name=value, "
                     "percent-encoded, at most 32 pairs");
  for (i = 0; i < l.n && !err; i++) {
    for (j = 0; reserved[j]; j++) {
      if (strcmp(l.items[i].name, reserved[j]) == 0) {
        err = door__chk(d, DOOR_ECONFIG_VALUE, "extra_params may not set ",
                        reserved[j], NULL,
                        "the broker sets this parameter itself");
        break;
      }
    }
    if (!err && (l.items[i].name[0] == '\0' ||
                 door__kvlist_get(&l, l.items[i].name, NULL) == NULL))
      err = door__chk(d, DOOR_ECONFIG_VALUE,
                      "extra_params has an empty or repeated name", NULL, NULL,
                      "give each parameter once");
  }
  door__kvlist_free(&l);
  return err;
}

static int door__cfg_token_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
         c == ':' || c == '/';
}

static door_err door__check_claims(const door_config_value *v, door_detail *d) {
  size_t i, j;
  for (i = 0; i < v->list.n; i++)
    for (j = 0; v->list.items[i][j]; j++)
      if (!door__cfg_token_char((unsigned char)v->list.items[i][j]))
        return door__chk(d, DOOR_ECONFIG_VALUE, "bad claim name ",
                         v->list.items[i], NULL,
                         "use letters, digits and _ - . : /");
  return DOOR_OK;
}

static door_err door__check_names(const door_config_value *v, door_detail *d) {
  size_t i;
  for (i = 0; i < v->list.n; i++) {
    const char *s = v->list.items[i];
    if (!door__cfg_name_ok(s, strlen(s)))
      return door__chk(d, DOOR_ECONFIG_VALUE, "bad provider name ", s, NULL,
                       "a name is 1-32 characters of a-z 0-9 _ -");
  }
  return DOOR_OK;
}

/* "TIER" or "PROVIDER_TIER=door_tier". */
static door_err door__check_tiers(const door_config_value *v, door_detail *d) {
  size_t i, j;
  for (i = 0; i < v->list.n; i++) {
    const char *s = v->list.items[i], *eq = strchr(s, '=');
    int ok = s[0] != '=' && (!eq || (eq[1] && !strchr(eq + 1, '=')));
    for (j = 0; ok && s[j]; j++)
      ok = s[j] == '=' || door__cfg_token_char((unsigned char)s[j]);
    if (!ok)
      return door__chk(d, DOOR_ECONFIG_VALUE, "bad tier ", s, NULL,
                       "write TIER or PROVIDER_TIER=door_tier, with letters, "
                       "digits and _ - . : /");
  }
  return DOOR_OK;
}

/* ---- transmission manifests (doorauth/privacy.h, docs/privacy.md) -------- */

/* A field name: a parameter name (letters, digits, _ . -) or "header:" and
 * a header name (letters, digits, -). */
static int door__tx_name_ok(const char *s, size_t n) {
  size_t i, start = 0;
  int header = n > 7 && memcmp(s, "header:", 7) == 0;
  if (header)
    start = 7;
  if (n <= start || n > 64)
    return 0;
  for (i = start; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '-' ||
             (!header && (c == '_' || c == '.'));
    if (!ok)
      return 0;
  }
  return 1;
}

static door_err door__check_tx_names(const door_config_value *v,
                                     door_detail *d) {
  size_t i;
  for (i = 0; i < v->list.n; i++)
    if (!door__tx_name_ok(v->list.items[i], strlen(v->list.items[i])))
      return door__chk(d, DOOR_ECONFIG_VALUE, "bad field name ",
                       v->list.items[i], NULL,
                       "a parameter name (letters, digits, _ . -) or "
                       "header:NAME");
  return DOOR_OK;
}

static int door__in_names(const char *s, size_t n, const char *const *names) {
  size_t i;
  for (i = 0; names[i]; i++)
    if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
      return 1;
  return 0;
}

#define DOOR__TX_STR(name, str) str,
static const char *const door__tx_endpoints[] = {
    DOOR_TX_ENDPOINT_MAP(DOOR__TX_STR) NULL};
static const char *const door__tx_datas[] = {DOOR_TX_DATA_MAP(DOOR__TX_STR)
                                                 NULL};
static const char *const door__tx_purposes[] = {
    DOOR_TX_PURPOSE_MAP(DOOR__TX_STR) NULL};
#undef DOOR__TX_STR

/* ENDPOINT:NAME:DATA:PURPOSE, NAME possibly "header:X". */
static door_err door__check_tx_extra(const door_config_value *v,
                                     door_detail *d) {
  size_t i;
  for (i = 0; i < v->list.n; i++) {
    const char *s = v->list.items[i], *c1 = strchr(s, ':');
    const char *c3 = strrchr(s, ':'), *c2 = NULL, *p;
    for (p = c3 ? c3 - 1 : NULL; p && p > s && *p != ':'; p--)
      ;
    if (p && p > s && *p == ':')
      c2 = p;
    if (!c1 || !c2 || c2 <= c1 ||
        !door__in_names(s, (size_t)(c1 - s), door__tx_endpoints) ||
        !door__tx_name_ok(c1 + 1, (size_t)(c2 - c1 - 1)) ||
        !door__in_names(c2 + 1, (size_t)(c3 - c2 - 1), door__tx_datas) ||
        !door__in_names(c3 + 1, strlen(c3 + 1), door__tx_purposes))
      return door__chk(d, DOOR_ECONFIG_VALUE, "bad manifest entry ", s, NULL,
                       "write ENDPOINT:NAME:DATA:PURPOSE, e.g. "
                       "authorize:login_hint:user_identifier:login "
                       "(docs/privacy.md)");
  }
  return DOOR_OK;
}

/* ---- tables -------------------------------------------------------------- */

static const char *const door__levels[] = {"debug", "info", "warn", "error",
                                           NULL};
static const char *const door__formats[] = {"kv", "json", NULL};
static const char *const door__ptypes[] = {"generic", "daccount", "xmarket",
                                           NULL};
static const char *const door__auth_methods[] = {
    "client_secret_basic", "client_secret_post", "private_key_jwt", NULL};
static const char *const door__key_algs[] = {"ES256", "RS256", "PS256", NULL};
static const char *const door__algs[] = {"RS256", "PS256", "ES256", "HS256",
                                         NULL};

static const door_config_key door__broker_keys[] = {
    {"public_url", DOOR_CFG_URL, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL,
     door__check_public_url, BROKER(public_url),
     "the broker's external base URL (https unless loopback)"},
    {"listen", DOOR_CFG_STRING, 0, "127.0.0.1:8080", 0, 0, NULL,
     door__check_listen, BROKER(listen), "HOST:PORT to listen on"},
    {"return_to_allow", DOOR_CFG_LIST, 0, NULL, 0, 0, NULL,
     door__check_return_to, BROKER(return_to_allow),
     "origins, or origins with a path prefix, that logins may return to"},
    {"ca_file", DOOR_CFG_PATH, DOOR_CFG_MUST_EXIST, NULL, 0, 0, NULL, NULL,
     BROKER(ca_file), "extra trust anchors (PEM) for outbound TLS"},
    {"clock_skew", DOOR_CFG_DURATION, 0, "60s", 0, 3600, NULL, NULL,
     BROKER(clock_skew), "tolerance when checking token times"},
    {"state_dir", DOOR_CFG_PATH, 0, "/var/lib/doorauth", 0, 0, NULL, NULL,
     BROKER(state_dir), "directory for the broker's state"},
    {"log_level", DOOR_CFG_ENUM, 0, "info", 0, 0, door__levels, NULL,
     BROKER(log_level), "least severe level logged"},
    {"log_format", DOOR_CFG_ENUM, 0, "kv", 0, 0, door__formats, NULL,
     BROKER(log_format), "key=value lines (kv) or JSON lines (json)"},
    {"session_idle", DOOR_CFG_DURATION, 0, "2h", 60, 30 * DAY, NULL, NULL,
     BROKER(session_idle), "a session ends after this long unused"},
    {"session_absolute", DOOR_CFG_DURATION, 0, "7d", 60, 365 * DAY, NULL, NULL,
     BROKER(session_absolute), "a session ends this long after login"},
    {"cookie_key", DOOR_CFG_SECRET, 0, NULL, 0, 0, NULL, door__check_key32,
     BROKER(cookie_key),
     "AEAD key for sealed cookies: 32 bytes, base64url or "
     "hex"},
    {"tls_cert", DOOR_CFG_PATH, DOOR_CFG_MUST_EXIST, NULL, 0, 0, NULL, NULL,
     BROKER(tls_cert), "certificate chain (PEM) to serve HTTPS directly"},
    {"tls_key", DOOR_CFG_PATH, DOOR_CFG_MUST_EXIST, NULL, 0, 0, NULL, NULL,
     BROKER(tls_key), "private key (PEM) of tls_cert"},
    {"threads", DOOR_CFG_INT, 0, "4", 1, 256, NULL, NULL, BROKER(threads),
     "worker threads"},
    {"allow_insecure_loopback", DOOR_CFG_BOOL, 0, "no", 0, 0, NULL, NULL,
     BROKER(allow_insecure_loopback),
     "allow plain http to loopback provider endpoints (tests only)"},
    {"login_timeout", DOOR_CFG_DURATION, 0, "10m", 10, DAY, NULL, NULL,
     BROKER(login_timeout), "a login must finish within this time"},
    {"stats_k", DOOR_CFG_INT, 0, "10", 2, 1000, NULL, NULL, BROKER(stats_k),
     "event statistics: counts below this are shown as <k"},
    {"stats_token", DOOR_CFG_SECRET, 0, NULL, 0, 0, NULL,
     door__check_stats_token, BROKER(stats_token),
     "bearer token for GET /api/events/ID/stats (16+ characters)"},
};

static const door_config_key door__store_keys[] = {
    {"url", DOOR_CFG_STRING, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL,
     door__check_store_url, STORE(url),
     "sqlite:PATH, postgres://... or postgresql://..."},
    {"pool_size", DOOR_CFG_INT, 0, "4", 1, 256, NULL, NULL, STORE(pool_size),
     "database connections"},
    {"transmission_retention", DOOR_CFG_DURATION, 0, "90d", DAY, 3650 * DAY,
     NULL, NULL, STORE(transmission_retention),
     "how long records of data sent to events are kept"},
};

static const door_config_key door__provider_keys[] = {
    {"type", DOOR_CFG_ENUM, DOOR_CFG_REQUIRED, NULL, 0, 0, door__ptypes, NULL,
     PROV(type), "generic, daccount or xmarket"},
    {"issuer", DOOR_CFG_URL, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL,
     door__check_issuer, PROV(issuer), "the provider's issuer identifier"},
    {"client_id", DOOR_CFG_STRING, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL, NULL,
     PROV(client_id), "the broker's client ID at the provider"},
    {"client_secret", DOOR_CFG_SECRET, 0, NULL, 0, 0, NULL, NULL,
     PROV(client_secret), "the broker's client secret at the provider"},
    {"scopes", DOOR_CFG_LIST, 0, "openid", 0, 0, NULL, door__check_scopes,
     PROV(scopes), "scopes to request; openid is required"},
    {"token_auth_method", DOOR_CFG_ENUM, 0, "client_secret_basic", 0, 0,
     door__auth_methods, NULL, PROV(token_auth_method),
     "client authentication at the token endpoint"},
    {"allowed_algs", DOOR_CFG_LIST, 0, "RS256", 0, 0, door__algs,
     door__check_algs, PROV(allowed_algs),
     "ID token signature algorithms accepted"},
    {"userinfo", DOOR_CFG_BOOL, 0, "no", 0, 0, NULL, NULL, PROV(userinfo),
     "also call the userinfo endpoint"},
    {"extra_params", DOOR_CFG_STRING, DOOR_CFG_EMPTY_OK, NULL, 0, 0, NULL,
     door__check_extra_params, PROV(extra_params),
     "form-encoded parameters added to the authorization request"},
    {"display_name", DOOR_CFG_STRING, 0, NULL, 0, 0, NULL, NULL,
     PROV(display_name), "name shown to users"},
    {"keep_claims", DOOR_CFG_LIST, 0, NULL, 0, 0, NULL, door__check_claims,
     PROV(keep_claims), "ID token or userinfo claims stored with the account"},
    {"authorization_endpoint", DOOR_CFG_URL, 0, NULL, 0, 0, NULL,
     door__check_endpoint, PROV(authorization_endpoint), "overrides discovery"},
    {"token_endpoint", DOOR_CFG_URL, 0, NULL, 0, 0, NULL, door__check_endpoint,
     PROV(token_endpoint), "overrides discovery"},
    {"userinfo_endpoint", DOOR_CFG_URL, 0, NULL, 0, 0, NULL,
     door__check_endpoint, PROV(userinfo_endpoint), "overrides discovery"},
    {"jwks_uri", DOOR_CFG_URL, 0, NULL, 0, 0, NULL, door__check_endpoint,
     PROV(jwks_uri), "overrides discovery"},
    {"end_session_endpoint", DOOR_CFG_URL, 0, NULL, 0, 0, NULL,
     door__check_endpoint, PROV(end_session_endpoint), "overrides discovery"},
    {"discovery", DOOR_CFG_BOOL, 0, "yes", 0, 0, NULL, NULL, PROV(discovery),
     "fetch ISSUER/.well-known/openid-configuration"},
    {"pkce", DOOR_CFG_BOOL, 0, "yes", 0, 0, NULL, NULL, PROV(pkce),
     "send a PKCE S256 code challenge"},
    {"id_token_max_age", DOOR_CFG_DURATION, 0, "10m", 1, DAY, NULL, NULL,
     PROV(id_token_max_age), "refuse ID tokens issued longer ago"},
    {"client_key_file", DOOR_CFG_PATH, DOOR_CFG_MUST_EXIST, NULL, 0, 0, NULL,
     NULL, PROV(client_key_file),
     "private_key_jwt: the broker's private key (PEM) at the provider"},
    {"client_key_alg", DOOR_CFG_ENUM, 0, "ES256", 0, 0, door__key_algs, NULL,
     PROV(client_key_alg),
     "private_key_jwt: ES256 (P-256 key), RS256 or PS256 (RSA key)"},
    {"organisation", DOOR_CFG_STRING, 0, NULL, 0, 0, NULL, NULL, NOF,
     "who runs the provider, for the disclosures (docs/privacy.md)"},
    {"manifest_extra", DOOR_CFG_LIST, 0, NULL, 0, 0, NULL, door__check_tx_extra,
     NOF, "fields added to the manifest: ENDPOINT:NAME:DATA:PURPOSE"},
#define DOOR__TX_KEY(name, str)                                                \
  {"manifest_" str,                                                            \
   DOOR_CFG_LIST,                                                              \
   DOOR_CFG_EMPTY_OK,                                                          \
   NULL,                                                                       \
   0,                                                                          \
   0,                                                                          \
   NULL,                                                                       \
   door__check_tx_names,                                                       \
   NOF,                                                                        \
   "only these of the provider's fields may go to " str},
    DOOR_TX_ENDPOINT_MAP(DOOR__TX_KEY)
#undef DOOR__TX_KEY
};

static const door_config_key door__event_keys[] = {
    {"title", DOOR_CFG_STRING, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL, NULL,
     EVENT(title), "name of the event"},
    {"start", DOOR_CFG_TIME, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL, NULL,
     EVENT(start), "RFC 3339 start time"},
    {"end", DOOR_CFG_TIME, DOOR_CFG_REQUIRED, NULL, 0, 0, NULL, NULL,
     EVENT(end), "RFC 3339 end time, after start"},
    {"providers", DOOR_CFG_LIST, 0, NULL, 0, 0, NULL, door__check_names,
     EVENT(providers), "providers whose users may attend; empty: all"},
    {"tiers", DOOR_CFG_LIST, 0, NULL, 0, 0, NULL, door__check_tiers,
     EVENT(tiers), "ticket tiers, or PROVIDER_TIER=door_tier mappings"},
    {"participants_file", DOOR_CFG_PATH, DOOR_CFG_MUST_EXIST, NULL, 0, 0, NULL,
     NULL, EVENT(participants_file), "list of admitted participants"},
    {"single_use", DOOR_CFG_BOOL, 0, "no", 0, 0, NULL, NULL, EVENT(single_use),
     "a ticket token admits once"},
    {"token_lifetime", DOOR_CFG_DURATION, 0, "5m", 10, DAY, NULL, NULL,
     EVENT(token_lifetime), "lifetime of a ticket token"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const door__cfg_kind_info door__cfg_kinds[DOOR__CFG_NKINDS] = {
    {"broker", 0, door__broker_keys, N(door__broker_keys), NULL},
    {"store", 0, door__store_keys, N(door__store_keys), NULL},
    {"provider", 1, door__provider_keys, N(door__provider_keys), "NAME"},
    {"event", 1, door__event_keys, N(door__event_keys), "ID"},
};

/* ---- 32-byte keys -------------------------------------------------------- */

static int door__b64url_val(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

static int door__hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

door_err door__config_key32(const door_config_secret *s,
                            unsigned char out[32]) {
  const char *v = s ? s->value : NULL;
  size_t len = s ? s->len : 0, i;
  if (!v)
    return DOOR_ECONFIG_VALUE;
  if (len == 64) {
    for (i = 0; i < 64; i++) {
      int x = door__hexval((unsigned char)v[i]);
      if (x < 0)
        return DOOR_ECONFIG_VALUE;
      if (i % 2 == 0)
        out[i / 2] = (unsigned char)(x << 4);
      else
        out[i / 2] |= (unsigned char)x;
    }
    return DOOR_OK;
  }
  if (len == 44 && v[43] == '=')
    len = 43;
  if (len == 43) {
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (i = 0; i < 43; i++) {
      int x = door__b64url_val((unsigned char)v[i]);
      if (x < 0)
        return DOOR_ECONFIG_VALUE;
      acc = (acc << 6) | (unsigned)x;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[n++] = (unsigned char)(acc >> bits);
      }
      acc &= (1u << bits) - 1;
    }
    /* 43 characters carry 258 bits: the last 2 must be zero. */
    if (n != 32 || acc != 0)
      return DOOR_ECONFIG_VALUE;
    return DOOR_OK;
  }
  return DOOR_ECONFIG_VALUE;
}
