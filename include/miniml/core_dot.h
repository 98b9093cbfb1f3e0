// The per-architecture speed-ups, behind a few primitives (the only file with #if on the target). Every fast
// path computes exactly the same integers as the plain loop, which stays as the reference.
#ifndef MINIML_CORE_DOT_H_
#define MINIML_CORE_DOT_H_

#include <stdint.h>
#include <string.h>

#include "core_rom.h"
#include "core_types.h"

// The plain and SMLAD dot loops are always inlined: conv windows call them once per row, where a call
// costs more than the taps (with more call sites, -Os would otherwise outline them).
#if defined(__GNUC__) && !defined(__AVR__)
#define MINIML_DOT_INLINE __attribute__((always_inline)) inline
#else  // AVR: not on the asm specialisations, which GCC would force inline into register-starved callers
#define MINIML_DOT_INLINE inline
#endif

namespace miniml {
namespace detail {

// Signed twin of index_t, for window coordinates that start in the padding (negative).
#if defined(__AVR__)
typedef int16_t sindex_t;
#else
typedef int32_t sindex_t;
#endif

// int8 x int8 -> int16 (exact: |product| <= 2^14). On AVR one `muls` (2 cycles): written in C, avr-gcc 5.4
// fuses the product with the int32 accumulate into a 16x16 -> 32 libgcc call (__mulhisi3, ~25 cycles;
// scripts/bench.py measured 66.7 -> 24 cycles per tap for this change).
inline int16_t mul_s8(int8_t a, int8_t b) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  int16_t r;
  // muls takes r16..r31 ("d"); the product lands in r1:r0, and r1 must be zero again for avr-gcc.
  __asm__("muls %1, %2\n\tmovw %0, r0\n\tclr r1" : "=r"(r) : "d"(a), "d"(b) : "r0");
  return r;
#else
  return static_cast<int16_t>(static_cast<int16_t>(a) * static_cast<int16_t>(b));
#endif
}

// acc + sum_i a[i] * b[i]. a: int8 activations in SRAM; b: int8 weights read through Mem (flash or SRAM).
// Plain reference loop: one mul_s8 and a 32-bit add per tap.
template <class Mem>
MINIML_DOT_INLINE int32_t dot_s8_plain(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  for (index_t i = 0; i < n; ++i) acc += mul_s8(a[i], Mem::read(b + i));
  return acc;
}

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
// Cortex-M4/M7/M33 DSP extension: SXTB16 unpacks bytes 0,2 (or 1,3 with ROR #8) into two int16 lanes and
// SMLAD adds both lane products to the accumulator, 4 taps per 2 SMLADs. Exact: the sums are the same
// integers in another order, and int32 addition is associative.
inline uint32_t sxtb16(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
  return r;
}
inline uint32_t sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
inline int32_t smlad(uint32_t x, uint32_t y, int32_t acc) {
  int32_t r;
  __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
  return r;
}

template <class Mem>
MINIML_DOT_INLINE int32_t dot_s8(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  index_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t va, vb;
    memcpy(&va, a + i, 4);  // Cortex-M4 LDR allows unaligned words; memcpy keeps it legal C++.
    memcpy(&vb, b + i, 4);  // Rom and Ram are the same address space on ARM.
    acc = smlad(sxtb16(va), sxtb16(vb), acc);
    acc = smlad(sxtb16_ror8(va), sxtb16_ror8(vb), acc);
  }
  return dot_s8_plain<Mem>(a + i, b + i, static_cast<index_t>(n - i), acc);
}
#elif defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// ATmega: one tap is ld (activation, X+) 2 + lpm/ld (weight, Z+) 3/2 + muls 2 + sign byte 1 (muls leaves
// bit 15 of the product in C, so `sbc s, s` is 0x00 or 0xFF) + 32-bit add 4 = 12 cycles from flash, in
// blocks of 4 taps (loop overhead 1 cycle per tap). The same integer sum as the plain loop.
#define MINIML_AVR_TAP(LOAD_B)  \
  "ld %[x], %a[pa]+\n\t" LOAD_B \
  " %[y], %a[pb]+\n\t"          \
  "muls %[x], %[y]\n\t"         \
  "sbc %[s], %[s]\n\t"          \
  "add %A[acc], r0\n\tadc %B[acc], r1\n\tadc %C[acc], %[s]\n\tadc %D[acc], %[s]\n\t"
// One window row: a counted loop over run taps, or (dot_window_s8) three taps straight for 3-wide kernels,
// the common case: 12 cycles per tap instead of 15. dot_rows_s8 keeps the loop: it is inlined into the
// conv window code, where a second copy costs more in register spills than it saves.
#define MINIML_AVR_ROW_N(LOAD_B) \
  "mov %[c], %[run]\n\t"         \
  "2:\n\t" MINIML_AVR_TAP(LOAD_B) "dec %[c]\n\t" "brne 2b\n\t"
#define MINIML_AVR_ROW_3(LOAD_B) MINIML_AVR_TAP(LOAD_B) MINIML_AVR_TAP(LOAD_B) MINIML_AVR_TAP(LOAD_B)
#define MINIML_AVR_DOT(LOAD_B)                                                                          \
  uint16_t quads = static_cast<uint16_t>(n >> 2);                                                       \
  uint8_t rest = static_cast<uint8_t>(n & 3);                                                           \
  int8_t x, y;                                                                                          \
  uint8_t s;                                                                                            \
  __asm__ volatile(                                                                                   \
      "cp %A[q], __zero_reg__\n\t"                                                                    \
      "cpc %B[q], __zero_reg__\n\t"                                                                   \
      "breq 2f\n\t"                                                                                   \
      "1:\n\t" MINIML_AVR_TAP(LOAD_B) MINIML_AVR_TAP(LOAD_B) MINIML_AVR_TAP(LOAD_B)                   \
          MINIML_AVR_TAP(LOAD_B)                                                                     \
      "subi %A[q], 1\n\t"                                                                             \
      "sbci %B[q], 0\n\t"                                                                             \
      "brne 1b\n\t"                                                                                   \
      "2:\n\t"                                                                                        \
      "tst %[r]\n\t"                                                                                  \
      "breq 4f\n\t"                                                                                   \
      "3:\n\t" MINIML_AVR_TAP(LOAD_B)                                                               \
      "dec %[r]\n\t"                                                                                  \
      "brne 3b\n\t"                                                                                   \
      "4:\n\t"                                                                                        \
      "clr __zero_reg__"                                                                             \
      : [acc] "+r"(acc), [pa] "+x"(a), [pb] "+z"(b), [q] "+d"(quads), [r] "+r"(rest), [x] "=&d"(x),   \
        [y] "=&d"(y), [s] "=&r"(s)                                                                    \
      :                                                                                               \
      : "r0", "memory"); \
  return acc

template <class Mem>
inline int32_t dot_s8(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  return dot_s8_plain<Mem>(a, b, n, acc);
}
template <>
inline int32_t dot_s8<Rom>(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  MINIML_AVR_DOT("lpm");
}
template <>
inline int32_t dot_s8<Ram>(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  MINIML_AVR_DOT("ld");
}
#undef MINIML_AVR_DOT
#else
// Other 32-bit cores (rv32imc, M0+, Xtensa): four taps per iteration at fixed offsets, so a MAC is two
// byte loads, a multiply and an add, and the pointer steps and the branch are paid once per four
// (rv32imc: 11 -> about 5 instructions per MAC).
template <class Mem>
MINIML_DOT_INLINE int32_t dot_s8(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  const int8_t* end = a + (n & ~static_cast<index_t>(3));
  for (; a != end; a += 4, b += 4) {
    acc += static_cast<int32_t>(a[0]) * Mem::read(b) + static_cast<int32_t>(a[1]) * Mem::read(b + 1) +
           static_cast<int32_t>(a[2]) * Mem::read(b + 2) + static_cast<int32_t>(a[3]) * Mem::read(b + 3);
  }
  return dot_s8_plain<Mem>(a, b, static_cast<index_t>(n & 3), acc);
}
#endif

// acc + sum over rows r < rows of dot(a + r * a_step, b + r * b_step, run): a window's rows (one input
// channel of a convolution), one call instead of one per row.
template <class Mem>
MINIML_DOT_INLINE int32_t dot_rows_s8(const int8_t* a, index_t a_step, const int8_t* b, index_t b_step, index_t run,
                                      index_t rows, int32_t acc) {
  for (index_t r = 0; r < rows; ++r, a += a_step, b += b_step) acc = dot_s8<Mem>(a, b, run, acc);
  return acc;
}

// acc + sum over channels ch < chans of dot_rows_s8(a + ch * a_chan, a_step, b + ch * b_chan, b_step, run,
// rows): a convolution window over all its input channels in one call. Requires run <= a_step and
// run <= b_step; a dilated window may span more than a channel (rows * a_step > a_chan).
template <class Mem>
MINIML_DOT_INLINE int32_t dot_window_s8(const int8_t* a, index_t a_step, index_t a_chan, const int8_t* b,
                                        index_t b_step, index_t b_chan, index_t run, index_t rows, index_t chans,
                                        int32_t acc) {
  if (rows == 0) return acc;
  // One flat loop over the chans * rows rows (fewer live values than two nested loops). Signed steps: a
  // dilated window's rows can reach past its channel, and an unsigned step would wrap on 64-bit hosts.
  const sindex_t a_next = static_cast<sindex_t>(static_cast<sindex_t>(a_chan) - static_cast<sindex_t>(rows * a_step));
  const sindex_t b_next = static_cast<sindex_t>(static_cast<sindex_t>(b_chan) - static_cast<sindex_t>(rows * b_step));
  index_t left = static_cast<index_t>(rows * chans), r = rows;
  while (left--) {
    acc = dot_s8<Mem>(a, b, run, acc);
    a += a_step;
    b += b_step;
    if (--r == 0) {
      r = rows;
      a += a_next;
      b += b_next;
    }
  }
  return acc;
}

// Two rows of weights (w and w + n) against one vector a, n taps: acc0 += w_0 . a, acc1 += w_1 . a (a fully
// connected layer two outputs at a time: each activation load feeds two MACs).
template <class Mem>
MINIML_DOT_INLINE void dot_1x2_s8(const int8_t* a, const int8_t* w, index_t n, int32_t& acc0, int32_t& acc1) {
  const int8_t* w1 = w + n;
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  // In asm for the same reason as dot_2x2_s8: in C, gcc spilled the unpacked words inside linear_s8.
  const index_t quads = static_cast<index_t>(n & ~static_cast<index_t>(3));
  if (quads != 0) {
    const int8_t* end = a + quads;
    uint32_t x, xe, y, t;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[x], [%[a]], #4\n\t"
        "sxtb16 %[xe], %[x]\n\t"
        "sxtb16 %[x], %[x], ror #8\n\t"
        "ldr %[y], [%[w]], #4\n\t"
        "sxtb16 %[t], %[y]\n\t"
        "smlad %[a0], %[xe], %[t], %[a0]\n\t"
        "sxtb16 %[y], %[y], ror #8\n\t"
        "smlad %[a0], %[x], %[y], %[a0]\n\t"
        "ldr %[y], [%[w1]], #4\n\t"
        "sxtb16 %[t], %[y]\n\t"
        "smlad %[a1], %[xe], %[t], %[a1]\n\t"
        "sxtb16 %[y], %[y], ror #8\n\t"
        "smlad %[a1], %[x], %[y], %[a1]\n\t"
        "cmp %[a], %[end]\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(acc0), [a1] "+r"(acc1), [a] "+r"(a), [w] "+r"(w), [w1] "+r"(w1), [x] "=&r"(x), [xe] "=&r"(xe),
          [y] "=&r"(y), [t] "=&r"(t)
        : [end] "r"(end)
        : "cc", "memory");
  }
  n &= 3;
#endif
  for (index_t i = 0; i < n; ++i) {
    const int8_t x = a[i];
    acc0 += mul_s8(x, Mem::read(w + i));
    acc1 += mul_s8(x, Mem::read(w1 + i));
  }
}

// Two rows of weights against two columns of activations, n taps each, the second row and column pitch
// bytes after the first: a00 += w_0 . col_0, a01 += w_0 . col_1, a10 += w_1 . col_0, a11 += w_1 . col_1.
template <class Mem>
MINIML_DOT_INLINE void dot_2x2_plain_s8(const int8_t* col, const int8_t* w, index_t n, index_t pitch, int32_t& a00,
                                        int32_t& a01, int32_t& a10, int32_t& a11) {
  for (index_t i = 0; i < n; ++i) {
    const int8_t c0 = col[i], c1 = col[pitch + i], w0 = Mem::read(w + i), w1 = Mem::read(w + pitch + i);
    a00 += mul_s8(c0, w0);
    a01 += mul_s8(c1, w0);
    a10 += mul_s8(c0, w1);
    a11 += mul_s8(c1, w1);
  }
}

// dot_2x2_plain_s8 with pitch n into acc[2 r + c] (w_1 = w + n, col_1 = col + n): the block of a
// convolution done as a matrix product (conv2d_s8's im2col path), each loaded value feeding two MACs. The
// DSP extension takes dot_2x2_wide_s8 instead, on columns widened once per pixel pair.
template <class Mem>
MINIML_DOT_INLINE void dot_2x2_s8(const int8_t* col, const int8_t* w, index_t n, int32_t acc[4]) {
  dot_2x2_plain_s8<Mem>(col, w, n, n, acc[0], acc[1], acc[2], acc[3]);
}

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
// Two columns of n taps (col, col + n; n & ~3 of them) widened once for dot_2x2_wide_s8: per 4 taps, column 0's
// SXTB16 halves (t0, t2), (t1, t3), then column 1's, so that one LDRD loads a column's 4 taps as int16.
MINIML_DOT_INLINE void widen_2cols_s8(const int8_t* col, index_t n, uint32_t* wide) {
  const int8_t* col1 = col + n;
  const int8_t* end = col + (n & ~static_cast<index_t>(3));
  for (; col != end; col += 4, col1 += 4, wide += 4) {
    uint32_t x, y;
    memcpy(&x, col, 4);
    memcpy(&y, col1, 4);
    wide[0] = sxtb16(x);
    wide[1] = sxtb16_ror8(x);
    wide[2] = sxtb16(y);
    wide[3] = sxtb16_ror8(y);
  }
}

// dot_2x2_s8 (a00 = acc[0] ...) with the columns' first n & ~3 taps from widen_2cols_s8: per 4 taps two
// LDRDs for the columns, two weight words split by SXTB16 and 8 SMLADs, 16 instructions for 16 MACs (the
// int8 SXTB16 kernel it replaced: 20); the last n & 3 taps from col (the int8 columns).
template <class Mem>
MINIML_DOT_INLINE void dot_2x2_wide_s8(const uint32_t* wide, const int8_t* col, const int8_t* w, index_t n,
                                       int32_t& a00, int32_t& a01, int32_t& a10, int32_t& a11) {
#define MINIML_DOT_2X2_WIDE_BODY            \
  "ldrd %[x0e], %[x0o], [%[c]], #16\n\t"    \
  "ldrd %[x1e], %[x1o], [%[c], #-8]\n\t"    \
  "ldr %[t], [%[w], %[n]]\n\t"              \
  "sxtb16 %[we], %[t]\n\t"                  \
  "sxtb16 %[t], %[t], ror #8\n\t"           \
  "smlad %[a10], %[x0e], %[we], %[a10]\n\t" \
  "smlad %[a10], %[x0o], %[t], %[a10]\n\t"  \
  "smlad %[a11], %[x1e], %[we], %[a11]\n\t" \
  "smlad %[a11], %[x1o], %[t], %[a11]\n\t"  \
  "ldr %[t], [%[w]], #4\n\t"                \
  "sxtb16 %[we], %[t]\n\t"                  \
  "sxtb16 %[t], %[t], ror #8\n\t"           \
  "smlad %[a00], %[x0e], %[we], %[a00]\n\t" \
  "smlad %[a00], %[x0o], %[t], %[a00]\n\t"  \
  "smlad %[a01], %[x1e], %[we], %[a01]\n\t" \
  "smlad %[a01], %[x1o], %[t], %[a01]\n\t"
#define MINIML_DOT_2X2_WIDE_OPS                                                                                      \
  [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [c] "+r"(wide), [w] "+r"(w), [x0e] "=&r"(x0e), \
      [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [t] "=&r"(t), [we] "=&r"(we)
  const index_t quads = static_cast<index_t>(n & ~static_cast<index_t>(3));
  const int8_t* w_start = w;
  if (quads != 0) {
    uint32_t x0e, x0o, x1e, x1o, t, we;
    if (quads & 4) {  // an odd number of 4-tap groups: one first, then pairs of them
      __asm__ volatile(MINIML_DOT_2X2_WIDE_BODY:MINIML_DOT_2X2_WIDE_OPS : [n] "r"(n) : "memory");
    }
    const int8_t* end = w_start + quads;
    if (w != end) {
      __asm__ volatile("1:\n\t" MINIML_DOT_2X2_WIDE_BODY MINIML_DOT_2X2_WIDE_BODY
                       "ldr %[t], %[end]\n\t"
                       "cmp %[w], %[t]\n\t"
                       "bne 1b\n\t"
                       : MINIML_DOT_2X2_WIDE_OPS
                       : [n] "r"(n), [end] "m"(end)
                       : "cc", "memory");
    }
  }
#undef MINIML_DOT_2X2_WIDE_BODY
#undef MINIML_DOT_2X2_WIDE_OPS
  dot_2x2_plain_s8<Mem>(col + quads, w_start + quads, static_cast<index_t>(n - quads), n, a00, a01, a10, a11);
}
#endif

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// ATmega: the rows loop in the same asm as the taps (15 cycles per tap, 8 per row), for run and rows below
// 256; otherwise the loop above.
#define MINIML_AVR_ROWS_ASM(LOAD_B, ROW)                                                                             \
  __asm__ volatile(                                                                                                  \
      "mov %[cr], %[rows]\n\t"                                                                                       \
      "1:\n\t" ROW                                                                                                   \
      "add %A[pa], %A[as]\n\t"                                                                                       \
      "adc %B[pa], %B[as]\n\t"                                                                                       \
      "add %A[pb], %A[bs]\n\t"                                                                                       \
      "adc %B[pb], %B[bs]\n\t"                                                                                       \
      "dec %[cr]\n\t"                                                                                                \
      "brne 1b\n\t"                                                                                                  \
      "clr __zero_reg__"                                                                                             \
      : [acc] "+r"(acc), [pa] "+x"(a), [pb] "+z"(b), [cr] "=&r"(c_rows), [c] "=&r"(cnt), [x] "=&d"(x), [y] "=&d"(y), \
        [s] "=&r"(s)                                                                                                 \
      : [run] "r"(n_run), [rows] "r"(n_rows), [as] "r"(a_skip), [bs] "r"(b_skip)                                     \
      : "r0", "memory");
#define MINIML_AVR_ROWS(LOAD_B)                                                                        \
  if (run == 0 || rows == 0) return acc;                                                               \
  if (run > 255 || rows > 255) {                                                                       \
    for (index_t r = 0; r < rows; ++r, a += a_step, b += b_step) acc = dot_s8<Mem>(a, b, run, acc);    \
    return acc;                                                                                        \
  }                                                                                                    \
  uint16_t a_skip = static_cast<uint16_t>(a_step - run), b_skip = static_cast<uint16_t>(b_step - run); \
  const uint8_t n_rows = static_cast<uint8_t>(rows), n_run = static_cast<uint8_t>(run);                \
  uint8_t cnt, c_rows;                                                                                 \
  int8_t x, y;                                                                                         \
  uint8_t s;                                                                                           \
  MINIML_AVR_ROWS_ASM(LOAD_B, MINIML_AVR_ROW_N(LOAD_B));                                               \
  return acc

template <>
inline int32_t dot_rows_s8<Rom>(const int8_t* a, index_t a_step, const int8_t* b, index_t b_step, index_t run,
                                index_t rows, int32_t acc) {
  typedef Rom Mem;
  MINIML_AVR_ROWS("lpm");
}
template <>
inline int32_t dot_rows_s8<Ram>(const int8_t* a, index_t a_step, const int8_t* b, index_t b_step, index_t run,
                                index_t rows, int32_t acc) {
  typedef Ram Mem;
  MINIML_AVR_ROWS("ld");
}
#undef MINIML_AVR_ROWS
#undef MINIML_AVR_ROWS_ASM
#endif

// dot_s8 and dot_rows_s8 for conv_window_s8 (the conv window path). On AVR out of line (-Os made them calls):
// inlined into conv2d_s8_window (a large frame: the weights' summed-area table), their asm, which holds both
// pointer registers X and Z, left avr-gcc -Og (PlatformIO's debug builds) none for reloads: "impossible
// constraints".
#if defined(__AVR__)
#define MINIML_WINDOW_DOT __attribute__((noinline)) inline
#else
#define MINIML_WINDOW_DOT MINIML_DOT_INLINE
#endif
template <class Mem>
MINIML_WINDOW_DOT int32_t window_dot_s8(const int8_t* a, const int8_t* b, index_t n, int32_t acc) {
  return dot_s8<Mem>(a, b, n, acc);
}
template <class Mem>
MINIML_WINDOW_DOT int32_t window_rows_s8(const int8_t* a, index_t a_step, const int8_t* b, index_t b_step, index_t run,
                                         index_t rows, int32_t acc) {
  return dot_rows_s8<Mem>(a, a_step, b, b_step, run, rows, acc);
}
#undef MINIML_WINDOW_DOT

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)

// ATmega: channels, rows and taps in one asm loop (per tap 15 cycles, per row 8, per channel 8) when every
// count and pointer step fits a byte (small feature maps); otherwise one dot_rows_s8 per channel.
#define MINIML_AVR_WINDOW_ASM(LOAD_B, ROW)                                                                        \
  __asm__ volatile(                                                                                               \
      "clr %[z]\n\t"                                                                                              \
      "mov %[cc], %[ch]\n\t"                                                                                      \
      "0:\n\t"                                                                                                    \
      "mov %[cr], %[rows]\n\t"                                                                                    \
      "1:\n\t" ROW                                                                                                \
      "add %A[pa], %[as]\n\t"                                                                                     \
      "adc %B[pa], %[z]\n\t"                                                                                      \
      "add %A[pb], %[bs]\n\t"                                                                                     \
      "adc %B[pb], %[z]\n\t"                                                                                      \
      "dec %[cr]\n\t"                                                                                             \
      "brne 1b\n\t"                                                                                               \
      "add %A[pa], %[an]\n\t"                                                                                     \
      "adc %B[pa], %[z]\n\t"                                                                                      \
      "add %A[pb], %[bn]\n\t"                                                                                     \
      "adc %B[pb], %[z]\n\t"                                                                                      \
      "dec %[cc]\n\t"                                                                                             \
      "brne 0b\n\t"                                                                                               \
      "clr __zero_reg__"                                                                                          \
      : [acc] "+r"(acc), [pa] "+x"(a), [pb] "+z"(b), [cc] "=&r"(c_ch), [cr] "=&r"(c_rows), [c] "=&r"(c_run),      \
        [z] "=&r"(zero), [x] "=&d"(x), [y] "=&d"(y), [s] "=&r"(s)                                                 \
      : [ch] "r"(n_ch), [run] "r"(n_run), [rows] "r"(n_rows), [as] "r"(a_skip), [bs] "r"(b_skip), [an] "r"(a_nx), \
        [bn] "r"(b_nx)                                                                                            \
      : "r0", "memory");
#define MINIML_AVR_WINDOW(LOAD_B)                                                                           \
  const index_t a_next = static_cast<index_t>(a_chan - rows * a_step);                                      \
  const index_t b_next = static_cast<index_t>(b_chan - rows * b_step);                                      \
  if (run == 0 || rows == 0 || chans == 0) return acc;                                                      \
  if (run > 255 || rows > 255 || chans > 255 || a_step - run > 255 || b_step - run > 255 || a_next > 255 || \
      b_next > 255) {                                                                                       \
    for (index_t ch = 0; ch < chans; ++ch, a += a_chan, b += b_chan) {                                      \
      acc = dot_rows_s8<Mem>(a, a_step, b, b_step, run, rows, acc);                                         \
    }                                                                                                       \
    return acc;                                                                                             \
  }                                                                                                         \
  const uint8_t a_skip = static_cast<uint8_t>(a_step - run), b_skip = static_cast<uint8_t>(b_step - run);   \
  const uint8_t a_nx = static_cast<uint8_t>(a_next), b_nx = static_cast<uint8_t>(b_next);                   \
  const uint8_t n_ch = static_cast<uint8_t>(chans);                                                         \
  const uint8_t n_rows = static_cast<uint8_t>(rows), n_run = static_cast<uint8_t>(run);                     \
  uint8_t c_ch, c_rows, c_run, zero;                                                                        \
  int8_t x, y;                                                                                              \
  uint8_t s;                                                                                                \
  if (n_run == 3) {                                                                                         \
    MINIML_AVR_WINDOW_ASM(LOAD_B, MINIML_AVR_ROW_3(LOAD_B));                                                \
  } else {                                                                                                  \
    MINIML_AVR_WINDOW_ASM(LOAD_B, MINIML_AVR_ROW_N(LOAD_B));                                                \
  }                                                                                                         \
  return acc

template <>
__attribute__((noinline)) inline int32_t dot_window_s8<Rom>(const int8_t* a, index_t a_step, index_t a_chan,
                                                            const int8_t* b, index_t b_step, index_t b_chan,
                                                            index_t run, index_t rows, index_t chans, int32_t acc) {
  typedef Rom Mem;
  MINIML_AVR_WINDOW("lpm");
}
template <>
__attribute__((noinline)) inline int32_t dot_window_s8<Ram>(const int8_t* a, index_t a_step, index_t a_chan,
                                                            const int8_t* b, index_t b_step, index_t b_chan,
                                                            index_t run, index_t rows, index_t chans, int32_t acc) {
  typedef Ram Mem;
  MINIML_AVR_WINDOW("ld");
}
#undef MINIML_AVR_WINDOW
#undef MINIML_AVR_WINDOW_ASM

// A convolution window's shape for dot_window_avr, set up by the caller once per output row (or border
// window) instead of being derived from strides at every call: run taps per row, rows per channel, chans
// channels; after a row the pointers skip a_skip / b_skip bytes, after a channel a_next / b_next more.
struct AvrWindow {
  uint16_t a_skip, a_next;
  uint8_t run, rows, chans, b_skip, b_next;
};

// One tap into a 24-bit sum (11 cycles from flash): exact while |sum| < 2^23, i.e. for windows under 512
// taps (|product| <= 2^14), which the caller guarantees. The activation's register takes the product's
// sign byte (muls leaves bit 15 in C).
#define MINIML_AVR_TAP24(LOAD_B) \
  "ld %[x], %a[pa]+\n\t" LOAD_B  \
  " %[y], %a[pb]+\n\t"           \
  "muls %[x], %[y]\n\t"          \
  "sbc %[x], %[x]\n\t"           \
  "add %A[sum], r0\n\tadc %B[sum], r1\n\tadc %C[sum], %[x]\n\t"
#define MINIML_AVR_ROW24_N(LOAD_B) \
  "mov %[c], %[run]\n\t"           \
  "2:\n\t" MINIML_AVR_TAP24(LOAD_B) "dec %[c]\n\t" "brne 2b\n\t"
#define MINIML_AVR_ROW24_3(LOAD_B) MINIML_AVR_TAP24(LOAD_B) MINIML_AVR_TAP24(LOAD_B) MINIML_AVR_TAP24(LOAD_B)
// After each row r1 is cleared and serves as the zero of the pointer carries (one register fewer).
#define MINIML_AVR_WINDOW24_ASM(LOAD_B, ROW)                                                                 \
  __asm__ volatile(                                                                                          \
      "clr %A[sum]\n\tclr %B[sum]\n\tclr %C[sum]\n\t"                                                        \
      "0:\n\t"                                                                                               \
      "mov %[cr], %[rows]\n\t"                                                                               \
      "1:\n\t" ROW                                                                                           \
      "clr __zero_reg__\n\t"                                                                                 \
      "add %A[pa], %A[as]\n\t"                                                                               \
      "adc %B[pa], %B[as]\n\t"                                                                               \
      "add %A[pb], %[bs]\n\t"                                                                                \
      "adc %B[pb], __zero_reg__\n\t"                                                                         \
      "dec %[cr]\n\t"                                                                                        \
      "brne 1b\n\t"                                                                                          \
      "add %A[pa], %A[an]\n\t"                                                                               \
      "adc %B[pa], %B[an]\n\t"                                                                               \
      "add %A[pb], %[bn]\n\t"                                                                                \
      "adc %B[pb], __zero_reg__\n\t"                                                                         \
      "dec %[cc]\n\t"                                                                                        \
      "brne 0b\n\t"                                                                                          \
      : [sum] "=&r"(sum), [pa] "+x"(a), [pb] "+z"(b), [cc] "+r"(c_ch), [cr] "=&r"(c_rows), [c] "=&r"(c_run), \
        [x] "=&d"(x), [y] "=&d"(y)                                                                           \
      : [run] "r"(w.run), [rows] "r"(w.rows), [as] "r"(w.a_skip), [bs] "r"(w.b_skip), [an] "r"(w.a_next),    \
        [bn] "r"(w.b_next)                                                                                   \
      : "r0", "memory")
// The same for weights read in one run (b_skip = b_next = 0: a full window of a whole filter), two
// registers and 4 cycles per row fewer.
#define MINIML_AVR_WINDOW24_RUN_ASM(LOAD_B, ROW)                                                             \
  __asm__ volatile(                                                                                          \
      "clr %A[sum]\n\tclr %B[sum]\n\tclr %C[sum]\n\t"                                                        \
      "0:\n\t"                                                                                               \
      "mov %[cr], %[rows]\n\t"                                                                               \
      "1:\n\t" ROW                                                                                           \
      "add %A[pa], %A[as]\n\t"                                                                               \
      "adc %B[pa], %B[as]\n\t"                                                                               \
      "dec %[cr]\n\t"                                                                                        \
      "brne 1b\n\t"                                                                                          \
      "add %A[pa], %A[an]\n\t"                                                                               \
      "adc %B[pa], %B[an]\n\t"                                                                               \
      "dec %[cc]\n\t"                                                                                        \
      "brne 0b\n\t"                                                                                          \
      "clr __zero_reg__"                                                                                     \
      : [sum] "=&r"(sum), [pa] "+x"(a), [pb] "+z"(b), [cc] "+r"(c_ch), [cr] "=&r"(c_rows), [c] "=&r"(c_run), \
        [x] "=&d"(x), [y] "=&d"(y)                                                                           \
      : [run] "r"(w.run), [rows] "r"(w.rows), [as] "r"(w.a_skip), [an] "r"(w.a_next)                         \
      : "r0", "memory")
// The loop's own values pinned to call-clobbered registers (GCC keeps a local register variable there for
// an asm operand): the call saves fewer registers (16 -> 8 pushes).
#define MINIML_AVR_WINDOW24(LOAD_B)                                    \
  register __int24 sum asm("r22");                                     \
  register uint8_t c_ch asm("r20") = w.chans;                          \
  register uint8_t c_rows asm("r21");                                  \
  register uint8_t c_run asm("r25");                                   \
  register int8_t x asm("r18");                                        \
  register int8_t y asm("r19");                                        \
  if (w.b_skip == 0 && w.b_next == 0) {                                \
    if (w.run == 3) {                                                  \
      MINIML_AVR_WINDOW24_RUN_ASM(LOAD_B, MINIML_AVR_ROW24_3(LOAD_B)); \
    } else {                                                           \
      MINIML_AVR_WINDOW24_RUN_ASM(LOAD_B, MINIML_AVR_ROW24_N(LOAD_B)); \
    }                                                                  \
  } else {                                                             \
    MINIML_AVR_WINDOW24_ASM(LOAD_B, MINIML_AVR_ROW24_N(LOAD_B));       \
  }                                                                    \
  return static_cast<int32_t>(sum)

// The sum over a window of w.chans * w.rows * w.run < 512 taps (every count >= 1), a: activations (SRAM),
// b: weights through Mem; the same integer as dot_window_s8 with the matching strides.
template <class Mem>
int32_t dot_window_avr(const int8_t* a, const int8_t* b, const AvrWindow& w);
template <>
__attribute__((noinline)) inline int32_t dot_window_avr<Rom>(const int8_t* a, const int8_t* b, const AvrWindow& w) {
  MINIML_AVR_WINDOW24("lpm");
}
template <>
__attribute__((noinline)) inline int32_t dot_window_avr<Ram>(const int8_t* a, const int8_t* b, const AvrWindow& w) {
  MINIML_AVR_WINDOW24("ld");
}

// Pairs of adjacent windows (stride 1) of one output channel (WindowPairsAvr::dot): per window chans
// channels of rows rows of run taps. The activations: after a row's run + 1 bytes the pointer skips a_skip
// (< 256) more, after a channel's rows a_next more; the weights (one filter, through Mem, in flash on the
// Uno: nothing copied to the stack) skip b_next after a channel's rows.
struct AvrWindowPairs {
  uint16_t a_next;
  uint8_t run, rows, chans, a_skip, b_next, count;
};

// clang-format off
// WindowPairsAvr::dot is a whole function in asm (naked: no operands for gcc to place, so it builds the same
// at every optimisation level, and it saves only the registers it takes). Registers: X the activations, Z
// the weights, Y the sums' destination; the two sums r18-r20 and r22-r24, the windows' activations r21 and
// r25, the weight r16; r2:r3 and r4:r5 the pair's first activation and weight; r6 the rows' and r7 the
// channels' counter, r8 the pairs' count; r9 b_next, r10 a_skip, r11 chans, r12 rows, r13 run, r14:r15
// a_next (loaded from the AvrWindowPairs in r20:r21); r17 a zero register (ZERO) in 3-tap rows, the run's
// counter in rows of run taps (there ZERO is r1, which muls takes: cleared after each row).
// One weight times the activations of both windows (P: the first's, Q: the second's) into two 24-bit sums;
// P then takes the first product's sign byte, the weight the second's (12 cycles + the load).
#define MINIML_AVR_TAP_PAIR(LOAD_B, P, Q)                       \
  LOAD_B " r16, Z+\n\t"                                         \
  "muls " P ", r16\n\t"                                         \
  "sbc " P ", " P "\n\t"                                        \
  "add r18, r0\n\tadc r19, r1\n\tadc r20, " P "\n\t"            \
  "muls " Q ", r16\n\t"                                         \
  "sbc r16, r16\n\t"                                            \
  "add r22, r0\n\tadc r23, r1\n\tadc r24, r16\n\t"
// A row of 3 taps: 4 activations loaded once for both windows (53 cycles from flash for 6 MACs).
#define MINIML_AVR_ROW_PAIR_3(LOAD_B)                                          \
  "ld r21, X+\n\tld r25, X+\n\t" MINIML_AVR_TAP_PAIR(LOAD_B, "r21", "r25")     \
  "ld r21, X+\n\t" MINIML_AVR_TAP_PAIR(LOAD_B, "r25", "r21")                   \
  "ld r25, X+\n\t" MINIML_AVR_TAP_PAIR(LOAD_B, "r21", "r25")
// A row of run taps (label 2).
#define MINIML_AVR_ROW_PAIR_N(LOAD_B)                                                   \
  "ld r21, X+\n\t"                                                                      \
  "mov r17, r13\n\t"                                                                    \
  "2:\n\t"                                                                              \
  "ld r25, X+\n\t" MINIML_AVR_TAP_PAIR(LOAD_B, "r21", "r25") "mov r21, r25\n\t"          \
  "dec r17\n\t"                                                                         \
  "brne 2b\n\t"                                                                        \
  "clr __zero_reg__\n\t"
// The function: arguments a in r24:r25, b in r22:r23, &w in r20:r21, out in r18:r19 (avr-gcc's convention).
// After a pair X moves one pair (2 bytes) on, Z back to the filter. Labels 3-6; the pairs' loop is longer
// than a branch reaches.
#define MINIML_AVR_WINDOW_PAIRS(ROW, ZERO)                                                  \
  __asm__ volatile(                                                                         \
      "push r2\n\tpush r3\n\tpush r4\n\tpush r5\n\tpush r6\n\tpush r7\n\tpush r8\n\t"       \
      "push r9\n\tpush r10\n\tpush r11\n\tpush r12\n\tpush r13\n\tpush r14\n\tpush r15\n\t" \
      "push r16\n\tpush r17\n\tpush r28\n\tpush r29\n\t"                                    \
      "movw r28, r18\n\t"                                                                   \
      "movw r26, r24\n\t"                                                                   \
      "movw r30, r20\n\t"                                                                   \
      "ld r14, Z+\n\tld r15, Z+\n\tld r13, Z+\n\tld r12, Z+\n\t"                            \
      "ld r11, Z+\n\tld r10, Z+\n\tld r9, Z+\n\tld r8, Z+\n\t"                              \
      "movw r30, r22\n\t"                                                                   \
      "movw r4, r30\n\t"                                                                    \
      "clr r17\n\t"                                                                         \
      "3:\n\t"                                                                              \
      "movw r2, r26\n\t"                                                                    \
      "clr r18\n\tclr r19\n\tclr r20\n\tclr r22\n\tclr r23\n\tclr r24\n\t"                  \
      "mov r7, r11\n\t"                                                                     \
      "4:\n\t"                                                                              \
      "mov r6, r12\n\t"                                                                     \
      "5:\n\t" ROW                                                                          \
      "add r26, r10\n\t"                                                                    \
      "adc r27, " ZERO "\n\t"                                                               \
      "dec r6\n\t"                                                                          \
      "brne 5b\n\t"                                                                         \
      "add r26, r14\n\t"                                                                    \
      "adc r27, r15\n\t"                                                                    \
      "add r30, r9\n\t"                                                                     \
      "adc r31, " ZERO "\n\t"                                                               \
      "dec r7\n\t"                                                                          \
      "brne 4b\n\t"                                                                         \
      "st Y+, r18\n\tst Y+, r19\n\tst Y+, r20\n\tst Y+, r22\n\tst Y+, r23\n\tst Y+, r24\n\t" \
      "movw r26, r2\n\t"                                                                    \
      "adiw r26, 2\n\t"                                                                     \
      "movw r30, r4\n\t"                                                                    \
      "dec r8\n\t"                                                                          \
      "breq 6f\n\t"                                                                         \
      "rjmp 3b\n\t"                                                                         \
      "6:\n\t"                                                                              \
      "clr __zero_reg__\n\t"                                                                \
      "pop r29\n\tpop r28\n\tpop r17\n\tpop r16\n\tpop r15\n\tpop r14\n\tpop r13\n\t"       \
      "pop r12\n\tpop r11\n\tpop r10\n\tpop r9\n\tpop r8\n\tpop r7\n\tpop r6\n\t"           \
      "pop r5\n\tpop r4\n\tpop r3\n\tpop r2\n\t"                                            \
      "ret")
// clang-format on

// The sums of w.count pairs of windows (see AvrWindowPairs) of one filter b (through Mem) over activations
// a (SRAM), each window under 512 taps: out gets 3 bytes a window. kRun3: w.run is 3 (the row unrolled).
// (noclone: gcc may not drop the arguments it cannot see the asm read.)
template <class Mem, bool kRun3>
struct WindowPairsAvr;
#define MINIML_AVR_WINDOW_PAIRS_FN(MEM, RUN3, ROW, ZERO)                                                           \
  template <>                                                                                                      \
  struct WindowPairsAvr<MEM, RUN3> {                                                                               \
    __attribute__((naked, noinline, noclone)) static void dot(const int8_t*, const int8_t*, const AvrWindowPairs*, \
                                                              uint8_t*) {                                          \
      MINIML_AVR_WINDOW_PAIRS(ROW, ZERO);                                                                          \
    }                                                                                                              \
  };
MINIML_AVR_WINDOW_PAIRS_FN(Rom, true, MINIML_AVR_ROW_PAIR_3("lpm"), "r17")
MINIML_AVR_WINDOW_PAIRS_FN(Ram, true, MINIML_AVR_ROW_PAIR_3("ld"), "r17")
MINIML_AVR_WINDOW_PAIRS_FN(Rom, false, MINIML_AVR_ROW_PAIR_N("lpm"), "__zero_reg__")
MINIML_AVR_WINDOW_PAIRS_FN(Ram, false, MINIML_AVR_ROW_PAIR_N("ld"), "__zero_reg__")
#undef MINIML_AVR_WINDOW_PAIRS_FN
#undef MINIML_AVR_WINDOW_PAIRS
#undef MINIML_AVR_ROW_PAIR_N
#undef MINIML_AVR_ROW_PAIR_3
#undef MINIML_AVR_TAP_PAIR
#undef MINIML_AVR_WINDOW24
#undef MINIML_AVR_WINDOW24_ASM
#undef MINIML_AVR_WINDOW24_RUN_ASM
#undef MINIML_AVR_ROW24_N
#undef MINIML_AVR_ROW24_3
#undef MINIML_AVR_TAP24
#undef MINIML_AVR_ROW_N
#undef MINIML_AVR_ROW_3
#undef MINIML_AVR_TAP
#endif

}  // namespace detail
}  // namespace miniml

#endif  // MINIML_CORE_DOT_H_
