/* door-broker: the login broker's command line.
 *
 *   door-broker [--config FILE] COMMAND [ARGS...]
 *   door-broker --config FILE            (serve)
 *
 * main() only parses the global options and dispatches through a const
 * table of commands; each command calls the library.  With --config and
 * no command it serves (`serve`); with neither it prints the usage (exit
 * 2) rather than guessing at the default configuration file.  Exit
 * status: 0 on success, 1 when the command failed (for `check`: the
 * configuration has errors), 2 for a usage error.
 */
#include "daemon/broker_version.h"
#include "daemon/daemon.h"
#include "daemon/privacy.h"
#include "doorauth/error.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/errlist.h"

#include <stdio.h>
#include <string.h>

#define DOOR__EXIT_OK 0
#define DOOR__EXIT_FAIL 1
#define DOOR__EXIT_USAGE 2

#define DOOR__DEFAULT_CONFIG "/etc/doorauth/doorauth.ini"

typedef struct door__cli {
  const char *prog;
  const char *config_path;
} door__cli;

typedef int (*door__cmd_fn)(const door__cli *cli, int argc, char **argv);

typedef struct door__cmd {
  const char *name;
  door__cmd_fn fn;
  const char *args;    /* shown after the name in --help */
  const char *summary; /* one line */
} door__cmd;

static const char door__usage[] =
    "usage: door-broker [--config FILE] COMMAND [ARGS...]\n"
    "       door-broker --config FILE   (serve)\n";

static void door__puts(FILE *f, const char *s) { fputs(s, f); }

static int door__usage_error(const char *prog, const char *what,
                             const char *arg) {
  door__puts(stderr, prog);
  door__puts(stderr, ": ");
  door__puts(stderr, what);
  if (arg) {
    door__puts(stderr, " '");
    door__puts(stderr, arg);
    door__puts(stderr, "'");
  }
  door__puts(stderr, "\n");
  door__puts(stderr, door__usage);
  door__puts(stderr, "Try 'door-broker --help'.\n");
  return DOOR__EXIT_USAGE;
}

/* ---- check --------------------------------------------------------------- */

/* Writes every diagnostic as one line to `f`. */
static void door__print_diags(FILE *f, const door_errlist *errs,
                              const char *file) {
  door_buf line;
  size_t i;
  door__buf_init(&line, 4096);
  for (i = 0; i < errs->n; i++) {
    door__buf_reset(&line);
    if (door__diag_format(&errs->items[i], &line) == DOOR_OK &&
        door__buf_putc(&line, '\n') == DOOR_OK)
      fwrite(line.data, 1, line.len, f);
  }
  if (errs->dropped) {
    door__buf_reset(&line);
    if (!door__buf_puts(&line, file) && !door__buf_puts(&line, ": error: ") &&
        !door__buf_put_u64(&line, errs->dropped) &&
        !door__buf_puts(&line, " more problems not shown\n"))
      fwrite(line.data, 1, line.len, f);
  }
  door__buf_free(&line);
}

static int door__cmd_check(const door__cli *cli, int argc, char **argv) {
  door_config *cfg = NULL;
  door_errlist errs;
  door_buf out;
  door_err err;
  int rc = DOOR__EXIT_OK;
  (void)argv;
  if (argc > 1)
    return door__usage_error(cli->prog, "check takes no arguments, got",
                             argv[1]);
  door__errlist_init(&errs);
  err = door__config_load(cli->config_path, &cfg, &errs);
  door__print_diags(stderr, &errs, cli->config_path);
  if (err) {
    if (err == DOOR_ENOMEM)
      door__puts(stderr, "door-broker: out of memory\n");
    rc = DOOR__EXIT_FAIL;
    goto out;
  }
  door__buf_init(&out, DOOR_BUF_DEFAULT_MAX);
  if (door__config_describe(cfg, &out) != DOOR_OK) {
    door__puts(stderr, "door-broker: cannot describe the configuration\n");
    rc = DOOR__EXIT_FAIL;
  } else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
             fflush(stdout) != 0) {
    rc = DOOR__EXIT_FAIL;
  }
  door__buf_free(&out);
out:
  door__config_free(cfg);
  door__errlist_free(&errs);
  return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

static int door__cmd_serve_(const door__cli *cli, int argc, char **argv) {
  return door__cmd_serve(cli->prog, cli->config_path, argc, argv);
}

static int door__cmd_accounts_(const door__cli *cli, int argc, char **argv) {
  return door__cmd_accounts(cli->prog, cli->config_path, argc, argv);
}

static int door__cmd_keys_(const door__cli *cli, int argc, char **argv) {
  return door__cmd_keys(cli->prog, cli->config_path, argc, argv);
}

static int door__cmd_disclosures_(const door__cli *cli, int argc, char **argv) {
  return door__cmd_disclosures(cli->prog, cli->config_path, argc, argv);
}

static int door__cmd_stats_(const door__cli *cli, int argc, char **argv) {
  return door__cmd_stats(cli->prog, cli->config_path, argc, argv);
}

static const door__cmd door__cmds[] = {
    {"serve", door__cmd_serve_, "",
     "serve logins over HTTP(S) (the default command)"},
    {"check", door__cmd_check, "",
     "validate the configuration and print what was understood"},
    {"accounts", door__cmd_accounts_,
     " list|show ID|unlink ID PROVIDER|"
     "delete ID [--json]",
     "\n                   inspect and manage DOOR accounts"},
    {"keys", door__cmd_keys_, " list|rotate [--now] [--json]",
     "\n                   participation-token signing keys"},
    {"disclosures", door__cmd_disclosures_, " [--json] [--lang en|ja]",
     "\n                   what each provider receives, and why"},
    {"stats", door__cmd_stats_, " EVENT [--json]",
     "\n                   an event's anonymous admission counts"},
};

static int door__help(void) {
  size_t i;
  door__puts(stdout, door__usage);
  door__puts(
      stdout,
      "\nThe DOOR login broker: OpenID Connect logins with d-account,"
      "\nXMarket and other providers, mapped to DOOR accounts.\n"
      "\nOptions:\n"
      "  -c, --config FILE  configuration file (default " DOOR__DEFAULT_CONFIG
      ")\n"
      "  -h, --help         show this help\n"
      "  -V, --version      show the version\n"
      "\nCommands:\n");
  for (i = 0; i < sizeof door__cmds / sizeof door__cmds[0]; i++) {
    size_t n = strlen(door__cmds[i].name) + strlen(door__cmds[i].args);
    door__puts(stdout, "  ");
    door__puts(stdout, door__cmds[i].name);
    door__puts(stdout, door__cmds[i].args);
    while (n++ < 17)
      door__puts(stdout, " ");
    door__puts(stdout, door__cmds[i].summary);
    door__puts(stdout, "\n");
  }
  return fflush(stdout) == 0 ? DOOR__EXIT_OK : DOOR__EXIT_FAIL;
}

int main(int argc, char **argv) {
  door__cli cli;
  size_t i;
  int a, config_given = 0;
  cli.prog = "door-broker";
  cli.config_path = DOOR__DEFAULT_CONFIG;
  for (a = 1; a < argc; a++) {
    const char *s = argv[a];
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
      return door__help();
    if (strcmp(s, "--version") == 0 || strcmp(s, "-V") == 0) {
      door__puts(stdout, "door-broker " DOOR__BROKER_VERSION "\n");
      return fflush(stdout) == 0 ? DOOR__EXIT_OK : DOOR__EXIT_FAIL;
    }
    if (strcmp(s, "--config") == 0 || strcmp(s, "-c") == 0) {
      if (a + 1 >= argc || argv[a + 1][0] == '\0')
        return door__usage_error(cli.prog, "missing FILE after", s);
      cli.config_path = argv[++a];
      config_given = 1;
      continue;
    }
    if (strncmp(s, "--config=", 9) == 0) {
      if (s[9] == '\0')
        return door__usage_error(cli.prog, "missing FILE after", "--config=");
      cli.config_path = s + 9;
      config_given = 1;
      continue;
    }
    if (strcmp(s, "--") == 0) {
      a++;
      break;
    }
    if (s[0] == '-')
      return door__usage_error(cli.prog, "unknown option", s);
    break;
  }
  if (a >= argc && !config_given)
    return door__usage_error(cli.prog, "no command given", NULL);
  if (a >= argc) {
    static char serve[] = "serve";
    char *def[] = {serve, NULL};
    return door__cmd_serve_(&cli, 1, def);
  }
  for (i = 0; i < sizeof door__cmds / sizeof door__cmds[0]; i++)
    if (strcmp(argv[a], door__cmds[i].name) == 0)
      return door__cmds[i].fn(&cli, argc - a, argv + a);
  return door__usage_error(cli.prog, "unknown command", argv[a]);
}
