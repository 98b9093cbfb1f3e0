// Integer views of a float's bits, for tests that must not cost a float operation: where floats are soft a
// float compare is a library call, an integer compare of the bytes a few instructions.
#ifndef MINIML_CORE_FLOAT_BITS_H_
#define MINIML_CORE_FLOAT_BITS_H_

#include <stdint.h>
#include <string.h>

namespace miniml {

// Where floats are soft (AVR, rv32imc, Cortex-M0/M3; the host too, which tests these forms) a float operation
// is a library call (~120-150 cycles on AVR): kernels and the learning step read bits instead where they can.
// With an FPU (Cortex-M4F/M7) computing the value is cheaper (fewer instructions, less stack).
#if defined(__ARM_FP)
constexpr bool kSoftFloat = false;
#else
constexpr bool kSoftFloat = true;
#endif

namespace detail {
// x's bits as an integer (memcpy: no aliasing question, one register move or none once optimised).
inline uint32_t float_bits(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  return bits;
}
}  // namespace detail

// Quiet NaN without a double constant (avr-libc's NAN is a double and trips -Wdouble-promotion).
inline float nan_f32() { return __builtin_nanf(""); }

// The biased exponent field of x: 255 for Inf and NaN; |x| <= 2^(field - 126) otherwise (zero and
// subnormals have field 0).
inline uint8_t exp_field_f32(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  // Byte-aligned shifts and one bit step (a shift by 23 is a 23-step loop on AVR); the sign falls off.
  const uint16_t high = static_cast<uint16_t>(bits >> 16);
  return static_cast<uint8_t>(static_cast<uint16_t>(high << 1) >> 8);
}

// The exponent field's bits in place (0x7F800000 for Inf and NaN, 0 for zeros and subnormals): on 32-bit cores
// one AND, where exp_field_f32 shifts.
inline uint32_t exp_bits_f32(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  return bits & UINT32_C(0x7F800000);
}
inline bool inf_or_nan_f32(float x) { return exp_bits_f32(x) == UINT32_C(0x7F800000); }
// Not zero, subnormal, Inf or NaN.
inline bool normal_f32(float x) { return exp_bits_f32(x) != 0 && !inf_or_nan_f32(x); }

// True for +0 and -0. On AVR the high half first: one 16-bit test turns away almost every other float (half the
// work of a 32-bit test). Elsewhere one shift drops the sign: no mask constant, which -Os keeps in a saved
// register across a loop's soft-float calls (rv32: a 16 B bigger frame for the float dot).
inline bool is_zero_f32(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
#if defined(__AVR__)
  return (static_cast<uint16_t>(bits >> 16) & 0x7FFFu) == 0 && static_cast<uint16_t>(bits) == 0;
#else
  return (bits << 1) == 0;
#endif
}

// x < 0.0f: false for -0 and NaN. The negative floats other than -0 are the bit patterns 0x80000001 through
// 0xFF800000 (-Inf); above them the negative NaNs.
inline bool below_zero_f32(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  return bits - UINT32_C(0x80000001) < UINT32_C(0x7F800000);
}

}  // namespace miniml

#endif  // MINIML_CORE_FLOAT_BITS_H_
