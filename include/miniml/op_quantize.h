// quantize_s8 / dequantize_s8: the float <-> int8 edges of an int8 model, with TFLM QUANTIZE / DEQUANTIZE
// numbers (float32 arithmetic throughout, no double). Both arrays in SRAM; they do not alias (sizes differ).
#ifndef MINIML_OP_QUANTIZE_H_
#define MINIML_OP_QUANTIZE_H_

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core_fixedpoint.h"
#include "core_float_bits.h"
#include "core_types.h"
#include "op_quantize_avr.h"

namespace miniml {

namespace detail {
inline uint8_t float_exponent(uint32_t bits) {
  return static_cast<uint8_t>(static_cast<uint16_t>(static_cast<uint16_t>(bits >> 16) << 1) >> 8);
}
inline uint32_t float_mantissa(uint32_t bits) { return (bits & UINT32_C(0x7FFFFF)) | UINT32_C(0x800000); }

// |f| 2^16 for a float's bits, truncated to an integer, for |f| < 256; 2^24 (256 2^16) for |f| >= 256 or Inf,
// UINT32_MAX for NaN. Byte moves and a short shift: on AVR float compares and conversions are library calls.
inline uint32_t abs_fixed16(uint32_t bits) {
  const uint8_t exponent = float_exponent(bits);
  if (exponent >= 127 + 8) {
    return exponent == 0xFF && (bits & UINT32_C(0x7FFFFF)) != 0 ? UINT32_MAX : UINT32_C(1) << 24;
  }
  if (exponent < 127 - 8) return 0;       // |f| < 2^-8: below 2^-16 after the shift, or zero / subnormal
  uint32_t fixed = float_mantissa(bits);  // mantissa >> (134 - exponent): 0..15
  uint8_t shift = static_cast<uint8_t>(127 + 7 - exponent);
  if (shift >= 8) {
    fixed >>= 8;
    shift = static_cast<uint8_t>(shift - 8);
  }
  return fixed >> shift;
}

// round_to_s8 from abs_fixed16 (not NaN) and the sign, for a zero point in [-512, 512] (beyond, every sum
// with a rounded value below 256 clamps as at the nearest end): halves away from zero is floor(|f| + 1/2),
// exact from the truncated value (1/2 is a multiple of 2^-16). 16-bit arithmetic.
inline int8_t round_fixed16_to_s8(uint32_t fixed, bool negative, int16_t zero_point) {
  const int16_t k = static_cast<int16_t>((fixed + 0x8000u) >> 16);
  if (k >= 256) return static_cast<int8_t>(negative ? kInt8Min : kInt8Max);
  int16_t v = static_cast<int16_t>((negative ? -k : k) + zero_point);
  if (v < kInt8Min) v = kInt8Min;
  if (v > kInt8Max) v = kInt8Max;
  return static_cast<int8_t>(v);
}

// round_to_s8 read off the float's bits (AVR's; defined everywhere so host tests hold it to the float one).
inline int8_t round_to_s8_by_bits(float scaled, int32_t zero_point) {
  const uint32_t bits = float_bits(scaled);
  const uint32_t fixed = abs_fixed16(bits);
  if (fixed == UINT32_MAX) return static_cast<int8_t>(zero_point);  // NaN
  const int16_t zp = static_cast<int16_t>(zero_point < -512 ? -512 : (zero_point > 512 ? 512 : zero_point));
  return round_fixed16_to_s8(fixed, (bits >> 31) != 0, zp);
}
}  // namespace detail

// clamp(round(scaled) + zero_point) to int8, halves away from zero: `scaled` is a real value already divided
// by its scale. Non-finite values have a defined result (converting them to an integer would be undefined
// behaviour): -Inf and +Inf saturate to -128 and 127, NaN becomes the zero point (real value 0).
inline int8_t round_to_s8(float scaled, int32_t zero_point) {
#if defined(__AVR__)
  // roundf, float compares and the int conversion are library calls there.
  return detail::round_to_s8_by_bits(scaled, zero_point);
#else
  const float q = roundf(scaled);
  int32_t v;
  // Compare as float first: a huge value (or inf) must not overflow the int conversion.
  if (q != q) {  // NaN
    v = zero_point;
  } else if (q <= -256.0f) {
    v = kInt8Min;
  } else if (q >= 256.0f) {
    v = kInt8Max;
  } else {
    v = static_cast<int32_t>(q) + zero_point;
    if (v < kInt8Min) v = kInt8Min;
    if (v > kInt8Max) v = kInt8Max;
  }
  return static_cast<int8_t>(v);
#endif
}

namespace detail {
// floor(mx mi / 2^16) for two 24-bit mantissas (the hidden bit set): bytes 2..5 of the 48-bit product.
inline uint32_t mantissa_product_hi(uint32_t mx, uint32_t mi) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  // Column by column, each byte product into a 3-byte window (a window holds every column sum so far, so no
  // carry runs further); byte 0 is never needed, byte 1 only for its carries. 9 muls instead of __mulsf3.
  uint32_t hi;
  uint8_t b1, zero;
  __asm__(
      "clr %[z]\n\tclr %A[h]\n\tclr %B[h]\n\tclr %C[h]\n\tclr %D[h]\n\t"
      "mul %A[x], %A[i]\n\tmov %[b1], r1\n\t"
      "mul %A[x], %B[i]\n\tadd %[b1], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %B[x], %A[i]\n\tadd %[b1], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %A[x], %C[i]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %B[x], %B[i]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %C[x], %A[i]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %B[x], %C[i]\n\tadd %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t"
      "mul %C[x], %B[i]\n\tadd %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t"
      "mul %C[x], %C[i]\n\tadd %C[h], r0\n\tadc %D[h], r1\n\t"
      "clr __zero_reg__"
      : [h] "=&r"(hi), [b1] "=&r"(b1), [z] "=&r"(zero)
      : [x] "r"(mx), [i] "r"(mi)
      : "r0");
  return hi;
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(mx) * mi) >> 16);
#endif
}

// 1 / scale in float32, as mantissa (hidden bit set) and biased exponent, for quantize_by_reciprocal.
struct Reciprocal {
  uint32_t mantissa;
  int16_t exponent;
  float scale;
  explicit Reciprocal(float s) : mantissa(0), exponent(0), scale(s) {
    const uint32_t bits = float_bits(1.0f / s);
    mantissa = float_mantissa(bits);
    exponent = float_exponent(bits);
  }
};
// Where Reciprocal and quantize_by_reciprocal hold: 1 / scale a normal float, an int8 zero point.
inline bool reciprocal_quantize_ok(float scale, int32_t zero_point) {
  return scale >= 1e-30f && scale <= 1e30f && zero_point >= kInt8Min && zero_point <= kInt8Max;
}

// floor(|a| 2^16) for the exact product a = x (1 / scale) (no rounding): 2^24 when |a| >= 256 and UINT32_MAX
// for a NaN or infinite x. With x = mx 2^(ex-150) and 1/scale = mi 2^(ei-150), |a| 2^16 = mx mi / 2^s,
// s = 284 - ex - ei; zero and subnormal x give 0 (|a| < 2^-96).
inline uint32_t reciprocal_fixed16(uint32_t x_bits, const Reciprocal& r) {
  const uint8_t ex = float_exponent(x_bits);
  if (ex == 0xFF) return UINT32_MAX;
  const int16_t s = static_cast<int16_t>(284 - ex - r.exponent);
  if (ex == 0 || s >= 48) return 0;
  if (s <= 22) return UINT32_C(1) << 24;  // mx mi >= 2^46
  uint32_t fixed = mantissa_product_hi(float_mantissa(x_bits), r.mantissa);
  uint8_t shift = static_cast<uint8_t>(s - 16);  // 7..31, bytes first
  while (shift >= 8) {
    fixed >>= 8;
    shift = static_cast<uint8_t>(shift - 8);
  }
  return fixed >> shift;  // < 2^25: |a| >= 256 rounds through round_fixed16_to_s8's saturation
}

// round_to_s8(x / scale, zero_point) without the division where it cannot matter (AVR: the soft-float
// division is ~480 cycles). a = x (1/scale), exact, is within |t| 2^-24 of t = x / scale (1/scale rounded
// once), and the division the reference rounds, fl(t), within 2^-17 of t for |t| < 256; round(fl(t)) steps
// only at k + 1/2 - 2^(e-24) (the float just below a half rounds up to it). So a fraction of |a| 2^16
// (truncated, < 1 unit off) more than 32 units from 1/2 (t at most 1 + 1/2 + 1 units away) rounds as fl(t)
// does, and otherwise (about 1 value in 1000) the division decides. |a| >= 256 saturates as fl(t) does
// (|t| > 255.99 rounds to at least 256 in magnitude); NaN and Inf take the division.
inline int8_t quantize_by_reciprocal(float x, const Reciprocal& r, int8_t zero_point) {
  const uint32_t bits = float_bits(x);
  const uint32_t fixed = reciprocal_fixed16(bits, r);
  if (fixed == UINT32_MAX || static_cast<uint16_t>(static_cast<uint16_t>(fixed) - 0x8000u + 32u) <= 64u) {
    return round_to_s8(x / r.scale, zero_point);
  }
  return round_fixed16_to_s8(fixed, (bits >> 31) != 0, zero_point);
}

#if defined(MINIML_QUANTIZE_AVR)
// miniml_quantize_s8_avr's key for 1/scale (reciprocal_quantize_ok): its mantissa, and 251 - its exponent field
// in the top byte (d' = exponent(x) - 251 + exponent(1/scale) is 33 - quantize_by_reciprocal's s).
inline uint32_t quantize_key(float scale) {
  const Reciprocal r(scale);
  return r.mantissa | static_cast<uint32_t>(static_cast<uint8_t>(251 - r.exponent)) << 24;
}

// miniml_quantize_s8_avr for scale and zero_point (reciprocal_quantize_ok): stored to output (and kept unless
// null), or, output null, compared with kept.
inline bool codes_s8_avr(const float* input, index_t n, float scale, int32_t zero_point, int8_t* output, int8_t* kept) {
  return miniml_quantize_s8_avr(input, n, scale, quantize_key(scale), static_cast<uint8_t>(zero_point + 128), output,
                                kept);
}
#endif
}  // namespace detail

// output[i] = clamp(round(input[i] / scale) + zero_point) (round_to_s8): the rounding of a division, as TFLM
// does (a multiply by 1/scale alone would differ in the last bit). On AVR the same result mostly from an
// integer multiply by 1/scale (detail::quantize_by_reciprocal; with MUL its asm, detail::codes_s8_avr).
inline void quantize_s8(const float* input, index_t n, float scale, int32_t zero_point, int8_t* output) {
#if defined(MINIML_QUANTIZE_AVR)
  if (detail::reciprocal_quantize_ok(scale, zero_point)) {
    detail::codes_s8_avr(input, n, scale, zero_point, output, nullptr);
    return;
  }
#elif defined(__AVR__)
  if (detail::reciprocal_quantize_ok(scale, zero_point)) {
    const detail::Reciprocal r(scale);
    const int8_t zp = static_cast<int8_t>(zero_point);
    for (index_t i = 0; i < n; ++i) output[i] = detail::quantize_by_reciprocal(input[i], r, zp);
    return;
  }
#endif
  for (index_t i = 0; i < n; ++i) output[i] = round_to_s8(input[i] / scale, zero_point);
}

namespace detail {
// Stores code to output[i] and kept[i] (match false), or tells whether kept[i] holds it (match true).
inline bool keep_code(int8_t code, index_t i, int8_t* output, int8_t* kept, bool match) {
  if (match) return kept[i] == code;
  output[i] = code;
  kept[i] = code;
  return true;
}

// quantize_s8's codes of input[0..n), stored to output and kept (match false), or compared with kept (match
// true: false at the first difference). Out of line on AVR: predict()'s quantisation and learn()'s comparison
// share one copy of the per-value code, which stays inlined in it (with MUL the callers take codes_s8_avr instead
// where it holds, its key computed at compile time).
#if defined(__AVR__)
__attribute__((noinline))
#endif
inline bool
kept_codes_s8(const float* input, index_t n, float scale, int32_t zero_point, int8_t* output, int8_t* kept,
              bool match) {
#if defined(__AVR__) && !defined(MINIML_QUANTIZE_AVR)
  if (reciprocal_quantize_ok(scale, zero_point)) {
    const Reciprocal r(scale);
    const int8_t zp = static_cast<int8_t>(zero_point);
    for (index_t i = 0; i < n; ++i) {
      if (!keep_code(quantize_by_reciprocal(input[i], r, zp), i, output, kept, match)) return false;
    }
    return true;
  }
#endif
  for (index_t i = 0; i < n; ++i) {
    if (!keep_code(round_to_s8(input[i] / scale, zero_point), i, output, kept, match)) return false;
  }
  return true;
}
}  // namespace detail

// quantize_s8 that also keeps the codes in `kept` (n int8, RAM): predict() of a model whose learn() recognises
// the last predict()'s input (quantize_s8_matches).
inline void quantize_s8_keep(const float* input, index_t n, float scale, int32_t zero_point, int8_t* output,
                             int8_t* kept) {
#if defined(MINIML_QUANTIZE_AVR)
  if (detail::reciprocal_quantize_ok(scale, zero_point)) {
    detail::codes_s8_avr(input, n, scale, zero_point, output, kept);
    return;
  }
#endif
  detail::kept_codes_s8(input, n, scale, zero_point, output, kept, false);
}

// True when quantize_s8 would write exactly the `kept` codes (n int8, RAM) for this input; stops at the first
// difference.
inline bool quantize_s8_matches(const float* input, index_t n, float scale, int32_t zero_point, int8_t* kept) {
#if defined(MINIML_QUANTIZE_AVR)
  if (detail::reciprocal_quantize_ok(scale, zero_point)) {
    return detail::codes_s8_avr(input, n, scale, zero_point, nullptr, kept);
  }
#endif
  return detail::kept_codes_s8(input, n, scale, zero_point, kept, kept, true);
}

namespace detail {
// Where dequantize_by_bits holds: a normal scale whose products with |k| <= 255 stay normal, an int8 zero point.
inline bool bits_dequantize_ok(float scale, int32_t zero_point) {
  const uint8_t field = float_exponent(float_bits(scale));
  return field >= 8 && field <= 240 && zero_point >= kInt8Min && zero_point <= kInt8Max;
}

// scale * float(k) for |k| <= 255 (bits_dequantize_ok), bit for bit: float(k) is exact, so the product is the
// scale's 24-bit mantissa times |k| rounded once to 24 bits, to nearest even, as the float multiply rounds it.
// |k| shifted up to 8 bits first (a') makes the product 31 or 32 bits long: one test instead of a search.
// AVR: a 16x8 and an 8x8 multiply and byte moves instead of __floatsisf and __mulsf3.
inline float dequantize_by_bits(int16_t k, uint32_t scale_bits) {
  uint32_t sign = scale_bits & UINT32_C(0x80000000);
  if (k < 0) {
    sign ^= UINT32_C(0x80000000);
    k = static_cast<int16_t>(-k);
  }
  uint32_t bits = sign;  // +0 times the scale: a zero of the scale's sign
  if (k != 0) {
    uint8_t a = static_cast<uint8_t>(k);
    uint8_t field = float_exponent(scale_bits);  // of the product once a' = a 2^(8 - length(a)) is in [128, 256)
    while (a < 0x80u) {
      a = static_cast<uint8_t>(a << 1);
      --field;
    }
    uint32_t p = static_cast<uint32_t>(static_cast<uint16_t>(scale_bits)) * a +
                 (static_cast<uint32_t>(static_cast<uint16_t>((static_cast<uint8_t>(scale_bits >> 16) | 0x80u) * a))
                  << 16);  // in [2^30, 2^32)
    if ((p >> 31) == 0) {
      p <<= 1;
      --field;
    }
    // 24 bits kept, rounded to nearest even on the low byte; a carry to 2^24 steps the exponent
    const uint8_t low = static_cast<uint8_t>(p);
    uint32_t mantissa = p >> 8;
    if (low > 0x80u || (low == 0x80u && (mantissa & 1u) != 0)) ++mantissa;
    // the exponent field sits at bit 23: built in the high half (a 32-bit shift by 23 is a 23-step loop on AVR)
    const uint16_t high = static_cast<uint16_t>(static_cast<uint16_t>(field + 7u) << 7);
    bits |= (static_cast<uint32_t>(high) << 16) + mantissa;
  }
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}
}  // namespace detail

// output[i] = scale * (input[i] - zero_point), one float32 rounding (the integer factor is exact). On AVR the same
// bits from an integer product (detail::dequantize_by_bits; defined everywhere so host tests hold it to the float
// multiply; on rv32imc, soft float too, it would cost the caller's frame 32 bytes of stack for ~5% of a predict).
inline void dequantize_s8(const int8_t* input, index_t n, float scale, int32_t zero_point, float* output) {
#if defined(__AVR__)
  if (detail::bits_dequantize_ok(scale, zero_point)) {
    const uint32_t scale_bits = detail::float_bits(scale);
    // by pointer (with an index, mlp16's predict() frame takes a byte more stack)
    const int8_t* const end = input + n;
    while (input != end) {
      *output++ = detail::dequantize_by_bits(static_cast<int16_t>(*input++ - zero_point), scale_bits);
    }
    return;
  }
#endif
  for (index_t i = 0; i < n; ++i) {
    output[i] = scale * static_cast<float>(static_cast<int32_t>(input[i]) - zero_point);
  }
}

}  // namespace miniml

#endif  // MINIML_OP_QUANTIZE_H_
