// Marsaglia's xorshift32: the same pseudo-random operands on the host and on every simulated board (no libc rand,
// whose sequence differs between avr-libc, newlib and glibc). Shared by the C++ checks under test/python.
#ifndef MINIML_TEST_XORSHIFT_H
#define MINIML_TEST_XORSHIFT_H
#include <stdint.h>

static uint32_t st = 2463534242u;
static uint32_t rnd() {
  st ^= st << 13;
  st ^= st >> 17;
  st ^= st << 5;
  return st;
}
#endif
