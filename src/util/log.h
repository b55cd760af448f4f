/* Logging (internal): one line per event, key=value or JSON, with redaction.
 *
 * There is no global logger: a door_log is created by the program (or the
 * embedding application, which may give its own sink) and passed to what
 * needs it.  A NULL door_log * is valid everywhere and logs nothing.
 *
 * Redaction: a value is written as "[redacted]" when its key names a secret
 * (see door__log_key_is_secret: client_secret, secret, password, code,
 * code_verifier, token, access_token, refresh_token, id_token, assertion,
 * authorization, cookie, set-cookie, session, state, nonce, and any key
 * ending in _secret, _token, _key or _password), or when the value itself
 * looks like a credential (a JWS/JWT "eyJ..."-shaped string with two dots,
 * "Bearer ..." or "Basic ...").  Redaction cannot be turned off.
 *
 * Thread-safety: door__log may be called from any thread; each event is
 * written with a single write to the sink (the default sink writes the line
 * to stderr with one fwrite under the stdio lock).
 */
#ifndef DOOR_UTIL_LOG_H
#define DOOR_UTIL_LOG_H

#include "doorauth/error.h"

#include <stddef.h>

typedef enum door_log_level {
  DOOR_LOG_DEBUG = 0,
  DOOR_LOG_INFO = 1,
  DOOR_LOG_WARN = 2,
  DOOR_LOG_ERROR = 3,
} door_log_level;

typedef enum door_log_format {
  DOOR_LOG_KV = 0,   /* ts=... level=info event=login.ok provider=daccount */
  DOOR_LOG_JSON = 1, /* {"ts":"...","level":"info","event":"login.ok",...} */
} door_log_format;

/* Receives one finished line (no trailing newline), already redacted. */
typedef void (*door_log_sink_fn)(void *ud, door_log_level level,
                                 const char *line, size_t len);

typedef struct door_log {
  door_log_level min_level;
  door_log_format format;
  door_log_sink_fn sink; /* NULL: stderr */
  void *sink_ud;
  const char *program; /* written as prog=..., may be NULL */
} door_log;

void door__log_init(door_log *lg, const char *program);
/* Parses "debug", "info", "warn", "error". */
door_err door__log_level_parse(const char *s, door_log_level *out);

/* Logs an event with key/value string pairs, ended by NULL:
 *   door__log(lg, DOOR_LOG_INFO, "login.ok", "provider", "daccount",
 *             "sub", sub, NULL);
 * A NULL value is written as an empty string.  Values are escaped (kv:
 * quoted when they contain space, '"', '=' or control characters; JSON:
 * standard escapes), capped at 1 KiB each and 8 KiB per line. */
void door__log(const door_log *lg, door_log_level level, const char *event,
               ...);
/* Logs a failure with its detail record: err=NAME what=... where=... hint=...
 */
void door__log_detail(const door_log *lg, door_log_level level,
                      const char *event, const door_detail *d);

/* 1 when values under this key are never written. */
int door__log_key_is_secret(const char *key);
/* 1 when the value looks like a credential whatever its key. */
int door__log_value_is_secret(const char *value);

#endif
