// add_s8's narrow-integer path (detail::add_s8_scaled: AddInputScale rescales each input, on AVR by the asm
// routine miniml_add_input_avr) against the plain kernel kept beside it (detail::add_s8_impl without tables:
// three multiply_by_quantized_multiplier calls per element), and AddInputScale against add_input_s8 over every
// int8 input, on edge and random constants: zero points at the int8 ends, multipliers 0, 1, 2^30, 2^31 - 1,
// INT32_MIN and their negations (SUB), TFLM's 1/2 on a, b or both (add_half), every input shift add_scaled_takes
// accepts, output shifts -21..+1 (most near TFLM's -20), bounds at the ends. Built for the host (ASan/UBSan) and
// the ATmega in simavr by test_add_avr.py; prints "RESULT inputs add cases END" (two mismatch counts, then the
// add cases run).
#include <stdint.h>

#include "../result_line.h"
#include "../xorshift.h"
#include "miniml/board_io.h"
#include "miniml/core_fixedpoint.h"
#include "miniml/op_elementwise_s8.h"

namespace {

// Edge multipliers; those with 0xFF bytes make the longest carry runs in the rescale's byte sums.
const int32_t kEdgeM[] = {0,
                          1,
                          INT32_C(1) << 30,
                          INT32_MAX,
                          INT32_MIN,
                          -1,
                          -(INT32_C(1) << 30),
                          -INT32_MAX,
                          INT32_C(3) << 29,
                          INT32_C(1) << 24,
                          INT32_C(0x40FFFFFF),
                          INT32_C(0x7FFF00FF),
                          INT32_C(0x7F00FFFF),
                          -INT32_C(0x40FFFFFF)};
const int32_t kEdgeZp[] = {-128, -127, -1, 0, 1, 126, 127};

int32_t pick_multiplier(bool negative_ok) {
  const uint32_t r = rnd();
  int32_t m;
  if (r % 4 == 0) {
    m = kEdgeM[rnd() % (sizeof(kEdgeM) / sizeof(kEdgeM[0]))];
    if (!negative_ok && m < 0) m = m == INT32_MIN ? INT32_MAX : -m;
  } else {
    m = static_cast<int32_t>((rnd() >> 2) | UINT32_C(0x40000000));                     // TFLM's range [2^30, 2^31)
    if (r % 4 == 1) m &= static_cast<int32_t>(~((UINT32_C(1) << (rnd() % 28)) - 1u));  // trailing zeros
    if (negative_ok && r % 8 == 2) m = -m;
  }
  return m;
}
int32_t pick_zp() {
  return rnd() % 2 ? kEdgeZp[rnd() % (sizeof(kEdgeZp) / sizeof(kEdgeZp[0]))] : static_cast<int32_t>(rnd() % 256) - 128;
}
int8_t pick_bound() { return static_cast<int8_t>(rnd() % 3 == 0 ? (rnd() % 2 ? -128 : 127) : rnd() % 256); }

}  // namespace

int main() {
  miniml::io::begin();
  uint32_t bad_inputs = 0, bad_add = 0, add_cases = 0;
  // AddInputScale against add_input_s8 over every int8 input: every edge multiplier, shift and zero point, then
  // random ones.
  for (uint8_t mi = 0; mi < sizeof(kEdgeM) / sizeof(kEdgeM[0]); ++mi) {
    for (int8_t shift = 0; shift >= -5; --shift) {
      for (uint8_t zi = 0; zi < sizeof(kEdgeZp) / sizeof(kEdgeZp[0]); ++zi) {
        const miniml::detail::AddInputScale scale(kEdgeZp[zi], kEdgeM[mi], shift);
        for (int16_t x = -128; x < 128; ++x) {
          if (scale(static_cast<int8_t>(x)) != miniml::detail::add_input_s8(x, kEdgeZp[zi], kEdgeM[mi], shift)) {
            ++bad_inputs;
          }
        }
      }
    }
  }
  for (uint16_t n = 0; n < 300; ++n) {
    const int32_t zp = pick_zp(), m = pick_multiplier(true);
    const int8_t shift = static_cast<int8_t>(-static_cast<int8_t>(rnd() % 6));
    const miniml::detail::AddInputScale scale(zp, m, shift);
    for (int16_t x = -128; x < 128; ++x) {
      if (scale(static_cast<int8_t>(x)) != miniml::detail::add_input_s8(x, zp, m, shift)) ++bad_inputs;
    }
  }
  // The whole kernel, both forms, against the plain one.
  static int8_t a[64], b[64], out[64], want[64];
  for (uint16_t n = 0; n < 600; ++n) {
    const int32_t a_zp = pick_zp(), b_zp = pick_zp(), o_zp = pick_zp();
    const int32_t o_m = pick_multiplier(false);
    int32_t a_m = pick_multiplier(false), b_m = pick_multiplier(true);
    int8_t a_shift = static_cast<int8_t>(-static_cast<int8_t>(rnd() % 6));
    int8_t b_shift = static_cast<int8_t>(-static_cast<int8_t>(rnd() % 6));
    // TFLM's multiplier for the input of the larger scale, 1/2 (add_half), on one input in most cases
    if (n % 4 == 1 || n % 4 == 3) {
      a_m = INT32_C(1) << 30;
      a_shift = 0;
    }
    if (n % 4 == 2 || n % 4 == 3) {
      b_m = INT32_C(1) << 30;
      b_shift = 0;
    }
    // TFLM's output shifts for ADD sit near -20 (2^20 scale-up): most cases there, the rest anywhere
    const int8_t o_shift =
        static_cast<int8_t>(rnd() % 2 ? -14 - static_cast<int8_t>(rnd() % 8) : 1 - static_cast<int8_t>(rnd() % 23));
    int8_t lo = pick_bound(), hi = pick_bound();
    if (lo > hi) {
      const int8_t t = lo;
      lo = hi;
      hi = t;
    }
    if (!miniml::detail::add_scaled_takes(a_zp, a_shift, b_zp, b_shift)) {
      ++bad_add;
      continue;
    }
    const bool per_channel = n % 3 == 0;
    const miniml::index_t channels = static_cast<miniml::index_t>(per_channel ? 1 + rnd() % 8 : 1);
    const miniml::index_t inner = static_cast<miniml::index_t>(1 + rnd() % (64 / channels));
    for (uint8_t i = 0; i < 64; ++i) {
      a[i] = static_cast<int8_t>(rnd() % 3 == 0 ? (rnd() % 2 ? -128 : 127) : rnd());
      b[i] = static_cast<int8_t>(rnd() % 3 == 0 ? (rnd() % 2 ? -128 : 127) : rnd());
    }
    if (per_channel) {
      miniml::detail::add_s8_scaled<true>(a, b, channels, inner, a_zp, a_m, a_shift, b_zp, b_m, b_shift, o_m, o_shift,
                                          o_zp, lo, hi, out);
      miniml::detail::add_s8_impl<true, false>(a, b, channels, inner, a_zp, a_m, a_shift, b_zp, b_m, b_shift, o_m,
                                               o_shift, o_zp, lo, hi, want);
    } else {
      miniml::detail::add_s8_scaled<false>(a, b, channels, inner, a_zp, a_m, a_shift, b_zp, b_m, b_shift, o_m, o_shift,
                                           o_zp, lo, hi, out);
      miniml::detail::add_s8_impl<false, false>(a, b, channels, inner, a_zp, a_m, a_shift, b_zp, b_m, b_shift, o_m,
                                                o_shift, o_zp, lo, hi, want);
    }
    for (miniml::index_t i = 0; i < channels * inner; ++i) {
      if (out[i] != want[i]) ++bad_add;
    }
    ++add_cases;
  }
  const uint32_t result[] = {bad_inputs, bad_add, add_cases};
  return finish_with_result(result);
}
