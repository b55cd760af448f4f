/* Login load generator for tests/bench/login/run.sh: C concurrent clients
 * (libcurl multi, one easy handle and cookie store each), every client doing
 * complete login round trips, each from an empty cookie store:
 *
 *   GET BASE/login/PROVIDER?return_to=RETURN_TO    -> 302 to the provider
 *   GET <that URL>&login_hint=USER (door-idp, --auto-approve)
 *                                                  -> 302 to the callback
 *   GET BASE/callback/PROVIDER?code=...            -> 302 to RETURN_TO
 *                                   (or BASE + RETURN_TO) with the session
 *                                   cookie
 *
 * Anything else (another status, a Location elsewhere, no session cookie)
 * is an error.  The first WARMUP seconds are not counted; over the next
 * SECONDS it counts the logins that end, their latency, and the CPU time
 * (utime + stime, every thread) of process PID, the broker under test, from
 * /proc/PID/stat; at the end its VmHWM (peak RSS) from /proc/PID/status.
 *
 * usage: loadgen BASE PROVIDER RETURN_TO SESSION_COOKIE CLIENTS WARMUP
 *                SECONDS USERS PID
 * Prints one line:
 *   logins N seconds S rate R p50_ms X p99_ms X cpu_us_per_login X
 *   peak_rss_mb X errors N user_us_per_login X
 * (cpu: user + system time; user: user time only)
 * and exits 1 when a login failed. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define URL_MAX 4096
#define BODY_KEEP 300
#define MAX_CLIENTS 256
#define MAX_ERRORS_SHOWN 5

typedef struct client {
  CURL *h;
  int id, step;
  unsigned long iteration;
  double started;
  char url[URL_MAX];
  char body[BODY_KEEP + 1];
  size_t body_len;
} client;

static const char *base, *provider, *return_to, *cookie_name;
static int users;
static long errors;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime and stime of a process (all its threads), in clock ticks. */
static int cpu_ticks(long pid, long long *user, long long *sys) {
  char path[64], buf[4096], *p;
  unsigned long long ut = 0, st = 0;
  size_t n;
  int i;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  f = fopen(path, "r");
  *user = *sys = -1;
  if (!f)
    return -1;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p)
    return -1;
  p += 2;
  /* Fields after the name start at 3 (state); utime is 14, stime 15. */
  for (i = 3; i < 14 && p; i++) {
    p = strchr(p, ' ');
    if (p)
      p++;
  }
  if (!p || sscanf(p, "%llu %llu", &ut, &st) != 2)
    return -1;
  *user = (long long)ut;
  *sys = (long long)st;
  return 0;
}

static double peak_rss_mb(long pid) {
  char path[64], line[256];
  double mb = -1;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f)) {
    long kb;
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      mb = (double)kb / 1024.0;
  }
  fclose(f);
  return mb;
}

static size_t keep_body(char *data, size_t size, size_t n, void *arg) {
  client *c = arg;
  size_t len = size * n, room = BODY_KEEP - c->body_len;
  if (room > len)
    room = len;
  memcpy(c->body + c->body_len, data, room);
  c->body_len += room;
  c->body[c->body_len] = '\0';
  return len;
}

static void begin(CURLM *m, client *c) {
  c->step = 0;
  c->started = now_s();
  c->iteration++;
  curl_easy_setopt(c->h, CURLOPT_COOKIELIST, "ALL"); /* a new browser */
  snprintf(c->url, sizeof c->url, "%s/login/%s?return_to=%s", base, provider,
           return_to);
  curl_easy_setopt(c->h, CURLOPT_URL, c->url);
  c->body_len = 0;
  c->body[0] = '\0';
  curl_multi_add_handle(m, c->h);
}

static void next(CURLM *m, client *c, const char *url) {
  snprintf(c->url, sizeof c->url, "%s", url);
  curl_easy_setopt(c->h, CURLOPT_URL, c->url);
  c->body_len = 0;
  c->body[0] = '\0';
  curl_multi_add_handle(m, c->h);
}

static void fail(client *c, const char *what, long status, const char *loc) {
  errors++;
  if (errors <= MAX_ERRORS_SHOWN)
    fprintf(stderr,
            "loadgen: client %d step %d: %s (status %ld, location %s): "
            "%.200s\n",
            c->id, c->step, what, status, loc ? loc : "-", c->body);
}

static int has_session_cookie(CURL *h) {
  struct curl_slist *list = NULL, *it;
  int found = 0;
  if (curl_easy_getinfo(h, CURLINFO_COOKIELIST, &list) != CURLE_OK)
    return 0;
  for (it = list; it && !found; it = it->next) {
    /* Netscape format: domain, flag, path, secure, expiry, name, value. */
    const char *p = it->data;
    int tab;
    for (tab = 0; tab < 5 && p; tab++) {
      p = strchr(p, '\t');
      if (p)
        p++;
    }
    if (p && strncmp(p, cookie_name, strlen(cookie_name)) == 0 &&
        p[strlen(cookie_name)] == '\t' && p[strlen(cookie_name) + 1])
      found = 1;
  }
  curl_slist_free_all(list);
  return found;
}

/* One answer: the next step, or the end of a login.  Returns 1 when a
 * login ended well. */
static int step(CURLM *m, client *c, CURLcode rc) {
  long status = 0;
  char *loc = NULL;
  char url[URL_MAX];
  size_t blen = strlen(base);
  curl_multi_remove_handle(m, c->h);
  if (rc != CURLE_OK) {
    fail(c, curl_easy_strerror(rc), 0, NULL);
    return -1;
  }
  curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(c->h, CURLINFO_REDIRECT_URL, &loc);
  if (status != 302 || !loc) {
    fail(c, "expected a 302 with a Location", status, loc);
    return -1;
  }
  switch (c->step) {
  case 0: /* to the provider, with the user to approve */
    if (strncmp(loc, base, blen) == 0) {
      fail(c, "login did not go to the provider", status, loc);
      return -1;
    }
    snprintf(url, sizeof url, "%s%clogin_hint=u%lu", loc,
             strchr(loc, '?') ? '&' : '?',
             ((unsigned long)c->id * 7919UL + c->iteration) %
                 (unsigned long)users);
    c->step = 1;
    next(m, c, url);
    return 0;
  case 1: /* back to the broker's callback */
    snprintf(url, sizeof url, "%s/callback/%s?", base, provider);
    if (strncmp(loc, url, strlen(url)) != 0 || !strstr(loc, "code=")) {
      fail(c, "the provider did not answer with a code", status, loc);
      return -1;
    }
    c->step = 2;
    next(m, c, loc);
    return 0;
  default: /* the end: return_to, with a session */
    snprintf(url, sizeof url, "%s%s", base, return_to);
    if (strcmp(loc, url) != 0 && strcmp(loc, return_to) != 0) {
      fail(c, "the callback did not return to return_to", status, loc);
      return -1;
    }
    if (!has_session_cookie(c->h)) {
      fail(c, "no session cookie after the callback", status, loc);
      return -1;
    }
    return 1;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  client cs[MAX_CLIENTS];
  CURLM *m;
  int nclients, i, running;
  double warmup, seconds, t0, t_measure, t_end, *lat = NULL;
  size_t nlat = 0, cap = 1 << 16;
  long pid;
  long long user0 = -1, sys0 = -1, user1 = -1, sys1 = -1;
  if (argc != 10) {
    fputs("usage: loadgen BASE PROVIDER RETURN_TO SESSION_COOKIE CLIENTS "
          "WARMUP SECONDS USERS PID\n",
          stderr);
    return 2;
  }
  base = argv[1];
  provider = argv[2];
  return_to = argv[3];
  cookie_name = argv[4];
  nclients = atoi(argv[5]);
  warmup = atof(argv[6]);
  seconds = atof(argv[7]);
  users = atoi(argv[8]);
  pid = atol(argv[9]);
  if (nclients < 1 || nclients > MAX_CLIENTS || seconds <= 0 || users < 1 ||
      pid <= 0 || return_to[0] != '/') {
    fputs("loadgen: bad arguments\n", stderr);
    return 2;
  }
  lat = malloc(cap * sizeof *lat);
  if (!lat || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
    return 1;
  m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)(nclients * 3));
  for (i = 0; i < nclients; i++) {
    cs[i].h = curl_easy_init();
    cs[i].id = i;
    cs[i].iteration = 0;
    curl_easy_setopt(cs[i].h, CURLOPT_COOKIEFILE, ""); /* cookie engine on */
    curl_easy_setopt(cs[i].h, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(cs[i].h, CURLOPT_WRITEDATA, &cs[i]);
    curl_easy_setopt(cs[i].h, CURLOPT_PRIVATE, &cs[i]);
    curl_easy_setopt(cs[i].h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cs[i].h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(cs[i].h, CURLOPT_PROTOCOLS_STR, "http,https");
    begin(m, &cs[i]);
  }
  t0 = now_s();
  t_measure = t0 + warmup;
  t_end = t_measure + seconds;
  for (;;) {
    CURLMsg *msg;
    int left;
    double t = now_s();
    if (user0 < 0 && t >= t_measure) {
      if (cpu_ticks(pid, &user0, &sys0)) {
        fprintf(stderr, "loadgen: cannot read /proc/%ld/stat\n", pid);
        return 1;
      }
      nlat = 0;
    }
    if (t >= t_end)
      break;
    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &left))) {
      client *c = NULL;
      int r;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
      r = step(m, c, msg->data.result);
      if (r != 0) {
        double done = now_s();
        if (r > 0 && user0 >= 0 && done < t_end) {
          if (nlat == cap) {
            double *bigger = realloc(lat, 2 * cap * sizeof *lat);
            if (!bigger)
              return 1;
            lat = bigger;
            cap *= 2;
          }
          lat[nlat++] = (done - c->started) * 1000.0;
        }
        begin(m, c);
      }
    }
    curl_multi_poll(m, NULL, 0, 50, NULL);
  }
  cpu_ticks(pid, &user1, &sys1);
  {
    double rss = peak_rss_mb(pid), p50 = 0, p99 = 0, cpu_us = -1, usr_us = -1;
    long hz = sysconf(_SC_CLK_TCK);
    if (nlat > 0) {
      qsort(lat, nlat, sizeof *lat, cmp_double);
      p50 = lat[(nlat - 1) / 2];
      p99 = lat[(size_t)((double)(nlat - 1) * 0.99)];
    }
    if (user0 >= 0 && user1 >= 0 && nlat > 0 && hz > 0) {
      double per = 1e6 / (double)hz / (double)nlat;
      cpu_us = (double)(user1 - user0 + sys1 - sys0) * per;
      usr_us = (double)(user1 - user0) * per;
    }
    printf("logins %zu seconds %.2f rate %.1f p50_ms %.3f p99_ms %.3f "
           "cpu_us_per_login %.1f peak_rss_mb %.1f errors %ld "
           "user_us_per_login %.1f\n",
           nlat, seconds, (double)nlat / seconds, p50, p99, cpu_us, rss, errors,
           usr_us);
  }
  for (i = 0; i < nclients; i++) {
    curl_multi_remove_handle(m, cs[i].h);
    curl_easy_cleanup(cs[i].h);
  }
  curl_multi_cleanup(m);
  curl_global_cleanup();
  free(lat);
  return errors || nlat == 0 ? 1 : 0;
}
