// The plain reference for round_to_s8 (op_quantize.h), shared by the test programs: TFLM's round(x) + zero
// point as 32-bit cores compute it, in float compares (no int conversion of a non-finite or huge value).
#ifndef MINIML_TEST_ROUND_REF_H_
#define MINIML_TEST_ROUND_REF_H_

#include <math.h>
#include <stdint.h>

static inline int8_t ref_round_to_s8(float scaled, int32_t zero_point) {
  const float q = roundf(scaled);
  int32_t v;
  if (q != q) {
    v = zero_point;
  } else if (q <= -256.0f) {
    v = -128;
  } else if (q >= 256.0f) {
    v = 127;
  } else {
    v = static_cast<int32_t>(q) + zero_point;
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
  }
  return static_cast<int8_t>(v);
}

#endif  // MINIML_TEST_ROUND_REF_H_
