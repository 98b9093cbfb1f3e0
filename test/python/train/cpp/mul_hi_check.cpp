// mul_hi_u32_fast (the polynomial loop's product off AVR, whichever MINIML_EXP_LOG_MUL_HALVES picks) against
// mul_hi_u32's plain definition: every pair of edge values, then PAIRS pseudo-random pairs (xorshift32), each
// also with its halves swapped for edge halves. Prints "RESULT <pairs that differ> <pairs checked> END".
#include <stdio.h>

#include "miniml/train_exp_log.h"

static const uint32_t kEdges[] = {0,
                                  1,
                                  2,
                                  0x7FFF,
                                  0x8000,
                                  0xFFFF,
                                  0x10000,
                                  0x10001,
                                  0x1FFFF,
                                  0x7FFFFFFF,
                                  0x80000000,
                                  0x80000001,
                                  0xFFFF0000,
                                  0xFFFF0001,
                                  0xFFFEFFFF,
                                  0xFFFFFFFE,
                                  0xFFFFFFFF,
                                  miniml::detail::kQ32Ln2,
                                  miniml::detail::kExpC6};
static const unsigned kEdgeCount = sizeof(kEdges) / sizeof(kEdges[0]);

static uint32_t differs = 0, checked = 0;

static void check(uint32_t a, uint32_t b) {
  differs += miniml::detail::mul_hi_u32_fast(a, b) != miniml::detail::mul_hi_u32(a, b);
  ++checked;
}

int main() {
  for (unsigned i = 0; i < kEdgeCount; ++i) {
    for (unsigned j = 0; j < kEdgeCount; ++j) check(kEdges[i], kEdges[j]);
  }
  uint32_t state = UINT32_C(0x9E3779B9);
  for (uint32_t n = 0; n < PAIRS; ++n) {
    uint32_t v[2];
    for (int k = 0; k < 2; ++k) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      v[k] = state;
    }
    check(v[0], v[1]);
    const uint32_t edge = kEdges[n % kEdgeCount];
    check((v[0] & 0xFFFF0000u) | (edge & 0xFFFFu), v[1]);
    check(v[0], (edge & 0xFFFF0000u) | (v[1] & 0xFFFFu));
  }
  printf("RESULT %lu %lu END\n", static_cast<unsigned long>(differs), static_cast<unsigned long>(checked));
  return differs == 0 ? 0 : 1;
}
