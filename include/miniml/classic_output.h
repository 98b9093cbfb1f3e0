// The last steps of scikit-learn's predict/predict_proba on a float32 row in RAM: argmax, the binary
// logistic pair, one-vs-rest normalisation, scaling, the log link, the isolation score; all in place.
#ifndef MINIML_CLASSIC_OUTPUT_H_
#define MINIML_CLASSIC_OUTPUT_H_

#include "core_math.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// numpy's argmax: the first index of the largest value.
inline index_t argmax_f32(const float* x, index_t n) {
  index_t best = 0;
  for (index_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

inline float expit_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// x: [1] decision -> [2] = {1 - p, p}, p = expit(decision) (scikit-learn's binary predict_proba).
inline void logistic_pair_f32(float* x) {
  const float p = expit_f32(x[0]);
  x[0] = 1.0f - p;
  x[1] = p;
}

// One-vs-rest probabilities: expit of each decision, divided by their sum (_predict_proba_lr).
inline void ovr_proba_f32(float* x, index_t n) {
  float sum = 0.0f;
  for (index_t i = 0; i < n; ++i) {
    x[i] = expit_f32(x[i]);
    sum += x[i];
  }
  for (index_t i = 0; i < n; ++i) x[i] /= sum;
}

// x[i] / divisor (a forest's mean over its trees).
inline void divide_f32(float* x, index_t n, float divisor) {
  for (index_t i = 0; i < n; ++i) x[i] /= divisor;
}

// x[i] + offset[i] (offset in flash: a boosted model's initial prediction).
inline void add_rom_f32(float* x, const float* offset, index_t n) {
  for (index_t i = 0; i < n; ++i) x[i] += rom_read(&offset[i]);
}

// exp(x[i]): the inverse of a log link (Poisson, Gamma losses).
inline void exp_inplace_f32(float* x, index_t n) {
  for (index_t i = 0; i < n; ++i) x[i] = exp_f32(x[i]);
}

// IsolationForest.decision_function from the summed path lengths x[0]: -2^(-x / (n_trees c)) - offset,
// with scale = ln 2 / (n_trees c).
inline void isolation_score_f32(float* x, float scale, float offset) { x[0] = -exp_f32(-x[0] * scale) - offset; }

}  // namespace miniml

#endif  // MINIML_CLASSIC_OUTPUT_H_
