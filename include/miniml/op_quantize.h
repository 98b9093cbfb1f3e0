// quantize_s8 / dequantize_s8: the float <-> int8 edges of an int8 model, with TFLM QUANTIZE / DEQUANTIZE
// numbers (float32 arithmetic throughout, no double). Both arrays in SRAM; they do not alias (sizes differ).
#ifndef MINIML_OP_QUANTIZE_H_
#define MINIML_OP_QUANTIZE_H_

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core_fixedpoint.h"
#include "core_types.h"

namespace miniml {

// clamp(round(scaled) + zero_point) to int8, halves away from zero: `scaled` is a real value already divided
// by its scale. Non-finite values have a defined result (converting them to an integer would be undefined
// behaviour): -Inf and +Inf saturate to -128 and 127, NaN becomes the zero point (real value 0).
inline int8_t round_to_s8(float scaled, int32_t zero_point) {
  const float q = roundf(scaled);
  int32_t v;
#if defined(__AVR__)
  // The same cases read off q's bits: float compares and the int conversion are library calls on AVR (a
  // quarter of an int8 MLP's predict() went to the input's edge). q is an integer, so below 256 in magnitude
  // its value is the top 8 bits of the mantissa (with the hidden bit) shifted by the exponent.
  uint32_t bits;
  memcpy(&bits, &q, sizeof(bits));
  const uint16_t high = static_cast<uint16_t>(bits >> 16);
  const uint8_t exponent = static_cast<uint8_t>(static_cast<uint16_t>(high << 1) >> 8);
  const bool negative = (high & 0x8000u) != 0;
  if (exponent == 0xFF && (bits & UINT32_C(0x7FFFFF)) != 0) {  // NaN
    v = zero_point;
  } else if (exponent >= 127 + 8) {  // |q| >= 256, Inf included
    v = negative ? kInt8Min : kInt8Max;
  } else {
    const uint8_t top = static_cast<uint8_t>(0x80u | (high & 0x7Fu));  // 1.xxxxxxx as an 8-bit integer
    const uint8_t magnitude = exponent < 127 ? 0 : static_cast<uint8_t>(top >> (134 - exponent));
    v = (negative ? -static_cast<int32_t>(magnitude) : static_cast<int32_t>(magnitude)) + zero_point;
    if (v < kInt8Min) v = kInt8Min;
    if (v > kInt8Max) v = kInt8Max;
  }
#else
  // Compare as float first: a huge value (or inf) must not overflow the int conversion.
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
#endif
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
