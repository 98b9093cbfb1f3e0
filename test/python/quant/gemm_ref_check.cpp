// conv2d_s8_gemm (the exporter's call for one-group conv2d layers; on the DSP extension its own matrix
// product) against conv2d_s8_ref on seeded random cases, per specialisation (input channels, kernel, output
// channels): 1x1 layers (columns straight from the activations) and windows through im2col, odd and even
// pixel counts (one pixel, many blocks), odd output channels and window sizes, strides, padding and
// dilation, windows too large for the buffer (the generic path), zero points, fused-activation bounds,
// shifts outside the fast requantisation's range. Prints "gemm_ref: N cases, M mismatches"; exit status 1
// on a mismatch.
#include <stdint.h>
#include <stdio.h>

#include "miniml/board_io.h"
#include "miniml/op_conv_s8_gemm.h"
#include "miniml/op_conv_s8_ref.h"

namespace {

uint32_t g_state = 2024u;
uint32_t next() {
  g_state = g_state * 1664525u + 1013904223u;
  return g_state >> 8;
}
int32_t pick(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(next() % static_cast<uint32_t>(hi - lo + 1)); }

const miniml::index_t kMaxIn = 8192, kMaxOut = 8192, kMaxChannels = 64, kMaxWeights = 4096;
int8_t g_in[kMaxIn], g_w[kMaxWeights], g_shift[kMaxChannels], g_out[kMaxOut], g_ref[kMaxOut];
int32_t g_bias[kMaxChannels], g_mult[kMaxChannels];
int g_cases = 0, g_mismatches = 0;

// cases random layers of kIn -> kOut channels, kKh x kKw kernels, through conv2d_s8_gemm and conv2d_s8_ref.
template <miniml::index_t kIn, miniml::index_t kKh, miniml::index_t kKw, miniml::index_t kOut>
void check(int cases) {
  const miniml::index_t kTaps = kIn * kKh * kKw;
  for (int n = 0; n < cases; ++n) {
    // 1x1: mostly the stride-1 unpadded shape, every fourth case strided or padded; larger kernels any.
    const bool pointwise = kKh == 1 && kKw == 1 && n % 4 != 3;
    const miniml::index_t stride_h = pointwise ? 1 : static_cast<miniml::index_t>(pick(1, 3));
    const miniml::index_t stride_w = pointwise ? 1 : static_cast<miniml::index_t>(pick(1, 2));
    const miniml::index_t dil_h = pointwise || n % 3 != 2 ? 1 : 2, dil_w = pointwise || n % 5 != 4 ? 1 : 2;
    const miniml::index_t pad_h = pointwise ? 0 : static_cast<miniml::index_t>(pick(0, kKh / 2 + (kKh > 1)));
    const miniml::index_t pad_w = pointwise ? 0 : static_cast<miniml::index_t>(pick(0, kKw / 2 + (kKw > 1)));
    const miniml::index_t max_pixels = kMaxIn / kIn < kMaxOut / kOut ? kMaxIn / kIn : kMaxOut / kOut;
    const miniml::index_t span_h = dil_h * (kKh - 1) + 1, span_w = dil_w * (kKw - 1) + 1;
    const int32_t most = static_cast<int32_t>(max_pixels < 300 ? max_pixels : 300);
    miniml::index_t in_h = static_cast<miniml::index_t>(n % 5 == 0 ? 1 : pick(1, 17));
    miniml::index_t in_w = static_cast<miniml::index_t>(n % 5 == 0 ? 1 : pick(1, 19));
    while (in_h * in_w > static_cast<miniml::index_t>(most / 4 + 1)) {  // room for the padded output
      if (in_h > 1) {
        in_h /= 2;
      } else {
        in_w /= 2;
      }
    }
    if (n % 7 == 1 && pointwise) in_h = static_cast<miniml::index_t>(most / in_w);  // many blocks
    if (in_h < span_h) in_h = span_h;
    if (in_w < span_w) in_w = span_w;
    // Every third case pads one more at the end, as torch's padding='same' does for an even kernel.
    const miniml::index_t more = !pointwise && n % 3 == 2 ? 1 : 0;
    const miniml::index_t out_h = (in_h + 2 * pad_h - span_h) / stride_h + 1 + more;
    const miniml::index_t out_w = (in_w + 2 * pad_w - span_w) / stride_w + 1;
    for (miniml::index_t i = 0; i < kIn * in_h * in_w; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
    for (miniml::index_t i = 0; i < kOut * kTaps; ++i) g_w[i] = static_cast<int8_t>(pick(-127, 127));
    for (miniml::index_t o = 0; o < kOut; ++o) {
      g_bias[o] = pick(-40000, 40000);
      g_mult[o] = static_cast<int32_t>(0x40000000u + (next() & 0x3FFFFFFFu));
      // Mostly the fast requantisation's shifts (-23..-2); now and then one outside it (a slow channel).
      g_shift[o] = static_cast<int8_t>(pick(0, 9) == 0 ? pick(-26, 1) : pick(-14, -2));
    }
    const int32_t in_zp = pick(-128, 127), out_zp = pick(-128, 127);
    const bool clamp = n % 2 == 1;
    const int32_t act_min = clamp ? pick(-128, 0) : -128, act_max = clamp ? pick(0, 127) : 127;
    const miniml::Conv2dParams p = {kIn,      in_h,     in_w,  kOut,  out_h, out_w, kKh, kKw,
                                    stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, 1};
    miniml::conv2d_s8_gemm<miniml::Ram, kIn, kKh, kKw>(g_in, g_w, g_bias, g_mult, g_shift, p, in_zp, out_zp, act_min,
                                                       act_max, g_out);
    miniml::conv2d_s8_ref<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, in_zp, out_zp, act_min, act_max, kIn, in_h,
                                       in_w, kOut, kKh, kKw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, 1, out_h,
                                       out_w, g_ref);
    ++g_cases;
    for (miniml::index_t i = 0; i < kOut * out_h * out_w; ++i) {
      if (g_out[i] != g_ref[i]) {
        ++g_mismatches;
        printf("case %d: %u->%u k %ux%u in %ux%u s %u,%u p %u,%u d %u,%u at %u: %d vs %d\n", n,
               static_cast<unsigned>(kIn), static_cast<unsigned>(kOut), static_cast<unsigned>(kKh),
               static_cast<unsigned>(kKw), static_cast<unsigned>(in_h), static_cast<unsigned>(in_w),
               static_cast<unsigned>(stride_h), static_cast<unsigned>(stride_w), static_cast<unsigned>(pad_h),
               static_cast<unsigned>(pad_w), static_cast<unsigned>(dil_h), static_cast<unsigned>(dil_w),
               static_cast<unsigned>(i), g_out[i], g_ref[i]);
        break;
      }
    }
  }
}

}  // namespace

int main() {
  miniml::io::begin();
  check<4, 1, 1, 1>(CASES);
  check<4, 1, 1, 3>(CASES);
  check<8, 1, 1, 16>(CASES);  // the VWW MobileNet's first pointwise layer
  check<12, 1, 1, 7>(CASES);
  check<16, 1, 1, 2>(CASES);
  check<24, 1, 1, 5>(CASES / 2);   // 8, 16 and 24 channels: one shared copy, counts at run time
  check<64, 1, 1, 64>(CASES / 2);  // the KWS DS-CNN's
  check<256, 1, 1, 5>(CASES / 4);  // one pixel pair per block
  check<3, 1, 1, 5>(CASES / 2);    // input channels not a multiple of 4: im2col columns
  check<3, 3, 3, 8>(CASES);        // the VWW MobileNet's first layer (27 taps)
  check<1, 10, 4, 6>(CASES / 2);   // the KWS DS-CNN's first layer's kernel
  check<2, 2, 3, 3>(CASES);
  check<1, 3, 1, 1>(CASES);
  check<516, 1, 1, 4>(CASES / 4);  // too large for the buffer: conv2d_s8
  check<30, 3, 3, 2>(CASES / 4);   // likewise (270 taps)
  miniml::io::print("gemm_ref: ");
  miniml::io::print_uint(static_cast<uint32_t>(g_cases));
  miniml::io::print(" cases, ");
  miniml::io::print_uint(static_cast<uint32_t>(g_mismatches));
  miniml::io::print(" mismatches\n");
  return miniml::io::finish(g_mismatches == 0 ? 0 : 1);
}
