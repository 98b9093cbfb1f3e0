/* Simulator exit for bare-metal AVR: runs in .fini1, after main() returns and exit() has run the destructors.
 * Stores the low byte of the exit status (still in r24) in GPIOR1 for the cycle counter, then sleeps with
 * interrupts off, which is how simavr (and the counter) learn that the program has ended. On a real board the
 * CPU just sleeps, as avr-libc's own _exit would loop. */
#include <avr/io.h>

__attribute__((naked, used, section(".fini1"))) void miniml_sim_exit(void) {
  __asm__ __volatile__(
      "out %[gpior1], r24\n\t"
      "ldi r24, %[se]\n\t"
      "out %[smcr], r24\n\t"
      "cli\n\t"
      "sleep\n\t" ::[gpior1] "I"(_SFR_IO_ADDR(GPIOR1)),
      [smcr] "I"(_SFR_IO_ADDR(SMCR)), [se] "M"(1 << SE));
}
