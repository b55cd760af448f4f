/* Transmission manifests (doorauth/privacy.h): the names of endpoints, data
 * kinds and purposes, and each provider's effective manifest, built once
 * by door_rp_new from the provider's defaults and its configuration. */
#include "oidc/rp_int.h"

#include <stdlib.h>
#include <string.h>

#define DOOR__TX_STR(name, str) str,
static const char *const door__ep_names[] = {
    DOOR_TX_ENDPOINT_MAP(DOOR__TX_STR)};
static const char *const door__data_names[] = {DOOR_TX_DATA_MAP(DOOR__TX_STR)};
static const char *const door__purpose_names[] = {
    DOOR_TX_PURPOSE_MAP(DOOR__TX_STR)};
#undef DOOR__TX_STR

static int door__name_index(const char *const *names, int n, const char *s) {
  int i;
  if (!s)
    return -1;
  for (i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0)
      return i;
  return -1;
}

const char *door_tx_endpoint_name(door_tx_endpoint e) {
  return (int)e >= 0 && e < DOOR_TX_ENDPOINT_COUNT ? door__ep_names[e] : NULL;
}

int door_tx_endpoint_from_name(const char *name) {
  return door__name_index(door__ep_names, DOOR_TX_ENDPOINT_COUNT, name);
}

const char *door_tx_purpose_name(door_tx_purpose p) {
  return (int)p >= 0 && p < DOOR_TX_PURPOSE_COUNT ? door__purpose_names[p]
                                                  : NULL;
}

int door_tx_purpose_from_name(const char *name) {
  return door__name_index(door__purpose_names, DOOR_TX_PURPOSE_COUNT, name);
}

const char *door_tx_data_name(door_tx_data k) {
  return (int)k >= 0 && k < DOOR_TX_DATA_COUNT ? door__data_names[k] : NULL;
}

int door_tx_data_from_name(const char *name) {
  return door__name_index(door__data_names, DOOR_TX_DATA_COUNT, name);
}

void door_txlog_init(door_txlog *log) {
  if (log)
    memset(log, 0, sizeof *log);
}

/* ---- the effective manifest ----------------------------------------------
 */

static const char *const door__client_auth_fields[] = {
    "client_id",        "client_secret",        "client_assertion_type",
    "client_assertion", "header:Authorization", NULL};

/* 1 when `f` stays: at token and refresh, the client-authentication fields
 * of the configured method only. */
static int door__auth_kept(const door_tx_field *f, door_client_auth m) {
  int i;
  if (f->endpoint != DOOR_TX_TOKEN && f->endpoint != DOOR_TX_REFRESH)
    return 1;
  for (i = 0; door__client_auth_fields[i]; i++)
    if (strcmp(f->name, door__client_auth_fields[i]) == 0)
      break;
  switch (i) {
  case 0: /* client_id */
    return m == DOOR_CLIENT_SECRET_POST || m == DOOR_PRIVATE_KEY_JWT;
  case 1:
    return m == DOOR_CLIENT_SECRET_POST;
  case 2:
  case 3:
    return m == DOOR_PRIVATE_KEY_JWT;
  case 4:
    return m == DOOR_CLIENT_SECRET_BASIC;
  default:
    return 1;
  }
}

const door_tx_field *door__manifest_find(const door_tx_manifest *m,
                                         door_tx_endpoint e, const char *name) {
  size_t i;
  for (i = 0; m && i < m->n_fields; i++)
    if (m->fields[i].endpoint == e && strcmp(m->fields[i].name, name) == 0)
      return &m->fields[i];
  return NULL;
}

/* A configuration error at FILE:LINE of `key`. */
static door_err door__mf_fail(const door_provider *p, const char *key,
                              const char *item, const char *what,
                              const char *hint, door_detail *d) {
  const door_config_value *v = door__config_provider_value(p->cfg, key);
  door_buf where, w;
  door_err err;
  door__buf_init(&where, 190);
  door__buf_init(&w, 190);
  err = door__buf_puts(&where, p->rp->cfg->path ? p->rp->cfg->path : "config");
  if (!err)
    err = door__buf_putc(&where, ':');
  if (!err)
    err = door__buf_put_u64(
        &where, (uint64_t)(v && v->line > 0 ? v->line : p->cfg->line));
  if (!err)
    err = door__buf_puts(&where, ": ");
  if (!err)
    err = door__buf_puts(&where, key);
  (void)door__buf_puts(&w, what);
  if (item) {
    (void)door__buf_puts(&w, ": ");
    (void)door__buf_puts(&w, item);
  }
  door_detail_set(d, DOOR_ECONFIG_VALUE, door__buf_str(&where),
                  door__buf_str(&w), hint);
  door__buf_free(&where);
  door__buf_free(&w);
  return DOOR_ECONFIG_VALUE;
}

/* Parses ENDPOINT:NAME:DATA:PURPOSE (the syntax the configuration checked)
 * into f, its name a new string. */
static door_err door__mf_extra(const char *s, door_tx_field *f,
                               char **name_out) {
  const char *c1 = strchr(s, ':'), *c3 = strrchr(s, ':'), *c2;
  char buf[64];
  int e, k, pu;
  if (!c1 || c3 == c1)
    return DOOR_ECONFIG_VALUE;
  for (c2 = c3 - 1; c2 > c1 && *c2 != ':'; c2--)
    ;
  if (c2 <= c1 || (size_t)(c1 - s) >= sizeof buf ||
      (size_t)(c3 - c2 - 1) >= sizeof buf)
    return DOOR_ECONFIG_VALUE;
  memcpy(buf, s, (size_t)(c1 - s));
  buf[c1 - s] = '\0';
  e = door_tx_endpoint_from_name(buf);
  memcpy(buf, c2 + 1, (size_t)(c3 - c2 - 1));
  buf[c3 - c2 - 1] = '\0';
  k = door_tx_data_from_name(buf);
  pu = door_tx_purpose_from_name(c3 + 1);
  if (e < 0 || k < 0 || pu < 0)
    return DOOR_ECONFIG_VALUE;
  *name_out = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
  if (!*name_out)
    return DOOR_ENOMEM;
  f->endpoint = (door_tx_endpoint)e;
  f->name = *name_out;
  f->data = (door_tx_data)k;
  f->purpose = (door_tx_purpose)pu;
  return DOOR_OK;
}

static int door__listed(const door_config_value *v, const char *name) {
  size_t i;
  for (i = 0; i < v->list.n; i++)
    if (strcmp(v->list.items[i], name) == 0)
      return 1;
  return 0;
}

/* Applies manifest_ENDPOINT restrictions to the n defaults in fields[];
 * the extras (already parsed) may be named too.  Returns the count kept. */
static door_err door__mf_restrict(door_provider *p, door_tx_field *fields,
                                  size_t *n, const door_tx_field *extra,
                                  size_t nextra, door_detail *d) {
  int e;
  size_t i, j, k;
  for (e = 0; e < DOOR_TX_ENDPOINT_COUNT; e++) {
    char key[40] = "manifest_";
    const door_config_value *v;
    size_t kl = strlen(key), nl = strlen(door__ep_names[e]);
    memcpy(key + kl, door__ep_names[e], nl + 1);
    v = door__config_provider_value(p->cfg, key);
    if (!v || !v->set || v->line <= 0)
      continue;
    for (i = 0; i < v->list.n; i++) {
      const char *nm = v->list.items[i];
      int found = 0;
      for (j = 0; !found && j < *n; j++)
        found = fields[j].endpoint == (door_tx_endpoint)e &&
                strcmp(fields[j].name, nm) == 0;
      for (j = 0; !found && j < nextra; j++)
        found = extra[j].endpoint == (door_tx_endpoint)e &&
                strcmp(extra[j].name, nm) == 0;
      if (!found)
        return door__mf_fail(p, key, nm,
                             "this provider never sends this field to this "
                             "endpoint (with this token_auth_method)",
                             "remove it, or declare it in manifest_extra as "
                             "ENDPOINT:NAME:DATA:PURPOSE",
                             d);
    }
    for (j = k = 0; j < *n; j++)
      if (fields[j].endpoint != (door_tx_endpoint)e ||
          door__listed(v, fields[j].name))
        fields[k++] = fields[j];
    *n = k;
  }
  return DOOR_OK;
}

/* Every extra_params name must be listed for authorize. */
static door_err door__mf_extra_params(door_provider *p, door_detail *d) {
  const char *e = p->cfg->extra_params;
  door_kvlist l;
  size_t i;
  door_err err;
  if (!e || !*e)
    return DOOR_OK;
  door__kvlist_init(&l);
  err = door__form_parse(e, strlen(e), 64, 2048, &l);
  for (i = 0; !err && i < l.n; i++)
    if (!door__manifest_find(&p->manifest, DOOR_TX_AUTHORIZE, l.items[i].name))
      err = door__mf_fail(p, "extra_params", l.items[i].name,
                          "extra_params sends a field the manifest does not "
                          "list for authorize",
                          "add authorize:NAME:DATA:PURPOSE to manifest_extra, "
                          "or remove it from extra_params",
                          d);
  door__kvlist_free(&l);
  return err;
}

door_err door__manifest_build(door_provider *p, door_detail *d) {
  const door_tx_manifest *def = p->ops->manifest;
  const door_config_value *xv =
      door__config_provider_value(p->cfg, "manifest_extra");
  const door_config_value *org =
      door__config_provider_value(p->cfg, "organisation");
  size_t ndef = def ? def->n_fields : 0, nx = 0, n = 0, i, j;
  door_tx_field *fields, *extra;
  door_err err = DOOR_OK;
  if (xv && xv->set)
    nx = xv->list.n;
  fields = calloc(ndef + nx + 1, sizeof *fields);
  extra = calloc(nx + 1, sizeof *extra);
  p->tx_names = calloc(nx + 1, sizeof *p->tx_names);
  if (!fields || !extra || !p->tx_names) {
    free(fields);
    free(extra);
    return DOOR_ENOMEM;
  }
  p->tx_fields = fields;
  for (i = 0; i < nx; i++) {
    err = door__mf_extra(xv->list.items[i], &extra[i], &p->tx_names[i]);
    if (err == DOOR_ECONFIG_VALUE)
      err = door__mf_fail(p, "manifest_extra", xv->list.items[i],
                          "bad manifest entry",
                          "write ENDPOINT:NAME:DATA:PURPOSE", d);
    if (err)
      goto out;
    p->n_tx_names = i + 1;
  }
  for (i = 0; i < ndef; i++)
    if (door__auth_kept(&def->fields[i], p->s.client_auth))
      fields[n++] = def->fields[i];
  err = door__mf_restrict(p, fields, &n, extra, nx, d);
  if (err)
    goto out;
  /* Extras: a field already listed takes the extra's data and purpose. */
  for (i = 0; i < nx; i++) {
    for (j = 0; j < n; j++)
      if (fields[j].endpoint == extra[i].endpoint &&
          strcmp(fields[j].name, extra[i].name) == 0)
        break;
    fields[j] = extra[i];
    if (j == n)
      n++;
  }
  p->manifest.fields = fields;
  p->manifest.n_fields = n;
  p->manifest.service = def && def->service ? def->service : p->s.display_name;
  p->manifest.organisation = org && org->set && org->text ? org->text
                             : def && def->organisation   ? def->organisation
                                                          : p->s.display_name;
  err = door__mf_extra_params(p, d);
out:
  free(extra);
  return err;
}

void door__manifest_free(door_provider *p) {
  size_t i;
  for (i = 0; p->tx_names && i < p->n_tx_names; i++)
    free(p->tx_names[i]);
  free(p->tx_names);
  free(p->tx_fields);
  p->tx_names = NULL;
  p->tx_fields = NULL;
  p->n_tx_names = 0;
}

door_err door_rp_manifest(const struct door_rp *rp, const char *provider,
                          const door_tx_manifest **out) {
  const door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  if (out)
    *out = NULL;
  if (!out)
    return DOOR_EINVAL;
  if (!p)
    return DOOR_EPROVIDER_UNKNOWN;
  *out = &p->manifest;
  return DOOR_OK;
}

uint64_t door_rp_tx_refused(const struct door_rp *rp, const char *provider,
                            door_tx_endpoint endpoint) {
  const door_provider *p = rp ? door__rp_provider(rp, provider) : NULL;
  if (!p || (int)endpoint < 0 || endpoint >= DOOR_TX_ENDPOINT_COUNT)
    return 0;
  return atomic_load(&((door_provider *)p)->tx_refused[endpoint]);
}
