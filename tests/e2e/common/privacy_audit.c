/* The privacy audit of an end-to-end suite: see privacy_audit.h. */
#include "privacy_audit.h"

#include "idp_admin.h"
#include "util/errlist.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const transport_headers[] = {
    "host",           "user-agent", "accept",    "content-type",
    "content-length", "expect",     "connection"};

static const char *pair_get(const json_t *entry, const char *part,
                            const char *name) {
  const json_t *pairs = json_object_get(entry, part), *pair;
  size_t i;
  json_array_foreach(pairs, i, pair) {
    const char *k = json_string_value(json_array_get(pair, 0));
    if (k && (strcmp(part, "headers") == 0 ? strcasecmp(k, name) == 0
                                           : strcmp(k, name) == 0))
      return json_string_value(json_array_get(pair, 1));
  }
  return NULL;
}

/* The client_id of an HTTP Basic Authorization header, into out. */
static int basic_user(const char *auth, char *out, size_t cap) {
  unsigned char dec[512];
  size_t n = 0, i, o = 0;
  const char *p;
  if (!auth || strncasecmp(auth, "Basic ", 6) != 0)
    return 0;
  p = auth + 6;
  /* standard base64 with padding: decode by hand (b64.h is base64url) */
  {
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    for (; *p && *p != '='; p++) {
      const char *c = strchr(tbl, *p);
      if (!c || n >= sizeof dec)
        return 0;
      acc = (acc << 6) | (unsigned)(c - tbl);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        dec[n++] = (unsigned char)((acc >> bits) & 0xff);
      }
    }
  }
  for (i = 0; i < n && dec[i] != ':' && o + 1 < cap; i++)
    out[o++] = (char)dec[i];
  out[o] = '\0';
  return o > 0;
}

static int endpoint_of(const json_t *e, const char *idp_ep) {
  if (!strcmp(idp_ep, "authorization"))
    return DOOR_TX_AUTHORIZE;
  if (!strcmp(idp_ep, "token")) {
    const char *g = pair_get(e, "form", "grant_type");
    if (g && !strcmp(g, "authorization_code"))
      return DOOR_TX_TOKEN;
    if (g && !strcmp(g, "refresh_token"))
      return DOOR_TX_REFRESH;
    return -1;
  }
  return door_tx_endpoint_from_name(idp_ep); /* same names otherwise */
}

static const door_tx_field *listed(const door_tx_manifest *m, int ep,
                                   const char *field) {
  size_t i;
  int header = strncmp(field, "header:", 7) == 0;
  for (i = 0; i < m->n_fields; i++) {
    const door_tx_field *f = &m->fields[i];
    if ((int)f->endpoint != ep)
      continue;
    if (header ? strcasecmp(f->name, field) == 0 : strcmp(f->name, field) == 0)
      return f;
  }
  return NULL;
}

static int is_transport(const char *h) {
  size_t i;
  for (i = 0; i < sizeof transport_headers / sizeof transport_headers[0]; i++)
    if (strcasecmp(h, transport_headers[i]) == 0)
      return 1;
  return 0;
}

/* The fields of entry `e` that manifest `m` does not list at `ep`: counted,
 * and printed when `print`. */
static int in_list(const char *const *l, const char *name) {
  for (; l && *l; l++)
    if (strcmp(*l, name) == 0)
      return 1;
  return 0;
}

static size_t unlisted(const json_t *e, const door_tx_manifest *m, int ep,
                       int backchannel, const char *const *browser_added,
                       const char *provider, int print) {
  static const char *const parts[] = {"query", "form", "headers"};
  size_t bad = 0, i, k;
  for (k = 0; k < 3; k++) {
    const json_t *pairs = json_object_get(e, parts[k]), *pair;
    if (k == 2 && !backchannel)
      break; /* a redirect's headers are the browser's */
    json_array_foreach(pairs, i, pair) {
      const char *name = json_string_value(json_array_get(pair, 0));
      char field[160];
      if (!name)
        continue;
      if (k == 2) {
        if (is_transport(name))
          continue;
        snprintf(field, sizeof field, "header:%s", name);
      } else {
        snprintf(field, sizeof field, "%s", name);
      }
      if (listed(m, ep, field) ||
          (!backchannel && k == 0 && in_list(browser_added, field)))
        continue;
      bad++;
      if (print)
        printf("# privacy: seq %lld %s %s: \"%s\" is not in %s's manifest "
               "for %s\n",
               (long long)json_integer_value(json_object_get(e, "seq")),
               json_string_value(json_object_get(e, "profile")),
               json_string_value(json_object_get(e, "endpoint")), field,
               provider, door_tx_endpoint_name((door_tx_endpoint)ep));
    }
  }
  return bad;
}

void privacy_audit(const json_t *entries, const door_config *cfg,
                   const door_rp *rp, const privacy_profile *profiles,
                   size_t n_profiles, const char *const *browser_added,
                   privacy_audit_result *out) {
  const json_t *arr =
      json_is_array(entries) ? entries : json_object_get(entries, "requests");
  const json_t *e;
  size_t i, j, k;
  memset(out, 0, sizeof *out);
  json_array_foreach(arr, i, e) {
    const char *profile = json_string_value(json_object_get(e, "profile"));
    const char *idp_ep = json_string_value(json_object_get(e, "endpoint"));
    const char *method = json_string_value(json_object_get(e, "method"));
    const char *ua = pair_get(e, "headers", "User-Agent");
    const char *issuer = NULL, *cid;
    char basic[256] = "";
    int backchannel = ua && strncmp(ua, "doorauth/", 9) == 0;
    int ep, matched = 0, ok = 0;
    if (!profile || !idp_ep || !method)
      continue;
    for (j = 0; j < n_profiles; j++)
      if (!strcmp(profiles[j].profile, profile))
        issuer = profiles[j].issuer;
    cid = pair_get(e, "query", "client_id");
    if (!cid)
      cid = pair_get(e, "form", "client_id");
    if (!cid && basic_user(pair_get(e, "headers", "Authorization"), basic,
                           sizeof basic))
      cid = basic;
    if (!backchannel) {
      /* a browser request: the broker's only when it is a redirect the
       * broker built for one of its providers */
      int mine = 0;
      if (strcmp(method, "GET") != 0 ||
          (strcmp(idp_ep, "authorization") && strcmp(idp_ep, "end_session")))
        continue;
      for (k = 0; issuer && cid && k < cfg->nproviders; k++)
        if (cfg->providers[k].issuer && cfg->providers[k].client_id &&
            !strcmp(cfg->providers[k].issuer, issuer) &&
            !strcmp(cfg->providers[k].client_id, cid))
          mine = 1;
      if (!mine)
        continue;
    }
    out->audited++;
    ep = endpoint_of(e, idp_ep);
    if (ep < 0 || !issuer) {
      out->violations++;
      printf("# privacy: seq %lld %s %s: %s\n",
             (long long)json_integer_value(json_object_get(e, "seq")), profile,
             idp_ep,
             !issuer ? "a request to a profile the audit was not told about"
                     : "a request of a kind no manifest lists");
      continue;
    }
    out->by_endpoint[ep]++;
    /* first pass: does any candidate provider list every field? */
    for (k = 0; !ok && k < cfg->nproviders; k++) {
      const door_provider_config *p = &cfg->providers[k];
      const door_tx_manifest *m = NULL;
      if (!p->issuer || strcmp(p->issuer, issuer) != 0)
        continue;
      if (cid && p->client_id && strcmp(p->client_id, cid) != 0)
        continue;
      if (door_rp_manifest(rp, p->name, &m) != DOOR_OK || !m)
        continue;
      matched = 1;
      if (unlisted(e, m, ep, backchannel, browser_added, p->name, 0) == 0)
        ok = 1;
    }
    if (ok)
      continue;
    out->violations++;
    if (!matched) {
      printf("# privacy: seq %lld %s %s: no configured provider matches "
             "(client_id %s)\n",
             (long long)json_integer_value(json_object_get(e, "seq")), profile,
             idp_ep, cid ? cid : "none");
      continue;
    }
    /* second pass: say which fields */
    for (k = 0; k < cfg->nproviders; k++) {
      const door_provider_config *p = &cfg->providers[k];
      const door_tx_manifest *m = NULL;
      if (!p->issuer || strcmp(p->issuer, issuer) != 0 ||
          (cid && p->client_id && strcmp(p->client_id, cid) != 0) ||
          door_rp_manifest(rp, p->name, &m) != DOOR_OK || !m)
        continue;
      unlisted(e, m, ep, backchannel, browser_added, p->name, 1);
    }
  }
}

/* door-idp's whole request log from `admin`, still starting at seq 1: a
 * new reference, or NULL with a "# privacy: " line saying why not. */
static json_t *request_log(const char *admin) {
  json_t *all = NULL;
  long status = idp_admin_call(admin, "GET", "/requests", NULL, &all);
  if (status != 200) {
    printf("# privacy: GET %s/requests failed (status %ld)\n", admin, status);
    goto fail;
  }
  if (!json_is_array(all)) {
    printf("# privacy: door-idp's request log is not a JSON array\n");
    goto fail;
  }
  if (json_array_size(all) &&
      json_integer_value(json_object_get(json_array_get(all, 0), "seq")) != 1) {
    printf("# privacy: door-idp's request log lost its first entries "
           "(raise request_log_max in the scenario)\n");
    goto fail;
  }
  return all;
fail:
  json_decref(all);
  return NULL;
}

int privacy_audit_log(const char *admin, const door_config *cfg,
                      const door_rp *rp, const privacy_profile *profiles,
                      size_t n_profiles, const char *const *browser_added,
                      privacy_audit_result *out, json_t **log) {
  json_t *all = request_log(admin);
  memset(out, 0, sizeof *out);
  if (log)
    *log = NULL;
  if (!all)
    return -1;
  privacy_audit(all, cfg, rp, profiles, n_profiles, browser_added, out);
  if (log)
    *log = all;
  else
    json_decref(all);
  return 0;
}

int privacy_audit_file(const char *config_path, const char *admin,
                       const privacy_profile *profiles, size_t n_profiles,
                       const char *const *browser_added,
                       privacy_audit_result *out) {
  door_config *cfg = NULL;
  door_errlist errs;
  door_rp *rp = NULL;
  door_rp_options o;
  door_detail d;
  int rc = -1;
  memset(out, 0, sizeof *out);
  door__errlist_init(&errs);
  if (door__config_load(config_path, &cfg, &errs) != DOOR_OK) {
    printf("# privacy: cannot load %s\n", config_path);
    goto out;
  }
  door_rp_options_init(&o);
  memset(&d, 0, sizeof d);
  if (door_rp_new(cfg, &o, &rp, &d) != DOOR_OK) {
    printf("# privacy: door_rp_new: %s at %s\n", d.what, d.where);
    goto out;
  }
  rc = privacy_audit_log(admin, cfg, rp, profiles, n_profiles, browser_added,
                         out, NULL);
out:
  door_rp_free(rp);
  door__config_free(cfg);
  door__errlist_free(&errs);
  return rc;
}

void privacy_audit_print(const privacy_audit_result *r) {
  size_t i;
  for (i = 0; i < DOOR_TX_ENDPOINT_COUNT; i++)
    if (r->by_endpoint[i])
      printf("# privacy: %zu %s request(s) audited\n", r->by_endpoint[i],
             door_tx_endpoint_name((door_tx_endpoint)i));
  printf("# privacy: %zu request(s) of the broker audited, %zu violation(s)\n",
         r->audited, r->violations);
}
