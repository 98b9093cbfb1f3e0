/* Shared by the libsimavr host programs (simavr_run.c, the power-cut harness): load a firmware ELF into a new
 * simulated MCU, and take UART0's output bytes. Header-only; build with
 *   gcc -O2 -I/usr/include/simavr prog.c -lsimavr -lelf */
#ifndef MINIML_SIMAVR_HOST_H_
#define MINIML_SIMAVR_HOST_H_

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_io.h"
#include "sim_irq.h"

/* Data-space addresses of the ATmega328P general-purpose I/O registers (I/O 0x1E, 0x2A + 0x20): GPIOR0 marks
 * benchmark regions (1 begin, 2 end), GPIOR1 holds main()'s exit status (miniml-simavr's runtime). */
#define MINIML_GPIOR0_ADDR 0x3E
#define MINIML_GPIOR1_ADDR 0x4A

/* Reads an ELF; libsimavr reports "Loaded ..." on stdout, which belongs to the firmware's text: silenced. */
static inline int miniml_read_elf(const char* path, elf_firmware_t* fw) {
  memset(fw, 0, sizeof(*fw));
  fflush(stdout);
  int saved = dup(1);
  FILE* devnull = fopen("/dev/null", "w");
  if (devnull) dup2(fileno(devnull), 1);
  int failed = elf_read_firmware(path, fw) != 0;
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  if (devnull) fclose(devnull);
  return failed ? -1 : 0;
}

/* A new MCU running `fw`, with UART0's bytes passed to `on_byte` (not echoed by simavr). NULL: unknown MCU.
 */
static inline avr_t* miniml_make_avr(const char* mcu, uint32_t freq, elf_firmware_t* fw, avr_irq_notify_t on_byte,
                                     void* param) {
  avr_t* avr = avr_make_mcu_by_name(mcu);
  if (!avr) return NULL;
  avr_init(avr);
  avr->frequency = freq;
  avr->log = 0;
  avr_load_firmware(avr, fw);
  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~AVR_UART_FLAG_STDIO;
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_byte, param);
  return avr;
}

#endif /* MINIML_SIMAVR_HOST_H_ */
