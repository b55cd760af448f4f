/* doorauth — what the broker publishes about privacy: the disclosures (what
 * each configured provider receives and why, from the effective
 * transmission manifests of doorauth/privacy.h) and anonymous event
 * statistics for content providers (docs/privacy.md).
 *
 * Ownership: JSON texts returned through `out` are malloc'ed: free() them.
 * Threading: like doorauth/broker.h, every function may be called from any
 * number of threads at once on one door_broker.
 */
#ifndef DOORAUTH_BROKER_PRIVACY_H
#define DOORAUTH_BROKER_PRIVACY_H

#include "doorauth/broker.h"
#include "doorauth/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- statistics -------------------------------------------------------------
 * The broker counts every participation token it issues in the store's
 * event_stats table by (event, hour, tier), with nothing else: no account,
 * subject or token id.  door_broker_stats_json shows an event's counts
 * with every count below [broker] stats_k (default 10) suppressed:
 *
 *   {"event":"ID","title":"...","k":10,"unit":"participation tokens issued",
 *    "tiers":["general","vip","other"],
 *    "hours":[{"hour":"2025-03-01T09:00:00Z","counts":{"general":12,
 *              "vip":"<10","other":"<10"},"total":">=12"}, ...],
 *    "tier_totals":{"general":">=40","vip":"<10","other":"<10"},
 *    "total":">=40","truncated":false}
 *
 * A cell is its number when it is k or more, else the string "<k" (also
 * for 0).  A total (an hour's, a tier's, the event's) is its number only
 * when none of the cells it adds up is suppressed; otherwise it is "<k"
 * when the total itself is below k, else ">=N" with N the sum of its shown
 * cells — so no total, alone or with others, gives back a suppressed cell.
 * Rows are every hour of the event's window (at most
 * DOOR_BROKER_STATS_MAX_HOURS: a longer event shows its first hours and
 * "truncated":true, the rest counting as suppressed).  Columns are the
 * event's configured DOOR tiers, or, for an event that takes any tier,
 * the tiers whose event total is at least k; every other tier is added
 * into "other", which is always there.
 *
 * DOOR_ENOTFOUND: no such event in the configuration. */
#define DOOR_BROKER_STATS_MAX_HOURS 744 /* 31 days */

door_err door_broker_stats_json(door_broker *b, const char *event_id,
                                char **out, door_detail *d);

/* DOOR_OK when `authorization` (an HTTP Authorization header) is
 * "Bearer TOKEN" with TOKEN the configuration's [broker] stats_token,
 * compared in constant time; DOOR_ENOTFOUND when no stats_token is
 * configured (the statistics route is off); DOOR_EINVAL otherwise (a
 * missing or wrong token: answer 401). */
door_err door_broker_stats_auth(door_broker *b, const char *authorization);

#ifdef __cplusplus
}
#endif
#endif
