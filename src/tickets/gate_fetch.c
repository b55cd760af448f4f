/* The gate's key set from a URL (libcurl, used directly: door-gate does
 * not link the HTTP module) and from files.
 *
 * The fetch: GET with https (http only to a loopback host when allowed),
 * no redirects, certificate and host name checked (the system's CAs or
 * ca_file), a whole-request timeout, a 256 KiB body cap, 200 only.
 * Cache-Control max-age is read from the response headers. */
#include "tickets/gate_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_once_t door__gate_curl_once = PTHREAD_ONCE_INIT;
static CURLcode door__gate_curl_rc = CURLE_FAILED_INIT;

static void door__gate_curl_init(void) {
  door__gate_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct door__fetch_body {
  door_buf buf;
  int too_big;
} door__fetch_body;

static size_t door__fetch_write(char *p, size_t size, size_t n, void *ud) {
  door__fetch_body *b = ud;
  size_t len = size * n;
  if (door__buf_append(&b->buf, p, len)) {
    b->too_big = 1;
    return 0;
  }
  return len;
}

/* Cache-Control: ..., max-age=N, ... */
static size_t door__fetch_header(char *p, size_t size, size_t n, void *ud) {
  int64_t *max_age = ud;
  size_t len = size * n, i;
  static const char name[] = "cache-control:";
  if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
    for (i = sizeof name - 1; i + 8 <= len; i++) {
      if (strncasecmp(p + i, "max-age=", 8) == 0 &&
          (i == sizeof name - 1 || p[i - 1] == ' ' || p[i - 1] == ',')) {
        int64_t v = 0;
        size_t j = i + 8, digits = 0;
        while (j < len && p[j] >= '0' && p[j] <= '9' && digits < 10) {
          v = v * 10 + (p[j] - '0');
          j++;
          digits++;
        }
        if (digits)
          *max_age = v;
        break;
      }
    }
  }
  return len;
}

/* "https://..." always; "http://" to loopback names when allowed. */
static int door__fetch_url_ok(const char *url, int allow_loopback) {
  static const char *const hosts[] = {"127.0.0.1", "[::1]", "localhost"};
  size_t i;
  if (strncmp(url, "https://", 8) == 0)
    return 1;
  if (!allow_loopback || strncmp(url, "http://", 7) != 0)
    return 0;
  for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    size_t n = strlen(hosts[i]);
    const char *h = url + 7;
    if (strncmp(h, hosts[i], n) == 0 &&
        (h[n] == ':' || h[n] == '/' || h[n] == '\0'))
      return 1;
  }
  return 0;
}

door_err door__gate_fetch_jwks(const door__gate_fetch *f, char **body,
                               size_t *len, int64_t *max_age, door_detail *d) {
  CURL *c;
  CURLcode rc;
  long status = 0;
  door__fetch_body b;
  door_err err = DOOR_OK;
  *body = NULL;
  *len = 0;
  *max_age = -1;
  if (!door__fetch_url_ok(f->url, f->allow_insecure_loopback))
    return door_detail_set(d, DOOR_EHTTP_URL_REFUSED, "jwks_url",
                           "the key set URL is not https",
                           "use the broker's https:// URL");
  pthread_once(&door__gate_curl_once, door__gate_curl_init);
  if (door__gate_curl_rc != CURLE_OK)
    return door_detail_set(d, DOOR_EINTERNAL, "jwks_url",
                           "libcurl could not start", NULL);
  c = curl_easy_init();
  if (!c)
    return DOOR_ENOMEM;
  door__buf_init(&b.buf, DOOR__GATE_JWKS_MAX);
  b.too_big = 0;
  curl_easy_setopt(c, CURLOPT_URL, f->url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                   f->allow_insecure_loopback ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   f->timeout_ms > 0 ? f->timeout_ms : 10000L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (f->ca_file)
    curl_easy_setopt(c, CURLOPT_CAINFO, f->ca_file);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "door-gate");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, door__fetch_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, door__fetch_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, max_age);
  rc = curl_easy_perform(c);
  if (rc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (b.too_big)
    err = door_detail_set(d, DOOR_EHTTP_TOOBIG, "jwks_url",
                          "the key set is larger than 256 KiB", NULL);
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    err = door_detail_set(d, DOOR_EHTTP_TIMEOUT, "jwks_url",
                          "the key set did not arrive in time", NULL);
  else if (rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR)
    err = door_detail_set(d, DOOR_EHTTP_TLS, "jwks_url",
                          "TLS to the key set URL failed",
                          "check the certificate and ca_file");
  else if (rc != CURLE_OK)
    err = door_detail_set(d, DOOR_EHTTP, "jwks_url", curl_easy_strerror(rc),
                          NULL);
  else if (status != 200)
    err = door_detail_set(d, DOOR_EHTTP_STATUS, "jwks_url",
                          "the key set URL did not answer 200", NULL);
  curl_easy_cleanup(c);
  if (!err) {
    *len = b.buf.len;
    *body = door__buf_detach(&b.buf);
    if (!*body)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&b.buf);
  return err;
}

door_err door__gate_read_file(const char *path, size_t max, char **out,
                              size_t *len, door_detail *d) {
  door_buf b;
  char chunk[8192];
  FILE *f;
  size_t n;
  door_err err = DOOR_OK;
  *out = NULL;
  *len = 0;
  f = fopen(path, "rb");
  if (!f)
    return door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  door__buf_init(&b, max);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (door__buf_append(&b, chunk, n)) {
      err = door_detail_set(d, DOOR_ETOOBIG, path, "file is too large", NULL);
      break;
    }
  if (!err && ferror(f))
    err = door_detail_set(d, DOOR_EIO, path, "read failed", NULL);
  fclose(f);
  if (!err) {
    *len = b.len;
    *out = door__buf_detach(&b);
    if (!*out)
      err = DOOR_ENOMEM;
  }
  door__buf_free(&b);
  return err;
}

door_err door__gate_write_file(const char *path, const char *data, size_t len,
                               unsigned mode, door_detail *d) {
  door_buf tmp;
  int fd;
  size_t off = 0;
  door_err err = DOOR_OK;
  door__buf_init(&tmp, 8192);
  if (door__buf_puts(&tmp, path) || door__buf_puts(&tmp, ".tmpXXXXXX")) {
    door__buf_free(&tmp);
    return DOOR_ETOOBIG;
  }
  fd = mkstemp(tmp.data);
  if (fd < 0) {
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
    door__buf_free(&tmp);
    return err;
  }
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      err = door_detail_set(d, DOOR_EIO, path, "write failed", NULL);
      break;
    }
    off += (size_t)w;
  }
  if (!err && (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0))
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  if (close(fd) != 0 && !err)
    err = door_detail_set(d, DOOR_EIO, path, "close failed", NULL);
  if (!err && rename(tmp.data, path) != 0)
    err = door_detail_set(d, DOOR_EIO, path, strerror(errno), NULL);
  if (err)
    unlink(tmp.data);
  door__buf_free(&tmp);
  return err;
}
