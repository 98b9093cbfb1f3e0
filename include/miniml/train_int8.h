// Backward step through a frozen int8 layer after a layer that learns (an int8 model's mixed part:
// quantize -> int8 Conv/Linear -> dequantize). Gradients are float, of the real values the int8 codes
// stand for. Straight-through at the quantisation: a code strictly inside the int8 limits (or the layer's
// clamp bounds act_min/act_max) passes the gradient unchanged, a code at a limit (clipped, or clamped by
// ReLU/ReLU6) passes 0. docs/learning.md states the rule; the PyTorch reference applies the same.
#ifndef MINIML_TRAIN_INT8_H_
#define MINIML_TRAIN_INT8_H_

#include <stdint.h>

#include "core_rom.h"
#include "core_types.h"
#include "train_conv.h"
#include "train_linear.h"

namespace miniml {

// grad_input[i] += grad_output[i] where the quantised code q[i] is not at an int8 limit (-128 or 127).
inline void quantize_backward_f32(const int8_t* q, const float* grad_output, float* grad_input, index_t size) {
  for (index_t i = 0; i < size; ++i) {
    if (q[i] > -128 && q[i] < 127) grad_input[i] += grad_output[i];
  }
}

// In place on an int8 layer's output gradient [channels][plane]: 0 where the output code is at its clamp
// bound (act_min or act_max), else times the channel's weight scale, so that the input gradient is then
// the int8 weights times it (train_conv.h / train_linear.h with W = int8_t): the dequantised weights.
template <class Mem>
inline void int8_output_grad_f32(const int8_t* y, float* grad, const float* weight_scale, index_t channels,
                                 index_t plane, int8_t act_min, int8_t act_max) {
  for (index_t c = 0; c < channels; ++c) {
    const float s = Mem::read(weight_scale + c);
    for (index_t i = 0; i < plane; ++i) {
      const uint32_t k = static_cast<uint32_t>(c) * plane + i;
      grad[k] = (y[k] > act_min && y[k] < act_max) ? grad[k] * s : 0.0f;
    }
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_INT8_H_
