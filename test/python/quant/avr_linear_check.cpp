// linear_acc24_s8 (AVR with flash weights: op_linear_s8_avr.h's routine; elsewhere linear_s8) against linear_s8_ref
// on the cases of linear_data.h (written by test_avr_asm.py, every one inside linear_acc24_s8's domain): lengths 1 to
// 255, biases at the domain's edge, multipliers 0, 1, 2^30, 2^31 - 1, shifts -2 and -31, zero points and bounds at
// the int8 ends. Inputs random, all -128, all 127, or the signs that drive row 0's sum to its extremes. Prints
// "RESULT cases mismatches END"; built for the host (sanitizers) and for simavr.
#include <string.h>

#include "../result_line.h"
#include "../xorshift.h"
#include "linear_data.h"
#include "miniml/board_io.h"
#include "miniml/op_linear_s8.h"
#include "miniml/op_linear_s8_ref.h"

static int8_t act[256], out[64], ref[64];

int main() {
  miniml::io::begin();
  uint32_t cases = 0, bad = 0;
  for (uint16_t c = 0; c < kCases; ++c) {
    const uint16_t n = miniml::Rom::read(&kCase[c][0]), rows = miniml::Rom::read(&kCase[c][1]);
    const uint16_t woff = miniml::Rom::read(&kCase[c][2]), poff = miniml::Rom::read(&kCase[c][3]);
    const int8_t zp = static_cast<int8_t>(miniml::Rom::read(&kCase[c][4]));
    const int8_t lo = static_cast<int8_t>(miniml::Rom::read(&kCase[c][5]));
    const int8_t hi = static_cast<int8_t>(miniml::Rom::read(&kCase[c][6]));
    for (uint8_t pattern = 0; pattern < 5; ++pattern) {
      for (uint16_t i = 0; i < n; ++i) {
        const int8_t w = miniml::Rom::read(kW + woff + i);
        const int8_t extreme = (w >= 0) == (pattern == 1) ? 127 : -128;
        act[i] = pattern == 0 ? static_cast<int8_t>(rnd()) : pattern == 3 ? -128 : pattern == 4 ? 127 : extreme;
      }
      miniml::linear_acc24_s8<miniml::Rom>(act, kW + woff, kB + poff, kM + poff, kS + poff, zp, lo, hi, n, rows, out);
      miniml::linear_s8_ref<miniml::Rom>(act, kW + woff, kB + poff, kM + poff, kS + poff, zp, lo, hi, n, rows, ref);
      ++cases;
      if (memcmp(out, ref, rows) != 0) ++bad;
    }
  }
  const uint32_t result[] = {cases, bad};
  return finish_with_result(result);
}
