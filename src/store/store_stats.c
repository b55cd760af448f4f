/* The store: anonymous statistics, argument checks and the result's
 * destructor (see store.h, "anonymous statistics"). */
#include "store/store_int.h"

#include <stdlib.h>

#define DOOR__STATS_HOUR 3600

door_err door__store_stats_add(door_store *st, const char *event_id, int64_t at,
                               const char *tier, door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if ((err = door__store_need(event_id, DOOR_STORE_KEY_MAX, "event_id", d)) ||
      (err = door__store_need(tier, DOOR_STORE_TIER_MAX, "tier", d)))
    return err;
  if (at < 0)
    return door_detail_set(d, DOOR_EINVAL, "at", "time before 1970", NULL);
  return st->ops->stats_add(st, event_id, at - at % DOOR__STATS_HOUR, tier, d);
}

door_err door__store_stats_list(door_store *st, const char *event_id,
                                door_store_stat **out, size_t *n,
                                door_detail *d) {
  door_err err;
  DOOR__STORE_CHECK(st, d);
  if (!out || !n)
    return door_detail_set(d, DOOR_EINVAL, "stats_list", "no output", NULL);
  *out = NULL;
  *n = 0;
  if ((err = door__store_need(event_id, DOOR_STORE_KEY_MAX, "event_id", d)))
    return err;
  return st->ops->stats_list(st, event_id, out, n, d);
}

void door__store_stats_free(door_store_stat *s, size_t n) {
  size_t i;
  for (i = 0; s && i < n; i++)
    free(s[i].tier);
  free(s);
}
