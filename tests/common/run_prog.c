/* Running a program from a test (see run_prog.h). */
#include "run_prog.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int run_prog(const char *const *argv, door_buf *out) {
  int fds[2], st = 0;
  char chunk[4096];
  ssize_t k;
  pid_t pid;
  if (pipe(fds))
    return -1;
  pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  while ((k = read(fds[0], chunk, sizeof chunk)) > 0)
    if (out)
      door__buf_append(out, chunk, (size_t)k);
  close(fds[0]);
  if (waitpid(pid, &st, 0) < 0)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
