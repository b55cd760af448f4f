/* libFuzzer target: the INI configuration loader (door__config_load_mem:
 * libinih through our line-counting reader, the schema, value parsers).
 *
 * Invariants (abort() on violation):
 *  - refused: at least one error is listed, each with a "where" that names
 *    the file;
 *  - accepted: no error is listed and door__config_describe works.
 * Secret files named by the input are opened without blocking (a FIFO is
 * refused, not waited on); the target runs without a base directory, so
 * relative paths stay relative to the working directory. */
#include "util/buf.h"
#include "util/config.h"
#include "util/errlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  door_config *cfg = NULL;
  door_errlist errs;
  door_buf out;
  door_err err;
  size_t i;
  if (size > 65536)
    return 0;
  door__errlist_init(&errs);
  err = door__config_load_mem("fuzz.ini", (const char *)data, size, NULL, &cfg,
                              &errs);
  if (err == DOOR_OK) {
    if (!cfg || errs.nerrors)
      abort();
    door__buf_init(&out, (size_t)4 << 20);
    if (door__config_describe(cfg, &out) != DOOR_OK && out.len < out.max / 2)
      abort();
    door__buf_free(&out);
    door__config_free(cfg);
  } else {
    if (cfg)
      abort();
    if (err == DOOR_ECONFIG && errs.nerrors == 0 && errs.dropped == 0)
      abort();
    for (i = 0; i < errs.n; i++)
      if (strncmp(errs.items[i].d.where, "fuzz.ini", 8) != 0)
        abort();
  }
  door__errlist_free(&errs);
  return 0;
}
