/* psql from the scale tests (see psql.h). */
#include "psql.h"

#include <stdio.h>
#include <stdlib.h>

long psql_num(const char *url, const char *sql) {
  char cmd[2048], line[256];
  FILE *p;
  long v = -1;
  snprintf(cmd, sizeof cmd,
           "PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | "
           "sort -V | tail -n 1); \"$PSQL\" -X -At -d '%s' -c \"%s\"",
           url, sql);
  p = popen(cmd, "r");
  if (!p)
    return -1;
  if (fgets(line, sizeof line, p))
    v = strtol(line, NULL, 10);
  pclose(p);
  return v;
}
