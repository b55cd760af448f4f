/* Back-channel logout POSTs on OpenSSL's HTTP client (bcl_post.h). */
#include "idp/bcl_post.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct door_idp_bcl {
  SSL_CTX *ctx; /* read-only after door__idp_bcl_new */
};

/* The bio_update_fn argument: one per post. */
typedef struct tls_arg {
  SSL_CTX *ctx;
  const char *host; /* without brackets */
  BIO *sbio;        /* the TLS BIO put on the connection; freed by us */
} tls_arg;

door_err door__idp_bcl_new(const char *ca_file, door_idp_bcl **out,
                           door_detail *d) {
  door_idp_bcl *b;
  int ok;
  *out = NULL;
  b = calloc(1, sizeof *b);
  if (!b)
    return DOOR_ENOMEM;
  b->ctx = SSL_CTX_new(TLS_client_method());
  if (!b->ctx) {
    free(b);
    ERR_clear_error();
    return DOOR_ENOMEM;
  }
  SSL_CTX_set_min_proto_version(b->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(b->ctx, SSL_VERIFY_PEER, NULL);
  if (ca_file)
    ok = SSL_CTX_load_verify_file(b->ctx, ca_file);
  else
    ok = SSL_CTX_set_default_verify_paths(b->ctx);
  ERR_clear_error();
  if (!ok) {
    door__idp_bcl_free(b);
    return door_detail_set(
        d, DOOR_EINVAL, ca_file ? ca_file : "system trust store",
        "cannot load the trust anchors for back-channel logout",
        "give --backchannel-ca (or backchannel_ca_file) a readable PEM file "
        "of CA certificates");
  }
  *out = b;
  return DOOR_OK;
}

void door__idp_bcl_free(door_idp_bcl *b) {
  if (!b)
    return;
  SSL_CTX_free(b->ctx);
  free(b);
}

static int is_ip_literal(const char *host) {
  unsigned char a[16];
  return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* OSSL_HTTP_open's bio_update_fn: puts a TLS BIO (verifying the peer and
 * its name) on top of the connected socket BIO. */
static BIO *tls_cb(BIO *bio, void *arg, int connect, int detail) {
  tls_arg *t = arg;
  BIO *sbio;
  SSL *ssl = NULL;
  if (!connect || !detail)
    return bio; /* disconnecting, or plain http (never asked for) */
  sbio = BIO_new_ssl(t->ctx, 1);
  if (!sbio)
    return NULL;
  BIO_get_ssl(sbio, &ssl);
  if (!ssl) {
    BIO_free(sbio);
    return NULL;
  }
  if (is_ip_literal(t->host)) {
    if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t->host)) {
      BIO_free(sbio);
      return NULL;
    }
  } else if (!SSL_set_tlsext_host_name(ssl, t->host) ||
             !SSL_set1_host(ssl, t->host)) {
    BIO_free(sbio);
    return NULL;
  }
  t->sbio = sbio;
  return BIO_push(sbio, bio);
}

/* One connection attempt, bounded by the deadline.  (OSSL_HTTP_open's own
 * connect, BIO_do_connect_retry, retries a refused connection until the
 * timeout; a relying party that is not listening fails at once here.) */
static door_err tcp_connect(const char *host, const char *port, time_t deadline,
                            BIO **out) {
  BIO *c;
  int rv;
  *out = NULL;
  c = BIO_new_connect(host);
  if (!c)
    return DOOR_ENOMEM;
  if (!BIO_set_conn_port(c, port)) {
    BIO_free_all(c);
    return DOOR_ENOMEM;
  }
  BIO_set_nbio(c, 1);
  for (;;) {
    rv = BIO_do_connect(c);
    if (rv > 0) {
      *out = c;
      return DOOR_OK;
    }
    if (!BIO_should_retry(c)) {
      BIO_free_all(c);
      return DOOR_EHTTP; /* refused, unreachable, DNS */
    }
    rv = BIO_wait(c, deadline, 100);
    if (rv <= 0) {
      BIO_free_all(c);
      return rv == 0 ? DOOR_EHTTP_TIMEOUT : DOOR_EHTTP;
    }
  }
}

/* The outcome of a failed exchange, from OpenSSL's error queue: a status
 * that OpenSSL's client does not accept ("code=NNN" on HTTP_R_RECEIVED_ERROR
 * and HTTP_R_STATUS_CODE_UNSUPPORTED) or the transport failure. */
static door_err failure(long *status, int posted) {
  const char *data = NULL;
  unsigned long e;
  int flags = 0, tls = 0, timeout = 0, redirect = 0;
  while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
    int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
    if (lib == ERR_LIB_HTTP && (reason == HTTP_R_RECEIVED_ERROR ||
                                reason == HTTP_R_STATUS_CODE_UNSUPPORTED)) {
      const char *c =
          (flags & ERR_TXT_STRING) && data ? strstr(data, "code=") : NULL;
      if (c && *status == 0)
        *status = strtol(c + 5, NULL, 10);
    } else if (lib == ERR_LIB_HTTP &&
               reason == HTTP_R_REDIRECTION_NOT_ENABLED) {
      redirect = 1;
    } else if (lib == ERR_LIB_SSL || lib == ERR_LIB_X509) {
      tls = 1;
    } else if (lib == ERR_LIB_BIO && (reason == BIO_R_TRANSFER_TIMEOUT ||
                                      reason == BIO_R_CONNECT_TIMEOUT)) {
      timeout = 1;
    } else if (lib == ERR_LIB_HTTP && reason == HTTP_R_RETRY_TIMEOUT) {
      timeout = 1;
    }
  }
  if (posted && *status >= 100 && *status <= 999)
    return *status >= 300 && *status < 400 && *status != 304
               ? DOOR_EHTTP_REDIRECT
               : DOOR_OK;
  *status = 0;
  if (redirect)
    return DOOR_EHTTP_REDIRECT;
  if (timeout)
    return DOOR_EHTTP_TIMEOUT;
  if (tls)
    return DOOR_EHTTP_TLS;
  return DOOR_EHTTP;
}

/* Reads what is left of the response body, up to the cap, and drops it. */
static void drain(BIO *rbio, time_t deadline) {
  char buf[4096];
  size_t total = 0;
  while (total < DOOR_IDP_BCL_MAX_BODY) {
    int n = BIO_read(rbio, buf, (int)sizeof buf);
    if (n > 0) {
      total += (size_t)n;
      continue;
    }
    if (!BIO_should_retry(rbio) || BIO_wait(rbio, deadline, 100) <= 0)
      break;
  }
  ERR_clear_error();
}

door_err door__idp_bcl_post(door_idp_bcl *b, const char *url, const char *body,
                            size_t len, long *status, door_detail *d) {
  char *user = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL,
       *frag = NULL;
  char *target = NULL, *conn_host = NULL;
  int use_ssl = 0;
  BIO *conn = NULL;
  OSSL_HTTP_REQ_CTX *rctx = NULL;
  BIO *req = NULL, *resp;
  tls_arg t;
  time_t deadline;
  door_err err = DOOR_OK;
  *status = 0;
  t.sbio = NULL;
  if (!b || !url || !body || len > (size_t)INT32_MAX)
    return DOOR_EINVAL;
  ERR_clear_error();
  if (!OSSL_HTTP_parse_url(url, &use_ssl, &user, &host, &port, NULL, &path,
                           &query, &frag)) {
    ERR_clear_error();
    err = door_detail_set(d, DOOR_EURL, "backchannel_logout_uri",
                          "the URL does not parse",
                          "register an absolute https URL");
    goto out;
  }
  if (!use_ssl || (user && *user) || (frag && *frag) || !*host) {
    err = door_detail_set(d, DOOR_EHTTP_URL_REFUSED, "backchannel_logout_uri",
                          "not an https URL, or it has userinfo or a fragment",
                          "register an https URL without userinfo or "
                          "fragment");
    goto out;
  }
  {
    size_t pl = strlen(path), ql = query ? strlen(query) : 0;
    target = malloc(pl + ql + 2);
    if (!target) {
      err = DOOR_ENOMEM;
      goto out;
    }
    memcpy(target, path, pl);
    target[pl] = '\0';
    if (query) {
      target[pl] = '?';
      memcpy(target + pl + 1, query, ql + 1);
    }
  }
  req = BIO_new_mem_buf(body, (int)len);
  if (!req) {
    err = DOOR_ENOMEM;
    goto out;
  }
  t.ctx = b->ctx;
  t.host = host;
  t.sbio = NULL;
  deadline = time(NULL) + DOOR_IDP_BCL_TIMEOUT_S;
  if (strchr(host, ':')) { /* an IPv6 literal: BIO_new_connect wants [..] */
    size_t hl = strlen(host);
    conn_host = malloc(hl + 3);
    if (!conn_host) {
      err = DOOR_ENOMEM;
      goto out;
    }
    conn_host[0] = '[';
    memcpy(conn_host + 1, host, hl);
    memcpy(conn_host + 1 + hl, "]", 2);
  }
  err = tcp_connect(conn_host ? conn_host : host, port, deadline, &conn);
  if (err)
    goto fail;
  /* Our own connected BIO: no proxy, whatever the environment says. */
  rctx = OSSL_HTTP_open(host, port, NULL, NULL, 1, conn, NULL, tls_cb, &t, 0,
                        DOOR_IDP_BCL_TIMEOUT_S);
  if (!rctx) {
    err = failure(status, 0);
    goto fail;
  }
  if (!OSSL_HTTP_set1_request(
          rctx, target, NULL, "application/x-www-form-urlencoded", req, NULL, 0,
          0 /* no length cap here: drain() caps what it reads */,
          DOOR_IDP_BCL_TIMEOUT_S, 0)) {
    err = failure(status, 0);
    goto fail;
  }
  resp = OSSL_HTTP_exchange(rctx, NULL);
  if (!resp) {
    err = failure(status, 1);
    if (err == DOOR_OK || err == DOOR_EHTTP_REDIRECT)
      goto out;
    goto fail;
  }
  *status = 200; /* the only status OpenSSL's client hands a body for */
  drain(resp, deadline);
  BIO_free(resp); /* OSSL_HTTP_exchange handed us a reference */
  goto out;
fail:
  door_detail_set(d, err, "backchannel_logout_uri",
                  "the back-channel logout POST failed",
                  "check that the relying party listens there and that its "
                  "certificate chains to the back-channel CA");
out:
  OSSL_HTTP_close(rctx, err == DOOR_OK);
  ERR_clear_error();
  /* The connection is ours (OSSL_HTTP_open was given it): the TLS BIO on
   * top of it, or the bare connection when TLS never started. */
  if (t.sbio)
    BIO_free_all(t.sbio);
  else
    BIO_free_all(conn);
  free(conn_host);
  BIO_free(req);
  free(target);
  OPENSSL_free(user);
  OPENSSL_free(host);
  OPENSSL_free(port);
  OPENSSL_free(path);
  OPENSSL_free(query);
  OPENSSL_free(frag);
  return err;
}
