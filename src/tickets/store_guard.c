/* The single-use record shared by every gate of an event: the store's
 * jti_admissions table (one transaction per admission, across processes). */
#include "store/store.h"
#include "tickets/tickets_int.h"

static door_err door__store_admit(void *ud, const char *event_id,
                                  const char *jti, int64_t expires_at,
                                  int64_t now) {
  door_err err = door__store_jti_admit((door_store *)ud, event_id, jti,
                                       expires_at, now, NULL, NULL);
  return err == DOOR_ESTORE_DUPLICATE ? DOOR_EGATE_REPLAYED : err;
}

door_gate_jti_guard door__tickets_store_guard(struct door_store *st) {
  door_gate_jti_guard g;
  g.admit = door__store_admit;
  g.ud = st;
  return g;
}
