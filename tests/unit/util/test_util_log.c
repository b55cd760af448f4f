/* Logging: formats, escaping, redaction, caps, sinks. */
#include "t.h"

#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct capture {
  char line[16384];
  size_t len;
  int calls;
  door_log_level level;
} capture;

static void capture_sink(void *ud, door_log_level level, const char *line,
                         size_t len) {
  capture *c = ud;
  c->calls++;
  c->level = level;
  c->len = len;
  memcpy(c->line, line, len);
  c->line[len] = '\0';
}

static void setup(door_log *lg, capture *c, door_log_format fmt) {
  memset(c, 0, sizeof *c);
  door__log_init(lg, "door-test");
  lg->format = fmt;
  lg->sink = capture_sink;
  lg->sink_ud = c;
}

/* The line after the "ts=... " prefix. */
static const char *after_ts(const char *line) {
  const char *p = strchr(line, ' ');
  return p ? p + 1 : line;
}

static int is_rfc3339_ms(const char *s) {
  static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  size_t i;
  for (i = 0; pat[i]; i++) {
    if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
      return 0;
  }
  return 1;
}

static void test_level_parse_and_init(void) {
  door_log lg;
  door_log_level lv = DOOR_LOG_ERROR;
  door__log_init(&lg, NULL);
  T_EQ_INT(lg.min_level, DOOR_LOG_INFO);
  T_EQ_INT(lg.format, DOOR_LOG_KV);
  T_OK(lg.sink == NULL);
  T_EQ_ERR(door__log_level_parse("debug", &lv), DOOR_OK);
  T_EQ_INT(lv, DOOR_LOG_DEBUG);
  T_EQ_ERR(door__log_level_parse("warn", &lv), DOOR_OK);
  T_EQ_INT(lv, DOOR_LOG_WARN);
  T_EQ_ERR(door__log_level_parse("error", &lv), DOOR_OK);
  T_EQ_INT(lv, DOOR_LOG_ERROR);
  T_EQ_ERR(door__log_level_parse("info", &lv), DOOR_OK);
  T_EQ_INT(lv, DOOR_LOG_INFO);
  T_EQ_ERR(door__log_level_parse("INFO", &lv), DOOR_EINVAL);
  T_EQ_ERR(door__log_level_parse("warning", &lv), DOOR_EINVAL);
  T_EQ_ERR(door__log_level_parse(NULL, &lv), DOOR_EINVAL);
}

static void test_kv_line(void) {
  door_log lg;
  capture c;
  setup(&lg, &c, DOOR_LOG_KV);
  door__log(&lg, DOOR_LOG_INFO, "login.ok", "provider", "daccount", "sub",
            "abc", "empty", NULL, NULL);
  T_EQ_INT(c.calls, 1);
  T_EQ_INT(c.level, DOOR_LOG_INFO);
  T_OK(strncmp(c.line, "ts=", 3) == 0);
  T_OK(is_rfc3339_ms(c.line + 3));
  T_EQ_STR(after_ts(c.line),
           "level=info prog=door-test event=login.ok provider=daccount "
           "sub=abc empty=");
  T_EQ_INT(c.len, strlen(c.line));
}

static void test_json_line(void) {
  door_log lg;
  capture c;
  const char *p;
  setup(&lg, &c, DOOR_LOG_JSON);
  lg.program = NULL;
  door__log(&lg, DOOR_LOG_WARN, "x.y", "a", "1", "b", NULL, NULL);
  T_OK(strncmp(c.line, "{\"ts\":\"", 7) == 0);
  T_OK(is_rfc3339_ms(c.line + 7));
  p = strchr(c.line, ',');
  T_OK(p != NULL);
  T_EQ_STR(p, ",\"level\":\"warn\",\"event\":\"x.y\",\"a\":\"1\",\"b\":\"\"}");
}

static void test_min_level_and_null_logger(void) {
  door_log lg;
  capture c;
  door_detail d;
  setup(&lg, &c, DOOR_LOG_KV);
  door__log(&lg, DOOR_LOG_DEBUG, "hidden", NULL);
  T_EQ_INT(c.calls, 0);
  lg.min_level = DOOR_LOG_ERROR;
  door__log(&lg, DOOR_LOG_WARN, "hidden", NULL);
  T_EQ_INT(c.calls, 0);
  door__log(&lg, DOOR_LOG_ERROR, "shown", NULL);
  T_EQ_INT(c.calls, 1);
  T_EQ_INT(c.level, DOOR_LOG_ERROR);
  /* A NULL logger is valid and logs nothing. */
  door__log(NULL, DOOR_LOG_ERROR, "nothing", "a", "b", NULL);
  door_detail_set(&d, DOOR_EIO, "x", "y", "z");
  door__log_detail(NULL, DOOR_LOG_ERROR, "nothing", &d);
  T_EQ_INT(c.calls, 1);
}

static void test_kv_escaping(void) {
  door_log lg;
  capture c;
  setup(&lg, &c, DOOR_LOG_KV);
  lg.program = NULL;
  door__log(&lg, DOOR_LOG_INFO, "e", "sp", "a b", "q", "say \"hi\"", "eq",
            "a=b", "nl", "l1\nl2\r\t", "ctl", "\x01\x7f", "bs", "c:\\x", "bsq",
            "a \\ b", "utf8", "\xe3\x81\x82", "bad", "\xff", NULL);
  T_EQ_STR(after_ts(c.line),
           "level=info event=e sp=\"a b\" q=\"say \\\"hi\\\"\" eq=\"a=b\" "
           "nl=\"l1\\nl2\\r\\t\" ctl=\"\\x01\\x7f\" bs=c:\\x "
           "bsq=\"a \\\\ b\" utf8=\xe3\x81\x82 bad=\"\\xff\"");
  /* Keys cannot break the structure either. */
  door__log(&lg, DOOR_LOG_INFO, "e", "a b=c\"", "v", "", "w", NULL);
  T_EQ_STR(after_ts(c.line), "level=info event=e a_b_c_=v _=w");
}

static void test_json_escaping(void) {
  door_log lg;
  capture c;
  const char *p;
  setup(&lg, &c, DOOR_LOG_JSON);
  lg.program = NULL;
  door__log(&lg, DOOR_LOG_INFO, "e", "s", "a\"b\\c\nd\x01\x7f", "u",
            "\xe3\x81\x82", "bad", "\xc3\x28", "surrogate", "\xed\xa0\x80",
            NULL);
  p = strstr(c.line, ",\"event\"");
  T_OK(p != NULL);
  T_EQ_STR(p, ",\"event\":\"e\",\"s\":\"a\\\"b\\\\c\\nd\\u0001\\u007f\","
              "\"u\":\"\xe3\x81\x82\",\"bad\":\"\\ufffd(\","
              "\"surrogate\":\"\\ufffd\\ufffd\\ufffd\"}");
}

static void test_redaction_by_key(void) {
  static const char *const secret_keys[] = {
      "client_secret", "secret",       "password",      "code",
      "code_verifier", "token",        "access_token",  "refresh_token",
      "id_token",      "assertion",    "authorization", "cookie",
      "set-cookie",    "session",      "state",         "nonce",
      "my_secret",     "device_token", "cookie_key",    "db_password",
      "Authorization", "Set-Cookie",   "CLIENT_SECRET", "api-key",
      "set_cookie",
  };
  static const char *const plain_keys[] = {
      "provider",  "sub", "codec",     "error_code", "key",  "tokens",
      "statement", "kid", "secretary", "keys",       "_key", "issuer",
  };
  size_t i;
  door_log lg;
  capture c;
  for (i = 0; i < sizeof secret_keys / sizeof *secret_keys; i++) {
    if (!door__log_key_is_secret(secret_keys[i]))
      T_FAIL_("key %s should be secret", secret_keys[i]);
  }
  for (i = 0; i < sizeof plain_keys / sizeof *plain_keys; i++) {
    if (door__log_key_is_secret(plain_keys[i]))
      T_FAIL_("key %s should not be secret", plain_keys[i]);
  }
  T_EQ_INT(door__log_key_is_secret(NULL), 0);
  setup(&lg, &c, DOOR_LOG_KV);
  lg.program = NULL;
  door__log(&lg, DOOR_LOG_INFO, "e", "code", "SplxlOBeZQQYbYS6WxSbIA",
            "client_secret", "hunter2", "state", "", "provider", "x", NULL);
  T_EQ_STR(after_ts(c.line), "level=info event=e code=[redacted] "
                             "client_secret=[redacted] state=[redacted] "
                             "provider=x");
  T_OK(strstr(c.line, "hunter2") == NULL);
  setup(&lg, &c, DOOR_LOG_JSON);
  door__log(&lg, DOOR_LOG_INFO, "e", "id_token", "abc", NULL);
  T_OK(strstr(c.line, "\"id_token\":\"[redacted]\"") != NULL);
}

static void test_redaction_by_value(void) {
  static const char *const secret_values[] = {
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.",
      "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.",
      "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
      "https://rp/cb?id_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
      "Bearer mF_9.B5f-4.1JqM",
      "bearer mF_9.B5f-4.1JqM",
      "Basic dXNlcjpwYXNzd29yZA==",
      "Authorization: Bearer abcdefgh12345",
  };
  static const char *const plain_values[] = {
      "eyJhbGciOiJSUzI1NiJ9",    /* a header alone */
      "eyJ.x",                   /* one dot */
      "xeyJhbGci.eyJzdWIi.c2ln", /* not at a word start */
      "eyJhbGci..c2ln",          /* empty payload */
      "basic auth failed",       /* prose */
      "Bearer",
      "token_auth_method=client_secret_basic",
      "login.ok",
      "",
  };
  size_t i;
  door_log lg;
  capture c;
  for (i = 0; i < sizeof secret_values / sizeof *secret_values; i++) {
    if (!door__log_value_is_secret(secret_values[i]))
      T_FAIL_("value %s should be secret", secret_values[i]);
  }
  for (i = 0; i < sizeof plain_values / sizeof *plain_values; i++) {
    if (door__log_value_is_secret(plain_values[i]))
      T_FAIL_("value %s should not be secret", plain_values[i]);
  }
  T_EQ_INT(door__log_value_is_secret(NULL), 0);
  setup(&lg, &c, DOOR_LOG_KV);
  lg.program = NULL;
  door__log(&lg, DOOR_LOG_INFO, "e", "header", "Bearer abcdefghijk", "msg",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", NULL);
  T_EQ_STR(after_ts(c.line),
           "level=info event=e header=[redacted] msg=[redacted]");
  /* Even the event name and the program name are checked. */
  lg.program = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
  door__log(&lg, DOOR_LOG_INFO, "Bearer abcdefghijk", NULL);
  T_EQ_STR(after_ts(c.line), "level=info prog=[redacted] event=[redacted]");
}

static void test_value_cap(void) {
  static char big[5000];
  door_log lg;
  capture c;
  const char *v;
  memset(big, 'a', sizeof big - 1);
  setup(&lg, &c, DOOR_LOG_KV);
  lg.program = NULL;
  door__log(&lg, DOOR_LOG_INFO, "e", "v", big, NULL);
  v = strstr(c.line, " v=");
  T_OK(v != NULL);
  v += 3;
  T_EQ_INT(strlen(v), 1024);
  T_EQ_STR(v + 1021, "...");
  /* A value of exactly 1024 bytes is kept whole. */
  big[1024] = '\0';
  door__log(&lg, DOOR_LOG_INFO, "e", "v", big, NULL);
  v = strstr(c.line, " v=") + 3;
  T_EQ_INT(strlen(v), 1024);
  T_EQ_INT(v[1023], 'a');
  /* Quoted values count their quotes and escapes. */
  memset(big, '\n', 1024);
  door__log(&lg, DOOR_LOG_INFO, "e", "v", big, NULL);
  v = strstr(c.line, " v=") + 3;
  /* '"', 509 two-byte escapes, "...", '"': the next escape would not fit. */
  T_EQ_INT(strlen(v), 1 + 509 * 2 + 3 + 1);
  T_EQ_STR(v + 1019, "...\"");
  /* A multi-byte character is never cut. */
  setup(&lg, &c, DOOR_LOG_JSON);
  {
    static char jp[3 * 400 + 1];
    size_t i;
    for (i = 0; i < 400; i++)
      memcpy(jp + 3 * i, "\xe3\x81\x82", 3);
    door__log(&lg, DOOR_LOG_INFO, "e", "v", jp, NULL);
    v = strstr(c.line, "\"v\":\"") + 5;
    /* 1022 bytes of room: 339 characters (1017 bytes) then "...". */
    T_EQ_INT(strlen(v), 339 * 3 + 3 + 2);
    T_EQ_STR(v + 339 * 3, "...\"}");
  }
  memset(big, 0, sizeof big);
}

static void test_line_cap(void) {
  static char val[1001];
  door_log lg;
  capture c;
  memset(val, 'b', 1000);
  setup(&lg, &c, DOOR_LOG_KV);
  door__log(&lg, DOOR_LOG_INFO, "e", "k1", val, "k2", val, "k3", val, "k4", val,
            "k5", val, "k6", val, "k7", val, "k8", val, "k9", val, "k10", val,
            NULL);
  T_EQ_INT(c.calls, 1);
  T_OK(c.len <= 8192);
  T_OK(strstr(c.line, " k7=") != NULL);
  T_OK(strstr(c.line, " k9=") == NULL);
  T_OK(c.len > 20 && strcmp(c.line + c.len - 15, " truncated=true") == 0);
  setup(&lg, &c, DOOR_LOG_JSON);
  door__log(&lg, DOOR_LOG_INFO, "e", "k1", val, "k2", val, "k3", val, "k4", val,
            "k5", val, "k6", val, "k7", val, "k8", val, "k9", val, "k10", val,
            NULL);
  T_OK(c.len <= 8192);
  T_OK(c.len > 20 && strcmp(c.line + c.len - 18, ",\"truncated\":true}") == 0);
}

static void test_detail(void) {
  door_log lg;
  capture c;
  door_detail d;
  setup(&lg, &c, DOOR_LOG_KV);
  lg.program = NULL;
  door_detail_set(&d, DOOR_EJWK_WEAK, "jwks.keys[0]", "RSA key of 1024 bits",
                  "publish 2048 bits");
  door__log_detail(&lg, DOOR_LOG_WARN, "jwks.refresh", &d);
  T_EQ_STR(after_ts(c.line), "level=warn event=jwks.refresh err=JWK_WEAK "
                             "what=\"RSA key of 1024 bits\" where=jwks.keys[0] "
                             "hint=\"publish 2048 bits\"");
  door_detail_clear(&d);
  d.code = DOOR_EIO;
  door__log_detail(&lg, DOOR_LOG_ERROR, "x", &d);
  T_EQ_STR(after_ts(c.line),
           "level=error event=x err=IO what=\"input/output error\"");
  door__log_detail(&lg, DOOR_LOG_ERROR, "x", NULL);
  T_EQ_STR(after_ts(c.line), "level=error event=x");
}

static void test_stderr_sink(void) {
  /* The default sink writes one line with its newline to stderr. */
  door_log lg;
  char buf[512];
  FILE *f = tmpfile();
  int saved;
  size_t n;
  T_OK(f != NULL);
  fflush(stderr);
  saved = dup(2);
  T_OK(saved >= 0);
  T_OK(dup2(fileno(f), 2) >= 0);
  door__log_init(&lg, "p");
  door__log(&lg, DOOR_LOG_INFO, "hello", "k", "v", NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(f);
  n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  T_OK(n > 0 && buf[n - 1] == '\n');
  buf[n - 1] = '\0';
  T_EQ_STR(after_ts(buf), "level=info prog=p event=hello k=v");
}

T_MAIN(T_CASE(test_level_parse_and_init), T_CASE(test_kv_line),
       T_CASE(test_json_line), T_CASE(test_min_level_and_null_logger),
       T_CASE(test_kv_escaping), T_CASE(test_json_escaping),
       T_CASE(test_redaction_by_key), T_CASE(test_redaction_by_value),
       T_CASE(test_value_cap), T_CASE(test_line_cap), T_CASE(test_detail),
       T_CASE(test_stderr_sink))
