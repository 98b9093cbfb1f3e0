// The plain int64 references for the requantisation primitives (core_fixedpoint.h), shared by the test
// programs: TFLM's SaturatingRoundingDoublingHighMul (nudge, then C's truncating division by 2^31, written
// as a shift of the magnitude: no int64 division on AVR), RoundingDivideByPOT (mask / threshold) and
// requantize_s8 built from them. Out of line: the AVR checks call them from functions near the edge of what
// avr-gcc -O2 can register-allocate.
#ifndef MINIML_TEST_REQUANT_REF_H_
#define MINIML_TEST_REQUANT_REF_H_

#include <stdint.h>

static inline __attribute__((noinline)) int32_t ref_srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t q = ab + (ab >= 0 ? (INT64_C(1) << 30) : (INT64_C(1) - (INT64_C(1) << 30)));
  return (int32_t)(q >= 0 ? q >> 31 : -((-q) >> 31));
}
static inline __attribute__((noinline)) int32_t ref_rdbpot(int32_t x, int8_t exponent) {
  const int32_t mask = (int32_t)((UINT32_C(1) << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}
// TFLM's MultiplyByQuantizedMultiplier (shift in [-31, 30]; left shifts wrap through uint32) plus the zero
// point, clamped to [act_min, act_max] and cast to int8 (wrapping when the bounds leave int8).
static inline __attribute__((noinline)) int8_t ref_requantize_s8(int32_t acc, int32_t m, int8_t shift, int32_t zp,
                                                                 int32_t lo, int32_t hi) {
  const int8_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : (int8_t)-shift;
  const int32_t x = ref_rdbpot(ref_srdhm((int32_t)((uint32_t)acc << left), m), right);
  int32_t v = x > INT32_MAX - 300 ? INT32_MAX - 300 : (x < INT32_MIN + 300 ? INT32_MIN + 300 : x);
  v += zp;  // |zp| < 300 in every test: the saturated sum clamps the same
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int8_t)v;
}

#endif  // MINIML_TEST_REQUANT_REF_H_
