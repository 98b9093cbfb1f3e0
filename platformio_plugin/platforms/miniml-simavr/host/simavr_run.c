/* Runs an AVR firmware ELF in libsimavr: UART0 text on stdout; stops by the first rule that applies and says
 * which.
 *
 *   simavr_run [-m atmega328p] [-f 16000000] [-i IDLE_MS] [-t LIMIT_MS] [-c MAX_CYCLES] [-r] firmware.elf
 *
 * Rules (times are simulated time, cycles / frequency):
 *   the program ended (main returned: the CPU sleeps with interrupts off) -> exit status = main's (GPIOR1)
 *   the CPU crashed                                                     -> 3
 *   -i: no UART0 byte for IDLE_MS ms (an Arduino sketch's loop() never returns) -> 0
 *   -t: LIMIT_MS ms of simulated time reached                                   -> 0
 *   -c: MAX_CYCLES cycles ran out (a counter's safety net)                      -> 4
 * The idle and limit rules print "[miniml] simavr: stopped ..." on stderr. -r prints the cycles of each
 * region the firmware marks with GPIOR0 (scripts/counters/miniml_bench.h): "miniml-count: region K cycles N"
 * (from the begin marker's `out` to the end marker's), then "miniml-count: total cycles N". */
#include <stdint.h>
#include <stdlib.h>

#include "simavr_host.h"

static avr_t* g_avr;
static avr_cycle_count_t g_begin, g_last_output;
static int g_open, g_regions;
static unsigned g_region;

static void on_gpior0(struct avr_t* avr, avr_io_addr_t addr, uint8_t v, void* param) {
  (void)param;
  avr->data[addr] = v;
  if (v == 1) {
    g_begin = avr->cycle;
    g_open = 1;
  } else if (v == 2 && g_open) {
    if (g_regions)
      printf("miniml-count: region %u cycles %llu\n", g_region, (unsigned long long)(avr->cycle - g_begin));
    ++g_region;
    g_open = 0;
  }
}

static void on_uart(struct avr_irq_t* irq, uint32_t value, void* param) {
  (void)irq;
  (void)param;
  g_last_output = g_avr->cycle;
  putchar((int)(value & 0xFF));
  if ((value & 0xFF) == '\n') fflush(stdout);
}

int main(int argc, char** argv) {
  const char* mcu = "atmega328p";
  uint32_t freq = 16000000;
  unsigned long long max_cycles = 0, idle_ms = 0, limit_ms = 0;
  int opt;
  while ((opt = getopt(argc, argv, "m:f:c:i:t:r")) != -1) {
    if (opt == 'm')
      mcu = optarg;
    else if (opt == 'f')
      freq = (uint32_t)strtoul(optarg, NULL, 10);
    else if (opt == 'c')
      max_cycles = strtoull(optarg, NULL, 10);
    else if (opt == 'i')
      idle_ms = strtoull(optarg, NULL, 10);
    else if (opt == 't')
      limit_ms = strtoull(optarg, NULL, 10);
    else if (opt == 'r')
      g_regions = 1;
    else
      return 2;
  }
  if (optind != argc - 1) {
    fprintf(stderr, "usage: %s [-m mcu] [-f hz] [-i idle_ms] [-t limit_ms] [-c max_cycles] [-r] firmware.elf\n",
            argv[0]);
    return 2;
  }
  elf_firmware_t fw;
  if (miniml_read_elf(argv[optind], &fw) != 0) {
    fprintf(stderr, "[miniml] simavr: cannot read %s\n", argv[optind]);
    return 2;
  }
  avr_t* avr = g_avr = miniml_make_avr(mcu, freq, &fw, on_uart, NULL);
  if (!avr) {
    fprintf(stderr, "[miniml] simavr: unknown mcu %s\n", mcu);
    return 2;
  }
  avr_register_io_write(avr, MINIML_GPIOR0_ADDR, on_gpior0, NULL);

  const unsigned long long per_ms = freq / 1000u;
  const avr_cycle_count_t idle = idle_ms * per_ms, limit = limit_ms * per_ms;
  int state = cpu_Running;
  int code = -1;
  while (code < 0) {
    state = avr_run(avr);
    if (state == cpu_Done) {
      code = avr->data[MINIML_GPIOR1_ADDR];
    } else if (state == cpu_Crashed) {
      fflush(stdout);
      fprintf(stderr, "[miniml] simavr: the firmware crashed at pc 0x%04x after %llu cycles\n", avr->pc,
              (unsigned long long)avr->cycle);
      code = 3;
    } else if (idle && avr->cycle - g_last_output >= idle) {
      fflush(stdout);
      fprintf(stderr, "[miniml] simavr: stopped: no serial output for %llu ms of simulated time (idle rule, -i)\n",
              idle_ms);
      code = 0;
    } else if (limit && avr->cycle >= limit) {
      fflush(stdout);
      fprintf(stderr, "[miniml] simavr: stopped: simulated-time limit of %llu ms reached (-t)\n", limit_ms);
      code = 0;
    } else if (max_cycles && avr->cycle > max_cycles) {
      fflush(stdout);
      fprintf(stderr, "[miniml] simavr: no exit after %llu cycles (-c)\n", max_cycles);
      code = 4;
    }
  }
  if (g_regions) printf("miniml-count: total cycles %llu\n", (unsigned long long)avr->cycle);
  fflush(stdout);
  return code;
}
