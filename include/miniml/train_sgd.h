// SGD for on-device learning, step for step torch.optim.SGD (dampening 0, no Nesterov): the gradient gets
// weight_decay * param added (torch's L2 form), then buf = momentum * buf + grad (torch's first step sets
// buf = grad, which equals this with buf starting at 0) and param -= lr * buf; without momentum,
// param -= lr * grad. Rules for train_step.h: one object per parameter tensor, built in learn().
#ifndef MINIML_TRAIN_SGD_H_
#define MINIML_TRAIN_SGD_H_

#include <stdint.h>

#include "core_types.h"
#include "train_finite.h"

namespace miniml {

// grad + weight_decay * param, skipped at 0 as torch skips it (so weight_decay 0 is bit-identical to none).
inline float decayed_grad_f32(float param, float grad, float weight_decay) {
  return weight_decay != 0.0f ? grad + weight_decay * param : grad;
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

}  // namespace miniml

#endif  // MINIML_TRAIN_SGD_H_
