// Sensor samples as text rows that `miniml capture` reads: the values separated by commas, the row ended by
// "\r\n", e.g. "12,-3,0.250". Integers print exactly; a float prints with `decimals` digits after the point
// (0..6, rounded to nearest; from 2^31 up with an exponent, e.g. 2.147e9), NaN and infinities as "nan"/"inf",
// which capture skips as malformed. No printf: the digits come from integer arithmetic, so bare AVR builds need
// no float printf.
//   miniml::stream_row(values, n)          -> the board's console (board_io.h: Serial, UART0 or stdout)
//   miniml::stream_row(Serial1, values, n) -> any Arduino Print (a second UART, SoftwareSerial, a File)
// Values: float or any integer type up to long (a double is refused at compile time).
#ifndef MINIML_STREAM_H_
#define MINIML_STREAM_H_

#include <math.h>
#include <stdint.h>

#include "board_io.h"
#include "core_types.h"

namespace miniml {
namespace detail {

// where stream_row's characters go: put(char)
struct ConsoleSink {
  void put(char c) { io::put(c); }
};

#if defined(ARDUINO)
class PrintSink {
 public:
  explicit PrintSink(Print& out) : out_(out) {}
  void put(char c) { out_.write(static_cast<uint8_t>(c)); }

 private:
  Print& out_;
};
#endif

template <typename Sink>
void stream_text(Sink& out, const char* s) {
  while (*s != '\0') out.put(*s++);
}

// u in decimal, left-padded with zeros to at least `width` digits
template <typename Sink>
void stream_unsigned(Sink& out, unsigned long u, uint8_t width = 1) {
  char digits[20];  // 2^64 has 20 digits
  uint8_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<char>(u % 10u));
    u /= 10u;
  } while (u != 0u);
  while (n < width) digits[n++] = '0';
  while (n > 0) out.put(digits[--n]);
}

template <typename Sink>
void stream_signed(Sink& out, long v) {
  if (v < 0) out.put('-');
  // -(v + 1) + 1: the magnitude of the most negative long without overflow
  stream_unsigned(out, v < 0 ? static_cast<unsigned long>(-(v + 1)) + 1u : static_cast<unsigned long>(v));
}

template <typename Sink>
void stream_float(Sink& out, float v, uint8_t decimals) {
  if (v != v) return stream_text(out, "nan");
  if (v < 0.0f) out.put('-');
  float a = fabsf(v);
  if (a > 3.4028235e38f) return stream_text(out, "inf");
  if (decimals > 6) decimals = 6;  // a float holds about 7 significant digits
  uint32_t scale = 1;
  for (uint8_t i = 0; i < decimals; ++i) scale *= 10u;
  int8_t exponent = 0;
  if (a >= 2147483648.0f) {  // beyond the integer part's 32 bits: mantissa and exponent
    while (a >= 10.0f) {
      a /= 10.0f;
      ++exponent;
    }
  }
  uint32_t whole = static_cast<uint32_t>(a);         // a < 2^31 here: in range
  const float frac = a - static_cast<float>(whole);  // exact: the fraction bits of a
  uint32_t part = static_cast<uint32_t>(frac * static_cast<float>(scale) + 0.5f);
  if (part >= scale) {  // 0.9996 at 3 decimals rounds up into the whole part
    part -= scale;
    ++whole;
  }
  stream_unsigned(out, whole);
  if (decimals > 0) {
    out.put('.');
    stream_unsigned(out, part, decimals);
  }
  if (exponent != 0) {
    out.put('e');
    stream_unsigned(out, static_cast<unsigned long>(exponent));
  }
}

// an integer of any type up to long, exactly
template <typename Sink, typename T>
void stream_value(Sink& out, T v, uint8_t) {
  static_assert(static_cast<T>(1) / static_cast<T>(2) == static_cast<T>(0),
                "miniml::stream_row takes float or integer values (a double: convert it to float)");
  if (static_cast<T>(-1) < static_cast<T>(1)) {  // a signed type
    stream_signed(out, static_cast<long>(v));
  } else {
    stream_unsigned(out, static_cast<unsigned long>(v));
  }
}

// a float (more specialised than the integer template, so it wins for float values)
template <typename Sink>
void stream_value(Sink& out, float v, uint8_t decimals) {
  stream_float(out, v, decimals);
}

template <typename Sink, typename T>
void stream_row_to(Sink& out, const T* values, index_t count, uint8_t decimals) {
  for (index_t i = 0; i < count; ++i) {
    if (i != 0) out.put(',');
    stream_value(out, values[i], decimals);
  }
  out.put('\r');
  out.put('\n');
}

}  // namespace detail

// values[0..count) as one row on the board's console (board_io.h; call io::begin() once first)
template <typename T>
void stream_row(const T* values, index_t count, uint8_t decimals = 3) {
  detail::ConsoleSink out;
  detail::stream_row_to(out, values, count, decimals);
}

#if defined(ARDUINO)
// values[0..count) as one row on any Arduino Print (Serial, Serial1, SoftwareSerial, an SD File)
template <typename T>
void stream_row(Print& print, const T* values, index_t count, uint8_t decimals = 3) {
  detail::PrintSink out(print);
  detail::stream_row_to(out, values, count, decimals);
}
#endif

}  // namespace miniml

#endif  // MINIML_STREAM_H_
