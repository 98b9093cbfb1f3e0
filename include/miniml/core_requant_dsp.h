// Requantisation of many accumulators of one output channel on the Cortex-M4/M7/M33 DSP extension (the
// conv kernels' output loops): ChannelRequant's fast case with the per-channel arithmetic done once, and
// two outputs clamped at a time as the int16 lanes of a word. The same integers as requantize_s8.
#ifndef MINIML_CORE_REQUANT_DSP_H_
#define MINIML_CORE_REQUANT_DSP_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_types.h"

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
namespace miniml {
namespace detail {

// With e = -shift and h = (acc m + 2^30 - 2^31 [acc < 0]) >> 32 (see ChannelRequant),
// ((h >> (e - 2)) + 1) >> 1 + zp = (h + 2^(e-2) + zp 2^(e-1)) >> (e - 1) (nested floors; zp 2^(e-1) is a
// multiple of the divisor), exact without overflow for e <= 23 (|h| < 2^30): per output the sign's two
// words, SMLAL, an add, a shift and the clamp.
struct RunRequant {
  int32_t multiplier, offset, shift, act_min, act_max;
  uint32_t act_min2, act_max2;  // the bounds in both int16 lanes
  int32_t output_zero_point;
  int8_t channel_shift;  // the channel's own shift, for the slow case
  bool fast;             // else each output takes run_requant_slow
  MINIML_ALWAYS_INLINE RunRequant(int32_t m, int8_t s, int32_t zp, int32_t lo, int32_t hi)
      : multiplier(m),
        offset(0),
        shift(0),
        act_min(lo),
        act_max(hi),
        act_min2(static_cast<uint16_t>(lo) * UINT32_C(0x10001)),
        act_max2(static_cast<uint16_t>(hi) * UINT32_C(0x10001)),
        output_zero_point(zp),
        channel_shift(s),
        fast(s <= -2 && s >= -23 && m >= 0) {
    if (fast) {
      shift = -s - 1;
      offset = (2 * zp + 1) * (INT32_C(1) << (shift - 1));  // 2^(e-2) + zp 2^(e-1)
    }
  }
};

// The rare case (shift above -2 or below -23, negative multiplier): requantize_s8 out of line, so the
// kernels carry no inlined copy of it.
__attribute__((noinline)) inline int8_t requantize_s8_outline(int32_t a, int32_t multiplier, int8_t shift,
                                                              int32_t output_zero_point, int32_t act_min,
                                                              int32_t act_max) {
  return requantize_s8(a, multiplier, shift, output_zero_point, act_min, act_max);
}
// (Scalars, not the struct: its address would keep it in memory in the hot loops.)
MINIML_ALWAYS_INLINE int8_t run_requant_slow(int32_t a, const RunRequant& r) {
  return requantize_s8_outline(a, r.multiplier, r.channel_shift, r.output_zero_point, r.act_min, r.act_max);
}

// One output of RunRequant's fast case.
MINIML_ALWAYS_INLINE int8_t run_requant_one(int32_t a, const RunRequant& r) {
  const int32_t sign = a >> 31;
  // Q' = a m + 2^30 - 2^31 [a < 0]: high word sign, low word 2^30 + sign 2^31, then one SMLAL.
  const uint64_t start = static_cast<uint64_t>(static_cast<uint32_t>(sign)) << 32 |
                         (UINT32_C(0x40000000) + (static_cast<uint32_t>(sign) << 31));
  const int64_t q = static_cast<int64_t>(start) + static_cast<int64_t>(a) * r.multiplier;
  int32_t v = (static_cast<int32_t>(q >> 32) + r.offset) >> r.shift;
  if (v < r.act_min) v = r.act_min;
  if (v > r.act_max) v = r.act_max;
  return static_cast<int8_t>(v);
}

// The fast case of a0 and a1 into the int16 lanes of t0 (t1 scratch, a0 overwritten): both scaled,
// saturated to int8 (SSAT), packed and clamped to (act_min, act_max) by SSUB16/SEL. In asm: the GE flags
// SEL reads are not visible to the compiler.
#define MINIML_REQUANT_PAIR_ASM            \
  "asr %[t0], %[a0], #31\n\t"              \
  "and %[t1], %[a0], #0x80000000\n\t"      \
  "orr %[t1], %[t1], #0x40000000\n\t"      \
  "smlal %[t1], %[t0], %[a0], %[m]\n\t"    \
  "add %[t0], %[t0], %[off]\n\t"           \
  "asr %[t0], %[t0], %[sh]\n\t"            \
  "asr %[a0], %[a1], #31\n\t"              \
  "and %[t1], %[a1], #0x80000000\n\t"      \
  "orr %[t1], %[t1], #0x40000000\n\t"      \
  "smlal %[t1], %[a0], %[a1], %[m]\n\t"    \
  "add %[a0], %[a0], %[off]\n\t"           \
  "asr %[a0], %[a0], %[sh]\n\t"            \
  "ssat %[t0], #8, %[t0]\n\t"              \
  "ssat %[a0], #8, %[a0]\n\t"              \
  "pkhbt %[t0], %[t0], %[a0], lsl #16\n\t" \
  "ssub16 %[t1], %[t0], %[lo]\n\t"         \
  "sel %[t0], %[t0], %[lo]\n\t"            \
  "ssub16 %[t1], %[t0], %[hi]\n\t"         \
  "sel %[t0], %[hi], %[t0]\n\t"
#define MINIML_REQUANT_PAIR_IN(r) \
  [m] "r"((r).multiplier), [off] "r"((r).offset), [sh] "r"((r).shift), [lo] "r"((r).act_min2), [hi] "r"((r).act_max2)

// out[0], out[1] = the fast case of a0, a1.
MINIML_ALWAYS_INLINE void run_requant_pair(int32_t a0, int32_t a1, const RunRequant& r, int8_t* out) {
  int32_t t0, t1;
  __asm__(MINIML_REQUANT_PAIR_ASM
          : [a0] "+&r"(a0), [t0] "=&r"(t0), [t1] "=&r"(t1)
          : [a1] "r"(a1), MINIML_REQUANT_PAIR_IN(r)
          : "cc");
  out[0] = static_cast<int8_t>(t0);
  out[1] = static_cast<int8_t>(t0 >> 16);
}

// out[i] = requant(acc[i]) for i < n, one channel. The fast case two at a time in one asm loop: 13
// instructions per output, the constants in registers.
MINIML_ALWAYS_INLINE void requant_run_s8(const int32_t* acc, index_t n, const RunRequant& r, int8_t* out) {
  if (!r.fast) {
    for (index_t i = 0; i < n; ++i) out[i] = run_requant_slow(acc[i], r);
    return;
  }
  if (n >= 2) {
    const int32_t* end = acc + (n & ~static_cast<index_t>(1));
    int32_t a0, a1, t0, t1;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[a0], %[a1], [%[acc]], #8\n\t" MINIML_REQUANT_PAIR_ASM
        "strb %[t0], [%[out]], #2\n\t"
        "lsr %[t0], %[t0], #16\n\t"
        "strb %[t0], [%[out], #-1]\n\t"
        "ldr %[t1], %[end]\n\t"
        "cmp %[acc], %[t1]\n\t"
        "bne 1b\n\t"
        : [acc] "+r"(acc), [out] "+r"(out), [a0] "=&r"(a0), [a1] "=&r"(a1), [t0] "=&r"(t0), [t1] "=&r"(t1)
        : MINIML_REQUANT_PAIR_IN(r), [end] "m"(end)
        : "cc", "memory");
  }
  if (n & 1) *out = run_requant_one(*acc, r);
}

}  // namespace detail
}  // namespace miniml
#undef MINIML_REQUANT_PAIR_ASM
#undef MINIML_REQUANT_PAIR_IN
#endif

#endif  // MINIML_CORE_REQUANT_DSP_H_
