// Fully connected layer, float32: output = act(input W^T + bias), torch layout (weight [out][in]).
#ifndef MINIML_OP_LINEAR_H_
#define MINIML_OP_LINEAR_H_

#include "core_float_avr.h"
#include "core_rom.h"
#include "core_types.h"
#include "op_activation.h"

namespace miniml {

// input:  [in_features] float32 in RAM; must not alias output.
// weight: [out_features][in_features] float32, read through Mem (Rom: flash, Ram: SRAM, trainable).
// bias:   [out_features] float32 through BiasMem (default Mem; differs when only the bias trains), or nullptr.
// output: [out_features] float32 in RAM.
template <class Mem, class BiasMem = Mem, class Act>
inline void linear_f32(const float* input, const float* weight, const float* bias, float* output, index_t in_features,
                       index_t out_features, Act act) {
  const float* w = weight;
  for (index_t o = 0; o < out_features; ++o) {
    const float acc = detail::dot_f32<Mem>(input, w, in_features, bias ? BiasMem::read(bias + o) : 0.0f);
    w += in_features;
    output[o] = act(acc);
  }
}

// The same Linear on each of `rows` rows: input [rows][in_features] -> output [rows][out_features].
template <class Mem, class Act>
inline void linear_rows_f32(const float* input, const float* weight, const float* bias, float* output, index_t rows,
                            index_t in_features, index_t out_features, Act act) {
  for (index_t r = 0; r < rows; ++r) {
    linear_f32<Mem>(input, weight, bias, output, in_features, out_features, act);
    input += in_features;
    output += out_features;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_LINEAR_H_
