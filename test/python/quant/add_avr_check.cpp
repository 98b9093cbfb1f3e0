// add_s8's narrow-integer path (detail::add_s8_scaled: AddInputScale for each input, WideRequant for the sum)
// against the plain kernel kept beside it (detail::add_s8_impl without tables: three
// multiply_by_quantized_multiplier calls per element), and its two parts against their references, on edge
// and random constants: zero points at the int8 ends, multipliers 0, 1, 2^30, 2^31 - 1, INT32_MIN and their
// negations (SUB), every input shift add_scaled_takes accepts, output shifts -2..-31, bounds at the ends.
// WideRequant also meets sums at the 24-bit edge, near +-2^31 and multiples of high powers of two times
// multipliers with many trailing zeros (the byte-3 == 0xC0 carry case). Built for the host (ASan/UBSan) and the
// ATmega in simavr (its asm multiplies) by test_add_avr.py; prints "RESULT inputs wide add cases END" (three
// mismatch counts, then the add cases run).
#include <stdint.h>

#include "../xorshift.h"
#include "miniml/board_io.h"
#include "miniml/core_fixedpoint.h"
#include "miniml/op_elementwise_s8.h"

namespace {

const int32_t kEdgeM[] = {0,
                          1,
                          INT32_C(1) << 30,
                          INT32_MAX,
                          INT32_MIN,
                          -1,
                          -(INT32_C(1) << 30),
                          -INT32_MAX,
                          INT32_C(3) << 29,
                          INT32_C(1) << 24};
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

// An accumulator for WideRequant: any width, the 24-bit edge, +-(2^31 - 1), high powers of two.
int32_t pick_acc() {
  const uint32_t r = rnd();
  int32_t v;
  switch (r % 6) {
    case 0:
      v = static_cast<int32_t>(rnd() >> (rnd() % 32));
      break;
    case 1:
      v = (INT32_C(1) << 23) + static_cast<int32_t>(rnd() % 5) - 2;
      break;
    case 2:
      v = INT32_MAX - static_cast<int32_t>(rnd() % 3);
      break;
    case 3:
      v = static_cast<int32_t>((rnd() % 256u) << (rnd() % 24));
      break;
    default:
      v = static_cast<int32_t>(rnd() >> (1 + rnd() % 8));
  }
  return (r & 0x100u) ? -v : v;
}

}  // namespace

int main() {
  miniml::io::begin();
  uint32_t bad_inputs = 0, bad_wide = 0, bad_add = 0, add_cases = 0;
  // AddInputScale against add_input_s8 over every int8 input.
  for (uint16_t n = 0; n < 300; ++n) {
    const int32_t zp = pick_zp(), m = pick_multiplier(true);
    const int8_t shift = static_cast<int8_t>(-static_cast<int8_t>(rnd() % 6));
    const miniml::detail::AddInputScale scale(zp, m, shift);
    for (int16_t x = -128; x < 128; ++x) {
      if (scale(static_cast<int8_t>(x)) != miniml::detail::add_input_s8(x, zp, m, shift)) ++bad_inputs;
    }
  }
  // WideRequant against requantize_s8_ref.
  for (uint16_t n = 0; n < 400; ++n) {
    const int32_t m = pick_multiplier(false), zp = pick_zp();
    const int8_t shift = static_cast<int8_t>(-2 - static_cast<int8_t>(rnd() % 30));
    int8_t lo = pick_bound(), hi = pick_bound();
    if (lo > hi) {
      const int8_t t = lo;
      lo = hi;
      hi = t;
    }
    if (!miniml::WideRequant::takes(m, shift, zp, lo, hi)) ++bad_wide;
    const miniml::WideRequant requant(m, shift, zp, lo, hi);
    for (uint8_t i = 0; i < 50; ++i) {
      const int32_t acc = pick_acc();
      if (requant(acc) != miniml::detail::requantize_s8_ref(acc, m, shift, zp, lo, hi)) ++bad_wide;
    }
  }
  // The byte-3 carry at its edge: P = |acc| m with byte 3 == 0xC0 and bytes 0..2 zero (|acc| = v 2^(24 - t) >=
  // 2^24 for m = odd 2^t, v = odd^-1 0xC0 mod 2^8 + 256 r; half the cases with byte 3 0xBF or 0xC1), then one more
  // (bytes 0..2 not zero), each of both signs; small multipliers and shifts keep the results inside int8 (where H's
  // last bit shows).
  for (uint16_t n = 0; n < 300; ++n) {
    const uint8_t t = static_cast<uint8_t>(4 + rnd() % 4);
    const uint8_t odd = static_cast<uint8_t>(rnd() | 1u);
    const uint32_t m = static_cast<uint32_t>(odd) << t;
    uint8_t inv = odd;  // Newton's iteration for odd^-1 mod 2^8
    for (uint8_t i = 0; i < 3; ++i) inv = static_cast<uint8_t>(inv * (2u - odd * inv));
    const uint8_t byte3 = static_cast<uint8_t>(0xBFu + (n % 4 == 0 ? 0u : n % 4 == 1 ? 2u : 1u));
    const uint32_t v = static_cast<uint8_t>(byte3 * inv) + 256u * (1u + rnd() % 4);
    const uint32_t u = v << (24 - t);
    const int8_t shift = static_cast<int8_t>(-2 - static_cast<int8_t>(rnd() % 3));
    const int32_t zp = pick_zp();
    const miniml::WideRequant requant(static_cast<int32_t>(m), shift, zp, -128, 127);
    for (uint8_t k = 0; k < 4; ++k) {
      const int32_t acc = static_cast<int32_t>(u + (k >> 1)) * ((k & 1) ? -1 : 1);
      if (requant(acc) != miniml::detail::requantize_s8_ref(acc, static_cast<int32_t>(m), shift, zp, -128, 127)) {
        ++bad_wide;
      }
    }
  }
  // The whole kernel, both forms, against the plain one.
  static int8_t a[64], b[64], out[64], want[64];
  for (uint16_t n = 0; n < 600; ++n) {
    const int32_t a_zp = pick_zp(), b_zp = pick_zp(), o_zp = pick_zp();
    const int32_t a_m = pick_multiplier(false), b_m = pick_multiplier(true), o_m = pick_multiplier(false);
    const int8_t a_shift = static_cast<int8_t>(-static_cast<int8_t>(rnd() % 6));
    const int8_t b_shift = static_cast<int8_t>(-static_cast<int8_t>(rnd() % 6));
    // TFLM's output shifts for ADD sit near -20 (2^20 scale-up): most cases there, the rest anywhere
    const int8_t o_shift =
        static_cast<int8_t>(rnd() % 2 ? -16 - static_cast<int8_t>(rnd() % 8) : -2 - static_cast<int8_t>(rnd() % 30));
    int8_t lo = pick_bound(), hi = pick_bound();
    if (lo > hi) {
      const int8_t t = lo;
      lo = hi;
      hi = t;
    }
    if (!miniml::detail::add_scaled_takes(a_zp, a_shift, b_zp, b_shift, o_m, o_shift, o_zp, lo, hi)) {
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
  miniml::io::print("RESULT ");
  miniml::io::print_uint(bad_inputs);
  miniml::io::put(' ');
  miniml::io::print_uint(bad_wide);
  miniml::io::put(' ');
  miniml::io::print_uint(bad_add);
  miniml::io::put(' ');
  miniml::io::print_uint(add_cases);
  miniml::io::print(" END\n");
  return miniml::io::finish(0);
}
