// Instance-based models on one float32 row: k-nearest neighbours over a training set in flash, nearest
// centroids, Gaussian naive Bayes. Parameters in flash (MINIML_ROM); scratch and outputs in RAM.
#ifndef MINIML_CLASSIC_NEIGHBORS_H_
#define MINIML_CLASSIC_NEIGHBORS_H_

#include <math.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// Minkowski distance to the power p (p = 1: Manhattan, p = 2: squared Euclidean); row: [n] in flash.
inline float minkowski_pow_f32(const float* x, const float* row, index_t n, uint8_t p) {
  float acc = 0.0f;
  for (index_t i = 0; i < n; ++i) {
    const float d = x[i] - rom_read(&row[i]);
    acc += p == 1 ? (d < 0.0f ? -d : d) : d * d;
  }
  return acc;
}

// The k nearest training rows, nearest first; on equal distances the earlier row comes first.
// train: [n_samples][n_features] in flash. best_dist, best_index: [k] in RAM (distance to the power p).
inline void knn_search_f32(const float* input, const float* train, index_t n_samples, index_t n_features, index_t k,
                           uint8_t p, float* best_dist, uint16_t* best_index) {
  index_t found = 0;
  for (index_t s = 0; s < n_samples; ++s) {
    const float d = minkowski_pow_f32(input, train + static_cast<uint32_t>(s) * n_features, n_features, p);
    if (found == k && !(d < best_dist[k - 1])) continue;
    index_t pos = found < k ? found++ : static_cast<index_t>(k - 1);
    while (pos > 0 && d < best_dist[pos - 1]) {
      best_dist[pos] = best_dist[pos - 1];
      best_index[pos] = best_index[pos - 1];
      --pos;
    }
    best_dist[pos] = d;
    best_index[pos] = static_cast<uint16_t>(s);
  }
}

// scikit-learn's neighbour weights: 1 (uniform) or 1 / distance, where a neighbour at distance 0
// takes all the weight (1 for every such neighbour, 0 for the others).
inline float knn_weight(const float* best_dist, index_t k, index_t i, bool by_distance, uint8_t p) {
  if (!by_distance) return 1.0f;
  bool exact = false;
  for (index_t j = 0; j < k; ++j) exact = exact || best_dist[j] == 0.0f;
  if (exact) return best_dist[i] == 0.0f ? 1.0f : 0.0f;
  const float d = p == 1 ? best_dist[i] : static_cast<float>(sqrtf(best_dist[i]));
  return 1.0f / d;
}

// KNeighborsClassifier.predict_proba: the weighted share of each class among the k neighbours.
// label: [n_samples] class indices in flash; output: [n_classes].
template <typename Cls>
inline void knn_classify_f32(const float* best_dist, const uint16_t* best_index, index_t k, const Cls* label,
                             index_t n_classes, bool by_distance, uint8_t p, float* output) {
  for (index_t c = 0; c < n_classes; ++c) output[c] = 0.0f;
  float total = 0.0f;
  for (index_t i = 0; i < k; ++i) {
    const float w = knn_weight(best_dist, k, i, by_distance, p);
    output[rom_read(&label[best_index[i]])] += w;
    total += w;
  }
  for (index_t c = 0; c < n_classes; ++c) output[c] /= total;
}

// KNeighborsRegressor.predict: the weighted mean of the neighbours' targets ([n_samples][n_outputs]).
inline void knn_regress_f32(const float* best_dist, const uint16_t* best_index, index_t k, const float* target,
                            index_t n_outputs, bool by_distance, uint8_t p, float* output) {
  for (index_t o = 0; o < n_outputs; ++o) output[o] = 0.0f;
  float total = 0.0f;
  for (index_t i = 0; i < k; ++i) {
    const float w = knn_weight(best_dist, k, i, by_distance, p);
    const float* y = target + static_cast<uint32_t>(best_index[i]) * n_outputs;
    for (index_t o = 0; o < n_outputs; ++o) output[o] += w * rom_read(&y[o]);
    total += w;
  }
  for (index_t o = 0; o < n_outputs; ++o) output[o] /= total;
}

// NearestCentroid scores: output[c] = -dist(x * inv_scale, centroid_c * inv_scale)^2 + bias[c], with the
// Euclidean (p = 2) or Manhattan (p = 1) distance. centroid: [n_classes][n_features]; inv_scale: [n_features]
// or nullptr (1); bias: [n_classes] or nullptr (0); all in flash.
inline void centroid_scores_f32(const float* input, const float* centroid, const float* inv_scale, const float* bias,
                                index_t n_classes, index_t n_features, uint8_t p, float* output) {
  for (index_t c = 0; c < n_classes; ++c) {
    const float* row = centroid + static_cast<uint32_t>(c) * n_features;
    float acc = 0.0f;
    for (index_t i = 0; i < n_features; ++i) {
      const float s = inv_scale ? rom_read(&inv_scale[i]) : 1.0f;
      const float d = input[i] * s - rom_read(&row[i]) * s;
      acc += p == 1 ? (d < 0.0f ? -d : d) : d * d;
    }
    const float dist2 = p == 1 ? acc * acc : acc;
    output[c] = -dist2 + (bias ? rom_read(&bias[c]) : 0.0f);
  }
}

// GaussianNB joint log likelihood: output[c] = bias[c] - 0.5 * sum_i (x_i - theta[c][i])^2 * inv_var[c][i],
// bias[c] = log prior_c - 0.5 * sum_i log(2 pi var[c][i]). theta, inv_var: [n_classes][n_features] in flash.
inline void gaussian_nb_f32(const float* input, const float* theta, const float* inv_var, const float* bias,
                            index_t n_classes, index_t n_features, float* output) {
  for (index_t c = 0; c < n_classes; ++c) {
    const uint32_t row = static_cast<uint32_t>(c) * n_features;
    float acc = 0.0f;
    for (index_t i = 0; i < n_features; ++i) {
      const float d = input[i] - rom_read(&theta[row + i]);
      acc += d * d * rom_read(&inv_var[row + i]);
    }
    output[c] = rom_read(&bias[c]) - 0.5f * acc;
  }
}

}  // namespace miniml

#endif  // MINIML_CLASSIC_NEIGHBORS_H_
