/* Random bytes for identifiers, nonces and IVs, from OpenSSL's DRBG through
 * a small per-thread pool.
 *
 * OpenSSL's RAND_bytes costs a provider dispatch, locks and a getpid()
 * system call (its fork check) per call; a login asks for random bytes
 * seven times (state, nonce, PKCE verifier, the pending-login cookie's IV,
 * session id, CSRF secret, sealed-token IVs).  door__random takes them from
 * a thread-local pool of 512 bytes refilled by one RAND_bytes call, wiping
 * each slice as it hands it out.
 *
 * Fork: a child must never reuse the parent's pool.  The first call
 * registers a pthread_atfork child handler that bumps a process-wide
 * generation counter (the one piece of process-wide state here, an atomic);
 * a pool of another generation is thrown away before use.
 *
 * Threading: safe from any thread; each thread has its own pool. */
#ifndef DOOR_UTIL_RANDOM_H
#define DOOR_UTIL_RANDOM_H

#include "doorauth/error.h"

#include <stddef.h>

/* Fills out[0..n) with random bytes.  DOOR_ERANDOM when OpenSSL's DRBG
 * fails (out is then zeroed). */
door_err door__random(void *out, size_t n);

#endif
