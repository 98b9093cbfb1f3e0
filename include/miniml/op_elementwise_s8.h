// add_s8 / mul_s8 (+ per-channel forms) / div_s8 / prelu_s8 / clamp_s8 / lut_s8 / concat_part_s8: int8 elementwise
// ops with TFLM ADD / MUL / DIV / PRELU numbers (same-shape operands), and a standalone clamp for ReLU / ReLU6 /
// Hardtanh whose output keeps its input's scale. All in SRAM; output may alias an input (each element is read before it
// is written).
#ifndef MINIML_OP_ELEMENTWISE_S8_H_
#define MINIML_OP_ELEMENTWISE_S8_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_types.h"

namespace miniml {

// Number of bits both inputs are scaled up by before being brought to a common scale (TFLM int8 ADD).
constexpr int8_t kAddLeftShift = 20;

// add_s8 / add_channel_s8 as one named constant (generated code): a [channels][inner]; b the same shape
// (channels = 1 for add_s8), or [channels] for add_channel_s8. Fields as the positional arguments below.
struct AddParams {
  index_t channels, inner;
  int32_t a_zero_point, a_multiplier;
  int8_t a_shift;
  int32_t b_zero_point, b_multiplier;
  int8_t b_shift;
  int32_t output_multiplier;
  int8_t output_shift;
  int32_t output_zero_point, act_min, act_max;
};

// mul_s8 / mul_channel_s8 as one named constant, shaped as AddParams.
struct MulParams {
  index_t channels, inner;
  int32_t a_zero_point, b_zero_point, multiplier;
  int8_t shift;
  int32_t output_zero_point, act_min, act_max;
};

// div_s8 / prelu_s8 / concat_part_s8 as one named constant each (generated code); fields as their positional
// arguments below.
struct DivParams {
  index_t n;
  int32_t a_zero_point, b_zero_point, multiplier;
  int8_t shift;
  int32_t output_zero_point, act_min, act_max;
};

struct PreluParams {
  index_t channels, inner;
  int32_t input_zero_point, multiplier_pos;
  int8_t shift_pos;
  int32_t multiplier_neg;
  int8_t shift_neg;
  int32_t output_zero_point;
};

struct ConcatPartParams {
  index_t outer, part, total, offset;
  int32_t input_zero_point, multiplier;
  int8_t shift;
  int32_t output_zero_point;
};

namespace detail {

// One input of an ADD brought to the common scale: (x - zp) 2^20 scaled by multiplier / shift.
inline int32_t add_input_s8(int32_t x, int32_t zero_point, int32_t multiplier, int8_t shift) {
  // (x - zp) * 2^20 fits int32: |x - zp| <= 255.
  return multiply_by_quantized_multiplier((x - zero_point) * (INT32_C(1) << kAddLeftShift), multiplier, shift);
}

// One ADD input's rescale (add_input_s8) with its constants prepared once, in narrow exact integers (add_s8 on AVR):
// with d = x - zp, TFLM's h = SRDHM(d 2^20, m) = floor((P + 2^30) / 2^31), P = d m 2^20, rounded by 2^s (shift
// -s) halves away from zero, is sign(P) floor((2^20 W + 2^30 + 2^(30+s) [s > 0] - n) / 2^(31+s)) with W = |d m|
// and n = [P < 0] (see requantize_s8_avr); 2^20 divides all but n, so that is floor((W + C - n) / 2^k) with C =
// 2^10 + 2^(10+s) [s > 0] and k = 11 + s, or, scaled by 2^j, j = 16 - k, floor((|d| M + R) / 2^16) with M = |m|
// 2^j (40 bits) and R = (C - n) 2^j < 2^16 (round0, round1): bytes 2..5 of an 8 x 40-bit product. Taken for an int8
// zero point (|d| <= 255) and s in [0, 5] (k <= 16); TFLM's ADD has s >= 0, larger s for inputs whose scales
// differ more than 16-fold. The fields' order is the asm routine's (below): no padding on any target.
struct AddInputScale {
  int16_t zero_point;
  uint8_t negate;  // m < 0 (SUB): P's sign is that of -d
  uint8_t m_hi;
  uint32_t m_lo, round0, round1;

  static bool takes(int32_t zero_point, int8_t shift) {
    return zero_point >= kInt8Min && zero_point <= kInt8Max && shift <= 0 && shift >= -5;
  }
  AddInputScale(int32_t zp, int32_t m, int8_t shift)
      : zero_point(static_cast<int16_t>(zp)),
        negate(m < 0),
        m_hi(0),
        m_lo(negate ? 0u - static_cast<uint32_t>(m) : static_cast<uint32_t>(m)) {
    // M = |m| 2^j, R = 2^(10+j) + 2^15 [s > 0] - n 2^j (2^(10+s) 2^j = 2^15), j = 5 - s: one shift loop
    uint32_t unit = 1;
    for (int8_t j = static_cast<int8_t>(5 + shift); j > 0; --j) {
      m_hi = static_cast<uint8_t>(m_hi << 1 | m_lo >> 31);
      m_lo <<= 1;
      unit <<= 1;
    }
    round0 = (unit << 10) + (shift < 0 ? UINT32_C(1) << 15 : 0u);
    round1 = round0 - unit;
  }
  int32_t operator()(int8_t x) const;
};
static_assert(sizeof(AddInputScale) == 16, "AddInputScale: the asm routine's layout");

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// AddInputScale's rescale as a C-callable routine (x r24, the AddInputScale r23:r22, result r25..r22; only
// call-clobbered registers written): one copy however many ADD layers a model has, ~80 cycles with the call.
// d = x - zp (negated for SUB) in r19:r18, T = d < 0, then |d| times M's five bytes added into R (bytes 0..5 in
// r22..r27), bytes 2..5 returned, negated when T. Carries: with R < 2^16, the sum after byte k of M is below
// 2^16 + 255 (2^(8k+8) - 1) < 2^(8k+16) for k >= 1: byte 0's product carries into byte 2, later ones into no
// byte above their own two.
// clang-format off
__asm__(
    ".ifndef miniml_add_input_avr\n\t"
    ".pushsection .text.miniml_add_input_avr,\"axG\",@progbits,miniml_add_input_avr,comdat\n\t"
    ".weak miniml_add_input_avr\n\t"
    ".type miniml_add_input_avr, @function\n"
    "miniml_add_input_avr:\n\t"
    "movw r30, r22\n\t"
    "mov r18, r24\n\tclr r19\n\tsbrc r18, 7\n\tcom r19\n\t"
    "ld r20, Z\n\tldd r21, Z+1\n\tsub r18, r20\n\tsbc r19, r21\n\t"
    "ldd r20, Z+2\n\ttst r20\n\tbreq 1f\n\t"
    "com r19\n\tneg r18\n\tsbci r19, 0xFF\n\t"
    "1:\n\t"
    "bst r19, 7\n\t"
    "brtc 2f\n\t"
    "neg r18\n\t"
    "ldd r22, Z+12\n\tldd r23, Z+13\n\t"
    "rjmp 3f\n\t"
    "2:\n\t"
    "ldd r22, Z+8\n\tldd r23, Z+9\n\t"
    "3:\n\t"
    "clr r20\n\tclr r24\n\tclr r25\n\tmovw r26, r24\n\t"
    "ldd r21, Z+4\n\tmul r18, r21\n\t"
    "add r22, r0\n\tadc r23, r1\n\tadc r24, r20\n\t"
    "ldd r21, Z+5\n\tmul r18, r21\n\t"
    "add r23, r0\n\tadc r24, r1\n\t"
    "ldd r21, Z+6\n\tmul r18, r21\n\t"
    "add r24, r0\n\tadc r25, r1\n\t"
    "ldd r21, Z+7\n\tmul r18, r21\n\t"
    "add r25, r0\n\tadc r26, r1\n\t"
    "ldd r21, Z+3\n\tmul r18, r21\n\t"
    "add r26, r0\n\tadc r27, r1\n\t"
    "clr __zero_reg__\n\t"
    "movw r22, r24\n\tmovw r24, r26\n\t"
    "brtc 4f\n\t"
    "com r25\n\tcom r24\n\tcom r23\n\tneg r22\n\tsbci r23, 0xFF\n\tsbci r24, 0xFF\n\tsbci r25, 0xFF\n\t"
    "4:\n\t"
    "ret\n\t"
    ".size miniml_add_input_avr, .-miniml_add_input_avr\n\t"
    ".popsection\n\t"
    ".endif");
// clang-format on
}  // namespace detail
}  // namespace miniml
extern "C" int32_t miniml_add_input_avr(int8_t x, const miniml::detail::AddInputScale* scale);
namespace miniml {
namespace detail {
inline int32_t AddInputScale::operator()(int8_t x) const { return miniml_add_input_avr(x, this); }
#else
inline int32_t AddInputScale::operator()(int8_t x) const {
  int16_t d = static_cast<int16_t>(x - zero_point);
  if (negate) d = static_cast<int16_t>(-d);
  const bool n = d < 0;
  const uint64_t m = static_cast<uint64_t>(m_lo) | static_cast<uint64_t>(m_hi) << 32;
  const uint32_t v = static_cast<uint32_t>((static_cast<uint64_t>(n ? -d : d) * m + (n ? round1 : round0)) >> 16);
  return n ? -static_cast<int32_t>(v) : static_cast<int32_t>(v);
}
#endif

// TFLM gives the input of the larger scale the multiplier 1/2 (2^30, shift 0): SRDHM(d 2^20, 2^30) is d 2^19
// exactly (d 2^50 / 2^31 plus a half the floor drops), so add_input_s8 is a shift there.
inline bool add_half(int32_t multiplier, int8_t shift) { return multiplier == INT32_C(1) << 30 && shift == 0; }
// d 2^19 as (8 d) 2^16: a 16-bit product moved into the high half (a 19-bit shift is a loop at -Os). int8 zero point.
MINIML_ALWAYS_INLINE int32_t add_half_s8(int8_t x, int32_t zero_point) {
  const uint16_t d8 = static_cast<uint16_t>((x - static_cast<int16_t>(zero_point)) * 8);
  return static_cast<int32_t>(static_cast<uint32_t>(d8) << 16);
}

// The ADD's output requantisation (requantize_s8_ref) of a sum S from one 16x16 product where that is provably
// exact; false otherwise (the caller then takes requantize_s8_ref). For a multiplier M >= 0 and a right shift r,
// TFLM's two roundings give sign(S) X with X = floor(N / 2^(31+r)), N = |S| M + 2^30 - [S < 0] + 2^(30+r) (see
// requantize_s8_avr). With |S| = s 2^12 + sl (|S| < 2^28: s < 2^16) and M = m 2^j + ml, j = r - 4 (r >= 19: m <
// 2^16), N / 2^(r+8) lies in [q, q + s + E) with q = s m + 2^22 and E = 2^(35-r) + 8 (the left-out s ml 2^12 +
// sl M + 2^30 over 2^(r+8) is below s + 2^(35-r) + 2^(22-r)), so X = q >> 23 whenever q's low 23 bits leave room
// for s + E below 2^23. Shifts by constants only. The ADD's sums reach 2^28 (inputs scaled by up to 2^19) and its
// r is near 20: at most 1 sum in 64 is left to the caller (s + E < 2^17), on vibration_resnet 1 in 384.
struct AddOutputScale {
  uint16_t m;  // M >> (r - 4)
  uint32_t e;  // E
  int8_t zero_point, act_min, act_max;

  static bool fits_int8(int32_t v) { return v >= kInt8Min && v <= kInt8Max; }
  // M >= 0, r in [19, 31], int8 zero point and bounds.
  static bool takes(int32_t multiplier, int8_t shift, int32_t zero_point, int32_t act_min, int32_t act_max) {
    return multiplier >= 0 && shift <= -19 && shift >= -31 && fits_int8(zero_point) && fits_int8(act_min) &&
           fits_int8(act_max);
  }
  AddOutputScale(int32_t multiplier, int8_t shift, int32_t zp, int32_t lo, int32_t hi)
      : m(0),
        e(8),
        zero_point(static_cast<int8_t>(zp)),
        act_min(static_cast<int8_t>(lo)),
        act_max(static_cast<int8_t>(hi)) {
    uint32_t mj = static_cast<uint32_t>(multiplier), e1 = UINT32_C(1) << 16;  // 2^(35-r) for r = 19
    for (int8_t r = -shift; r > 19; --r) e1 >>= 1;
    for (int8_t j = static_cast<int8_t>(-shift - 4); j > 0; --j) mj >>= 1;
    m = static_cast<uint16_t>(mj);
    e += e1;
  }

  MINIML_ALWAYS_INLINE bool operator()(int32_t sum, int8_t* out) const {
    const bool negative = sum < 0;
    const uint32_t magnitude = negative ? 0u - static_cast<uint32_t>(sum) : static_cast<uint32_t>(sum);
    // Whole bytes and nibbles (avr-gcc -Os loops over the bits of 32- and 16-bit shifts).
    const uint8_t b3 = static_cast<uint8_t>(magnitude >> 24);
    if (b3 >= 16) return false;
    const uint8_t b2 = static_cast<uint8_t>(magnitude >> 16), b1 = static_cast<uint8_t>(magnitude >> 8);
    uint16_t s;  // |S| >> 12: bytes 1..3 by nibbles
    uint32_t p;  // s m
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
    uint8_t t;
    __asm__(
        "mov %A0, %2\n\tswap %A0\n\tandi %A0, 0x0F\n\t"
        "mov %1, %3\n\tswap %1\n\tmov %B0, %1\n\tandi %1, 0xF0\n\tor %A0, %1\n\tandi %B0, 0x0F\n\t"
        "mov %1, %4\n\tswap %1\n\tandi %1, 0xF0\n\tor %B0, %1"
        : "=&d"(s), "=&d"(t)
        : "r"(b1), "r"(b2), "r"(b3));
    // four 8-bit muls inline (avr-gcc would call __mulsi3 or __umulhisi3)
    __asm__(
        "mul %A1, %A2\n\tmovw %A0, r0\n\tmul %B1, %B2\n\tmovw %C0, r0\n\t"
        "mul %A1, %B2\n\tadd %B0, r0\n\tadc %C0, r1\n\tclr r1\n\tadc %D0, r1\n\t"
        "mul %B1, %A2\n\tadd %B0, r0\n\tadc %C0, r1\n\tclr r1\n\tadc %D0, r1"
        : "=&r"(p)
        : "r"(s), "r"(m)
        : "r0");
#else
    s = static_cast<uint16_t>((b3 << 12) | (b2 << 4) | (b1 >> 4));
    p = static_cast<uint32_t>(s) * m;
#endif
    const uint32_t q = p + (UINT32_C(1) << 22);
    if (q < p) return false;
    // s + E < 2^18: only a remainder with bits 18..22 set can leave too little room (tested byte-wise first).
    if ((static_cast<uint8_t>(q >> 16) & 0x7Cu) == 0x7Cu && (q & UINT32_C(0x7FFFFF)) + e + s > (UINT32_C(1) << 23)) {
      return false;
    }
    // X = q >> 23 < 2^9: zp +- X fits 16 bits before the clamp.
    const int16_t x = static_cast<int16_t>(static_cast<uint16_t>(q >> 16) >> 7);
    int16_t v = static_cast<int16_t>(negative ? zero_point - x : zero_point + x);
    if (v < act_min) v = act_min;
    if (v > act_max) v = act_max;
    *out = static_cast<int8_t>(v);
    return true;
  }
};

// add_s8_impl's integers with the inputs rescaled by AddInputScale (AVR: ~80 cycles each instead of ~350 for
// multiply_by_quantized_multiplier), the output by AddOutputScale where it takes the constants and the sum.
// For add_scaled_takes' constants.
template <bool kPerChannel>
inline void add_s8_scaled(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                          int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point, int32_t b_multiplier,
                          int8_t b_shift, int32_t output_multiplier, int8_t output_shift, int32_t output_zero_point,
                          int32_t act_min, int32_t act_max, int8_t* output) {
  const AddInputScale sa(a_zero_point, a_multiplier, a_shift), sb(b_zero_point, b_multiplier, b_shift);
  const bool a_half = add_half(a_multiplier, a_shift), b_half = add_half(b_multiplier, b_shift);
  const bool fast_out = AddOutputScale::takes(output_multiplier, output_shift, output_zero_point, act_min, act_max);
  const AddOutputScale so(output_multiplier, output_shift, output_zero_point, act_min, act_max);
  index_t i = 0;
  for (index_t c = 0; c < channels; ++c) {
    const int32_t b_channel = kPerChannel ? (b_half ? add_half_s8(b[c], b_zero_point) : sb(b[c])) : 0;
    for (index_t j = 0; j < inner; ++j, ++i) {
      const int32_t va = a_half ? add_half_s8(a[i], a_zero_point) : sa(a[i]);
      const int32_t vb = kPerChannel ? b_channel : b_half ? add_half_s8(b[i], b_zero_point) : sb(b[i]);
      // The sums AddOutputScale leaves (or all, for constants it does not take) go to the reference requantisation
      // straight: most are past requantize_s8_avr's 24 bits (inputs are scaled by up to 2^19).
      const int32_t sum = va + vb;
      if (fast_out && so(sum, &output[i])) continue;
      output[i] = requantize_s8_ref(sum, output_multiplier, output_shift, output_zero_point, act_min, act_max);
    }
  }
}

inline bool add_scaled_takes(int32_t a_zero_point, int8_t a_shift, int32_t b_zero_point, int8_t b_shift) {
  return AddInputScale::takes(a_zero_point, a_shift) && AddInputScale::takes(b_zero_point, b_shift);
}

// Elements from which add_s8 on a 32-bit core first tabulates both inputs' scaled values (256 each, on the
// stack): each is a function of one int8, so two loads replace two multiply_by_quantized_multiplier calls.
#ifndef MINIML_ADD_TABLE_MIN
#define MINIML_ADD_TABLE_MIN 1024
#endif

// a [channels][inner]; b the same shape, or [channels] (one value per channel) when kPerChannel.
// kTable: through the tables (32-bit cores from MINIML_ADD_TABLE_MIN elements; a template flag, so that
// with generated code's constant sizes a model links only the form it uses).
template <bool kPerChannel, bool kTable>
inline void add_s8_impl(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                        int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point, int32_t b_multiplier,
                        int8_t b_shift, int32_t output_multiplier, int8_t output_shift, int32_t output_zero_point,
                        int32_t act_min, int32_t act_max, int8_t* output) {
  if (kTable) {
    const ChannelRequant requant(output_multiplier, output_shift, output_zero_point, act_min, act_max);
    int32_t scaled_a[256], scaled_b[256];  // indexed by the int8 value + 128
    for (int32_t v = -128; v < 128; ++v) {
      scaled_a[v + 128] = add_input_s8(v, a_zero_point, a_multiplier, a_shift);
      scaled_b[v + 128] = add_input_s8(v, b_zero_point, b_multiplier, b_shift);
    }
    index_t i = 0;
    for (index_t c = 0; c < channels; ++c) {
      for (index_t j = 0; j < inner; ++j, ++i) {
        const int8_t bv = kPerChannel ? b[c] : b[i];
        output[i] = requant(scaled_a[a[i] + 128] + scaled_b[bv + 128]);
      }
    }
    return;
  }
  index_t i = 0;
  for (index_t c = 0; c < channels; ++c) {
    for (index_t j = 0; j < inner; ++j, ++i) {
      const int8_t bv = kPerChannel ? b[c] : b[i];
      output[i] = requantize_s8(add_input_s8(a[i], a_zero_point, a_multiplier, a_shift) +
                                    add_input_s8(bv, b_zero_point, b_multiplier, b_shift),
                                output_multiplier, output_shift, output_zero_point, act_min, act_max);
    }
  }
}

// add_s8_impl with the form chosen by the size.
template <bool kPerChannel>
MINIML_ALWAYS_INLINE void add_s8_any(const int8_t* a, const int8_t* b, index_t channels, index_t inner,
                                     int32_t a_zero_point, int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point,
                                     int32_t b_multiplier, int8_t b_shift, int32_t output_multiplier,
                                     int8_t output_shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                                     int8_t* output) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  if (add_scaled_takes(a_zero_point, a_shift, b_zero_point, b_shift)) {
    add_s8_scaled<kPerChannel>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point, b_multiplier,
                               b_shift, output_multiplier, output_shift, output_zero_point, act_min, act_max, output);
    return;
  }
#elif !defined(__AVR__)
  if (static_cast<uint32_t>(channels) * inner >= MINIML_ADD_TABLE_MIN) {
    add_s8_impl<kPerChannel, true>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point,
                                   b_multiplier, b_shift, output_multiplier, output_shift, output_zero_point, act_min,
                                   act_max, output);
    return;
  }
#endif
  add_s8_impl<kPerChannel, false>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point,
                                  b_multiplier, b_shift, output_multiplier, output_shift, output_zero_point, act_min,
                                  act_max, output);
}

template <bool kPerChannel>
inline void mul_s8_impl(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                        int32_t b_zero_point, int32_t multiplier, int8_t shift, int32_t output_zero_point,
                        int32_t act_min, int32_t act_max, int8_t* output) {
  index_t i = 0;
  for (index_t c = 0; c < channels; ++c) {
    for (index_t j = 0; j < inner; ++j, ++i) {
      const int8_t bv = kPerChannel ? b[c] : b[i];
      const int32_t p = static_cast<int32_t>(a[i] - a_zero_point) * static_cast<int32_t>(bv - b_zero_point);
      output[i] = requantize_s8(p, multiplier, shift, output_zero_point, act_min, act_max);
    }
  }
}

// gemmlowp SaturatingRoundingMultiplyByPOT<e> for e > 0: x * 2^e, saturated.
inline int32_t saturating_shift_left(int32_t x, int8_t e) {
  const int32_t threshold = (INT32_C(1) << (31 - e)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << e);
}

// TFLM GetReciprocal(x, 31, &bits_over_unit) for 0 < x < 2^31: x = 2^bits_over_unit * (1 + a) with a in [0, 1),
// and 1 / (1 + a) in Q0.31 by gemmlowp's one_over_one_plus_x_for_x_in_0_1 (three Newton-Raphson steps in Q2.29
// from 48/17 - 32/17 * d, d = (1 + a) / 2).
inline int32_t reciprocal_q31(int32_t x, int8_t* bits_over_unit) {
  int8_t clz = 0;
  while ((static_cast<uint32_t>(x) << clz & UINT32_C(0x80000000)) == 0) ++clz;
  *bits_over_unit = static_cast<int8_t>(31 - clz);
  const int32_t a = static_cast<int32_t>((static_cast<uint32_t>(x) << clz) - UINT32_C(0x80000000));
  const int32_t half = (a >> 1) + (INT32_C(1) << 30);  // RoundingHalfSum(a, One) for a >= 0
  int32_t r = INT32_C(1515870810) + saturating_rounding_doubling_high_mul(half, INT32_C(-1010580540));
  for (int8_t i = 0; i < 3; ++i) {
    const int32_t one_minus = (INT32_C(1) << 29) - saturating_rounding_doubling_high_mul(half, r);
    r += saturating_shift_left(saturating_rounding_doubling_high_mul(r, one_minus), 2);
  }
  return saturating_shift_left(r, 1);
}

// gemmlowp CountLeadingSignBits of a non-zero int32: the left shift that keeps x in int32.
inline int8_t leading_sign_bits(int32_t x) {
  uint32_t u = x >= 0 ? static_cast<uint32_t>(x) : 2u * (0u - static_cast<uint32_t>(x)) - 1u;
  int8_t n = 0;
  while ((u & UINT32_C(0x80000000)) == 0) {
    u <<= 1;
    ++n;
  }
  return static_cast<int8_t>(x >= 0 ? n - 1 : n);
}

}  // namespace detail

// TFLM DIV: (a - za) / (b - zb) as a - za times the divisor's fixed-point reciprocal, normalised by its leading
// sign bits, then rescaled by multiplier / shift (a_scale / (b_scale * output_scale)). Where TFLM's arithmetic
// is undefined we define it: a zero divisor saturates to act_max / act_min by the dividend's sign (torch: +-inf;
// 0 / 0, NaN, gives the zero point), and a quotient below 2^-31 of a step rounds to the zero point.
inline void div_s8(const int8_t* a, const int8_t* b, index_t n, int32_t a_zero_point, int32_t b_zero_point,
                   int32_t multiplier, int8_t shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                   int8_t* output) {
  for (index_t i = 0; i < n; ++i) {
    int32_t num = static_cast<int32_t>(a[i]) - a_zero_point;
    int32_t den = static_cast<int32_t>(b[i]) - b_zero_point;
    int32_t v = output_zero_point;
    if (den == 0) {
      v = num > 0 ? act_max : (num < 0 ? act_min : output_zero_point);
    } else if (num != 0) {
      if (den < 0) {
        num = -num;
        den = -den;
      }
      int8_t recip_shift;
      const int32_t inv = detail::reciprocal_q31(den, &recip_shift);
      const int8_t headroom = detail::leading_sign_bits(num);
      const int32_t q =
          saturating_rounding_doubling_high_mul(static_cast<int32_t>(static_cast<uint32_t>(num) << headroom), inv);
      const int32_t total = shift - recip_shift - headroom;
      if (total >= -31) v += multiply_by_quantized_multiplier(q, multiplier, static_cast<int8_t>(total));
    }
    if (v < act_min) v = act_min;
    if (v > act_max) v = act_max;
    output[i] = static_cast<int8_t>(v);
  }
}

// div_s8 from a DivParams (always inlined: a constexpr p folds to the constants above).
MINIML_ALWAYS_INLINE void div_s8(const int8_t* a, const int8_t* b, const DivParams& p, int8_t* output) {
  div_s8(a, b, p.n, p.a_zero_point, p.b_zero_point, p.multiplier, p.shift, p.output_zero_point, p.act_min, p.act_max,
         output);
}

// TFLM ADD (and SUB: the same with b_multiplier negated, as TFLM does it):
// a and b go to twice the larger input scale with their own multiplier (shift <= 0), are summed,
// then requantised to the output scale. Each multiplier/shift pair comes from quant/params.py add_params().
MINIML_ALWAYS_INLINE void add_s8(const int8_t* a, const int8_t* b, index_t n, int32_t a_zero_point,
                                 int32_t a_multiplier, int8_t a_shift, int32_t b_zero_point, int32_t b_multiplier,
                                 int8_t b_shift, int32_t output_multiplier, int8_t output_shift,
                                 int32_t output_zero_point, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::add_s8_any<false>(a, b, 1, n, a_zero_point, a_multiplier, a_shift, b_zero_point, b_multiplier, b_shift,
                            output_multiplier, output_shift, output_zero_point, act_min, act_max, output);
}

// add_s8 with b one value per channel (TFLM's broadcast ADD of a [1, C, 1, ...] operand):
// a [channels][inner], b [channels].
MINIML_ALWAYS_INLINE void add_channel_s8(const int8_t* a, const int8_t* b, index_t channels, index_t inner,
                                         int32_t a_zero_point, int32_t a_multiplier, int8_t a_shift,
                                         int32_t b_zero_point, int32_t b_multiplier, int8_t b_shift,
                                         int32_t output_multiplier, int8_t output_shift, int32_t output_zero_point,
                                         int32_t act_min, int32_t act_max, int8_t* output) {
  detail::add_s8_any<true>(a, b, channels, inner, a_zero_point, a_multiplier, a_shift, b_zero_point, b_multiplier,
                           b_shift, output_multiplier, output_shift, output_zero_point, act_min, act_max, output);
}

// add_s8 / add_channel_s8 from an AddParams (always inlined: a constexpr p folds to the constants above).
MINIML_ALWAYS_INLINE void add_s8(const int8_t* a, const int8_t* b, const AddParams& p, int8_t* output) {
  detail::add_s8_any<false>(a, b, p.channels, p.inner, p.a_zero_point, p.a_multiplier, p.a_shift, p.b_zero_point,
                            p.b_multiplier, p.b_shift, p.output_multiplier, p.output_shift, p.output_zero_point,
                            p.act_min, p.act_max, output);
}

MINIML_ALWAYS_INLINE void add_channel_s8(const int8_t* a, const int8_t* b, const AddParams& p, int8_t* output) {
  detail::add_s8_any<true>(a, b, p.channels, p.inner, p.a_zero_point, p.a_multiplier, p.a_shift, p.b_zero_point,
                           p.b_multiplier, p.b_shift, p.output_multiplier, p.output_shift, p.output_zero_point,
                           p.act_min, p.act_max, output);
}

// TFLM MUL: (a - za) * (b - zb) requantised with one multiplier (a_scale * b_scale / output_scale).
inline void mul_s8(const int8_t* a, const int8_t* b, index_t n, int32_t a_zero_point, int32_t b_zero_point,
                   int32_t multiplier, int8_t shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                   int8_t* output) {
  detail::mul_s8_impl<false>(a, b, 1, n, a_zero_point, b_zero_point, multiplier, shift, output_zero_point, act_min,
                             act_max, output);
}

// mul_s8 with b one value per channel: a [channels][inner], b [channels].
inline void mul_channel_s8(const int8_t* a, const int8_t* b, index_t channels, index_t inner, int32_t a_zero_point,
                           int32_t b_zero_point, int32_t multiplier, int8_t shift, int32_t output_zero_point,
                           int32_t act_min, int32_t act_max, int8_t* output) {
  detail::mul_s8_impl<true>(a, b, channels, inner, a_zero_point, b_zero_point, multiplier, shift, output_zero_point,
                            act_min, act_max, output);
}

// mul_s8 / mul_channel_s8 from a MulParams.
MINIML_ALWAYS_INLINE void mul_s8(const int8_t* a, const int8_t* b, const MulParams& p, int8_t* output) {
  detail::mul_s8_impl<false>(a, b, p.channels, p.inner, p.a_zero_point, p.b_zero_point, p.multiplier, p.shift,
                             p.output_zero_point, p.act_min, p.act_max, output);
}

MINIML_ALWAYS_INLINE void mul_channel_s8(const int8_t* a, const int8_t* b, const MulParams& p, int8_t* output) {
  detail::mul_s8_impl<true>(a, b, p.channels, p.inner, p.a_zero_point, p.b_zero_point, p.multiplier, p.shift,
                            p.output_zero_point, p.act_min, p.act_max, output);
}

// TFLM PRELU with one slope per channel: d = input - input_zero_point; d >= 0 is rescaled by the
// "pos" multiplier (input / output scale), d < 0 as d * alpha[c] by the "neg" one (input * alpha / output).
//   input/output [channels][inner] int8 SRAM (may alias); alpha [channels] int8 (zero point 0) through Mem.
template <class Mem>
inline void prelu_s8(const int8_t* input, const int8_t* alpha, int8_t* output, index_t channels, index_t inner,
                     int32_t input_zero_point, int32_t multiplier_pos, int8_t shift_pos, int32_t multiplier_neg,
                     int8_t shift_neg, int32_t output_zero_point) {
  for (index_t c = 0; c < channels; ++c) {
    const int32_t a = Mem::read(alpha + c);
    for (index_t i = 0; i < inner; ++i) {
      const int32_t d = static_cast<int32_t>(input[i]) - input_zero_point;
      output[i] = d >= 0 ? requantize_s8(d, multiplier_pos, shift_pos, output_zero_point, kInt8Min, kInt8Max)
                         : requantize_s8(d * a, multiplier_neg, shift_neg, output_zero_point, kInt8Min, kInt8Max);
    }
    input += inner;
    output += inner;
  }
}

// prelu_s8 from a PreluParams.
template <class Mem>
MINIML_ALWAYS_INLINE void prelu_s8(const int8_t* input, const int8_t* alpha, int8_t* output, const PreluParams& p) {
  prelu_s8<Mem>(input, alpha, output, p.channels, p.inner, p.input_zero_point, p.multiplier_pos, p.shift_pos,
                p.multiplier_neg, p.shift_neg, p.output_zero_point);
}

// output[i] = min(max(input[i], lo), hi): ReLU (lo = zero point), ReLU6, Hardtanh at unchanged scale.
inline void clamp_s8(const int8_t* input, index_t n, int32_t lo, int32_t hi, int8_t* output) {
  for (index_t i = 0; i < n; ++i) {
    int32_t v = input[i];
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    output[i] = static_cast<int8_t>(v);
  }
}

// output[i] = table[input[i] + 128]: any pointwise activation (sigmoid, tanh, ...) as a 256-entry int8
// lookup table computed at export from the float function (exact to that function's quantised value).
//   table [256] int8, Mem (flash); input/output may alias.
template <class Mem>
inline void lut_s8(const int8_t* input, index_t n, const int8_t* table, int8_t* output) {
  for (index_t i = 0; i < n; ++i) {
    output[i] = Mem::read(table + static_cast<uint8_t>(static_cast<int16_t>(input[i]) + 128));
  }
}

// One input of a concatenation, requantised to the output's scale and zero point as TFLM's int8 -> int8
// QUANTIZE does (multiplier/shift from input_scale / output_scale): for o < outer, i < part,
// output[o * total + offset + i] = requant(input[o * part + i] - input_zero_point) + output_zero_point.
// multiplier == 0 means the input already has the output's quantisation: a plain copy.
//   input [outer][part], output [outer][total], both SRAM, no alias.
inline void concat_part_s8(const int8_t* input, int8_t* output, index_t outer, index_t part, index_t total,
                           index_t offset, int32_t input_zero_point, int32_t multiplier, int8_t shift,
                           int32_t output_zero_point) {
  for (index_t o = 0; o < outer; ++o) {
    const int8_t* in = input + o * part;
    int8_t* out = output + o * total + offset;
    for (index_t i = 0; i < part; ++i) {
      out[i] = multiplier == 0 ? in[i]
                               : requantize_s8(static_cast<int32_t>(in[i]) - input_zero_point, multiplier, shift,
                                               output_zero_point, kInt8Min, kInt8Max);
    }
  }
}

// concat_part_s8 from a ConcatPartParams.
MINIML_ALWAYS_INLINE void concat_part_s8(const int8_t* input, int8_t* output, const ConcatPartParams& p) {
  concat_part_s8(input, output, p.outer, p.part, p.total, p.offset, p.input_zero_point, p.multiplier, p.shift,
                 p.output_zero_point);
}

}  // namespace miniml

#endif  // MINIML_OP_ELEMENTWISE_S8_H_
