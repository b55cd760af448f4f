/* door-idp fault injection: a constant registry of named faults and the set
 * of faults armed at run time through the admin API.
 *
 * Each registry entry has a name (the API and docs use it), the endpoint it
 * acts on (or DOOR_IDP_EP_NONE: "any endpoint, chosen when armed"), the stage
 * of request handling where its hook runs, an optional parameter and a
 * description.  docs/door-idp.md lists exactly this table (door-idp
 * --list-faults prints it in that form) and tests/e2e/idp has one probe per
 * entry: a new fault without a probe fails the e2e test.
 *
 * An armed fault matches requests to its endpoint of one profile (or all)
 * and optionally of one client; it applies to the next `count` matching
 * requests, or until disarmed when count is 0.  A handler takes the faults
 * of its request once (door__idp_faults_take, which consumes the counts)
 * and runs the hooks of each stage at that stage.
 */
#ifndef DOOR_IDP_FAULTS_H
#define DOOR_IDP_FAULTS_H

#include "doorauth/error.h"
#include "idp/ep.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef enum door_idp_stage {
  DOOR_IDP_STAGE_REQUEST = 1, /* flags and early answers, before the work */
  DOOR_IDP_STAGE_CLAIMS = 2,  /* the id_token payload */
  DOOR_IDP_STAGE_SIGN = 3,    /* how the id_token is signed */
  DOOR_IDP_STAGE_BODY = 4,    /* response object or redirect parameters */
  DOOR_IDP_STAGE_WIRE = 5,    /* the serialized response body */
} door_idp_stage;

typedef enum door_idp_param {
  DOOR_IDP_PARAM_NONE = 0,
  DOOR_IDP_PARAM_INT = 1,
  DOOR_IDP_PARAM_STR = 2,
} door_idp_param;

/* One fault applying to the current request (a copy: no lock needed). */
typedef struct door_idp_fault_hit {
  unsigned fault; /* registry index */
  long long num;  /* numeric parameter */
  char str[256];  /* string parameter */
} door_idp_fault_hit;

#define DOOR_IDP_FAULT_HITS 8

typedef struct door_idp_fault_set {
  size_t n;
  door_idp_fault_hit hits[DOOR_IDP_FAULT_HITS];
} door_idp_fault_set;

/* How to (mis)sign an id_token: set by SIGN-stage hooks, read by jwt.c. */
typedef struct door_idp_sign_opts {
  int alg_none;     /* header alg "none", empty signature */
  int corrupt_sig;  /* flip a bit of the signature */
  int hs256_pubkey; /* HS256 keyed with the public key's PEM */
  int omit_kid;     /* no kid header, and a second published key */
  int unknown_kid;  /* a kid that is in no JWKS */
  int rotate_first; /* rotate the signing key just before signing */
  int unpublished;  /* sign with a key that is not in the JWKS */
} door_idp_sign_opts;

struct door_idp_req;
struct door_idp_resp;
struct door_idp_profile;

typedef struct door_idp_fault_ctx {
  struct door_idp_req *req;
  struct door_idp_resp *resp;
  struct door_idp_profile *prof;
  json_t *obj;              /* CLAIMS: payload; BODY: response or params */
  door_idp_sign_opts *sign; /* SIGN */
  const char *error;        /* REQUEST: answer with this OAuth error */
  const char *error_desc;
  int pkce_unchecked;    /* REQUEST: skip the PKCE check */
  int code_reuse;        /* REQUEST: do not burn the code */
  int done;              /* REQUEST: resp is the final answer */
  char redirect_to[512]; /* REQUEST: authorize answers go here instead */
} door_idp_fault_ctx;

typedef void (*door_idp_fault_fn)(door_idp_fault_ctx *ctx,
                                  const door_idp_fault_hit *hit);

typedef struct door_idp_fault_def {
  const char *name;
  door_idp_ep ep; /* DOOR_IDP_EP_NONE: any endpoint, given when armed */
  door_idp_stage stage;
  door_idp_param param;
  const char *param_default; /* as text; NULL when no parameter */
  const char *description;
  door_idp_fault_fn apply;
} door_idp_fault_def;

size_t door__idp_fault_count(void);
const door_idp_fault_def *door__idp_fault_def(size_t i);
/* Registry index, or -1. */
int door__idp_fault_find(const char *name);
/* The registry as a JSON array (for the admin API and the docs). */
json_t *door__idp_fault_catalog(void);

typedef struct door_idp_armed {
  uint64_t id;
  unsigned fault;
  char *profile; /* NULL: every profile */
  door_idp_ep ep;
  char *client_id;     /* NULL: every client */
  long long remaining; /* 0: until disarmed */
  long long hits;
  long long num;
  char *str;
} door_idp_armed;

typedef struct door_idp_faults {
  pthread_mutex_t lock;
  door_idp_armed *items;
  size_t n;
  size_t cap;
  uint64_t next_id;
  atomic_size_t narmed; /* read without the lock: fast path */
} door_idp_faults;

/* What to arm (admin API body, decoded). */
typedef struct door_idp_fault_arm {
  const char *name;
  const char *profile;   /* NULL: every profile */
  const char *endpoint;  /* required for any-endpoint faults */
  const char *client_id; /* NULL: every client */
  long long count;       /* >= 1, or 0: until disarmed */
  int has_num;
  long long num;
  const char *str; /* NULL: the default */
} door_idp_fault_arm;

door_err door__idp_faults_init(door_idp_faults *f);
void door__idp_faults_free(door_idp_faults *f);
/* Validates and arms; `id` receives the new fault's id. */
door_err door__idp_faults_arm(door_idp_faults *f, const door_idp_fault_arm *a,
                              uint64_t *id, door_detail *d);
door_err door__idp_faults_disarm(door_idp_faults *f, uint64_t id);
void door__idp_faults_clear(door_idp_faults *f);
/* The armed faults as a JSON array. */
json_t *door__idp_faults_json(door_idp_faults *f);

/* Collects the faults matching a request and consumes one use of each. */
void door__idp_faults_take(door_idp_faults *f, const char *profile,
                           door_idp_ep ep, const char *client_id,
                           door_idp_fault_set *out);
/* Runs the hooks of `stage` of every fault in the set. */
void door__idp_faults_apply(const door_idp_fault_set *fs, door_idp_stage stage,
                            door_idp_fault_ctx *ctx);
/* 1 when some fault of the set has a hook at `stage`. */
int door__idp_faults_any(const door_idp_fault_set *fs, door_idp_stage stage);

#endif
