/* The PostgreSQL backend: anonymous statistics (event_stats: counts of
 * participation tokens by event, hour and tier; no identifier of anyone). */
#include "store/pg_int.h"

#include <stdlib.h>
#include <string.h>

static const char Q_STATS_ADD[] =
    "INSERT INTO event_stats (event_id, hour, tier, count)"
    " VALUES ($1, $2, $3, 1)"
    " ON CONFLICT (event_id, hour, tier)"
    " DO UPDATE SET count = event_stats.count + 1";
static const char Q_STATS_LIST[] =
    "SELECT hour, tier, count FROM event_stats WHERE event_id = $1"
    " ORDER BY hour, tier LIMIT $2";

door_err door__pg_stats_add(door_store *st, const char *event_id, int64_t hour,
                            const char *tier, door_detail *d) {
  /* synchronous_commit off: a count lost to a crash is not worth a flush. */
  return door__pg_run1(door__pg_of(st), 0, Q_STATS_ADD, NULL, d, "tit",
                       event_id, hour, tier);
}

typedef struct stats_ctx {
  const char *event_id;
  door_store_stat *items;
  size_t n;
} stats_ctx;

static door_err stats_list_fn(door__pg_conn *c, void *p, door_detail *d) {
  stats_ctx *x = p;
  PGresult *r = NULL;
  door_err err;
  int i, rows;
  door__store_stats_free(x->items, x->n);
  x->items = NULL;
  x->n = 0;
  err = door__pg_q(c, Q_STATS_LIST, &r, d, "ti", x->event_id,
                   (int64_t)DOOR_STORE_STATS_MAX + 1);
  rows = err ? 0 : PQntuples(r);
  if (rows > DOOR_STORE_STATS_MAX)
    err = door_detail_set(d, DOOR_ETOOBIG, "event_stats",
                          "the event has more statistics rows than one "
                          "answer holds",
                          NULL);
  if (!err && rows > 0 && !(x->items = calloc((size_t)rows, sizeof *x->items)))
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < rows; i++) {
    door_store_stat *s = &x->items[i];
    x->n++;
    s->hour = door__pg_col_i64(r, i, 0);
    s->count = (uint64_t)door__pg_col_i64(r, i, 2);
    err = door__pg_col_str(r, i, 1, &s->tier);
    if (!err && !s->tier)
      err = DOOR_ENOMEM;
  }
  PQclear(r);
  return err;
}

door_err door__pg_stats_list(door_store *st, const char *event_id,
                             door_store_stat **out, size_t *n, door_detail *d) {
  stats_ctx x = {event_id, NULL, 0};
  door_err err =
      door__pg_tx(door__pg_of(st), DOOR__PG_ONE_READ, 1, stats_list_fn, &x, d);
  if (err) {
    door__store_stats_free(x.items, x.n);
    return err;
  }
  *out = x.items;
  *n = x.n;
  return DOOR_OK;
}
