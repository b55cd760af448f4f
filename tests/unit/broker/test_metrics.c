/* Metrics in the Prometheus text format: label escaping, seconds,
 * cumulative histogram buckets ending in +Inf == _count, HELP/TYPE before
 * every family, and the broker's whole exposition parsed line by line. */
#include "t_broker.h"

#include <ctype.h>

static t_env env;

static void test_label_and_seconds(void) {
  door_buf b;
  door__buf_init(&b, 256);
  T_EQ_ERR(door__m_label(&b, "a\"b\\c\nd"), DOOR_OK);
  T_EQ_STR(b.data, "a\\\"b\\\\c\\nd");
  door__buf_reset(&b);
  T_EQ_ERR(door__m_seconds(&b, 1500), DOOR_OK);
  T_EQ_STR(b.data, "0.001500");
  door__buf_reset(&b);
  T_EQ_ERR(door__m_seconds(&b, 12000001), DOOR_OK);
  T_EQ_STR(b.data, "12.000001");
  door__buf_free(&b);
}

static void test_histogram_is_cumulative(void) {
  door_m_hist h;
  door_buf b;
  memset(&h, 0, sizeof h);
  door__m_hist_observe(&h, 500);      /* <= 1 ms */
  door__m_hist_observe(&h, 1000);     /* <= 1 ms (bounds are inclusive) */
  door__m_hist_observe(&h, 30000);    /* <= 50 ms */
  door__m_hist_observe(&h, 99000000); /* +Inf only */
  door__buf_init(&b, 8192);
  T_EQ_ERR(door__m_hist_write(&b, "x_seconds", "p=\"a\"", &h), DOOR_OK);
  T_OK(strstr(b.data, "x_seconds_bucket{p=\"a\",le=\"0.001000\"} 2\n"));
  T_OK(strstr(b.data, "x_seconds_bucket{p=\"a\",le=\"0.025000\"} 2\n"));
  T_OK(strstr(b.data, "x_seconds_bucket{p=\"a\",le=\"0.050000\"} 3\n"));
  T_OK(strstr(b.data, "x_seconds_bucket{p=\"a\",le=\"10.000000\"} 3\n"));
  T_OK(strstr(b.data, "x_seconds_bucket{p=\"a\",le=\"+Inf\"} 4\n"));
  T_OK(strstr(b.data, "x_seconds_sum{p=\"a\"} 99.031500\n"));
  T_OK(strstr(b.data, "x_seconds_count{p=\"a\"} 4\n"));
  door__buf_reset(&b);
  T_EQ_ERR(door__m_hist_write(&b, "y", "", &h), DOOR_OK);
  T_OK(strstr(b.data, "y_bucket{le=\"+Inf\"} 4\n"));
  T_OK(strstr(b.data, "y_count 4\n"));
  door__buf_free(&b);
}

/* Checks one exposition: every line is a comment (HELP/TYPE) or a sample
 * "name[{labels}] value" whose family was TYPEd before. */
static void check_exposition(const char *text) {
  char typed[64][96];
  size_t ntyped = 0, i;
  const char *line = text;
  T_OK(text[strlen(text) - 1] == '\n');
  while (*line) {
    const char *end = strchr(line, '\n'), *sp, *name_end;
    char name[96];
    size_t n;
    int known = 0;
    T_OK(end != NULL);
    if (strncmp(line, "# HELP ", 7) == 0) {
      line = end + 1;
      continue;
    }
    if (strncmp(line, "# TYPE ", 7) == 0) {
      const char *s = line + 7, *e = strchr(s, ' ');
      T_OK(e && e < end && ntyped < 64);
      T_OK(strncmp(e + 1, "counter\n", 8) == 0 ||
           strncmp(e + 1, "gauge\n", 6) == 0 ||
           strncmp(e + 1, "histogram\n", 10) == 0);
      n = (size_t)(e - s);
      T_OK(n < sizeof typed[0]);
      memcpy(typed[ntyped], s, n);
      typed[ntyped++][n] = '\0';
      line = end + 1;
      continue;
    }
    T_OK(line[0] != '#');
    name_end = line;
    while (name_end < end && (isalnum((unsigned char)*name_end) ||
                              *name_end == '_' || *name_end == ':'))
      name_end++;
    n = (size_t)(name_end - line);
    T_OK(n > 0 && n < sizeof name);
    memcpy(name, line, n);
    name[n] = '\0';
    if (*name_end == '{') {
      const char *close = strstr(name_end, "} ");
      T_OK(close && close < end);
      name_end = close + 1;
    }
    T_OK(*name_end == ' ');
    for (sp = name_end + 1; sp < end; sp++)
      T_OK(isdigit((unsigned char)*sp) || *sp == '.' || *sp == '-');
    for (i = 0; i < ntyped && !known; i++) {
      size_t tl = strlen(typed[i]);
      known =
          strcmp(name, typed[i]) == 0 || (strncmp(name, typed[i], tl) == 0 &&
                                          (strcmp(name + tl, "_bucket") == 0 ||
                                           strcmp(name + tl, "_sum") == 0 ||
                                           strcmp(name + tl, "_count") == 0));
    }
    if (!known)
      printf("# untyped sample: %s\n", name);
    T_OK(known);
    line = end + 1;
  }
}

static void test_broker_exposition(void) {
  char account[33], cookie[128], *text = NULL;
  door_broker_session s;
  door_broker_begin p;
  door_broker_reply r;
  t_env_make(&env, "https://door.example/");
  t_signed_in(&env, "m-1", account, cookie, sizeof cookie);
  T_EQ_ERR(door_broker_session_get(env.b, cookie, &s, NULL), DOOR_OK);
  door_broker_session_clear(&s);
  memset(&p, 0, sizeof p);
  p.provider = "generic";
  T_EQ_ERR(door_broker_login_begin(env.b, &p, NULL, &r, NULL), DOOR_OK);
  door_broker_reply_clear(&r);
  T_OK(door_broker_login_finish(env.b, "generic", "code=a", NULL, &r, NULL) !=
       DOOR_OK);
  door_broker_reply_clear(&r);
  /* Names from URLs never make series. */
  T_OK(door_broker_login_finish(env.b, "evil\"name", "code=a", NULL, &r,
                                NULL) != DOOR_OK);
  door_broker_reply_clear(&r);
  T_EQ_ERR(door_broker_metrics(env.b, &text), DOOR_OK);
  check_exposition(text);
  T_OK(strstr(text, "door_login_begins_total{provider=\"generic\","
                    "outcome=\"ok\"} 1\n"));
  T_OK(strstr(text, "door_logins_total{provider=\"generic\","
                    "outcome=\"login_state_missing\"} 1\n"));
  T_OK(strstr(text, "door_login_finish_seconds_count{provider=\"generic\"} "
                    "1\n"));
  T_OK(strstr(text, "door_sessions 1\n"));
  T_OK(strstr(text, "door_accounts 1\n"));
  T_OK(strstr(text, "door_store_call_seconds_count{op=\"session_create\"} "
                    "1\n"));
  T_OK(strstr(text, "door_jwks_fetches_total{provider=\"daccount\"} 0\n"));
  T_OK(strstr(text, "door_transmissions_refused_total{provider=\"generic\","
                    "endpoint=\"authorize\"} 0\n"));
  T_OK(!strstr(text, "evil"));
  free(text);
  t_env_free(&env);
}

T_MAIN(T_CASE(test_label_and_seconds), T_CASE(test_histogram_is_cumulative),
       T_CASE(test_broker_exposition))
