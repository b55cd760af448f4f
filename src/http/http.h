/* The one outbound HTTP client (internal), on libcurl.
 *
 * Every back-channel call doorauth makes (discovery, JWKS, token, userinfo,
 * back-channel logout) goes through a door_http.  The client never reaches
 * the store: it moves bytes and reports what came back; the caller judges
 * the status and the content.
 *
 * Rules it enforces on every request, before any network I/O:
 *   - the URL is absolute https (plain http only to a loopback host, and only
 *     when the client was created with allow_insecure_loopback), has no
 *     userinfo and no fragment; libcurl's own parse of the URL must agree
 *     with ours on scheme, host and port, and libcurl is handed that parsed
 *     URL (CURLOPT_CURLU) and told to speak only that scheme;
 *   - headers given by the caller cannot carry CR, LF or NUL.
 * And while it runs:
 *   - TLS peer and host name verification are always on (TLS 1.2 or later);
 *   - redirects are never followed: a 3xx (other than 304) comes back as
 *     DOOR_EHTTP_REDIRECT with the status and Location filled in;
 *   - connect and total timeouts;
 *   - caps on the response body and on the response headers: the transfer
 *     is aborted as soon as a cap is passed, so memory stays bounded;
 *   - no proxy unless one is configured (the environment's http_proxy and
 *     friends are ignored), no cookies, no netrc, no compression.
 *
 * Connection reuse: the client keeps a small pool of curl easy handles; each
 * keeps its own live connections between requests.  A curl share object
 * shares the DNS cache and TLS sessions between the handles (with one mutex
 * per kind of data).  Connections themselves are not shared through the
 * share object: libcurl does not support that between concurrent threads.
 *
 * Thread-safety: door__http_do may be called from many threads at once on
 * one client.  door__http_new and door__http_free must not race with any
 * other call on the same client.
 *
 * libcurl's global state: door__http_new calls curl_global_init exactly once
 * per process (through pthread_once) and never calls curl_global_cleanup.
 * A program that calls curl_global_init itself must do so before creating a
 * client from another thread, as libcurl requires.
 *
 * Secrets: Authorization headers and request bodies are never logged and
 * never copied into a door_detail; the header strings are wiped after use.
 * Logging (debug level): method, URL without query, status, ms, bytes.
 */
#ifndef DOOR_HTTP_HTTP_H
#define DOOR_HTTP_HTTP_H

#include "doorauth/error.h"
#include "util/buf.h"
#include "util/log.h"

#include <stddef.h>
#include <stdint.h>

#define DOOR_HTTP_CONNECT_TIMEOUT_MS 5000L
#define DOOR_HTTP_TOTAL_TIMEOUT_MS 10000L
#define DOOR_HTTP_MAX_RESPONSE_BYTES ((size_t)1 << 20)
#define DOOR_HTTP_MAX_HEADER_BYTES ((size_t)16 << 10)
#define DOOR_HTTP_MAX_IDLE_HANDLES 8

typedef struct door_http door_http;

typedef struct door_http_options {
  /* PEM file of trust anchors.  When set it REPLACES the system roots (curl
   * CAINFO = ca_file, CAPATH unset): only these anchors are trusted.  Meant
   * for tests and private deployments.  NULL: the system trust store. */
  const char *ca_file;
  long connect_timeout_ms;   /* 0: DOOR_HTTP_CONNECT_TIMEOUT_MS */
  long total_timeout_ms;     /* 0: DOOR_HTTP_TOTAL_TIMEOUT_MS */
  size_t max_response_bytes; /* body cap; 0: DOOR_HTTP_MAX_RESPONSE_BYTES */
  size_t max_header_bytes;   /* all header lines; 0: the default */
  size_t max_idle_handles;   /* pooled curl handles; 0: the default */
  /* 1: plain http is allowed to 127.0.0.0/8, ::1 and localhost (tests). */
  int allow_insecure_loopback;
  const char *user_agent; /* NULL: "doorauth/VERSION" */
  const char *proxy;      /* NULL: direct connections only */
  const door_log *log;    /* NULL: no logging; must outlive the client */
} door_http_options;

/* Zeroes `o` (every field takes its default). */
void door__http_options_init(door_http_options *o);

/* Creates a client; strings in `o` are copied.  DOOR_EINVAL for a negative
 * timeout or a user agent / proxy with control characters, DOOR_ENOMEM,
 * DOOR_EINTERNAL when libcurl cannot be initialised. */
door_err door__http_new(const door_http_options *o, door_http **out,
                        door_detail *d);
/* Frees the client and its pooled handles.  No request may be in flight.
 * NULL is allowed. */
void door__http_free(door_http *h);

typedef enum door_http_method {
  DOOR_HTTP_GET = 0,
  DOOR_HTTP_POST = 1,
} door_http_method;

typedef struct door_http_header {
  const char *name;  /* an RFC 9110 token */
  const char *value; /* no CR, LF, NUL or other control characters */
} door_http_header;

/* A request.  The client keeps no pointer into it after door__http_do. */
typedef struct door_http_request {
  door_http_method method;
  const char *url;
  /* POST body (GET must have none).  content_type NULL with a body means
   * application/x-www-form-urlencoded. */
  const char *body;
  size_t body_len;
  const char *content_type;
  const char *accept; /* NULL: "application/json" */
  /* Authorization: Bearer <token>.  RFC 6750 b64token characters only. */
  const char *bearer_token;
  /* Authorization: Basic base64(user ":" password).  Both strings must
   * already be form-encoded by the caller (RFC 6749 section 2.3.1), so the
   * user cannot contain ':'.  Not together with bearer_token. */
  const char *basic_user;
  const char *basic_password;
  /* More headers.  Authorization, Host, Content-Length, Transfer-Encoding,
   * Connection, Expect and Cookie are refused here (DOOR_EINVAL). */
  const door_http_header *headers;
  size_t n_headers;
} door_http_request;

/* Zeroes `r`: a GET with no body and no credentials. */
void door__http_request_init(door_http_request *r);

typedef struct door_http_response {
  long status;   /* 0 when no response arrived */
  door_buf body; /* capped; NUL-terminated when not empty */
  /* Header values (first occurrence; NULL when absent).  www_authenticate
   * joins several WWW-Authenticate fields with ", ". */
  char *content_type;
  char *location;
  char *www_authenticate;
  /* From Cache-Control: max-age in seconds (the smallest when repeated;
   * -1 when absent or malformed); no_store is 1 for no-store or no-cache. */
  long cache_max_age;
  int cache_no_store;
  /* Retry-After in seconds (an HTTP-date is turned into a delay from now,
   * 0 when past); -1 when absent or malformed. */
  long retry_after;
  long total_ms;        /* whole transfer, from libcurl's timer */
  long new_connections; /* connections this request opened (0: reused) */
} door_http_response;

/* Performs one request.  `resp` is initialised first, whatever happens, and
 * must be released with door__http_response_free afterwards.
 *
 * DOOR_OK when any HTTP response arrived, whatever its status (the caller
 * judges it), except:
 *   DOOR_EHTTP_REDIRECT       a 3xx other than 304 (status and location are
 *                             filled in; the detail holds the Location
 *                             without its query);
 * and before any I/O:
 *   DOOR_EURL                 the URL does not parse;
 *   DOOR_EHTTP_URL_REFUSED    not https (nor allowed loopback http),
 *                             userinfo, a fragment, libcurl disagrees;
 *   DOOR_EINVAL               a malformed request (see the struct);
 * or in transport:
 *   DOOR_EHTTP_TLS            certificate or host name verification, or
 *                             the TLS handshake, failed;
 *   DOOR_EHTTP_TIMEOUT        connect or total timeout;
 *   DOOR_EHTTP_TOOBIG         body over max_response_bytes;
 *   DOOR_EHTTP_HEADERS_TOOBIG headers over max_header_bytes;
 *   DOOR_EHTTP                anything else (refused, reset, DNS, ...);
 *   DOOR_ENOMEM.
 * On transport errors the body is left empty. */
door_err door__http_do(door_http *h, const door_http_request *req,
                       door_http_response *resp, door_detail *d);

void door__http_response_free(door_http_response *resp);

/* 1 when the response's Content-Type is application/json or a +json type,
 * with or without parameters (case-insensitive). */
int door__http_is_json(const door_http_response *resp);

/* Counters since the client was created.  Each door__http_do counts once in
 * `requests` and, when it failed, once in exactly one errors_ field. */
typedef struct door_http_metrics {
  uint64_t requests;
  uint64_t responses;        /* returned DOOR_OK */
  uint64_t errors_refused;   /* EURL, EHTTP_URL_REFUSED, EINVAL */
  uint64_t errors_redirect;  /* EHTTP_REDIRECT */
  uint64_t errors_tls;       /* EHTTP_TLS */
  uint64_t errors_timeout;   /* EHTTP_TIMEOUT */
  uint64_t errors_too_big;   /* EHTTP_TOOBIG, EHTTP_HEADERS_TOOBIG */
  uint64_t errors_transport; /* EHTTP */
  uint64_t errors_other;     /* ENOMEM, EINTERNAL */
  uint64_t connections;      /* new connections opened */
  uint64_t bytes_sent;       /* request bodies */
  uint64_t bytes_received;   /* response bodies */
} door_http_metrics;

void door__http_metrics(const door_http *h, door_http_metrics *out);

/* Parsers used by door__http_do, exposed for tests.
 * Cache-Control: sets *max_age (-1 when absent/malformed) and *no_store. */
void door__http_parse_cache_control(const char *v, long *max_age,
                                    int *no_store);
/* Retry-After: delay-seconds or an HTTP-date relative to `now` (Unix time);
 * -1 when malformed. */
long door__http_parse_retry_after(const char *v, long long now);

#endif
