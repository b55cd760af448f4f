/* Placeholder main; its issue replaces it. */
#include "doorauth/error.h"

#include <stdio.h>

int main(void) {
  fputs("not built yet\n", stderr);
  return 2;
}
