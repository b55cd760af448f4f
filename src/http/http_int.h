/* Pieces shared by http.c and http_hdr.c (internal to src/http). */
#ifndef DOOR_HTTP_HTTP_INT_H
#define DOOR_HTTP_HTTP_INT_H

#include "http/http.h"

#include <curl/curl.h>

/* Cap on one request header line built by the client (tokens, extras). */
#define DOOR__HTTP_REQ_HEADER_MAX ((size_t)64 << 10)

/* Response header lines seen during one transfer. */
typedef struct door__http_hdrs {
  size_t total; /* bytes of header lines so far */
  size_t max;   /* cap on total */
  int have_ct, have_loc, have_ra;
  door_buf content_type;
  door_buf location;
  door_buf www_authenticate; /* several fields joined with ", " */
  door_buf cache_control;    /* several fields joined with ", " */
  door_buf retry_after;
} door__http_hdrs;

void door__http_hdrs_init(door__http_hdrs *hh, size_t max);
void door__http_hdrs_free(door__http_hdrs *hh);
/* Takes one header line as libcurl hands it (with its CRLF).  A status line
 * ("HTTP/...") starts a new response and forgets the previous (1xx) one.
 * DOOR_EHTTP_HEADERS_TOOBIG past the cap, DOOR_ENOMEM. */
door_err door__http_hdrs_line(door__http_hdrs *hh, const char *line,
                              size_t len);
/* Moves the captured values into `resp` (content_type, location,
 * www_authenticate, cache_*, retry_after). */
door_err door__http_hdrs_finish(door__http_hdrs *hh, door_http_response *resp,
                                long long now);

/* Checks the request's fields and builds its header list (Accept,
 * Content-Type, Authorization, extra headers, and "Expect:" to turn off
 * 100-continue).  DOOR_EINVAL with a detail naming the field. */
door_err door__http_request_headers(const door_http_request *req,
                                    struct curl_slist **out, door_detail *d);
/* Wipes every string of the list (they may hold credentials), frees it. */
void door__http_slist_free(struct curl_slist *l);

/* ASCII case-insensitive comparison of s[0..n) with the NUL-terminated lit. */
int door__http_ieq(const char *s, size_t n, const char *lit);

#endif
