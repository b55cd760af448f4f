/* door__random: distinct output, large requests, per-thread pools, and a
 * forked child that never repeats its parent's next bytes. */
#include "t.h"

#include "util/random.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static void hex(const unsigned char *b, size_t n, char *out) {
  static const char d[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = d[b[i] >> 4];
    out[2 * i + 1] = d[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static void test_distinct_across_refills(void) {
  unsigned char a[32], b[32], zero[32] = {0};
  int i;
  T_EQ_ERR(door__random(a, sizeof a), DOOR_OK);
  /* 64 draws of 32 bytes: several refills of the 512-byte pool. */
  for (i = 0; i < 64; i++) {
    T_EQ_ERR(door__random(b, sizeof b), DOOR_OK);
    T_OK(memcmp(a, b, sizeof a) != 0);
    T_OK(memcmp(b, zero, sizeof b) != 0);
    memcpy(a, b, sizeof a);
  }
  T_EQ_ERR(door__random(NULL, 0), DOOR_OK);
}

static void test_large_requests(void) {
  unsigned char big[1000], zero[1000] = {0};
  size_t n;
  for (n = 100; n <= sizeof big; n += 300) {
    memset(big, 0, sizeof big);
    T_EQ_ERR(door__random(big, n), DOOR_OK);
    T_OK(memcmp(big, zero, n) != 0);
    T_OK(memcmp(big + n - 16, zero, 16) != 0);
  }
}

static void *draw(void *p) {
  door__random(p, 32);
  return NULL;
}

static void test_threads_have_their_own_pools(void) {
  unsigned char a[32], b[32];
  pthread_t t1, t2;
  pthread_create(&t1, NULL, draw, a);
  pthread_create(&t2, NULL, draw, b);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  T_OK(memcmp(a, b, sizeof a) != 0);
}

/* Without the fork check the child would hand out exactly the bytes the
 * parent hands out next (same pool, same offset). */
static void test_fork_child_does_not_repeat_parent(void) {
  unsigned char warm[8], parent_next[16], child_next[16];
  char hp[33], hc[33];
  int fd[2], status = 0;
  pid_t pid;
  T_EQ_ERR(door__random(warm, sizeof warm), DOOR_OK); /* pool filled */
  T_EQ_INT(pipe(fd), 0);
  pid = fork();
  T_OK(pid >= 0);
  if (pid == 0) {
    unsigned char c[16];
    close(fd[0]);
    _exit(door__random(c, sizeof c) == DOOR_OK &&
                  write(fd[1], c, sizeof c) == (ssize_t)sizeof c
              ? 0
              : 1);
  }
  close(fd[1]);
  T_EQ_ERR(door__random(parent_next, sizeof parent_next), DOOR_OK);
  T_EQ_INT(read(fd[0], child_next, sizeof child_next),
           (long long)sizeof child_next);
  close(fd[0]);
  T_EQ_INT(waitpid(pid, &status, 0), pid);
  T_EQ_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  hex(parent_next, sizeof parent_next, hp);
  hex(child_next, sizeof child_next, hc);
  printf("# parent %s\n# child  %s\n", hp, hc);
  T_OK(strcmp(hp, hc) != 0);
}

T_MAIN(T_CASE(test_distinct_across_refills), T_CASE(test_large_requests),
       T_CASE(test_threads_have_their_own_pools),
       T_CASE(test_fork_child_does_not_repeat_parent))
