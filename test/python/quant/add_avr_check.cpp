// add_s8's narrow-integer path (detail::add_s8_scaled: AddInputScale rescales each input, on AVR by the asm
// routine miniml_add_input_avr) against the plain kernel kept beside it (detail::add_s8_impl without tables:
// three multiply_by_quantized_multiplier calls per element), and AddInputScale against add_input_s8 over every
// int8 input, on edge and random constants: zero points at the int8 ends, multipliers 0, 1, 2^30, 2^31 - 1,
// INT32_MIN and their negations (SUB), TFLM's 1/2 on a, b or both (add_half), every input shift add_scaled_takes
// accepts, output shifts -21..+1 (most near TFLM's -20), bounds at the ends; and the output's AddOutputScale against
// requantize_s8_ref over sums at the edges of its domain (check_output_edges). Built for the host (ASan/UBSan) and
// the ATmega in simavr by test_add_avr.py; prints "RESULT inputs add cases outputs answered END" (two mismatch
// counts, the add cases run, AddOutputScale's mismatches and the sums it answered).
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

// AddOutputScale against requantize_s8_ref for one sum: counts a mismatch where it answers, and its answers.
void check_output(const miniml::detail::AddOutputScale& scale, int32_t sum, int32_t m, int8_t shift, int32_t zp,
                  int8_t lo, int8_t hi, uint32_t& bad, uint32_t& answered) {
  int8_t got = 0;
  if (!scale(sum, &got)) return;
  ++answered;
  if (got != miniml::detail::requantize_s8_ref(sum, m, shift, zp, lo, hi)) ++bad;
}

// Sums at the edges of AddOutputScale's domain for one set of constants (M >= 0, shift -19..-31): 0, +-1, the
// largest and smallest |S| it takes (2^28 - 1) and the first it leaves, the int32 ends; each rounding tie of the
// outputs that reach the int8 ends (N = (2k - 1) 2^(30+r), k = 1, 2, 127..129, 255, 256; within 3 either side,
// both signs), then random sums over the domain.
void check_output_edges(int32_t m, int8_t shift, int32_t zp, int8_t lo, int8_t hi, uint32_t& bad, uint32_t& answered) {
  const miniml::detail::AddOutputScale scale(m, shift, zp, lo, hi);
  const int32_t edges[] = {0,
                           1,
                           -1,
                           (INT32_C(1) << 28) - 1,
                           -(INT32_C(1) << 28) + 1,
                           INT32_C(1) << 28,
                           -(INT32_C(1) << 28),
                           (INT32_C(1) << 28) - 4096,
                           -(INT32_C(1) << 28) + 4096,
                           INT32_MAX,
                           INT32_MIN,
                           INT32_MIN + 1};
  for (uint8_t i = 0; i < sizeof(edges) / sizeof(edges[0]); ++i)
    check_output(scale, edges[i], m, shift, zp, lo, hi, bad, answered);
  const uint8_t r = static_cast<uint8_t>(-shift);
  const uint16_t ks[] = {1, 2, 127, 128, 129, 255, 256};
  for (uint8_t i = 0; m > 0 && r <= 24 && i < sizeof(ks) / sizeof(ks[0]); ++i) {
    // |S| M + 2^30 - n at the tie: S0 = floor(((2k - 1) 2^(30+r) - 2^30) / M), its neighbours either side
    const uint64_t t = (static_cast<uint64_t>(2 * ks[i] - 1) << (30 + r)) - (UINT64_C(1) << 30);
    const uint64_t s0 = t / static_cast<uint64_t>(m);
    if (s0 >= (UINT64_C(1) << 28)) continue;
    for (int8_t d = -3; d <= 3; ++d) {
      const int32_t sum = static_cast<int32_t>(s0) + d;
      check_output(scale, sum, m, shift, zp, lo, hi, bad, answered);
      check_output(scale, -sum, m, shift, zp, lo, hi, bad, answered);
    }
  }
  for (uint8_t i = 0; i < 8; ++i) {
    const int32_t sum = static_cast<int32_t>(rnd() >> (4 + rnd() % 20));
    check_output(scale, rnd() % 2 ? sum : -sum, m, shift, zp, lo, hi, bad, answered);
  }
}

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
  // AddOutputScale (the output's requantisation) against requantize_s8_ref at the edges of its domain: every
  // shift it takes on edge multipliers, zero points and bounds, then random constants.
  uint32_t bad_out = 0, out_answered = 0;
  for (uint8_t mi = 0; mi < sizeof(kEdgeM) / sizeof(kEdgeM[0]); ++mi) {
    if (kEdgeM[mi] < 0) continue;
    for (int8_t shift = -19; shift >= -31; --shift) {
      const int32_t zp = kEdgeZp[(mi + static_cast<uint8_t>(-shift)) % (sizeof(kEdgeZp) / sizeof(kEdgeZp[0]))];
      check_output_edges(kEdgeM[mi], shift, zp, -128, 127, bad_out, out_answered);
    }
  }
  for (uint16_t n = 0; n < 300; ++n) {
    int8_t lo = pick_bound(), hi = pick_bound();
    if (lo > hi) {
      const int8_t t = lo;
      lo = hi;
      hi = t;
    }
    const int8_t shift =
        static_cast<int8_t>(n % 2 ? -19 - static_cast<int8_t>(rnd() % 3) : -19 - static_cast<int8_t>(rnd() % 13));
    check_output_edges(pick_multiplier(false), shift, pick_zp(), lo, hi, bad_out, out_answered);
  }
  const uint32_t result[] = {bad_inputs, bad_add, add_cases, bad_out, out_answered};
  return finish_with_result(result);
}
