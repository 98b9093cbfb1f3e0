// Float operands by their bits for the C++ checks under test/python (the same sequence on the host and every
// simulated board: xorshift.h's rnd()): bit views, edge values, and floats in a range of binades.
#ifndef MINIML_TEST_FLOAT_OPERANDS_H
#define MINIML_TEST_FLOAT_OPERANDS_H
#include <stdint.h>
#include <string.h>

#include "xorshift.h"

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}
static uint32_t bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static const uint32_t kEdges[] = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
                                  0x7F800001, 0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x00000001,
                                  0x007FFFFF, 0x3F800000, 0xBF800000, 0x3F800001, 0x3FFFFFFF, 0x00400000};
// A float whose exponent field lies in [lo, hi], random sign and mantissa (sometimes few low bits, for ties).
static uint32_t in_binades(uint8_t lo, uint8_t hi) {
  uint32_t m = rnd() & 0x7FFFFFu;
  if ((rnd() & 3) == 0) m &= 0x7FF000u;
  const uint32_t e = lo + rnd() % (uint32_t)(hi - lo + 1);
  return (rnd() & 0x80000000u) | (e << 23) | m;
}
#endif
