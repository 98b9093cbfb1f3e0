// Demo firmware: runs the exported model on the inputs the demo script chose and prints every output as the
// hex bits of the float ("out <sample> <index> <hex>"), so the host compares exactly, without float formatting
// on the board. UART0 at 115200 baud on a bare AVR, stdout (semihosting) elsewhere. The first predict() is a
// marked region for scripts/counters (exact AVR cycles, Cortex-M instruction count).
#include <stdint.h>
#include <string.h>

#include "demo_inputs.h"
#include "demo_model.h"
#include "miniml_bench.h"  // scripts/counters: marks the first predict() for the cycle/instruction counters

MINIML_BENCH_STORAGE

#if defined(__AVR__)
#include <avr/io.h>
static void put(char c) {
  while (!(UCSR0A & (1u << UDRE0))) {
  }
  UDR0 = static_cast<uint8_t>(c);
}
static void console_start() {
  UCSR0A = static_cast<uint8_t>(1u << U2X0);
  UBRR0 = static_cast<uint16_t>((F_CPU / 4UL / 115200UL - 1UL) / 2UL);
  UCSR0B = static_cast<uint8_t>(1u << TXEN0);
}
#else
#include <stdio.h>
static void put(char c) { putchar(c); }
static void console_start() {}
#endif

static void put_str(const char* s) {
  while (*s) put(*s++);
}

static void put_uint(uint32_t v) {
  char d[10];
  int n = 0;
  do {
    d[n++] = static_cast<char>('0' + static_cast<char>(v % 10u));
    v /= 10u;
  } while (v != 0u);
  while (n > 0) put(d[--n]);
}

static void put_hex32(uint32_t v) {
  for (int shift = 28; shift >= 0; shift -= 4) put("0123456789abcdef"[(v >> shift) & 0xFu]);
}

static demo_model::Model g_model;

int main() {
  static float input[demo_model::kInputSize];
  static float output[demo_model::kOutputSize];
  console_start();
  put_str("miniml-demo model bytes ");
  put_uint(static_cast<uint32_t>(sizeof(g_model)));
  put('\n');
  for (miniml::index_t k = 0; k < demo_inputs::kCount; ++k) {
    for (miniml::index_t i = 0; i < demo_model::kInputSize; ++i) {
      input[i] = miniml::rom_read(&demo_inputs::Data<>::kInputs[k * demo_model::kInputSize + i]);
    }
    if (k == 0) miniml_bench_begin();
    g_model.predict(input, output);
    if (k == 0) miniml_bench_end();
    for (miniml::index_t i = 0; i < demo_model::kOutputSize; ++i) {
      uint32_t bits;
      memcpy(&bits, &output[i], sizeof(bits));
      put_str("out ");
      put_uint(k);
      put(' ');
      put_uint(i);
      put(' ');
      put_hex32(bits);
      put('\n');
    }
  }
  put_str("miniml-demo done\n");
  return 0;
}
