/* The outbound HTTP client: a pool of curl easy handles and a share object.
 * See http.h for the rules it enforces. */
#include "http/http_int.h"
#include "http/http_version.h"
#include "util/url.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longest scheme://host:port/path accepted (the query is not counted). */
#define DOOR__HTTP_MAX_URL 8192

/* Counters, updated without a lock. */
typedef struct door__http_counters {
  atomic_uint_least64_t requests, responses, errors_refused, errors_redirect,
      errors_tls, errors_timeout, errors_too_big, errors_transport,
      errors_other, connections, bytes_sent, bytes_received;
} door__http_counters;

struct door_http {
  char *ca_file;
  char *user_agent;
  char *proxy;
  long connect_timeout_ms;
  long total_timeout_ms;
  size_t max_response_bytes;
  size_t max_header_bytes;
  int allow_insecure_loopback;
  const door_log *log;

  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  int n_share_locks; /* how many of share_locks are initialised */

  pthread_mutex_t pool_lock;
  int pool_lock_ok;
  CURL **idle; /* idle handles, each with its live connections */
  size_t n_idle;
  size_t max_idle;

  door__http_counters m;
};

/* State of one transfer, seen by the callbacks. */
typedef struct door__http_xfer {
  door_http_response *resp;
  door__http_hdrs hh;
  door_err body_err; /* why the body callback stopped the transfer */
  door_err hdr_err;  /* why the header callback stopped it */
} door__http_xfer;

/* ---- libcurl global state ------------------------------------------- */

/* Written once inside pthread_once, read-only afterwards. */
static pthread_once_t door__http_once = PTHREAD_ONCE_INIT;
static CURLcode door__http_global_rc = CURLE_FAILED_INIT;

static void door__http_global_init(void) {
  door__http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- options ---------------------------------------------------------- */

void door__http_options_init(door_http_options *o) { memset(o, 0, sizeof *o); }

void door__http_request_init(door_http_request *r) { memset(r, 0, sizeof *r); }

static int door__http_clean_text(const char *s) {
  for (; s && *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
      return 0;
  return 1;
}

static door_err door__http_dup(const char *s, char **out) {
  *out = NULL;
  if (!s)
    return DOOR_OK;
  *out = strdup(s);
  return *out ? DOOR_OK : DOOR_ENOMEM;
}

/* ---- share locks ------------------------------------------------------ */

static void door__http_lock(CURL *e, curl_lock_data data,
                            curl_lock_access access, void *ud) {
  door_http *h = ud;
  (void)e;
  (void)access;
  if ((unsigned)data < (unsigned)CURL_LOCK_DATA_LAST)
    pthread_mutex_lock(&h->share_locks[data]);
}

static void door__http_unlock(CURL *e, curl_lock_data data, void *ud) {
  door_http *h = ud;
  (void)e;
  if ((unsigned)data < (unsigned)CURL_LOCK_DATA_LAST)
    pthread_mutex_unlock(&h->share_locks[data]);
}

static door_err door__http_share_new(door_http *h, door_detail *d) {
  CURLSHcode sc = CURLSHE_OK;
  int i;
  for (i = 0; i < (int)CURL_LOCK_DATA_LAST; i++) {
    if (pthread_mutex_init(&h->share_locks[i], NULL) != 0)
      return door_detail_set(d, DOOR_EINTERNAL, "http", "mutex init failed",
                             NULL);
    h->n_share_locks = i + 1;
  }
  h->share = curl_share_init();
  if (!h->share)
    return door_detail_set(d, DOOR_ENOMEM, "http", "curl_share_init failed",
                           NULL);
  sc = curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, door__http_lock);
  if (!sc)
    sc = curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, door__http_unlock);
  if (!sc)
    sc = curl_share_setopt(h->share, CURLSHOPT_USERDATA, (void *)h);
  if (!sc)
    sc = curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  if (!sc)
    sc = curl_share_setopt(h->share, CURLSHOPT_SHARE,
                           CURL_LOCK_DATA_SSL_SESSION);
  if (sc)
    return door_detail_set(d, DOOR_EINTERNAL, "http", curl_share_strerror(sc),
                           NULL);
  return DOOR_OK;
}

/* ---- client ----------------------------------------------------------- */

door_err door__http_new(const door_http_options *o, door_http **out,
                        door_detail *d) {
  door_http_options defaults;
  door_http *h = NULL;
  curl_version_info_data *vi;
  door_err err = DOOR_OK;
  *out = NULL;
  if (!o) {
    door__http_options_init(&defaults);
    o = &defaults;
  }
  if (o->connect_timeout_ms < 0 || o->total_timeout_ms < 0) {
    err = door_detail_set(d, DOOR_EINVAL, "http", "negative timeout", NULL);
    goto out;
  }
  if (!door__http_clean_text(o->user_agent) ||
      !door__http_clean_text(o->proxy)) {
    err = door_detail_set(d, DOOR_EINVAL, "http",
                          "control character in user agent or proxy", NULL);
    goto out;
  }
  pthread_once(&door__http_once, door__http_global_init);
  if (door__http_global_rc != CURLE_OK) {
    err = door_detail_set(d, DOOR_EINTERNAL, "http", "curl_global_init failed",
                          NULL);
    goto out;
  }
  /* CURLOPT_PROTOCOLS_STR needs libcurl 7.85 at run time, and TLS. */
  vi = curl_version_info(CURLVERSION_NOW);
  if (!vi || vi->version_num < 0x075500 || !(vi->features & CURL_VERSION_SSL)) {
    err = door_detail_set(d, DOOR_EUNSUPPORTED, "http",
                          "libcurl is older than 7.85 or lacks TLS",
                          "install a current libcurl with OpenSSL");
    goto out;
  }
  h = calloc(1, sizeof *h);
  if (!h) {
    err = DOOR_ENOMEM;
    goto out;
  }
  h->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms
                                                : DOOR_HTTP_CONNECT_TIMEOUT_MS;
  h->total_timeout_ms =
      o->total_timeout_ms ? o->total_timeout_ms : DOOR_HTTP_TOTAL_TIMEOUT_MS;
  h->max_response_bytes = o->max_response_bytes ? o->max_response_bytes
                                                : DOOR_HTTP_MAX_RESPONSE_BYTES;
  h->max_header_bytes =
      o->max_header_bytes ? o->max_header_bytes : DOOR_HTTP_MAX_HEADER_BYTES;
  h->max_idle =
      o->max_idle_handles ? o->max_idle_handles : DOOR_HTTP_MAX_IDLE_HANDLES;
  h->allow_insecure_loopback = o->allow_insecure_loopback != 0;
  h->log = o->log;
  err = door__http_dup(o->ca_file, &h->ca_file);
  if (!err)
    err = door__http_dup(o->user_agent ? o->user_agent
                                       : "doorauth/" DOOR__HTTP_VERSION,
                         &h->user_agent);
  if (!err)
    err = door__http_dup(o->proxy ? o->proxy : "", &h->proxy);
  if (err)
    goto out;
  h->idle = calloc(h->max_idle, sizeof *h->idle);
  if (!h->idle) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (pthread_mutex_init(&h->pool_lock, NULL) != 0) {
    err = door_detail_set(d, DOOR_EINTERNAL, "http", "mutex init failed", NULL);
    goto out;
  }
  h->pool_lock_ok = 1;
  err = door__http_share_new(h, d);
  if (err)
    goto out;
  *out = h;
  h = NULL;
out:
  if (err == DOOR_ENOMEM)
    door_detail_set(d, err, "http", "out of memory creating the client", NULL);
  door__http_free(h);
  return err;
}

void door__http_free(door_http *h) {
  size_t i;
  int k;
  if (!h)
    return;
  /* Easy handles detach from the share when cleaned up: first. */
  for (i = 0; i < h->n_idle; i++)
    curl_easy_cleanup(h->idle[i]);
  free(h->idle);
  if (h->share)
    curl_share_cleanup(h->share);
  for (k = 0; k < h->n_share_locks; k++)
    pthread_mutex_destroy(&h->share_locks[k]);
  if (h->pool_lock_ok)
    pthread_mutex_destroy(&h->pool_lock);
  free(h->ca_file);
  free(h->user_agent);
  free(h->proxy);
  free(h);
}

/* ---- handle pool ------------------------------------------------------ */

static CURL *door__http_take(door_http *h) {
  CURL *e = NULL;
  pthread_mutex_lock(&h->pool_lock);
  if (h->n_idle)
    e = h->idle[--h->n_idle];
  pthread_mutex_unlock(&h->pool_lock);
  return e ? e : curl_easy_init();
}

/* Resets the handle (it keeps its live connections and caches but forgets
 * every pointer into the request) and pools it, or frees it when the pool
 * is full. */
static void door__http_give(door_http *h, CURL *e) {
  if (!e)
    return;
  curl_easy_reset(e);
  pthread_mutex_lock(&h->pool_lock);
  if (h->n_idle < h->max_idle) {
    h->idle[h->n_idle++] = e;
    e = NULL;
  }
  pthread_mutex_unlock(&h->pool_lock);
  if (e)
    curl_easy_cleanup(e);
}

/* ---- URL check -------------------------------------------------------- */

/* Strips the brackets libcurl puts around an IPv6 host. */
static int door__http_same_host(const char *ours, const char *curls) {
  size_t n = strlen(curls);
  if (n >= 2 && curls[0] == '[' && curls[n - 1] == ']')
    return door__http_ieq(curls + 1, n - 2, ours);
  return door__http_ieq(curls, n, ours);
}

/* Parses and checks the URL (see http.h), fills `where` with the URL
 * without its query, gives libcurl's parse of it in *cu and the one scheme
 * libcurl may speak in *scheme. */
static door_err door__http_check_url(const door_http *h, const char *url,
                                     door_buf *where, CURLU **cu,
                                     const char **scheme_out, door_detail *d) {
  door_url u;
  CURLUcode uc;
  char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *frag = NULL;
  const char *why = NULL;
  door_err err;
  memset(&u, 0, sizeof u);
  *cu = NULL;
  *scheme_out = "https";
  if (!url) {
    err = door_detail_set(d, DOOR_EINVAL, "url", "no URL", NULL);
    goto out;
  }
  err = door__url_parse(url, &u, d);
  if (err)
    goto out;
  err = door__url_origin(&u, where);
  if (!err)
    err = door__buf_puts(where, u.path);
  if (err) {
    err = door_detail_set(
        d, DOOR_EHTTP_URL_REFUSED, "url",
        err == DOOR_ETOOBIG ? "URL is too long" : "URL has no host", NULL);
    goto out;
  }
  if (strcmp(u.scheme, "https") != 0 &&
      !(strcmp(u.scheme, "http") == 0 && h->allow_insecure_loopback &&
        door__url_is_loopback(&u)))
    why = "only https URLs are allowed (http only to loopback in tests)";
  else if (u.userinfo)
    why = "URL has userinfo";
  else if (u.fragment)
    why = "URL has a fragment";
  if (why) {
    err = door_detail_set(d, DOOR_EHTTP_URL_REFUSED, door__buf_str(where), why,
                          NULL);
    goto out;
  }
  /* libcurl must read the URL the way we did. */
  *cu = curl_url();
  if (!*cu) {
    err = DOOR_ENOMEM;
    goto out;
  }
  uc = curl_url_set(*cu, CURLUPART_URL, url, 0);
  if (!uc)
    uc = curl_url_get(*cu, CURLUPART_SCHEME, &scheme, 0);
  if (!uc)
    uc = curl_url_get(*cu, CURLUPART_HOST, &host, 0);
  if (!uc)
    uc = curl_url_get(*cu, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  if (uc || strcmp(scheme, u.scheme) != 0 ||
      !door__http_same_host(u.host, host) || atoi(port) != door__url_port(&u) ||
      curl_url_get(*cu, CURLUPART_USER, &user, 0) != CURLUE_NO_USER ||
      curl_url_get(*cu, CURLUPART_FRAGMENT, &frag, 0) != CURLUE_NO_FRAGMENT) {
    err = door_detail_set(d, DOOR_EHTTP_URL_REFUSED, door__buf_str(where),
                          "libcurl reads this URL differently", NULL);
    goto out;
  }
  *scheme_out = strcmp(u.scheme, "http") == 0 ? "http" : "https";
out:
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_free(user);
  curl_free(frag);
  door__url_free(&u);
  if (err == DOOR_ENOMEM)
    door_detail_set(d, err, "url", "out of memory", NULL);
  if (err && *cu) {
    curl_url_cleanup(*cu);
    *cu = NULL;
  }
  return err;
}

/* ---- callbacks -------------------------------------------------------- */

static size_t door__http_on_body(char *p, size_t size, size_t n, void *ud) {
  door__http_xfer *x = ud;
  door_err err;
  (void)size; /* always 1 */
  err = door__buf_append(&x->resp->body, p, n);
  if (err) {
    x->body_err = err == DOOR_ETOOBIG ? DOOR_EHTTP_TOOBIG : err;
    return 0;
  }
  return n;
}

static size_t door__http_on_header(char *p, size_t size, size_t n, void *ud) {
  door__http_xfer *x = ud;
  door_err err;
  (void)size; /* always 1 */
  err = door__http_hdrs_line(&x->hh, p, n);
  if (err) {
    x->hdr_err = err;
    return 0;
  }
  return n;
}

/* ---- one request ------------------------------------------------------ */

static door_err door__http_setup(door_http *h, CURL *e,
                                 const door_http_request *req, CURLU *cu,
                                 const char *scheme, struct curl_slist *hdrs,
                                 door__http_xfer *x, char *errbuf) {
  CURLcode rc = CURLE_OK;
#define DOOR__SET(opt, val)                                                    \
  do {                                                                         \
    if (rc == CURLE_OK)                                                        \
      rc = curl_easy_setopt(e, opt, val);                                      \
  } while (0)
  DOOR__SET(CURLOPT_SHARE, h->share);
  DOOR__SET(CURLOPT_CURLU, cu);
  DOOR__SET(CURLOPT_PROTOCOLS_STR, scheme);
  DOOR__SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  DOOR__SET(CURLOPT_FOLLOWLOCATION, 0L);
  DOOR__SET(CURLOPT_MAXREDIRS, 0L);
  DOOR__SET(CURLOPT_NOSIGNAL, 1L);
  DOOR__SET(CURLOPT_SSL_VERIFYPEER, 1L);
  DOOR__SET(CURLOPT_SSL_VERIFYHOST, 2L);
  DOOR__SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  if (h->ca_file) {
    DOOR__SET(CURLOPT_CAINFO, h->ca_file);
    DOOR__SET(CURLOPT_CAPATH, (char *)NULL);
  }
  DOOR__SET(CURLOPT_PROXY, h->proxy);
  DOOR__SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
  DOOR__SET(CURLOPT_TIMEOUT_MS, h->total_timeout_ms);
  DOOR__SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response_bytes);
  DOOR__SET(CURLOPT_TCP_KEEPALIVE, 1L);
  DOOR__SET(CURLOPT_USERAGENT, h->user_agent);
  DOOR__SET(CURLOPT_HTTPHEADER, hdrs);
  DOOR__SET(CURLOPT_ERRORBUFFER, errbuf);
  DOOR__SET(CURLOPT_WRITEFUNCTION, door__http_on_body);
  DOOR__SET(CURLOPT_WRITEDATA, (void *)x);
  DOOR__SET(CURLOPT_HEADERFUNCTION, door__http_on_header);
  DOOR__SET(CURLOPT_HEADERDATA, (void *)x);
  if (req->method == DOOR_HTTP_POST) {
    DOOR__SET(CURLOPT_POST, 1L);
    DOOR__SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    DOOR__SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
  } else {
    DOOR__SET(CURLOPT_HTTPGET, 1L);
  }
#undef DOOR__SET
  if (rc == CURLE_OUT_OF_MEMORY)
    return DOOR_ENOMEM;
  return rc == CURLE_OK ? DOOR_OK : DOOR_EINTERNAL;
}

static int door__http_is_tls_error(CURLcode rc) {
  switch (rc) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CLIENTCERT:
    return 1;
  default:
    return 0;
  }
}

/* Turns a libcurl result into a door_err with a detail. */
static door_err door__http_map(CURLcode rc, const door__http_xfer *x,
                               const char *errbuf, const char *where,
                               door_detail *d) {
  door_err err;
  const char *hint = NULL;
  door_buf what;
  if (rc == CURLE_OK)
    return DOOR_OK;
  if (rc == CURLE_WRITE_ERROR && x->body_err)
    err = x->body_err;
  else if (rc == CURLE_WRITE_ERROR && x->hdr_err)
    err = x->hdr_err;
  else if (rc == CURLE_FILESIZE_EXCEEDED)
    err = DOOR_EHTTP_TOOBIG;
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    err = DOOR_EHTTP_TIMEOUT;
  else if (rc == CURLE_OUT_OF_MEMORY)
    err = DOOR_ENOMEM;
  else if (door__http_is_tls_error(rc))
    err = DOOR_EHTTP_TLS;
  else
    err = DOOR_EHTTP;
  switch (err) {
  case DOOR_EHTTP_TOOBIG:
    hint = "the response body is over max_response_bytes";
    break;
  case DOOR_EHTTP_HEADERS_TOOBIG:
    hint = "the response headers are over max_header_bytes";
    break;
  case DOOR_EHTTP_TLS:
    hint = "check the server's certificate chain and name, or ca_file";
    break;
  case DOOR_EHTTP_TIMEOUT:
    hint = "the server did not answer in time";
    break;
  default:
    break;
  }
  door__buf_init(&what, sizeof d->what);
  (void)door__buf_puts(&what, curl_easy_strerror(rc));
  if (errbuf[0]) {
    (void)door__buf_append(&what, ": ", 2);
    (void)door__buf_puts(&what, errbuf);
  }
  door_detail_set(d, err, where, door__buf_str(&what), hint);
  door__buf_free(&what);
  return err;
}

/* The detail of a refused redirect: the Location without its query. */
static door_err door__http_redirect(const door_http_response *resp,
                                    const char *where, door_detail *d) {
  door_buf what;
  const char *loc = resp->location ? resp->location : "";
  door__buf_init(&what, sizeof d->what);
  (void)door__buf_puts(&what, "redirect refused: status ");
  (void)door__buf_put_i64(&what, resp->status);
  (void)door__buf_puts(&what, ", Location ");
  (void)door__buf_append(&what, loc, strcspn(loc, "?#"));
  door_detail_set(d, DOOR_EHTTP_REDIRECT, where, door__buf_str(&what),
                  "back-channel endpoints must answer directly");
  door__buf_free(&what);
  return DOOR_EHTTP_REDIRECT;
}

static void door__http_count(door_http *h, door_err err,
                             const door_http_request *req,
                             const door_http_response *resp) {
  door__http_counters *m = &h->m;
  atomic_uint_least64_t *c;
  atomic_fetch_add(&m->requests, 1);
  switch (err) {
  case DOOR_OK:
    c = &m->responses;
    break;
  case DOOR_EURL:
  case DOOR_EHTTP_URL_REFUSED:
  case DOOR_EINVAL:
    c = &m->errors_refused;
    break;
  case DOOR_EHTTP_REDIRECT:
    c = &m->errors_redirect;
    break;
  case DOOR_EHTTP_TLS:
    c = &m->errors_tls;
    break;
  case DOOR_EHTTP_TIMEOUT:
    c = &m->errors_timeout;
    break;
  case DOOR_EHTTP_TOOBIG:
  case DOOR_EHTTP_HEADERS_TOOBIG:
    c = &m->errors_too_big;
    break;
  case DOOR_EHTTP:
    c = &m->errors_transport;
    break;
  default:
    c = &m->errors_other;
    break;
  }
  atomic_fetch_add(c, 1);
  if (resp->new_connections > 0)
    atomic_fetch_add(&m->connections, (uint64_t)resp->new_connections);
  if (req && req->method == DOOR_HTTP_POST && resp->status > 0)
    atomic_fetch_add(&m->bytes_sent, (uint64_t)req->body_len);
  atomic_fetch_add(&m->bytes_received, (uint64_t)resp->body.len);
}

static void door__http_log(const door_http *h, const door_http_request *req,
                           const char *where, const door_http_response *resp,
                           door_err err) {
  char status[24], ms[24], bytes[24];
  const char *method = req && req->method == DOOR_HTTP_POST ? "POST" : "GET";
  if (!h->log)
    return;
  status[door__u64_to_str((uint64_t)resp->status, status)] = '\0';
  ms[door__u64_to_str((uint64_t)resp->total_ms, ms)] = '\0';
  bytes[door__u64_to_str((uint64_t)resp->body.len, bytes)] = '\0';
  if (err)
    door__log(h->log, DOOR_LOG_DEBUG, "http.request", "method", method, "url",
              where, "status", status, "ms", ms, "bytes", bytes, "err",
              door_err_name(err), NULL);
  else
    door__log(h->log, DOOR_LOG_DEBUG, "http.request", "method", method, "url",
              where, "status", status, "ms", ms, "bytes", bytes, NULL);
}

static void door__http_response_init(door_http_response *resp, size_t max) {
  memset(resp, 0, sizeof *resp);
  door__buf_init(&resp->body, max);
  resp->cache_max_age = -1;
  resp->retry_after = -1;
}

door_err door__http_do(door_http *h, const door_http_request *req,
                       door_http_response *resp, door_detail *d) {
  door_buf where;
  door__http_xfer x;
  CURLU *cu = NULL;
  CURL *e = NULL;
  struct curl_slist *hdrs = NULL;
  char errbuf[CURL_ERROR_SIZE];
  const char *scheme;
  curl_off_t total_us = 0;
  long status = 0, conns = 0;
  CURLcode rc;
  door_err err;
  door__http_response_init(resp, h ? h->max_response_bytes : 0);
  door__buf_init(&where, DOOR__HTTP_MAX_URL);
  door__http_hdrs_init(&x.hh, h ? h->max_header_bytes : 0);
  x.resp = resp;
  x.body_err = x.hdr_err = DOOR_OK;
  errbuf[0] = '\0';
  if (!h || !req) {
    err = door_detail_set(d, DOOR_EINVAL, "http", "no client or request", NULL);
    goto out;
  }
  if (req->method != DOOR_HTTP_GET && req->method != DOOR_HTTP_POST) {
    err = door_detail_set(d, DOOR_EINVAL, "method", "only GET and POST", NULL);
    goto out;
  }
  if (req->method == DOOR_HTTP_GET && (req->body || req->body_len)) {
    err = door_detail_set(d, DOOR_EINVAL, "body", "GET with a body", NULL);
    goto out;
  }
  if (!req->body && req->body_len) {
    err =
        door_detail_set(d, DOOR_EINVAL, "body", "body_len without body", NULL);
    goto out;
  }
  err = door__http_check_url(h, req->url, &where, &cu, &scheme, d);
  if (err)
    goto out;
  err = door__http_request_headers(req, &hdrs, d);
  if (err)
    goto out;
  e = door__http_take(h);
  if (!e) {
    err =
        door_detail_set(d, DOOR_ENOMEM, "http", "curl_easy_init failed", NULL);
    goto out;
  }
  err = door__http_setup(h, e, req, cu, scheme, hdrs, &x, errbuf);
  if (err) {
    door_detail_set(d, err, "http", "could not set curl options", NULL);
    goto out;
  }
  rc = curl_easy_perform(e);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total_us);
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns);
  resp->status = status;
  resp->total_ms = (long)(total_us / 1000);
  resp->new_connections = conns;
  err = door__http_map(rc, &x, errbuf, door__buf_str(&where), d);
  if (err) {
    door__buf_free(&resp->body);
    goto out;
  }
  err = door__http_hdrs_finish(&x.hh, resp, (long long)time(NULL));
  if (err)
    goto out;
  if (status >= 300 && status <= 399 && status != 304)
    err = door__http_redirect(resp, door__buf_str(&where), d);
out:
  if (h) {
    door__http_count(h, err, req, resp);
    door__http_log(h, req, door__buf_str(&where), resp, err);
  }
  door__http_give(h, e);
  door__http_slist_free(hdrs);
  curl_url_cleanup(cu);
  door__http_hdrs_free(&x.hh);
  door__buf_free(&where);
  return err;
}

void door__http_response_free(door_http_response *resp) {
  if (!resp)
    return;
  door__buf_free(&resp->body);
  free(resp->content_type);
  free(resp->location);
  free(resp->www_authenticate);
  door__http_response_init(resp, resp->body.max);
}

void door__http_metrics(const door_http *h, door_http_metrics *out) {
  const door__http_counters *m;
  memset(out, 0, sizeof *out);
  if (!h)
    return;
  m = &h->m;
  out->requests = atomic_load(&m->requests);
  out->responses = atomic_load(&m->responses);
  out->errors_refused = atomic_load(&m->errors_refused);
  out->errors_redirect = atomic_load(&m->errors_redirect);
  out->errors_tls = atomic_load(&m->errors_tls);
  out->errors_timeout = atomic_load(&m->errors_timeout);
  out->errors_too_big = atomic_load(&m->errors_too_big);
  out->errors_transport = atomic_load(&m->errors_transport);
  out->errors_other = atomic_load(&m->errors_other);
  out->connections = atomic_load(&m->connections);
  out->bytes_sent = atomic_load(&m->bytes_sent);
  out->bytes_received = atomic_load(&m->bytes_received);
}
