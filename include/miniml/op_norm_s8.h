// layer_norm_s8: int8 LayerNorm over the last dimension. TFLM has no such kernel; the integer reference is
// layer_norm_s8 in platformio_plugin/miniml/ops/layer_norm.py, which this must equal to the bit.
#ifndef MINIML_OP_NORM_S8_H_
#define MINIML_OP_NORM_S8_H_

#include <math.h>
#include <stdint.h>

#include "core_rom.h"
#include "core_types.h"
#include "op_quantize.h"

namespace miniml {

// Per row: the statistics in integers (exact), d = x - input_zero_point, s = sum d, c = cols * d - s,
// ss = sum c^2 (64-bit); then float32, one rounding per step: var = float(ss) * var_scale (var_scale =
// in_scale^2 / cols^3: the row's variance), a = center_scale / sqrt(var + eps) (center_scale = in_scale / cols),
// y = round_to_s8(float(c) * a * gamma[i] + beta[i], output_zero_point) (op_quantize.h). gamma / beta (float, through
// Mem) carry the affine weights divided by the output scale. input may alias output.
template <class Mem>
inline void layer_norm_s8(const int8_t* input, const float* gamma, const float* beta, int8_t* output, index_t rows,
                          index_t cols, int32_t input_zero_point, float var_scale, float center_scale, float eps,
                          int32_t output_zero_point) {
  for (index_t r = 0; r < rows; ++r, input += cols, output += cols) {
    int32_t s = 0;
    for (index_t i = 0; i < cols; ++i) s += static_cast<int32_t>(input[i]) - input_zero_point;
    const int32_t n = static_cast<int32_t>(cols);
    int64_t ss = 0;
    for (index_t i = 0; i < cols; ++i) {
      const int32_t c = n * (static_cast<int32_t>(input[i]) - input_zero_point) - s;
      ss += static_cast<int64_t>(c) * c;
    }
    const float var = static_cast<float>(ss) * var_scale;
    const float a = center_scale * (1.0f / sqrtf(var + eps));
    for (index_t i = 0; i < cols; ++i) {
      const int32_t c = n * (static_cast<int32_t>(input[i]) - input_zero_point) - s;
      output[i] =
          round_to_s8(static_cast<float>(c) * a * Mem::read(gamma + i) + Mem::read(beta + i), output_zero_point);
    }
  }
}

}  // namespace miniml

#endif  // MINIML_OP_NORM_S8_H_
