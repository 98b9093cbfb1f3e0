// layer_norm_f32: LayerNorm over the last dimension (torch.nn.LayerNorm with normalized_shape = [cols]).
#ifndef MINIML_OP_NORM_H_
#define MINIML_OP_NORM_H_

#include <math.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// Each of `rows` rows of `cols` floats: y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c], mean and the
// biased variance over the row (as torch). gamma / beta through Mem, or nullptr (elementwise_affine=False,
// bias=False). input may alias output: the statistics are taken before a row is written.
template <class Mem>
inline void layer_norm_f32(const float* input, const float* gamma, const float* beta, float* output, index_t rows,
                           index_t cols, float eps) {
  const float n = static_cast<float>(cols);
  for (index_t r = 0; r < rows; ++r, input += cols, output += cols) {
    float sum = 0.0f;
    for (index_t c = 0; c < cols; ++c) sum += input[c];
    const float mean = sum / n;
    float sq = 0.0f;
    for (index_t c = 0; c < cols; ++c) {
      const float d = input[c] - mean;
      sq += d * d;
    }
    const float rstd = 1.0f / sqrtf(sq / n + eps);
    for (index_t c = 0; c < cols; ++c) {
      float v = (input[c] - mean) * rstd;
      if (gamma) v *= Mem::read(gamma + c);
      if (beta) v += Mem::read(beta + c);
      output[c] = v;
    }
  }
}

}  // namespace miniml

#endif  // MINIML_OP_NORM_H_
