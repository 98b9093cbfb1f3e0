// linear_acc24_s8's layer on the ATmega (flash weights): one asm routine runs every row, the dot in 24 bits and
// the requantisation by requantize_s8_avr's routine, with every pointer and count in registers that routine leaves
// alone, so nothing is spilled or reloaded per output. Same integers as linear_s8_ref within linear_acc24_s8's
// domain (test/python/quant/test_avr_asm.py checks it at every optimisation level).
#ifndef MINIML_OP_LINEAR_S8_AVR_H_
#define MINIML_OP_LINEAR_S8_AVR_H_

#include <stdint.h>

#include "core_fixedpoint.h"

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__) && defined(__AVR_HAVE_LPMX__)
#define MINIML_LINEAR_S8_AVR 1

namespace miniml {
namespace detail {

// The sum is kept as c 2^16 + s, s a signed 16-bit value (r23:r22) and c a byte (r24): a tap adds its product to s
// as a signed 16-bit add, and only when that overflows (V set; rare) does c change, by +1 or -1 after the true
// sign (S). One tap: ld 2 + lpm 3 + muls 2 + add 2 + brvs 1 = 10 cycles.
#define MINIML_AVR_LINEAR_TAP(K)   \
  "ld r16, X+\n\t"                 \
  "lpm r18, Z+\n\t"                \
  "muls r16, r18\n\t"              \
  "add r22, r0\n\tadc r23, r1\n\t" \
  "brvs 1" #K                      \
  "b\n"                            \
  "2" #K ":\n\t"
// Tap K's way out (placed before it, in a branch's reach) to the shared fix at label 9 and back.
#define MINIML_AVR_LINEAR_FIX(K) \
  "1" #K                         \
  ":\n\t"                        \
  "rcall 9f\n\t"                 \
  "rjmp 2" #K "f\n"
// The routine. In: input r24:25, weight r22:23, bias r20:21, multiplier r18:19, shift r26:27, output r30:31 (each
// pointer to the layer's first row), in_features r17 as in_features / 4 (bits 0..5) and in_features % 4 (bits 6, 7), so
// that a row reads either count in two cycles, rows r15 (>= 1), zero point r14, act_min r12, act_max r10. Changes r0,
// r18..r27, r30, r31 (r1 left zero). Per row: the sum starts as the bias's low 3 bytes (the true sum fits 24 bits, so
// sums modulo 2^24 are exact), 4 taps per loop pass (8 save 6 cycles a row for 64 bytes) then single taps, the sum back
// to two's complement and sign-extended, the multiplier into r18..r21, e = -shift - 2 into r16, requantize_s8_avr's
// routine (skipped where a fused ReLU clamps: label 40), the byte stored through Y. Kept across that routine (it only
// changes r0, r18..r27, r30, r31): input r2:3, weights r4:5, bias r6:7, multiplier r8:9, shift - output r11/r13, output
// Y, rows left r15.
// Top-level asm in a COMDAT section, as requantize_s8_avr's routine (see there).
// clang-format off
__asm__(
    ".ifndef miniml_linear_s8_avr\n\t"
    ".pushsection .text.miniml_linear_s8_avr,\"axG\",@progbits,miniml_linear_s8_avr,comdat\n\t"
    ".weak miniml_linear_s8_avr\n\t"
    ".type miniml_linear_s8_avr, @function\n"
    "miniml_linear_s8_avr:\n\t"
    "push r2\n\tpush r3\n\tpush r4\n\tpush r5\n\tpush r6\n\tpush r7\n\tpush r8\n\tpush r9\n\t"
    "push r11\n\tpush r13\n\tpush r15\n\tpush r16\n\tpush r28\n\tpush r29\n\t"
    "movw r2, r24\n\tmovw r4, r22\n\tmovw r6, r20\n\tmovw r8, r18\n\t"
    "sub r26, r30\n\tsbc r27, r31\n\t"
    "mov r11, r26\n\tmov r13, r27\n\t"
    "movw r28, r30\n"
    "1:\n\t"
    "movw r26, r2\n\t"
    "movw r30, r6\n\t"
    "lpm r22, Z+\n\tlpm r23, Z+\n\tlpm r24, Z+\n\t"
    "adiw r30, 1\n\t"
    "movw r6, r30\n\t"
    "movw r30, r4\n\t"
    "sbrc r23, 7\n\tinc r24\n\t"  // c for s = the low 16 bits as signed
    "mov r20, r17\n\tandi r20, 0x3F\n\t"
    "brne 2f\n\t"
    "rjmp 3f\n"
    MINIML_AVR_LINEAR_FIX(0) MINIML_AVR_LINEAR_FIX(1) MINIML_AVR_LINEAR_FIX(2) MINIML_AVR_LINEAR_FIX(3)
    "2:\n\t"
    MINIML_AVR_LINEAR_TAP(0) MINIML_AVR_LINEAR_TAP(1) MINIML_AVR_LINEAR_TAP(2) MINIML_AVR_LINEAR_TAP(3)
    "dec r20\n\t"
    "brne 2b\n"
    "3:\n\t"
    "cpi r17, 0x40\n\t"
    "brlo 5f\n\t"
    "mov r20, r17\n\tswap r20\n\tlsr r20\n\tlsr r20\n\tandi r20, 3\n\t"
    "rjmp 4f\n"
    MINIML_AVR_LINEAR_FIX(8)
    "4:\n\t"
    MINIML_AVR_LINEAR_TAP(8)
    "dec r20\n\t"
    "brne 4b\n"
    "5:\n\t"
    "clr r1\n\t"
    "movw r4, r30\n\t"
    "sbrc r23, 7\n\tdec r24\n\t"  // back to two's complement
    "mov r25, r24\n\tlsl r25\n\tsbc r25, r25\n\t"  // C stays the sign
    "brcs 40f\n"
    "41:\n\t"
    "movw r30, r8\n\t"
    "lpm r18, Z+\n\tlpm r19, Z+\n\tlpm r20, Z+\n\tlpm r21, Z+\n\t"
    "movw r8, r30\n\t"
    "movw r30, r28\n\tadd r30, r11\n\tadc r31, r13\n\t"
    "lpm r16, Z\n\t"
    "neg r16\n\tsubi r16, 2\n\t"
    MINIML_AVR_CALL "miniml_requantize_s8_avr\n\t"
    "st Y+, r22\n"
    "42:\n\t"
    "dec r15\n\t"
    "breq 6f\n\t"
    "rjmp 1b\n"
    "6:\n\t"
    "pop r29\n\tpop r28\n\tpop r16\n\tpop r15\n\tpop r13\n\tpop r11\n\t"
    "pop r9\n\tpop r8\n\tpop r7\n\tpop r6\n\tpop r5\n\tpop r4\n\tpop r3\n\tpop r2\n\t"
    "ret\n"
    // the fix of an overflowing tap (flags of its adc): c += 1 upwards (S clear), c -= 1 downwards
    "9:\n\t"
    "brlt 7f\n\t"
    "subi r24, -2\n"
    "7:\n\t"
    "subi r24, 1\n\t"
    "ret\n"
    // acc < 0 with act_min >= zero point (a fused ReLU): the requantised value is <= the zero point, so the
    // output is act_min without the requantisation; the row's multiplier is passed over
    "40:\n\t"
    "cp r12, r14\n\t"
    "brlt 41b\n\t"
    "st Y+, r12\n\t"
    "movw r30, r8\n\tadiw r30, 4\n\tmovw r8, r30\n\t"
    "rjmp 42b\n\t"
    ".size miniml_linear_s8_avr, .-miniml_linear_s8_avr\n\t"
    ".popsection\n\t"
    ".endif");
// clang-format on
#undef MINIML_AVR_LINEAR_FIX
#undef MINIML_AVR_LINEAR_TAP

// rows (1..255) rows of linear_acc24_s8 (in_features 1..255) by the routine above.
inline void linear_rows_s8_avr(const int8_t* input, const int8_t* weight, const int32_t* bias,
                               const int32_t* multiplier, const int8_t* shift, uint8_t in_features, uint8_t rows,
                               int8_t output_zero_point, int8_t act_min, int8_t act_max, int8_t* output) {
  register const int8_t* in asm("r24") = input;
  register const int8_t* w asm("r22") = weight;
  register const int32_t* b asm("r20") = bias;
  register const int32_t* m asm("r18") = multiplier;
  register const int8_t* s asm("r26") = shift;
  register int8_t* out asm("r30") = output;
  register uint8_t n asm("r17") = static_cast<uint8_t>((in_features & 3) << 6 | in_features >> 2);
  register uint8_t count asm("r15") = rows;
  register int8_t zp asm("r14") = output_zero_point;
  register int8_t lo asm("r12") = act_min;
  register int8_t hi asm("r10") = act_max;
  __asm__ volatile("%~call miniml_linear_s8_avr"
                   : "+r"(in), "+r"(w), "+r"(b), "+r"(m), "+r"(s), "+r"(out)
                   : "r"(n), "r"(count), "r"(zp), "r"(lo), "r"(hi)
                   : "r0", "memory");
}

}  // namespace detail
}  // namespace miniml

#endif
#endif  // MINIML_OP_LINEAR_S8_AVR_H_
