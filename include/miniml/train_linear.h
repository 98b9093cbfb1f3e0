// Backward step of Linear for on-device learning, torch layout:
// weight [out_features][in_features], input [in_features], grad_output [out_features]. The weight gradient
// grad_output (x) input is never stored: train_step.h forms and applies each element in one go. `input` is
// the activation the forward pass left in the arena, read in place.
#ifndef MINIML_TRAIN_LINEAR_H_
#define MINIML_TRAIN_LINEAR_H_

#include <stdint.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// grad_input[i] += sum_o weight[o][i] * grad_output[o]: the gradient passed to the layer below (added, as
// every backward kernel does: train_backward.h), computed with the weights *before* this step's update.
// Mem is Rom for a frozen layer (weights in flash) or Ram for a trainable one. grad_input must not alias
// grad_output or input. W is float, or int8_t for a frozen int8 layer (grad_output then already carries its
// weight scales: train_int8.h).
template <class Mem, typename W>
inline void linear_backward_input_f32(const W* weight, const float* grad_output, index_t in_features,
                                      index_t out_features, float* grad_input) {
  for (index_t o = 0; o < out_features; ++o) {
    const float g = grad_output[o];
    const W* row = weight + static_cast<uint32_t>(o) * in_features;
    for (index_t i = 0; i < in_features; ++i) grad_input[i] += static_cast<float>(Mem::read(row + i)) * g;
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_LINEAR_H_
