/* door-idp admin API: users, tickets, clients, keys. */
#include "idp/admin.h"

#include <string.h>

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

static door_err method_not_allowed(door_idp_resp *r) {
  return door__idp_admin_error(r, 405, "method_not_allowed",
                               "method not allowed on this path", NULL);
}

static door_err not_found(door_idp_resp *r, const char *what) {
  return door__idp_admin_error(r, 404, "not_found", what, NULL);
}

/* The body's "id"-like member must be absent or equal to the path's. */
static door_err id_matches(door_idp_resp *r, json_t *body, const char *key,
                           const char *id, int *ok) {
  json_t *v = json_object_get(body, key);
  *ok = 1;
  if (!v)
    return json_object_set_new(body, key, json_string(id)) ? DOOR_ENOMEM
                                                           : DOOR_OK;
  if (json_is_string(v) && is(json_string_value(v), id))
    return DOOR_OK;
  *ok = 0;
  return door__idp_admin_error(r, 400, "invalid_request",
                               "the body's id differs from the path's", key);
}

/* ---- users and tickets --------------------------------------------------- */

static door_err put_user(door_idp_req *q, door_idp_resp *r, door_idp_profile *p,
                         const char *id, json_t *body) {
  door_idp_user *u = NULL;
  door_detail d;
  door_err err;
  int ok;
  (void)q;
  err = id_matches(r, body, "id", id, &ok);
  if (err || !ok)
    return err;
  err = door__idp_user_from_json(p, body, "body", &u, &d);
  if (err)
    return err == DOOR_ENOMEM ? err : door__idp_admin_detail(r, &d);
  err = door__idp_user_put(p, u);
  if (!err)
    err = door__idp_resp_json(r, 200, json_deep_copy(body));
  return err;
}

/* Tickets: GET the list, PUT a new list, POST one more. */
static door_err tickets(door_idp_req *q, door_idp_resp *r, door_idp_profile *p,
                        const char *id) {
  door_idp_user *u = door__idp_user_get(p, id);
  json_t *body = NULL, *j = NULL, *list;
  door_err err = DOOR_OK;
  if (!u)
    return not_found(r, "no such user");
  if (is(q->method, "GET")) {
    err = door__idp_resp_json(r, 200, json_deep_copy(u->tickets));
    goto out;
  }
  if (!is(q->method, "PUT") && !is(q->method, "POST")) {
    err = method_not_allowed(r);
    goto out;
  }
  body = door__idp_admin_body(q, r, 1, &err);
  if (!body)
    goto out;
  j = json_deep_copy(u->json);
  list = j ? json_deep_copy(u->tickets) : NULL;
  if (!list) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if (is(q->method, "PUT")) {
    json_decref(list);
    list = json_incref(body);
  } else {
    json_array_append(list, body);
  }
  json_object_set_new(j, "tickets", list);
  err = put_user(q, r, p, id, j);
  if (!err && r->status == 200) {
    door__idp_resp_reset(r);
    err = door__idp_resp_json(r, 200, json_deep_copy(list));
  }
out:
  json_decref(body);
  json_decref(j);
  door__idp_user_unref(u);
  return err;
}

door_err door__idp_admin_users(door_idp_req *q, door_idp_resp *r,
                               door_idp_profile *p,
                               const door_idp_admin_path *ap) {
  door_idp_user *u;
  json_t *body;
  door_err err = DOOR_OK;
  const char *id = ap->n > 3 ? ap->segs[3] : NULL;
  if (ap->n == 3) {
    if (!is(q->method, "GET"))
      return method_not_allowed(r);
    return door__idp_resp_json(r, 200, door__idp_users_json(p));
  }
  if (ap->n == 5 && is(ap->segs[4], "tickets"))
    return tickets(q, r, p, id);
  if (ap->n != 4)
    return not_found(r, "no such path");
  if (is(q->method, "GET")) {
    u = door__idp_user_get(p, id);
    if (!u)
      return not_found(r, "no such user");
    err = door__idp_resp_json(r, 200, json_deep_copy(u->json));
    door__idp_user_unref(u);
    return err;
  }
  if (is(q->method, "DELETE")) {
    if (door__idp_user_del(p, id))
      return not_found(r, "no such user");
    r->status = 204;
    return DOOR_OK;
  }
  if (!is(q->method, "PUT"))
    return method_not_allowed(r);
  body = door__idp_admin_body(q, r, 0, &err);
  if (!body)
    return err;
  err = put_user(q, r, p, id, body);
  json_decref(body);
  return err;
}

/* ---- clients --------------------------------------------------------------
 */

static door_err put_client(door_idp_resp *r, door_idp_profile *p,
                           const char *id, json_t *body) {
  door_idp_client *c = NULL;
  door_detail d;
  door_err err;
  int ok;
  err = id_matches(r, body, "client_id", id, &ok);
  if (err || !ok)
    return err;
  err = door__idp_client_from_json(p, body, "body", &c, &d);
  if (err)
    return err == DOOR_ENOMEM ? err : door__idp_admin_detail(r, &d);
  err = door__idp_client_put(p, c);
  if (!err)
    err = door__idp_resp_json(r, 200, json_deep_copy(body));
  return err;
}

door_err door__idp_admin_clients(door_idp_req *q, door_idp_resp *r,
                                 door_idp_profile *p,
                                 const door_idp_admin_path *ap) {
  door_idp_client *c;
  json_t *body, *merged;
  door_err err = DOOR_OK;
  const char *id = ap->n > 3 ? ap->segs[3] : NULL;
  if (ap->n == 3) {
    if (is(q->method, "GET"))
      return door__idp_resp_json(r, 200, door__idp_clients_json(p));
    if (!is(q->method, "POST"))
      return method_not_allowed(r);
    body = door__idp_admin_body(q, r, 0, &err);
    if (!body)
      return err;
    id = json_string_value(json_object_get(body, "client_id"));
    c = id ? door__idp_client_get(p, id) : NULL;
    if (c) {
      door__idp_client_unref(c);
      err = door__idp_admin_error(r, 409, "exists", "client_id is taken",
                                  "client_id");
    } else if (!id) {
      err = door__idp_admin_error(r, 400, "invalid_request",
                                  "client_id is required", "client_id");
    } else {
      err = put_client(r, p, id, body);
      if (!err && r->status == 200)
        r->status = 201;
    }
    json_decref(body);
    return err;
  }
  if (ap->n != 4)
    return not_found(r, "no such path");
  if (is(q->method, "DELETE")) {
    if (door__idp_client_del(p, id))
      return not_found(r, "no such client");
    r->status = 204;
    return DOOR_OK;
  }
  if (is(q->method, "PUT")) {
    body = door__idp_admin_body(q, r, 0, &err);
    if (!body)
      return err;
    err = put_client(r, p, id, body);
    json_decref(body);
    return err;
  }
  c = door__idp_client_get(p, id);
  if (!c)
    return not_found(r, "no such client");
  if (is(q->method, "GET")) {
    err = door__idp_resp_json(r, 200, json_deep_copy(c->json));
  } else if (is(q->method, "PATCH")) {
    /* Change: the members given replace the client's (null removes). */
    body = door__idp_admin_body(q, r, 0, &err);
    merged = body ? json_deep_copy(c->json) : NULL;
    if (body && merged) {
      const char *k;
      json_t *v;
      json_object_foreach(body, k, v) {
        if (json_is_null(v))
          json_object_del(merged, k);
        else
          json_object_set(merged, k, v);
      }
      err = put_client(r, p, id, merged);
    } else if (body) {
      err = DOOR_ENOMEM;
    }
    json_decref(merged);
    json_decref(body);
  } else {
    err = method_not_allowed(r);
  }
  door__idp_client_unref(c);
  return err;
}

/* ---- keys -----------------------------------------------------------------
 */

static door_err key_answer(door_idp_resp *r, door_idp_profile *p,
                           const char *id, int status) {
  json_t *keys = door__idp_keys_json(p), *k;
  size_t i;
  door_err err;
  json_array_foreach(keys, i, k) {
    if (is(json_string_value(json_object_get(k, "id")), id)) {
      err = door__idp_resp_json(r, status, json_incref(k));
      json_decref(keys);
      return err;
    }
  }
  json_decref(keys);
  return not_found(r, "no such key");
}

static const char *key_err_hint(door_err err) {
  switch (err) {
  case DOOR_EEXISTS:
    return "a key with that kid exists";
  case DOOR_ETOOBIG:
    return "too many keys: drop some";
  case DOOR_EALG_NOT_ALLOWED:
    return "alg must be RS256 or ES256";
  default:
    return door_strerror(err);
  }
}

door_err door__idp_admin_keys(door_idp_req *q, door_idp_resp *r,
                              door_idp_profile *p,
                              const door_idp_admin_path *ap) {
  json_t *body = NULL;
  const char *alg_s, *kid;
  door_alg alg;
  char id[48];
  door_err err = DOOR_OK, e;
  int published = 1, active = 0;
  if (ap->n == 3 && is(q->method, "GET"))
    return door__idp_resp_json(r, 200, door__idp_keys_json(p));
  if (ap->n == 4 && is(ap->segs[3], "rotate") && is(q->method, "POST")) {
    body = door__idp_admin_body(q, r, 0, &err);
    if (!body)
      return err;
    alg_s = json_string_value(json_object_get(body, "alg"));
    alg = alg_s ? door__alg_from_name(alg_s, strlen(alg_s)) : p->default_alg;
    if (alg == DOOR_ALG_HS256)
      alg = DOOR_ALG_RS256;
    e = door__idp_key_rotate(p, alg, id, sizeof id);
    err = e ? door__idp_admin_error(r, 400, "invalid_request", key_err_hint(e),
                                    "alg")
            : key_answer(r, p, id, 201);
    json_decref(body);
    return err;
  }
  if (ap->n == 3 && is(q->method, "POST")) {
    body = door__idp_admin_body(q, r, 0, &err);
    if (!body)
      return err;
    alg_s = json_string_value(json_object_get(body, "alg"));
    kid = json_string_value(json_object_get(body, "kid"));
    if (json_object_get(body, "published"))
      published = json_is_true(json_object_get(body, "published"));
    if (json_object_get(body, "active"))
      active = json_is_true(json_object_get(body, "active"));
    alg = alg_s ? door__alg_from_name(alg_s, strlen(alg_s)) : p->default_alg;
    if (kid && (p->jwks_flags & DOOR_JWK_OUT_OMIT_KID))
      err = door__idp_admin_error(r, 400, "invalid_request",
                                  "this profile publishes keys without kid",
                                  "kid");
    else if ((e = door__idp_key_add(p, alg, kid, published, active, NULL, id,
                                    sizeof id)) != DOOR_OK)
      err = door__idp_admin_error(r, e == DOOR_EEXISTS ? 409 : 400,
                                  "invalid_request", key_err_hint(e), "alg");
    else
      err = key_answer(r, p, id, 201);
    json_decref(body);
    return err;
  }
  if (ap->n != 4)
    return not_found(r, "no such path");
  if (is(q->method, "GET"))
    return key_answer(r, p, ap->segs[3], 200);
  if (is(q->method, "DELETE")) {
    if (door__idp_key_drop(p, ap->segs[3]))
      return not_found(r, "no such key");
    r->status = 204;
    return DOOR_OK;
  }
  if (!is(q->method, "PATCH"))
    return method_not_allowed(r);
  body = door__idp_admin_body(q, r, 0, &err);
  if (!body)
    return err;
  published = json_object_get(body, "published")
                  ? json_is_true(json_object_get(body, "published"))
                  : -1;
  active = json_is_true(json_object_get(body, "active"));
  if (door__idp_key_set(p, ap->segs[3], published, active))
    err = not_found(r, "no such key");
  else
    err = key_answer(r, p, ap->segs[3], 200);
  json_decref(body);
  return err;
}
