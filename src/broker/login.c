/* Logins through the broker: begin (plain or to link), finish with the
 * account mapping, linking and a new session (see doorauth/broker.h,
 * Accounts and Linking). */
#include "broker/broker_int.h"
#include "jose/jose.h"
#include "oidc/oidc.h"
#include "util/url.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* Counters of configured providers only: names from URLs never make
 * metric series. */
static door_m_provider *door__m_of(door_broker *b, door__bgen *g,
                                   const char *provider) {
  if (!door__bgen_provider(g, provider))
    return NULL;
  return door__metrics_provider(&b->metrics, provider);
}

static void door__count_begin(door_broker *b, door__bgen *g,
                              const char *provider, door_err err) {
  door_m_provider *m = door__m_of(b, g, provider);
  if (m)
    atomic_fetch_add(err ? &m->begin_failed : &m->begins, 1);
}

door_err door_broker_login_begin(door_broker *b, const door_broker_begin *p,
                                 const char *cookie_header,
                                 door_broker_reply *out, door_detail *d) {
  door__bgen *g;
  door_store_session s;
  uint8_t hash[DOOR_STORE_HASH_LEN];
  door_login_params lp;
  door_login_start st;
  door_txlog tx;
  door_buf c;
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!b || !p || !out || !p->provider)
    return DOOR_EINVAL;
  door_txlog_init(&tx);
  memset(&s, 0, sizeof s);
  memset(&st, 0, sizeof st);
  door__buf_init(&c, 8192);
  g = door__bgen_get(b);
  if (!door__bgen_provider(g, p->provider)) {
    err = door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, "provider",
                          "no provider of that name is configured", NULL);
    goto out;
  }
  memset(&lp, 0, sizeof lp);
  lp.provider = p->provider;
  lp.return_to = p->return_to;
  lp.login_hint = p->login_hint;
  lp.prompt = p->prompt;
  lp.tx = &tx;
  if (p->link) {
    /* Only the signed-in account, through its own page (CSRF token). */
    if ((err = door__session_lookup(b, g, cookie_header, &s, hash, d)))
      goto out;
    if (door__csrf_verify(s.csrf, s.csrf_len, p->csrf_token)) {
      err = door_detail_set(d, DOOR_EBROKER_CSRF, "csrf_token",
                            "the link request did not come from the account "
                            "page",
                            "go back to the account page and try again");
      goto out;
    }
    lp.link_account = s.account_id;
    lp.prompt = "login"; /* a fresh login at the provider */
  }
  if ((err = door_login_begin(g->rp, &lp, &st, d)))
    goto out;
  if (!(out->location = strdup(st.authorization_url))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  if ((err = door__buf_puts(&c, st.set_cookie)))
    goto out;
  err = door__reply_cookie(out, &c);
out:
  /* The redirect (or its refusal), with the account when linking; written
   * without an fsync of its own: the login's commit makes it durable. */
  door__broker_record(b, g, &tx,
                      p->link && s.account_id[0] ? s.account_id : NULL);
  door__count_begin(b, g, p->provider, err);
  if (err) {
    door_broker_reply_clear(out);
    door__log(&g->log, DOOR_LOG_WARN, "broker.begin_failed", "provider",
              p->provider, "err", door_err_name(err), "link",
              p->link ? "yes" : "no", NULL);
  }
  door__store_session_clear(&s);
  door_login_start_clear(&st);
  door__buf_free(&c);
  door__bgen_put(g);
  return err;
}

/* ---- logins in flight ------------------------------------------------------
 */

door_err door__inflight_init(door__inflight *f) {
  memset(f, 0, sizeof *f);
  return pthread_mutex_init(&f->mu, NULL) ? DOOR_ENOMEM : DOOR_OK;
}

void door__inflight_destroy(door__inflight *f) {
  free(f->e);
  pthread_mutex_destroy(&f->mu);
  memset(f, 0, sizeof *f);
}

/* The entry of `h` (mine: registered by this thread), or f->n. */
static size_t door__inflight_at(const door__inflight *f, const uint8_t h[32],
                                int mine) {
  size_t i;
  for (i = 0; i < f->n; i++)
    if (memcmp(f->e[i].h, h, 32) == 0 &&
        (!mine || pthread_equal(f->e[i].owner, pthread_self())))
      return i;
  return f->n;
}

door_err door__inflight_add(door__inflight *f, const char *key,
                            int64_t expires_at, int64_t now) {
  uint8_t h[32];
  size_t i;
  door_err err = DOOR_OK;
  SHA256((const unsigned char *)key, strlen(key), h);
  pthread_mutex_lock(&f->mu);
  for (i = 0; i < f->n;) /* drop what a lost call left behind */
    if (f->e[i].expires_at < now)
      f->e[i] = f->e[--f->n];
    else
      i++;
  if (door__inflight_at(f, h, 0) < f->n) {
    err = DOOR_ELOGIN_REPLAYED;
  } else if (f->n >= DOOR__INFLIGHT_MAX) {
    err = DOOR_ETOOBIG;
  } else {
    if (f->n == f->cap) {
      size_t cap = f->cap ? f->cap * 2 : 32;
      door__inflight_entry *e = realloc(f->e, cap * sizeof *e);
      if (!e) {
        err = DOOR_ENOMEM;
        goto out;
      }
      f->e = e;
      f->cap = cap;
    }
    memcpy(f->e[f->n].h, h, 32);
    f->e[f->n].owner = pthread_self();
    f->e[f->n++].expires_at = expires_at;
  }
out:
  pthread_mutex_unlock(&f->mu);
  return err;
}

int door__inflight_find(door__inflight *f, const char *key,
                        int64_t *expires_at) {
  uint8_t h[32];
  size_t i;
  int found;
  SHA256((const unsigned char *)key, strlen(key), h);
  pthread_mutex_lock(&f->mu);
  i = door__inflight_at(f, h, 1);
  found = i < f->n;
  if (found)
    *expires_at = f->e[i].expires_at;
  pthread_mutex_unlock(&f->mu);
  return found;
}

void door__inflight_remove(door__inflight *f, const char *key) {
  uint8_t h[32];
  size_t i;
  SHA256((const unsigned char *)key, strlen(key), h);
  pthread_mutex_lock(&f->mu);
  i = door__inflight_at(f, h, 1);
  if (i < f->n)
    f->e[i] = f->e[--f->n];
  pthread_mutex_unlock(&f->mu);
}

/* The replay-guard key of the callback's state, as door_login_finish
 * derives it (door__login_replay_key, the function finish.c uses):
 * DOOR_OK with the key in `out` only when the guard saw it during this
 * finish (it is in flight), so a derivation that drifted apart fails
 * closed instead of leaving the state unused. */
static door_err door__state_key(door_broker *b, const char *query,
                                door_buf *out, int64_t *expires_at) {
  door_kvlist kv;
  const char *state;
  door_err err;
  door__kvlist_init(&kv);
  err = door__form_parse(query, strlen(query), 64, 8192, &kv);
  state = err ? NULL : door__kvlist_get(&kv, "state", NULL);
  if (!state) {
    door__kvlist_free(&kv);
    return DOOR_ENOTFOUND;
  }
  err = door__login_replay_key(state, out);
  door__kvlist_free(&kv);
  if (!err &&
      !door__inflight_find(&b->inflight, door__buf_str(out), expires_at))
    err = DOOR_ENOTFOUND;
  return err;
}

/* ---- the finish
 * ---------------------------------------------------------------
 */

/* Provider tokens are sealed like participation.c's door__broker_keep_tokens
 * (AES-256-GCM under the key derived from cookie_key, bound to the account
 * and the provider), inside the commit once the account is known. */
typedef struct door__tok_ctx {
  door__bgen *g;
  const char *provider;
  const door_login_tokens *t;
  door_buf at, rt;
} door__tok_ctx;

static void door__tok_wipe(door__tok_ctx *x) {
  if (x->at.data)
    OPENSSL_cleanse(x->at.data, x->at.len);
  if (x->rt.data)
    OPENSSL_cleanse(x->rt.data, x->rt.len);
  door__buf_reset(&x->at);
  door__buf_reset(&x->rt);
}

static door_err door__tok_seal(void *ud, const char *account_id,
                               door_store_tokens_new *n) {
  door__tok_ctx *x = ud;
  uint8_t h[DOOR_STORE_HASH_LEN];
  door_err err;
  door__tok_wipe(x);
  SHA256((const unsigned char *)account_id, strlen(account_id), h);
  err = door__hint_seal(x->g->hint_key, DOOR__TOK_ACCESS, h, x->provider,
                        x->t->access_token, &x->at);
  if (!err && x->t->refresh_token)
    err = door__hint_seal(x->g->hint_key, DOOR__TOK_REFRESH, h, x->provider,
                          x->t->refresh_token, &x->rt);
  if (err) {
    /* Not fatal to the login: a participation check then asks for a new
     * sign-in (TICKETS_RELOGIN_NEEDED). */
    door__log(&x->g->log, DOOR_LOG_WARN, "broker.tokens_not_kept", "provider",
              x->provider, "err", door_err_name(err), NULL);
    door__tok_wipe(x);
    return DOOR_OK;
  }
  n->access_token = (const uint8_t *)x->at.data;
  n->access_len = x->at.len;
  n->refresh_token = x->rt.len ? (const uint8_t *)x->rt.data : NULL;
  n->refresh_len = x->rt.len;
  n->expires_at = x->t->expires_at;
  n->scope = x->t->scope;
  return DOOR_OK;
}

/* Everything the login writes, in one store transaction
 * (door__store_login_commit): the state's one-time use, the mapping or the
 * link, the end of this browser's old session, the new session, the audit
 * row, the provider tokens; then the cookies. */
static door_err
door__finish_commit(door_broker *b, door__bgen *g, const door_login_result *r,
                    const char *state_key, int64_t state_expires_at,
                    const door__txrows *rows, const char *cookie_header,
                    door_broker_reply *out, door_detail *d) {
  door_store_session s;
  door__session_prep sp;
  door_store_login in;
  door_store_login_result res;
  door__tok_ctx tok;
  uint8_t hash[DOOR_STORE_HASH_LEN];
  const char *v;
  size_t n;
  uint64_t t0;
  door_err err;
  memset(&s, 0, sizeof s);
  memset(&in, 0, sizeof in);
  memset(&tok, 0, sizeof tok);
  door__buf_init(&tok.at, 64 << 10);
  door__buf_init(&tok.rt, 64 << 10);
  err = door__session_prepare(b, g, NULL, r->provider, r->issuer, NULL,
                              r->subject, r->tokens.id_token, &sp);
  if (err)
    goto out;
  in.mode = DOOR_STORE_LOGIN_SIGNIN;
  in.now = sp.s.now;
  in.state_key = state_key;
  in.state_expires_at = state_expires_at;
  in.issuer = r->issuer;
  in.subject = r->subject;
  in.provider = r->provider;
  in.kept_claims_json = r->claims_json;
  in.session = sp.s;
  in.tx = rows->rows; /* the store sets the mapped account */
  in.n_tx = rows->n;
  if (r->link_account) {
    /* Only the session that started the link, still on that account. */
    err = door__session_lookup(b, g, cookie_header, &s, hash, d);
    if (err && err != DOOR_EBROKER_NO_SESSION)
      goto out; /* the store failed: say so, not "another session" */
    if (err || strcmp(s.account_id, r->link_account) != 0) {
      err = door_detail_set(d, DOOR_EBROKER_LINK_SESSION, "session",
                            "linking finished in another session than the "
                            "one that started it (signed out, or another "
                            "account)",
                            "sign in and start linking again");
      goto out;
    }
    in.mode = DOOR_STORE_LOGIN_LINK;
    in.link_account = s.account_id;
    in.old_session_hash = hash; /* a new id for the new state of the account */
  } else if (!door__session_cookie_find(cookie_header, g->secure, &v, &n) &&
             !door__session_id_hash(v, n, hash)) {
    in.old_session_hash = hash; /* a new id at every login */
  }
  if (r->tokens.access_token &&
      door__broker_keeps_tokens(g->cfg, r->provider)) {
    tok.g = g;
    tok.provider = r->provider;
    tok.t = &r->tokens;
    in.tokens = door__tok_seal;
    in.tokens_ud = &tok;
  }
  err = DOOR__ST(b, t0, r->link_account ? DOOR_M_ST_LINK : DOOR_M_ST_LOGIN,
                 door__store_login_commit(b->store, &in, &res, d));
  if (err == DOOR_ESTORE_DUPLICATE)
    err = door_detail_set(d, DOOR_ELOGIN_REPLAYED, "state",
                          "this sign-in was already used", "sign in again");
  else if (err == DOOR_ESTORE_IDENTITY_TAKEN)
    door_detail_set(d, err, r->provider,
                    "this identity is already linked to another DOOR "
                    "account; it was not moved",
                    "sign in with it to use that account, or unlink it "
                    "there first");
  if (err)
    goto out;
  memcpy(out->account_id, res.account_id, sizeof out->account_id);
  out->account_created = res.created;
  out->linked = r->link_account != NULL;
  err = door__session_cookies(b, g, &sp, r->provider, r->tokens.id_token, out);
out:
  door__tok_wipe(&tok);
  door__buf_free(&tok.at);
  door__buf_free(&tok.rt);
  door__session_prep_clear(&sp);
  door__store_session_clear(&s);
  OPENSSL_cleanse(hash, sizeof hash);
  return err;
}

/* A login that passed the replay guard and failed after it still uses its
 * state up (nothing else is written). */
static void door__finish_failed(door_broker *b, door__bgen *g,
                                const char *provider, const char *state_key,
                                int64_t state_expires_at,
                                const door__txrows *rows) {
  door_store_login in;
  door_store_login_result res;
  door_detail d;
  uint64_t t0;
  memset(&in, 0, sizeof in);
  door_detail_clear(&d);
  in.mode = DOOR_STORE_LOGIN_FAILED;
  in.now = door__broker_now(b);
  in.state_key = state_key;
  in.state_expires_at = state_expires_at;
  in.tx = rows->rows; /* without account: the login did not complete */
  in.n_tx = rows->n;
  if (DOOR__ST(b, t0, DOOR_M_ST_STATE,
               door__store_login_commit(b->store, &in, &res, &d)))
    door__log(&g->log, DOOR_LOG_WARN, "broker.state_not_recorded", "provider",
              provider, "err", door_err_name(d.code), "what", d.what, NULL);
}

static void door__count_finish(door_broker *b, door__bgen *g,
                               const char *provider, door_err err,
                               const door_broker_reply *out, uint64_t t0) {
  door_m_provider *m = door__m_of(b, g, provider);
  uint64_t now = door__m_now_us();
  if (!m)
    return;
  if (err)
    atomic_fetch_add(&m->failed[err < DOOR_ERR_COUNT_ ? err : DOOR_EINTERNAL],
                     1);
  else
    atomic_fetch_add(&m->ok[out->linked            ? DOOR_M_OK_LINKED
                            : out->account_created ? DOOR_M_OK_CREATED
                                                   : DOOR_M_OK_SIGNIN],
                     1);
  door__m_hist_observe(&m->finish, now > t0 ? now - t0 : 0);
}

door_err door_broker_login_finish(door_broker *b, const char *provider,
                                  const char *query, const char *cookie_header,
                                  door_broker_reply *out, door_detail *d) {
  door__bgen *g;
  door_login_result r;
  door_detail local;
  door_txlog tx;
  door__txrows rows;
  door_buf c, key;
  uint64_t t0 = door__m_now_us();
  int64_t key_expires = 0;
  int mapping = 0; /* failures past door_login_finish are logged here */
  int guarded = 0; /* the state passed the replay guard: in flight */
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!b || !out)
    return DOOR_EINVAL;
  if (!d)
    d = &local;
  door_detail_clear(d);
  memset(&r, 0, sizeof r);
  memset(&rows, 0, sizeof rows);
  door_txlog_init(&tx);
  door__buf_init(&c, 1024);
  door__buf_init(&key, 128);
  g = door__bgen_get(b);
  if (!query)
    query = "";
  err = door_login_finish(g->rp, provider, query, cookie_header, &tx, &r, d);
  guarded = err != DOOR_ELOGIN_REPLAYED &&
            door__state_key(b, query, &key, &key_expires) == DOOR_OK;
  if (door__txrows_make(&tx, NULL, &rows) != DOOR_OK) {
    door__txrows_free(&rows);
    memset(&rows, 0, sizeof rows); /* the login goes on; logged below */
    door__log(&g->log, DOOR_LOG_WARN, "broker.transmissions_not_recorded",
              "provider", provider, NULL);
  }
  if (r.clear_cookie && !door__buf_puts(&c, r.clear_cookie) &&
      door__reply_cookie(out, &c) != DOOR_OK && !err)
    err = DOOR_ENOMEM;
  if (err)
    goto out;
  mapping = 1;
  if (!guarded) {
    err = door_detail_set(d, DOOR_EINTERNAL, "replay guard",
                          "the sign-in's one-time use could not be recorded",
                          "sign in again");
    goto out;
  }
  err = door__finish_commit(b, g, &r, door__buf_str(&key), key_expires, &rows,
                            cookie_header, out, d);
  if (err)
    goto out;
  if (!(out->location = strdup(r.return_to ? r.return_to : "/"))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  door__log(&g->log, DOOR_LOG_INFO, "broker.login", "provider", r.provider,
            "account", out->account_id, "result",
            out->linked            ? "linked"
            : out->account_created ? "created"
                                   : "signed_in",
            NULL);
out:
  if (guarded) {
    /* Committed, or failed after the guard: the state is used up either
     * way (a refused replay needs no record). */
    if (err && err != DOOR_ELOGIN_REPLAYED)
      door__finish_failed(b, g, provider, door__buf_str(&key), key_expires,
                          &rows);
    door__inflight_remove(&b->inflight, door__buf_str(&key));
  } else if (rows.n) {
    door__broker_record(b, g, &tx, NULL); /* calls made, no commit */
  }
  door__count_finish(b, g, provider, err, out, t0);
  if (err) {
    /* No session, no location: keep only the cookie deletions. */
    char *keep[DOOR_BROKER_MAX_COOKIES];
    size_t i, n = out->n_set_cookie;
    for (i = 0; i < n; i++)
      keep[i] = out->set_cookie[i];
    out->n_set_cookie = 0;
    if (r.clear_cookie && n > 0) {
      /* The first is the pending-login deletion: still to be sent. */
      for (i = 1; i < n; i++)
        door__broker_free_secret(keep[i]);
      n = 1;
    } else {
      for (i = 0; i < n; i++)
        door__broker_free_secret(keep[i]);
      n = 0;
    }
    door_broker_reply_clear(out);
    for (i = 0; i < n; i++)
      out->set_cookie[out->n_set_cookie++] = keep[i];
    if (mapping)
      door__log(&g->log, DOOR_LOG_WARN, "broker.login_failed", "provider",
                provider, "err", door_err_name(err), "what", d->what, NULL);
  }
  door_login_result_clear(&r);
  door__txrows_free(&rows);
  door__buf_free(&c);
  door__buf_free(&key);
  door__bgen_put(g);
  return err;
}
