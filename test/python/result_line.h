// The last line of a check program, which toolchains.check_result reads: "RESULT c0 c1 ... END", then the
// program's exit (simavr: the board_io stop).
#ifndef MINIML_TEST_RESULT_LINE_H_
#define MINIML_TEST_RESULT_LINE_H_

#include <stdint.h>

#include "miniml/board_io.h"

template <uint8_t N>
inline int finish_with_result(const uint32_t (&counts)[N]) {
  miniml::io::print("RESULT");
  for (uint8_t i = 0; i < N; ++i) {
    miniml::io::put(' ');
    miniml::io::print_uint(counts[i]);
  }
  miniml::io::print(" END\n");
  return miniml::io::finish(0);
}

#endif  // MINIML_TEST_RESULT_LINE_H_
