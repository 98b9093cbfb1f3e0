// quantize_s8's codes on the ATmega by one asm routine per array: the codes of detail::quantize_by_reciprocal
// (op_quantize.h, the C path kept beside it as its reference) with 1/scale's mantissa and exponent and the zero
// point in registers, ~100 cycles a value against ~280. test/python/quant/test_quantize_sweep.py holds it to that
// path and to round(x / scale) over a sweep of bit patterns at several optimisation levels.
#ifndef MINIML_OP_QUANTIZE_AVR_H_
#define MINIML_OP_QUANTIZE_AVR_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_types.h"

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
#define MINIML_QUANTIZE_AVR 1

// miniml_quantize_s8_avr (C calling convention): the int8 codes of input[0..n) for the key r17:r14 (bits 0..23 the
// mantissa mi of 1/scale with its hidden bit, bits 24..31 251 - its exponent field) and r12 = zero point + 128,
// stored to output (and to kept unless it is null), or, output null, compared with kept: r24 = 0 at the first
// difference, else 1. Y walks the input, Z the output, r9:r8 kept; r7:r6 is the input's end, r5:r2 the scale.
// Per value x (r25:r22), a = x / scale's exact stand-in mx mi 2^(ex + ei - 300) (mantissas and exponent fields of
// x and 1/scale) and d' = ex - r17 (quantize_by_reciprocal's s is 33 - d'):
//   d' < 0: |a| < 1/4 (zero and subnormal x too): the zero point; d' > 10: |a| >= 256 saturates; NaN: the zero
//   point, +-Inf saturates (as NaN / scale and +-Inf / scale round).
//   Else h = (mx mi - D) >> 16, bytes 2..5 of the 48-bit product without its columns 0 and 1 (6 muls; D < 2^25 +
//   2^16, so h is at most 514 below quantize_by_reciprocal's), and fixed = h >> (17 - d') = (h 2^v) >> 24
//   (v = d' + 7) by byte picks and 8-bit multiplies by g = 2^(v mod 8) (the shifted bytes' lo and hi parts never
//   overlap: OR). The shift is at least 7, so fixed is at most 5 below the exact floor(|a| 2^16).
//   Fractions of fixed in [0x7FE0, 0x8020] are undecided: x / scale is divided (__divsf3) and rounded as
//   round_to_s8_by_bits does. Else the exact fraction is at least 27 units of 2^-16 from 1/2, where
//   quantize_by_reciprocal's argument needs 2.5, and no half lies between fixed and the exact value, so k =
//   (fixed + 2^15) >> 16 is its k; k >= 256 saturates, and zp + 128 +- k out of [0, 255] clamps (a carry).
// Per value for |a| in [1/4, 128) (simavr): 101 cycles stored, 104 stored and kept, 103 compared; ~135 a call.
// clang-format off
#define MINIML_AVR_QUANTIZE_S8 \
  "push r2\n\tpush r3\n\tpush r4\n\tpush r5\n\tpush r6\n\tpush r7\n\tpush r8\n\tpush r9\n\t" \
  "push r28\n\tpush r29\n\t" \
  "movw r2, r18\n\tmovw r4, r20\n\t" \
  "movw r28, r24\n\t" \
  "movw r6, r22\n\tlsl r6\n\trol r7\n\tlsl r6\n\trol r7\n\tadd r6, r24\n\tadc r7, r25\n\t" \
  "movw r30, r10\n\t" \
  "rjmp 1f\n\t" \
  "6:\n\t" \
  "ldi r24, 1\n\t" \
  "7:\n\t" \
  "clr r1\n\t" \
  "pop r29\n\tpop r28\n\t" \
  "pop r9\n\tpop r8\n\tpop r7\n\tpop r6\n\tpop r5\n\tpop r4\n\tpop r3\n\tpop r2\n\t" \
  "ret\n\t" \
  "1:\n\t" \
  "cp r28, r6\n\tcpc r29, r7\n\t" \
  "breq 6b\n\t" \
  "ld r22, Y+\n\tld r23, Y+\n\tld r24, Y+\n\tld r25, Y+\n\t" \
  /* exponent - r17 in r27, T = sign; r25 = 0 (the zero register while the muls write r1) */ \
  "movw r26, r24\n\t" \
  "lsl r26\n\t" \
  "rol r27\n\t" \
  "bst r25, 7\n\t" \
  "clr r25\n\t" \
  "sub r27, r17\n\t" \
  "brlo 94f\n\t" \
  "cpi r27, 11\n\t" \
  "brlo 91f\n\t" \
  /* d' > 10: saturated unless NaN */ \
  "mov r26, r27\n\t" \
  "add r26, r17\n\t" \
  "cpi r26, 0xFF\n\t" \
  "brne 92f\n\t" \
  /* exponent field 0xFF: NaN (a mantissa bit set) is the zero point, +-Inf saturates */ \
  "93:\n\t" \
  "andi r24, 0x7F\n\t" \
  "or r24, r23\n\t" \
  "or r24, r22\n\t" \
  "brne 94f\n\t" \
  /* saturated: 127, or -128 for a negative x */ \
  "92:\n\t" \
  "ldi r24, 0x7F\n\t" \
  "brtc 79f\n\t" \
  "ldi r24, 0x80\n\t" \
  "79:\n\t" \
  "rjmp 80f\n\t" \
  /* the zero point */ \
  "94:\n\t" \
  "mov r24, r12\n\t" \
  "subi r24, 0x80\n\t" \
  "rjmp 80f\n\t" \
  "91:\n\t" \
  "ori r24, 0x80\n\t" \
  /* h = (mx mi - D) >> 16 in r21:r18: x1 i1 and x2 i2 tile bytes 2..5, then columns 2 and 3 */ \
  "mul r23, r15\n\tmovw r18, r0\n\t" \
  "mul r24, r16\n\tmovw r20, r0\n\t" \
  "mul r22, r16\n\tadd r18, r0\n\tadc r19, r1\n\tadc r20, r25\n\tadc r21, r25\n\t" \
  "mul r24, r14\n\tadd r18, r0\n\tadc r19, r1\n\tadc r20, r25\n\tadc r21, r25\n\t" \
  "mul r23, r16\n\tadd r19, r0\n\tadc r20, r1\n\tadc r21, r25\n\t" \
  "mul r24, r15\n\tadd r19, r0\n\tadc r20, r1\n\tadc r21, r25\n\t" \
  /* v = d' + 7 (7..17), g = 2^(v mod 8) in r24 */ \
  "subi r27, -7\n\t" \
  "ldi r24, 1\n\t" \
  "sbrc r27, 1\n\tldi r24, 4\n\t" \
  "sbrc r27, 0\n\tlsl r24\n\t" \
  "sbrc r27, 2\n\tswap r24\n\t" \
  /* fixed = bytes 3 - v / 8 .. 4 of h g: r22 (f0), r23 (f1), r27:r26 (k before rounding) */ \
  "cpi r27, 8\n\t" \
  "brlo 96f\n\t" \
  "cpi r27, 16\n\t" \
  "brsh 97f\n\t" \
  "mul r19, r24\n\tmov r22, r1\n\t" \
  "mul r20, r24\n\tor r22, r0\n\tmov r23, r1\n\t" \
  "mul r21, r24\n\tor r23, r0\n\tmov r26, r1\n\t" \
  "clr r27\n\t" \
  "98:\n\t" \
  /* k = fixed >> 16 rounded half up (halves away from zero on |a|) */ \
  "sbrc r23, 7\n\t" \
  "adiw r26, 1\n\t" \
  /* f1:f0 in [0x7FE0, 0x8020]: undecided */ \
  "subi r22, 0xE0\n\t" \
  "sbci r23, 0x7F\n\t" \
  "cpi r22, 65\n\t" \
  "cpc r23, r25\n\t" \
  "brlo 5f\n\t" \
  "88:\n\t" \
  "cpse r27, r25\n\t" \
  "rjmp 92b\n\t" \
  /* zp + 128 +- k, a carry leaves [0, 255] */ \
  "mov r24, r12\n\t" \
  "brts 89f\n\t" \
  "add r24, r26\n\t" \
  "brcc 95f\n\t" \
  "ldi r24, 0xFF\n\t" \
  "95:\n\t" \
  "subi r24, 0x80\n\t" \
  /* the code in r24: stored, or compared with kept when output is null */ \
  "80:\n\t" \
  "cp r30, r25\n\tcpc r31, r25\n\t" \
  "breq 4f\n\t" \
  "st Z+, r24\n\t" \
  "cp r8, r25\n\tcpc r9, r25\n\t" \
  "breq 78f\n\t" \
  "movw r26, r8\n\tst X+, r24\n\tmovw r8, r26\n\t" \
  "78:\n\t" \
  "rjmp 1b\n\t" \
  "4:\n\t" \
  "movw r26, r8\n\tld r0, X+\n\tmovw r8, r26\n\t" \
  "cp r24, r0\n\t" \
  "breq 78b\n\t" \
  "clr r24\n\t" \
  "rjmp 7b\n\t" \
  "89:\n\t" \
  "sub r24, r26\n\t" \
  "brcc 95b\n\t" \
  "clr r24\n\t" \
  "rjmp 95b\n\t" \
  /* v = 7: bytes 3, 4 */ \
  "96:\n\t" \
  "mul r20, r24\n\tmov r22, r1\n\t" \
  "mul r21, r24\n\tor r22, r0\n\tmov r23, r1\n\t" \
  "clr r26\n\tclr r27\n\t" \
  "rjmp 98b\n\t" \
  /* v >= 16: bytes 1..4 */ \
  "97:\n\t" \
  "mul r18, r24\n\tmov r22, r1\n\t" \
  "mul r19, r24\n\tor r22, r0\n\tmov r23, r1\n\t" \
  "mul r20, r24\n\tor r23, r0\n\tmov r26, r1\n\t" \
  "mul r21, r24\n\tor r26, r0\n\tmov r27, r1\n\t" \
  "rjmp 98b\n\t" \
  /* undecided: y = x / scale, rounded from its bits: NaN, Inf, |y| < 1/2 and |y| >= 256 as above, else */ \
  /* k = (floor(2 |y|) + 1) >> 1, floor(2 |y|) = (my >> 15) >> (134 - exponent) */ \
  "5:\n\t" \
  "clr r1\n\t" \
  "push r30\n\tpush r31\n\t" \
  "sbiw r28, 4\n\t" \
  "ld r22, Y+\n\tld r23, Y+\n\tld r24, Y+\n\tld r25, Y+\n\t" \
  "movw r18, r2\n\tmovw r20, r4\n\t" \
  MINIML_AVR_CALL "__divsf3\n\t" \
  "pop r31\n\tpop r30\n\t" \
  "movw r26, r24\n\t" \
  "lsl r26\n\t" \
  "rol r27\n\t" \
  "bst r25, 7\n\t" \
  "clr r25\n\t" \
  "cpi r27, 0xFF\n\t" \
  "brne 70f\n\t" \
  "rjmp 93b\n\t" \
  "70:\n\t" \
  "subi r27, 126\n\t" \
  "brsh 70f\n\t" \
  "rjmp 94b\n\t" \
  "70:\n\t" \
  "cpi r27, 9\n\t" \
  "brlo 70f\n\t" \
  "rjmp 92b\n\t" \
  "70:\n\t" \
  "ldi r18, 8\n\t" \
  "sub r18, r27\n\t" \
  "ori r24, 0x80\n\t" \
  "lsl r23\n\t" \
  "rol r24\n\t" \
  "mov r26, r24\n\t" \
  "clr r27\n\t" \
  "rol r27\n\t" \
  "rjmp 71f\n\t" \
  "70:\n\t" \
  "lsr r27\n\t" \
  "ror r26\n\t" \
  "71:\n\t" \
  "dec r18\n\t" \
  "brpl 70b\n\t" \
  "adiw r26, 1\n\t" \
  "lsr r27\n\t" \
  "ror r26\n\t" \
  "rjmp 88b\n\t"
// clang-format on

// Top-level asm in a COMDAT section, as requantize_s8_avr's routine: one copy per program, none when unused.
__asm__(
    ".ifndef miniml_quantize_s8_avr\n\t"
    ".pushsection .text.miniml_quantize_s8_avr,\"axG\",@progbits,miniml_quantize_s8_avr,comdat\n\t"
    ".weak miniml_quantize_s8_avr\n\t"
    ".type miniml_quantize_s8_avr, @function\n"
    "miniml_quantize_s8_avr:\n\t" MINIML_AVR_QUANTIZE_S8
    ".size miniml_quantize_s8_avr, .-miniml_quantize_s8_avr\n\t"
    ".popsection\n\t"
    ".endif");
#undef MINIML_AVR_QUANTIZE_S8

extern "C" bool miniml_quantize_s8_avr(const float* input, miniml::index_t n, float scale, uint32_t key,
                                       uint8_t zp_biased, int8_t* output, int8_t* kept);

#endif  // defined(__AVR__) && defined(__AVR_HAVE_MUL__)
#endif  // MINIML_OP_QUANTIZE_AVR_H_
