/* Exact AVR cycle counter: runs a firmware ELF in libsimavr and reports the cycles of each region the firmware
 * marks with miniml_bench.h (GPIOR0 = 1 begin, 2 end), plus the exit code it leaves in GPIOR1 when main returns
 * (miniml-simavr's runtime). UART0 text goes to stdout, unchanged.
 *
 *   simavr_cycles [-m atmega328p] [-f 16000000] [-c MAX_CYCLES] firmware.elf
 *   stdout: the firmware's UART0 text, "miniml-count: region K cycles N" per region (N = cycles from the begin
 *           marker's `out` to the end marker's `out`: the region plus 1, plus any `ldi` that loads the marker
 *           value), then "miniml-count: total cycles N"
 *   exit:   the firmware's exit code (GPIOR1), 3 if the CPU crashed, 4 if MAX_CYCLES ran out.
 * Build: gcc -O2 -I/usr/include/simavr simavr_cycles.c -lsimavr -lelf (scripts/counters/build.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_io.h"
#include "sim_irq.h"

/* Data-space addresses of the ATmega328P general-purpose I/O registers (I/O 0x1E, 0x2A + 0x20). */
#define GPIOR0_ADDR 0x3E
#define GPIOR1_ADDR 0x4A

static avr_cycle_count_t g_begin;
static int g_open;
static unsigned g_region;

static void on_gpior0(struct avr_t* avr, avr_io_addr_t addr, uint8_t v, void* param) {
  (void)param;
  avr->data[addr] = v;
  if (v == 1) {
    g_begin = avr->cycle;
    g_open = 1;
  } else if (v == 2 && g_open) {
    printf("miniml-count: region %u cycles %llu\n", g_region++, (unsigned long long)(avr->cycle - g_begin));
    g_open = 0;
  }
}

static void on_uart(struct avr_irq_t* irq, uint32_t value, void* param) {
  (void)irq;
  (void)param;
  putchar((int)(value & 0xFF));
}

int main(int argc, char** argv) {
  const char* mcu = "atmega328p";
  uint32_t freq = 16000000;
  unsigned long long max_cycles = 100000000000ULL;
  int opt;
  while ((opt = getopt(argc, argv, "m:f:c:")) != -1) {
    if (opt == 'm')
      mcu = optarg;
    else if (opt == 'f')
      freq = (uint32_t)strtoul(optarg, NULL, 10);
    else if (opt == 'c')
      max_cycles = strtoull(optarg, NULL, 10);
    else
      return 2;
  }
  if (optind != argc - 1) {
    fprintf(stderr, "usage: %s [-m mcu] [-f hz] [-c max_cycles] firmware.elf\n", argv[0]);
    return 2;
  }
  elf_firmware_t fw;
  memset(&fw, 0, sizeof(fw));
  /* libsimavr prints "Loaded ..." lines on stdout while loading: keep stdout for the firmware's text. */
  fflush(stdout);
  int saved_stdout = dup(1);
  FILE* devnull = fopen("/dev/null", "w");
  if (devnull) dup2(fileno(devnull), 1);
  int read_failed = elf_read_firmware(argv[optind], &fw) != 0;
  fflush(stdout);
  dup2(saved_stdout, 1);
  close(saved_stdout);
  if (devnull) fclose(devnull);
  if (read_failed) {
    fprintf(stderr, "simavr_cycles: cannot read %s\n", argv[optind]);
    return 2;
  }
  avr_t* avr = avr_make_mcu_by_name(mcu);
  if (!avr) {
    fprintf(stderr, "simavr_cycles: unknown mcu %s\n", mcu);
    return 2;
  }
  avr_init(avr);
  avr->frequency = freq;
  avr->log = 0;
  avr_load_firmware(avr, &fw);
  avr_register_io_write(avr, GPIOR0_ADDR, on_gpior0, NULL);

  /* Take UART0 output ourselves, instead of simavr's coloured line-buffered echo. */
  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~AVR_UART_FLAG_STDIO;
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart, NULL);

  int state = cpu_Running;
  while (state != cpu_Done && state != cpu_Crashed) {
    if (avr->cycle > max_cycles) {
      fflush(stdout);
      fprintf(stderr, "simavr_cycles: no exit after %llu cycles\n", max_cycles);
      return 4;
    }
    state = avr_run(avr);
  }
  printf("miniml-count: total cycles %llu\n", (unsigned long long)avr->cycle);
  fflush(stdout);
  if (state == cpu_Crashed) return 3;
  return avr->data[GPIOR1_ADDR];
}
