/* Where one region's AVR cycles go: a flat profile by program address (simavr, exact cycles), for
 * scripts/counters/profile_avr.py, which names the functions and source lines.
 *
 *   simavr_profile firmware.elf REGION LIB_LO LIB_HI
 *
 * REGION: the index of the GPIOR0-marked region (miniml_bench.h) to profile. Cycles spent at addresses in
 * [LIB_LO, LIB_HI) (hex: the library routines, avr-libc's soft float) are charged to the address that called into
 * that range, so a line shows what its soft-float calls cost. Prints "address cycles" lines (hex, decimal). */
#include <stdint.h>
#include <stdlib.h>

#include "simavr_host.h"

static uint64_t g_cycles[1u << 15]; /* by word address: the ATmega328P's 32 KB of flash */
static unsigned g_region, g_wanted;
static int g_open;

static void on_gpior0(struct avr_t* avr, avr_io_addr_t addr, uint8_t v, void* param) {
  (void)param;
  avr->data[addr] = v;
  if (v == 1) {
    g_open = g_region == g_wanted;
  } else if (v == 2) {
    g_open = 0;
    ++g_region;
  }
}

static void on_uart(struct avr_irq_t* irq, uint32_t value, void* param) {
  (void)irq;
  (void)value;
  (void)param;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s firmware.elf REGION LIB_LO LIB_HI\n", argv[0]);
    return 2;
  }
  g_wanted = (unsigned)strtoul(argv[2], NULL, 10);
  const uint32_t lib_lo = (uint32_t)strtoul(argv[3], NULL, 16), lib_hi = (uint32_t)strtoul(argv[4], NULL, 16);
  elf_firmware_t fw;
  if (miniml_read_elf(argv[1], &fw) != 0) {
    fprintf(stderr, "simavr_profile: cannot read %s\n", argv[1]);
    return 2;
  }
  avr_t* avr = miniml_make_avr("atmega328p", 16000000, &fw, on_uart, NULL);
  avr_register_io_write(avr, MINIML_GPIOR0_ADDR, on_gpior0, NULL);
  uint32_t previous = 0, caller = 0;
  for (;;) {
    const uint32_t pc = avr->pc;
    const avr_cycle_count_t start = avr->cycle;
    const int state = avr_run(avr);
    const int in_lib = pc >= lib_lo && pc < lib_hi;
    if (!in_lib)
      caller = 0;
    else if (!caller)
      caller = previous;
    if (g_open) g_cycles[((in_lib ? caller : pc) >> 1) & 0x7FFF] += avr->cycle - start;
    previous = pc;
    if (state == cpu_Done || state == cpu_Crashed || avr->cycle > 1000000000ull) break;
  }
  for (unsigned i = 0; i < (1u << 15); ++i)
    if (g_cycles[i]) printf("%x %llu\n", i * 2, (unsigned long long)g_cycles[i]);
  return 0;
}
