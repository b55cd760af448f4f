/* door-idp HTML pages. */
#include "idp/pages.h"

#include <stdio.h>
#include <string.h>

door_err door__idp_html_escape(door_buf *b, const char *s) {
  door_err err = DOOR_OK;
  const char *run = s;
  for (; !err && s && *s; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&#39;";
      break;
    default:
      break;
    }
    if (!rep)
      continue;
    err = door__buf_append(b, run, (size_t)(s - run));
    if (!err)
      err = door__buf_puts(b, rep);
    run = s + 1;
  }
  if (!err && s)
    err = door__buf_append(b, run, (size_t)(s - run));
  return err;
}

static const char style[] =
    "<style>"
    "body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;margin:0;"
    "color:#1d2330}"
    "main{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;"
    "border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}"
    "h1{font-size:1.3rem;margin:0 0 .5rem}"
    ".who{color:#5b6476;font-size:.9rem;margin-bottom:1.5rem}"
    "label.user{display:block;padding:.6rem .8rem;border:1px solid #d5d9e0;"
    "border-radius:8px;margin:.4rem 0;cursor:pointer}"
    "label.user:hover{border-color:#3767d6}"
    ".sub{color:#5b6476;font-size:.85rem}"
    "ul{padding-left:1.2rem}"
    "button{font:inherit;padding:.55rem 1.2rem;border-radius:8px;"
    "border:1px solid #3767d6;background:#3767d6;color:#fff;cursor:pointer;"
    "margin:1rem .5rem 0 0}"
    "button.alt{background:#fff;color:#3767d6}"
    ".err{color:#b3261e}"
    "</style>";

/* Page head up to and including <main>. */
static door_err head(door_buf *b, const char *title,
                     const door_idp_profile *p) {
  door_err err = door__buf_puts(
      b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width\"><title>");
  if (!err)
    err = door__idp_html_escape(b, title);
  if (!err)
    err = door__buf_puts(b, "</title>");
  if (!err)
    err = door__buf_puts(b, style);
  if (!err)
    err = door__buf_puts(b, "</head><body><main><h1>");
  if (!err)
    err = door__idp_html_escape(b, title);
  if (!err)
    err = door__buf_puts(b, "</h1>");
  if (!err && p) {
    err = door__buf_puts(b, "<div class=\"who\">door-idp test provider: ");
    if (!err)
      err = door__idp_html_escape(b, p->name);
    if (!err)
      err = door__buf_puts(b, " (");
    if (!err)
      err = door__idp_html_escape(b, door__idp_kind_name(p->kind));
    if (!err)
      err = door__buf_puts(b, ")</div>");
  }
  return err;
}

/* "scheme://authority" of the request's redirect_uri into `out`, when it
 * has one made only of characters safe in a CSP source expression; else
 * `out` stays empty.  redirect_uri was matched exactly against the client's
 * registered URIs before any page is shown. */
static void redirect_origin(const door_kvlist *params, char *out, size_t n) {
  const char *u =
      params ? door__kvlist_get(params, "redirect_uri", NULL) : NULL;
  const char *host, *end;
  size_t i, len;
  out[0] = '\0';
  if (!u || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0))
    return;
  host = strstr(u, "://") + 3;
  end = host + strcspn(host, "/?#");
  len = (size_t)(end - u);
  if (end == host || len >= n)
    return;
  for (i = 0; i < len; i++) {
    char c = u[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
          c == '/' || c == '[' || c == ']'))
      return;
  }
  memcpy(out, u, len);
  out[len] = '\0';
}

/* `form_to`: a second origin the page's forms may end up at (the client's
 * redirect URI: "Allow", "Deny" and "Cancel" answer with a 302 there, and
 * browsers apply form-action to a form's redirects as well). */
static door_err finish(door_idp_resp *r, int status, door_buf *b,
                       const door_kvlist *form_to) {
  char origin[512], csp[768];
  door_err err = door__buf_puts(b, "</main></body></html>");
  if (err)
    return err;
  door__buf_free(&r->body);
  r->body = *b;
  door__buf_init(b, DOOR_IDP_BODY_MAX);
  r->status = status;
  r->content_type = "text/html; charset=utf-8";
  redirect_origin(form_to, origin, sizeof origin);
  snprintf(csp, sizeof csp,
           "default-src 'none'; style-src 'unsafe-inline';"
           " form-action 'self'%s%s; frame-ancestors 'none'",
           origin[0] ? " " : "", origin);
  err = door__idp_resp_header(r, "Content-Security-Policy", csp);
  if (!err)
    err = door__idp_resp_header(r, "X-Frame-Options", "DENY");
  if (!err)
    err = door__idp_resp_header(r, "Cache-Control", "no-store");
  if (!err)
    err = door__idp_resp_header(r, "Referrer-Policy", "no-referrer");
  return err;
}

static door_err hidden(door_buf *b, const char *name, const char *value) {
  door_err err = door__buf_puts(b, "<input type=\"hidden\" name=\"");
  if (!err)
    err = door__idp_html_escape(b, name);
  if (!err)
    err = door__buf_puts(b, "\" value=\"");
  if (!err)
    err = door__idp_html_escape(b, value);
  if (!err)
    err = door__buf_puts(b, "\">");
  return err;
}

static door_err hidden_params(door_buf *b, const door_kvlist *params) {
  door_err err = DOOR_OK;
  size_t i;
  for (i = 0; !err && i < params->n; i++) {
    const char *n = params->items[i].name;
    if (strncmp(n, "door_idp_", 9) == 0 || strcmp(n, "user") == 0)
      continue;
    err = hidden(b, n, params->items[i].value);
  }
  return err;
}

static door_err form_open(door_buf *b, const door_idp_profile *p) {
  door_err err = door__buf_puts(b, "<form method=\"post\" action=\"");
  if (!err)
    err = door__idp_html_escape(b, p->paths[DOOR_IDP_EP_AUTHORIZE]);
  if (!err)
    err = door__buf_puts(b, "\">");
  return err;
}

static const char *claim_str(const door_idp_user *u, const char *name) {
  json_t *v = json_object_get(u->claims, name);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

door_err door__idp_page_login(door_idp_resp *r, door_idp_profile *p,
                              const door_idp_client *c,
                              const door_kvlist *params, const char *hint) {
  door_buf b;
  door_err err;
  size_t i;
  door__buf_init(&b, DOOR_IDP_BODY_MAX);
  err = head(&b, "Sign in", p);
  if (!err)
    err = door__buf_puts(&b, "<p>Choose a test user to sign in to <b>");
  if (!err)
    err = door__idp_html_escape(&b, c->name);
  if (!err)
    err = door__buf_puts(&b, "</b>.</p>");
  if (!err)
    err = form_open(&b, p);
  if (!err)
    err = hidden_params(&b, params);
  pthread_mutex_lock(&p->lock);
  for (i = 0; !err && i < p->nusers; i++) {
    const door_idp_user *u = p->users[i];
    const char *name = claim_str(u, "name"), *email = claim_str(u, "email");
    err = door__buf_puts(&b, "<label class=\"user\"><input type=\"radio\" "
                             "name=\"user\" value=\"");
    if (!err)
      err = door__idp_html_escape(&b, u->id);
    if (!err && ((hint && strcmp(hint, u->id) == 0) || (!hint && i == 0)))
      err = door__buf_puts(&b, "\" checked>");
    else if (!err)
      err = door__buf_puts(&b, "\">");
    if (!err)
      err = door__buf_puts(&b, " <b>");
    if (!err)
      err = door__idp_html_escape(&b, name ? name : u->id);
    if (!err)
      err = door__buf_puts(&b, "</b> <span class=\"sub\">");
    if (!err)
      err = door__idp_html_escape(&b, email ? email : u->id);
    if (!err)
      err = door__buf_puts(&b, "</span></label>");
  }
  if (!err && p->nusers == 0)
    err = door__buf_puts(&b, "<p class=\"err\">This profile has no users: add "
                             "some in the scenario or with the admin "
                             "API.</p>");
  pthread_mutex_unlock(&p->lock);
  if (!err)
    err = door__buf_puts(&b, "<button name=\"door_idp_action\" "
                             "value=\"login\">Continue</button>"
                             "<button class=\"alt\" name=\"door_idp_action\" "
                             "value=\"deny\">Cancel</button></form>");
  if (!err)
    err = finish(r, 200, &b, params);
  door__buf_free(&b);
  return err;
}

door_err door__idp_page_consent(door_idp_resp *r, door_idp_profile *p,
                                const door_idp_client *c,
                                const door_idp_user *u,
                                const door_kvlist *params, const char *scope) {
  door_buf b;
  door_err err;
  const char *s = scope;
  door__buf_init(&b, DOOR_IDP_BODY_MAX);
  err = head(&b, "Allow access?", p);
  if (!err)
    err = door__buf_puts(&b, "<p><b>");
  if (!err)
    err = door__idp_html_escape(&b, c->name);
  if (!err)
    err = door__buf_puts(&b, "</b> asks to sign you in as <b>");
  if (!err)
    err = door__idp_html_escape(&b, u->id);
  if (!err)
    err = door__buf_puts(&b, "</b> and to read:</p><ul>");
  while (!err && s && *s) {
    const char *end = strchr(s, ' ');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    door_buf w;
    door__buf_init(&w, 1024);
    err = door__buf_append(&w, s, n);
    if (!err && n)
      err = door__buf_puts(&b, "<li>");
    if (!err && n)
      err = door__idp_html_escape(&b, door__buf_str(&w));
    if (!err && n)
      err = door__buf_puts(&b, "</li>");
    door__buf_free(&w);
    s = end ? end + 1 : NULL;
  }
  if (!err)
    err = door__buf_puts(&b, "</ul>");
  if (!err)
    err = form_open(&b, p);
  if (!err)
    err = hidden_params(&b, params);
  if (!err)
    err = hidden(&b, "user", u->id);
  if (!err)
    err = door__buf_puts(&b, "<button name=\"door_idp_action\" "
                             "value=\"approve\">Allow</button>"
                             "<button class=\"alt\" name=\"door_idp_action\" "
                             "value=\"deny\">Deny</button></form>");
  if (!err)
    err = finish(r, 200, &b, params);
  door__buf_free(&b);
  return err;
}

door_err door__idp_page_error(door_idp_resp *r, int status, const char *title,
                              const char *message) {
  door_buf b;
  door_err err;
  door__buf_init(&b, DOOR_IDP_BODY_MAX);
  err = head(&b, title, NULL);
  if (!err)
    err = door__buf_puts(&b, "<p class=\"err\">");
  if (!err)
    err = door__idp_html_escape(&b, message);
  if (!err)
    err = door__buf_puts(&b, "</p>");
  if (!err)
    err = finish(r, status, &b, NULL);
  door__buf_free(&b);
  return err;
}

door_err door__idp_page_message(door_idp_resp *r, const char *title,
                                const char *message) {
  door_buf b;
  door_err err;
  door__buf_init(&b, DOOR_IDP_BODY_MAX);
  err = head(&b, title, NULL);
  if (!err)
    err = door__buf_puts(&b, "<p>");
  if (!err)
    err = door__idp_html_escape(&b, message);
  if (!err)
    err = door__buf_puts(&b, "</p>");
  if (!err)
    err = finish(r, 200, &b, NULL);
  door__buf_free(&b);
  return err;
}
