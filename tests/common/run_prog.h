/* Running a program from a test: fork, execv, its stdout read through a
 * pipe, its exit status.  Shared by the e2e harness for door-broker
 * (tests/e2e/broker/bh.c: the door-broker CLI and door-gate) and the QR
 * decoding helper (qr_read.c: rsvg-convert, zbarimg).
 *
 * Not thread-safe with respect to other threads' file descriptors: a
 * descriptor another thread opens while the child is being forked is
 * inherited by it.  The tests call it from one thread.
 */
#ifndef DOOR_TEST_RUN_PROG_H
#define DOOR_TEST_RUN_PROG_H

#include "util/buf.h"

/* Runs argv (argv[0] a path, NULL-terminated) with its stdout appended to
 * `out` (discarded when `out` is NULL; stderr is the test's).  Returns its
 * exit status, or -1 when it could not be started or did not exit (killed
 * by a signal); 127 when execv failed in the child. */
int run_prog(const char *const *argv, door_buf *out);

#endif
