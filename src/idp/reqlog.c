/* door-idp request log: a capped ring of copied requests. */
#include "idp/reqlog.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dup_str(const char *s) {
  size_t n = strlen(s ? s : "") + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s ? s : "", n);
  return p;
}

door_err door__idp_reqlog_init(door_idp_reqlog *l, size_t max) {
  memset(l, 0, sizeof *l);
  if (pthread_mutex_init(&l->lock, NULL) != 0)
    return DOOR_EINTERNAL;
  l->max = max;
  l->next_seq = 1;
  if (max) {
    l->ring = calloc(max, sizeof *l->ring);
    if (!l->ring) {
      pthread_mutex_destroy(&l->lock);
      return DOOR_ENOMEM;
    }
  }
  return DOOR_OK;
}

static void logged_free(door_idp_logged *e) {
  free(e->profile);
  free(e->listener);
  free(e->endpoint);
  free(e->method);
  free(e->path);
  door__kvlist_free(&e->headers);
  door__kvlist_free(&e->query);
  door__kvlist_free(&e->form);
  memset(e, 0, sizeof *e);
}

static void clear_locked(door_idp_reqlog *l) {
  size_t i;
  for (i = 0; i < l->n; i++)
    logged_free(&l->ring[(l->start + i) % l->max]);
  l->start = 0;
  l->n = 0;
}

void door__idp_reqlog_free(door_idp_reqlog *l) {
  if (l->ring) {
    clear_locked(l);
    free(l->ring);
  }
  pthread_mutex_destroy(&l->lock);
  memset(l, 0, sizeof *l);
}

void door__idp_reqlog_clear(door_idp_reqlog *l) {
  pthread_mutex_lock(&l->lock);
  if (l->ring)
    clear_locked(l);
  pthread_mutex_unlock(&l->lock);
}

static door_err copy_list(door_kvlist *dst, const door_kvlist *src) {
  size_t i;
  door_err err;
  door__kvlist_init(dst);
  for (i = 0; src && i < src->n; i++) {
    err = door__kvlist_add(dst, src->items[i].name, src->items[i].value);
    if (err)
      return err;
  }
  return DOOR_OK;
}

door_err door__idp_reqlog_add(door_idp_reqlog *l, const char *profile,
                              const char *listener, const char *endpoint,
                              const char *method, const char *path,
                              const door_kvlist *headers,
                              const door_kvlist *query,
                              const door_kvlist *form) {
  door_idp_logged e;
  struct timespec ts;
  door_err err = DOOR_OK;
  size_t slot;
  if (!l->max)
    return DOOR_OK;
  memset(&e, 0, sizeof e);
  clock_gettime(CLOCK_REALTIME, &ts);
  e.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  e.profile = dup_str(profile);
  e.listener = dup_str(listener);
  e.endpoint = dup_str(endpoint);
  e.method = dup_str(method);
  e.path = dup_str(path);
  if (!e.profile || !e.listener || !e.endpoint || !e.method || !e.path) {
    err = DOOR_ENOMEM;
    goto fail;
  }
  err = copy_list(&e.headers, headers);
  if (!err)
    err = copy_list(&e.query, query);
  if (!err)
    err = copy_list(&e.form, form);
  if (err)
    goto fail;
  pthread_mutex_lock(&l->lock);
  e.seq = l->next_seq++;
  if (l->n == l->max) {
    logged_free(&l->ring[l->start]);
    l->start = (l->start + 1) % l->max;
    l->n--;
  }
  slot = (l->start + l->n) % l->max;
  l->ring[slot] = e;
  l->n++;
  pthread_mutex_unlock(&l->lock);
  return DOOR_OK;
fail:
  logged_free(&e);
  return err;
}

static json_t *list_json(const door_kvlist *kv) {
  json_t *arr = json_array();
  size_t i;
  for (i = 0; arr && i < kv->n; i++)
    json_array_append_new(
        arr, json_pack("[s,s]", kv->items[i].name, kv->items[i].value));
  return arr;
}

static int match(const char *want, const char *have) {
  return !want || strcmp(want, have) == 0;
}

json_t *door__idp_reqlog_json(door_idp_reqlog *l,
                              const door_idp_reqlog_query *q) {
  json_t *arr = json_array();
  size_t i, first = 0, count = 0;
  if (!arr)
    return NULL;
  pthread_mutex_lock(&l->lock);
  /* Two passes: count the matches, then emit the newest `limit`. */
  for (i = 0; i < l->n; i++) {
    const door_idp_logged *e = &l->ring[(l->start + i) % l->max];
    if (e->seq > q->since && match(q->profile, e->profile) &&
        match(q->endpoint, e->endpoint) && match(q->path, e->path))
      count++;
  }
  if (q->limit && count > q->limit)
    first = count - q->limit;
  count = 0;
  for (i = 0; i < l->n; i++) {
    const door_idp_logged *e = &l->ring[(l->start + i) % l->max];
    json_t *o;
    if (!(e->seq > q->since && match(q->profile, e->profile) &&
          match(q->endpoint, e->endpoint) && match(q->path, e->path)))
      continue;
    if (count++ < first)
      continue;
    o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "seq",
                  (json_int_t)e->seq, "time_ms", (json_int_t)e->time_ms,
                  "profile", e->profile, "listener", e->listener, "endpoint",
                  e->endpoint, "method", e->method, "path", e->path);
    if (!o)
      continue;
    json_object_set_new(o, "headers", list_json(&e->headers));
    json_object_set_new(o, "query", list_json(&e->query));
    json_object_set_new(o, "form", list_json(&e->form));
    json_array_append_new(arr, o);
  }
  pthread_mutex_unlock(&l->lock);
  return arr;
}
