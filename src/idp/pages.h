/* door-idp HTML pages: user picker, consent, errors, logout.  Every value
 * is HTML-escaped; one small inline stylesheet, no external assets. */
#ifndef DOOR_IDP_PAGES_H
#define DOOR_IDP_PAGES_H

#include "idp/http.h"
#include "idp/idp.h"

/* Appends `s` with & < > " ' escaped. */
door_err door__idp_html_escape(door_buf *b, const char *s);

/* The parameters of the authorization request travel in hidden fields;
 * names starting with "door_idp_" and "user" are not copied. */
door_err door__idp_page_login(door_idp_resp *r, door_idp_profile *p,
                              const door_idp_client *c,
                              const door_kvlist *params, const char *hint);
door_err door__idp_page_consent(door_idp_resp *r, door_idp_profile *p,
                                const door_idp_client *c,
                                const door_idp_user *u,
                                const door_kvlist *params, const char *scope);
door_err door__idp_page_error(door_idp_resp *r, int status, const char *title,
                              const char *message);
door_err door__idp_page_message(door_idp_resp *r, const char *title,
                                const char *message);

#endif
