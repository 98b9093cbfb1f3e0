// linear_s8: int8 fully connected layer (TFLM FULLY_CONNECTED, per-output-channel requantisation).
// Activations in SRAM, weights/bias/requantisation constants read through the memory policy Mem.
#ifndef MINIML_OP_LINEAR_S8_H_
#define MINIML_OP_LINEAR_S8_H_

#include <stdint.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_rom.h"
#include "core_types.h"

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

}  // namespace miniml

#endif  // MINIML_OP_LINEAR_S8_H_
