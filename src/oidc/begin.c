/* Begin a login: the authorization URL and the sealed pending-login
 * cookie that binds it to this browser. */
#include "oidc/outbound.h"
#include "oidc/rp_int.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* Parameters the core sets; extra_params from the configuration cannot
 * replace them. */
static const char *const door__reserved[] = {"response_type",
                                             "client_id",
                                             "redirect_uri",
                                             "scope",
                                             "state",
                                             "nonce",
                                             "code_challenge",
                                             "code_challenge_method",
                                             NULL};

static int door__is_reserved(const char *name) {
  size_t i;
  for (i = 0; door__reserved[i]; i++)
    if (strcmp(door__reserved[i], name) == 0)
      return 1;
  return 0;
}

void door_login_start_clear(door_login_start *s) {
  if (!s)
    return;
  free(s->authorization_url);
  door__oidc_free_secret(s->set_cookie);
  free(s->cookie_name);
  memset(s, 0, sizeof *s);
}

/* S256 code challenge of a verifier. */
static door_err door__challenge(const char *verifier, door_buf *out) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)verifier, strlen(verifier), h);
  return door__b64url_encode(h, sizeof h, out);
}

static door_err door__scope(const door_provider *p, door_buf *out) {
  const door_strlist *l = &p->cfg->scopes;
  size_t i;
  door_err err = DOOR_OK;
  if (l->n == 0)
    return door__buf_puts(out, "openid");
  for (i = 0; !err && i < l->n; i++) {
    if (i)
      err = door__buf_putc(out, ' ');
    if (!err)
      err = door__buf_puts(out, l->items[i]);
  }
  return err;
}

static door_err door__extra_params(const door_provider *p, door_kvlist *q) {
  door_kvlist extra;
  const char *e = p->cfg->extra_params;
  size_t i;
  door_err err;
  if (!e || !*e)
    return DOOR_OK;
  door__kvlist_init(&extra);
  err = door__form_parse(e, strlen(e), 64, 2048, &extra);
  for (i = 0; !err && i < extra.n; i++)
    if (!door__is_reserved(extra.items[i].name))
      err =
          door_provider_param_set(q, extra.items[i].name, extra.items[i].value);
  door__kvlist_free(&extra);
  return err;
}

typedef struct door_begin_secrets {
  door_buf state, nonce, verifier, challenge;
} door_begin_secrets;

static void door__secrets_free(door_begin_secrets *s) {
  door_buf *b[4];
  size_t i;
  b[0] = &s->state;
  b[1] = &s->nonce;
  b[2] = &s->verifier;
  b[3] = &s->challenge;
  for (i = 0; i < 4; i++) {
    if (b[i]->data)
      OPENSSL_cleanse(b[i]->data, b[i]->len);
    door__buf_free(b[i]);
  }
}

static door_err door__auth_url(door_provider *p, const door_meta *meta,
                               const door_login_params *lp,
                               const door_begin_secrets *sec, door_buf *url,
                               door_detail *d) {
  door_kvlist q;
  door_buf scope;
  door_err err;
  door__kvlist_init(&q);
  door__buf_init(&scope, 4096);
  err = door__scope(p, &scope);
  if (err)
    goto out;
  if ((err = door__kvlist_add(&q, "response_type", "code")) ||
      (err = door__kvlist_add(&q, "client_id", p->s.client_id)) ||
      (err = door__kvlist_add(&q, "redirect_uri", p->redirect_uri)) ||
      (err = door__kvlist_add(&q, "scope", door__buf_str(&scope))) ||
      (err = door__kvlist_add(&q, "state", door__buf_str(&sec->state))) ||
      (err = door__kvlist_add(&q, "nonce", door__buf_str(&sec->nonce))))
    goto out;
  if (p->s.pkce &&
      ((err = door__kvlist_add(&q, "code_challenge",
                               door__buf_str(&sec->challenge))) ||
       (err = door__kvlist_add(&q, "code_challenge_method", "S256"))))
    goto out;
  if (lp->login_hint &&
      (err = door__kvlist_add(&q, "login_hint", lp->login_hint)))
    goto out;
  if (lp->prompt && (err = door__kvlist_add(&q, "prompt", lp->prompt)))
    goto out;
  if ((err = door__extra_params(p, &q)))
    goto out;
  if (p->ops->authorize_params &&
      (err = p->ops->authorize_params(p->state, &p->s, &q, NULL)))
    goto out;
  /* Every parameter, the core's and the hooks', checked against the
   * manifest before the URL exists. */
  err = door__outbound_redirect(
      p, DOOR_TX_AUTHORIZE, meta->m.authorization_endpoint, &q, lp->tx, url, d);
out:
  door__kvlist_free(&q);
  door__buf_free(&scope);
  return err;
}

static door_err door__begin_checks(door_rp *rp, const door_login_params *lp,
                                   door_provider **p, door_detail *d) {
  const door_strlist *allow = &rp->cfg->broker.return_to_allow;
  *p = door__rp_provider(rp, lp->provider);
  if (!*p)
    return door_detail_set(d, DOOR_EPROVIDER_UNKNOWN, "provider",
                           "this sign-in method is not configured", NULL);
  if (lp->return_to &&
      door__return_to_check(lp->return_to, rp->own_origin,
                            (const char *const *)allow->items, allow->n, d))
    return DOOR_ERETURN_TO_REFUSED;
  if (lp->link_account && strlen(lp->link_account) > DOOR_LINK_ACCOUNT_MAX)
    return door_detail_set(d, DOOR_ETOOBIG, "link_account",
                           "the account link reference is too long", NULL);
  return DOOR_OK;
}

door_err door_login_begin(door_rp *rp, const door_login_params *lp,
                          door_login_start *out, door_detail *d) {
  door_provider *p = NULL;
  door_meta *meta = NULL;
  door_begin_secrets sec;
  door_pending pend;
  door_buf url, name, value, cookie;
  door_detail local;
  door_err err;
  if (!d)
    d = &local;
  door_detail_clear(d);
  if (out)
    memset(out, 0, sizeof *out);
  if (!rp || !lp || !out)
    return DOOR_EINVAL;
  door__buf_init(&sec.state, 64);
  door__buf_init(&sec.nonce, 64);
  door__buf_init(&sec.verifier, 64);
  door__buf_init(&sec.challenge, 64);
  door__buf_init(&url, 16384);
  door__buf_init(&name, 128);
  door__buf_init(&value, DOOR_PENDING_COOKIE_MAX + 1);
  door__buf_init(&cookie, DOOR_PENDING_COOKIE_MAX + 256);
  err = door__begin_checks(rp, lp, &p, d);
  if (err)
    goto out;
  err = door__provider_meta(p, &meta, d);
  if (err)
    goto out;
  if ((err = door__oidc_random_b64(32, &sec.state)) ||
      (err = door__oidc_random_b64(32, &sec.nonce)) ||
      (err = door__oidc_random_b64(32, &sec.verifier)) ||
      (err = door__challenge(door__buf_str(&sec.verifier), &sec.challenge)))
    goto out;
  err = door__auth_url(p, meta, lp, &sec, &url, d);
  if (err)
    goto out;
  memset(&pend, 0, sizeof pend);
  pend.version = DOOR_PENDING_VERSION;
  pend.provider = (char *)p->s.name;
  pend.issuer = (char *)p->s.issuer;
  pend.state = (char *)door__buf_str(&sec.state);
  pend.nonce = (char *)door__buf_str(&sec.nonce);
  pend.code_verifier = p->s.pkce ? (char *)door__buf_str(&sec.verifier) : "";
  pend.redirect_uri = p->redirect_uri;
  pend.return_to = (char *)(lp->return_to ? lp->return_to : "/");
  pend.link_account = (char *)(lp->link_account ? lp->link_account : "");
  pend.created_at = door__rp_now(rp);
  if ((err = door__pending_cookie_name(rp->secure, pend.state, &name)) ||
      (err = door__pending_seal(&rp->sealer, &pend, door__buf_str(&name),
                                &value)) ||
      (err =
           door__pending_set_cookie(door__buf_str(&name), door__buf_str(&value),
                                    rp->secure, rp->login_timeout, &cookie)))
    goto out;
  out->authorization_url = door__buf_detach(&url);
  out->set_cookie = door__buf_detach(&cookie);
  out->cookie_name = door__buf_detach(&name);
  if (!out->authorization_url || !out->set_cookie || !out->cookie_name) {
    door_login_start_clear(out);
    err = DOOR_ENOMEM;
    goto out;
  }
  door__log(rp->log, DOOR_LOG_INFO, "login.begin", "provider", p->s.name, NULL);
out:
  if (err && d->code != err)
    door_detail_set(d, err, "begin", door_strerror(err), NULL);
  if (err)
    door__login_log_fail(rp, "login.begin_fail", lp->provider, d);
  door__meta_unref(meta);
  door__secrets_free(&sec);
  if (value.data)
    OPENSSL_cleanse(value.data, value.len);
  door__buf_free(&value);
  if (cookie.data)
    OPENSSL_cleanse(cookie.data, cookie.len);
  door__buf_free(&cookie);
  door__buf_free(&url);
  door__buf_free(&name);
  return err;
}
