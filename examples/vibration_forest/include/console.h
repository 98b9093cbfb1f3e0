// Text output for this example on every env: Serial on Arduino boards, UART0 on the bare simulated AVR (simavr
// shows it), putchar elsewhere (stdout on the host, semihosting on the simulated Cortex-M and RISC-V boards).
// Floats are printed with 3 decimals through integers, so no printf float support is needed.
#ifndef EXAMPLE_CONSOLE_H_
#define EXAMPLE_CONSOLE_H_

#include <stdint.h>

#if defined(ARDUINO)
#include <Arduino.h>
inline void console_begin() {
  Serial.begin(115200);
  delay(1000);
}
inline void console_char(char c) { Serial.write(c); }
#elif defined(__AVR__)
#include <avr/io.h>
inline void console_begin() {
  UCSR0A = static_cast<uint8_t>(1u << U2X0);  // 16 MHz / (8 * (16 + 1)) = 117647 baud ~ 115200
  UBRR0 = static_cast<uint16_t>((F_CPU / 4UL / 115200UL - 1UL) / 2UL);
  UCSR0B = static_cast<uint8_t>(1u << TXEN0);
  UCSR0C = static_cast<uint8_t>((1u << UCSZ01) | (1u << UCSZ00));
}
inline void console_char(char c) {
  while (!(UCSR0A & (1u << UDRE0))) {
  }
  UDR0 = static_cast<uint8_t>(c);
}
#else
#include <stdio.h>
inline void console_begin() {}
inline void console_char(char c) { putchar(c); }
#endif

inline void console_print(const char* s) {
  while (*s != '\0') console_char(*s++);
}

inline void console_int(int32_t v) {
  char digits[11];
  uint8_t n = 0;
  uint32_t u = v < 0 ? static_cast<uint32_t>(-(v + 1)) + 1u : static_cast<uint32_t>(v);
  if (v < 0) console_char('-');
  do {
    digits[n++] = static_cast<char>('0' + static_cast<char>(u % 10u));
    u /= 10u;
  } while (u != 0u);
  while (n > 0) console_char(digits[--n]);
}

// v with 3 decimals, e.g. -0.125
inline void console_float(float v) {
  if (v < 0.0f) {
    console_char('-');
    v = -v;
  }
  const int32_t milli = static_cast<int32_t>(v * 1000.0f + 0.5f);
  console_int(milli / 1000);
  console_char('.');
  const int32_t frac = milli % 1000;
  if (frac < 100) console_char('0');
  if (frac < 10) console_char('0');
  console_int(frac);
}

#endif  // EXAMPLE_CONSOLE_H_
