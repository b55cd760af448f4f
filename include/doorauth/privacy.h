/* doorauth — what each external provider receives, and the record of it.
 *
 * DOOR publishes which user information goes to which external provider
 * and why.  doorauth makes that notice true by construction:
 *
 *   - Every provider has a transmission manifest: for each outbound
 *     endpoint, the fields that may be sent, what each field carries and
 *     why.  Defaults live in the provider's file (providers/NAME.c); a
 *     [provider "NAME"] section may override them (see docs/privacy.md).
 *   - Every outbound request to a provider (back-channel call or browser
 *     redirect) is built through one path in the library that checks each
 *     field name against the manifest before anything leaves: an unlisted
 *     field refuses the whole request with DOOR_EPRIVACY_UNLISTED.
 *   - Every such request, sent or refused, adds a door_transmission to the
 *     caller's door_txlog: field names, never values.  The broker adds the
 *     DOOR account id and keeps the records in the store for
 *     [store] transmission_retention (default 90 days).
 *
 * Ownership: manifests returned by door_rp_manifest belong to the door_rp
 * and live as long as it.  A door_txlog is caller-owned, fixed size and
 * never allocates; the library only appends to it.
 * Threading: a door_txlog must not be shared between concurrent calls.
 */
#ifndef DOORAUTH_PRIVACY_H
#define DOORAUTH_PRIVACY_H

#include "doorauth/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The outbound endpoints of a provider. */
#define DOOR_TX_ENDPOINT_MAP(XX)                                               \
  XX(AUTHORIZE, "authorize") /* browser redirect: authorization request */     \
  XX(TOKEN, "token")         /* code exchange */                               \
  XX(REFRESH, "refresh")     /* refresh grant at the token endpoint */         \
  XX(USERINFO, "userinfo")                                                     \
  XX(TICKETS, "tickets")         /* ticket-ownership check (entitlement) */    \
  XX(END_SESSION, "end_session") /* browser redirect: RP-initiated logout */   \
  XX(DISCOVERY, "discovery")     /* provider metadata; carries no user data */ \
  XX(JWKS, "jwks")               /* provider keys; carries no user data */

typedef enum door_tx_endpoint {
#define DOOR__TX_EP_ENUM(name, str) DOOR_TX_##name,
  DOOR_TX_ENDPOINT_MAP(DOOR__TX_EP_ENUM)
#undef DOOR__TX_EP_ENUM
      DOOR_TX_ENDPOINT_COUNT
} door_tx_endpoint;

/* "token" for DOOR_TX_TOKEN; NULL out of range. */
const char *door_tx_endpoint_name(door_tx_endpoint e);
/* The endpoint named `name`; -1 when unknown. */
int door_tx_endpoint_from_name(const char *name);

/* What a field carries, seen from the user's side:
 *   protocol           a protocol value that says nothing about the user:
 *                      client_id, response_type, scope, state, nonce,
 *                      code_challenge, redirect_uri...
 *   client_credential  the broker's own credential (client_secret,
 *                      client_assertion, the Authorization header of
 *                      client_secret_basic): nothing about the user
 *   user_identifier    the identifier the provider assigned to the user, or
 *                      a credential that stands for it (authorization code,
 *                      access or refresh token, id_token_hint, login_hint)
 *   event              the DOOR event the user asks to enter (ticket check)
 */
#define DOOR_TX_DATA_MAP(XX)                                                   \
  XX(PROTOCOL, "protocol")                                                     \
  XX(CLIENT_CREDENTIAL, "client_credential")                                   \
  XX(USER_IDENTIFIER, "user_identifier")                                       \
  XX(EVENT, "event")

typedef enum door_tx_data {
#define DOOR__TX_DATA_ENUM(name, str) DOOR_TXD_##name,
  DOOR_TX_DATA_MAP(DOOR__TX_DATA_ENUM)
#undef DOOR__TX_DATA_ENUM
      DOOR_TX_DATA_COUNT
} door_tx_data;

/* Why a field is sent:
 *   login     account login authentication
 *   event     participant authentication at ticketed events
 *   logout    ending the user's session at the provider
 *   metadata  provider metadata and keys (no user data) */
#define DOOR_TX_PURPOSE_MAP(XX)                                                \
  XX(LOGIN, "login")                                                           \
  XX(EVENT, "event")                                                           \
  XX(LOGOUT, "logout")                                                         \
  XX(METADATA, "metadata")

typedef enum door_tx_purpose {
#define DOOR__TX_PURPOSE_ENUM(name, str) DOOR_TXP_##name,
  DOOR_TX_PURPOSE_MAP(DOOR__TX_PURPOSE_ENUM)
#undef DOOR__TX_PURPOSE_ENUM
      DOOR_TX_PURPOSE_COUNT
} door_tx_purpose;

/* "login", "event", "logout", "metadata"; NULL out of range. */
const char *door_tx_purpose_name(door_tx_purpose p);
/* "protocol", "client_credential", "user_identifier", "event"; NULL out of
 * range. */
const char *door_tx_data_name(door_tx_data k);
/* The kind or purpose named `name`; -1 when unknown. */
int door_tx_data_from_name(const char *name);
int door_tx_purpose_from_name(const char *name);

/* One field that may be sent to one endpoint.  `name` is the query or form
 * parameter name, or a request header name prefixed with "header:"
 * ("header:Authorization"). */
typedef struct door_tx_field {
  door_tx_endpoint endpoint;
  const char *name;
  door_tx_data data;
  door_tx_purpose purpose;
} door_tx_field;

/* A provider's manifest. */
typedef struct door_tx_manifest {
  const char *organisation; /* "NTT DOCOMO, INC.", "Gugenka Ltd." */
  const char *service;      /* "d-account", "XMarket" */
  const door_tx_field *fields;
  size_t n_fields;
} door_tx_manifest;

/* ---- records -------------------------------------------------------------
 */

#define DOOR_TXLOG_MAX 12

typedef struct door_transmission {
  int64_t at;        /* Unix time the request was made or refused */
  char provider[64]; /* [provider "NAME"] */
  door_tx_endpoint endpoint;
  char fields[384]; /* the field names sent, space separated; never values */
  door_tx_purpose purpose;
  door_err outcome; /* DOOR_OK, DOOR_EPRIVACY_UNLISTED, or why it failed */
  int http_status;  /* 0 for browser redirects and when no answer came */
} door_transmission;

typedef struct door_txlog {
  door_transmission items[DOOR_TXLOG_MAX];
  size_t n;
  size_t dropped; /* appended past DOOR_TXLOG_MAX (counted, not kept) */
} door_txlog;

/* Empties the log. */
void door_txlog_init(door_txlog *log);

/* ---- manifests of a configured door_rp --------------------------------------
 */
struct door_rp;

/* The effective manifest of [provider "NAME"] (the provider's defaults with
 * the configuration's overrides applied).  DOOR_EPROVIDER_UNKNOWN.
 *
 * Effective manifest, built once by door_rp_new:
 *   1. the provider's default table (providers/NAME.c);
 *   2. at the token and refresh endpoints, only the client-authentication
 *      fields of the configured token_auth_method (client_secret_basic:
 *      header:Authorization; client_secret_post: client_id, client_secret;
 *      private_key_jwt: client_id, client_assertion_type,
 *      client_assertion);
 *   3. `manifest_ENDPOINT = NAME ...` keeps only the listed fields of that
 *      endpoint (a name the defaults and manifest_extra do not have is a
 *      configuration error at FILE:LINE; an empty value sends nothing);
 *   4. `manifest_extra = ENDPOINT:NAME:DATA:PURPOSE ...` adds fields
 *      ("authorize:login_hint:user_identifier:login");
 *   5. every extra_params name must be listed for authorize.
 * organisation: the configuration's `organisation`, else the provider's
 * default, else display_name; service: the provider's default, else
 * display_name. */
door_err door_rp_manifest(const struct door_rp *rp, const char *provider,
                          const door_tx_manifest **out);

/* Requests refused so far (DOOR_EPRIVACY_UNLISTED) for [provider "NAME"]
 * at `endpoint`, since door_rp_new; 0 for an unknown provider.  For the
 * broker's door_transmissions_refused_total{provider,endpoint}. */
uint64_t door_rp_tx_refused(const struct door_rp *rp, const char *provider,
                            door_tx_endpoint endpoint);

#ifdef __cplusplus
}
#endif
#endif
