/* Back-channel calls of a login: documents (discovery, JWKS), the code
 * exchange and the refresh grant with client authentication, and
 * userinfo; all through the outbound path (oidc/outbound.h). */
#include "oidc/outbound.h"
#include "oidc/rp_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* "WHAT status NNN" into where (cap >= 96). */
static void door__status_where(const char *what_doc, long status, char *where) {
  size_t n = strlen(what_doc);
  if (n > 60)
    n = 60;
  memcpy(where, what_doc, n);
  memcpy(where + n, " status ", 8);
  n += 8;
  n += door__u64_to_str((uint64_t)(status < 0 ? 0 : status), where + n);
  where[n] = '\0';
}

static door_err door__status_fail(door_detail *d, const char *what_doc,
                                  long status) {
  char where[96];
  door__status_where(what_doc, status, where);
  return door_detail_set(d, DOOR_EHTTP_STATUS, where,
                         "the provider answered with an unexpected HTTP "
                         "status",
                         "try again later");
}

door_err door__fetch_json_doc(door_provider *p, door_tx_endpoint e,
                              const char *url, const char *what, door_buf *body,
                              int64_t *max_age, door_detail *d) {
  door_outbound o;
  door_http_response resp;
  door_err err;
  memset(&o, 0, sizeof o);
  o.endpoint = e;
  o.url = url;
  err = door__outbound_call(p, &o, &resp, d);
  if (err)
    goto out;
  if (resp.status != 200) {
    err = door__status_fail(d, what, resp.status);
    goto out;
  }
  *max_age = resp.cache_no_store ? 0 : (int64_t)resp.cache_max_age;
  err = door__buf_append(body, resp.body.data ? resp.body.data : "",
                         resp.body.len);
out:
  door__http_response_free(&resp);
  return err;
}

/* Form-encodes s (RFC 6749 2.3.1) into a new string. */
static char *door__form_encoded(const char *s, size_t len) {
  door_buf b;
  door__buf_init(&b, 4 * len + 16);
  if (door__url_encode(&b, s, len) || door__buf_putc(&b, '\0')) {
    if (b.data)
      OPENSSL_cleanse(b.data, b.len);
    door__buf_free(&b);
    return NULL;
  }
  b.len--;
  return door__buf_detach(&b);
}

static void door__wipe_kvlist(door_kvlist *l) {
  size_t i;
  for (i = 0; i < l->n; i++)
    OPENSSL_cleanse(l->items[i].value, strlen(l->items[i].value));
  door__kvlist_free(l);
}

/* The token endpoint answered with an OAuth error: name it in plain words
 * (the provider's hook knows its own non-standard codes). */
static door_err door__token_error(door_provider *p, door_tx_endpoint e,
                                  const door_http_response *resp,
                                  door_detail *d) {
  char error[64], desc[192];
  const char *what = NULL, *hint = NULL;
  door__oauth_error_parse(resp->body.data, resp->body.len, error, sizeof error,
                          desc, sizeof desc);
  if (!error[0])
    return door__status_fail(d, "token endpoint", resp->status);
  if (!(p->ops->describe_error &&
        p->ops->describe_error(p->state, error, &what, &hint))) {
    if (strcmp(error, "invalid_grant") == 0 && e == DOOR_TX_REFRESH) {
      what = "the provider no longer accepts the kept sign-in (refresh "
             "token expired or revoked)";
      hint = "sign in again";
    } else if (strcmp(error, "invalid_grant") == 0) {
      what = "the provider refused the sign-in code (expired or used)";
      hint = "sign in again";
    } else if (strcmp(error, "invalid_client") == 0 ||
               strcmp(error, "unauthorized_client") == 0) {
      what = "the provider did not accept this service's client "
             "credentials";
      hint = "check client_id, client_secret and token_auth_method";
    } else {
      what = "the provider's token endpoint refused the request";
      hint = "see the log for the provider's error code";
    }
  }
  door__log(p->rp->log, DOOR_LOG_WARN, "login.token_error", "provider",
            p->s.name, "error", error, "error_description", desc, NULL);
  return door_detail_set(d, DOOR_ETOKEN_ERROR, error, what, hint);
}

/* Client authentication, the hook, and the POST of `form` to the token
 * endpoint as endpoint `e` (token or refresh); parses a 200 answer. */
door_err door__token_post(door_provider *p, const door_meta *meta,
                          door_tx_endpoint e, door_kvlist *form,
                          int require_id_token, door_txlog *tx,
                          door_token_response *out, door_detail *d) {
  door_buf endpoint_out;
  door_token_request treq;
  door_outbound o;
  door_http_response resp;
  char *user = NULL, *pass = NULL;
  door_err err;
  memset(out, 0, sizeof *out);
  memset(&resp, 0, sizeof resp);
  door__buf_init(&endpoint_out, 4096);
  memset(&treq, 0, sizeof treq);
  treq.endpoint = meta->m.token_endpoint;
  treq.endpoint_out = &endpoint_out;
  treq.client_auth = p->s.client_auth;
  treq.form = form;
  if (p->ops->token_request &&
      (err = p->ops->token_request(p->state, &p->s, &treq, d)))
    goto out;
  if (treq.client_auth == DOOR_PRIVATE_KEY_JWT) {
    /* aud: the URL the assertion is sent to (after the hook). */
    err = door__client_assertion(
        p, endpoint_out.len ? door__buf_str(&endpoint_out) : treq.endpoint,
        form, d);
    if (err)
      goto out;
  } else if (treq.client_auth == DOOR_CLIENT_SECRET_POST) {
    if ((err = door_provider_param_set(form, "client_id", p->s.client_id)) ||
        (err = door_provider_param_set(form, "client_secret",
                                       p->s.client_secret)))
      goto out;
  } else if (treq.client_auth == DOOR_CLIENT_SECRET_BASIC) {
    user = door__form_encoded(p->s.client_id, strlen(p->s.client_id));
    pass = door__form_encoded(p->s.client_secret, p->s.client_secret_len);
    if (!user || !pass) {
      err = DOOR_ENOMEM;
      goto out;
    }
  } else {
    err = door_detail_set(d, DOOR_EUNSUPPORTED, "token_auth_method",
                          "this client authentication method is not "
                          "supported",
                          NULL);
    goto out;
  }
  memset(&o, 0, sizeof o);
  o.endpoint = e;
  o.post = 1;
  o.url = endpoint_out.len ? door__buf_str(&endpoint_out) : treq.endpoint;
  o.params = form;
  o.basic_user = user;
  o.basic_password = pass;
  o.tx = tx;
  err = door__outbound_call(p, &o, &resp, d);
  if (err)
    goto out;
  if (resp.status != 200) {
    err = door__token_error(p, e, &resp, d);
    goto out;
  }
  err = door__token_response_parse(resp.body.data ? resp.body.data : "",
                                   resp.body.len, require_id_token, out, d);
out:
  if (resp.body.data)
    OPENSSL_cleanse(resp.body.data, resp.body.len);
  door__http_response_free(&resp);
  door__buf_free(&endpoint_out);
  door__oidc_free_secret(user);
  door__oidc_free_secret(pass);
  return err;
}

door_err door__token_exchange(door_provider *p, const door_meta *meta,
                              const char *code, const door_pending *pend,
                              door_txlog *tx, door_token_response *out,
                              door_detail *d) {
  door_kvlist form;
  door_err err;
  memset(out, 0, sizeof *out);
  door__kvlist_init(&form);
  if ((err = door__kvlist_add(&form, "grant_type", "authorization_code")) ||
      (err = door__kvlist_add(&form, "code", code)) ||
      (err = door__kvlist_add(&form, "redirect_uri", pend->redirect_uri)))
    goto out;
  if (pend->code_verifier[0] &&
      (err = door__kvlist_add(&form, "code_verifier", pend->code_verifier)))
    goto out;
  err = door__token_post(p, meta, DOOR_TX_TOKEN, &form,
                         (p->ops->caps & DOOR_PCAP_OIDC) != 0, tx, out, d);
out:
  door__wipe_kvlist(&form);
  return err;
}

door_err door__userinfo_fetch(door_provider *p, const door_meta *meta,
                              const char *access_token, const char *sub,
                              door_txlog *tx, json_t **out, door_detail *d) {
  door_outbound o;
  door_http_response resp;
  door_err err;
  *out = NULL;
  memset(&o, 0, sizeof o);
  o.endpoint = DOOR_TX_USERINFO;
  o.url = meta->m.userinfo_endpoint;
  o.bearer_token = access_token; /* in the header, never the query */
  o.tx = tx;
  err = door__outbound_call(p, &o, &resp, d);
  if (err)
    goto out;
  if (resp.status != 200) {
    char where[96];
    door__status_where("userinfo", resp.status, where);
    err = door_detail_set(d, DOOR_EUSERINFO, where,
                          "the provider refused to give the user's "
                          "information",
                          "sign in again");
    goto out;
  }
  err = door__userinfo_parse(resp.body.data ? resp.body.data : "",
                             resp.body.len, sub, out, d);
out:
  door__http_response_free(&resp);
  return err;
}
