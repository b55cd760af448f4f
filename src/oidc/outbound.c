/* The one outbound path to providers: every field checked against the
 * provider's manifest before anything leaves, every request recorded (see
 * oidc/outbound.h). */
#include "oidc/outbound.h"

#include <openssl/crypto.h>
#include <string.h>

#define DOOR__AUTH_HEADER "header:Authorization"

/* The field names of one request, in order, without repeats. */
typedef struct door__fieldset {
  const char *names[96];
  size_t n;
  int overflow;
  door_kvlist url_query; /* names already in the endpoint URL */
} door__fieldset;

static void door__fs_add(door__fieldset *fs, const char *name) {
  size_t i;
  for (i = 0; i < fs->n; i++)
    if (strcmp(fs->names[i], name) == 0)
      return;
  if (fs->n < sizeof fs->names / sizeof fs->names[0])
    fs->names[fs->n++] = name;
  else
    fs->overflow = 1;
}

static door_err door__fs_collect(door__fieldset *fs, const char *url,
                                 const door_kvlist *params, int auth_header) {
  const char *q = url ? strchr(url, '?') : NULL;
  size_t i;
  door_err err = DOOR_OK;
  memset(fs, 0, sizeof *fs);
  door__kvlist_init(&fs->url_query);
  if (q && q[1]) {
    err = door__form_parse(q + 1, strlen(q + 1), 64, 4096, &fs->url_query);
    for (i = 0; !err && i < fs->url_query.n; i++)
      door__fs_add(fs, fs->url_query.items[i].name);
  }
  for (i = 0; params && i < params->n; i++)
    door__fs_add(fs, params->items[i].name);
  if (auth_header)
    door__fs_add(fs, DOOR__AUTH_HEADER);
  return err;
}

static void door__fs_free(door__fieldset *fs) {
  door__kvlist_free(&fs->url_query);
}

/* The record's purpose: the first field about the user (user identifier,
 * then event), else the first field's; no field: metadata. */
static door_tx_purpose door__fs_purpose(const door_tx_manifest *m,
                                        door_tx_endpoint e,
                                        const door__fieldset *fs) {
  static const door_tx_data order[] = {DOOR_TXD_USER_IDENTIFIER,
                                       DOOR_TXD_EVENT};
  const door_tx_field *f, *first = NULL;
  size_t i, k;
  for (k = 0; k < sizeof order / sizeof order[0]; k++)
    for (i = 0; i < fs->n; i++) {
      f = door__manifest_find(m, e, fs->names[i]);
      if (f && !first)
        first = f;
      if (f && f->data == order[k])
        return f->purpose;
    }
  if (first)
    return first->purpose;
  if (e == DOOR_TX_END_SESSION)
    return DOOR_TXP_LOGOUT;
  if (e == DOOR_TX_TICKETS)
    return DOOR_TXP_EVENT;
  return e == DOOR_TX_DISCOVERY || e == DOOR_TX_JWKS ? DOOR_TXP_METADATA
                                                     : DOOR_TXP_LOGIN;
}

static void door__copy_cap(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void door__record(door_provider *p, door_tx_endpoint e,
                         const door__fieldset *fs, door_err outcome,
                         long status, door_txlog *tx) {
  door_transmission *r, own;
  size_t i, len = 0, cap;
  if (!tx && !p->rp->transmitted)
    return;
  if (tx && tx->n >= DOOR_TXLOG_MAX) {
    tx->dropped++;
    return;
  }
  r = tx ? &tx->items[tx->n++] : &own; /* no caller's log: the rp's sink */
  memset(r, 0, sizeof *r);
  r->at = door__rp_now(p->rp);
  door__copy_cap(r->provider, sizeof r->provider, p->s.name);
  r->endpoint = e;
  cap = sizeof r->fields;
  for (i = 0; i < fs->n; i++) {
    size_t n = strlen(fs->names[i]);
    if (len + (len ? 1 : 0) + n + 4 >= cap) {
      memcpy(r->fields + len, len ? " ..." : "...", len ? 4 : 3);
      len += len ? 4 : 3;
      break;
    }
    if (len)
      r->fields[len++] = ' ';
    memcpy(r->fields + len, fs->names[i], n);
    len += n;
  }
  r->fields[len] = '\0';
  r->purpose = door__fs_purpose(&p->manifest, e, fs);
  r->outcome = outcome;
  r->http_status = status > 0 && status < 1000 ? (int)status : 0;
  if (!tx)
    p->rp->transmitted(p->rp->transmitted_ud, r);
}

/* DOOR_OK when every field is listed; else counts, logs and describes the
 * first unlisted one. */
static door_err door__check(door_provider *p, door_tx_endpoint e,
                            const door__fieldset *fs, door_detail *d) {
  const char *ep = door_tx_endpoint_name(e);
  size_t i;
  door_buf w, what, hint;
  if (!ep)
    return door_detail_set(d, DOOR_EINVAL, "endpoint",
                           "unknown outbound endpoint", NULL);
  for (i = 0; i < fs->n; i++)
    if (!door__manifest_find(&p->manifest, e, fs->names[i]))
      break;
  if (i == fs->n && !fs->overflow)
    return DOOR_OK;
  atomic_fetch_add(&p->tx_refused[e], 1);
  door__buf_init(&w, 190);
  door__buf_init(&what, 190);
  door__buf_init(&hint, 190);
  if (i == fs->n) { /* more fields than a request may hold */
    (void)door__buf_puts(&w, ep);
    (void)door__buf_puts(&what, "the request has more fields than doorauth "
                                "can check; it was not sent");
    (void)door__buf_puts(&hint, "send fewer parameters");
  } else {
    (void)door__buf_puts(&w, ep);
    (void)door__buf_putc(&w, ' ');
    (void)door__buf_puts(&w, fs->names[i]);
    (void)door__buf_puts(&what, "not sent: the transmission manifest of ");
    (void)door__buf_puts(&what, p->s.name);
    (void)door__buf_puts(&what, " does not list ");
    (void)door__buf_puts(&what, fs->names[i]);
    (void)door__buf_puts(&what, " for ");
    (void)door__buf_puts(&what, ep);
    (void)door__buf_puts(&hint, "list it in manifest_extra of [provider \"");
    (void)door__buf_puts(&hint, p->s.name);
    (void)door__buf_puts(&hint, "\"] (ENDPOINT:NAME:DATA:PURPOSE, see "
                                "docs/privacy.md) or stop sending it");
  }
  door__log(p->rp->log, DOOR_LOG_WARN, "privacy.refused", "provider", p->s.name,
            "endpoint", ep, "field", i < fs->n ? fs->names[i] : "(too many)",
            NULL);
  door_detail_set(d, DOOR_EPRIVACY_UNLISTED, door__buf_str(&w),
                  door__buf_str(&what), door__buf_str(&hint));
  door__buf_free(&w);
  door__buf_free(&what);
  door__buf_free(&hint);
  return DOOR_EPRIVACY_UNLISTED;
}

/* Appends the params form-encoded ("a=1&b=2") to b. */
static door_err door__params_append(door_buf *b, const door_kvlist *params) {
  door_buf q;
  size_t i;
  door_err err = DOOR_OK;
  door__buf_init(&q, b->max);
  for (i = 0; !err && params && i < params->n; i++)
    err = door__form_append(&q, params->items[i].name, params->items[i].value);
  if (!err && q.len)
    err = door__buf_append(b, q.data, q.len);
  if (q.data)
    OPENSSL_cleanse(q.data, q.len);
  door__buf_free(&q);
  return err;
}

door_err door__outbound_call(door_provider *p, const door_outbound *o,
                             door_http_response *resp, door_detail *d) {
  door__fieldset fs;
  door_http_request req;
  door_buf url, body;
  door_err err;
  memset(resp, 0, sizeof *resp);
  door__buf_init(&url, 16384);
  door__buf_init(&body, 65536);
  err = door__fs_collect(&fs, o->url, o->params,
                         o->bearer_token || o->basic_user);
  if (err) {
    err = door_detail_set(d, err, "url",
                          "the endpoint URL's query does not parse", NULL);
    goto out;
  }
  err = door__check(p, o->endpoint, &fs, d);
  if (err)
    goto out;
  door__http_request_init(&req);
  if (o->post) {
    req.method = DOOR_HTTP_POST;
    req.url = o->url;
    if ((err = door__params_append(&body, o->params)))
      goto out;
    req.body = door__buf_str(&body);
    req.body_len = body.len;
  } else {
    req.method = DOOR_HTTP_GET;
    if ((err = door__buf_puts(&url, o->url)))
      goto out;
    if (o->params && o->params->n &&
        ((err = door__buf_putc(&url, strchr(o->url, '?') ? '&' : '?')) ||
         (err = door__params_append(&url, o->params))))
      goto out;
    req.url = door__buf_str(&url);
  }
  req.bearer_token = o->bearer_token;
  req.basic_user = o->basic_user;
  req.basic_password = o->basic_password;
  err = door__http_do(p->rp->http, &req, resp, d);
out:
  if (err)
    door__record(p, o->endpoint, &fs, err, resp->status, o->tx);
  else
    door__record(p, o->endpoint, &fs,
                 resp->status >= 200 && resp->status < 300 ? DOOR_OK
                                                           : DOOR_EHTTP_STATUS,
                 resp->status, o->tx);
  if (url.data)
    OPENSSL_cleanse(url.data, url.len);
  if (body.data)
    OPENSSL_cleanse(body.data, body.len);
  door__buf_free(&url);
  door__buf_free(&body);
  door__fs_free(&fs);
  return err;
}

door_err door__outbound_redirect(door_provider *p, door_tx_endpoint e,
                                 const char *endpoint,
                                 const door_kvlist *params, door_txlog *tx,
                                 door_buf *url, door_detail *d) {
  door__fieldset fs;
  door_err err;
  err = door__fs_collect(&fs, endpoint, params, 0);
  if (err) {
    err = door_detail_set(d, err, "url",
                          "the endpoint URL's query does not parse", NULL);
    goto out;
  }
  err = door__check(p, e, &fs, d);
  if (err)
    goto out;
  err = door__buf_puts(url, endpoint);
  if (!err && params && params->n)
    err = door__buf_putc(url, strchr(endpoint, '?') ? '&' : '?');
  if (!err)
    err = door__params_append(url, params);
out:
  door__record(p, e, &fs, err, 0, tx);
  door__fs_free(&fs);
  return err;
}

door_err door__outbound_hook_send(const door_provider_call *call,
                                  const door_provider_request *rq, long *status,
                                  door_buf *body, door_detail *d) {
  const door_outbound_hook *c = call->send_ud;
  door_outbound o;
  door_http_response resp;
  door_err err;
  *status = 0;
  memset(&o, 0, sizeof o);
  o.endpoint = rq->endpoint;
  o.url = rq->url;
  o.params = rq->query;
  o.bearer_token = rq->bearer_token;
  o.tx = c->tx;
  err = door__outbound_call(c->p, &o, &resp, d);
  *status = resp.status;
  if (!err && resp.body.len &&
      door__buf_append(body, resp.body.data, resp.body.len))
    err = door_detail_set(d, DOOR_ETOOBIG, door_tx_endpoint_name(rq->endpoint),
                          "the provider's answer is too large",
                          "try again later");
  door__http_response_free(&resp);
  return err;
}
