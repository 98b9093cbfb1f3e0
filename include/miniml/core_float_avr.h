// The float32 dot product of linear_f32: acc + sum_i a[i] * b[i], each product rounded to float32 and then
// each sum, in order: exactly the plain loop (compiled with -ffp-contract=off), which stays as the reference.
// On the ATmega (mul instruction) an asm loop runs it, in one of two forms (avr-libc's soft float is 291
// cycles per tap):
// - by default (size), dot_f32_avr_mul: its own multiply for a product of normal floats that stays normal (a
//   24x24-bit MUL product rounded to nearest-even), avr-libc's __addsf3 for the sum; about 236 cycles per tap
//   for about 360 bytes of flash (the C loop it replaces was about 150). In learning firmware (MINIML_LEARN_SGD)
//   also its own add for a sum of normal floats that stays normal (about 50 cycles less a sum it takes).
// - with -DMINIML_OPTIMIZE_SPEED (export option optimize="speed"), dot_f32_avr: the accumulator stays unpacked
//   between taps and the loop rounds each product and each sum itself; about 185 cycles per tap for about 400
//   bytes more (README: Options).
// Every tap they do not take (an operand or result that is subnormal, Inf or NaN, an overflow, a +-0 product
// on a +-0 sum) goes through avr-libc's own __mulsf3 and __addsf3, so results are avr-libc's bit for bit; a
// NaN is a NaN (avr-libc's __fp_nan leaves register residue in the low half, even in the plain loop).
// test/python/fuzz/test_fuzz_float_mac.py proves both in simavr. Both, and elsewhere where floats are soft
// (rv32imc, Cortex-M0/M3) dot_f32_skip_zeros, skip the taps of +-0 activations (a ReLU's zeros) that cannot
// change the sum; with an FPU the plain loop runs.
#ifndef MINIML_CORE_FLOAT_AVR_H_
#define MINIML_CORE_FLOAT_AVR_H_

#include "core_float_bits.h"
#include "core_rom.h"
#include "core_types.h"

// A header exported with optimize="speed" defines MINIML_OPTIMIZE_SPEED itself; it stops with #error when a
// header that reads the knob (each defines this marker) came first without it.
#ifndef MINIML_OPTIMIZE_SPEED
#define MINIML_SIZE_KERNELS_INCLUDED
#endif

namespace miniml {
namespace detail {

// The C loops below are inlined into linear_f32's row loop where floats are soft and no asm loop takes over
// (rv32, Cortex-M0/M3): out of line, -Os gave the dot a frame of its own below the rows' (32 B more peak
// stack for mlp16 on rv32). Not on AVR, where the register-starved callers would spill instead.
#if defined(__AVR__)
#define MINIML_DOT_F32_INLINE inline
#else
#define MINIML_DOT_F32_INLINE __attribute__((always_inline)) inline
#endif

// The reference: a: RAM floats; b: floats read through Mem (flash or RAM).
template <class Mem>
inline float dot_f32_plain(const float* a, const float* b, index_t n, float acc) {
  for (index_t i = 0; i < n; ++i) acc += a[i] * Mem::read(b + i);
  return acc;
}

// The plain loop without the taps that leave acc as it is, bit for bit: a[i] is +-0 and the weight finite (the
// product is +-0) and acc is a normal float (x + +-0 == x for every normal x; a +-0 sum takes the tap for the
// sign rule of +-0 + +-0, a subnormal, Inf or NaN sum for avr-libc's own handling of them). Integer tests of the
// bits: a few cycles on a non-zero tap, against ~290 on AVR for the soft-float tap a zero saves.
template <class Mem>
MINIML_DOT_F32_INLINE float dot_f32_skip_zeros(const float* a, const float* b, index_t n, float acc) {
  for (index_t i = 0; i < n; ++i) {
    const float w = Mem::read(b + i);
#if defined(__AVR__)
    if (is_zero_f32(a[i]) && exp_field_f32(w) != 255 && static_cast<uint8_t>(exp_field_f32(acc) - 1) < 254) continue;
#else  // both exponent tests on one mask: one constant for -Os to keep in a saved register across the calls
    if (is_zero_f32(a[i]) && !inf_or_nan_f32(w) && normal_f32(acc)) continue;
#endif
    acc += a[i] * w;
  }
  return acc;
}

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__) && defined(__AVR_HAVE_LPMX__)
#if defined(__AVR_HAVE_JMP_CALL__)
#define MINIML_AVR_FCALL "call "
#else
#define MINIML_AVR_FCALL "rcall "
#endif
#if defined(MINIML_OPTIMIZE_SPEED)
// One naked function for both weight memories (one copy of the code in flash), avr-gcc's ABI: a in r25:r24,
// b in r23:r22, n in r21:r20, acc in r19..r16, flash in r14 (1: b is read with lpm, 0: with ld); the result
// in r25..r22. Registers:
//   X = a, Z = b, Y = taps left, r15 = flash, r1 = 0 (r7 = 0 in the multiply, where r1 is taken);
//   accumulator r4 r2 r3 = 24-bit mantissa with its leading 1 (low to high: r3:r2 a movw pair), r5 = biased
//   exponent (0: the sum is +-0, mantissa 0; 255: "raw", r4 r2 r3 r6 then hold the float's bytes and every
//   tap goes the slow way), r6 bit 7 = sign; the T flag: this tap goes the slow way;
//   a tap: x r22..r25, w r18..r21 (as the plain loop hands them to __mulsf3; then their exponents in r25
//   and r21, mantissas below), the 48-bit product r8..r13, its sign r14, its exponent r17:r16; the sum:
//   larger operand r18..r21 and smaller r22..r25 (mantissa << 8: a guard byte below), exponent r10, sign
//   r7, the sticky bits r8 r9.
// Every value the fast path takes is a normal float, so a product is a 24x24-bit integer product rounded
// on its 48 bits, and a sum is exact with 8 guard bits and a sticky bit (Goldberg's guard/round/sticky
// argument); an operand more than 25 binades below the other is only a sticky bit (the shift is clamped).
// A tap the fast path gives up on rewinds both pointers and loads again with T set (one load for both paths).
__attribute__((naked, noinline, noclone)) inline float dot_f32_avr(const float*, const float*, index_t, float,
                                                                   uint8_t) {
  __asm__ volatile(
      "push r2\n\tpush r3\n\tpush r4\n\tpush r5\n\tpush r6\n\tpush r7\n\tpush r8\n\tpush r9\n\t"
      "push r10\n\tpush r11\n\tpush r12\n\tpush r13\n\tpush r14\n\tpush r15\n\tpush r16\n\t"
      "push r17\n\tpush r28\n\tpush r29\n\t"
      "movw r26, r24\n\tmovw r30, r22\n\tmovw r28, r20\n\t"
      "movw r22, r16\n\tmovw r24, r18\n\t"
      "mov r15, r14\n\t"
      "rcall .Lminiml_fmac_unpack\n\t"
      "adiw r28, 1\n\t"
      "rjmp .Lminiml_fmac_next\n"
      ".Lminiml_fmac_done:\n\t"
      "rcall .Lminiml_fmac_pack\n\t"
      "pop r29\n\tpop r28\n\tpop r17\n\tpop r16\n\tpop r15\n\tpop r14\n\tpop r13\n\tpop r12\n\t"
      "pop r11\n\tpop r10\n\tpop r9\n\tpop r8\n\tpop r7\n\tpop r6\n\tpop r5\n\tpop r4\n\tpop r3\n\t"
      "pop r2\n\t"
      "ret\n"
      /* An exponent field 0: x or w is +-0 (product +-0: a nonzero sum stays) or subnormal (slow); here:
         in branch range of the tap's checks. */
      ".Lminiml_fmac_wzero:\n\t"
      "mov r0, r18\n\tor r0, r19\n\tor r0, r20\n\tbrne .Lminiml_fmac_slow\n\t"
      "lsl r24\n\trol r25\n\tcpi r25, 255\n\tbreq .Lminiml_fmac_slow\n"
      ".Lminiml_fmac_zero:\n\t"
      "tst r5\n\tbreq .Lminiml_fmac_slow\n\t"
      "rjmp .Lminiml_fmac_next\n"
      ".Lminiml_fmac_xzero:\n\t"
      "mov r0, r22\n\tor r0, r23\n\tor r0, r24\n\tbrne .Lminiml_fmac_slow\n\t"
      "rjmp .Lminiml_fmac_zero\n"
      /* The fast path gave up: the same tap again, the slow way. */
      ".Lminiml_fmac_slow:\n\t"
      "clr r1\n\tsbiw r26, 4\n\tsbiw r30, 4\n\tset\n\t"
      "rjmp .Lminiml_fmac_tap\n"
      /* The tap through avr-libc, as the plain loop computes it: acc + (a * b). */
      ".Lminiml_fmac_slowcall:\n\t"
      "push r26\n\tpush r27\n\tpush r30\n\tpush r31\n\t" MINIML_AVR_FCALL
      "__mulsf3\n\t"
      "movw r18, r22\n\tmovw r20, r24\n\t"
      "rcall .Lminiml_fmac_pack\n\t" MINIML_AVR_FCALL
      "__addsf3\n\t"
      "rcall .Lminiml_fmac_unpack\n\t"
      "pop r31\n\tpop r30\n\tpop r27\n\tpop r26\n"
      ".Lminiml_fmac_next:\n\t"
      "sbiw r28, 1\n\t"
      "breq .Lminiml_fmac_done\n"
      /* A tap: both operands normal (or a +-0 that leaves a nonzero sum as it is), else slow. */
      ".Lminiml_fmac_tap:\n\t"
      "ld r22, X+\n\tld r23, X+\n\tld r24, X+\n\tld r25, X+\n\t"
      "tst r15\n\tbrne 1f\n\t"
      "ld r18, Z+\n\tld r19, Z+\n\tld r20, Z+\n\tld r21, Z+\n\trjmp 2f\n"
      "1:\n\t"
      "lpm r18, Z+\n\tlpm r19, Z+\n\tlpm r20, Z+\n\tlpm r21, Z+\n"
      "2:\n\t"
      "brts .Lminiml_fmac_slowcall\n\t"
      "mov r14, r21\n\teor r14, r25\n\t"
      "lsl r20\n\trol r21\n\tbreq .Lminiml_fmac_wzero\n\t"
      "cpi r21, 255\n\tbreq .Lminiml_fmac_slow\n\t"
      "lsl r24\n\trol r25\n\tbreq .Lminiml_fmac_xzero\n\t"
      "cpi r25, 255\n\tbreq .Lminiml_fmac_slow\n\t"
      "sec\n\tror r20\n\tsec\n\tror r24\n\t"
      /* 24 x 24 -> 48 bits in r13..r8. The first cross product cannot carry out of r11 (<= 0xFE). */
      "clr r7\n\t"
      "mul r18, r22\n\tmovw r8, r0\n\t"
      "mul r19, r23\n\tmovw r10, r0\n\t"
      "mul r20, r24\n\tmovw r12, r0\n\t"
      "mul r18, r23\n\tadd r9, r0\n\tadc r10, r1\n\tadc r11, r7\n\t"
      "mul r19, r22\n\tadd r9, r0\n\tadc r10, r1\n\tadc r11, r7\n\tadc r12, r7\n\tadc r13, r7\n\t"
      "mul r18, r24\n\tadd r10, r0\n\tadc r11, r1\n\tadc r12, r7\n\tadc r13, r7\n\t"
      "mul r20, r22\n\tadd r10, r0\n\tadc r11, r1\n\tadc r12, r7\n\tadc r13, r7\n\t"
      "mul r19, r24\n\tadd r11, r0\n\tadc r12, r1\n\tadc r13, r7\n\t"
      "mul r20, r23\n\tadd r11, r0\n\tadc r12, r1\n\tadc r13, r7\n\t"
      "clr r1\n\t"
      /* Biased product exponent minus 1 in r17:r16: ex + ew - 127 for a product >= 2, else one less. */
      "mov r16, r21\n\tadd r16, r25\n\tmov r17, r1\n\tadc r17, r1\n\t"
      "subi r16, 127\n\tsbci r17, 0\n\t"
      "sbrc r13, 7\n\trjmp 4f\n\t"
      "lsl r8\n\trol r9\n\trol r10\n\trol r11\n\trol r12\n\trol r13\n\t"
      "subi r16, 1\n\tsbci r17, 0\n"
      "4:\n\t"
      /* Out of the normal range before rounding (a subnormal or overflowing product): slow. */
      "cpi r16, 254\n\tcpc r17, r1\n\tbrlo 5f\n\trjmp .Lminiml_fmac_slow\n"
      "5:\n\t"
      "inc r16\n\t"
      /* Round r13:r12:r11 to nearest-even on r10 (guard byte) and r9 r8 (sticky). */
      "sbrs r10, 7\n\trjmp 6f\n\t"
      "or r8, r9\n\tlsl r10\n\tor r10, r8\n\tbrne 5f\n\t"
      "sbrs r11, 0\n\trjmp 6f\n"
      "5:\n\t"
      "sec\n\tadc r11, r1\n\tadc r12, r1\n\tadc r13, r1\n\tbrcc 6f\n\t"
      "ror r13\n\tinc r16\n\tcpi r16, 255\n\tbrne 6f\n\trjmp .Lminiml_fmac_slow\n"
      /* 8 bits or more: whole bytes, then bits; what leaves r22 is the sticky bit (r8 r9); out of
         line here, in branch range. */
      ".Lminiml_fmac_far:\n\t"
      "clr r8\n\tclr r9\n"
      "1:\n\t"
      "or r8, r22\n\tmov r22, r23\n\tmov r23, r24\n\tmov r24, r25\n\tclr r25\n\tsubi r16, 8\n\t"
      "cpi r16, 8\n\tbrsh 1b\n\t"
      "tst r16\n\tbreq 2f\n"
      "1:\n\t"
      "lsr r25\n\tror r24\n\tror r23\n\tror r22\n\tror r9\n\tdec r16\n\tbrne 1b\n"
      "2:\n\t"
      "or r8, r9\n\tbreq 14f\n\tori r22, 1\n\t"
      "rjmp 14f\n"
      "6:\n\t"
      /* Sum: larger + aligned smaller, exponent difference in r16. A +-0 sum (exponent 0, mantissa 0) is
         the smaller: the product comes out as it is. */
      "mov r17, r6\n\teor r17, r14\n\t"
      "clr r18\n\tclr r22\n\t"
      "cp r5, r16\n\tbrlo 8f\n\t"
      "mov r10, r5\n\tmov r7, r6\n\tneg r16\n\tadd r16, r5\n\t"
      "mov r19, r4\n\tmovw r20, r2\n\t"
      "mov r23, r11\n\tmovw r24, r12\n\t"
      "rjmp 9f\n"
      "8:\n\t"
      "mov r10, r16\n\tmov r7, r14\n\tsub r16, r5\n\t"
      "mov r19, r11\n\tmovw r20, r12\n\t"
      "mov r23, r4\n\tmovw r24, r2\n"
      "9:\n\t"
      /* Beyond 25 binades the smaller is only a sticky bit: clamp the shift, the sum rounds right. */
      "cpi r16, 26\n\tbrlo 1f\n\tldi r16, 26\n"
      "1:\n\t"
      "cpi r16, 8\n\tbrsh .Lminiml_fmac_far\n\t"
      /* Less than 8 bits: what leaves r22 (the smaller's guard byte, 0) is 0, no sticky bit. */
      "tst r16\n\tbreq 14f\n"
      "12:\n\t"
      "lsr r25\n\tror r24\n\tror r23\n\tror r22\n\tdec r16\n\tbrne 12b\n"
      "14:\n\t"
      "sbrc r17, 7\n\trjmp 15f\n\t"
      "add r18, r22\n\tadc r19, r23\n\tadc r20, r24\n\tadc r21, r25\n\tbrcc .Lminiml_fmac_round\n\t"
      "ror r21\n\tror r20\n\tror r19\n\tror r18\n\tbrcc 1f\n\tori r18, 1\n"
      "1:\n\t"
      "inc r10\n\tmov r0, r10\n\tinc r0\n\tbrne .Lminiml_fmac_round\n\t"
      "rjmp .Lminiml_fmac_slow\n"
      "15:\n\t"
      "sub r18, r22\n\tsbc r19, r23\n\tsbc r20, r24\n\tsbc r21, r25\n\tbrcc 16f\n\t"
      "com r21\n\tcom r20\n\tcom r19\n\tneg r18\n\tsbci r19, 0xFF\n\tsbci r20, 0xFF\n\tsbci r21, 0xFF\n\t"
      "mov r7, r14\n"
      "16:\n\t"
      "mov r0, r18\n\tor r0, r19\n\tor r0, r20\n\tor r0, r21\n\tbrne 17f\n\t"
      "clr r2\n\tclr r3\n\tclr r4\n\tclr r5\n\tclr r6\n\trjmp .Lminiml_fmac_next\n"
      "17:\n\t"
      "sbrc r21, 7\n\trjmp .Lminiml_fmac_round\n\t"
      "lsl r18\n\trol r19\n\trol r20\n\trol r21\n\tdec r10\n\tbrne 17b\n\t"
      "rjmp .Lminiml_fmac_slow\n"
      ".Lminiml_fmac_round:\n\t"
      "sbrs r18, 7\n\trjmp .Lminiml_fmac_commit\n\t"
      "andi r18, 0x7F\n\tbrne 1f\n\t"
      "sbrs r19, 0\n\trjmp .Lminiml_fmac_commit\n"
      "1:\n\t"
      "subi r19, 0xFF\n\tsbci r20, 0xFF\n\tsbci r21, 0xFF\n\tbrcs .Lminiml_fmac_commit\n\t"
      "ldi r21, 0x80\n\tinc r10\n\tmov r0, r10\n\tinc r0\n\tbrne .Lminiml_fmac_commit\n\t"
      "rjmp .Lminiml_fmac_slow\n"
      ".Lminiml_fmac_commit:\n\t"
      "mov r4, r19\n\tmovw r2, r20\n\tmov r5, r10\n\tmov r6, r7\n\t"
      "rjmp .Lminiml_fmac_next\n"
      /* r25..r22 (a float) -> the accumulator registers; T set when it is raw. */
      ".Lminiml_fmac_unpack:\n\t"
      "mov r4, r22\n\tmov r2, r23\n\tmov r3, r24\n\tmov r6, r25\n\tclt\n\t"
      "mov r0, r24\n\tlsl r0\n\tmov r5, r25\n\trol r5\n\tbreq 1f\n\t"
      "mov r0, r5\n\tinc r0\n\tbreq 2f\n\t"
      "lsl r3\n\tsec\n\tror r3\n\tret\n"
      "1:\n\t"
      "mov r0, r4\n\tor r0, r2\n\tor r0, r3\n\tbreq 3f\n"
      "2:\n\t"
      "clr r5\n\tdec r5\n\tset\n"
      "3:\n\t"
      "ret\n"
      /* The accumulator registers -> r25..r22. */
      ".Lminiml_fmac_pack:\n\t"
      "mov r22, r4\n\tmov r23, r2\n\tmov r24, r3\n\tmov r25, r6\n\t"
      "mov r0, r5\n\tinc r0\n\tbreq 2f\n\t"
      "andi r25, 0x80\n\t"
      "tst r5\n\tbreq 1f\n\t"
      "lsl r24\n\tmov r0, r5\n\tlsr r0\n\tror r24\n\tor r25, r0\n\t"
      "ret\n"
      "1:\n\t"
      "clr r22\n\tclr r23\n\tclr r24\n"
      "2:\n\t"
      "ret\n" ::);
}
#endif
#if !defined(MINIML_OPTIMIZE_SPEED) || defined(MINIML_LEARN_SGD)
// The size build's loop (no MINIML_OPTIMIZE_SPEED; with it, only for the SGD step below): its own multiply for
// the common product, avr-libc's __addsf3 for the sum (in learning firmware its own add for the common sum, below).
// The product of two normal floats whose biased exponents give 1
// <= ex + ew - 127 <= 252 is normal before and after rounding (no subnormal, no overflow, a rounding carry stays below
// 255): a 24x24-bit integer product rounded to nearest-even on its 48 bits (a guard bit and a sticky bit), the value
// __mulsf3 returns for it. Every other product goes through __mulsf3 itself; an activation +-0 with a finite weight and
// a normal sum skips the tap (dot_f32_skip_zeros' rule). avr-gcc's ABI: acc in r25..r22, a in r21:r20, b in r19:r18, n
// in r17:r16 with bit 15 set when b is in flash (read with lpm; else ld; n < 2^14); the result in r25..r22. Registers:
//   Y = a, r13:r12 = b, r11:r10 = the end of a, r9 bit 7 = flash, acc r17..r14 (a float, as __addsf3 takes it);
//   a tap: x r25..r22, w r21..r18 (__mulsf3's operands); r27 = ew - 1, r26 = ex, then ex + ew - 128, then the
//   result's biased exponent; the product: sign T, bytes (high to low) r18 r31 r27 r25, the OR of the two
//   lowest r30; r21 = 0 (r1 is the multiplier's); then the rounded float in r21..r18 (__addsf3's second operand).
// With MINIML_LEARN_SGD (a header whose learn() steps with plain SGD defines it) n's bit 14 asks for the SGD
// step of a Linear weight row instead, train_sgd.h's linear_weight_sgd_f32: acc = -step (-(lr * g)), a = the
// row's input, b = the row (RAM, written); each weight w becomes w + x * (-step), bit for bit w - step * x (the
// negation is exact, rounding to nearest symmetric, __subsf3 is __addsf3 with the sign flipped), one tap of the
// loop above with acc = w. A +-0 x skips its weight unless the weight's top byte is 0x80 (zero_step_keeps_f32,
// the C loop's rule, keeps every weight but -0; such a weight takes the tap, whose own +-0 rule or avr-libc
// gives w + +-0 exactly as the C loop: -0 computed, a normal or subnormal weight kept). The row's state:
// r5..r2 = -step, r13:r12 = the weight (.loaded keeps Z there), r11:r10 = the end of the input; the loop's head
// (.next) stores the weight after its tap (r9 bit 6). In learning firmware only (a header without it keeps the
// loop as it was; a learning header included after this file came without it keeps train_sgd.h's C loop, the
// same bits); with the add below, 218 bytes more than the predict-only loop (344).
#if defined(MINIML_LEARN_SGD)
#define MINIML_SGD_DOT 1
#define MINIML_FMUL_SGD_ENTRY "sbrc r9, 6\n\trjmp .Lminiml_fmul_sgd\n\t"
#define MINIML_FMUL_SGD_NEXT "sbrc r9, 6\n\trjmp .Lminiml_fmul_sgd_store\n\t"
#define MINIML_FMUL_SGD_ROW                                                                   \
  ".Lminiml_fmul_sgd:\n\t"                                                                    \
  "push r2\n\tpush r3\n\tpush r4\n\tpush r5\n\t"                                              \
  "movw r2, r14\n\tmovw r4, r16\n"                                                            \
  ".Lminiml_fmul_sgd_next:\n\t"                                                               \
  "cp r28, r10\n\tcpc r29, r11\n\tbreq .Lminiml_fmul_sgd_end\n\t"                             \
  "ld r22, Y+\n\tld r23, Y+\n\tld r24, Y+\n\tld r25, Y+\n\t"                                  \
  "movw r30, r12\n\t"                                                                         \
  "movw r26, r24\n\tandi r27, 0x7F\n\tor r26, r27\n\tor r26, r23\n\tor r26, r22\n\tbreq 2f\n" \
  "1:\n\t"                                                                                    \
  "ld r14, Z\n\tldd r15, Z+1\n\tldd r16, Z+2\n\tldd r17, Z+3\n\t"                             \
  "movw r18, r2\n\tmovw r20, r4\n\t"                                                          \
  "rjmp .Lminiml_fmul_loaded\n"                                                               \
  "2:\n\t"                                                                                    \
  "ldd r26, Z+3\n\tcpi r26, 0x80\n\tbreq 1b\n\t"                                              \
  "adiw r30, 4\n"                                                                             \
  ".Lminiml_fmul_sgd_skip:\n\t"                                                               \
  "movw r12, r30\n\t"                                                                         \
  "rjmp .Lminiml_fmul_sgd_next\n"                                                             \
  ".Lminiml_fmul_sgd_store:\n\t"                                                              \
  "movw r30, r12\n\tst Z+, r14\n\tst Z+, r15\n\tst Z+, r16\n\tst Z+, r17\n\t"                 \
  "rjmp .Lminiml_fmul_sgd_skip\n"                                                             \
  ".Lminiml_fmul_sgd_end:\n\t"                                                                \
  "pop r5\n\tpop r4\n\tpop r3\n\tpop r2\n\t"                                                  \
  "rjmp .Lminiml_fmul_ret\n"
// The sum's own add (learning firmware only), fused to the product the loop just rounded (r18 r31 r27, exponent
// r26, sign T): acc + p when acc is normal, its exponent e at most 253 and d = e - p's (r23) at least 0, at least 2
// when the signs differ (r22 bit 7): a difference then loses at most one bit (no cancellation), and the sum stays
// normal (no carry and rounding carry add up past 254). p's significand shifted right by d into a guard byte r25:
// bits first (none leave the empty guard byte), then bytes, what leaves OR-ed into the sticky byte r30; a sum's
// carry shifts right (the guard byte's bits all land among the sticky bits); a difference is acc + ~p + (no sticky
// bits): the sticky bits borrow one unit of the guard byte and stay set (Goldberg), then the product's own one-bit
// normalisation. The sum goes through the product's rounding and packing (r24 = 0 after the shift loop tells
// them apart), then into acc; every other sum: the product packed (r24 bit 7 still set by the multiply), __addsf3.
// 118 bytes.
#define MINIML_FMUL_ADD_FAST                                                                        \
  "sbrs r24, 7\n\trjmp 47f\n\t"                                                                     \
  "movw r22, r16\n\tlsl r22\n\trol r23\n\tcpi r23, 254\n\tbrsh 47f\n\tsub r23, r26\n\tbrcs 47f\n\t" \
  "bld r22, 7\n\teor r22, r17\n\tbrpl 41f\n\tcpi r23, 2\n\tbrlo 47f\n"                              \
  "41:\n\t"                                                                                         \
  "bst r17, 7\n\tadd r26, r23\n\tori r16, 0x80\n\tori r18, 0x80\n\tclr r25\n\tclr r30\n\t"          \
  "mov r24, r23\n\tandi r24, 7\n\tbreq 43f\n"                                                       \
  "42:\n\t"                                                                                         \
  "lsr r18\n\tror r31\n\tror r27\n\tror r25\n\tdec r24\n\tbrne 42b\n"                               \
  "43:\n\t"                                                                                         \
  "subi r23, 8\n\tbrcs 44f\n\t"                                                                     \
  "or r30, r25\n\tmov r25, r27\n\tmov r27, r31\n\tmov r31, r18\n\tclr r18\n\trjmp 43b\n"            \
  "44:\n\t"                                                                                         \
  "clc\n\tsbrs r22, 7\n\trjmp 45f\n\t"                                                              \
  "com r25\n\tcom r27\n\tcom r31\n\tcom r18\n\tcpi r30, 1\n"                                        \
  "45:\n\t"                                                                                         \
  "adc r25, r1\n\tadc r27, r14\n\tadc r31, r15\n\tadc r18, r16\n\t"                                 \
  "sbrc r22, 7\n\trjmp .Lminiml_fmul_norm\n\tbrcc 1f\n\t"                                           \
  "or r30, r25\n\tror r18\n\tror r31\n\tror r27\n\tror r25\n\tinc r26\n"                            \
  "1:\n\t"                                                                                          \
  "rjmp .Lminiml_fmul_round\n"                                                                      \
  "47:\n\t"
// Two exponent fields read with a movw, a word shorter each than the predict-only loop's forms (kept for its bytes):
// w's into r27 (r26 is x's next) and, on a +-0 x, acc's into r27 (w's is no longer needed).
#define MINIML_FMUL_W_EXP "movw r26, r20\n\tlsl r26\n\trol r27\n\t"
#define MINIML_FMUL_ACC_NORMAL "movw r26, r16\n\tlsl r26\n\trol r27\n\tsubi r27, 1\n\tcpi r27, 254\n\t"
#define MINIML_FMUL_PACKED \
  "sbrc r24, 7\n\trjmp .Lminiml_fmul_add\n\tmovw r14, r18\n\tmovw r16, r20\n\trjmp .Lminiml_fmul_next\n"
#else
#define MINIML_FMUL_SGD_ENTRY ""
#define MINIML_FMUL_SGD_NEXT ""
#define MINIML_FMUL_SGD_ROW ""
#define MINIML_FMUL_ADD_FAST ""
#define MINIML_FMUL_PACKED "rjmp .Lminiml_fmul_add\n"
#define MINIML_FMUL_W_EXP "mov r27, r20\n\tlsl r27\n\tmov r27, r21\n\trol r27\n\t"
#define MINIML_FMUL_ACC_NORMAL "mov r26, r16\n\tlsl r26\n\tmov r26, r17\n\trol r26\n\tsubi r26, 1\n\tcpi r26, 254\n\t"
#endif
__attribute__((naked, noinline, noclone)) inline float dot_f32_avr_mul(float, const float*, const float*, index_t) {
  __asm__ volatile(
      "push r9\n\tpush r10\n\tpush r11\n\tpush r12\n\tpush r13\n\tpush r14\n\tpush r15\n\tpush r16\n\t"
      "push r17\n\tpush r28\n\tpush r29\n\t"
      "mov r9, r17\n\tmovw r10, r16\n\tmovw r14, r22\n\tmovw r16, r24\n\tmovw r28, r20\n\tmovw r12, r18\n\t"
      "lsl r10\n\trol r11\n\tlsl r10\n\trol r11\n\tadd r10, r28\n\tadc r11, r29\n\t" MINIML_FMUL_SGD_ENTRY
      "rjmp .Lminiml_fmul_next\n"
      ".Lminiml_fmul_done:\n\t"
      "movw r22, r14\n\tmovw r24, r16\n"
      ".Lminiml_fmul_ret:\n\t"
      "pop r29\n\tpop r28\n\tpop r17\n\tpop r16\n\tpop r15\n\tpop r14\n\tpop r13\n\tpop r12\n\tpop r11\n\t"
      "pop r10\n\tpop r9\n\t"
      "ret\n"
      /* x's exponent field is 0: +-0 (then a finite w makes a +-0 product, which leaves a normal sum as it
         is) or subnormal. */
      ".Lminiml_fmul_xzero:\n\t"
      "mov r0, r22\n\tor r0, r23\n\tor r0, r24\n\tbrne .Lminiml_fmul_slow\n\t" MINIML_FMUL_ACC_NORMAL
      "brlo .Lminiml_fmul_next\n"
      /* The tap as the plain loop computes it: acc + (x * w). */
      ".Lminiml_fmul_slow:\n\t" MINIML_AVR_FCALL
      "__mulsf3\n\t"
      "movw r18, r22\n\tmovw r20, r24\n"
      ".Lminiml_fmul_add:\n\t"
      "movw r22, r14\n\tmovw r24, r16\n\t" MINIML_AVR_FCALL
      "__addsf3\n\t"
      "movw r14, r22\n\tmovw r16, r24\n"
      ".Lminiml_fmul_next:\n\t" MINIML_FMUL_SGD_NEXT
      "cp r28, r10\n\tcpc r29, r11\n\tbreq .Lminiml_fmul_done\n\t"
      "ld r22, Y+\n\tld r23, Y+\n\tld r24, Y+\n\tld r25, Y+\n\t"
      "movw r30, r12\n\t"
      "sbrs r9, 7\n\trjmp .Lminiml_fmul_ram\n\t"
      "lpm r18, Z+\n\tlpm r19, Z+\n\tlpm r20, Z+\n\tlpm r21, Z+\n"
      ".Lminiml_fmul_loaded:\n\t"
      "movw r12, r30\n\t"
      /* The exponent fields; the fast product needs both in 1..254 and ex + ew - 128 in 0..251. */
      MINIML_FMUL_W_EXP
      "subi r27, 1\n\tcpi r27, 254\n\tbrsh .Lminiml_fmul_slow\n\t"
      "mov r26, r24\n\tlsl r26\n\tmov r26, r25\n\trol r26\n\tbreq .Lminiml_fmul_xzero\n\t"
      "cpi r26, 255\n\tbreq .Lminiml_fmul_slow\n\t"
      "add r26, r27\n\tbrcc 1f\n\t"
      "cpi r26, 123\n\tbrsh .Lminiml_fmul_slow\n\trjmp 2f\n"
      "1:\n\t"
      "cpi r26, 127\n\tbrlo .Lminiml_fmul_slow\n"
      "2:\n\t"
      "subi r26, 127\n\t"
      "eor r25, r21\n\tbst r25, 7\n\tclr r21\n\tori r24, 0x80\n\tori r20, 0x80\n\t"
      /* 24 x 24 -> 48 bits, by columns of equal weight; a carry register starts at 0 (clr keeps C). */
      "mul r22, r18\n\tmovw r30, r0\n\t"
      "mul r23, r18\n\tadd r31, r0\n\tadc r1, r21\n\tmov r25, r1\n\t"
      "mul r22, r19\n\tclr r27\n\tadd r31, r0\n\tadc r25, r1\n\tadc r27, r21\n\t"
      "or r30, r31\n\t"
      "mul r24, r18\n\tclr r31\n\tadd r25, r0\n\tadc r27, r1\n\tadc r31, r21\n\t"
      "mul r22, r20\n\tadd r25, r0\n\tadc r27, r1\n\tadc r31, r21\n\t"
      "mul r23, r19\n\tadd r25, r0\n\tadc r27, r1\n\tadc r31, r21\n\t"
      "mul r24, r19\n\tclr r18\n\tadd r27, r0\n\tadc r31, r1\n\tadc r18, r21\n\t"
      "mul r23, r20\n\tadd r27, r0\n\tadc r31, r1\n\tadc r18, r21\n\t"
      "mul r24, r20\n\tadd r31, r0\n\tadc r18, r1\n\t"
      "clr r1\n\t"
      /* The biased exponent: ex + ew - 127 for a product in [1, 2) (then one bit left), one more in [2, 4). */
      "subi r26, 0xFE\n\t"
      ".Lminiml_fmul_norm:\n\t"
      "sbrc r18, 7\n\trjmp .Lminiml_fmul_round\n\t"
      "dec r26\n\tlsl r25\n\trol r27\n\trol r31\n\trol r18\n"
      ".Lminiml_fmul_round:\n\t"
      /* Round to nearest-even: r25 bit 7 the guard bit, the rest of r25 and r30 the sticky bits. */
      "lsl r25\n\tbrcc 3f\n\t"
      "or r25, r30\n\tbrne 2f\n\t"
      "sbrs r27, 0\n\trjmp 3f\n"
      "2:\n\t"
      "subi r27, 0xFF\n\tsbci r31, 0xFF\n\tsbci r18, 0xFF\n\tbrcs 3f\n\t"
      "inc r26\n"
      "3:\n\t" MINIML_FMUL_ADD_FAST
      "mov r20, r18\n\tmov r19, r31\n\tmov r18, r27\n\t"
      "lsl r20\n\tlsr r26\n\tror r20\n\tmov r21, r26\n\tbld r21, 7\n\t" MINIML_FMUL_PACKED
      ".Lminiml_fmul_ram:\n\t"
      "ld r18, Z+\n\tld r19, Z+\n\tld r20, Z+\n\tld r21, Z+\n\t"
      "rjmp .Lminiml_fmul_loaded\n" MINIML_FMUL_SGD_ROW ::);
}
#undef MINIML_FMUL_SGD_ENTRY
#undef MINIML_FMUL_SGD_NEXT
#undef MINIML_FMUL_SGD_ROW
#undef MINIML_FMUL_ADD_FAST
#undef MINIML_FMUL_PACKED
#undef MINIML_FMUL_W_EXP
#undef MINIML_FMUL_ACC_NORMAL
#endif
#undef MINIML_AVR_FCALL

// The build's asm loop: flash 1 reads b with lpm, 0 with ld.
inline float dot_f32_asm(const float* a, const float* b, index_t n, float acc, uint8_t flash) {
#if defined(MINIML_OPTIMIZE_SPEED)
  return dot_f32_avr(a, b, n, acc, flash);
#else
  return dot_f32_avr_mul(acc, a, b, static_cast<index_t>(n | (flash ? 0x8000u : 0u)));
#endif
}

template <class Mem>
inline float dot_f32(const float* a, const float* b, index_t n, float acc) {
  return dot_f32_plain<Mem>(a, b, n, acc);
}
template <>
inline float dot_f32<Rom>(const float* a, const float* b, index_t n, float acc) {
  return dot_f32_asm(a, b, n, acc, 1);
}
template <>
inline float dot_f32<Ram>(const float* a, const float* b, index_t n, float acc) {
  return dot_f32_asm(a, b, n, acc, 0);
}
#else
template <class Mem>
MINIML_DOT_F32_INLINE float dot_f32(const float* a, const float* b, index_t n, float acc) {
  return kSoftFloat ? dot_f32_skip_zeros<Mem>(a, b, n, acc) : dot_f32_plain<Mem>(a, b, n, acc);
}
#endif

#undef MINIML_DOT_F32_INLINE

}  // namespace detail
}  // namespace miniml

#endif  // MINIML_CORE_FLOAT_AVR_H_
