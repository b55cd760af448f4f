/* Replays fuzz corpora through the fuzz targets' entry points, so every
 * ordinary test run exercises them (meson test 'fuzz_corpus_replay').
 *
 *   fuzz_corpus_replay jws=DIR jwk=DIR ...
 *
 * Each target is compiled with LLVMFuzzerTestOneInput renamed (see
 * meson.build).  Prints TAP: one line per corpus file; a crash or a sanitizer
 * report fails the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int door_fuzz_jws(const uint8_t *data, size_t size);
int door_fuzz_jwk(const uint8_t *data, size_t size);
int door_fuzz_callback(const uint8_t *data, size_t size);
int door_fuzz_token_response(const uint8_t *data, size_t size);
int door_fuzz_userinfo(const uint8_t *data, size_t size);
int door_fuzz_gate(const uint8_t *data, size_t size);
int door_fuzz_url(const uint8_t *data, size_t size);
int door_fuzz_config(const uint8_t *data, size_t size);

static const struct {
  const char *name;
  int (*fn)(const uint8_t *, size_t);
} targets[] = {{"jws", door_fuzz_jws},
               {"jwk", door_fuzz_jwk},
               {"callback", door_fuzz_callback},
               {"token_response", door_fuzz_token_response},
               {"userinfo", door_fuzz_userinfo},
               {"gate", door_fuzz_gate},
               {"url", door_fuzz_url},
               {"config", door_fuzz_config}};

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file (at most 8 MiB). */
static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  size_t cap = (size_t)8 << 20;
  if (!f)
    return NULL;
  buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  *len = fread(buf, 1, cap, f);
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  char *names[4096];
  size_t n_total = 0, n, i;
  int a, t, failed = 0;
  /* first pass counts the files for the TAP plan */
  for (a = 1; a < argc; a++) {
    const char *eq = strchr(argv[a], '=');
    DIR *dir = eq ? opendir(eq + 1) : NULL;
    struct dirent *e;
    if (!dir) {
      fprintf(stderr, "usage: %s target=DIR...\n", argv[0]);
      return 2;
    }
    while ((e = readdir(dir)))
      if (e->d_name[0] != '.')
        n_total++;
    closedir(dir);
  }
  printf("1..%zu\n", n_total);
  n_total = 0;
  for (a = 1; a < argc; a++) {
    const char *eq = strchr(argv[a], '='), *dirname = eq + 1;
    size_t tlen = (size_t)(eq - argv[a]);
    DIR *dir = opendir(dirname);
    struct dirent *e;
    int (*fn)(const uint8_t *, size_t) = NULL;
    for (t = 0; t < (int)(sizeof targets / sizeof targets[0]); t++)
      if (strlen(targets[t].name) == tlen &&
          memcmp(targets[t].name, argv[a], tlen) == 0)
        fn = targets[t].fn;
    if (!fn || !dir) {
      fprintf(stderr, "unknown target or directory: %s\n", argv[a]);
      if (dir)
        closedir(dir);
      return 2;
    }
    n = 0;
    while ((e = readdir(dir)) && n < sizeof names / sizeof names[0])
      if (e->d_name[0] != '.')
        names[n++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, n, sizeof names[0], cmp);
    for (i = 0; i < n; i++) {
      size_t dl = strlen(dirname), nl = strlen(names[i]), len = 0;
      char *path = malloc(dl + nl + 2);
      uint8_t *data = NULL;
      if (path) {
        memcpy(path, dirname, dl);
        path[dl] = '/';
        memcpy(path + dl + 1, names[i], nl + 1);
        data = slurp(path, &len);
      }
      if (data) {
        fn(data, len); /* aborts (and fails the test) on a bug */
        printf("ok %zu - %.*s/%s\n", ++n_total, (int)tlen, argv[a], names[i]);
      } else {
        printf("not ok %zu - %.*s/%s (unreadable)\n", ++n_total, (int)tlen,
               argv[a], names[i]);
        failed = 1;
      }
      fflush(stdout);
      free(data);
      free(path);
      free(names[i]);
    }
  }
  return failed;
}
