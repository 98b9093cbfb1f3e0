// SGD for on-device learning, step for step torch.optim.SGD (dampening 0, no Nesterov): the gradient gets
// weight_decay * param added (torch's L2 form), then buf = momentum * buf + grad (torch's first step sets
// buf = grad, which equals this with buf starting at 0) and param -= lr * buf; without momentum,
// param -= lr * grad (a Linear weight's plain step hoists lr * grad_output per row: linear_weight_sgd_f32).
// Rules for train_step.h: one object per parameter tensor, built in learn(). Without weight
// decay their whole-step checks are train_finite.h's bound-first ones (no float operation in the common case).
#ifndef MINIML_TRAIN_SGD_H_
#define MINIML_TRAIN_SGD_H_

#include <stdint.h>
#include <string.h>

#include "core_float_avr.h"
#include "core_float_bits.h"
#include "core_types.h"
#include "train_finite.h"
#include "train_step.h"

namespace miniml {

// grad + weight_decay * param, skipped at 0 as torch skips it (so weight_decay 0 is bit-identical to none).
// Where floats are soft the test reads the bits (weight_decay != 0.0f is a library call per parameter).
inline float decayed_grad_f32(float param, float grad, float weight_decay) {
  return (kSoftFloat ? !is_zero_f32(weight_decay) : weight_decay != 0.0f) ? grad + weight_decay * param : grad;
}

// Plain SGD: no state.
struct Sgd {
  float lr;
  float weight_decay;

  float next(float param, float grad) const { return param - lr * decayed_grad_f32(param, grad, weight_decay); }
  bool finite(uint32_t, float param, float grad) const { return is_finite_f32(next(param, grad)); }
  void apply(uint32_t, float* param, float grad) const { *param = next(*param, grad); }
};

// SGD with momentum; buf (RAM, the parameter's shape, zero after reset) is torch's momentum_buffer.
struct SgdMomentum {
  float lr;
  float momentum;
  float weight_decay;
  float* buf;

  float velocity(uint32_t k, float param, float grad) const {
    return momentum * buf[k] + decayed_grad_f32(param, grad, weight_decay);
  }
  bool finite(uint32_t k, float param, float grad) const {
    const float v = velocity(k, param, grad);
    return is_finite_f32(v) && is_finite_f32(param - lr * v);
  }
  void apply(uint32_t k, float* param, float grad) const {
    const float v = velocity(k, *param, grad);
    buf[k] = v;
    *param -= lr * v;
  }
};

// True when w - s * x == w for every finite s: x is +0 or -0 and w is not -0 (-0 - (-0) is +0). Integer
// tests of the bits.
inline bool zero_step_keeps_f32(float w, float x) {
  uint32_t wb;
  memcpy(&wb, &w, sizeof(wb));
  return is_zero_f32(x) && wb != UINT32_C(0x80000000);
}

// Plain SGD on a Linear weight (no weight decay), one row factor at a time: step = lr * grad_output[o]
// once, then weight[o][i] -= step * input[i], one multiply and one subtract per weight instead of three
// operations (torch rounds lr * (grad_output[o] * input[i]): a last-bit difference, the same on every
// board). With SkipZeros (kSoftFloat: a soft-float multiply and subtract, ~260 cycles on AVR, dwarf the integer
// test) a zero input (most outputs of a ReLU) leaves its weights as they are, so they are skipped
// (zero_step_keeps_f32): the same weights either way. Only after linear_weight_step_finite_f32
// passed (a non-finite step times 0 is NaN). On the ATmega, when the model header asked for it
// (MINIML_LEARN_SGD), core_float_avr.h's asm dot steps each row (its own multiply: ~55 cycles a weight less than
// __mulsf3), bit for bit this loop (test_sgd_avr.py).
template <bool SkipZeros>
inline void sgd_row_f32(float* row, const float* input, index_t n, float step) {
#if defined(MINIML_SGD_DOT)
  if (SkipZeros) {  // the asm writes the row: memory barriers around it
    __asm__ volatile("" ::: "memory");
    detail::dot_f32_avr_mul(-step, input, row, static_cast<index_t>(n | 0x4000u));
    __asm__ volatile("" ::: "memory");
    return;
  }
#endif
  for (index_t i = 0; i < n; ++i) {
    if (!SkipZeros || !zero_step_keeps_f32(row[i], input[i])) row[i] -= step * input[i];
  }
}
template <bool SkipZeros>
inline void linear_weight_sgd_f32(float* weight, const float* input, const float* grad_output, index_t in_features,
                                  index_t out_features, float lr) {
  for (index_t o = 0; o < out_features; ++o) {
    sgd_row_f32<SkipZeros>(weight + static_cast<uint32_t>(o) * in_features, input, in_features, lr * grad_output[o]);
  }
}

inline void linear_weight_step_f32(const Sgd& r, float* weight, const float* input, const float* grad_output,
                                   index_t in_features, index_t out_features) {
  if (r.weight_decay == 0.0f) {
    linear_weight_sgd_f32<kSoftFloat>(weight, input, grad_output, in_features, out_features, r.lr);
  } else {
    linear_weight_step_f32<Sgd>(r, weight, input, grad_output, in_features, out_features);
  }
}

#if defined(MINIML_SGD_DOT)
// Plain SGD on a dense gradient (a bias, a conv weight) where the float dot steps Linear weight rows: one row whose
// factor is lr, the same bits as Sgd::apply's param - lr * grad (a +-0 gradient skipped as in the rows).
inline void step_f32(const Sgd& r, float* param, const float* grad, index_t size) {
  if (is_zero_f32(r.weight_decay)) {
    sgd_row_f32<true>(param, grad, size, r.lr);
  } else {
    step_f32<Sgd>(r, param, grad, size);
  }
}
#endif

// The whole-step checks of the SGD rules (chosen over train_step.h's templates, which they fall back to with
// weight decay): the same answers, from train_finite.h's bound-first forms.
inline bool step_finite_f32(const Sgd& r, const float* param, const float* grad, index_t size) {
  return r.weight_decay == 0.0f && kSoftFloat ? sgd_step_finite_f32(param, grad, size, r.lr)
                                              : step_finite_f32<Sgd>(r, param, grad, size);
}
inline bool step_finite_f32(const SgdMomentum& r, const float* param, const float* grad, index_t size) {
  return r.weight_decay == 0.0f ? sgd_momentum_step_finite_f32(param, r.buf, grad, size, r.lr, r.momentum)
                                : step_finite_f32<SgdMomentum>(r, param, grad, size);
}
inline bool linear_weight_step_finite_f32(const Sgd& r, const float* weight, const float* input,
                                          const float* grad_output, index_t in_features, index_t out_features) {
  return r.weight_decay == 0.0f
             ? linear_weight_step_finite_f32(weight, input, grad_output, in_features, out_features, r.lr)
             : linear_weight_step_finite_f32<Sgd>(r, weight, input, grad_output, in_features, out_features);
}
inline bool linear_weight_step_finite_f32(const SgdMomentum& r, const float* weight, const float* input,
                                          const float* grad_output, index_t in_features, index_t out_features) {
  return r.weight_decay == 0.0f
             ? linear_weight_momentum_step_finite_f32(weight, r.buf, input, grad_output, in_features, out_features,
                                                      r.lr, r.momentum)
             : linear_weight_step_finite_f32<SgdMomentum>(r, weight, input, grad_output, in_features, out_features);
}

}  // namespace miniml

#endif  // MINIML_TRAIN_SGD_H_
