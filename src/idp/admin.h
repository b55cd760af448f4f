/* door-idp admin API (plain HTTP on a loopback port): internal split
 * between admin.c (routing, faults, request log, clock, logout) and
 * admin_ent.c (users, tickets, clients, keys). */
#ifndef DOOR_IDP_ADMIN_H
#define DOOR_IDP_ADMIN_H

#include "idp/http.h"
#include "idp/idp.h"

#define DOOR_IDP_ADMIN_SEGS 8

/* A decoded admin path: "/profiles/generic/users/alice" has segs
 * {"profiles","generic","users","alice"}. */
typedef struct door_idp_admin_path {
  char *segs[DOOR_IDP_ADMIN_SEGS];
  size_t n;
} door_idp_admin_path;

/* Answers {"error": code, "error_description": what, "where": where}. */
door_err door__idp_admin_error(door_idp_resp *r, int status, const char *code,
                               const char *what, const char *where);
/* The same from a detail record (status 400). */
door_err door__idp_admin_detail(door_idp_resp *r, const door_detail *d);
/* Parses the JSON body (an object unless `any`); on failure answers 400
 * and returns NULL. */
json_t *door__idp_admin_body(door_idp_req *q, door_idp_resp *r, int any,
                             door_err *err);

/* /profiles/{p}/users..., /clients..., /keys... */
door_err door__idp_admin_users(door_idp_req *q, door_idp_resp *r,
                               door_idp_profile *p,
                               const door_idp_admin_path *ap);
door_err door__idp_admin_clients(door_idp_req *q, door_idp_resp *r,
                                 door_idp_profile *p,
                                 const door_idp_admin_path *ap);
door_err door__idp_admin_keys(door_idp_req *q, door_idp_resp *r,
                              door_idp_profile *p,
                              const door_idp_admin_path *ap);

/* The profile summary (kind, issuer, endpoint URLs) used by the admin API
 * and the ready file. */
json_t *door__idp_profile_json(const door_idp_profile *p);

#endif
