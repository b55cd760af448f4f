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

/* ---- disclosures
 * ------------------------------------------------------------- What each
 * configured provider receives and why, from the effective manifests
 * (door_rp_manifest: the provider's defaults with the configuration's
 * overrides), in configuration order.  A provider that is not configured is not
 * listed.
 *
 *   {"providers":[{"provider":"daccount","type":"daccount",
 *     "display_name":"d-account","organisation":"NTT DOCOMO, INC.",
 *     "service":"d-account",
 *     "user_data":[{"endpoint":"token","name":"code",
 *                   "data":"user_identifier","purpose":"login"}, ...],
 *     "purposes":["login","logout"],
 *     "other_data":["protocol","client_credential"],
 *     "local_events":["live-2025"],
 *     "endpoints":[{"endpoint":"authorize","fields":[{"name":"client_id",
 *                   "data":"protocol","purpose":"login"}, ...]}, ...]}]}
 *
 * user_data: the fields whose data kind is user_identifier or event (what
 * the user is disclosed about); purposes: the purposes of those fields, in
 * door_tx_purpose order; other_data: the other data kinds sent (protocol
 * values, the broker's client credential: nothing about the user);
 * local_events: the events whose participant list admits this provider's
 * identities (the event takes the provider and has a participants_file):
 * the identifier the provider assigned is then also used within DOOR, for
 * participant authentication, with nothing sent to the provider for it;
 * endpoints: every endpoint of doorauth/privacy.h in its order, each with
 * every field the manifest lets it send (none: nothing may be sent). */

/* Of the configuration the broker runs now. */
door_err door_broker_disclosures_json(door_broker *b, char **out,
                                      door_detail *d);
/* Of a loaded configuration (door-broker disclosures): builds a door_rp
 * from it (no network I/O) and frees it. */
door_err door_config_disclosures_json(const door_config *cfg, char **out,
                                      door_detail *d);

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
 * DOOR_BROKER_STATS_MAX_HOURS: a longer event shows the last of its hours
 * up to now (or to its end) and "truncated":true, the hours not shown
 * counting as suppressed in the totals).  Columns are the
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
