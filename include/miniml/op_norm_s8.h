// layer_norm_s8 / group_norm_s8: int8 LayerNorm over the last dimension, GroupNorm / InstanceNorm over groups of
// channels. TFLM has no such kernels; the integer reference is layer_norm_s8 in
// platformio_plugin/miniml/ops/layer_norm.py (group_norm.py expands its weights per value), which these equal.
#ifndef MINIML_OP_NORM_S8_H_
#define MINIML_OP_NORM_S8_H_

#include <math.h>
#include <stdint.h>

#include "core_rom.h"
#include "core_types.h"
#include "op_quantize.h"

namespace miniml {

namespace detail {

// One row of `cols` values: the statistics in integers (exact), d = x - input_zero_point, s = sum d,
// c = cols * d - s, ss = sum c^2 (64-bit); then float32, one rounding per step: var = float(ss) * var_scale
// (var_scale = in_scale^2 / cols^3: the row's variance), a = center_scale / sqrt(var + eps) (center_scale =
// in_scale / cols), y = round_to_s8(float(c) * a * gamma[k] + beta[k], output_zero_point) (op_quantize.h) with
// k = i / repeat (LayerNorm: one weight per value; GroupNorm: one per channel of `repeat` values). gamma / beta
// (float, through Mem) carry the affine weights divided by the output scale. input may alias output.
template <class Mem>
inline void normalize_row_s8(const int8_t* input, const float* gamma, const float* beta, int8_t* output, uint32_t cols,
                             index_t repeat, int32_t input_zero_point, float var_scale, float center_scale, float eps,
                             int32_t output_zero_point) {
  int32_t s = 0;
  for (uint32_t i = 0; i < cols; ++i) s += static_cast<int32_t>(input[i]) - input_zero_point;
  const int32_t n = static_cast<int32_t>(cols);
  int64_t ss = 0;
  for (uint32_t i = 0; i < cols; ++i) {
    const int32_t c = n * (static_cast<int32_t>(input[i]) - input_zero_point) - s;
    ss += static_cast<int64_t>(c) * c;
  }
  const float var = static_cast<float>(ss) * var_scale;
  const float a = center_scale * (1.0f / sqrtf(var + eps));
  for (uint32_t k = 0; k * repeat < cols; ++k) {
    const float g = Mem::read(gamma + k);
    const float b = Mem::read(beta + k);
    for (index_t j = 0; j < repeat; ++j, ++input, ++output) {
      const int32_t c = n * (static_cast<int32_t>(*input) - input_zero_point) - s;
      *output = round_to_s8(static_cast<float>(c) * a * g + b, output_zero_point);
    }
  }
}

}  // namespace detail

// LayerNorm over the last dimension: each of `rows` rows normalised (detail::normalize_row_s8), gamma / beta
// [cols].
template <class Mem>
inline void layer_norm_s8(const int8_t* input, const float* gamma, const float* beta, int8_t* output, index_t rows,
                          index_t cols, int32_t input_zero_point, float var_scale, float center_scale, float eps,
                          int32_t output_zero_point) {
  for (index_t r = 0; r < rows; ++r, input += cols, output += cols) {
    detail::normalize_row_s8<Mem>(input, gamma, beta, output, cols, 1, input_zero_point, var_scale, center_scale, eps,
                                  output_zero_point);
  }
}

// GroupNorm / InstanceNorm: input [groups * channels_per_group][inner]; each group's block is one row of
// channels_per_group * inner values, gamma / beta [channels] (one per channel).
template <class Mem>
inline void group_norm_s8(const int8_t* input, const float* gamma, const float* beta, int8_t* output, index_t groups,
                          index_t channels_per_group, index_t inner, int32_t input_zero_point, float var_scale,
                          float center_scale, float eps, int32_t output_zero_point) {
  const uint32_t size = static_cast<uint32_t>(channels_per_group) * inner;
  for (index_t g = 0; g < groups; ++g, input += size, output += size) {
    const uint32_t first = static_cast<uint32_t>(g) * channels_per_group;
    detail::normalize_row_s8<Mem>(input, gamma + first, beta + first, output, size, inner, input_zero_point, var_scale,
                                  center_scale, eps, output_zero_point);
  }
}

// layer_norm_s8 / group_norm_s8 with their shape and quantisation as one named constant (generated code); fields as
// the positional arguments above. Always inlined: a constexpr p folds to those arguments.
struct LayerNormParams {
  index_t rows, cols;
  int32_t input_zero_point;
  float var_scale, center_scale, eps;
  int32_t output_zero_point;
};

struct GroupNormParams {
  index_t groups, channels_per_group, inner;
  int32_t input_zero_point;
  float var_scale, center_scale, eps;
  int32_t output_zero_point;
};

template <class Mem>
MINIML_ALWAYS_INLINE void layer_norm_s8(const int8_t* input, const float* gamma, const float* beta, int8_t* output,
                                        const LayerNormParams& p) {
  layer_norm_s8<Mem>(input, gamma, beta, output, p.rows, p.cols, p.input_zero_point, p.var_scale, p.center_scale, p.eps,
                     p.output_zero_point);
}

template <class Mem>
MINIML_ALWAYS_INLINE void group_norm_s8(const int8_t* input, const float* gamma, const float* beta, int8_t* output,
                                        const GroupNormParams& p) {
  group_norm_s8<Mem>(input, gamma, beta, output, p.groups, p.channels_per_group, p.inner, p.input_zero_point,
                     p.var_scale, p.center_scale, p.eps, p.output_zero_point);
}

}  // namespace miniml

#endif  // MINIML_OP_NORM_S8_H_
