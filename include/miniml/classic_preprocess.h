// scikit-learn preprocessing on one float32 row in RAM (input and output must not alias); parameters in
// flash (MINIML_ROM), read through core_rom.h. PCA and feature selection export as Linear (op_linear.h).
#ifndef MINIML_CLASSIC_PREPROCESS_H_
#define MINIML_CLASSIC_PREPROCESS_H_

#include <math.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// StandardScaler, RobustScaler, MaxAbsScaler: output[i] = (input[i] - center[i]) / scale[i].
// center: [n] in flash or nullptr (0); scale: [n] in flash, never 0 (scikit-learn stores 1 there).
inline void standardize_f32(const float* input, const float* center, const float* scale, float* output, index_t n) {
  for (index_t i = 0; i < n; ++i) {
    const float c = center ? rom_read(&center[i]) : 0.0f;
    output[i] = (input[i] - c) / rom_read(&scale[i]);
  }
}

// MinMaxScaler: output[i] = input[i] * scale[i] + offset[i] (scikit-learn's scale_ and min_).
inline void scale_shift_f32(const float* input, const float* scale, const float* offset, float* output, index_t n) {
  for (index_t i = 0; i < n; ++i) output[i] = input[i] * rom_read(&scale[i]) + rom_read(&offset[i]);
}

// Normalizer norms.
enum NormKind { kNormL1 = 1, kNormL2 = 2, kNormMax = 3 };

// Normalizer: output = input / norm(input); a zero norm leaves the row as it is (as scikit-learn does).
inline void normalize_f32(const float* input, float* output, index_t n, NormKind norm) {
  float s = 0.0f;
  for (index_t i = 0; i < n; ++i) {
    const float a = input[i] < 0.0f ? -input[i] : input[i];
    if (norm == kNormL1)
      s += a;
    else if (norm == kNormL2)
      s += a * a;
    else if (a > s)
      s = a;
  }
  if (norm == kNormL2) s = static_cast<float>(sqrtf(s));
  if (s == 0.0f) s = 1.0f;
  for (index_t i = 0; i < n; ++i) output[i] = input[i] / s;
}

// PolynomialFeatures(degree=2) in scikit-learn's order: [1], x_0..x_{n-1}, then x_i * x_j for
// i <= j (i < j with interaction_only), i ascending, then j ascending.
inline void poly2_f32(const float* input, float* output, index_t n, bool include_bias, bool interaction_only) {
  index_t o = 0;
  if (include_bias) output[o++] = 1.0f;
  for (index_t i = 0; i < n; ++i) output[o++] = input[i];
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = interaction_only ? i + 1 : i; j < n; ++j) output[o++] = input[i] * input[j];
  }
}

// SelectKBest, VarianceThreshold: output[k] = input[index[k]]; index: [n] in flash.
template <typename Idx>
inline void gather_f32(const float* input, const Idx* index, float* output, index_t n) {
  for (index_t k = 0; k < n; ++k) output[k] = input[rom_read(&index[k])];
}

}  // namespace miniml

#endif  // MINIML_CLASSIC_PREPROCESS_H_
