// Text output for test firmware on the simulated boards and the host: UART0 on bare AVR (simavr shows it),
// stdout elsewhere (QEMU semihosting). Numbers go out as integers or raw float bits (exact, no printf float).
#ifndef TRAIN_SIM_IO_H_
#define TRAIN_SIM_IO_H_

#include <stdint.h>
#include <string.h>

#if defined(__AVR__)
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
inline void io_init() {
  UBRR0H = 0;
  UBRR0L = 16;
  UCSR0A = static_cast<uint8_t>(1u << U2X0);
  UCSR0B = static_cast<uint8_t>(1u << TXEN0);
  UCSR0C = static_cast<uint8_t>((1u << UCSZ01) | (1u << UCSZ00));
}
inline void io_putc(char c) {
  while (!(UCSR0A & (1u << UDRE0))) {
  }
  UDR0 = static_cast<uint8_t>(c);
}
// simavr ends the run when the CPU sleeps with interrupts off.
inline int io_exit(int code) {
  set_sleep_mode(SLEEP_MODE_PWR_DOWN);
  sleep_enable();
  cli();
  sleep_cpu();
  return code;
}
#else
#include <stdio.h>
inline void io_init() {}
inline void io_putc(char c) { putchar(c); }
inline int io_exit(int code) {
  fflush(stdout);
  return code;
}
#endif

inline void io_puts(const char* s) {
  while (*s) io_putc(*s++);
}
inline void io_hex32(uint32_t v) {
  for (int8_t shift = 28; shift >= 0; shift -= 4) io_putc("0123456789abcdef"[(v >> shift) & 0xFu]);
}
inline void io_uint(uint32_t v) {
  char d[10];
  uint8_t n = 0;
  do {
    d[n++] = static_cast<char>('0' + static_cast<char>(v % 10u));
    v /= 10u;
  } while (v);
  while (n) io_putc(d[--n]);
}
inline void io_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  io_hex32(u);
}

#endif  // TRAIN_SIM_IO_H_
