/* door-idp's back-channel logout delivery: one form POST to a relying
 * party's backchannel_logout_uri, on OpenSSL's own HTTP client
 * (OSSL_HTTP_open, OSSL_HTTP_set1_request, OSSL_HTTP_exchange; TLS through
 * libssl in the bio_update_fn callback).  door-idp needs no other outbound
 * HTTP, so it does not load libcurl and its dependency chain (a test IdP
 * whose memory is measured against other mock providers; docs/door-idp.md).
 *
 * Rules, the same as the libcurl client (src/http) applied before:
 *   - the URL is absolute https, has no userinfo and no fragment (plain
 *     http is refused: door-idp never allowed it for back-channel logout);
 *   - TLS 1.2 or later, the peer certificate verified against the CA file
 *     door-idp was given (--backchannel-ca / backchannel_ca_file; only those
 *     anchors), or the system trust store when none was given; the host
 *     name checked (SSL_set1_host), or the IP address for an IP literal;
 *   - no proxy (the environment's https_proxy is ignored), redirects never
 *     followed, one request per connection;
 *   - DOOR_IDP_BCL_TIMEOUT_S for connect, handshake, request and response;
 *     the TCP connection is made here, once (OpenSSL's own connect would
 *     retry a refused connection until the timeout), then handed to
 *     OSSL_HTTP_open;
 *   - the response body is read up to DOOR_IDP_BCL_MAX_BODY bytes and
 *     discarded (the rest is left unread: the connection is closed).
 *
 * Thread-safety: door__idp_bcl_post may be called from many threads at once
 * on one door_idp_bcl (it only creates per-call SSL objects from the shared,
 * read-only SSL_CTX).  door__idp_bcl_new and door__idp_bcl_free must not
 * race with any other call on the same object. */
#ifndef DOOR_IDP_BCL_POST_H
#define DOOR_IDP_BCL_POST_H

#include "doorauth/error.h"

#include <stddef.h>

#define DOOR_IDP_BCL_TIMEOUT_S 5
#define DOOR_IDP_BCL_MAX_BODY ((size_t)64 << 10)

typedef struct door_idp_bcl door_idp_bcl;

/* Creates the sender.  ca_file: PEM trust anchors replacing the system
 * roots; NULL: the system trust store.  DOOR_ENOMEM, DOOR_EINVAL when the
 * CA file cannot be loaded (detail says which). */
door_err door__idp_bcl_new(const char *ca_file, door_idp_bcl **out,
                           door_detail *d);
/* NULL is allowed.  No post may be in flight. */
void door__idp_bcl_free(door_idp_bcl *b);

/* POSTs `body` (application/x-www-form-urlencoded, `len` bytes) to `url`.
 * *status: the HTTP status that came back, 0 when none did (or for a 301 or
 * 302, which OpenSSL's client refuses on a POST without telling which).
 *
 * DOOR_OK when a response arrived, whatever its status, except:
 *   DOOR_EHTTP_REDIRECT       a 3xx other than 304;
 * and before any I/O:
 *   DOOR_EURL                 the URL does not parse;
 *   DOOR_EHTTP_URL_REFUSED    not https, userinfo or a fragment;
 * or in transport:
 *   DOOR_EHTTP_TLS            certificate, host name or handshake failure;
 *   DOOR_EHTTP_TIMEOUT        over DOOR_IDP_BCL_TIMEOUT_S;
 *   DOOR_EHTTP                anything else (refused, reset, DNS, ...);
 *   DOOR_ENOMEM. */
door_err door__idp_bcl_post(door_idp_bcl *b, const char *url, const char *body,
                            size_t len, long *status, door_detail *d);

#endif
