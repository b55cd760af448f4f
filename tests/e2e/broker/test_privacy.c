/* door-broker's privacy publishing end to end, against the real door-idp
 * and door-broker over TLS on loopback (docs/privacy.md):
 *   - GET /privacy in English and Japanese (Accept-Language), linked from
 *     the chooser, with every configured provider and nothing else;
 *   - `door-broker disclosures` text and --json match the configuration:
 *     the default manifests, an override (manifest_extra,
 *     manifest_authorize) changes the output, an unconfigured provider is
 *     absent, and the served page follows a SIGHUP reload;
 *   - GET /api/events/{id}/stats: 401 without or with a wrong bearer token,
 *     404 for an unknown event, 200 with the suppressed table, and the
 *     counts of participation tokens issued through the real flow
 *     (XMarket hanako, tier vip): k-1 tokens show "<10", k show 10;
 *     `door-broker stats` agrees. */
#include "bh.h"
#include "t.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATS_TOKEN "planted-secret-stats-token-e2e-0123456789"

static bh_env env;
static bh_env *E = &env;
static char config_orig[8192];

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

static int slurp(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  size_t n;
  if (!f)
    return -1;
  n = fread(out, 1, cap - 1, f);
  out[n] = '\0';
  fclose(f);
  return n < cap - 1 ? 0 : -1;
}

static int spill(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  int ok = f && fputs(text, f) >= 0;
  if (f && fclose(f) != 0)
    ok = 0;
  return ok ? 0 : -1;
}

/* `text` with `add` inserted after the line `after` (first match); the
 * section [provider "generic"] left out when `drop_generic`. */
static int edit_config(const char *text, const char *after, const char *add,
                       int drop_generic, char *out, size_t cap) {
  const char *at = strstr(text, after), *g, *next;
  size_t n1;
  int n;
  if (!at)
    return -1;
  n1 = (size_t)(at - text) + strlen(after);
  n = snprintf(out, cap, "%.*s%s%s", (int)n1, text, add, text + n1);
  if (n <= 0 || (size_t)n >= cap)
    return -1;
  if (drop_generic && (g = strstr(out, "[provider \"generic\"]")) != NULL) {
    next = strchr(g + 1, '[');
    memmove((char *)g, next ? next : g + strlen(g),
            strlen(next ? next : g + strlen(g)) + 1);
  }
  return 0;
}

/* The provider entry `name` of disclosures JSON, or NULL. */
static json_t *provider(json_t *j, const char *name) {
  json_t *ps = json_object_get(j, "providers");
  size_t i;
  for (i = 0; i < json_array_size(ps); i++)
    if (strcmp(json_string_value(
                   json_object_get(json_array_get(ps, i), "provider")),
               name) == 0)
      return json_array_get(ps, i);
  return NULL;
}

/* The field `name` at `endpoint` of a provider entry: "DATA/PURPOSE"
 * into out, or "" when the manifest does not list it. */
static const char *field(json_t *p, const char *endpoint, const char *name,
                         char out[96]) {
  json_t *eps = json_object_get(p, "endpoints");
  size_t i, k;
  out[0] = '\0';
  for (i = 0; i < json_array_size(eps); i++) {
    json_t *ep = json_array_get(eps, i);
    json_t *fs = json_object_get(ep, "fields");
    if (strcmp(json_string_value(json_object_get(ep, "endpoint")), endpoint))
      continue;
    for (k = 0; k < json_array_size(fs); k++) {
      json_t *f = json_array_get(fs, k);
      if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
        snprintf(out, 96, "%s/%s",
                 json_string_value(json_object_get(f, "data")),
                 json_string_value(json_object_get(f, "purpose")));
    }
  }
  return out;
}

/* After a reload: waits up to 5 s for GET /privacy to list (or no longer
 * list) the generic provider; r holds the last answer.  1 when it did. */
static int privacy_page_lists_generic(bh_browser *b, bh_resp *r, int want) {
  int i;
  for (i = 0; i < 100; i++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    bh_resp_reset(r);
    if (bh_get_path(b, "/privacy", r) == 0 && r->status == 200 &&
        (has(r->body.data, "data-provider=\"generic\"") ? 1 : 0) == want)
      return 1;
    nanosleep(&ts, NULL);
  }
  return 0;
}

static void test_page_en_and_ja(void) {
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  bh_resp_init(&r);
  T_EQ_INT(bh_get_path(b, "/privacy", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(bh_header(&r, "content-type"), "text/html"));
  T_OK(has(bh_header(&r, "content-security-policy"), "default-src 'none'"));
  T_OK(has(r.body.data, "<html lang=\"en\""));
  T_OK(has(r.body.data, "What DOOR sends to sign-in providers"));
  T_OK(has(r.body.data, "data-provider=\"daccount\""));
  T_OK(has(r.body.data, "data-provider=\"xmarket\""));
  T_OK(has(r.body.data, "data-provider=\"generic\""));
  T_OK(has(r.body.data, "NTT DOCOMO, INC."));
  T_OK(has(r.body.data, "Gugenka Ltd."));
  T_OK(has(r.body.data, "the identifier d-account assigned to the user "
                        "(authorization code"));
  T_OK(has(r.body.data, "account login authentication"));
  T_OK(has(r.body.data, "participant authentication at ticketed events"));
  T_OK(has(r.body.data, "carry nothing about the user"));
  T_OK(!has(r.body.data, "<script") && !has(r.body.data, "src=\"http"));
  /* The generic provider's display name is escaped. */
  T_OK(has(r.body.data, "Generic &lt;OP&gt; &amp; co"));
  T_OK(!has(r.body.data, "Generic <OP>"));
  b->lang = "ja,en;q=0.5";
  T_EQ_INT(bh_get_path(b, "/privacy", &r), 0);
  T_EQ_INT(r.status, 200);
  T_OK(has(r.body.data, "<html lang=\"ja\""));
  T_OK(has(r.body.data, "外部送信について"));
  T_OK(has(r.body.data, "株式会社NTTドコモ"));
  T_OK(has(r.body.data, "ドコモがお客様個人に割り当てた識別子"));
  T_OK(has(r.body.data, "本サービスのアカウントログイン認証"));
  T_OK(has(r.body.data, "参加者限定イベントの参加認証"));
  T_OK(has(r.body.data, "のために利用します。"));
  /* The chooser links the page in its footer. */
  b->lang = NULL;
  T_EQ_INT(bh_get_path(b, "/", &r), 0);
  T_OK(has(r.body.data, "href=\"/privacy\""));
  T_EQ_INT(bh_post_path(b, "/privacy", "x=1", &r), 0);
  T_EQ_INT(r.status, 405);
  bh_resp_free(&r);
  bh_browser_free(b);
}

static void test_disclosures_cli_default(void) {
  door_buf out;
  json_t *j = NULL, *d, *x;
  char f[96];
  door__buf_init(&out, 1 << 22);
  T_EQ_INT(bh_cli(E, E->config, &out, "disclosures", "--json"), 0);
  j = json_loads(out.data ? out.data : "", 0, NULL);
  T_OK(j != NULL);
  /* Every configured provider, in configuration order, and no other. */
  T_EQ_INT(json_array_size(json_object_get(j, "providers")), 3);
  d = provider(j, "daccount");
  x = provider(j, "xmarket");
  T_OK(d && x && provider(j, "generic"));
  T_EQ_INT(json_array_size(json_object_get(d, "endpoints")), 8);
  T_EQ_STR(field(d, "token", "code", f), "user_identifier/login");
  T_EQ_STR(field(d, "end_session", "id_token_hint", f),
           "user_identifier/logout");
  T_EQ_STR(field(d, "authorize", "client_id", f), "protocol/login");
  T_EQ_STR(field(d, "authorize", "login_hint", f), "");
  /* client_secret_basic (the default): the header, no client_secret. */
  T_EQ_STR(field(d, "token", "header:Authorization", f),
           "client_credential/login");
  T_EQ_STR(field(d, "token", "client_secret", f), "");
  T_EQ_STR(field(x, "tickets", "event_id", f), "event/event");
  /* ev-e2e takes d-account through its participant list: a use within
   * DOOR, listed apart from what is sent */
  T_EQ_INT(json_array_size(json_object_get(d, "local_events")), 1);
  T_EQ_STR(
      json_string_value(json_array_get(json_object_get(d, "local_events"), 0)),
      "ev-e2e");
  T_EQ_STR(json_string_value(json_object_get(d, "organisation")),
           "NTT DOCOMO, INC.");
  json_decref(j);
  T_EQ_INT(bh_cli(E, E->config, &out, "disclosures"), 0);
  T_OK(has(out.data, "d-account (NTT DOCOMO, INC.)  [provider \"daccount\"]"));
  T_OK(has(out.data, "XMarket (Gugenka Ltd.)  [provider \"xmarket\"]"));
  T_OK(has(out.data, "Data sent: the identifier d-account assigned to the "
                     "user (authorization code"));
  T_OK(has(out.data, "Purpose: Used for account login authentication"));
  T_OK(has(out.data, "Also used within DOOR for participant authentication "
                     "at participant-limited events"));
  T_OK(has(out.data, "Protocol values and DOOR's own client credentials are "
                     "also sent; they carry nothing about the user."));
  T_EQ_INT(bh_cli(E, E->config, &out, "disclosures", "--lang", "ja"), 0);
  T_OK(has(out.data, "ドコモがお客様個人に割り当てた識別子"));
  T_OK(has(out.data, "参加者限定イベントの参加認証（イベントの参加者リスト"
                     "との照合）のためにDOOR内で利用します"));
  T_EQ_INT(bh_cli(E, E->config, &out, "disclosures", "--frob"), 2);
  door__buf_free(&out);
}

/* An override in the configuration changes the output; a provider taken
 * out of the configuration is gone, from the CLI and, after SIGHUP, from
 * the served page. */
static void test_disclosures_follow_the_config(void) {
  static char text[12288];
  char path[4096], f[96];
  door_buf out;
  json_t *j = NULL, *d;
  bh_browser *b = bh_browser_new(E, 0);
  bh_resp r;
  bh_resp_init(&r);
  door__buf_init(&out, 1 << 22);
  T_EQ_INT(edit_config(config_orig, "display_name = d アカウント\n",
                       "manifest_extra = authorize:login_hint:"
                       "user_identifier:login\n"
                       "manifest_authorize = response_type client_id "
                       "redirect_uri scope state nonce code_challenge "
                       "code_challenge_method login_hint\n",
                       1, text, sizeof text),
           0);
  snprintf(path, sizeof path, "%s/override.ini", E->dir);
  T_EQ_INT(spill(path, text), 0);
  T_EQ_INT(bh_cli(E, path, &out, "disclosures", "--json"), 0);
  j = json_loads(out.data ? out.data : "", 0, NULL);
  T_OK(j != NULL);
  T_EQ_INT(json_array_size(json_object_get(j, "providers")), 2);
  T_OK(provider(j, "generic") == NULL);
  d = provider(j, "daccount");
  T_EQ_STR(field(d, "authorize", "login_hint", f), "user_identifier/login");
  T_EQ_STR(field(d, "authorize", "prompt", f), "");
  T_EQ_STR(field(d, "authorize", "authif", f), "");
  json_decref(j);
  T_EQ_INT(bh_cli(E, path, &out, "disclosures"), 0);
  T_OK(has(out.data, "login hint"));
  T_OK(!has(out.data, "[provider \"generic\"]"));
  /* The running broker: reload the changed file. */
  T_EQ_INT(spill(E->config, text), 0);
  T_EQ_INT(bh_kill_broker(E, SIGHUP), 0);
  T_OK(privacy_page_lists_generic(b, &r, 0));
  T_OK(has(r.body.data, "login hint"));
  T_OK(has(r.body.data, "<code>login_hint</code>"));
  /* Back to the original configuration. */
  T_EQ_INT(spill(E->config, config_orig), 0);
  T_EQ_INT(bh_kill_broker(E, SIGHUP), 0);
  T_OK(privacy_page_lists_generic(b, &r, 1));
  door__buf_free(&out);
  bh_resp_free(&r);
  bh_browser_free(b);
}

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  return door__buf_append((door_buf *)ud, p, size * n) ? 0 : size * n;
}

/* GET /api/events/EVENT/stats with an Authorization header (NULL: none),
 * by hand with libcurl (the harness's browsers send no such header). */
static long stats(const char *auth, const char *event, json_t **j) {
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  door_buf body, head;
  char url[4096], hdr[300];
  long status = -1;
  door__buf_init(&body, 1 << 22);
  door__buf_init(&head, 1 << 16);
  snprintf(url, sizeof url, "%s/api/events/%s/stats", E->base, event);
  if (auth) {
    snprintf(hdr, sizeof hdr, "Authorization: %s", auth);
    h = curl_slist_append(h, hdr);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CAINFO, E->ca);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  printf("# GET %s -> %ld %.200s\n", url, status, door__buf_str(&body));
  if (status == 401)
    T_OK(has(door__buf_str(&head), "WWW-Authenticate: Bearer"));
  if (j)
    *j = json_loads(door__buf_str(&body), 0, NULL);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  door__buf_free(&body);
  door__buf_free(&head);
  return status;
}

/* The vip cell of the newest hour (the current one) as text. */
static const char *vip_now(json_t *j, char buf[32]) {
  json_t *hours = json_object_get(j, "hours");
  json_t *c = json_object_get(
      json_object_get(json_array_get(hours, json_array_size(hours) - 1),
                      "counts"),
      "vip");
  if (json_is_integer(c))
    snprintf(buf, 32, "%lld", (long long)json_integer_value(c));
  else
    snprintf(buf, 32, "%s", json_is_string(c) ? json_string_value(c) : "-");
  return buf;
}

static void test_stats_route_and_cli(void) {
  json_t *j = NULL;
  char buf[32];
  door_buf out;
  door__buf_init(&out, 1 << 22);
  T_EQ_INT(stats(NULL, "ev-e2e", NULL), 401);
  T_EQ_INT(stats("Bearer wrong-token-wrong-token-0000", "ev-e2e", NULL), 401);
  T_EQ_INT(stats("Basic " STATS_TOKEN, "ev-e2e", NULL), 401);
  /* Without the token, unknown events are 401 too: nothing leaks. */
  T_EQ_INT(stats(NULL, "no-such-event", NULL), 401);
  T_EQ_INT(stats("Bearer " STATS_TOKEN, "no-such-event", NULL), 404);
  T_EQ_INT(stats("Bearer " STATS_TOKEN, "ev-e2e", &j), 200);
  T_EQ_INT(json_integer_value(json_object_get(j, "k")), 10);
  T_OK(json_is_true(json_object_get(j, "truncated"))); /* 2020..2099 */
  T_EQ_STR(vip_now(j, buf), "<10");
  T_EQ_STR(json_string_value(json_object_get(j, "total")), "<10");
  json_decref(j);
  /* The CLI reads the same store. */
  T_EQ_INT(bh_cli(E, E->config, &out, "stats", "ev-e2e", "--json"), 0);
  j = json_loads(out.data ? out.data : "", 0, NULL);
  T_EQ_INT(json_integer_value(json_object_get(j, "k")), 10);
  T_EQ_STR(vip_now(j, buf), "<10");
  json_decref(j);
  T_EQ_INT(bh_cli(E, E->config, &out, "stats", "ev-e2e"), 0);
  T_OK(has(out.data, "E2E Live (ev-e2e): participation tokens issued"));
  T_OK(has(out.data, "Counts below 10 are shown as <10"));
  T_OK(has(out.data, "hour (UTC)  "));
  T_EQ_INT(bh_cli(E, E->config, &out, "stats", "no-such-event"), 1);
  T_EQ_INT(bh_cli(E, E->config, &out, "stats"), 2);
  door__buf_free(&out);
}

/* Participation tokens issued through the real flow are counted: XMarket
 * hanako (a vip ticket) gets 9 tokens, the current hour's vip cell stays
 * "<10" (k-1), a 10th makes it 10 (k); the route and `stats` agree. */
static void test_stats_count_tokens(void) {
  bh_browser *x = bh_browser_new(E, 0);
  bh_resp r;
  json_t *j = NULL;
  char *csrf = NULL, *enc = NULL, form[200], buf[32];
  door_buf out;
  int i;
  bh_resp_init(&r);
  door__buf_init(&out, 1 << 22);
  T_EQ_INT(bh_login(x, "xmarket", "hanako", NULL, &r), 302);
  T_OK((csrf = bh_csrf(x)) != NULL);
  enc = bh_enc(csrf ? csrf : "");
  snprintf(form, sizeof form, "csrf_token=%s", enc);
  for (i = 0; i < 9; i++) {
    T_EQ_INT(bh_post_path(x, "/api/events/ev-e2e/participation", form, &r), 0);
    T_EQ_INT(r.status, 200);
  }
  T_EQ_INT(stats("Bearer " STATS_TOKEN, "ev-e2e", &j), 200);
  T_EQ_STR(vip_now(j, buf), "<10"); /* k - 1 */
  {
    char *t = json_dumps(j, JSON_COMPACT);
    T_OK(t && !has(t, ":9")); /* the 9 appears nowhere */
    free(t);
  }
  json_decref(j);
  T_EQ_INT(bh_post_path(x, "/api/events/ev-e2e/participation", form, &r), 0);
  T_EQ_INT(r.status, 200);
  T_EQ_INT(stats("Bearer " STATS_TOKEN, "ev-e2e", &j), 200);
  T_EQ_STR(vip_now(j, buf), "10"); /* k */
  /* The other cells are zero (suppressed): the total is a lower bound. */
  T_EQ_STR(json_string_value(json_object_get(j, "total")), ">=10");
  T_EQ_STR(json_string_value(
               json_object_get(json_object_get(j, "tier_totals"), "vip")),
           ">=10");
  json_decref(j);
  T_EQ_INT(bh_cli(E, E->config, &out, "stats", "ev-e2e", "--json"), 0);
  j = json_loads(out.data ? out.data : "", 0, NULL);
  T_EQ_STR(vip_now(j, buf), "10");
  json_decref(j);
  free(csrf);
  free(enc);
  door__buf_free(&out);
  bh_resp_free(&r);
  bh_browser_free(x);
}

int main(int argc, char **argv) {
  static const t_case cases[] = {
      T_CASE(test_page_en_and_ja),
      T_CASE(test_disclosures_cli_default),
      T_CASE(test_disclosures_follow_the_config),
      T_CASE(test_stats_route_and_cli),
      T_CASE(test_stats_count_tokens),
  };
  static char text[12288];
  int rc;
  /* door-broker with the operators' statistics token and a generic
   * provider whose name needs escaping. */
  if (bh_setup(E, argc, argv) || bh_kill_broker(E, SIGTERM) ||
      bh_wait_broker(E, 30) != 0 || bh_write_config(E, "Generic <OP> & co") ||
      slurp(E->config, text, sizeof text) ||
      edit_config(text, "[broker]\n", "stats_token = " STATS_TOKEN "\n", 0,
                  config_orig, sizeof config_orig) ||
      spill(E->config, config_orig) || bh_start_broker(E)) {
    printf("1..1\nnot ok 1 - setup (door-idp and door-broker)\n");
    bh_teardown(E, 1);
    return 1;
  }
  rc = t_run(cases, sizeof cases / sizeof cases[0]);
  bh_teardown(E, rc != 0);
  return rc;
}

jmp_buf t__jmp;
