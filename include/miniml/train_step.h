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

#include "core_rom.h"
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

// Sparse channel update: only rows rows[0..n_rows) (an index list in MINIML_ROM, ascending) of a parameter
// [rows][row_size] step. grad and the rule's state hold the chosen rows alone, back to back (element
// i * row_size + k for row rows[i]), so a row that does not learn costs no gradient or optimizer RAM.
template <class Rule>
inline bool rows_step_finite_f32(const Rule& rule, const float* param, const float* grad, const index_t* rows,
                                 index_t n_rows, index_t row_size) {
  for (index_t i = 0; i < n_rows; ++i) {
    const float* p = param + static_cast<uint32_t>(rom_read(&rows[i])) * row_size;
    const uint32_t base = static_cast<uint32_t>(i) * row_size;
    for (index_t k = 0; k < row_size; ++k) {
      if (!rule.finite(base + k, p[k], grad[base + k])) return false;
    }
  }
  return true;
}

template <class Rule>
inline void rows_step_f32(const Rule& rule, float* param, const float* grad, const index_t* rows, index_t n_rows,
                          index_t row_size) {
  for (index_t i = 0; i < n_rows; ++i) {
    float* p = param + static_cast<uint32_t>(rom_read(&rows[i])) * row_size;
    const uint32_t base = static_cast<uint32_t>(i) * row_size;
    for (index_t k = 0; k < row_size; ++k) rule.apply(base + k, &p[k], grad[base + k]);
  }
}

// The rows form of linear_weight_step: output features rows[0..n_rows) of a Linear weight learn.
template <class Rule>
inline bool linear_weight_rows_step_finite_f32(const Rule& rule, const float* weight, const float* input,
                                               const float* grad_output, index_t in_features, const index_t* rows,
                                               index_t n_rows) {
  for (index_t i = 0; i < n_rows; ++i) {
    const index_t o = rom_read(&rows[i]);
    const float g = grad_output[o];
    const float* w = weight + static_cast<uint32_t>(o) * in_features;
    const uint32_t base = static_cast<uint32_t>(i) * in_features;
    for (index_t k = 0; k < in_features; ++k) {
      if (!rule.finite(base + k, w[k], g * input[k])) return false;
    }
  }
  return true;
}

template <class Rule>
inline void linear_weight_rows_step_f32(const Rule& rule, float* weight, const float* input, const float* grad_output,
                                        index_t in_features, const index_t* rows, index_t n_rows) {
  for (index_t i = 0; i < n_rows; ++i) {
    const index_t o = rom_read(&rows[i]);
    const float g = grad_output[o];
    float* w = weight + static_cast<uint32_t>(o) * in_features;
    const uint32_t base = static_cast<uint32_t>(i) * in_features;
    for (index_t k = 0; k < in_features; ++k) rule.apply(base + k, &w[k], g * input[k]);
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_STEP_H_
