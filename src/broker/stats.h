/* The broker's anonymous event statistics (internal; the public side is
 * doorauth/broker_privacy.h). */
#ifndef DOOR_BROKER_STATS_H
#define DOOR_BROKER_STATS_H

#include "broker/broker_int.h"

/* Counts one participation token issued for `event_id` with `tier` in the
 * store, at the broker's clock's hour.  A failure is logged (warn) and not
 * returned: a count must never cost anyone their token. */
void door__broker_stats_count(door_broker *b, door__bgen *g,
                              const char *event_id, const char *tier);

#endif
