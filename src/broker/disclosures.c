/* The disclosures (doorauth/broker_privacy.h): what each configured
 * provider receives and why, built from the effective transmission
 * manifests (door_rp_manifest) of the configuration in force. */
#include "broker/broker_int.h"
#include "doorauth/broker_privacy.h"
#include "doorauth/privacy.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int door__jset(json_t *o, const char *k, json_t *v) {
  return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *door__jstr(const char *s) { return json_string(s ? s : ""); }

static int door__user_data(door_tx_data k) {
  return k == DOOR_TXD_USER_IDENTIFIER || k == DOOR_TXD_EVENT;
}

static json_t *door__field(const door_tx_field *f, int with_endpoint) {
  json_t *o = json_object();
  int bad = !o;
  if (!bad && with_endpoint)
    bad = door__jset(o, "endpoint",
                     door__jstr(door_tx_endpoint_name(f->endpoint))) != 0;
  if (!bad)
    bad = door__jset(o, "name", door__jstr(f->name)) != 0 ||
          door__jset(o, "data", door__jstr(door_tx_data_name(f->data))) != 0 ||
          door__jset(o, "purpose",
                     door__jstr(door_tx_purpose_name(f->purpose))) != 0;
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* The events whose participant list admits identities of `p` (events that
 * take it and have a participants_file): there its identifier is compared
 * within DOOR and nothing is sent to the provider.  A JSON array of ids. */
static json_t *door__local_events(const door_config *cfg,
                                  const door_provider_config *p) {
  json_t *a = json_array();
  size_t i, j;
  for (i = 0; a && i < cfg->nevents; i++) {
    const door_event_config *ev = &cfg->events[i];
    int takes = ev->providers.n == 0;
    for (j = 0; !takes && j < ev->providers.n; j++)
      takes = strcmp(ev->providers.items[j], p->name) == 0;
    if (takes && ev->participants_file &&
        json_array_append_new(a, door__jstr(ev->id)) != 0) {
      json_decref(a);
      a = NULL;
    }
  }
  return a;
}

/* One provider's entry. */
static json_t *door__provider(const door_config *cfg,
                              const door_provider_config *p,
                              const door_tx_manifest *m) {
  json_t *o = json_object(), *user = json_array(), *purposes = json_array();
  json_t *other = json_array(), *eps = json_array();
  json_t *local = door__local_events(cfg, p);
  int seen_p[16] = {0}, seen_o[16] = {0}, bad;
  size_t i;
  int e;
  bad = !o || !user || !purposes || !other || !eps || !local;
  for (i = 0; !bad && i < m->n_fields; i++) {
    const door_tx_field *f = &m->fields[i];
    if (door__user_data(f->data)) {
      bad = json_array_append_new(user, door__field(f, 1)) != 0;
      if ((unsigned)f->purpose < 16)
        seen_p[f->purpose] = 1;
    } else if ((unsigned)f->data < 16) {
      seen_o[f->data] = 1;
    }
  }
  for (i = 0; !bad && i < 16; i++) {
    if (seen_p[i])
      bad = json_array_append_new(purposes, door__jstr(door_tx_purpose_name(
                                                (door_tx_purpose)i))) != 0;
    if (!bad && seen_o[i])
      bad = json_array_append_new(
                other, door__jstr(door_tx_data_name((door_tx_data)i))) != 0;
  }
  for (e = 0; !bad && e < DOOR_TX_ENDPOINT_COUNT; e++) {
    json_t *ep = json_object(), *fields = json_array();
    bad = !ep || !fields;
    for (i = 0; !bad && i < m->n_fields; i++)
      if ((int)m->fields[i].endpoint == e)
        bad = json_array_append_new(fields, door__field(&m->fields[i], 0)) != 0;
    if (!bad)
      bad = door__jset(
                ep, "endpoint",
                door__jstr(door_tx_endpoint_name((door_tx_endpoint)e))) != 0 ||
            json_object_set(ep, "fields", fields) != 0 ||
            json_array_append(eps, ep) != 0;
    json_decref(ep);
    json_decref(fields);
  }
  if (!bad)
    bad = door__jset(o, "provider", door__jstr(p->name)) != 0 ||
          door__jset(o, "type",
                     door__jstr(p->type >= 0 && (size_t)p->type <
                                                    door__config_nprovider_types
                                    ? door__config_provider_types[p->type].name
                                    : "")) != 0 ||
          door__jset(o, "display_name",
                     door__jstr(p->display_name ? p->display_name : p->name)) !=
              0 ||
          door__jset(o, "organisation", door__jstr(m->organisation)) != 0 ||
          door__jset(o, "service", door__jstr(m->service)) != 0 ||
          json_object_set(o, "user_data", user) != 0 ||
          json_object_set(o, "purposes", purposes) != 0 ||
          json_object_set(o, "other_data", other) != 0 ||
          json_object_set(o, "local_events", local) != 0 ||
          json_object_set(o, "endpoints", eps) != 0;
  json_decref(local);
  json_decref(user);
  json_decref(purposes);
  json_decref(other);
  json_decref(eps);
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* The disclosures of `cfg` through the manifests of `rp` (made from it). */
static door_err door__disclosures(const door_config *cfg, const door_rp *rp,
                                  char **out, door_detail *d) {
  json_t *root = json_object(), *list = json_array();
  door_err err = DOOR_OK;
  size_t i;
  if (!root || !list)
    err = DOOR_ENOMEM;
  for (i = 0; !err && i < cfg->nproviders; i++) {
    const door_provider_config *p = &cfg->providers[i];
    const door_tx_manifest *m = NULL;
    err = door_rp_manifest(rp, p->name, &m);
    if (err) {
      door_detail_set(d, err, p->name, "no transmission manifest",
                      "check the provider's section with `door-broker "
                      "check`");
      break;
    }
    if (json_array_append_new(list, door__provider(cfg, p, m)) != 0)
      err = DOOR_ENOMEM;
  }
  if (!err && json_object_set(root, "providers", list) != 0)
    err = DOOR_ENOMEM;
  if (!err && !(*out = json_dumps(root, JSON_COMPACT)))
    err = DOOR_ENOMEM;
  json_decref(list);
  json_decref(root);
  if (err == DOOR_ENOMEM)
    door_detail_set(d, err, "disclosures", "out of memory", NULL);
  return err;
}

door_err door_broker_disclosures_json(door_broker *b, char **out,
                                      door_detail *d) {
  door__bgen *g;
  door_err err;
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "disclosures", "no output", NULL);
  *out = NULL;
  if (!b)
    return door_detail_set(d, DOOR_EINVAL, "disclosures", "no broker", NULL);
  g = door__bgen_get(b);
  err = door__disclosures(g->cfg, g->rp, out, d);
  door__bgen_put(g);
  return err;
}

door_err door_config_disclosures_json(const door_config *cfg, char **out,
                                      door_detail *d) {
  door_rp *rp = NULL;
  door_err err;
  if (!out)
    return door_detail_set(d, DOOR_EINVAL, "disclosures", "no output", NULL);
  *out = NULL;
  if (!cfg)
    return door_detail_set(d, DOOR_EINVAL, "disclosures", "no configuration",
                           NULL);
  err = door_rp_new(cfg, NULL, &rp, d);
  if (!err)
    err = door__disclosures(cfg, rp, out, d);
  door_rp_free(rp);
  return err;
}
