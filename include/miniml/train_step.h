// One optimizer step on one RAM parameter tensor, given its gradient as a vector (a bias: the layer's
// grad_output) or as a Linear weight's outer product grad_output (x) input, formed element by element and never
// stored (training a Linear costs no RAM beyond its parameters and optimizer state).
// A Rule (train_sgd.h: Sgd, SgdMomentum; train_adam.h: Adam) has
//   bool finite(uint32_t k, float param, float grad) const  // would element k's step store only finite values?
//   void apply(uint32_t k, float* param, float grad) const  // store them (param and the rule's state at k)
// computed with the same expressions, so learn() checks a whole step with the *_finite_f32 forms first and a
// refused step changes nothing. A non-finite gradient element fails finite() too: every rule stores a value
// computed from it.
#ifndef MINIML_TRAIN_STEP_H_
#define MINIML_TRAIN_STEP_H_

#include <stdint.h>

#include "core_types.h"

namespace miniml {

// param[k] and grad[k] for k < size (RAM; grad may be any vector, not aliasing param).
template <class Rule>
inline bool step_finite_f32(const Rule& rule, const float* param, const float* grad, index_t size) {
  for (index_t k = 0; k < size; ++k) {
    if (!rule.finite(k, param[k], grad[k])) return false;
  }
  return true;
}

template <class Rule>
inline void step_f32(const Rule& rule, float* param, const float* grad, index_t size) {
  for (index_t k = 0; k < size; ++k) rule.apply(k, &param[k], grad[k]);
}

// A Linear weight [out_features][in_features] (RAM) whose gradient is grad_output[o] * input[i], torch's
// order of the product. `input` is the activation the forward pass left in the arena (or the model input).
template <class Rule>
inline bool linear_weight_step_finite_f32(const Rule& rule, const float* weight, const float* input,
                                          const float* grad_output, index_t in_features, index_t out_features) {
  for (index_t o = 0; o < out_features; ++o) {
    const float g = grad_output[o];
    const uint32_t base = static_cast<uint32_t>(o) * in_features;
    for (index_t i = 0; i < in_features; ++i) {
      if (!rule.finite(base + i, weight[base + i], g * input[i])) return false;
    }
  }
  return true;
}

template <class Rule>
inline void linear_weight_step_f32(const Rule& rule, float* weight, const float* input, const float* grad_output,
                                   index_t in_features, index_t out_features) {
  for (index_t o = 0; o < out_features; ++o) {
    const float g = grad_output[o];
    const uint32_t base = static_cast<uint32_t>(o) * in_features;
    for (index_t i = 0; i < in_features; ++i) rule.apply(base + i, &weight[base + i], g * input[i]);
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_STEP_H_
