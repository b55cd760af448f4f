/* door-idp faults armed at run time (see faults.h). */
#include "idp/faults.h"

#include <stdlib.h>
#include <string.h>

/* ---- the armed set ------------------------------------------------------- */

static char *dup_str(const char *s) {
  size_t n;
  char *p;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

door_err door__idp_faults_init(door_idp_faults *f) {
  memset(f, 0, sizeof *f);
  if (pthread_mutex_init(&f->lock, NULL) != 0)
    return DOOR_EINTERNAL;
  f->next_id = 1;
  atomic_init(&f->narmed, 0);
  return DOOR_OK;
}

static void armed_free(door_idp_armed *a) {
  free(a->profile);
  free(a->client_id);
  free(a->str);
}

void door__idp_faults_free(door_idp_faults *f) {
  size_t i;
  for (i = 0; i < f->n; i++)
    armed_free(&f->items[i]);
  free(f->items);
  pthread_mutex_destroy(&f->lock);
  memset(f, 0, sizeof *f);
}

static void remove_locked(door_idp_faults *f, size_t i) {
  armed_free(&f->items[i]);
  memmove(&f->items[i], &f->items[i + 1], (f->n - i - 1) * sizeof f->items[0]);
  f->n--;
  atomic_store(&f->narmed, f->n);
}

door_err door__idp_faults_arm(door_idp_faults *f, const door_idp_fault_arm *a,
                              uint64_t *id, door_detail *d) {
  int idx = door__idp_fault_find(a->name);
  const door_idp_fault_def *def;
  door_idp_armed item;
  door_idp_ep ep;
  door_err err = DOOR_OK;
  if (idx < 0)
    return door_detail_set(d, DOOR_EIDP_FAULT_UNKNOWN, "fault",
                           "no fault of that name",
                           "GET /faults/catalog lists them");
  def = door__idp_fault_def((size_t)idx);
  ep = def->ep;
  if (a->endpoint) {
    door_idp_ep want = door__idp_ep_from_name(a->endpoint);
    if (want == DOOR_IDP_EP_NONE)
      return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "endpoint",
                             "unknown endpoint name",
                             "discovery, authorization, token, userinfo, "
                             "jwks, tickets or end_session");
    if (ep != DOOR_IDP_EP_NONE && want != ep)
      return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "endpoint",
                             "this fault acts on another endpoint",
                             "leave endpoint out for this fault");
    ep = want;
  }
  if (ep == DOOR_IDP_EP_NONE)
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "endpoint",
                           "this fault needs an endpoint",
                           "give \"endpoint\": \"token\" (or another)");
  if (a->count < 0)
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "count",
                           "count must be 0 (until disarmed) or more", NULL);
  if (def->param == DOOR_IDP_PARAM_NONE && (a->has_num || a->str))
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "param",
                           "this fault takes no parameter", NULL);
  if (def->param == DOOR_IDP_PARAM_INT && a->str)
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "param",
                           "this fault's parameter is an integer", NULL);
  if (def->param == DOOR_IDP_PARAM_STR && a->has_num)
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "param",
                           "this fault's parameter is a string", NULL);
  if (a->str && strlen(a->str) >= sizeof((door_idp_fault_hit *)0)->str)
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "param",
                           "string parameter too long (255 bytes at most)",
                           NULL);
  if (def->param == DOOR_IDP_PARAM_INT && a->has_num &&
      (a->num < 0 || a->num > 86400L * 365 * 10))
    return door_detail_set(d, DOOR_EIDP_FAULT_ARGS, "param",
                           "integer parameter out of range", NULL);

  memset(&item, 0, sizeof item);
  item.fault = (unsigned)idx;
  item.ep = ep;
  item.remaining = a->count;
  if (def->param == DOOR_IDP_PARAM_INT)
    item.num = a->has_num ? a->num : strtoll(def->param_default, NULL, 10);
  if ((a->profile && !(item.profile = dup_str(a->profile))) ||
      (a->client_id && !(item.client_id = dup_str(a->client_id))) ||
      !(item.str = dup_str(a->str               ? a->str
                           : def->param_default ? def->param_default
                                                : ""))) {
    armed_free(&item);
    return DOOR_ENOMEM;
  }
  pthread_mutex_lock(&f->lock);
  if (f->n == f->cap) {
    size_t ncap = f->cap ? f->cap * 2 : 16;
    door_idp_armed *p =
        f->cap >= 4096 ? NULL : realloc(f->items, ncap * sizeof *p);
    if (!p) {
      err = f->cap >= 4096 ? DOOR_ETOOBIG : DOOR_ENOMEM;
      goto out;
    }
    f->items = p;
    f->cap = ncap;
  }
  item.id = f->next_id++;
  f->items[f->n++] = item;
  atomic_store(&f->narmed, f->n);
  if (id)
    *id = item.id;
out:
  pthread_mutex_unlock(&f->lock);
  if (err)
    armed_free(&item);
  return err;
}

door_err door__idp_faults_disarm(door_idp_faults *f, uint64_t id) {
  size_t i;
  door_err err = DOOR_ENOTFOUND;
  pthread_mutex_lock(&f->lock);
  for (i = 0; i < f->n; i++) {
    if (f->items[i].id == id) {
      remove_locked(f, i);
      err = DOOR_OK;
      break;
    }
  }
  pthread_mutex_unlock(&f->lock);
  return err;
}

void door__idp_faults_clear(door_idp_faults *f) {
  pthread_mutex_lock(&f->lock);
  while (f->n)
    remove_locked(f, f->n - 1);
  pthread_mutex_unlock(&f->lock);
}

json_t *door__idp_faults_json(door_idp_faults *f) {
  json_t *arr = json_array();
  size_t i;
  pthread_mutex_lock(&f->lock);
  for (i = 0; arr && i < f->n; i++) {
    const door_idp_armed *a = &f->items[i];
    const door_idp_fault_def *def = door__idp_fault_def(a->fault);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:I}", "id", (json_int_t)a->id, "fault", def->name,
        "endpoint", door__idp_ep_name(a->ep), "hits", (json_int_t)a->hits);
    if (!o)
      continue;
    json_object_set_new(o, "profile",
                        a->profile ? json_string(a->profile) : json_null());
    json_object_set_new(o, "client_id",
                        a->client_id ? json_string(a->client_id) : json_null());
    json_object_set_new(o, "remaining",
                        a->remaining ? json_integer(a->remaining)
                                     : json_null());
    if (def->param == DOOR_IDP_PARAM_INT)
      json_object_set_new(o, "param", json_integer(a->num));
    else if (def->param == DOOR_IDP_PARAM_STR)
      json_object_set_new(o, "param", json_string(a->str));
    json_array_append_new(arr, o);
  }
  pthread_mutex_unlock(&f->lock);
  return arr;
}

static int armed_matches(const door_idp_armed *a, const char *profile,
                         door_idp_ep ep, const char *client_id) {
  if (a->ep != ep)
    return 0;
  if (a->profile && (!profile || strcmp(a->profile, profile) != 0))
    return 0;
  if (a->client_id && (!client_id || strcmp(a->client_id, client_id) != 0))
    return 0;
  return 1;
}

void door__idp_faults_take(door_idp_faults *f, const char *profile,
                           door_idp_ep ep, const char *client_id,
                           door_idp_fault_set *out) {
  size_t i;
  out->n = 0;
  if (atomic_load(&f->narmed) == 0)
    return; /* the common case: no lock at all */
  pthread_mutex_lock(&f->lock);
  for (i = 0; i < f->n && out->n < DOOR_IDP_FAULT_HITS;) {
    door_idp_armed *a = &f->items[i];
    door_idp_fault_hit *h;
    size_t n;
    if (!armed_matches(a, profile, ep, client_id)) {
      i++;
      continue;
    }
    h = &out->hits[out->n++];
    h->fault = a->fault;
    h->num = a->num;
    n = strlen(a->str);
    if (n >= sizeof h->str)
      n = sizeof h->str - 1;
    memcpy(h->str, a->str, n);
    h->str[n] = '\0';
    a->hits++;
    if (a->remaining > 0 && --a->remaining == 0)
      remove_locked(f, i);
    else
      i++;
  }
  pthread_mutex_unlock(&f->lock);
}

void door__idp_faults_apply(const door_idp_fault_set *fs, door_idp_stage stage,
                            door_idp_fault_ctx *ctx) {
  size_t i;
  for (i = 0; i < fs->n; i++) {
    const door_idp_fault_def *def = door__idp_fault_def(fs->hits[i].fault);
    if (def->stage == stage)
      def->apply(ctx, &fs->hits[i]);
  }
}

int door__idp_faults_any(const door_idp_fault_set *fs, door_idp_stage stage) {
  size_t i;
  for (i = 0; i < fs->n; i++) {
    if (door__idp_fault_def(fs->hits[i].fault)->stage == stage)
      return 1;
  }
  return 0;
}
