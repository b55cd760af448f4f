/* Helpers of the login e2e test (see login_env.h). */
#include "login_env.h"
#include "util/config.h"
#include "util/errlist.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static e2e_env env;
e2e_env *E = &env;
door_config *g_cfg;
door_rp *g_rp;
int64_t g_offset;
char g_keydir[256];

static int64_t rp_clock(void *ud) {
  (void)ud;
  return (int64_t)time(NULL) + g_offset;
}

static void provider(door_buf *t, const char *name, const char *type,
                     const char *profile, const char *client_id,
                     const char *secret, const char *more) {
  door__buf_puts(t, "[provider \"");
  door__buf_puts(t, name);
  door__buf_puts(t, "\"]\ntype = ");
  door__buf_puts(t, type);
  door__buf_puts(t, "\nissuer = ");
  door__buf_puts(t, e2e_url(E, profile, "issuer"));
  door__buf_puts(t, "\nclient_id = ");
  door__buf_puts(t, client_id);
  door__buf_putc(t, '\n');
  if (secret) {
    door__buf_puts(t, "client_secret = ");
    door__buf_puts(t, secret);
    door__buf_putc(t, '\n');
  }
  door__buf_puts(t, more);
}

/* client_key_file = g_keydir/NAME */
static void key_file(door_buf *t, const char *name) {
  door__buf_puts(t, "token_auth_method = private_key_jwt\nclient_key_file = ");
  door__buf_puts(t, g_keydir);
  door__buf_putc(t, '/');
  door__buf_puts(t, name);
  door__buf_putc(t, '\n');
}

door_config *make_config(void) {
  door_buf t;
  door_config *cfg = NULL;
  door_errlist errs;
  size_t i;
  door__buf_init(&t, 1 << 16);
  door__buf_puts(&t, "[broker]\n"
                     "public_url = https://door.localhost\n"
                     "cookie_key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
                     "Hh8\n"
                     "ca_file = ");
  door__buf_puts(&t, E->ca);
  door__buf_puts(&t, "\n[store]\nurl = sqlite:unused.db\n");
  provider(&t, "daccount", "daccount", "daccount", "door-rs",
           "planted-secret-login-daccount-rs-0123456789abcdef",
           "authif = 1\nscopes = openid profile\nuserinfo = yes\n"
           "keep_claims = name\ndisplay_name = d-account\n");
  provider(&t, "daccount-hs", "daccount", "daccount", "door-hs",
           "planted-secret-login-daccount-hs-0123456789abcdef",
           "allowed_algs = RS256 HS256\naccept_hs256 = yes\n"
           "token_path = /common/token\n");
  provider(&t, "xmarket", "xmarket", "xmarket", "door-xm",
           "planted-secret-login-xmarket-0123456789abcdef",
           "scopes = openid profile email\nallowed_algs = ES256\n"
           "userinfo = yes\nkeep_claims = email name\n");
  provider(&t, "generic", "generic", "generic", "rp-rs",
           "planted-secret-login-generic-rs-0123456789abcdef",
           "scopes = openid email\nallowed_algs = RS256 ES256\n"
           "userinfo = yes\nkeep_claims = email\n");
  provider(&t, "generic-es", "generic", "generic", "rp-es",
           "planted-secret-login-generic-es-0123456789abcdef",
           "token_auth_method = client_secret_post\nallowed_algs = ES256\n");
  /* The mix-up attacker: another provider this broker trusts. */
  provider(&t, "attacker", "generic", "attacker", "rp-att",
           "planted-secret-login-attacker-0123456789abcdef",
           "allowed_algs = RS256 ES256\n");
  /* private_key_jwt: ES256, PS256, and a key the provider does not know. */
  provider(&t, "generic-pk", "generic", "generic", "rp-pk", NULL,
           "allowed_algs = RS256\n");
  key_file(&t, "client-es.pem");
  provider(&t, "generic-pk-ps", "generic", "generic", "rp-pk-ps", NULL,
           "allowed_algs = RS256\nclient_key_alg = PS256\n");
  key_file(&t, "client-ps.pem");
  provider(&t, "generic-pk-wrong", "generic", "generic", "rp-pk", NULL,
           "allowed_algs = RS256\n");
  key_file(&t, "client-wrong.pem");
  door__errlist_init(&errs);
  if (door__config_load_mem("login-e2e.conf", t.data, t.len, NULL, &cfg,
                            &errs)) {
    for (i = 0; i < errs.n; i++) {
      door_buf line;
      door__buf_init(&line, 4096);
      door__diag_format(&errs.items[i], &line);
      printf("# config: %s\n", door__buf_str(&line));
      door__buf_free(&line);
    }
    cfg = NULL;
  }
  door__errlist_free(&errs);
  door__buf_free(&t);
  return cfg;
}

door_rp *make_rp_with(struct door_http *http) {
  door_rp_options o;
  door_rp *rp = NULL;
  door_detail d;
  door_err err;
  door_rp_options_init(&o);
  o.clock = rp_clock;
  o.http = http;
  err = door_rp_new(g_cfg, &o, &rp, &d);
  if (err)
    printf("# door_rp_new: %s %s %s\n", door_err_name(err), d.where, d.what);
  return rp;
}

door_rp *make_rp(void) { return make_rp_with(NULL); }

/* A door-idp listener (the browser follows it), not the attacker. */
static int is_provider_url(const char *url) {
  return strncmp(url, "https://127.0.0.", 16) == 0;
}

door_err browse(door_rp *rp, const char *provider, const char *user,
                attempt *a) {
  door_login_params p;
  door_detail d;
  door_buf url;
  e2e_resp r;
  const char *loc, *q, *path;
  size_t n;
  door_err err;
  memset(a, 0, sizeof *a);
  memset(&p, 0, sizeof p);
  p.provider = provider;
  p.return_to = "/rooms/7";
  err = door_login_begin(rp, &p, &a->start, &d);
  if (err) {
    printf("# begin %s: %s (%s: %s)\n", provider, door_err_name(err), d.where,
           d.what);
    return err;
  }
  n = strcspn(a->start.set_cookie, ";");
  T_OK(n < sizeof a->cookie);
  memcpy(a->cookie, a->start.set_cookie, n);
  a->cookie[n] = '\0';
  door__buf_init(&url, 16384);
  door__buf_puts(&url, a->start.authorization_url);
  door__buf_puts(&url, "&");
  door__form_append(&url, "login_hint", user);
  err = DOOR_ENOTFOUND;
  for (a->hops = 1; a->hops <= 4; a->hops++) {
    e2e_resp_init(&r);
    T_EQ_INT(e2e_http(E, "GET", door__buf_str(&url), NULL, NULL, NULL, NULL,
                      NULL, &r),
             0);
    a->status = r.status;
    loc = e2e_header(&r, "location");
    if (loc && strncmp(loc, REDIRECT_BASE, strlen(REDIRECT_BASE)) == 0) {
      path = loc + strlen(REDIRECT_BASE);
      n = strcspn(path, "?");
      T_OK(n < sizeof a->callback);
      memcpy(a->callback, path, n);
      a->callback[n] = '\0';
      q = strchr(loc, '?');
      T_OK(q != NULL && strlen(q + 1) < sizeof a->query);
      memcpy(a->query, q + 1, strlen(q + 1) + 1);
      err = DOOR_OK;
    } else if (loc && is_provider_url(loc) && a->hops < 4) {
      door__buf_reset(&url);
      door__buf_puts(&url, loc);
      e2e_resp_free(&r);
      continue;
    } else if (loc) {
      T_OK(strlen(loc) < sizeof a->stop);
      memcpy(a->stop, loc, strlen(loc) + 1);
    }
    e2e_resp_free(&r);
    break;
  }
  door__buf_free(&url);
  return err;
}

void go_to_provider(door_rp *rp, const char *provider, const char *user,
                    attempt *a) {
  T_EQ_ERR(browse(rp, provider, user, a), DOOR_OK);
  T_EQ_STR(a->callback, provider);
}

door_err login_with(door_rp *rp, const char *provider, const char *user,
                    door_login_result *r, door_detail *d) {
  attempt a;
  door_err err;
  memset(r, 0, sizeof *r);
  err = browse(rp, provider, user, &a);
  if (!err)
    err = door_login_finish(rp, a.callback, a.query, a.cookie, NULL, r, d);
  else if (err == DOOR_ENOTFOUND)
    printf("# %s: the browser stopped at %s (status %ld)\n", provider,
           a.stop[0] ? a.stop : "a provider page", a.status);
  door_login_start_clear(&a.start);
  return err;
}

void query_get(const char *query, const char *name, char *out, size_t cap) {
  door_kvlist l;
  const char *v;
  door__kvlist_init(&l);
  T_EQ_ERR(door__form_parse(query, strlen(query), 32, 4096, &l), DOOR_OK);
  v = door__kvlist_get(&l, name, NULL);
  if (!v || strlen(v) >= cap) {
    door__kvlist_free(&l);
    T_FAIL_("no %s in %s", name, query);
  }
  memcpy(out, v, strlen(v) + 1);
  door__kvlist_free(&l);
}

void query_with(const char *query, const char *name, const char *value,
                char *out, size_t cap) {
  door_kvlist l;
  door_buf b;
  size_t i;
  door__kvlist_init(&l);
  door__buf_init(&b, cap);
  T_EQ_ERR(door__form_parse(query, strlen(query), 32, 4096, &l), DOOR_OK);
  for (i = 0; i < l.n; i++)
    door__form_append(&b, l.items[i].name,
                      strcmp(l.items[i].name, name) == 0 ? value
                                                         : l.items[i].value);
  door__kvlist_free(&l);
  T_OK(b.len < cap);
  memcpy(out, door__buf_str(&b), b.len + 1);
  door__buf_free(&b);
}

void disarm_all(void) {
  e2e_resp r;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "DELETE", "/faults", NULL, &r), 0);
  e2e_resp_free(&r);
}

void arm(const char *fault, const char *profile, const char *endpoint,
         const char *param_json) {
  door_buf body;
  disarm_all();
  door__buf_init(&body, 4096);
  door__buf_puts(&body, "{\"fault\":\"");
  door__buf_puts(&body, fault);
  door__buf_puts(&body, "\",\"count\":1,\"profile\":\"");
  door__buf_puts(&body, profile);
  door__buf_putc(&body, '"');
  if (endpoint) {
    door__buf_puts(&body, ",\"endpoint\":\"");
    door__buf_puts(&body, endpoint);
    door__buf_putc(&body, '"');
  }
  if (param_json) {
    door__buf_puts(&body, ",\"param\":");
    door__buf_puts(&body, param_json);
  }
  door__buf_putc(&body, '}');
  T_OK(e2e_arm(E, body.data) > 0);
  door__buf_free(&body);
}

static json_t *log_query(const char *path) {
  e2e_resp r;
  json_t *j;
  e2e_resp_init(&r);
  T_EQ_INT(e2e_admin(E, "GET", path, NULL, &r), 0);
  T_EQ_INT(r.status, 200);
  j = e2e_json(&r);
  e2e_resp_free(&r);
  T_OK(json_is_array(j));
  return j;
}

uint64_t log_mark(void) {
  json_t *j = log_query("/requests?limit=1");
  uint64_t seq = 0;
  if (json_array_size(j))
    seq = (uint64_t)json_integer_value(
        json_object_get(json_array_get(j, 0), "seq"));
  json_decref(j);
  return seq;
}

json_t *log_since(const char *profile, const char *endpoint, uint64_t since) {
  door_buf path;
  json_t *j;
  door__buf_init(&path, 1024);
  door__buf_puts(&path, "/requests?profile=");
  door__buf_puts(&path, profile);
  door__buf_puts(&path, "&endpoint=");
  door__buf_puts(&path, endpoint);
  door__buf_puts(&path, "&since=");
  door__buf_put_u64(&path, since);
  j = log_query(door__buf_str(&path));
  door__buf_free(&path);
  return j;
}

size_t log_count(const char *profile, const char *endpoint, uint64_t since) {
  json_t *j = log_since(profile, endpoint, since);
  size_t n = json_array_size(j);
  json_decref(j);
  return n;
}

const char *log_field(const json_t *entry, const char *part, const char *name) {
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
