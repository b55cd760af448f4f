/* Prints every configuration key the schema knows, one per line, as
 * "SECTION KEY" (and "SECTION KEY_file" for secrets), for the test that
 * checks docs/doorauth.example.ini mentions them all. */
#include "util/config_int.h"

#include <stdio.h>

static void print_keys(const char *section, const door_config_key *keys,
                       size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    printf("%s %s\n", section, keys[i].name);
    if (keys[i].type == DOOR_CFG_SECRET)
      printf("%s %s_file\n", section, keys[i].name);
  }
}

int main(void) {
  size_t i;
  for (i = 0; i < DOOR__CFG_NKINDS; i++)
    print_keys(door__cfg_kinds[i].name, door__cfg_kinds[i].keys,
               door__cfg_kinds[i].nkeys);
  for (i = 0; i < door__config_nprovider_types; i++)
    print_keys(door__config_provider_types[i].name,
               door__config_provider_types[i].keys,
               door__config_provider_types[i].nkeys);
  return fflush(stdout) == 0 ? 0 : 1;
}
