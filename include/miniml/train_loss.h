// Losses for on-device learning, each with its gradient with respect to the model output (the start of
// the backward step). Batch 1, reduction "mean" like torch.nn.functional's defaults. All buffers in RAM.
#ifndef MINIML_TRAIN_LOSS_H_
#define MINIML_TRAIN_LOSS_H_

#include <stdint.h>

#include "core_types.h"
#include "train_exp_log.h"

namespace miniml {

// torch.nn.functional.mse_loss(output, target): mean of (output - target)^2 over `size` floats.
inline float mse_loss_f32(const float* output, const float* target, index_t size) {
  float sum = 0.0f;
  for (index_t i = 0; i < size; ++i) {
    const float d = output[i] - target[i];
    sum += d * d;
  }
  return sum / static_cast<float>(size);
}

// d mse_loss / d output = 2/N (output - target), computed as torch does: (output - target) * (2/N).
// grad_output may alias output (not target).
inline void mse_grad_f32(const float* output, const float* target, index_t size, float* grad_output) {
  const float norm = 2.0f / static_cast<float>(size);
  for (index_t i = 0; i < size; ++i) grad_output[i] = (output[i] - target[i]) * norm;
}

// torch.nn.functional.cross_entropy(logits, label): log-sum-exp(logits) - logits[label], computed with
// the max subtracted so no exp overflows. Also writes its gradient, softmax(logits) - onehot(label),
// to grad_output (`size` floats; may alias logits: each logit is read before its slot is written).
// `label` < size (checked by the caller). exp and log are train_exp_log.h's (integer arithmetic: the same
// bits on every board, within 1 ulp of the correctly rounded values); the max term's exp(0) is 1 after a
// few integer tests there.
#if defined(__AVR__)
#define MINIML_CE_INLINE inline
#else  // inlined into its one call site: out of line, -Os gave it a frame (rv32: +48 B of stack)
#define MINIML_CE_INLINE __attribute__((always_inline)) inline
#endif
MINIML_CE_INLINE float cross_entropy_f32(const float* logits, uint16_t label, index_t size, float* grad_output) {
  const float label_logit = logits[label];
  float max_logit = logits[0];
  for (index_t i = 1; i < size; ++i) {
    if (logits[i] > max_logit) max_logit = logits[i];
  }
  float sum = 0.0f;
  for (index_t i = 0; i < size; ++i) {
    grad_output[i] = exp_nonpositive_f32(logits[i] - max_logit);
    sum += grad_output[i];
  }
  // sum >= 1 (the max term is exp(0)), so the division and the log are safe for finite logits.
  const float inv_sum = 1.0f / sum;
  for (index_t i = 0; i < size; ++i) grad_output[i] *= inv_sum;
  grad_output[label] -= 1.0f;
  return (log_at_least_one_f32(sum) + max_logit) - label_logit;
}
#undef MINIML_CE_INLINE

}  // namespace miniml

#endif  // MINIML_TRAIN_LOSS_H_
