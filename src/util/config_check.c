/* Configuration checks that involve several keys or sections. */
#include "util/config_int.h"

#include "util/url.h"

#include <string.h>
#include <sys/stat.h>

static door_config_section *door__cfg_first(door_config *cfg,
                                            door__cfg_kind kind) {
  size_t i;
  for (i = 0; i < cfg->nsections; i++)
    if (cfg->sections[i]->kind == kind)
      return cfg->sections[i];
  return NULL;
}

static int door__cfg_in_list(const door_strlist *l, const char *s) {
  size_t i;
  for (i = 0; i < l->n; i++)
    if (strcmp(l->items[i], s) == 0)
      return 1;
  return 0;
}

static void door__cfg_err(door__cfg_ctx *c, int line, const char *key,
                          door_err code, const char *what, const char *hint) {
  door__cfg_report(c, DOOR_DIAG_ERROR, line, key, code, what, hint);
}

static void door__cfg_check_broker(door__cfg_ctx *c) {
  door_config_section *s = door__cfg_first(c->cfg, DOOR__CFG_BROKER);
  const door_broker_config *b = &c->cfg->broker;
  door_url u;
  door_detail d;
  if (!s)
    return;
  if (b->public_url && door__url_parse(b->public_url, &u, &d) == DOOR_OK) {
    if (strcmp(u.scheme, "https") != 0 && !door__url_is_loopback(&u))
      door__cfg_err(c, door__cfg_line(s, "public_url"), "public_url",
                    DOOR_ECONFIG_VALUE, "public_url is not https",
                    "browsers send cookies and codes to it: use https "
                    "(http only for a loopback host)");
    door__url_free(&u);
  }
  if (!b->tls_cert != !b->tls_key)
    door__cfg_err(c, door__cfg_line(s, b->tls_cert ? "tls_cert" : "tls_key"),
                  b->tls_cert ? "tls_cert" : "tls_key", DOOR_ECONFIG_CONFLICT,
                  "tls_cert and tls_key go together",
                  "give both, or neither to serve plain HTTP behind a proxy");
  if (door__cfg_value(s, "session_idle")->set &&
      door__cfg_value(s, "session_absolute")->set &&
      b->session_idle > b->session_absolute)
    door__cfg_err(c, door__cfg_line(s, "session_idle"), "session_idle",
                  DOOR_ECONFIG_CONFLICT,
                  "session_idle is longer than session_absolute",
                  "make session_idle at most session_absolute");
}

/* https, or http to a loopback host when allow_insecure_loopback is on. */
static void door__cfg_check_transport(door__cfg_ctx *c,
                                      const door_config_value *v) {
  door_url u;
  door_detail d;
  int loop;
  if (!v->set || !v->text || v->key->type != DOOR_CFG_URL ||
      door__url_parse(v->text, &u, &d) != DOOR_OK)
    return;
  loop = door__url_is_loopback(&u);
  if (strcmp(u.scheme, "https") != 0 &&
      !(loop && c->cfg->broker.allow_insecure_loopback))
    door__cfg_err(c, v->line, v->key->name, DOOR_ECONFIG_VALUE,
                  "provider URL is not https",
                  loop ? "for a test provider on loopback, set "
                         "allow_insecure_loopback = yes in [broker]"
                       : "providers must be reached over https");
  door__url_free(&u);
}

static void door__cfg_check_provider(door__cfg_ctx *c,
                                     const door_provider_config *p) {
  const door_config_section *s = p->section_;
  struct stat st;
  size_t i;
  static const char *const manual[] = {"authorization_endpoint",
                                       "token_endpoint", "jwks_uri"};
  for (i = 0; i < s->nvals; i++)
    door__cfg_check_transport(c, &s->vals[i]);
  if (!door__cfg_value(s, "token_auth_method")->set ||
      !door__cfg_value(s, "allowed_algs")->set)
    return; /* refused values: reported already */
  if (p->token_auth_method != DOOR_TOKEN_AUTH_PRIVATE_KEY_JWT &&
      !p->client_secret &&
      !s->given[door__cfg_value(s, "client_secret") - s->vals])
    door__cfg_err(c, s->line, "client_secret", DOOR_ECONFIG_MISSING,
                  "client_secret is needed for token_auth_method "
                  "client_secret_basic and client_secret_post",
                  "add client_secret = env:VAR or client_secret_file = PATH");
  if (p->token_auth_method == DOOR_TOKEN_AUTH_PRIVATE_KEY_JWT &&
      !p->client_key_file &&
      !s->given[door__cfg_value(s, "client_key_file") - s->vals])
    door__cfg_err(c, door__cfg_line(s, "token_auth_method"), "client_key_file",
                  DOOR_ECONFIG_MISSING,
                  "private_key_jwt needs the key to sign with",
                  "add client_key_file = PATH (a PEM private key)");
  if (p->client_key_file && stat(p->client_key_file, &st) == 0 &&
      (st.st_mode & 077))
    door__cfg_report(c, DOOR_DIAG_WARNING, door__cfg_line(s, "client_key_file"),
                     "client_key_file", DOOR_ECONFIG_SECRET,
                     "the client key file may be read or changed by other "
                     "users",
                     "chmod 600 it and give it to the broker's user");
  if (p->token_auth_method != DOOR_TOKEN_AUTH_PRIVATE_KEY_JWT &&
      p->client_key_file)
    door__cfg_err(c, door__cfg_line(s, "client_key_file"), "client_key_file",
                  DOOR_ECONFIG_CONFLICT,
                  "client_key_file is only used with private_key_jwt",
                  "set token_auth_method = private_key_jwt, or remove it");
  if (door__cfg_in_list(&p->allowed_algs, "HS256") && !p->client_secret &&
      p->token_auth_method == DOOR_TOKEN_AUTH_PRIVATE_KEY_JWT)
    door__cfg_err(c, door__cfg_line(s, "allowed_algs"), "allowed_algs",
                  DOOR_ECONFIG_CONFLICT,
                  "HS256 needs a client_secret to verify with",
                  "add client_secret, or remove HS256");
  if (door__cfg_value(s, "discovery")->set && !p->discovery) {
    for (i = 0; i < sizeof manual / sizeof manual[0]; i++) {
      if (door__cfg_value(s, manual[i])->set ||
          s->given[door__cfg_value(s, manual[i]) - s->vals])
        continue;
      door__cfg_err(c, door__cfg_line(s, "discovery"), manual[i],
                    DOOR_ECONFIG_MISSING,
                    "discovery is off, so this endpoint must be given",
                    "add it, or set discovery = yes");
    }
    if (p->userinfo && !p->userinfo_endpoint &&
        !s->given[door__cfg_value(s, "userinfo_endpoint") - s->vals])
      door__cfg_err(c, door__cfg_line(s, "userinfo"), "userinfo_endpoint",
                    DOOR_ECONFIG_MISSING,
                    "discovery is off and userinfo is yes, so "
                    "userinfo_endpoint must be given",
                    "add it, or set userinfo = no");
  }
}

static void door__cfg_check_event(door__cfg_ctx *c,
                                  const door_config_section *s,
                                  const door_event_config *e) {
  size_t i, j;
  door_buf what, hint;
  if (door__cfg_value(s, "start")->set && door__cfg_value(s, "end")->set &&
      e->end <= e->start)
    door__cfg_err(c, door__cfg_line(s, "end"), "end", DOOR_ECONFIG_CONFLICT,
                  "the event ends before it starts",
                  "make end later than start");
  door__buf_init(&what, 256);
  door__buf_init(&hint, 512);
  for (i = 0; i < e->providers.n; i++) {
    const char *name = e->providers.items[i];
    if (door__config_provider(c->cfg, name))
      continue;
    door__buf_reset(&what);
    door__buf_reset(&hint);
    if (door__buf_puts(&what, "no [provider \"") ||
        door__buf_puts(&what, name) || door__buf_puts(&what, "\"] section") ||
        door__buf_puts(&hint, c->cfg->nproviders ? "providers defined:"
                                                 : "no provider is defined"))
      c->oom = 1;
    for (j = 0; j < c->cfg->nproviders && hint.len < 150; j++)
      if (door__buf_putc(&hint, ' ') ||
          door__buf_puts(&hint, c->cfg->providers[j].name))
        c->oom = 1;
    door__cfg_err(c, door__cfg_line(s, "providers"), "providers",
                  DOOR_ECONFIG_REFERENCE, door__buf_str(&what),
                  door__buf_str(&hint));
  }
  door__buf_free(&what);
  door__buf_free(&hint);
}

void door__cfg_cross_check(door__cfg_ctx *c) {
  door_config *cfg = c->cfg;
  size_t i, ne = 0;
  door__cfg_check_broker(c);
  for (i = 0; i < cfg->nproviders; i++)
    door__cfg_check_provider(c, &cfg->providers[i]);
  for (i = 0; i < cfg->nsections; i++) {
    const door_config_section *s = cfg->sections[i];
    if (s->kind == DOOR__CFG_EVENT && s->nvals && ne < cfg->nevents)
      door__cfg_check_event(c, s, &cfg->events[ne++]);
  }
}
