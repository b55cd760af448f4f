/* door-idp scenario: clients and users (also used by the admin API). */
#include "idp/idp.h"
#include "idp/sc.h"
#include "util/json.h"
#include "util/url.h"

#include <stdlib.h>
#include <string.h>

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

/* Redirect URIs: absolute, no fragment; https, or (except at d-account,
 * which registers https only) http on a loopback host. */
static door_err check_redirect(door_idp_sc *sc, const char *s, void *ud) {
  const door_idp_profile *p = ud;
  door_url u;
  door_err err;
  int https;
  err = door__url_parse(s, &u, NULL);
  if (err)
    return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "not an absolute URL",
                             NULL);
  https = strcmp(u.scheme, "https") == 0;
  if (u.fragment)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must not have a fragment",
                            NULL);
  else if (!https && p && p->kind == DOOR_IDP_DACCOUNT)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be https",
                            "d-account registers https redirect URIs only");
  else if (!https &&
           !(strcmp(u.scheme, "http") == 0 && door__url_is_loopback(&u)))
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be https",
                            "http is accepted only on loopback hosts");
  door__url_free(&u);
  return err;
}

static door_err check_https(door_idp_sc *sc, const char *s, void *ud) {
  door_url u;
  door_err err;
  (void)ud;
  err = door__url_parse(s, &u, NULL);
  if (err)
    return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "not an absolute URL",
                             NULL);
  if (strcmp(u.scheme, "https") != 0)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be https", NULL);
  door__url_free(&u);
  return err;
}

static door_err check_grant(door_idp_sc *sc, const char *s, void *ud) {
  (void)ud;
  if (strcmp(s, "authorization_code") && strcmp(s, "refresh_token") &&
      strcmp(s, "client_credentials"))
    return door__idp_sc_fail(
        sc, DOOR_ECONFIG_VALUE, "unknown grant type",
        "authorization_code, refresh_token or client_credentials");
  return DOOR_OK;
}

static void strv_free(char **v, size_t n) {
  size_t i;
  for (i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

static const char *const client_keys[] = {"client_id",
                                          "client_secret",
                                          "name",
                                          "redirect_uris",
                                          "post_logout_redirect_uris",
                                          "token_endpoint_auth_method",
                                          "id_token_signed_response_alg",
                                          "grant_types",
                                          "scope",
                                          "backchannel_logout_uri",
                                          "backchannel_logout_session_required",
                                          "sector_identifier",
                                          "access_tokens",
                                          "description",
                                          "jwks",
                                          NULL};

static door_err client_auth(door_idp_sc *sc, door_idp_profile *p, const char *s,
                            door_idp_client *c) {
  size_t old = door__idp_sc_key(sc, "token_endpoint_auth_method");
  door_err err = DOOR_OK;
  if (!s)
    c->auth = DOOR_IDP_AUTH_BASIC;
  else if (strcmp(s, "client_secret_basic") == 0)
    c->auth = DOOR_IDP_AUTH_BASIC;
  else if (strcmp(s, "client_secret_post") == 0)
    c->auth = DOOR_IDP_AUTH_POST;
  else if (strcmp(s, "none") == 0)
    c->auth = DOOR_IDP_AUTH_NONE;
  else if (strcmp(s, "private_key_jwt") == 0)
    c->auth = DOOR_IDP_AUTH_PRIVATE_KEY_JWT;
  else
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "unknown method",
                            "client_secret_basic, client_secret_post, none "
                            "or private_key_jwt");
  if (!err && p->kind == DOOR_IDP_DACCOUNT && c->auth != DOOR_IDP_AUTH_BASIC)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "d-account requires client_secret_basic", NULL);
  if (!err && p->kind != DOOR_IDP_GENERIC &&
      c->auth == DOOR_IDP_AUTH_PRIVATE_KEY_JWT)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "private_key_jwt is offered at generic profiles "
                            "only",
                            NULL);
  if (!err)
    door__idp_sc_pop(sc, old);
  return err;
}

/* private_key_jwt: the client's public keys, a JWK set ("jwks"), required
 * with that method and refused without it. */
static door_err client_jwks(door_idp_sc *sc, const json_t *j,
                            door_idp_client *c) {
  const json_t *v = json_object_get(j, "jwks");
  size_t old = door__idp_sc_key(sc, "jwks");
  door_buf text;
  door_err err = DOOR_OK;
  int pkjwt = c->auth == DOOR_IDP_AUTH_PRIVATE_KEY_JWT;
  door__buf_init(&text, (size_t)256 << 10);
  if (!v && pkjwt)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_MISSING,
                            "private_key_jwt needs the client's public keys",
                            "give jwks: {\"keys\": [...]}");
  else if (v && !pkjwt)
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "jwks is only used with private_key_jwt", NULL);
  else if (v && (!json_is_object(v) || door__json_dump(v, &text) ||
                 door__jwks_parse(text.data, text.len, &c->jwks, NULL)))
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "not a JWK set of public RSA or P-256 keys", NULL);
  if (!err)
    door__idp_sc_pop(sc, old);
  door__buf_free(&text);
  return err;
}

static door_err client_alg(door_idp_sc *sc, door_idp_profile *p, const char *s,
                           door_idp_client *c) {
  size_t old = door__idp_sc_key(sc, "id_token_signed_response_alg");
  door_err err = DOOR_OK;
  c->id_token_alg = s ? door__alg_from_name(s, strlen(s)) : p->default_alg;
  if (!(c->id_token_alg & p->id_algs))
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "algorithm not offered by this profile",
                            p->kind == DOOR_IDP_DACCOUNT  ? "RS256 or HS256"
                            : p->kind == DOOR_IDP_XMARKET ? "ES256"
                                                          : "RS256 or ES256");
  if (!err && c->id_token_alg == DOOR_ALG_HS256 &&
      (!c->client_secret || strlen(c->client_secret) < 32))
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "HS256 needs a client_secret of 32 bytes or more",
                            NULL);
  if (!err)
    door__idp_sc_pop(sc, old);
  return err;
}

door_err door__idp_client_from_json(door_idp_profile *p, const json_t *j,
                                    const char *where, door_idp_client **out,
                                    door_detail *d) {
  door_idp_sc sc;
  door_idp_client *c = NULL;
  const char *id = NULL, *secret = NULL, *name = NULL, *method = NULL,
             *alg = NULL, *scope = NULL, *bcl = NULL, *sector = NULL,
             *at = NULL;
  char **grants = NULL;
  size_t ngrants = 0, i, old;
  int session_req = 0;
  door_err err;
  door__idp_sc_init(&sc, d, NULL, where);
  *out = NULL;
  if (!json_is_object(j)) {
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE, "must be an object", NULL);
    goto out;
  }
  err = door__idp_sc_known(&sc, j, client_keys);
  if (!err)
    err = door__idp_sc_str(&sc, j, "client_id", &id);
  if (!err)
    err = door__idp_sc_str(&sc, j, "client_secret", &secret);
  if (!err)
    err = door__idp_sc_str(&sc, j, "name", &name);
  if (!err)
    err = door__idp_sc_str(&sc, j, "token_endpoint_auth_method", &method);
  if (!err)
    err = door__idp_sc_str(&sc, j, "id_token_signed_response_alg", &alg);
  if (!err)
    err = door__idp_sc_str(&sc, j, "scope", &scope);
  if (!err)
    err = door__idp_sc_str(&sc, j, "backchannel_logout_uri", &bcl);
  if (!err)
    err = door__idp_sc_str(&sc, j, "sector_identifier", &sector);
  if (!err)
    err = door__idp_sc_str(&sc, j, "access_tokens", &at);
  if (!err)
    err = door__idp_sc_bool(&sc, j, "backchannel_logout_session_required",
                            &session_req);
  if (err)
    goto out;
  if (!id || !*id) {
    old = door__idp_sc_key(&sc, "client_id");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_MISSING, "client_id is required",
                            NULL);
    goto out;
  }
  c = calloc(1, sizeof *c);
  if (!c) {
    err = DOOR_ENOMEM;
    goto out;
  }
  atomic_init(&c->refs, 1);
  c->access_jwt = -1;
  c->backchannel_session_required = session_req;
  if (!(c->client_id = dup_str(id)) ||
      (secret && !(c->client_secret = dup_str(secret))) ||
      !(c->name = dup_str(name ? name : id)) ||
      (scope && !(c->scope = dup_str(scope))) ||
      (bcl && !(c->backchannel_logout_uri = dup_str(bcl))) ||
      (sector && !(c->sector = dup_str(sector)))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  err = client_auth(&sc, p, method, c);
  if (err)
    goto out;
  err = client_jwks(&sc, j, c);
  if (err)
    goto out;
  if (c->auth != DOOR_IDP_AUTH_NONE &&
      c->auth != DOOR_IDP_AUTH_PRIVATE_KEY_JWT && (!secret || !*secret)) {
    old = door__idp_sc_key(&sc, "client_secret");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_MISSING,
                            "client_secret is required for this "
                            "token_endpoint_auth_method",
                            "or set token_endpoint_auth_method to none");
    goto out;
  }
  err = client_alg(&sc, p, alg, c);
  if (!err)
    err = door__idp_sc_strv(&sc, j, "redirect_uris", check_redirect, p,
                            &c->redirect_uris, &c->n_redirect_uris);
  if (!err)
    err = door__idp_sc_strv(&sc, j, "post_logout_redirect_uris", check_redirect,
                            p, &c->post_logout_uris, &c->n_post_logout_uris);
  if (!err)
    err = door__idp_sc_strv(&sc, j, "grant_types", check_grant, NULL, &grants,
                            &ngrants);
  if (err)
    goto out;
  if (!grants)
    c->grants = DOOR_IDP_GRANT_CODE | DOOR_IDP_GRANT_REFRESH;
  for (i = 0; i < ngrants; i++) {
    if (strcmp(grants[i], "authorization_code") == 0)
      c->grants |= DOOR_IDP_GRANT_CODE;
    else if (strcmp(grants[i], "refresh_token") == 0)
      c->grants |= DOOR_IDP_GRANT_REFRESH;
    else
      c->grants |= DOOR_IDP_GRANT_CLIENT_CREDENTIALS;
  }
  if ((c->grants & DOOR_IDP_GRANT_CLIENT_CREDENTIALS) &&
      p->kind == DOOR_IDP_DACCOUNT) {
    old = door__idp_sc_key(&sc, "grant_types");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE,
                            "d-account has no client_credentials grant", NULL);
    goto out;
  }
  if ((c->grants & DOOR_IDP_GRANT_CODE) && c->n_redirect_uris == 0) {
    old = door__idp_sc_key(&sc, "redirect_uris");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_MISSING,
                            "at least one redirect URI is required",
                            "or leave authorization_code out of grant_types");
    goto out;
  }
  if (bcl) {
    old = door__idp_sc_key(&sc, "backchannel_logout_uri");
    err = check_https(&sc, bcl, NULL);
    if (err)
      goto out;
    door__idp_sc_pop(&sc, old);
  }
  if (at) {
    if (strcmp(at, "jwt") == 0) {
      c->access_jwt = 1;
    } else if (strcmp(at, "opaque") == 0) {
      c->access_jwt = 0;
    } else {
      old = door__idp_sc_key(&sc, "access_tokens");
      err = door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE,
                              "must be \"opaque\" or \"jwt\"", NULL);
      goto out;
    }
  }
  if (c->id_token_alg == DOOR_ALG_HS256) {
    err = door__jwk_from_secret(secret, strlen(secret), NULL, &c->hs_key);
    if (err)
      goto out;
  }
  c->json = json_deep_copy(j);
  if (!c->json) {
    err = DOOR_ENOMEM;
    goto out;
  }
  *out = c;
  c = NULL;
out:
  (void)old;
  strv_free(grants, ngrants);
  door__idp_client_unref(c);
  door__idp_sc_free(&sc);
  return err;
}

/* ---- users ----------------------------------------------------------------
 */

static const char *const user_keys[] = {"id", "claims", "tickets",
                                        "description", NULL};
static const char *const ticket_keys[] = {"ticket_id",  "event_id",    "tier",
                                          "valid_from", "valid_until", "status",
                                          NULL};

static door_err check_ticket(door_idp_sc *sc, const json_t *t) {
  const char *s = NULL;
  long long n = 0;
  door_err err;
  size_t old;
  static const char *const strs[] = {"ticket_id", "event_id", "tier"};
  size_t i;
  if (!json_is_object(t))
    return door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE, "must be an object", NULL);
  err = door__idp_sc_known(sc, t, ticket_keys);
  if (err)
    return err;
  for (i = 0; i < 3; i++) {
    s = NULL;
    err = door__idp_sc_str(sc, t, strs[i], &s);
    if (err)
      return err;
    if (!s || !*s) {
      old = door__idp_sc_key(sc, strs[i]);
      err = door__idp_sc_fail(sc, DOOR_ECONFIG_MISSING, "required", NULL);
      door__idp_sc_pop(sc, old);
      return err;
    }
  }
  err = door__idp_sc_int(sc, t, "valid_from", 0, 253402300799LL, &n);
  if (!err)
    err = door__idp_sc_int(sc, t, "valid_until", 0, 253402300799LL, &n);
  if (err)
    return err;
  s = NULL;
  err = door__idp_sc_str(sc, t, "status", &s);
  if (err)
    return err;
  if (s && strcmp(s, "active") && strcmp(s, "used") && strcmp(s, "refunded")) {
    old = door__idp_sc_key(sc, "status");
    err = door__idp_sc_fail(sc, DOOR_ECONFIG_VALUE,
                            "must be active, used or refunded", NULL);
    door__idp_sc_pop(sc, old);
  }
  return err;
}

door_err door__idp_user_from_json(door_idp_profile *p, const json_t *j,
                                  const char *where, door_idp_user **out,
                                  door_detail *d) {
  door_idp_sc sc;
  door_idp_user *u = NULL;
  const char *id = NULL;
  json_t *claims, *tickets, *t;
  size_t i, old;
  door_err err;
  (void)p;
  door__idp_sc_init(&sc, d, NULL, where);
  *out = NULL;
  if (!json_is_object(j)) {
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE, "must be an object", NULL);
    goto out;
  }
  err = door__idp_sc_known(&sc, j, user_keys);
  if (!err)
    err = door__idp_sc_str(&sc, j, "id", &id);
  if (err)
    goto out;
  if (!id || !*id) {
    door__idp_sc_key(&sc, "id");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_MISSING, "id is required", NULL);
    goto out;
  }
  claims = json_object_get(j, "claims");
  if (claims && !json_is_object(claims)) {
    door__idp_sc_key(&sc, "claims");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE, "must be an object", NULL);
    goto out;
  }
  tickets = json_object_get(j, "tickets");
  if (tickets && !json_is_array(tickets)) {
    door__idp_sc_key(&sc, "tickets");
    err = door__idp_sc_fail(&sc, DOOR_ECONFIG_VALUE, "must be an array", NULL);
    goto out;
  }
  json_array_foreach(tickets, i, t) {
    old = door__idp_sc_key(&sc, "tickets");
    door__idp_sc_index(&sc, i);
    err = check_ticket(&sc, t);
    if (err)
      goto out;
    door__idp_sc_pop(&sc, old);
  }
  u = calloc(1, sizeof *u);
  if (!u) {
    err = DOOR_ENOMEM;
    goto out;
  }
  atomic_init(&u->refs, 1);
  u->id = dup_str(id);
  u->claims = claims ? json_deep_copy(claims) : json_object();
  u->tickets = tickets ? json_deep_copy(tickets) : json_array();
  u->json = json_deep_copy(j);
  if (!u->id || !u->claims || !u->tickets || !u->json) {
    err = DOOR_ENOMEM;
    goto out;
  }
  /* Tickets without a status are active. */
  json_array_foreach(u->tickets, i, t) {
    if (!json_object_get(t, "status"))
      json_object_set_new(t, "status", json_string("active"));
  }
  *out = u;
  u = NULL;
out:
  door__idp_user_unref(u);
  door__idp_sc_free(&sc);
  return err;
}
