// With optimize="speed" (MINIML_OPTIMIZE_SPEED; about 250 bytes more flash than the C loop, which the size build
// keeps) the plain SGD step of one Linear weight row on the ATmega (mul instruction): row[i] -= step * input[i]
// for i < n, as train_sgd.h's linear_weight_sgd_f32<true> computes it with avr-libc, bit for bit, in an asm loop
// with core_float_avr.h's fast multiply (dot_f32_avr_mul's: a 24x24-bit MUL product rounded to nearest-even,
// __mulsf3's value for a product of normal floats that stays normal) and avr-libc's __addsf3: w - s * x is
// w + x * (-s) exactly (negation is exact, rounding to nearest is symmetric, and __subsf3 is __addsf3 with the
// second operand's sign flipped). About 60 cycles a weight less than __mulsf3 + __subsf3 and the C loop.
// Every other product (an operand subnormal, Inf or NaN, a product out of the normal range) goes through
// __mulsf3. A +-0 input skips its weight unless the weight is -0 (zero_step_keeps_f32, the C loop's rule).
// test/python/train/test_sgd_avr.py checks it against the C loop in simavr.
#ifndef MINIML_TRAIN_SGD_AVR_H_
#define MINIML_TRAIN_SGD_AVR_H_

#include "core_float_avr.h"
#include "core_types.h"

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__) && defined(__AVR_HAVE_LPMX__) && defined(MINIML_OPTIMIZE_SPEED)
#define MINIML_SGD_ROW_AVR 1

namespace miniml {
namespace detail {

// avr-gcc's ABI: row in r25:r24, input in r23:r22, n in r21:r20 (n < 2^14), neg_step = -step in r19..r16.
// Registers:
//   Y = input, r15:r14 = the end of input, r17:r16 = row, r13..r10 = neg_step (w, __mulsf3's second operand),
//   r9 = its exponent field - 1; a weight: x r25..r22 (__mulsf3's first operand), r26 = ex, then
//   ex + ew - 128, then the product's biased exponent; the product: sign T, bytes (high to low) r18 r31 r27 r25,
//   the OR of the two lowest r30; r21 = 0 (r1 is the multiplier's); then the rounded float in r21..r18
//   (__addsf3's second operand, the weight its first).
__attribute__((naked, noinline, noclone)) inline void sgd_row_f32_avr(float*, const float*, index_t, float) {
  __asm__ volatile(
      "push r9\n\tpush r10\n\tpush r11\n\tpush r12\n\tpush r13\n\tpush r14\n\tpush r15\n\tpush r16\n\t"
      "push r17\n\tpush r28\n\tpush r29\n\t"
      "movw r10, r16\n\tmovw r12, r18\n\tmovw r16, r24\n\tmovw r28, r22\n\tmovw r14, r20\n\t"
      "lsl r14\n\trol r15\n\tlsl r14\n\trol r15\n\tadd r14, r28\n\tadc r15, r29\n\t"
      "mov r26, r12\n\tlsl r26\n\tmov r26, r13\n\trol r26\n\tdec r26\n\tmov r9, r26\n\t"
      "rjmp .Lminiml_sgd_next\n"
      ".Lminiml_sgd_done:\n\t"
      "pop r29\n\tpop r28\n\tpop r17\n\tpop r16\n\tpop r15\n\tpop r14\n\tpop r13\n\tpop r12\n\tpop r11\n\t"
      "pop r10\n\tpop r9\n\t"
      "ret\n"
      /* x's exponent field is 0: +-0 (then the weight stays, unless it is -0) or subnormal. */
      ".Lminiml_sgd_xzero:\n\t"
      "mov r0, r22\n\tor r0, r23\n\tor r0, r24\n\tbrne .Lminiml_sgd_slow\n\t"
      "movw r30, r16\n\tld r18, Z+\n\tld r19, Z+\n\tld r20, Z+\n\tld r21, Z+\n\t"
      "subi r21, 0x80\n\tor r21, r20\n\tor r21, r19\n\tor r21, r18\n\tbreq .Lminiml_sgd_slow\n\t"
      "movw r16, r30\n\t"
      "rjmp .Lminiml_sgd_next\n"
      /* The product as the C loop computes it. */
      ".Lminiml_sgd_slow:\n\t"
      "movw r18, r10\n\tmovw r20, r12\n\t" MINIML_AVR_FCALL
      "__mulsf3\n\t"
      "movw r18, r22\n\tmovw r20, r24\n"
      /* row[i] + product, stored. */
      ".Lminiml_sgd_add:\n\t"
      "movw r30, r16\n\tld r22, Z+\n\tld r23, Z+\n\tld r24, Z+\n\tld r25, Z+\n\t" MINIML_AVR_FCALL
      "__addsf3\n\t"
      "movw r30, r16\n\tst Z+, r22\n\tst Z+, r23\n\tst Z+, r24\n\tst Z+, r25\n\tmovw r16, r30\n"
      ".Lminiml_sgd_next:\n\t"
      "cp r28, r14\n\tcpc r29, r15\n\tbreq .Lminiml_sgd_done\n\t"
      "ld r22, Y+\n\tld r23, Y+\n\tld r24, Y+\n\tld r25, Y+\n\t"
      /* The fast product needs both exponent fields in 1..254 and ex + ew - 128 in 0..251. */
      "mov r26, r24\n\tlsl r26\n\tmov r26, r25\n\trol r26\n\tbreq .Lminiml_sgd_xzero\n\t"
      "cpi r26, 255\n\tbreq .Lminiml_sgd_slow\n\t"
      "mov r27, r9\n\tcpi r27, 254\n\tbrsh .Lminiml_sgd_slow\n\t"
      "add r26, r27\n\tbrcc 1f\n\t"
      "cpi r26, 123\n\tbrsh .Lminiml_sgd_slow\n\trjmp 2f\n"
      "1:\n\t"
      "cpi r26, 127\n\tbrlo .Lminiml_sgd_slow\n"
      "2:\n\t"
      "subi r26, 127\n\t"
      "eor r25, r13\n\tbst r25, 7\n\tclr r21\n\tori r24, 0x80\n\tmov r20, r12\n\tori r20, 0x80\n\t"
      /* 24 x 24 -> 48 bits (w: r20 r11 r10), by columns of equal weight; a carry register starts at 0. */
      "mul r22, r10\n\tmovw r30, r0\n\t"
      "mul r23, r10\n\tadd r31, r0\n\tadc r1, r21\n\tmov r25, r1\n\t"
      "mul r22, r11\n\tclr r27\n\tadd r31, r0\n\tadc r25, r1\n\tadc r27, r21\n\t"
      "or r30, r31\n\t"
      "mul r24, r10\n\tclr r31\n\tadd r25, r0\n\tadc r27, r1\n\tadc r31, r21\n\t"
      "mul r22, r20\n\tadd r25, r0\n\tadc r27, r1\n\tadc r31, r21\n\t"
      "mul r23, r11\n\tadd r25, r0\n\tadc r27, r1\n\tadc r31, r21\n\t"
      "mul r24, r11\n\tclr r18\n\tadd r27, r0\n\tadc r31, r1\n\tadc r18, r21\n\t"
      "mul r23, r20\n\tadd r27, r0\n\tadc r31, r1\n\tadc r18, r21\n\t"
      "mul r24, r20\n\tadd r31, r0\n\tadc r18, r1\n\t"
      "clr r1\n\t"
      /* The biased exponent: ex + ew - 127 for a product in [1, 2) (then one bit left), one more in [2, 4). */
      "subi r26, 0xFE\n\t"
      "sbrc r18, 7\n\trjmp 1f\n\t"
      "dec r26\n\tlsl r25\n\trol r27\n\trol r31\n\trol r18\n"
      "1:\n\t"
      /* Round to nearest-even: r25 bit 7 the guard bit, the rest of r25 and r30 the sticky bits. */
      "lsl r25\n\tbrcc 3f\n\t"
      "or r25, r30\n\tbrne 2f\n\t"
      "sbrs r27, 0\n\trjmp 3f\n"
      "2:\n\t"
      "subi r27, 0xFF\n\tsbci r31, 0xFF\n\tsbci r18, 0xFF\n\tbrcs 3f\n\t"
      "inc r26\n"
      "3:\n\t"
      "mov r20, r18\n\tmov r19, r31\n\tmov r18, r27\n\t"
      "lsl r20\n\tlsr r26\n\tror r20\n\tmov r21, r26\n\tbld r21, 7\n\t"
      "rjmp .Lminiml_sgd_add\n" ::);
}

}  // namespace detail
}  // namespace miniml
#endif

#endif  // MINIML_TRAIN_SGD_AVR_H_
