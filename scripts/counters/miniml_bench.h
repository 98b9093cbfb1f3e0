/* Firmware side of the cycle/instruction counters in scripts/counters/ (see count.py for the host side).
 *
 *   #include "miniml_bench.h"
 *   miniml_bench_begin(); model.predict(in, out); miniml_bench_end();   // one measured region
 *
 * Up to any number of regions, one after another (not nested). What is counted:
 *   AVR     exact CPU cycles (simavr_cycles reads simavr's cycle counter when GPIOR0 is written: 1 = begin,
 *           2 = end; each marker is one 1-cycle `out`).
 *   ARM     executed instructions between the entry of miniml_bench_begin and of miniml_bench_end (the
 *           qemu_icount plugin, given both addresses by count.py).
 *   RISC-V  retired instructions from minstret (exact under QEMU -icount shift=0); the firmware prints
 *           "miniml-count: region K minstret N" itself through semihosting stdout.
 * Build RISC-V firmware with -misa-spec=2.2 (CSR reads in the base ISA). */
#ifndef MINIML_BENCH_H_
#define MINIML_BENCH_H_

#include <stdint.h>

#if defined(__AVR__)
#include <avr/io.h>
static inline void miniml_bench_begin(void) { GPIOR0 = 1; }
static inline void miniml_bench_end(void) { GPIOR0 = 2; }

#elif defined(__riscv)
#include <stdio.h>
#ifdef __cplusplus
extern "C" {
#endif
extern uint32_t miniml_bench_start_;
extern uint32_t miniml_bench_region_;
#ifdef __cplusplus
}
#endif
static inline uint32_t miniml_bench_minstret(void) {
  uint32_t v;
  __asm__ __volatile__("csrr %0, minstret" : "=r"(v));
  return v;
}
static inline void miniml_bench_print_u32(uint32_t v) {
  char d[10];
  int n = 0;
  do {
    d[n++] = (char)('0' + (char)(v % 10u));
    v /= 10u;
  } while (v != 0u);
  while (n > 0) putchar(d[--n]);
}
static inline void miniml_bench_begin(void) { miniml_bench_start_ = miniml_bench_minstret(); }
static inline void miniml_bench_end(void) {
  uint32_t n = miniml_bench_minstret() - miniml_bench_start_;
  fputs("miniml-count: region ", stdout);
  miniml_bench_print_u32(miniml_bench_region_++);
  fputs(" minstret ", stdout);
  miniml_bench_print_u32(n);
  putchar('\n');
}
/* Define the two counters in exactly one translation unit. */
#define MINIML_BENCH_STORAGE        \
  uint32_t miniml_bench_start_ = 0; \
  uint32_t miniml_bench_region_ = 0;

#else
/* Cortex-M (and anything else): empty, never-inlined markers whose entry addresses the QEMU plugin watches. */
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((noinline, used)) void miniml_bench_begin(void);
__attribute__((noinline, used)) void miniml_bench_end(void);
#ifdef __cplusplus
}
#endif
/* Defined in exactly one translation unit (the earlier extern "C" declarations give the linkage). */
#define MINIML_BENCH_STORAGE                                               \
  void miniml_bench_begin(void) { __asm__ __volatile__("" ::: "memory"); } \
  void miniml_bench_end(void) { __asm__ __volatile__("" ::: "memory"); }
#endif

#ifndef MINIML_BENCH_STORAGE
#define MINIML_BENCH_STORAGE
#endif

#endif /* MINIML_BENCH_H_ */
