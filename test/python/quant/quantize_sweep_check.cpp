// quantize_s8's codes over a sweep of float bit patterns, against clamp(round(x / scale) + zero point) in float
// compares (ref_round_to_s8, the ground truth) and against today's C path beside the ATmega routine
// (detail::quantize_by_reciprocal). Per scale (several, with several zero points): every exponent field with
// zero, smallest, largest and pseudo-random mantissas of both signs (so +-0, subnormals, +-Inf, NaNs, huge values),
// and values around the rounding halves k + 1/2 (k over -260..260): a few ulps either side, and 5..40 units of
// 2^-16 either side (where the routine's near-half window and its truncated product meet).
// model_code is the ATmega routine's arithmetic step by step in C (miniml_quantize_s8_avr in op_quantize_avr.h);
// on the host (ASan/UBSan) it is held to the reference, on the ATmega the routine (quantize_s8, quantize_s8_keep,
// quantize_s8_matches) to both.
// Prints RESULT values, mismatches, model mismatches, undecided, must-divide, keep/match errors END: must-divide
// counts undecided values whose rounding without the division would be wrong (the test asserts there are some).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../result_line.h"
#include "miniml/op_quantize.h"
#include "round_ref.h"

namespace {

float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof(f));
  return f;
}

uint32_t mix(uint32_t v) {  // a fixed pseudo-random mantissa per input
  v *= UINT32_C(2654435761);
  return (v ^ (v >> 15)) & UINT32_C(0x7FFFFF);
}

// The routine's code of x for 1/scale = r, or 256 when it leaves x to the division: its truncated product
// (columns 0 and 1 left out), shift, window and rounding.
int16_t model_code(uint32_t bits, const miniml::detail::Reciprocal& r, int8_t zp) {
  const int16_t sat = (bits >> 31) != 0 ? -128 : 127;
  const uint8_t ex = miniml::detail::float_exponent(bits);
  if (ex == 0xFF) return (bits & UINT32_C(0x7FFFFF)) != 0 ? zp : sat;
  const int16_t d = static_cast<int16_t>(ex - (251 - r.exponent));
  if (d < 0) return zp;
  if (d > 10) return sat;
  const uint32_t mx = miniml::detail::float_mantissa(bits), mi = r.mantissa;
  const uint64_t left_out =
      static_cast<uint64_t>((mx & 0xFF) * (mi & 0xFF)) +
      ((static_cast<uint64_t>((mx & 0xFF) * ((mi >> 8) & 0xFF)) + ((mx >> 8) & 0xFF) * (mi & 0xFF)) << 8);
  const uint32_t h = static_cast<uint32_t>((static_cast<uint64_t>(mx) * mi - left_out) >> 16);
  const uint32_t fixed = h >> (17 - d);
  const uint16_t fraction = static_cast<uint16_t>(fixed);
  if (fraction >= 0x7FE0u && fraction <= 0x8020u) return 256;
  const int16_t k = static_cast<int16_t>((fixed + 0x8000u) >> 16);
  if (k >= 256) return sat;
  int16_t v = static_cast<int16_t>(((bits >> 31) != 0 ? -k : k) + zp);
  return v < -128 ? -128 : (v > 127 ? 127 : v);
}

uint32_t counts[6];  // values, mismatches, model mismatches, undecided, must divide, keep/match errors
float block[16];
uint8_t filled;
float block_scale;
int8_t block_zp;

void flush() {
  int8_t out[16], again[16], kept[16];
  miniml::quantize_s8(block, filled, block_scale, block_zp, out);
  miniml::quantize_s8_keep(block, filled, block_scale, block_zp, again, kept);
  if (memcmp(again, out, filled) != 0 || memcmp(kept, out, filled) != 0) ++counts[5];
  if (!miniml::quantize_s8_matches(block, filled, block_scale, block_zp, kept)) ++counts[5];
  kept[filled - 1] = static_cast<int8_t>(kept[filled - 1] ^ 1);
  if (miniml::quantize_s8_matches(block, filled, block_scale, block_zp, kept)) ++counts[5];
  const bool fast = miniml::detail::reciprocal_quantize_ok(block_scale, block_zp);
  const miniml::detail::Reciprocal r(fast ? block_scale : 1.0f);
  for (uint8_t i = 0; i < filled; ++i, ++counts[0]) {
    const float x = block[i];
    const int8_t want = ref_round_to_s8(x / block_scale, block_zp);
    if (out[i] != want) ++counts[1];
    if (!fast) continue;
    if (miniml::detail::quantize_by_reciprocal(x, r, block_zp) != want) ++counts[1];
    const uint32_t bits = miniml::detail::float_bits(x);
    const int16_t model = model_code(bits, r, block_zp);
    if (model == 256) {
      ++counts[3];
      // the exact floor(|a| 2^16) rounded as if it were decided
      const int16_t d = static_cast<int16_t>(miniml::detail::float_exponent(bits) - (251 - r.exponent));
      const uint32_t fixed =
          static_cast<uint32_t>((static_cast<uint64_t>(miniml::detail::float_mantissa(bits)) * r.mantissa) >> (33 - d));
      if (miniml::detail::round_fixed16_to_s8(fixed, (bits >> 31) != 0, block_zp) != want) ++counts[4];
      if (miniml::detail::round_to_s8_by_bits(x / block_scale, block_zp) != want) ++counts[2];
    } else if (model != want) {
      ++counts[2];
    }
  }
  filled = 0;
}

void add(float x) {
  block[filled++] = x;
  if (filled == 16) flush();
}

}  // namespace

int main() {
  miniml::io::begin();
  const float scales[] = {0.0286291763f, 0.0273155235f, 0.00392156886f, 1.0f,  0.1f,
                          7.5f,          3.0517578e-5f, 1e-30f,         1e30f, 5e-31f};
  const int8_t zps[] = {-4, 15, -128, 0, 127, 77, -100, 3, -1, 5};
  for (uint8_t s = 0; s < sizeof(scales) / sizeof(scales[0]); ++s) {
    block_scale = scales[s];
    block_zp = zps[s];
    // every exponent field: +0 / -0 mantissa, the largest, the smallest and two pseudo-random ones
    for (uint16_t e = 0; e < 256; ++e) {
      const uint32_t field = static_cast<uint32_t>(e) << 23;
      add(from_bits(field));
      add(from_bits(field | UINT32_C(0x80000000)));
      add(from_bits(field | UINT32_C(0x7FFFFF)));
      add(from_bits(field | 1u | UINT32_C(0x80000000)));
      add(from_bits(field | mix(e + 1000u * s)));
      add(from_bits(field | mix(e + 1000u * s + 500u) | UINT32_C(0x80000000)));
    }
    // around the halves: a few ulps, and 5..40 units of 2^-16 either side
    const int8_t units[] = {-40, -33, -32, -31, -27, -26, -5, 5, 26, 27, 31, 32, 33, 40};
    for (int16_t k = -260; k <= 260; k = static_cast<int16_t>(k + 5)) {
      const float half = static_cast<float>(k) + (k < 0 ? -0.5f : 0.5f);
      const uint32_t b = miniml::detail::float_bits(half * block_scale);
      for (uint8_t j = 0; j < 9; ++j) add(from_bits(b + j - 4));
      for (uint8_t j = 0; j < sizeof(units); ++j) {
        add((half + static_cast<float>(units[j]) * (1.0f / 65536.0f)) * block_scale);
      }
    }
    if (filled != 0) flush();
  }
  return finish_with_result(counts);
}
