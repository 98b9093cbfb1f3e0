// conv2d_s8 (every fast path the target has) against conv2d_s8_ref on seeded random convolutions:
// groups 1 (im2col), depthwise (banded), grouped and dilated (window path), odd sizes, every padding,
// strides 1-3, shifts from -12 to +1; then a grid of depthwise 3x3 edge cases; then linear_s8 against
// linear_s8_ref (every length mod 4), conv2d_s8_max_pool against conv2d_s8_ref and plain max pooling, and
// unpadded max_pool2d_s8 against plain loops.
// Prints "conv_ref: N cases, M mismatches, F fused" (F: conv2d_s8_max_pool cases the AVR fused path took)
// and "depthwise_ref: ..."; exit status 1 on a mismatch. On AVR (an ATmega1284P in simavr: the Uno's core
// with room for the buffers) the mismatch lines are left out: no printf there.
#include <stdint.h>
#include <stdio.h>

#include "miniml/board_io.h"
#include "miniml/op_conv_s8.h"
#include "miniml/op_conv_s8_ref.h"
#include "miniml/op_linear_s8.h"
#include "miniml/op_linear_s8_ref.h"
#include "miniml/op_pool_s8.h"

namespace {

uint32_t g_state = 12345u;
uint32_t next() {
  g_state = g_state * 1664525u + 1013904223u;
  return g_state >> 8;
}
int32_t pick(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(next() % static_cast<uint32_t>(hi - lo + 1)); }

// Sized for the largest case below (conv: 2000 / 3120 / 4000 bytes, the first a wide depthwise map;
// linear: 4000 weights).
int8_t g_in[2048], g_w[4096], g_shift[64], g_out[4096], g_ref[4096];
int32_t g_bias[64], g_mult[64];

}  // namespace

int main() {
  miniml::io::begin();
  int mismatches = 0, cases = 0;
  for (int n = 0; n < CASES; ++n) {
    const int kind = n % 4;  // 0: groups 1, 1: depthwise, 2: 1x1, 3: grouped / dilated
    // Every other depthwise case is 3x3 (the DSP extension's own depthwise path).
    const bool dw3x3 = kind == 1 && n % 8 == 1;
    // Every other of those on a large map: one channel of wide rows split into several runs and bands, or
    // tall narrow maps whose stride-1 runs span many rows (the KWS DS-CNN's 5-wide maps).
    const bool wide = dw3x3 && n % 32 == 1, tall = dw3x3 && n % 32 == 17;
    const miniml::index_t kh = kind == 2 ? 1 : dw3x3 ? 3 : pick(1, 4), kw = kind == 2 ? 1 : dw3x3 ? 3 : pick(1, 5);
    const miniml::index_t dh = kind == 3 ? pick(1, 2) : 1, dw = kind == 3 ? pick(1, 2) : 1;
    const miniml::index_t sh = pick(1, 3), sw = pick(1, 3);
    const miniml::index_t ph = pick(0, static_cast<int32_t>(kh) - 1 < 2 ? static_cast<int32_t>(kh) - 1 : 2);
    const miniml::index_t pw = pick(0, static_cast<int32_t>(kw) - 1 < 2 ? static_cast<int32_t>(kw) - 1 : 2);
    miniml::index_t groups = 1, in_c = pick(1, 12), out_c = pick(1, 13);
    if (kind == 1) {
      in_c = out_c = groups = wide ? 1 : tall ? pick(1, 2) : pick(1, 9);
    } else if (kind == 3) {
      groups = pick(1, 3);
      in_c = groups * pick(1, 4);
      out_c = groups * pick(1, 4);
    }
    // Every 16th 1x1 case has more than MINIML_IM2COL_MAX / 2 input channels on a small map: the im2col
    // path's blocks of one pixel pair (fewer taps: blocks of many pairs, the last one often partial).
    const bool deep = kind == 2 && n % 16 == 2;
    if (deep) {
      in_c = pick(289, 400);
      out_c = pick(1, 10);
    }
    const miniml::index_t in_h = deep   ? pick(1, 2)
                                 : tall ? pick(20, 60)
                                 : wide ? pick(3, 10)
                                        : pick(static_cast<int32_t>(dh * (kh - 1) + 1), 11);
    const miniml::index_t in_w = deep   ? pick(1, 2)
                                 : tall ? pick(3, 9)
                                 : wide ? pick(130, 200)
                                        : pick(static_cast<int32_t>(dw * (kw - 1) + 1), 13);
    const miniml::index_t sym_h = (in_h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
    const miniml::index_t sym_w = (in_w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    // Every third case pads one more at the end, as torch's padding='same' does for an even kernel.
    const bool more = n % 3 == 2;
    const miniml::index_t out_h = sym_h + (more ? pick(0, 1) : 0), out_w = sym_w + (more ? pick(0, 1) : 0);
    const miniml::index_t taps = in_c / groups * kh * kw;
    for (miniml::index_t i = 0; i < in_c * in_h * in_w; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
    for (miniml::index_t i = 0; i < out_c * taps; ++i) g_w[i] = static_cast<int8_t>(pick(-127, 127));
    for (miniml::index_t o = 0; o < out_c; ++o) {
      g_bias[o] = pick(-40000, 40000);
      g_mult[o] = static_cast<int32_t>(0x40000000u + (next() & 0x3FFFFFFFu));
      g_shift[o] = static_cast<int8_t>(pick(-12, 1));
    }
    const int32_t in_zp = pick(-128, 127), out_zp = pick(-128, 127);
    // Fused-activation bounds on every other case of each kind (the DSP depthwise path clamps two lanes).
    const bool clamp = kind == 0 || (n / 8) % 2 == 1;
    const int32_t act_min = clamp ? pick(-128, 0) : -128, act_max = clamp ? pick(0, 127) : 127;
    if (n % 3 == 0) {  // the symmetric-padding overload
      miniml::conv2d_s8<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, in_zp, out_zp, act_min, act_max, in_c, in_h,
                                     in_w, out_c, kh, kw, sh, sw, ph, pw, dh, dw, groups, g_out);
    } else {  // the Conv2dParams overload of generated code
      const miniml::Conv2dParams p = {in_c, in_h, in_w, out_c, out_h, out_w, kh, kw, sh, sw, ph, pw, dh, dw, groups};
      miniml::conv2d_s8<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, p, in_zp, out_zp, act_min, act_max, g_out);
    }
    miniml::conv2d_s8_ref<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, in_zp, out_zp, act_min, act_max, in_c, in_h,
                                       in_w, out_c, kh, kw, sh, sw, ph, pw, dh, dw, groups, out_h, out_w, g_ref);
    ++cases;
    for (miniml::index_t i = 0; i < out_c * out_h * out_w; ++i) {
      if (g_out[i] != g_ref[i]) {
        ++mismatches;
#if !defined(__AVR__)
        printf("case %d kind %d: c %u->%u g %u in %ux%u k %ux%u s %u,%u p %u,%u d %u,%u at %u: %d vs %d\n", n, kind,
               static_cast<unsigned>(in_c), static_cast<unsigned>(out_c), static_cast<unsigned>(groups),
               static_cast<unsigned>(in_h), static_cast<unsigned>(in_w), static_cast<unsigned>(kh),
               static_cast<unsigned>(kw), static_cast<unsigned>(sh), static_cast<unsigned>(sw),
               static_cast<unsigned>(ph), static_cast<unsigned>(pw), static_cast<unsigned>(dh),
               static_cast<unsigned>(dw), static_cast<unsigned>(i), g_out[i], g_ref[i]);
#endif
        break;
      }
    }
  }
  // Depthwise 3x3 (the DSP extension's doubled-accumulator path and its fallbacks) over a grid of edge
  // shapes: maps 1-7 (and the MLPerf models' 25x5, 6x6, 3x3) tall and wide, strides 1-2 (and a 3), every
  // start padding, one more at the end, odd channel counts; requantisation at and past the fast path's
  // limits (shift -22 / -23, -1 / 0 / +1, multiplier 0 or negative, a bias at |2 acc| < 2^31's edge).
  int dw_cases = 0, dw_mismatches = 0;
  const int16_t kMaps[][2] = {{1, 1}, {1, 3}, {2, 2}, {3, 1}, {3, 3}, {4, 5}, {5, 2}, {6, 6}, {7, 4}, {25, 5}, {9, 25}};
  const int8_t kShifts[] = {-22, -23, -1, 0, 1, -2, -9, -15};
  for (const auto& map : kMaps) {
    for (int variant = 0; variant < 48; ++variant) {
      const miniml::index_t in_h = static_cast<miniml::index_t>(map[0]), in_w = static_cast<miniml::index_t>(map[1]);
      const miniml::index_t sh = variant % 5 == 4 ? 3 : 1 + variant % 2, sw = 1 + (variant / 2) % 2;
      const miniml::index_t ph = (variant / 4) % 2, pw = (variant / 8) % 2;
      if (in_h + 2 * ph < 3 || in_w + 2 * pw < 3) continue;
      const miniml::index_t c = static_cast<miniml::index_t>(1 + 2 * (variant % 3));  // 1, 3, 5
      const miniml::index_t out_h = (in_h + 2 * ph - 3) / sh + 1 + (variant % 7 == 3 && ph ? 1 : 0);
      const miniml::index_t out_w = (in_w + 2 * pw - 3) / sw + 1 + (variant % 7 == 5 && pw ? 1 : 0);
      for (miniml::index_t i = 0; i < c * in_h * in_w; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
      for (miniml::index_t i = 0; i < c * 9; ++i)
        g_w[i] = static_cast<int8_t>(variant % 11 == 0 ? -128 : pick(-127, 127));
      for (miniml::index_t o = 0; o < c; ++o) {
        const int8_t shift = kShifts[(variant + o) % 8];
        const int32_t edge = (INT32_C(1) << 30) - (INT32_C(1) << 18);
        g_shift[o] = shift;
        g_mult[o] = static_cast<int32_t>(0x40000000u + (next() & 0x3FFFFFFFu));
        if (variant % 13 == 7) g_mult[o] = o % 2 ? 0 : -g_mult[o];
        // Huge biases only where the reference's left shift cannot overflow.
        g_bias[o] = shift <= 0 && variant % 6 == 1 ? (o % 2 ? -edge : edge) + pick(-1, 1) : pick(-40000, 40000);
      }
      const int32_t in_zp = pick(-128, 127), out_zp = pick(-128, 127);
      const bool clamp = variant % 4 == 3;
      const int32_t act_min = clamp ? pick(-128, 0) : -128, act_max = clamp ? pick(0, 127) : 127;
      const miniml::Conv2dParams p = {c, in_h, in_w, c, out_h, out_w, 3, 3, sh, sw, ph, pw, 1, 1, c};
      miniml::conv2d_s8<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, p, in_zp, out_zp, act_min, act_max, g_out);
      miniml::conv2d_s8_ref<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, in_zp, out_zp, act_min, act_max, c, in_h,
                                         in_w, c, 3, 3, sh, sw, ph, pw, 1, 1, c, out_h, out_w, g_ref);
      ++dw_cases;
      for (miniml::index_t i = 0; i < c * out_h * out_w; ++i) {
        if (g_out[i] != g_ref[i]) {
          ++dw_mismatches;
#if !defined(__AVR__)
          printf("depthwise %ux%u variant %d at %u: %d vs %d\n", static_cast<unsigned>(in_h),
                 static_cast<unsigned>(in_w), variant, static_cast<unsigned>(i), g_out[i], g_ref[i]);
#endif
          break;
        }
      }
    }
  }
  mismatches += dw_mismatches;
  for (int n = 0; n < CASES / 4; ++n) {
    const miniml::index_t in_f = pick(1, 200), out_f = pick(1, 20);
    for (miniml::index_t i = 0; i < in_f; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
    for (miniml::index_t i = 0; i < in_f * out_f; ++i) g_w[i] = static_cast<int8_t>(pick(-127, 127));
    for (miniml::index_t o = 0; o < out_f; ++o) {
      g_bias[o] = pick(-40000, 40000);
      g_mult[o] = static_cast<int32_t>(0x40000000u + (next() & 0x3FFFFFFFu));
      g_shift[o] = static_cast<int8_t>(pick(-12, 1));
    }
    const int32_t out_zp = pick(-128, 127);
    miniml::linear_s8<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, out_zp, -128, 127, in_f, out_f, g_out);
    miniml::linear_s8_ref<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, out_zp, -128, 127, in_f, out_f, g_ref);
    ++cases;
    for (miniml::index_t o = 0; o < out_f; ++o) {
      if (g_out[o] != g_ref[o]) {
        ++mismatches;
#if !defined(__AVR__)
        printf("linear case %d: %u -> %u at %u: %d vs %d\n", n, static_cast<unsigned>(in_f),
               static_cast<unsigned>(out_f), static_cast<unsigned>(o), g_out[o], g_ref[o]);
#endif
        break;
      }
    }
  }
  // conv2d_s8_max_pool (AVR: conv2d_s8_max_pool_avr when the shapes fit) against conv2d_s8_ref then max pooling in
  // plain loops; its output over its input, as the arena plan may place it.
  int fused = 0;
  for (int n = 0; n < CASES / 4; ++n) {
    // Every other case one group, stride 1 and at least twice the input channels out: the padded input fits in
    // the convolution's output buffer, as the fused AVR path needs.
    const bool fit = n % 2 == 0;
    const miniml::index_t kh = pick(1, 4), kw = pick(1, 4), sh = fit ? 1 : pick(1, 2), sw = fit ? 1 : pick(1, 2);
    // Every third case may pad a whole kernel height (rows whose windows are all padding).
    const miniml::index_t ph = pick(0, static_cast<int32_t>(kh) - (n % 3 == 0 ? 0 : 1));
    const miniml::index_t pw = pick(0, static_cast<int32_t>(kw) - 1);
    const miniml::index_t groups = n % 5 == 4 && !fit ? 2 : 1;
    const int32_t group_in = fit ? pick(1, 3) : pick(1, 6);
    const miniml::index_t in_c = groups * group_in, out_c = groups * (fit ? pick(2 * group_in, 6) : pick(1, 6));
    const miniml::index_t in_h = pick(static_cast<int32_t>(kh), 9), in_w = pick(static_cast<int32_t>(kw), 12);
    const miniml::index_t out_h = (in_h + 2 * ph - kh) / sh + 1, out_w = (in_w + 2 * pw - kw) / sw + 1;
    const miniml::index_t qh = pick(1, 3), qw = pick(1, 3);  // the pool's kernel and stride
    if (qh > out_h || qw > out_w) continue;
    const miniml::index_t pool_h = out_h / qh, pool_w = out_w / qw, taps = in_c / groups * kh * kw;
    for (miniml::index_t i = 0; i < in_c * in_h * in_w; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
    for (miniml::index_t i = 0; i < out_c * taps; ++i) g_w[i] = static_cast<int8_t>(pick(-127, 127));
    for (miniml::index_t o = 0; o < out_c; ++o) {
      g_bias[o] = pick(-40000, 40000);
      g_mult[o] = static_cast<int32_t>(0x40000000u + (next() & 0x3FFFFFFFu));
      g_shift[o] = static_cast<int8_t>(n % 7 == 3 ? pick(-12, 1) : pick(-12, -1));  // shift > 0: no fused maximum
    }
    const int32_t in_zp = pick(-128, 127), out_zp = pick(-128, 127);
    const int32_t act_min = pick(-128, 0), act_max = pick(0, 127), lo = pick(-128, 0), hi = pick(0, 127);
    const miniml::Conv2dParams p = {in_c, in_h, in_w, out_c, out_h, out_w, kh, kw, sh, sw, ph, pw, 1, 1, groups};
    const miniml::Pool2dParams q = {out_c, out_h, out_w, pool_h, pool_w, qh, qw, qh, qw, 0, 0, 1, 1, false, 0};
    miniml::conv2d_s8_ref<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, in_zp, out_zp, act_min, act_max, in_c, in_h,
                                       in_w, out_c, kh, kw, sh, sw, ph, pw, 1, 1, groups, out_h, out_w, g_ref);
    int8_t* want = g_ref + out_c * out_h * out_w;
    for (miniml::index_t c = 0; c < out_c; ++c) {
      for (miniml::index_t y = 0; y < pool_h; ++y) {
        for (miniml::index_t x = 0; x < pool_w; ++x) {
          int32_t m = -128;
          for (miniml::index_t i = 0; i < qh * qw; ++i) {
            const int32_t v = g_ref[(c * out_h + y * qh + i / qw) * out_w + x * qw + i % qw];
            if (v > m) m = v;
          }
          want[(c * pool_h + y) * pool_w + x] = static_cast<int8_t>(m < lo ? lo : m > hi ? hi : m);
        }
      }
    }
#if defined(__AVR__)
    fused += miniml::detail::conv_max_pool_avr_fits(p, q);
#endif
    miniml::conv2d_s8_max_pool<miniml::Ram>(g_in, g_w, g_bias, g_mult, g_shift, p, in_zp, out_zp, act_min, act_max, q,
                                            lo, hi, g_out, g_in);
    ++cases;
    for (miniml::index_t i = 0; i < out_c * pool_h * pool_w; ++i) {
      if (g_in[i] != want[i]) {
        ++mismatches;
#if !defined(__AVR__)
        printf("conv+pool case %d at %u: %d vs %d\n", n, static_cast<unsigned>(i), g_in[i], want[i]);
#endif
        break;
      }
    }
  }
  // max_pool2d_s8 (AVR: its pointer-stepping path for unpadded windows) against plain loops.
  for (int n = 0; n < CASES / 4; ++n) {
    const miniml::index_t c = pick(1, 6), kh = pick(1, 3), kw = pick(1, 4), sh = pick(1, 3), sw = pick(1, 3);
    const miniml::index_t in_h = pick(static_cast<int32_t>(kh), 11), in_w = pick(static_cast<int32_t>(kw), 13);
    const miniml::index_t out_h = (in_h - kh) / sh + 1, out_w = (in_w - kw) / sw + 1;
    const int32_t lo = n % 2 ? pick(-128, 0) : -128, hi = n % 3 ? pick(0, 127) : 127;
    for (miniml::index_t i = 0; i < c * in_h * in_w; ++i) g_in[i] = static_cast<int8_t>(pick(-128, 127));
    miniml::max_pool2d_s8(g_in, c, in_h, in_w, kh, kw, sh, sw, 0, 0, lo, hi, g_out);
    int bad = 0;
    for (miniml::index_t ch = 0; ch < c; ++ch) {
      for (miniml::index_t oy = 0; oy < out_h; ++oy) {
        for (miniml::index_t ox = 0; ox < out_w; ++ox) {
          int32_t m = -128;
          for (miniml::index_t y = 0; y < kh; ++y) {
            for (miniml::index_t x = 0; x < kw; ++x) {
              const int32_t v = g_in[(ch * in_h + oy * sh + y) * in_w + ox * sw + x];
              if (v > m) m = v;
            }
          }
          m = m < lo ? lo : m > hi ? hi : m;
          bad += g_out[(ch * out_h + oy) * out_w + ox] != m;
        }
      }
    }
    ++cases;
    mismatches += bad != 0;
  }
  miniml::io::print("conv_ref: ");
  miniml::io::print_uint(static_cast<uint32_t>(cases));
  miniml::io::print(" cases, ");
  miniml::io::print_uint(static_cast<uint32_t>(mismatches));
  miniml::io::print(" mismatches, ");
  miniml::io::print_uint(static_cast<uint32_t>(fused));
  miniml::io::print(" fused\n");
  miniml::io::print("depthwise_ref: ");
  miniml::io::print_uint(static_cast<uint32_t>(dw_cases));
  miniml::io::print(" cases, ");
  miniml::io::print_uint(static_cast<uint32_t>(dw_mismatches));
  miniml::io::print(" mismatches\n");
  return miniml::io::finish(mismatches == 0 ? 0 : 1);
}
