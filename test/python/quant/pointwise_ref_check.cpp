// conv2d_s8_pointwise (the exporter's call for 1x1 layers; on the DSP extension its own kernel) against
// conv2d_s8_ref on seeded random cases, per channel-count specialisation: odd and even pixel counts (one
// pixel, many blocks), odd output channels, input channels not a multiple of 4 or too many for the buffer
// (the generic path), strides and padding (the generic path), zero points, fused-activation bounds, shifts
// outside the fast requantisation's range. Prints "pointwise_ref: N cases, M mismatches"; exit status 1 on
// a mismatch.
#include <stdint.h>
#include <stdio.h>

#include "miniml/board_io.h"
#include "miniml/op_conv_s8_pw_dsp.h"
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

// cases random layers of kIn -> kOut channels through conv2d_s8_pointwise and conv2d_s8_ref.
template <miniml::index_t kIn, miniml::index_t kOut>
void check(int cases) {
  for (int n = 0; n < cases; ++n) {
    // Mostly the fast path's shape (1x1, stride 1, unpadded); every fourth case strided or padded.
    const bool generic = n % 4 == 3;
    const miniml::index_t stride = generic ? static_cast<miniml::index_t>(pick(1, 2)) : 1;
    const miniml::index_t pad = generic ? static_cast<miniml::index_t>(pick(0, 1)) : 0;
    const miniml::index_t max_pixels = kMaxIn / kIn < kMaxOut / kOut ? kMaxIn / kIn : kMaxOut / kOut;
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
    if (n % 7 == 1 && !generic) in_h = static_cast<miniml::index_t>(most / in_w);  // many blocks
    const miniml::index_t out_h = (in_h + 2 * pad - 1) / stride + 1, out_w = (in_w + 2 * pad - 1) / stride + 1;
    for (miniml::index_t i = 0; i < kIn * in_h * in_w; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
    for (miniml::index_t i = 0; i < kOut * kIn; ++i) g_w[i] = static_cast<int8_t>(pick(-127, 127));
    for (miniml::index_t o = 0; o < kOut; ++o) {
      g_bias[o] = pick(-40000, 40000);
      g_mult[o] = static_cast<int32_t>(0x40000000u + (next() & 0x3FFFFFFFu));
      // Mostly the fast requantisation's shifts (-23..-2); now and then one outside it (a slow channel).
      g_shift[o] = static_cast<int8_t>(pick(0, 9) == 0 ? pick(-26, 1) : pick(-14, -2));
    }
    const int32_t in_zp = pick(-128, 127), out_zp = pick(-128, 127);
    const bool clamp = n % 2 == 1;
    const int32_t act_min = clamp ? pick(-128, 0) : -128, act_max = clamp ? pick(0, 127) : 127;
    const miniml::Conv2dParams p = {kIn, in_h, in_w, kOut, out_h, out_w, 1, 1, stride, stride, pad, pad, 1, 1, 1};
    miniml::conv2d_s8_pointwise<miniml::Ram, kIn, kOut>(g_in, g_w, g_bias, g_mult, g_shift, p, in_zp, out_zp,
                                                         act_min, act_max, g_out);
    miniml::conv2d_s8_ref<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, in_zp, out_zp, act_min, act_max, kIn, in_h,
                                       in_w, kOut, 1, 1, stride, stride, pad, pad, 1, 1, 1, out_h, out_w, g_ref);
    ++g_cases;
    for (miniml::index_t i = 0; i < kOut * out_h * out_w; ++i) {
      if (g_out[i] != g_ref[i]) {
        ++g_mismatches;
        printf("case %d: %u->%u in %ux%u s %u p %u at %u: %d vs %d\n", n, static_cast<unsigned>(kIn),
               static_cast<unsigned>(kOut), static_cast<unsigned>(in_h), static_cast<unsigned>(in_w),
               static_cast<unsigned>(stride), static_cast<unsigned>(pad), static_cast<unsigned>(i), g_out[i], g_ref[i]);
        break;
      }
    }
  }
}

}  // namespace

int main() {
  miniml::io::begin();
  check<4, 1>(CASES);
  check<4, 3>(CASES);
  check<8, 16>(CASES);  // the VWW MobileNet's first pointwise layer
  check<12, 7>(CASES);
  check<16, 2>(CASES);
  check<64, 64>(CASES / 2);  // the KWS DS-CNN's
  check<256, 5>(CASES / 4);  // one pixel pair per block
  check<3, 5>(CASES / 2);    // input channels not a multiple of 4: the generic path
  check<516, 4>(CASES / 4);  // too many for the buffer: the generic path
  miniml::io::print("pointwise_ref: ");
  miniml::io::print_uint(static_cast<uint32_t>(g_cases));
  miniml::io::print(" cases, ");
  miniml::io::print_uint(static_cast<uint32_t>(g_mismatches));
  miniml::io::print(" mismatches\n");
  return miniml::io::finish(g_mismatches == 0 ? 0 : 1);
}
