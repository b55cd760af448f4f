/* Logins through the broker: begin (plain or to link), finish with the
 * account mapping, linking and a new session (see doorauth/broker.h,
 * Accounts and Linking). */
#include "broker/broker_int.h"

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
  door_buf c;
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!b || !p || !out || !p->provider)
    return DOOR_EINVAL;
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

/* Links (issuer, subject) to the account of the session that presents the
 * callback, which must be the account sealed at begin. */
static door_err door__finish_link(door_broker *b, door__bgen *g,
                                  const door_login_result *r,
                                  const char *cookie_header,
                                  door_broker_reply *out, door_detail *d) {
  door_store_session s;
  uint8_t hash[DOOR_STORE_HASH_LEN];
  int linked = 0;
  uint64_t t0;
  door_err err = door__session_lookup(b, g, cookie_header, &s, hash, d);
  if (err && err != DOOR_EBROKER_NO_SESSION)
    return err; /* the store failed: say so, not "another session" */
  if (err || strcmp(s.account_id, r->link_account) != 0) {
    door__store_session_clear(&s);
    return door_detail_set(d, DOOR_EBROKER_LINK_SESSION, "session",
                           "linking finished in another session than the one "
                           "that started it (signed out, or another "
                           "account)",
                           "sign in and start linking again");
  }
  err = DOOR__ST(b, t0, DOOR_M_ST_LINK,
                 door__store_link_identity(
                     b->store, s.account_id, r->issuer, r->subject, r->provider,
                     r->claims_json, door__broker_now(b), &linked, d));
  if (err == DOOR_ESTORE_IDENTITY_TAKEN)
    door_detail_set(d, err, r->provider,
                    "this identity is already linked to another DOOR "
                    "account; it was not moved",
                    "sign in with it to use that account, or unlink it "
                    "there first");
  if (!err) {
    memcpy(out->account_id, s.account_id, sizeof out->account_id);
    out->linked = 1;
    /* The old session ends; a new id for the new state of the account. */
    door__store_session_delete(b->store, hash, NULL);
  }
  door__store_session_clear(&s);
  return err;
}

/* Signs (issuer, subject) in: its account, or a new one. */
static door_err door__finish_login(door_broker *b, door__bgen *g,
                                   const door_login_result *r,
                                   const char *cookie_header,
                                   door_broker_reply *out, door_detail *d) {
  const char *v;
  size_t n;
  uint8_t old[DOOR_STORE_HASH_LEN];
  uint64_t t0;
  door_err err;
  err = DOOR__ST(
      b, t0, DOOR_M_ST_LOGIN,
      door__store_login_identity(b->store, r->issuer, r->subject, r->provider,
                                 r->claims_json, door__broker_now(b),
                                 out->account_id, &out->account_created, d));
  if (err)
    return err;
  /* Whatever session this browser had ends: a new id at every login. */
  if (!door__session_cookie_find(cookie_header, g->secure, &v, &n) &&
      !door__session_id_hash(v, n, old))
    DOOR__ST(b, t0, DOOR_M_ST_SESSION_DELETE,
             door__store_session_delete(b->store, old, NULL));
  return DOOR_OK;
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
  door_buf c;
  uint64_t t0 = door__m_now_us(), ta;
  int mapping = 0; /* failures past door_login_finish are logged here */
  door_err err;
  if (out)
    memset(out, 0, sizeof *out);
  if (!b || !out)
    return DOOR_EINVAL;
  if (!d)
    d = &local;
  door_detail_clear(d);
  memset(&r, 0, sizeof r);
  door__buf_init(&c, 1024);
  g = door__bgen_get(b);
  err = door_login_finish(g->rp, provider, query ? query : "", cookie_header,
                          &r, d);
  if (r.clear_cookie && !door__buf_puts(&c, r.clear_cookie) &&
      door__reply_cookie(out, &c) != DOOR_OK && !err)
    err = DOOR_ENOMEM;
  if (err)
    goto out;
  mapping = 1;
  if (r.link_account)
    err = door__finish_link(b, g, &r, cookie_header, out, d);
  else
    err = door__finish_login(b, g, &r, cookie_header, out, d);
  if (err)
    goto out;
  err = door__session_start(b, g, out->account_id, r.provider, r.issuer, NULL,
                            r.subject, r.tokens.id_token, out, d);
  if (err)
    goto out;
  door__broker_keep_tokens(b, g, out->account_id, r.provider, &r.tokens);
  if (!(out->location = strdup(r.return_to ? r.return_to : "/"))) {
    err = DOOR_ENOMEM;
    goto out;
  }
  /* The store audits account_create and link itself; sign-ins here. */
  if (!out->linked)
    DOOR__ST(b, ta, DOOR_M_ST_AUDIT,
             door__store_audit_append(
                 b->store, door__broker_now(b), out->account_id,
                 DOOR_AUDIT_LOGIN, r.provider, r.issuer,
                 out->account_created ? "new account" : "sign-in", NULL, NULL));
  door__log(&g->log, DOOR_LOG_INFO, "broker.login", "provider", r.provider,
            "account", out->account_id, "result",
            out->linked            ? "linked"
            : out->account_created ? "created"
                                   : "signed_in",
            NULL);
out:
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
  door__buf_free(&c);
  door__bgen_put(g);
  return err;
}
