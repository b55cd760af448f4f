/* Scripted OpenID Provider for unit tests (see fake_op.h).  Handlers run
 * on the fixture's threads: they never use the T_ macros. */
#include "fake_op.h"

#include "util/errlist.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap)
    n = cap - 1;
  if (n)
    memcpy(dst, src, n);
  dst[n] = '\0';
}

static const char *s_or(const char *s) { return s ? s : ""; }

static void put_json(fx_resp *rs, unsigned status, json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT);
  rs->status = status;
  if (s)
    door__buf_puts(&rs->body, s);
  free(s);
  json_decref(j);
}

static void put_error(fx_resp *rs, unsigned status, const char *error) {
  put_json(rs, status,
           json_pack("{s:s, s:s}", "error", error, "error_description",
                     "rejected by the fake OP"));
}

static void discovery(op *o, fx_resp *rs) {
  json_t *j;
  char a[160], t[160], u[160], k[160];
  copy(a, sizeof a, o->base);
  strncat(a, o->mode == OP_DACCOUNT ? "/cgi8/oidc/authorize" : "/authorize",
          sizeof a - strlen(a) - 1);
  copy(t, sizeof t, o->base);
  strncat(t, "/token", sizeof t - strlen(t) - 1);
  copy(u, sizeof u, o->base);
  strncat(u, "/userinfo", sizeof u - strlen(u) - 1);
  copy(k, sizeof k, o->base);
  strncat(k, "/jwks", sizeof k - strlen(k) - 1);
  o->disco_calls++;
  j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "issuer", o->issuer,
                "authorization_endpoint", a, "token_endpoint", t,
                "userinfo_endpoint", u, "jwks_uri", k,
                "response_types_supported", "code");
  if (o->mode == OP_DACCOUNT) {
    json_object_set_new(j, "id_token_signing_alg_values_supported",
                        json_pack("[s,s]", "HS256", "RS256"));
  } else {
    json_object_set_new(j, "id_token_signing_alg_values_supported",
                        json_pack("[s]", "ES256"));
    json_object_set_new(j, "code_challenge_methods_supported",
                        json_pack("[s]", "S256"));
    json_object_set_new(j, "authorization_response_iss_parameter_supported",
                        json_boolean(o->declare_iss));
  }
  put_json(rs, 200, j);
}

static void jwks(op *o, fx_resp *rs) {
  door_jwks *set = NULL;
  unsigned flags = 0;
  o->jwks_calls++;
  if (o->mode == OP_DACCOUNT)
    flags = DOOR_JWK_OUT_OMIT_KID | DOOR_JWK_OUT_OMIT_ALG | DOOR_JWK_OUT_PAD_N;
  if (door__jwks_from_keys(&o->key, 1, &set) == DOOR_OK) {
    door__jwks_to_json(set, flags, &rs->body);
    rs->status = 200;
  }
  door__jwks_unref(set);
}

/* "Basic " + base64(form(client_id) ":" form(secret)). */
static void expected_basic(const op *o, char *out, size_t cap) {
  door_buf raw;
  unsigned char enc[1024];
  int n;
  door__buf_init(&raw, 1024);
  door__url_encode(&raw, o->client_id, strlen(o->client_id));
  door__buf_putc(&raw, ':');
  door__url_encode(&raw, o->secret, strlen(o->secret));
  n = EVP_EncodeBlock(enc, (const unsigned char *)raw.data, (int)raw.len);
  if (n < 0 || (size_t)n + 7 > cap)
    n = 0;
  memcpy(out, "Basic ", 6);
  memcpy(out + 6, enc, (size_t)n);
  out[6 + n] = '\0';
  door__buf_free(&raw);
}

/* The grant of "CODE-<n>", or NULL. */
static const struct op_grant *find_grant(const op *o, const char *code) {
  long n;
  char *end;
  if (!code || strncmp(code, "CODE-", 5) != 0)
    return NULL;
  n = strtol(code + 5, &end, 10);
  if (*end || n < 1 || n > o->ngrants)
    return NULL;
  return &o->grants[n - 1];
}

static int pkce_ok(const struct op_grant *o, const char *verifier) {
  unsigned char h[32];
  door_buf b;
  int ok;
  if (!o->challenge[0])
    return 1;
  if (!verifier)
    return 0;
  SHA256((const unsigned char *)verifier, strlen(verifier), h);
  door__buf_init(&b, 128);
  door__b64url_encode(h, sizeof h, &b);
  ok = strcmp(door__buf_str(&b), o->challenge) == 0;
  door__buf_free(&b);
  return ok;
}

static void sign_id_token(op *o, const struct op_grant *g, door_buf *out) {
  door_jwk *k = o->key, *stray = NULL;
  door_alg alg = o->alg;
  door_buf h;
  json_t *c;
  char *payload;
  door__buf_init(&h, 128);
  if (o->sign_hs256) {
    k = o->hs_key;
    alg = DOOR_ALG_HS256;
  }
  if (o->bad_kid) {
    door__jwk_generate(DOOR_ALG_ES256, "k-unknown", &stray);
    k = stray;
    alg = DOOR_ALG_ES256;
  }
  door__jose_half_hash(alg, "AT-1", 4, &h);
  c = json_pack(
      "{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss",
      o->iss_override ? o->iss_override : o->issuer, "aud",
      o->aud_override ? o->aud_override : g->client_id, "sub", "user-1",
      "nonce", o->nonce_override ? o->nonce_override : g->nonce, "iat",
      (json_int_t)*o->now, "exp", (json_int_t)(*o->now + 300 + o->exp_offset),
      "at_hash", door__buf_str(&h));
  json_object_set_new(c, "email", json_string("idtoken@example.jp"));
  payload = json_dumps(c, JSON_COMPACT);
  door__jws_sign(k, alg, NULL, payload, strlen(payload), out);
  free(payload);
  json_decref(c);
  door__buf_free(&h);
  door__jwk_unref(stray);
}

static void token(op *o, const fx_req *rq, fx_resp *rs) {
  door_kvlist f;
  door_buf idt;
  json_t *j;
  const char *secret;
  const struct op_grant *g;
  o->token_calls++;
  copy(o->token_path, sizeof o->token_path, rq->path);
  copy(o->authorization, sizeof o->authorization, rq->authorization);
  copy(o->token_form, sizeof o->token_form, rq->body);
  door__kvlist_init(&f);
  door__form_parse(rq->body, rq->body_len, 32, 4096, &f);
  if (o->check_basic) {
    char want[1024];
    expected_basic(o, want, sizeof want);
    if (!rq->authorization || strcmp(rq->authorization, want) != 0) {
      put_error(rs, 401, "invalid_client");
      goto out;
    }
  } else {
    secret = door__kvlist_get(&f, "client_secret", NULL);
    if (!rq->authorization && (!secret || strcmp(secret, o->secret) != 0)) {
      put_error(rs, 401, "invalid_client");
      goto out;
    }
  }
  if (o->token_error) {
    put_error(rs, 400, o->token_error);
    goto out;
  }
  g = find_grant(o, door__kvlist_get(&f, "code", NULL));
  if (strcmp(s_or(door__kvlist_get(&f, "grant_type", NULL)),
             "authorization_code") != 0 ||
      !g ||
      strcmp(s_or(door__kvlist_get(&f, "redirect_uri", NULL)),
             g->redirect_uri) != 0 ||
      !pkce_ok(g, door__kvlist_get(&f, "code_verifier", NULL))) {
    put_error(rs, 400, "invalid_grant");
    goto out;
  }
  door__buf_init(&idt, 1 << 16);
  sign_id_token(o, g, &idt);
  j = json_pack("{s:s, s:s, s:i, s:s}", "access_token", "AT-1", "token_type",
                o->token_type ? o->token_type : "Bearer", "expires_in", 3600,
                "refresh_token", "RT-1");
  if (!o->omit_id_token)
    json_object_set_new(j, "id_token", json_string(door__buf_str(&idt)));
  door__buf_free(&idt);
  put_json(rs, 200, j);
out:
  door__kvlist_free(&f);
}

static void userinfo(op *o, const fx_req *rq, fx_resp *rs) {
  o->userinfo_calls++;
  copy(o->userinfo_auth, sizeof o->userinfo_auth, rq->authorization);
  if (!rq->authorization || strcmp(rq->authorization, "Bearer AT-1") != 0) {
    put_error(rs, 401, "invalid_token");
    return;
  }
  put_json(rs, 200,
           json_pack("{s:s, s:s, s:s}", "sub",
                     o->userinfo_sub ? o->userinfo_sub : "user-1", "email",
                     "userinfo@example.jp", "name", "User One"));
}

static void tickets(op *o, const fx_req *rq, fx_resp *rs) {
  o->tickets_calls++;
  copy(o->tickets_query, sizeof o->tickets_query,
       door__kvlist_get(&rq->args, "event_id", NULL));
  if (!rq->authorization || strcmp(rq->authorization, "Bearer AT-1") != 0) {
    put_error(rs, 401, "invalid_token");
    return;
  }
  rs->status = o->tickets_status ? o->tickets_status : 200;
  door__buf_puts(&rs->body,
                 o->tickets_body ? o->tickets_body : "{\"tickets\":[]}");
}

static void handle(void *ud, const fx_req *rq, fx_resp *rs) {
  op *o = ud;
  const char *p = rq->path;
  if (strcmp(p, "/.well-known/openid-configuration") == 0)
    discovery(o, rs);
  else if (strcmp(p, "/jwks") == 0)
    jwks(o, rs);
  else if (strcmp(p, "/token") == 0 || strcmp(p, "/common/token") == 0)
    token(o, rq, rs);
  else if (strcmp(p, "/userinfo") == 0)
    userinfo(o, rq, rs);
  else if (strcmp(p, "/api/v1/tickets") == 0)
    tickets(o, rq, rs);
}

int op_start(op *o, op_mode mode, int64_t *now) {
  char port[24];
  memset(o, 0, sizeof *o);
  o->mode = mode;
  o->now = now;
  o->secret = "s3cr:t+/= x";
  if (mode == OP_DACCOUNT) {
    o->alg = DOOR_ALG_RS256;
    if (door__jwk_generate(DOOR_ALG_RS256, NULL, &o->key))
      return -1;
  } else {
    o->alg = DOOR_ALG_ES256;
    o->declare_iss = 1;
    if (door__jwk_generate(DOOR_ALG_ES256, "k1", &o->key))
      return -1;
  }
  if (door__jwk_from_secret(o->secret, strlen(o->secret), NULL, &o->hs_key))
    return -1;
  if (fx_start(&o->srv, handle, o))
    return -1;
  port[door__u64_to_str(o->srv.port, port)] = '\0';
  copy(o->base, sizeof o->base, "http://127.0.0.1:");
  strncat(o->base, port, sizeof o->base - strlen(o->base) - 1);
  copy(o->issuer, sizeof o->issuer, o->base);
  if (mode == OP_DACCOUNT)
    strncat(o->issuer, "/", sizeof o->issuer - strlen(o->issuer) - 1);
  return 0;
}

void op_stop(op *o) {
  fx_stop(&o->srv);
  door__jwk_unref(o->key);
  door__jwk_unref(o->hs_key);
  o->key = o->hs_key = NULL;
}

void op_authorize(op *o, const char *authorization_url, door_buf *cb) {
  door_url u;
  door_kvlist q;
  char code[32] = "CODE-";
  door__kvlist_init(&q);
  if (door__url_parse(authorization_url, &u, NULL) == DOOR_OK) {
    if (u.query)
      door__form_parse(u.query, strlen(u.query), 64, 4096, &q);
    door__url_free(&u);
  }
  pthread_mutex_lock(&o->srv.mu);
  copy(o->state, sizeof o->state, door__kvlist_get(&q, "state", NULL));
  copy(o->nonce, sizeof o->nonce, door__kvlist_get(&q, "nonce", NULL));
  copy(o->challenge, sizeof o->challenge,
       door__kvlist_get(&q, "code_challenge", NULL));
  copy(o->redirect_uri, sizeof o->redirect_uri,
       door__kvlist_get(&q, "redirect_uri", NULL));
  copy(o->client_id, sizeof o->client_id,
       door__kvlist_get(&q, "client_id", NULL));
  copy(o->scope, sizeof o->scope, door__kvlist_get(&q, "scope", NULL));
  if (o->ngrants < (int)(sizeof o->grants / sizeof o->grants[0])) {
    struct op_grant *g = &o->grants[o->ngrants++];
    memcpy(g->nonce, o->nonce, sizeof g->nonce);
    memcpy(g->challenge, o->challenge, sizeof g->challenge);
    memcpy(g->redirect_uri, o->redirect_uri, sizeof g->redirect_uri);
    memcpy(g->client_id, o->client_id, sizeof g->client_id);
  }
  code[5 + door__u64_to_str((uint64_t)o->ngrants, code + 5)] = '\0';
  door__buf_reset(cb);
  door__form_append(cb, "code", code);
  door__form_append(cb, "state", s_or(door__kvlist_get(&q, "state", NULL)));
  if (o->declare_iss)
    door__form_append(cb, "iss", o->issuer);
  pthread_mutex_unlock(&o->srv.mu);
  door__kvlist_free(&q);
}

void op_cookie_of(const char *set_cookie, door_buf *out) {
  size_t n = strcspn(set_cookie, ";");
  door__buf_reset(out);
  door__buf_append(out, set_cookie, n);
}

door_config *op_config(const op *o, const char *text) {
  door_buf b;
  door_config *cfg = NULL;
  door_errlist errs;
  char port[24];
  const char *p = text, *hit;
  size_t i;
  port[door__u64_to_str(o->srv.port, port)] = '\0';
  door__buf_init(&b, 1 << 16);
  while ((hit = strstr(p, "PORT")) != NULL) {
    door__buf_append(&b, p, (size_t)(hit - p));
    door__buf_puts(&b, port);
    p = hit + 4;
  }
  door__buf_puts(&b, p);
  if (!strstr(text, "[store]"))
    door__buf_puts(&b, "[store]\nurl = sqlite:unused.db\n");
  door__errlist_init(&errs);
  if (door__config_load_mem("test.conf", b.data, b.len, NULL, &cfg, &errs)) {
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
  door__buf_free(&b);
  return cfg;
}
