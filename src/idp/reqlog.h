/* door-idp request log: every request a profile listener received (time,
 * profile, listener, endpoint, method, path, headers, query and form
 * fields), so tests can assert on what a client sent.
 *
 * This log is for tests: it keeps the values clients sent, secrets included
 * (client secrets in Authorization headers, codes, verifiers), only in memory
 * and only the last `max` requests (a ring).  It is never written to a file
 * or to the process log.  Thread-safe (one mutex).
 */
#ifndef DOOR_IDP_REQLOG_H
#define DOOR_IDP_REQLOG_H

#include "doorauth/error.h"
#include "util/url.h"

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct door_idp_logged {
  uint64_t seq;    /* 1, 2, ... over the process lifetime */
  int64_t time_ms; /* wall clock, Unix milliseconds */
  char *profile;
  char *listener;
  char *endpoint; /* "token", ..., or "unknown" */
  char *method;
  char *path;
  door_kvlist headers;
  door_kvlist query;
  door_kvlist form;
} door_idp_logged;

typedef struct door_idp_reqlog {
  pthread_mutex_t lock;
  door_idp_logged *ring;
  size_t max;   /* capacity; 0 disables the log */
  size_t start; /* oldest entry */
  size_t n;
  uint64_t next_seq;
} door_idp_reqlog;

door_err door__idp_reqlog_init(door_idp_reqlog *l, size_t max);
void door__idp_reqlog_free(door_idp_reqlog *l);
/* Copies the request in (the oldest entry goes when full). */
door_err door__idp_reqlog_add(door_idp_reqlog *l, const char *profile,
                              const char *listener, const char *endpoint,
                              const char *method, const char *path,
                              const door_kvlist *headers,
                              const door_kvlist *query,
                              const door_kvlist *form);
void door__idp_reqlog_clear(door_idp_reqlog *l);

/* Entries (oldest first) matching the filters (NULL: any): profile,
 * endpoint, path; seq > since; at most `limit` (0: all), the newest ones. */
typedef struct door_idp_reqlog_query {
  const char *profile;
  const char *endpoint;
  const char *path;
  uint64_t since;
  size_t limit;
} door_idp_reqlog_query;

json_t *door__idp_reqlog_json(door_idp_reqlog *l,
                              const door_idp_reqlog_query *q);

#endif
