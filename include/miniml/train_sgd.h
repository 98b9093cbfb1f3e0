// Plain SGD with optional momentum, step for step the same as torch.optim.SGD (dampening 0, no Nesterov,
// no weight decay): buf = momentum * buf + grad (torch's first step sets buf = grad, which equals this
// with buf starting at 0), param -= lr * buf. Parameters and momentum buffers are RAM floats.
#ifndef MINIML_TRAIN_SGD_H_
#define MINIML_TRAIN_SGD_H_

#include <stdint.h>

#include "core_types.h"

namespace miniml {

// param[i] -= lr * grad[i] for `size` floats. grad may be any RAM vector (e.g. a bias gradient, which is
// the layer's grad_output).
inline void sgd_f32(float* param, const float* grad, index_t size, float lr) {
  for (index_t i = 0; i < size; ++i) param[i] -= lr * grad[i];
}

// The momentum form; buf (`size` floats, zero after reset) is the velocity torch keeps per parameter.
inline void sgd_momentum_f32(float* param, float* buf, const float* grad, index_t size, float lr, float momentum) {
  for (index_t i = 0; i < size; ++i) {
    buf[i] = momentum * buf[i] + grad[i];
    param[i] -= lr * buf[i];
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_SGD_H_
