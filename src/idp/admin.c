/* door-idp admin API: routing, profiles, faults, request log, clock,
 * subjects and back-channel logout. */
#include "idp/admin.h"

#include "idp/logout.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

door_err door__idp_admin_error(door_idp_resp *r, int status, const char *code,
                               const char *what, const char *where) {
  json_t *j = json_pack("{s:s, s:s}", "error", code, "error_description",
                        what ? what : "");
  if (j && where)
    json_object_set_new(j, "where", json_string(where));
  door__idp_resp_reset(r);
  return door__idp_resp_json(r, status, j);
}

door_err door__idp_admin_detail(door_idp_resp *r, const door_detail *d) {
  json_t *j = json_pack("{s:s, s:s, s:s}", "error", door_err_name(d->code),
                        "error_description", d->what, "where", d->where);
  if (j && d->hint[0])
    json_object_set_new(j, "hint", json_string(d->hint));
  door__idp_resp_reset(r);
  return door__idp_resp_json(r, 400, j);
}

json_t *door__idp_admin_body(door_idp_req *q, door_idp_resp *r, int any,
                             door_err *err) {
  json_t *j = NULL;
  door_detail d;
  door_detail_clear(&d);
  *err = DOOR_OK;
  if (!q->body_len) {
    if (any) {
      *err = door__idp_admin_error(r, 400, "invalid_request",
                                   "a JSON body is required", NULL);
      return NULL;
    }
    j = json_object();
    if (!j)
      *err = DOOR_ENOMEM;
    return j;
  }
  if (door__json_parse(q->body, q->body_len, 32, &j, &d)) {
    *err = door__idp_admin_error(r, 400, "invalid_json", d.what, d.where);
    return NULL;
  }
  if (!any && !json_is_object(j)) {
    json_decref(j);
    *err = door__idp_admin_error(r, 400, "invalid_request",
                                 "the body must be a JSON object", NULL);
    return NULL;
  }
  return j;
}

json_t *door__idp_profile_json(const door_idp_profile *p) {
  json_t *o = json_pack("{s:s, s:s}", "kind", door__idp_kind_name(p->kind),
                        "issuer", p->issuer ? p->issuer : "");
  json_t *ls;
  unsigned ep;
  size_t i;
  static const char *const keys[DOOR_IDP_EP_COUNT_] = {NULL,
                                                       "discovery",
                                                       "authorization_endpoint",
                                                       "token_endpoint",
                                                       "userinfo_endpoint",
                                                       "jwks_uri",
                                                       "tickets_endpoint",
                                                       "end_session_endpoint"};
  if (!o)
    return NULL;
  for (ep = 1; ep < DOOR_IDP_EP_COUNT_; ep++) {
    if (p->urls[ep])
      json_object_set_new(o, keys[ep], json_string(p->urls[ep]));
  }
  ls = json_object();
  for (i = 0; ls && i < p->nlisteners; i++) {
    if (p->listeners[i].origin)
      json_object_set_new(ls, p->listeners[i].name,
                          json_string(p->listeners[i].origin));
  }
  json_object_set_new(o, "listeners", ls);
  return o;
}

static door_err profiles(door_idp_req *q, door_idp_resp *r) {
  json_t *o = json_object();
  size_t i;
  (void)q;
  for (i = 0; o && i < q->idp->nprofiles; i++)
    json_object_set_new(o, q->idp->profiles[i]->name,
                        door__idp_profile_json(q->idp->profiles[i]));
  return door__idp_resp_json(r, 200, o);
}

/* ---- faults ---------------------------------------------------------------
 */

static const char *const arm_keys[] = {
    "fault", "profile", "endpoint", "client_id", "count", "param", NULL};

static door_err faults(door_idp_req *q, door_idp_resp *r,
                       const door_idp_admin_path *ap) {
  door_idp_faults *f = &q->idp->faults;
  door_idp_fault_arm a;
  door_detail d;
  json_t *body, *v, *count, *param;
  const char *key;
  uint64_t id = 0;
  door_err err = DOOR_OK;
  char *end;
  if (ap->n == 2 && is(ap->segs[1], "catalog") && is(q->method, "GET"))
    return door__idp_resp_json(r, 200, door__idp_fault_catalog());
  if (ap->n == 2 && is(q->method, "DELETE")) {
    id = strtoull(ap->segs[1], &end, 10);
    if (*end || door__idp_faults_disarm(f, id))
      return door__idp_admin_error(r, 404, "not_found", "no armed fault", NULL);
    r->status = 204;
    return DOOR_OK;
  }
  if (ap->n != 1)
    return door__idp_admin_error(r, 404, "not_found", "no such path", NULL);
  if (is(q->method, "GET"))
    return door__idp_resp_json(r, 200, door__idp_faults_json(f));
  if (is(q->method, "DELETE")) {
    door__idp_faults_clear(f);
    r->status = 204;
    return DOOR_OK;
  }
  if (!is(q->method, "POST"))
    return door__idp_admin_error(r, 405, "method_not_allowed",
                                 "GET, POST or DELETE", NULL);
  body = door__idp_admin_body(q, r, 0, &err);
  if (!body)
    return err;
  json_object_foreach(body, key, v) {
    size_t i;
    int ok = 0;
    for (i = 0; arm_keys[i]; i++)
      ok |= is(arm_keys[i], key);
    if (!ok) {
      err = door__idp_admin_error(r, 400, "invalid_request", "unknown member",
                                  key);
      goto out;
    }
  }
  memset(&a, 0, sizeof a);
  a.name = json_string_value(json_object_get(body, "fault"));
  a.profile = json_string_value(json_object_get(body, "profile"));
  a.endpoint = json_string_value(json_object_get(body, "endpoint"));
  a.client_id = json_string_value(json_object_get(body, "client_id"));
  count = json_object_get(body, "count");
  param = json_object_get(body, "param");
  a.count =
      count ? (json_is_integer(count) ? json_integer_value(count) : -1) : 1;
  if (json_is_integer(param)) {
    a.has_num = 1;
    a.num = json_integer_value(param);
  } else if (json_is_string(param)) {
    a.str = json_string_value(param);
  } else if (param && !json_is_null(param)) {
    err =
        door__idp_admin_error(r, 400, "invalid_request",
                              "param must be an integer or a string", "param");
    goto out;
  }
  if (a.profile && !door__idp_profile(q->idp, a.profile)) {
    err = door__idp_admin_error(r, 400, "invalid_request", "no such profile",
                                "profile");
    goto out;
  }
  door_detail_clear(&d);
  err = door__idp_faults_arm(f, &a, &id, &d);
  if (err == DOOR_EIDP_FAULT_UNKNOWN || err == DOOR_EIDP_FAULT_ARGS) {
    err = door__idp_admin_detail(r, &d);
    goto out;
  }
  if (err)
    goto out;
  err = door__idp_resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
out:
  json_decref(body);
  return err;
}

/* ---- request log ----------------------------------------------------------
 */

static door_err requests(door_idp_req *q, door_idp_resp *r) {
  door_idp_reqlog_query lq;
  const char *s;
  if (is(q->method, "DELETE")) {
    door__idp_reqlog_clear(&q->idp->reqlog);
    r->status = 204;
    return DOOR_OK;
  }
  if (!is(q->method, "GET"))
    return door__idp_admin_error(r, 405, "method_not_allowed", "GET or DELETE",
                                 NULL);
  memset(&lq, 0, sizeof lq);
  lq.profile = door__kvlist_get(&q->query, "profile", NULL);
  lq.endpoint = door__kvlist_get(&q->query, "endpoint", NULL);
  lq.path = door__kvlist_get(&q->query, "path", NULL);
  if ((s = door__kvlist_get(&q->query, "since", NULL)) != NULL)
    lq.since = strtoull(s, NULL, 10);
  if ((s = door__kvlist_get(&q->query, "limit", NULL)) != NULL)
    lq.limit = strtoull(s, NULL, 10);
  r->body.max = DOOR_IDP_REQLOG_BODY_MAX; /* a whole suite's log */
  return door__idp_resp_json(r, 200,
                             door__idp_reqlog_json(&q->idp->reqlog, &lq));
}

/* ---- clock, subject, logout ------------------------------------------------
 */

static door_err clock_(door_idp_req *q, door_idp_resp *r, door_idp_profile *p) {
  json_t *body, *fixed, *offset;
  door_err err = DOOR_OK;
  if (is(q->method, "PUT")) {
    body = door__idp_admin_body(q, r, 0, &err);
    if (!body)
      return err;
    fixed = json_object_get(body, "fixed");
    offset = json_object_get(body, "offset");
    if ((fixed && !json_is_integer(fixed)) ||
        (offset && !json_is_integer(offset)) || (fixed && offset)) {
      json_decref(body);
      return door__idp_admin_error(
          r, 400, "invalid_request",
          "give {\"fixed\": unix_time}, {\"offset\": seconds} or {}", NULL);
    }
    if (fixed)
      door__idp_clock_set_fixed(p, json_integer_value(fixed));
    else
      door__idp_clock_set_offset(p, offset ? json_integer_value(offset) : 0);
    json_decref(body);
  } else if (!is(q->method, "GET")) {
    return door__idp_admin_error(r, 405, "method_not_allowed", "GET or PUT",
                                 NULL);
  }
  body = json_pack("{s:I, s:I}", "now", (json_int_t)door__idp_now(p), "offset",
                   (json_int_t)atomic_load(&p->clock_offset));
  if (body)
    json_object_set_new(body, "fixed",
                        atomic_load(&p->clock_is_fixed)
                            ? json_integer(atomic_load(&p->clock_fixed))
                            : json_null());
  return door__idp_resp_json(r, 200, body);
}

static door_err subject(door_idp_req *q, door_idp_resp *r,
                        door_idp_profile *p) {
  door_idp_client *c =
      door__idp_client_get(p, door__kvlist_get(&q->query, "client_id", NULL));
  door_idp_user *u =
      door__idp_user_get(p, door__kvlist_get(&q->query, "user", NULL));
  door_buf sub;
  door_err err;
  door__buf_init(&sub, 1024);
  if (!c || !u)
    err = door__idp_admin_error(r, 404, "not_found",
                                "give ?client_id=...&user=... of existing "
                                "ones",
                                NULL);
  else if ((err = door__idp_subject(p, c, u, &sub)) == DOOR_OK)
    err = door__idp_resp_json(r, 200, json_pack("{s:s}", "sub", sub.data));
  door__idp_client_unref(c);
  door__idp_user_unref(u);
  door__buf_free(&sub);
  return err;
}

static door_err logout(door_idp_req *q, door_idp_resp *r, door_idp_profile *p) {
  json_t *body, *report = json_array();
  const char *user, *sid, *cid;
  door_idp_client *c;
  door_err err = DOOR_OK;
  size_t i, n = 0;
  if (!report)
    return DOOR_ENOMEM;
  body = door__idp_admin_body(q, r, 0, &err);
  if (!body) {
    json_decref(report);
    return err;
  }
  user = json_string_value(json_object_get(body, "user"));
  sid = json_string_value(json_object_get(body, "sid"));
  cid = json_string_value(json_object_get(body, "client_id"));
  if (!user && !sid) {
    err = door__idp_admin_error(r, 400, "invalid_request",
                                "give user, sid or both", NULL);
    goto out;
  }
  /* One client, or every client with a backchannel_logout_uri. */
  pthread_mutex_lock(&p->lock);
  n = p->nclients;
  pthread_mutex_unlock(&p->lock);
  for (i = 0; !err && i < n; i++) {
    c = NULL;
    pthread_mutex_lock(&p->lock);
    if (i < p->nclients)
      c = door__idp_client_ref(p->clients[i]);
    pthread_mutex_unlock(&p->lock);
    if (c && (!cid || is(cid, c->client_id)))
      err = door__idp_backchannel_send(p, c, user, sid, report);
    door__idp_client_unref(c);
  }
  if (!err)
    err = door__idp_resp_json(r, 200, json_pack("{s:O}", "sent", report));
out:
  json_decref(body);
  json_decref(report);
  return err;
}

/* ---- routing ----------------------------------------------------------------
 */

static void path_free(door_idp_admin_path *ap) {
  size_t i;
  for (i = 0; i < ap->n; i++)
    free(ap->segs[i]);
  ap->n = 0;
}

static door_err path_split(const char *path, door_idp_admin_path *ap) {
  const char *s = path;
  memset(ap, 0, sizeof *ap);
  while (*s) {
    const char *end;
    size_t n;
    door_buf b;
    while (*s == '/')
      s++;
    if (!*s)
      break;
    end = strchr(s, '/');
    n = end ? (size_t)(end - s) : strlen(s);
    if (ap->n == DOOR_IDP_ADMIN_SEGS)
      return DOOR_ETOOBIG;
    door__buf_init(&b, 1024);
    if (door__url_decode(&b, s, n, 0)) {
      door__buf_free(&b);
      return DOOR_EENCODING;
    }
    ap->segs[ap->n] = door__buf_detach(&b);
    if (!ap->segs[ap->n])
      return DOOR_ENOMEM;
    ap->n++;
    s += n;
  }
  return DOOR_OK;
}

static door_err route_profile(door_idp_req *q, door_idp_resp *r,
                              const door_idp_admin_path *ap) {
  door_idp_profile *p = door__idp_profile(q->idp, ap->segs[1]);
  const char *what = ap->n > 2 ? ap->segs[2] : NULL;
  if (!p)
    return door__idp_admin_error(r, 404, "not_found", "no such profile",
                                 ap->segs[1]);
  if (!what)
    return is(q->method, "GET")
               ? door__idp_resp_json(r, 200, door__idp_profile_json(p))
               : door__idp_admin_error(r, 405, "method_not_allowed", "GET",
                                       NULL);
  if (is(what, "users"))
    return door__idp_admin_users(q, r, p, ap);
  if (is(what, "clients"))
    return door__idp_admin_clients(q, r, p, ap);
  if (is(what, "keys"))
    return door__idp_admin_keys(q, r, p, ap);
  if (ap->n == 3 && is(what, "clock"))
    return clock_(q, r, p);
  if (ap->n == 3 && is(what, "subject") && is(q->method, "GET"))
    return subject(q, r, p);
  if (ap->n == 3 && is(what, "backchannel-logout") && is(q->method, "POST"))
    return logout(q, r, p);
  return door__idp_admin_error(r, 404, "not_found", "no such path", NULL);
}

door_err door__idp_admin(door_idp_req *q, door_idp_resp *r) {
  door_idp_admin_path ap;
  door_err err;
  if (q->query_bad)
    return door__idp_admin_error(r, 400, "invalid_request",
                                 "the query does not decode", NULL);
  err = path_split(q->path, &ap);
  if (err) {
    path_free(&ap);
    return err == DOOR_ENOMEM ? err
                              : door__idp_admin_error(r, 400, "invalid_request",
                                                      "bad path", NULL);
  }
  if (ap.n == 0 || (ap.n == 1 && is(ap.segs[0], "health")))
    err = door__idp_resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
  else if (is(ap.segs[0], "profiles") && ap.n == 1 && is(q->method, "GET"))
    err = profiles(q, r);
  else if (is(ap.segs[0], "profiles") && ap.n >= 2)
    err = route_profile(q, r, &ap);
  else if (is(ap.segs[0], "faults"))
    err = faults(q, r, &ap);
  else if (is(ap.segs[0], "requests") && ap.n == 1)
    err = requests(q, r);
  else
    err = door__idp_admin_error(r, 404, "not_found", "no such path", NULL);
  path_free(&ap);
  return err;
}
