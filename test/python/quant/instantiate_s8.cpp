// Instantiates every int8 kernel with both memory policies, so cross-compilers see all template code.
// With -DMINIML_MAIN it is also a tiny self-check firmware: the DSP dot product against the plain loop.
#include "miniml/core_dot.h"
#include "miniml/core_fixedpoint.h"
#include "miniml/op_conv_s8.h"
#include "miniml/op_elementwise_s8.h"
#include "miniml/op_embedding.h"
#include "miniml/op_layout.h"
#include "miniml/op_linear_s8.h"
#include "miniml/op_norm_s8.h"
#include "miniml/op_pool_s8.h"
#include "miniml/op_quantize.h"
#include "miniml/op_reduce_s8.h"
#include "miniml/op_upsample.h"

namespace {

template <class Mem>
struct Params {
  static const int8_t kWeight[2 * 3 * 3 * 3] MINIML_ROM;
  static const int32_t kBias[2] MINIML_ROM;
  static const int32_t kMultiplier[2] MINIML_ROM;
  static const int8_t kShift[2] MINIML_ROM;
  static const float kGamma[4] MINIML_ROM;
};
template <class Mem>
const int8_t Params<Mem>::kWeight[2 * 3 * 3 * 3] MINIML_ROM = {1, -2, 3, 4, -5, 6, 7, -8, 9};
template <class Mem>
const int32_t Params<Mem>::kBias[2] MINIML_ROM = {10, -10};
template <class Mem>
const int32_t Params<Mem>::kMultiplier[2] MINIML_ROM = {1073741824, 1500000000};
template <class Mem>
const int8_t Params<Mem>::kShift[2] MINIML_ROM = {-3, 1};
template <class Mem>
const float Params<Mem>::kGamma[4] MINIML_ROM = {40.0f, -20.0f, 10.0f, 5.0f};

template <class Mem>
int32_t run_all(int8_t* a, int8_t* b, float* f) {
  typedef Params<Mem> P;
  miniml::linear_s8<Mem>(a, P::kWeight, P::kBias, P::kMultiplier, P::kShift, 3, -128, 127, 27, 2, b);
  miniml::linear_acc24_s8<Mem>(a, P::kWeight, P::kBias, P::kMultiplier, P::kShift, 3, -128, 127, 27, 1, b);
  miniml::conv2d_s8<Mem>(a, P::kWeight, P::kBias, P::kMultiplier, P::kShift, -5, 3, -128, 127, 3, 5, 5, 2, 3, 3, 1, 1,
                         1, 1, 1, 1, 1, b);
  miniml::conv1d_s8<Mem>(a, P::kWeight, P::kBias, P::kMultiplier, P::kShift, -5, 3, -128, 127, 3, 9, 2, 3, 2, 1, 1, 1,
                         b);
  // Output size given: torch's padding='same' with an even kernel (one more padding at the end).
  miniml::conv2d_s8<Mem>(a, P::kWeight, P::kBias, P::kMultiplier, P::kShift, -5, 3, -128, 127, 3, 4, 4, 2, 2, 2, 1, 1,
                         0, 0, 1, 1, 1, 4, 4, b);
  miniml::conv1d_s8<Mem>(a, P::kWeight, P::kBias, P::kMultiplier, P::kShift, -5, 3, -128, 127, 3, 9, 2, 4, 1, 1, 1, 1,
                         9, b);
  miniml::max_pool2d_s8(a, 2, 4, 4, 2, 2, 2, 2, 0, 0, -128, 127, b);
  miniml::avg_pool2d_s8(a, 2, 4, 4, 3, 3, 1, 1, 1, 1, -128, 127, b);
  miniml::max_pool1d_s8(a, 2, 8, 2, 2, 0, -128, 127, b);
  miniml::avg_pool1d_s8(a, 2, 8, 2, 2, 0, -128, 127, b);
  miniml::add_s8(a, a + 8, 8, 1, 1073741824, -1, 2, 1073741824, -1, 1500000000, -19, 0, -128, 127, b);
  miniml::mul_s8(a, a + 8, 8, 1, 2, 1500000000, -7, 0, -128, 127, b);
  // The named-struct forms generated code calls.
  constexpr miniml::AddParams kAdd = {2, 4, 1, 1073741824, -1, 2, 1073741824, -1, 1500000000, -19, 0, -128, 127};
  miniml::add_s8(a, a + 8, kAdd, b);
  miniml::add_channel_s8(a, a + 8, kAdd, b);
  constexpr miniml::MulParams kMul = {2, 4, 1, 2, 1500000000, -7, 0, -128, 127};
  miniml::mul_s8(a, a + 8, kMul, b);
  miniml::mul_channel_s8(a, a + 8, kMul, b);
  miniml::div_s8(a, a + 8, 8, 1, 2, 1677721600, 6, 10, -128, 127, b);
  constexpr miniml::DivParams kDiv = {8, 1, 2, 1677721600, 6, 10, -128, 127};
  miniml::div_s8(a, a + 8, kDiv, b);
  constexpr miniml::ConcatPartParams kConcatPart = {2, 3, 8, 4, -3, 1500000000, -1, 5};
  miniml::concat_part_s8(a, b, kConcatPart);
  miniml::clamp_s8(a, 8, 0, 127, b);
  miniml::reduce_s8(a, b, miniml::ReduceParams{{1, 1, 2, 3}, {0, 0, 1, 2}, {1, 1, 1, 4}, {0, 0, 0, 6}},
                    miniml::ReduceSumS8(-12, 1500000000, -9, 3));
  miniml::reduce_s8(a, b, miniml::ReduceParams{{1, 1, 1, 6}, {0, 0, 0, 1}, {1, 1, 1, 4}, {0, 0, 0, 6}},
                    miniml::ReduceMaxS8());
  miniml::upsample_bilinear_s8(a, b, miniml::UpsampleParams{2, 3, 4, 6, 8, 0.5f, 0.5f}, false);
  miniml::upsample_bilinear_s8(a, b, miniml::UpsampleParams{2, 3, 4, 5, 9, 0.5f, 0.375f}, true);
  static const int32_t indices[3] = {0, 2, 9};
  miniml::embedding_s8<Mem>(indices, P::kWeight, b, 3, 6, 4, -3);
  miniml::one_hot_s8(indices, b, 3, 5, 127, -128);
  miniml::permute_s8(a, b, miniml::PermuteParams{{1, 2, 3, 4}, {0, 1, 8, 2}});
  miniml::pad_s8(a, b, miniml::PadParams{{1, 1, 2, 3}, {1, 1, 3, 5}, {0, 0, 1, 1}}, -3);
  miniml::prelu_s8<Mem>(a, P::kWeight, b, 2, 4, -3, 1500000000, 1, 1073741824, -8, 5);
  constexpr miniml::PreluParams kPrelu = {2, 4, -3, 1500000000, 1, 1073741824, -8, 5};
  miniml::prelu_s8<Mem>(a, P::kWeight, b, kPrelu);
  miniml::layer_norm_s8<Mem>(a, P::kGamma, P::kGamma, b, 2, 4, -3, 1e-4f, 0.01f, 1e-5f, 5);
  miniml::group_norm_s8<Mem>(a, P::kGamma, P::kGamma, b, 2, 2, 3, -3, 1e-4f, 0.01f, 1e-5f, 5);
  constexpr miniml::LayerNormParams kLayerNorm = {2, 4, -3, 1e-4f, 0.01f, 1e-5f, 5};
  miniml::layer_norm_s8<Mem>(a, P::kGamma, P::kGamma, b, kLayerNorm);
  constexpr miniml::GroupNormParams kGroupNorm = {2, 2, 3, -3, 1e-4f, 0.01f, 1e-5f, 5};
  miniml::group_norm_s8<Mem>(a, P::kGamma, P::kGamma, b, kGroupNorm);
  miniml::quantize_s8(f, 4, 0.05f, 3, b);
  miniml::dequantize_s8(a, 4, 0.05f, 3, f);
  return miniml::multiply_by_quantized_multiplier(b[0], 1073741824, -2);
}

}  // namespace

int8_t g_a[128];
int8_t g_b[128];
float g_f[4];

int32_t miniml_instantiate_s8() { return run_all<miniml::Rom>(g_a, g_b, g_f) + run_all<miniml::Ram>(g_a, g_b, g_f); }

#if defined(MINIML_MAIN)
// Exit status 0 when the target's dot_s8 (SMLAD path on a Cortex-M4) equals the plain loop on every length
// 0..40 and every alignment 0..3, with pseudo-random int8 data including -128.
int main() {
  static int8_t x[48], y[48];
  uint32_t s = 12345u;
  for (int i = 0; i < 48; ++i) {
    s = s * 1103515245u + 12345u;
    x[i] = static_cast<int8_t>(s >> 16);
    s = s * 1103515245u + 12345u;
    y[i] = static_cast<int8_t>(s >> 16);
  }
  x[5] = -128;
  y[5] = -128;
  for (miniml::index_t off = 0; off < 4; ++off) {
    for (miniml::index_t n = 0; n <= 40; ++n) {
      const int32_t fast = miniml::detail::dot_s8<miniml::Ram>(x + off, y + (3 - off), n, 7);
      const int32_t plain = miniml::detail::dot_s8_plain<miniml::Ram>(x + off, y + (3 - off), n, 7);
      if (fast != plain) return 1;
    }
  }
  return miniml_instantiate_s8() == 12345 ? 3 : 0;
}
#endif
