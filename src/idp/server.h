/* door-idp listeners (h2o's libh2o-evloop with OpenSSL: server_ev.h). */
#ifndef DOOR_IDP_SERVER_H
#define DOOR_IDP_SERVER_H

#include "idp/idp.h"

/* Starts every profile listener and the admin listener (ports 0 become the
 * bound ports), then builds each profile's issuer and endpoint URLs.  HTTPS
 * listeners need idp->tls_cert_pem and tls_key_pem.  On failure everything
 * started is stopped and `d` names the listener. */
door_err door__idp_server_start(door_idp *idp, door_detail *d);
/* Stops every listener: ends the loops, waits for their threads and the
 * worker threads, frees everything (pending answers are not sent). */
void door__idp_server_stop(door_idp *idp);

#endif
