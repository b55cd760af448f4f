/* The provider registry: one static table of the ops tables built in (the
 * meson option `providers` decides which; see provider_list.h). */
#include "doorauth/provider.h"
#include "util/url.h"

#include "providers/provider_list.h"

#include <stdlib.h>
#include <string.h>

#define DOOR__PROVIDER_DECL(ops) extern const door_provider_ops ops;
DOOR_PROVIDER_LIST(DOOR__PROVIDER_DECL)
#undef DOOR__PROVIDER_DECL

static const door_provider_ops *const door__providers[] = {
#define DOOR__PROVIDER_ENTRY(ops) &ops,
    DOOR_PROVIDER_LIST(DOOR__PROVIDER_ENTRY)
#undef DOOR__PROVIDER_ENTRY
        NULL};

const door_provider_ops *door_provider_find(const char *type) {
  size_t i;
  if (!type)
    return NULL;
  for (i = 0; door__providers[i]; i++)
    if (strcmp(door__providers[i]->type, type) == 0)
      return door__providers[i];
  return NULL;
}

const door_provider_ops *const *door_provider_list(size_t *n) {
  size_t i = 0;
  while (door__providers[i])
    i++;
  if (n)
    *n = i;
  return door__providers;
}

door_err door_provider_param_set(struct door_kvlist *l, const char *name,
                                 const char *value) {
  size_t i;
  if (!l || !name || !value)
    return DOOR_EINVAL;
  for (i = 0; i < l->n; i++) {
    if (strcmp(l->items[i].name, name) == 0)
      return door__kvlist_set_value(l, i, value);
  }
  return door__kvlist_add(l, name, value);
}
