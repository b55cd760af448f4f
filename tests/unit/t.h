/* Tiny TAP test harness for doorauth's unit tests.
 *
 *   static void test_something(void) { T_EQ_INT(1 + 1, 2); }
 *   T_MAIN(T_CASE(test_something), T_CASE(test_other))
 *
 * Each case prints "ok N - name" or "not ok N - name"; a failed assertion
 * prints the expression and both values (libuv style) on a "#" line and ends
 * that case.  The program exits 1 when any case failed.  meson runs it with
 * protocol 'tap', and ./dev test counts the ok / not ok lines.
 */
#ifndef DOOR_TEST_T_H
#define DOOR_TEST_T_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct t_case {
  const char *name;
  void (*fn)(void);
} t_case;

extern jmp_buf t__jmp;

#define T_CASE(f)                                                              \
  { #f, f }

#define T_FAIL_(...)                                                           \
  do {                                                                         \
    fprintf(stdout, "# %s:%d: ", __FILE__, __LINE__);                          \
    fprintf(stdout, __VA_ARGS__);                                              \
    fputc('\n', stdout);                                                       \
    longjmp(t__jmp, 1);                                                        \
  } while (0)

#define T_OK(cond)                                                             \
  do {                                                                         \
    if (!(cond))                                                               \
      T_FAIL_("assertion failed: %s", #cond);                                  \
  } while (0)

#define T_EQ_INT(a, b)                                                         \
  do {                                                                         \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                    \
    if (t_a_ != t_b_)                                                          \
      T_FAIL_("%s == %s: %lld != %lld", #a, #b, t_a_, t_b_);                   \
  } while (0)

#define T_NE_INT(a, b)                                                         \
  do {                                                                         \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                    \
    if (t_a_ == t_b_)                                                          \
      T_FAIL_("%s != %s: both %lld", #a, #b, t_a_);                            \
  } while (0)

/* Compares door_err values and prints their names. */
#define T_EQ_ERR(a, b)                                                         \
  do {                                                                         \
    door_err t_a_ = (a), t_b_ = (b);                                           \
    if (t_a_ != t_b_)                                                          \
      T_FAIL_("%s == %s: %s != %s", #a, #b, door_err_name(t_a_),               \
              door_err_name(t_b_));                                            \
  } while (0)

#define T_EQ_STR(a, b)                                                         \
  do {                                                                         \
    const char *t_a_ = (a), *t_b_ = (b);                                       \
    if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                             \
      T_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, t_a_ ? t_a_ : "(null)",    \
              t_b_ ? t_b_ : "(null)");                                         \
  } while (0)

#define T_EQ_MEM(a, b, n)                                                      \
  do {                                                                         \
    if (memcmp((a), (b), (n)) != 0)                                            \
      T_FAIL_("%s == %s: %zu bytes differ", #a, #b, (size_t)(n));              \
  } while (0)

static inline int t_run(const t_case *cases, size_t n) {
  volatile size_t i;
  volatile int failed = 0;
  printf("1..%zu\n", n);
  fflush(stdout);
  for (i = 0; i < n; i++) {
    if (setjmp(t__jmp) == 0) {
      cases[i].fn();
      printf("ok %zu - %s\n", i + 1, cases[i].name);
    } else {
      printf("not ok %zu - %s\n", i + 1, cases[i].name);
      failed++;
    }
    fflush(stdout);
  }
  return failed ? 1 : 0;
}

#define T_MAIN(...)                                                            \
  jmp_buf t__jmp;                                                              \
  int main(void) {                                                             \
    static const t_case t_cases_[] = {__VA_ARGS__};                            \
    return t_run(t_cases_, sizeof t_cases_ / sizeof t_cases_[0]);              \
  }

#endif
