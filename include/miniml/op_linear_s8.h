// linear_s8: int8 fully connected layer (TFLM FULLY_CONNECTED, per-output-channel requantisation).
// Activations in SRAM, weights/bias/requantisation constants read through the memory policy Mem.
#ifndef MINIML_OP_LINEAR_S8_H_
#define MINIML_OP_LINEAR_S8_H_

#include <stdint.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_rom.h"
#include "core_types.h"
#include "op_linear_s8_avr.h"

namespace miniml {

// The shape of a fully connected layer: generated code passes a constexpr LinearParams per layer (as
// Conv2dParams for convolutions).
struct LinearParams {
  index_t in_features, out_features;
};

// output[o] = clamp(requant(sum_i input[i] * weight[o][i] + bias[o]) + output_zero_point).
//   input       [in_features] int8, SRAM; may not alias output.
//   weight      [out_features][in_features] int8, symmetric (zero point 0), torch layout, Mem.
//   bias        [out_features] int32, Mem, *folded*: b[o] - input_zero_point * sum_i weight[o][i], so the
//               inner loop is a plain int8 dot product (CMSIS-NN's kernel-sum trick); the exporter folds it.
//   multiplier  [out_features] int32 in [2^30, 2^31), shift [out_features] int8 (core_fixedpoint.h), Mem.
//   act_min/act_max: fused activation as an int8 clamp.
template <class Mem>
inline void linear_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                      const int8_t* shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                      index_t in_features, index_t out_features, int8_t* output) {
  const int8_t* w = weight;
  index_t o = 0;
#if !defined(__AVR__)
  // Two outputs at a time on 32-bit cores (AVR: the asm dot loop, one output at a time, few registers).
  for (; o + 2 <= out_features; o += 2, w += 2 * in_features) {
    int32_t acc0 = Mem::read(bias + o), acc1 = Mem::read(bias + o + 1);
    detail::dot_1x2_s8<Mem>(input, w, in_features, acc0, acc1);
    output[o] =
        ChannelRequant(Mem::read(multiplier + o), Mem::read(shift + o), output_zero_point, act_min, act_max)(acc0);
    output[o + 1] = ChannelRequant(Mem::read(multiplier + o + 1), Mem::read(shift + o + 1), output_zero_point, act_min,
                                   act_max)(acc1);
  }
#endif
  for (; o < out_features; ++o) {
    const int32_t acc = detail::dot_s8<Mem>(input, w, in_features, Mem::read(bias + o));
    output[o] =
        requantize_s8(acc, Mem::read(multiplier + o), Mem::read(shift + o), output_zero_point, act_min, act_max);
    w += in_features;
  }
}

// The same with the layer's shape as one struct (forwarded: always inlined, so the call costs nothing).
template <class Mem>
MINIML_ALWAYS_INLINE void linear_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, const LinearParams& p,
                                    int32_t output_zero_point, int32_t act_min, int32_t act_max, int8_t* output) {
  linear_s8<Mem>(input, weight, bias, multiplier, shift, output_zero_point, act_min, act_max, p.in_features,
                 p.out_features, output);
}

// linear_s8 for a layer the exporter has proved inside the 24-bit domain: 1 <= in_features <= 255 and, for every row o,
// |bias[o]| + 128 * sum_i |weight[o][i]| < 2^23 (so every accumulator, whatever the input, fits 24 bits), multiplier[o]
// >= 0, shift[o] in [-31, -2], output zero point and bounds int8, act_min <= act_max (requantize_s8_avr's domain). The
// ATmega with flash weights runs it in op_linear_s8_avr.h's routine (none of linear_s8's code); elsewhere it is
// linear_s8. Outside that domain the ATmega results are wrong: only the exporter, which checks it, calls this.
template <class Mem>
inline void linear_acc24_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                            const int8_t* shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                            index_t in_features, index_t out_features, int8_t* output) {
  linear_s8<Mem>(input, weight, bias, multiplier, shift, output_zero_point, act_min, act_max, in_features, out_features,
                 output);
}
#if defined(MINIML_LINEAR_S8_AVR)
template <>
inline void linear_acc24_s8<Rom>(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                 const int32_t* multiplier, const int8_t* shift, int32_t output_zero_point,
                                 int32_t act_min, int32_t act_max, index_t in_features, index_t out_features,
                                 int8_t* output) {
  for (index_t o = 0; o < out_features; o += 255) {  // the routine counts rows in a byte
    const index_t left = out_features - o;
    detail::linear_rows_s8_avr(input, weight + o * in_features, bias + o, multiplier + o, shift + o,
                               static_cast<uint8_t>(in_features), static_cast<uint8_t>(left < 255 ? left : 255),
                               static_cast<int8_t>(output_zero_point), static_cast<int8_t>(act_min),
                               static_cast<int8_t>(act_max), output + o);
  }
}
#endif

template <class Mem>
MINIML_ALWAYS_INLINE void linear_acc24_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                          const int32_t* multiplier, const int8_t* shift, const LinearParams& p,
                                          int32_t output_zero_point, int32_t act_min, int32_t act_max, int8_t* output) {
  linear_acc24_s8<Mem>(input, weight, bias, multiplier, shift, output_zero_point, act_min, act_max, p.in_features,
                       p.out_features, output);
}

}  // namespace miniml

#endif  // MINIML_OP_LINEAR_S8_H_
