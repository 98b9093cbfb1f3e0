// quantize_s8 / dequantize_s8: the float <-> int8 edges of an int8 model, with TFLM QUANTIZE / DEQUANTIZE
// numbers (float32 arithmetic throughout, no double). Both arrays in SRAM; they do not alias (sizes differ).
#ifndef MINIML_OP_QUANTIZE_H_
#define MINIML_OP_QUANTIZE_H_

#include <math.h>
#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_types.h"

namespace miniml {

// clamp(round(scaled) + zero_point) to int8, halves away from zero: `scaled` is a real value already divided
// by its scale. Non-finite values have a defined result (converting them to an integer would be undefined
// behaviour): -Inf and +Inf saturate to -128 and 127, NaN becomes the zero point (real value 0).
inline int8_t round_to_s8(float scaled, int32_t zero_point) {
  const float q = roundf(scaled);
  // Compare as float first: a huge value (or inf) must not overflow the int conversion.
  int32_t v;
  if (q != q) {  // NaN
    v = zero_point;
  } else if (q <= -256.0f) {
    v = kInt8Min;
  } else if (q >= 256.0f) {
    v = kInt8Max;
  } else {
    v = static_cast<int32_t>(q) + zero_point;
    if (v < kInt8Min) v = kInt8Min;
    if (v > kInt8Max) v = kInt8Max;
  }
  return static_cast<int8_t>(v);
}

// output[i] = clamp(round(input[i] / scale) + zero_point) (round_to_s8). A division, not a multiply by
// 1/scale: that is what TFLM does, and the reciprocal would differ in the last bit.
inline void quantize_s8(const float* input, index_t n, float scale, int32_t zero_point, int8_t* output) {
  for (index_t i = 0; i < n; ++i) output[i] = round_to_s8(input[i] / scale, zero_point);
}

// output[i] = scale * (input[i] - zero_point), one float32 rounding (the integer factor is exact).
inline void dequantize_s8(const int8_t* input, index_t n, float scale, int32_t zero_point, float* output) {
  for (index_t i = 0; i < n; ++i) {
    output[i] = scale * static_cast<float>(static_cast<int32_t>(input[i]) - zero_point);
  }
}

}  // namespace miniml

#endif  // MINIML_OP_QUANTIZE_H_
