/* The SQLite backend: anonymous statistics (event_stats: counts of
 * participation tokens by event, hour and tier; no identifier of anyone). */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

static const char Q_STATS_ADD[] =
    "INSERT INTO event_stats (event_id, hour, tier, count)"
    " VALUES (?1, ?2, ?3, 1)"
    " ON CONFLICT (event_id, hour, tier) DO UPDATE SET count = count + 1";
static const char Q_STATS_LIST[] =
    "SELECT hour, tier, count FROM event_stats WHERE event_id = ?1"
    " ORDER BY hour, tier LIMIT ?2";

door_err door__sq_stats_add(door_store *st, const char *event_id, int64_t hour,
                            const char *tier, door_detail *d) {
  /* NORMAL sync: a count lost to a power failure is not worth an fsync. */
  return door__sq_run1(door__sq_of(st), 0, Q_STATS_ADD, NULL, d, "tit",
                       event_id, hour, tier);
}

typedef struct stats_ctx {
  const char *event_id;
  door_store_stat *items;
  size_t n;
} stats_ctx;

static door_err stats_list_fn(door__sq_conn *c, void *p, door_detail *d) {
  stats_ctx *x = p;
  sqlite3_stmt *st;
  door_err err;
  int row = 1;
  door__store_stats_free(x->items, x->n);
  x->items = NULL;
  x->n = 0;
  err = door__sq_q(c, Q_STATS_LIST, &st, d, "ti", x->event_id,
                   (int64_t)DOOR_STORE_STATS_MAX + 1);
  while (!err) {
    door_store_stat *s;
    err = door__sq_step(c, st, &row, d);
    if (err || !row)
      break;
    if (x->n == DOOR_STORE_STATS_MAX) {
      err = door_detail_set(d, DOOR_ETOOBIG, "event_stats",
                            "the event has more statistics rows than one "
                            "answer holds",
                            NULL);
      break;
    }
    if (x->n % 64 == 0) {
      door_store_stat *g = realloc(x->items, (x->n + 64) * sizeof *g);
      if (!g) {
        err = DOOR_ENOMEM;
        break;
      }
      x->items = g;
    }
    s = &x->items[x->n];
    memset(s, 0, sizeof *s);
    x->n++;
    s->hour = (int64_t)sqlite3_column_int64(st, 0);
    s->count = (uint64_t)sqlite3_column_int64(st, 2);
    err = door__sq_col_str(st, 1, &s->tier);
    if (!err && !s->tier)
      err = DOOR_ENOMEM;
  }
  door__sq_end(st);
  return err;
}

door_err door__sq_stats_list(door_store *st, const char *event_id,
                             door_store_stat **out, size_t *n, door_detail *d) {
  stats_ctx x = {event_id, NULL, 0};
  door_err err =
      door__sq_tx(door__sq_of(st), DOOR__SQ_READ, stats_list_fn, &x, d);
  if (err) {
    door__store_stats_free(x.items, x.n);
    return err;
  }
  *out = x.items;
  *n = x.n;
  return DOOR_OK;
}
