// Decision-tree ensembles over float32 features. Nodes are arrays in flash (MINIML_ROM), read through
// core_rom.h; a node reference r < n_internal is an internal node, otherwise it is leaf r - n_internal.
// A sample goes left when input[feature] <= threshold: the exporter rounds scikit-learn's float64
// threshold down to float32, which decides every float32 input exactly as scikit-learn does. Node arrays
// hold the threshold as float_key(threshold): one integer compare instead of a soft-float call on AVR.
#ifndef MINIML_CLASSIC_TREE_H_
#define MINIML_CLASSIC_TREE_H_

#include <stdint.h>
#include <string.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// An order-preserving integer key of a float: for non-NaN a, b, a <= b iff float_key(a) <= float_key(b),
// except that -0.0 sorts below +0.0 (the exporter never stores a -0.0 threshold, so -0.0 <= +0.0 holds).
inline int32_t float_key(float x) {
  int32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  return bits < 0 ? bits ^ INT32_C(0x7FFFFFFF) : bits;
}

// feature, threshold_key (float_key of the threshold), left, right: [n_internal] in flash. Returns the leaf
// reached from `root` (an index into the ensemble's leaves). Feat/Ref: the smallest unsigned types that hold
// them. NaN inputs are not supported (no UB: they go one way or the other).
template <typename Feat, typename Ref>
inline Ref tree_leaf(const Feat* feature, const int32_t* threshold_key, const Ref* left, const Ref* right,
                     Ref n_internal, Ref root, const float* input) {
  Ref node = root;
  while (node < n_internal) {
    const int32_t x = float_key(input[rom_read(&feature[node])]);
    node = x <= rom_read(&threshold_key[node]) ? rom_read(&left[node]) : rom_read(&right[node]);
  }
  return static_cast<Ref>(node - n_internal);
}

// Sums the leaf values of every tree: tree t adds leaf_values[leaf][0..width) to
// output[(t % groups) * width ...] (groups > 1: gradient boosting's one tree per class and stage).
// Trees: a class with static `Ref leaf(index_t tree, const float* input)` (node arrays or if/else code).
// leaf_values: [n_leaves][width] float32 in flash. output: [groups * width] in RAM, overwritten.
template <class Trees>
inline void tree_sum_f32(const float* input, const float* leaf_values, index_t n_trees, index_t groups, index_t width,
                         float* output) {
  for (index_t i = 0; i < groups * width; ++i) output[i] = 0.0f;
  index_t group = 0;
  for (index_t t = 0; t < n_trees; ++t) {
    const uint32_t leaf = Trees::leaf(t, input);
    const float* v = leaf_values + leaf * width;
    float* out = output + group * width;
    for (index_t k = 0; k < width; ++k) out[k] += rom_read(&v[k]);
    group = static_cast<index_t>(group + 1 == groups ? 0 : group + 1);
  }
}

// Forests whose every leaf is pure: output[c] = number of trees whose leaf holds class c.
// leaf_class: [n_leaves] class indices in flash. output: [n_classes] in RAM, overwritten.
template <class Trees, typename Cls>
inline void tree_votes_f32(const float* input, const Cls* leaf_class, index_t n_trees, index_t n_classes,
                           float* output) {
  for (index_t c = 0; c < n_classes; ++c) output[c] = 0.0f;
  for (index_t t = 0; t < n_trees; ++t) output[rom_read(&leaf_class[Trees::leaf(t, input)])] += 1.0f;
}

// Classifier forests with leaves as class counts: tree t adds count[c] / sum(count) to output[c], which is
// scikit-learn's leaf probability (counts of training samples, bootstrap-weighted). One division per tree
// (count * (1 / total), within an ulp of the quotient; soft-float division is the costly part on AVR).
// leaf_count: [n_leaves][n_classes] in flash. output: [n_classes] in RAM, overwritten.
template <class Trees, typename Cnt>
inline void tree_counts_f32(const float* input, const Cnt* leaf_count, index_t n_trees, index_t n_classes,
                            float* output) {
  for (index_t c = 0; c < n_classes; ++c) output[c] = 0.0f;
  for (index_t t = 0; t < n_trees; ++t) {
    const Cnt* count = leaf_count + static_cast<uint32_t>(Trees::leaf(t, input)) * n_classes;
    uint32_t total = 0;
    for (index_t c = 0; c < n_classes; ++c) total += rom_read(&count[c]);
    const float inv_total = 1.0f / static_cast<float>(total);
    for (index_t c = 0; c < n_classes; ++c) {
      const Cnt k = rom_read(&count[c]);
      if (k != 0) output[c] += static_cast<float>(k) * inv_total;
    }
  }
}

}  // namespace miniml

#endif  // MINIML_CLASSIC_TREE_H_
