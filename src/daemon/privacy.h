/* door-broker's privacy publishing (docs/privacy.md): the /privacy page
 * and the disclosures text (both from door_*_disclosures_json), the
 * operators' statistics route and the statistics text. */
#ifndef DOOR_DAEMON_PRIVACY_H
#define DOOR_DAEMON_PRIVACY_H

#include "daemon/daemon.h"

/* GET /privacy: the disclosures table in q->lang (cacheable for 5 min). */
door_err door__route_privacy(door_daemon *dd, const door_dreq *q,
                             door_dresp *r);

/* 1 and the event id in `out` when `path` is /api/events/{id}/stats (id:
 * a-z A-Z 0-9 _ - ., 1..200 characters). */
int door__stats_path(const char *path, char *out, size_t cap);
/* GET /api/events/{id}/stats: 401 without the operators' bearer token
 * (WWW-Authenticate: Bearer), 404 for an unknown event or when no
 * stats_token is configured, 200 with door_broker_stats_json. */
door_err door__route_stats(door_daemon *dd, const door_dreq *q, door_dresp *r,
                           const char *event_id);

/* The disclosures JSON as text for people, in `lang` ("en" or "ja"):
 * one block per provider with the data sent, the purposes and a line on
 * the protocol values and client credentials.  DOOR_EJSON for a text that
 * is not the disclosures' shape. */
door_err door__disclosures_text(const char *json, const char *lang,
                                door_buf *out);
/* The statistics JSON as a table for people. */
door_err door__stats_text(const char *json, door_buf *out);

/* privacy_cli.c: `disclosures [--json] [--lang en|ja]` and
 * `stats EVENT [--json]`.  Exit 0, 1 on failure, 2 for usage. */
int door__cmd_disclosures(const char *prog, const char *config_path, int argc,
                          char **argv);
int door__cmd_stats(const char *prog, const char *config_path, int argc,
                    char **argv);

#endif
