/* door-gate: verifies DOOR participation tokens offline.
 *
 *   door-gate verify --jwks FILE|URL --issuer URL --event ID [--single-use]
 *                    [--leeway SECONDS] [--jwks-cache FILE] [--ca-file FILE]
 *                    [--allow-insecure-loopback] [--now UNIX_TIME] [TOKEN]
 *
 * With TOKEN, verifies it; without, reads one token per line from stdin.
 * Prints one JSON object per token, in input order:
 *   {"admitted":true,"sub":"...","tier":"...","jti":"...","exp":N}
 *   {"admitted":false,"reason":"GATE_EXP","message":"token has expired"}
 * --single-use refuses a jti already admitted in this run (GATE_REPLAYED).
 * Exit status: 0 when every token was admitted, 1 when one was refused,
 * 2 for a usage or setup error.
 *
 * Links libcrypto, jansson and libcurl (for a --jwks URL) only. */
#include "doorauth/gate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOOR_GATE_LINE_MAX 65536

static const char door__usage[] =
    "usage: door-gate verify --jwks FILE|URL --issuer URL --event ID\n"
    "                        [--single-use] [--leeway SECONDS]\n"
    "                        [--jwks-cache FILE] [--ca-file FILE]\n"
    "                        [--allow-insecure-loopback] [--now UNIX_TIME]\n"
    "                        [TOKEN]\n"
    "Without TOKEN, reads one token per line from stdin and prints one JSON\n"
    "object per line.  Exit status 0 only when every token was admitted.\n";

static int door__usage_error(const char *what) {
  fputs("door-gate: ", stderr);
  fputs(what, stderr);
  fputc('\n', stderr);
  fputs(door__usage, stderr);
  return 2;
}

static int door__parse_i64(const char *s, int64_t *out) {
  char *end = NULL;
  long long v;
  if (!s || !*s)
    return -1;
  v = strtoll(s, &end, 10);
  if (*end || v < 0)
    return -1;
  *out = (int64_t)v;
  return 0;
}

/* One result line on stdout. */
static int door__print(door_err err, const door_gate_result *r) {
  json_t *o;
  char *text;
  if (err == DOOR_OK)
    o = json_pack("{s:b,s:s,s:s,s:s,s:I}", "admitted", 1, "sub", r->sub, "tier",
                  r->tier, "jti", r->jti, "exp", (json_int_t)r->exp);
  else
    o = json_pack("{s:b,s:s,s:s}", "admitted", 0, "reason", door_err_name(err),
                  "message", door_strerror(err));
  if (!o)
    return -1;
  text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!text)
    return -1;
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  return fflush(stdout) == 0 ? 0 : -1;
}

static int door__is_ws(int c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static door_err door__check(door_gate *g, const char *tok, size_t len,
                            const char *event, int64_t fixed_now,
                            door_gate_result *r) {
  int64_t now = fixed_now ? fixed_now : (int64_t)time(NULL);
  while (len && door__is_ws((unsigned char)tok[len - 1]))
    len--;
  while (len && door__is_ws((unsigned char)*tok)) {
    tok++;
    len--;
  }
  return door_gate_verify(g, tok, len, event, now, r, NULL);
}

/* Reads stdin line by line; lines past DOOR_GATE_LINE_MAX are refused as
 * too big without being kept. */
static int door__run_stdin(door_gate *g, const char *event, int64_t now) {
  static char line[DOOR_GATE_LINE_MAX + 1];
  door_gate_result r;
  int refused = 0, c;
  for (;;) {
    size_t n = 0;
    int too_long = 0, any = 0;
    door_err err;
    while ((c = getchar()) != EOF) {
      any = 1;
      if (c == '\n')
        break;
      if (n < DOOR_GATE_LINE_MAX)
        line[n++] = (char)c;
      else
        too_long = 1;
    }
    if (!any)
      break;
    line[n] = '\0';
    if (too_long) {
      err = DOOR_EJWS_TOOBIG;
      memset(&r, 0, sizeof r);
    } else
      err = door__check(g, line, n, event, now, &r);
    if (err)
      refused = 1;
    if (door__print(err, &r))
      return 2;
    if (c == EOF)
      break;
  }
  if (ferror(stdin)) {
    fputs("door-gate: reading stdin failed\n", stderr);
    return 2;
  }
  return refused ? 1 : 0;
}

int main(int argc, char **argv) {
  door_gate_options o;
  door_gate *g = NULL;
  door_detail d;
  const char *jwks = NULL, *event = NULL, *token = NULL;
  int64_t now = 0;
  int i, rc;
  door_err err;
  door_gate_options_init(&o);
  if (argc >= 2 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(door__usage, stdout);
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "verify") != 0)
    return door__usage_error("the command is verify");
  for (i = 2; i < argc; i++) {
    const char *a = argv[i];
    int has_value = i + 1 < argc;
    if (strcmp(a, "--single-use") == 0)
      o.single_use = 1;
    else if (strcmp(a, "--allow-insecure-loopback") == 0)
      o.allow_insecure_loopback = 1;
    else if (strcmp(a, "--jwks") == 0 && has_value)
      jwks = argv[++i];
    else if (strcmp(a, "--issuer") == 0 && has_value)
      o.issuer = argv[++i];
    else if (strcmp(a, "--event") == 0 && has_value)
      event = argv[++i];
    else if (strcmp(a, "--jwks-cache") == 0 && has_value)
      o.jwks_cache_file = argv[++i];
    else if (strcmp(a, "--ca-file") == 0 && has_value)
      o.ca_file = argv[++i];
    else if (strcmp(a, "--leeway") == 0 && has_value) {
      if (door__parse_i64(argv[++i], &o.leeway))
        return door__usage_error("--leeway takes seconds");
    } else if (strcmp(a, "--now") == 0 && has_value) {
      if (door__parse_i64(argv[++i], &now) || now == 0)
        return door__usage_error("--now takes a Unix time");
    } else if (a[0] == '-' && a[1] == '-')
      return door__usage_error("unknown option or missing value");
    else if (!token)
      token = a;
    else
      return door__usage_error("give at most one TOKEN");
  }
  if (!jwks || !o.issuer || !event)
    return door__usage_error("--jwks, --issuer and --event are required");
  if (strncmp(jwks, "https://", 8) == 0 || strncmp(jwks, "http://", 7) == 0)
    o.jwks_url = jwks;
  else
    o.jwks_file = jwks;
  err = door_gate_new(&o, &g, &d);
  if (err) {
    char msg[800];
    door_detail_format(&d, msg, sizeof msg);
    fputs("door-gate: ", stderr);
    fputs(msg[0] ? msg : door_err_name(err), stderr);
    fputc('\n', stderr);
    return 2;
  }
  if (token) {
    door_gate_result r;
    err = door__check(g, token, strlen(token), event, now, &r);
    rc = door__print(err, &r) ? 2 : err ? 1 : 0;
  } else
    rc = door__run_stdin(g, event, now);
  door_gate_free(g);
  return rc;
}
