// add_s8 / mul_s8 (+ per-channel forms) / clamp_s8 / lut_s8 / concat_part_s8: int8 elementwise ops with TFLM
// ADD / MUL numbers (same-shape operands), and a standalone clamp for ReLU / ReLU6 / Hardtanh whose output
// keeps its input's scale. All in SRAM; output may alias an input (each element is read before it is
// written).
#ifndef MINIML_OP_ELEMENTWISE_S8_H_
#define MINIML_OP_ELEMENTWISE_S8_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_types.h"

namespace miniml {

// Number of bits both inputs are scaled up by before being brought to a common scale (TFLM int8 ADD).
constexpr int8_t kAddLeftShift = 20;

namespace detail {

// One input of an ADD brought to the common scale: (x - zp) 2^20 scaled by multiplier / shift.
inline int32_t add_input_s8(int32_t x, int32_t zero_point, int32_t multiplier, int8_t shift) {
  // (x - zp) * 2^20 fits int32: |x - zp| <= 255.
  return multiply_by_quantized_multiplier((x - zero_point) * (INT32_C(1) << kAddLeftShift), multiplier, shift);
}

// Elements from which add_s8 on a 32-bit core first tabulates both inputs' scaled values (256 each, on the
// stack): each is a function of one int8, so two loads replace two multiply_by_quantized_multiplier calls.
#ifndef MINIML_ADD_TABLE_MIN
#define MINIML_ADD_TABLE_MIN 1024
#endif

// a [channels][inner]; b the same shape, or [channels] (one value per channel) when kPerChannel.
// kTable: through the tables (32-bit cores from MINIML_ADD_TABLE_MIN elements; a template flag, so that
// with generated code's constant sizes a model links only the form it uses).
template <bool kPerChannel, bool kTable>
inline void add_s8_impl(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                        int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point, int32_t b_multiplier,
                        int8_t b_shift, int32_t output_multiplier, int8_t output_shift, int32_t output_zero_point,
                        int32_t act_min, int32_t act_max, int8_t* output) {
  if (kTable) {
    const ChannelRequant requant(output_multiplier, output_shift, output_zero_point, act_min, act_max);
    int32_t scaled_a[256], scaled_b[256];  // indexed by the int8 value + 128
    for (int32_t v = -128; v < 128; ++v) {
      scaled_a[v + 128] = add_input_s8(v, a_zero_point, a_multiplier, a_shift);
      scaled_b[v + 128] = add_input_s8(v, b_zero_point, b_multiplier, b_shift);
    }
    index_t i = 0;
    for (index_t c = 0; c < channels; ++c) {
      for (index_t j = 0; j < inner; ++j, ++i) {
        const int8_t bv = kPerChannel ? b[c] : b[i];
        output[i] = requant(scaled_a[a[i] + 128] + scaled_b[bv + 128]);
      }
    }
    return;
  }
  index_t i = 0;
  for (index_t c = 0; c < channels; ++c) {
    for (index_t j = 0; j < inner; ++j, ++i) {
      const int8_t bv = kPerChannel ? b[c] : b[i];
      output[i] = requantize_s8(add_input_s8(a[i], a_zero_point, a_multiplier, a_shift) +
                                    add_input_s8(bv, b_zero_point, b_multiplier, b_shift),
                                output_multiplier, output_shift, output_zero_point, act_min, act_max);
    }
  }
}

// add_s8_impl with the form chosen by the size.
template <bool kPerChannel>
MINIML_ALWAYS_INLINE void add_s8_any(const int8_t* a, const int8_t* b, index_t channels, index_t inner,
                                     int32_t a_zero_point, int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point,
                                     int32_t b_multiplier, int8_t b_shift, int32_t output_multiplier,
                                     int8_t output_shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                                     int8_t* output) {
#if !defined(__AVR__)
  if (static_cast<uint32_t>(channels) * inner >= MINIML_ADD_TABLE_MIN) {
    add_s8_impl<kPerChannel, true>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point,
                                   b_multiplier, b_shift, output_multiplier, output_shift, output_zero_point, act_min,
                                   act_max, output);
    return;
  }
#endif
  add_s8_impl<kPerChannel, false>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point,
                                  b_multiplier, b_shift, output_multiplier, output_shift, output_zero_point, act_min,
                                  act_max, output);
}

template <bool kPerChannel>
inline void mul_s8_impl(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                        int32_t b_zero_point, int32_t multiplier, int8_t shift, int32_t output_zero_point,
                        int32_t act_min, int32_t act_max, int8_t* output) {
  index_t i = 0;
  for (index_t c = 0; c < channels; ++c) {
    for (index_t j = 0; j < inner; ++j, ++i) {
      const int8_t bv = kPerChannel ? b[c] : b[i];
      const int32_t p = static_cast<int32_t>(a[i] - a_zero_point) * static_cast<int32_t>(bv - b_zero_point);
      output[i] = requantize_s8(p, multiplier, shift, output_zero_point, act_min, act_max);
    }
  }
}

}  // namespace detail

// TFLM ADD (and SUB: the same with b_multiplier negated, as TFLM does it):
// a and b go to twice the larger input scale with their own multiplier (shift <= 0), are summed,
// then requantised to the output scale. Each multiplier/shift pair comes from quant/params.py add_params().
MINIML_ALWAYS_INLINE void add_s8(const int8_t* a, const int8_t* b, index_t n, int32_t a_zero_point,
                                 int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point, int32_t b_multiplier,
                                 int8_t b_shift, int32_t output_multiplier, int8_t output_shift,
                                 int32_t output_zero_point, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::add_s8_any<false>(a, b, 1, n, a_zero_point, a_multiplier, a_shift, b_zero_point, b_multiplier, b_shift,
                            output_multiplier, output_shift, output_zero_point, act_min, act_max, output);
}

// add_s8 with b one value per channel (TFLM's broadcast ADD of a [1, C, 1, ...] operand):
// a [channels][inner], b [channels].
MINIML_ALWAYS_INLINE void add_channel_s8(const int8_t* a, const int8_t* b, index_t channels, index_t inner,
                                         int32_t a_zero_point, int32_t a_multiplier, int8_t a_shift,
                                         int32_t b_zero_point, int32_t b_multiplier, int8_t b_shift,
                                         int32_t output_multiplier, int8_t output_shift, int32_t output_zero_point,
                                         int32_t act_min, int32_t act_max, int8_t* output) {
  detail::add_s8_any<true>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point, b_multiplier,
                           b_shift, output_multiplier, output_shift, output_zero_point, act_min, act_max, output);
}

// TFLM MUL: (a - za) * (b - zb) requantised with one multiplier (a_scale * b_scale / output_scale).
inline void mul_s8(const int8_t* a, const int8_t* b, index_t n, int32_t a_zero_point, int32_t b_zero_point,
                   int32_t multiplier, int8_t shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                   int8_t* output) {
  detail::mul_s8_impl<false>(a, b, 1, n, a_zero_point, b_zero_point, multiplier, shift, output_zero_point, act_min,
                             act_max, output);
}

// mul_s8 with b one value per channel: a [channels][inner], b [channels].
inline void mul_channel_s8(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                           int32_t b_zero_point, int32_t multiplier, int8_t shift, int32_t output_zero_point,
                           int32_t act_min, int32_t act_max, int8_t* output) {
  detail::mul_s8_impl<true>(a, b, channels, inner, a_zero_point, b_zero_point, multiplier, shift, output_zero_point,
                            act_min, act_max, output);
}

// output[i] = min(max(input[i], lo), hi): ReLU (lo = zero point), ReLU6, Hardtanh at unchanged scale.
inline void clamp_s8(const int8_t* input, index_t n, int32_t lo, int32_t hi, int8_t* output) {
  for (index_t i = 0; i < n; ++i) {
    int32_t v = input[i];
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    output[i] = static_cast<int8_t>(v);
  }
}

// output[i] = table[input[i] + 128]: any pointwise activation (sigmoid, tanh, ...) as a 256-entry int8
// lookup table computed at export from the float function (exact to that function's quantised value).
//   table [256] int8, Mem (flash); input/output may alias.
template <class Mem>
inline void lut_s8(const int8_t* input, index_t n, const int8_t* table, int8_t* output) {
  for (index_t i = 0; i < n; ++i) {
    output[i] = Mem::read(table + static_cast<uint8_t>(static_cast<int16_t>(input[i]) + 128));
  }
}

// One input of a concatenation, requantised to the output's scale and zero point as TFLM's int8 -> int8
// QUANTIZE does (multiplier/shift from input_scale / output_scale): for o < outer, i < part,
// output[o * total + offset + i] = requant(input[o * part + i] - input_zero_point) + output_zero_point.
// multiplier == 0 means the input already has the output's quantisation: a plain copy.
//   input [outer][part], output [outer][total], both SRAM, no alias.
inline void concat_part_s8(const int8_t* input, int8_t* output, index_t outer, index_t part, index_t total,
                           index_t offset, int32_t input_zero_point, int32_t multiplier, int8_t shift,
                           int32_t output_zero_point) {
  for (index_t o = 0; o < outer; ++o) {
    const int8_t* in = input + o * part;
    int8_t* out = output + o * total + offset;
    for (index_t i = 0; i < part; ++i) {
      out[i] = multiplier == 0 ? in[i]
                               : requantize_s8(static_cast<int32_t>(in[i]) - input_zero_point, multiplier, shift,
                                               output_zero_point, kInt8Min, kInt8Max);
    }
  }
}

}  // namespace miniml

#endif  // MINIML_OP_ELEMENTWISE_S8_H_
