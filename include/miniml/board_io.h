// Text output and program end for the programs around the library (examples, tests, the demo, the bench) on
// every MiniML target, in one place: Serial under the Arduino framework, UART0 at 115200 baud on the bare AVR
// (simavr shows it), putchar elsewhere (stdout on the host, semihosting on the simulated Cortex-M and RISC-V
// boards). Numbers go out through integers (floats with 3 decimals, or their exact bits): no printf float
// support is needed. Model headers never include this file.
#ifndef MINIML_BOARD_IO_H_
#define MINIML_BOARD_IO_H_

#include <stdint.h>
#include <string.h>

#if defined(ARDUINO)
#include <Arduino.h>
#elif defined(__AVR__)
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#else
#include <stdio.h>
#endif

namespace miniml {
namespace io {

#if defined(ARDUINO)
inline void begin() {
  Serial.begin(115200);
  delay(1000);
}
inline void put(char c) { Serial.write(c); }
inline int finish(int code) {
  Serial.flush();
  return code;
}
#elif defined(__AVR__)
#if defined(F_CPU)
const uint32_t kCpuHz = F_CPU;
#else
const uint32_t kCpuHz = 16000000UL;  // the Uno's clock, when the build does not say
#endif
inline void begin() {
  UCSR0A = static_cast<uint8_t>(1u << U2X0);  // 16 MHz / (8 * (16 + 1)) = 117647 baud ~ 115200
  UBRR0 = static_cast<uint16_t>((kCpuHz / 4UL / 115200UL - 1UL) / 2UL);
  UCSR0B = static_cast<uint8_t>(1u << TXEN0);
  UCSR0C = static_cast<uint8_t>((1u << UCSZ01) | (1u << UCSZ00));
}
inline void put(char c) {
  while (!(UCSR0A & (1u << UDRE0))) {
  }
  UDR0 = static_cast<uint8_t>(c);
}
// Ends the program where it stands: simavr stops when the CPU sleeps with interrupts off (returning from
// main() does the same through the simulated platform's .fini1 hook).
inline int finish(int code) {
  set_sleep_mode(SLEEP_MODE_PWR_DOWN);
  sleep_enable();
  cli();
  sleep_cpu();
  return code;
}
#else
inline void begin() {}
inline void put(char c) { putchar(c); }
inline int finish(int code) {
  fflush(stdout);
  return code;
}
#endif

inline void print(const char* s) {
  while (*s != '\0') put(*s++);
}

inline void print_uint(uint32_t u) {
  char digits[10];
  uint8_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<char>(u % 10u));
    u /= 10u;
  } while (u != 0u);
  while (n > 0) put(digits[--n]);
}

inline void print_int(int32_t v) {
  if (v < 0) put('-');
  print_uint(v < 0 ? static_cast<uint32_t>(-(v + 1)) + 1u : static_cast<uint32_t>(v));
}

inline void print_hex32(uint32_t v) {
  for (int8_t shift = 28; shift >= 0; shift -= 4) put("0123456789abcdef"[(v >> shift) & 0xFu]);
}

// v with 3 decimals, e.g. -0.125
inline void print_float(float v) {
  if (v < 0.0f) {
    put('-');
    v = -v;
  }
  const int32_t milli = static_cast<int32_t>(v * 1000.0f + 0.5f);
  print_int(milli / 1000);
  put('.');
  const int32_t frac = milli % 1000;
  if (frac < 100) put('0');
  if (frac < 10) put('0');
  print_int(frac);
}

// the exact bits of f, as 8 hex digits (compared bit for bit on the host)
inline void print_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof(u));
  print_hex32(u);
}

}  // namespace io
}  // namespace miniml

// A program's entry around `void run()`: setup() and an empty loop() under the Arduino framework, main()
// elsewhere. Examples and the demo write MINIML_MAIN(run) instead of repeating both forms.
#if defined(ARDUINO)
#define MINIML_MAIN(run)  \
  void setup() { run(); } \
  void loop() {}
#else
#define MINIML_MAIN(run) \
  int main() {           \
    run();               \
    return 0;            \
  }
#endif

#endif  // MINIML_BOARD_IO_H_
