/* `door-broker disclosures` and `door-broker stats` (docs/privacy.md).
 *
 *   disclosures [--json] [--lang en|ja]
 *       what each configured provider receives and why, from the
 *       configuration file and the providers' effective manifests (no
 *       network I/O, the store is not opened);
 *   stats EVENT [--json]
 *       the event's anonymous admission counts from the store, with the
 *       same suppression as GET /api/events/{id}/stats.
 *
 * Exit 0 on success, 1 on failure (bad configuration, unknown event,
 * store), 2 for usage.
 */
#include "daemon/privacy.h"
#include "doorauth/broker_privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int door__pusage(const char *prog, const char *usage) {
  fputs(prog, stderr);
  fputs(": usage: ", stderr);
  fputs(usage, stderr);
  fputs("\n", stderr);
  return 2;
}

/* Prints `json` (with a newline) or its text form from `fn`. */
static int
door__print(const char *prog, const char *json, int as_json, const char *lang,
            door_err (*text)(const char *, const char *, door_buf *)) {
  door_buf out;
  door_err err;
  int rc = 0;
  if (as_json) {
    fputs(json, stdout);
    fputs("\n", stdout);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  door__buf_init(&out, DOOR_DAEMON_PAGE_MAX);
  err = text(json, lang, &out);
  if (err) {
    fputs(prog, stderr);
    fputs(": cannot render: ", stderr);
    fputs(door_err_name(err), stderr);
    fputs("\n", stderr);
    rc = 1;
  } else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
             fflush(stdout) != 0) {
    rc = 1;
  }
  door__buf_free(&out);
  return rc;
}

int door__cmd_disclosures(const char *prog, const char *config_path, int argc,
                          char **argv) {
  static const char usage[] = "disclosures [--json] [--lang en|ja]";
  const char *lang = "en";
  door_config *cfg = NULL;
  door_detail d;
  char *json = NULL;
  int i, as_json = 0, rc;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      as_json = 1;
    else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc &&
             (strcmp(argv[i + 1], "en") == 0 || strcmp(argv[i + 1], "ja") == 0))
      lang = argv[++i];
    else
      return door__pusage(prog, usage);
  }
  door_detail_clear(&d);
  if (door_config_load(config_path, &cfg, &d) ||
      door_config_disclosures_json(cfg, &json, &d)) {
    door__print_detail(prog, &d);
    door_config_free(cfg);
    return 1;
  }
  rc = door__print(prog, json, as_json, lang, door__disclosures_text);
  free(json);
  door_config_free(cfg);
  return rc;
}

/* Store lines (migrations, open) stay off stdout; warnings go to stderr. */
static void door__quiet(void *ud, int level, const char *line, size_t len) {
  (void)ud;
  if (level < DOOR_LOG_WARN)
    return;
  fwrite(line, 1, len, stderr);
  fputc('\n', stderr);
}

static door_err door__stats_text_(const char *json, const char *lang,
                                  door_buf *out) {
  (void)lang;
  return door__stats_text(json, out);
}

int door__cmd_stats(const char *prog, const char *config_path, int argc,
                    char **argv) {
  static const char usage[] = "stats EVENT [--json]";
  const char *event = NULL;
  door_config *cfg = NULL;
  door_broker *b = NULL;
  door_broker_options bo;
  door_detail d;
  char *json = NULL;
  int i, as_json = 0, rc;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      as_json = 1;
    else if (!event && argv[i][0] != '-')
      event = argv[i];
    else
      return door__pusage(prog, usage);
  }
  if (!event)
    return door__pusage(prog, usage);
  door_detail_clear(&d);
  if (door_config_load(config_path, &cfg, &d)) {
    door__print_detail(prog, &d);
    return 1;
  }
  /* door_broker_new takes cfg, also when it fails. */
  door_broker_options_init(&bo);
  bo.log_sink = door__quiet;
  bo.log_program = "door-broker";
  if (door_broker_new(cfg, &bo, &b, &d) ||
      door_broker_stats_json(b, event, &json, &d)) {
    door__print_detail(prog, &d);
    door_broker_free(b);
    return 1;
  }
  rc = door__print(prog, json, as_json, "en", door__stats_text_);
  free(json);
  door_broker_free(b);
  return rc;
}
