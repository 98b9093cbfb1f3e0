// GroupNorm / InstanceNorm, float32: each group of channels normalised by its own mean and (biased)
// variance, then the optional per-channel affine. Activations [channels][inner] in RAM.
#ifndef MINIML_OP_GROUP_NORM_H_
#define MINIML_OP_GROUP_NORM_H_

#include "core_math.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// input/output: [groups * channels_per_group][inner] (may alias: statistics are read first).
// weight, bias: [channels] through Mem, or nullptr (affine=False). Two passes (mean, then the squared
// deviations) keep the variance accurate; y = x * scale + shift with scale = rstd * weight, as torch.
template <class Mem>
inline void group_norm_f32(const float* input, const float* weight, const float* bias, float* output, index_t groups,
                           index_t channels_per_group, index_t inner, float eps) {
  const uint32_t size = static_cast<uint32_t>(channels_per_group) * inner;
  const float count = static_cast<float>(size);
  for (index_t g = 0; g < groups; ++g) {
    float sum = 0.0f;
    for (uint32_t i = 0; i < size; ++i) sum += input[i];
    const float mean = sum / count;
    float sq = 0.0f;
    for (uint32_t i = 0; i < size; ++i) {
      const float d = input[i] - mean;
      sq += d * d;
    }
    const float rstd = 1.0f / sqrt_f32(sq / count + eps);
    for (index_t c = 0; c < channels_per_group; ++c) {
      const index_t ch = static_cast<index_t>(g * channels_per_group + c);
      const float scale = weight ? rstd * Mem::read(weight + ch) : rstd;
      const float shift = (bias ? Mem::read(bias + ch) : 0.0f) - mean * scale;
      for (index_t i = 0; i < inner; ++i) output[i] = input[i] * scale + shift;
      input += inner;
      output += inner;
    }
  }
}

}  // namespace miniml

#endif  // MINIML_OP_GROUP_NORM_H_
