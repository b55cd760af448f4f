/* `door-broker serve`: the HTTP daemon.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked before any thread starts
 * (every thread inherits the mask) and taken by the main thread with
 * sigtimedwait, so nothing runs in signal context and no global is needed:
 *   SIGHUP           re-read the configuration and swap it in
 *                    (door_broker_reload; sessions live in the store and
 *                    stay; listen, TLS, threads and [store] url need a
 *                    restart);
 *   SIGTERM, SIGINT  stop accepting, let requests in flight finish (up to
 *                    DOOR_D_GRACE seconds), exit 0.
 * Every DOOR_D_MAINT seconds the main thread also purges expired sessions
 * and one-time keys, and transmission records past [store]
 * transmission_retention (door_broker_maintenance).
 */
#include "daemon/daemon.h"
#include "util/config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOOR_D_GRACE 30
#define DOOR_D_MAINT 300

void door__print_detail(const char *prog, const door_detail *d) {
  char line[800];
  door_detail_format(d, line, sizeof line);
  fputs(prog, stderr);
  fputs(": ", stderr);
  fputs(line, stderr);
  fputs("\n", stderr);
}

static door_err door__load(const char *path, door_config **cfg,
                           door_detail *d) {
  door_detail_clear(d);
  return door_config_load(path, cfg, d);
}

/* Listener settings are read once; the broker takes the configuration. */
typedef struct door__listen_cfg {
  char *listen, *tls_cert, *tls_key;
  int threads;
} door__listen_cfg;

static door_err door__listen_copy(const door_config *cfg, door__listen_cfg *l) {
  memset(l, 0, sizeof *l);
  l->threads = cfg->broker.threads;
  if (!(l->listen = strdup(cfg->broker.listen ? cfg->broker.listen
                                              : "127.0.0.1:8080")) ||
      (cfg->broker.tls_cert && !(l->tls_cert = strdup(cfg->broker.tls_cert))) ||
      (cfg->broker.tls_key && !(l->tls_key = strdup(cfg->broker.tls_key))))
    return DOOR_ENOMEM;
  return DOOR_OK;
}

static void door__listen_free(door__listen_cfg *l) {
  free(l->listen);
  free(l->tls_cert);
  free(l->tls_key);
}

static void door__reload(door_daemon *dd, const char *prog) {
  door_config *cfg = NULL;
  door_detail d;
  door_err err = door__load(dd->config_path, &cfg, &d);
  if (!err)
    err = door_broker_reload(dd->broker, cfg, &d);
  if (err) {
    door__print_detail(prog, &d);
    door__log_detail(&dd->log, DOOR_LOG_ERROR, "daemon.reload_failed", &d);
    return;
  }
  door__log(&dd->log, DOOR_LOG_INFO, "daemon.reloaded", "config",
            dd->config_path, NULL);
}

static int door__loop(door_daemon *dd, const char *prog, const sigset_t *set) {
  struct timespec ts = {DOOR_D_MAINT, 0};
  siginfo_t info;
  door_detail d;
  for (;;) {
    int sig = sigtimedwait(set, &info, &ts);
    if (sig < 0) {
      if (errno == EAGAIN && door_broker_maintenance(dd->broker, &d) != DOOR_OK)
        door__log_detail(&dd->log, DOOR_LOG_WARN, "daemon.maintenance", &d);
      continue;
    }
    if (sig == SIGHUP) {
      door__reload(dd, prog);
      continue;
    }
    door__log(&dd->log, DOOR_LOG_INFO, "daemon.stopping", "signal",
              sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
    return 0;
  }
}

int door__cmd_serve(const char *prog, const char *config_path, int argc,
                    char **argv) {
  door_daemon dd;
  door_config *cfg = NULL;
  door__listen_cfg lc;
  door_broker_options bo;
  door_detail d;
  sigset_t set;
  int rc = 1;
  if (argc > 1) {
    fputs(prog, stderr);
    fputs(": serve takes no arguments, got ", stderr);
    fputs(argv[1], stderr);
    fputs("\n", stderr);
    return 2;
  }
  memset(&dd, 0, sizeof dd);
  memset(&lc, 0, sizeof lc);
  dd.config_path = config_path;
  dd.listen_fd = -1;
  atomic_init(&dd.in_flight, 0);
  /* Before any thread exists: every thread inherits the mask. */
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (door__load(config_path, &cfg, &d)) {
    door__print_detail(prog, &d);
    return 1;
  }
  door__log_init(&dd.log, "door-broker");
  dd.log.min_level = (door_log_level)cfg->broker.log_level;
  dd.log.format = (door_log_format)cfg->broker.log_format;
  if (door__listen_copy(cfg, &lc)) {
    door__config_free(cfg);
    goto out;
  }
  /* The participation-token signing keys (made at the first start) when
   * [broker] state_dir is set; cfg is only read here.  Without it the
   * broker serves logins only (/.well-known/jwks.json answers 404). */
  if (cfg->broker.state_dir && cfg->broker.state_dir[0] &&
      door_tickets_new(cfg, NULL, &dd.tickets, &d)) {
    door__print_detail(prog, &d);
    door__config_free(cfg);
    goto out;
  }
  door_broker_options_init(&bo);
  bo.log_program = "door-broker";
  if (door_broker_new(cfg, &bo, &dd.broker, &d)) { /* takes cfg */
    door__print_detail(prog, &d);
    goto out;
  }
  dd.started_at = (int64_t)time(NULL);
  if (door__server_start(&dd, lc.listen, lc.threads, lc.tls_cert, lc.tls_key,
                         &d)) {
    door__print_detail(prog, &d);
    goto out;
  }
  fputs("door-broker: listening on ", stdout);
  fputs(dd.url, stdout);
  fputs("\ndoor-broker: ready\n", stdout);
  fflush(stdout);
  door__log(&dd.log, DOOR_LOG_INFO, "daemon.ready", "url", dd.url, NULL);
  rc = door__loop(&dd, prog, &set);
  door__server_stop(&dd, DOOR_D_GRACE);
  door__log(&dd.log, DOOR_LOG_INFO, "daemon.stopped", NULL);
out:
  door_broker_free(dd.broker);
  door_tickets_free(dd.tickets);
  door__listen_free(&lc);
  return rc;
}
