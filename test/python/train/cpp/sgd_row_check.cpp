// linear_weight_sgd_f32<true> (on the ATmega with MINIML_LEARN_SGD: core_float_avr.h's asm dot in its SGD mode)
// against the plain C loop beside it, bit for bit (zero signs included; any NaN equals any NaN): rows of 1..20
// weights with hard operands: subnormal, +-0, Inf and NaN weights, inputs and steps, products whose exponent
// sum sits at the edges of the fast path (underflow, overflow, rounding up into the next binade, ties), large
// exponents, weights equal to the product (w - s * x cancels to +0) or its neighbours, many +-0 inputs.
// Prints "RESULT skip_loop plain_loop dense weights fast dense_rows END": the mismatches against the loop with the
// zero-input skip (zero_step_keeps_f32, what the asm must equal everywhere), against linear_weight_sgd_f32<false>
// (every weight computed) on the rows that pass the step check (learn()'s precondition), of step_f32(Sgd) (a bias: the
// same asm with the factor lr) against Sgd::apply on the rows that pass its check, the weights compared, and how
// many of them the asm's own multiply takes (x and step normal, 1 <= ex + es - 127 <= 252), and the dense rows
// compared.
#include <stdint.h>
#include <string.h>

#include "../../float_operands.h"
#include "../../result_line.h"
#include "../../xorshift.h"
#include "miniml/board_io.h"
#include "miniml/train_sgd.h"

static uint32_t operand() {
  switch (rnd() % 8) {
    case 0:
      return rnd();
    case 1:
      return kEdges[rnd() % (sizeof(kEdges) / sizeof(kEdges[0]))];
    case 2:
      return in_binades(0, 2);  // subnormals and the smallest normals
    case 3:
      return in_binades(240, 254);
    default:
      return in_binades(110, 135);
  }
}
// An input for the step s whose exponent field sums with s's to the fast path's edges (or anywhere).
static uint32_t input_for(float s) {
  static const int16_t kSums[] = {-1, 0, 1, 2, 251, 252, 253, 254};
  if ((rnd() & 3) == 0) return rnd() & 0x80000000u;  // a ReLU's zero
  if (rnd() & 1) return operand();
  const int16_t es = static_cast<int16_t>((bits(s) >> 23) & 0xFF);
  int16_t ex = static_cast<int16_t>(kSums[rnd() % 8] + 127 - es);
  ex = ex < 1 ? 1 : ex > 254 ? 254 : ex;
  return (rnd() & 0x80000000u) | (static_cast<uint32_t>(ex) << 23) | (rnd() & 0x7FFFFFu);
}
// A weight: the product itself or a neighbour (cancellation to +-0, tiny differences), or anything.
static uint32_t weight_for(float s, float x) {
  const uint32_t p = bits(s * x);
  switch (rnd() % 4) {
    case 0:
      return p + (rnd() % 5) - 2;
    case 1:
      return (p & 0x7FFFFFFFu) + ((rnd() % 64) << 23) - (UINT32_C(32) << 23);
    default:
      return (rnd() & 7) == 0 ? rnd() & 0x80000000u : operand();
  }
}

static bool fast_product(float s, float x) {
  const int16_t es = static_cast<int16_t>((bits(s) >> 23) & 0xFF), ex = static_cast<int16_t>((bits(x) >> 23) & 0xFF);
  return es != 0 && es != 255 && ex != 0 && ex != 255 && es + ex - 127 >= 1 && es + ex - 127 <= 252;
}

static bool same(float a, float b) {
  const uint32_t x = bits(a), y = bits(b);
  return x == y || ((x & 0x7FFFFFFFu) > 0x7F800000u && (y & 0x7FFFFFFFu) > 0x7F800000u);
}

int main() {
  uint32_t bad_skip = 0, bad_plain = 0, bad_dense = 0, weights = 0, fast = 0, dense_rows = 0;
  float w[20], skip[20], plain[20], dense[20], applied[20], x[20];
  for (uint16_t t = 0; t < ROWS; ++t) {
    const uint8_t n = static_cast<uint8_t>(1 + rnd() % 20);
    const float g = from_bits((rnd() & 7) == 0 ? operand() : in_binades(100, 150));
    const float lr = (rnd() & 1) ? 1.0f : from_bits(in_binades(115, 127) & 0x7FFFFFFFu);
    const float step = lr * g;
    for (uint8_t i = 0; i < n; ++i) {
      x[i] = from_bits(input_for(step));
      w[i] = from_bits(weight_for(step, x[i]));
    }
    memcpy(skip, w, sizeof(w));
    memcpy(plain, w, sizeof(w));
    // learn() steps only after this check passes; then the skip changes no bits.
    const bool finite = miniml::linear_weight_step_finite_f32(w, x, &g, n, 1, lr);
    // A dense step with lr = |step| (a bias whose gradient is x).
    const miniml::Sgd sgd = {from_bits(bits(step) & 0x7FFFFFFFu), 0.0f};
    const bool dense_finite = miniml::valid_learning_rate(sgd.lr) && miniml::step_finite_f32(sgd, w, x, n);
    dense_rows += dense_finite;
    memcpy(dense, w, sizeof(w));
    memcpy(applied, w, sizeof(w));
    miniml::step_f32(sgd, dense, x, n);
    for (uint8_t i = 0; i < n; ++i) sgd.apply(i, &applied[i], x[i]);
    // The plain C loop, with the zero-input skip and without it.
    for (uint8_t i = 0; i < n; ++i) {
      if (!miniml::zero_step_keeps_f32(skip[i], x[i])) skip[i] -= step * x[i];
    }
    miniml::linear_weight_sgd_f32<false>(plain, x, &g, n, 1, lr);
    miniml::linear_weight_sgd_f32<true>(w, x, &g, n, 1, lr);
    for (uint8_t i = 0; i < n; ++i) {
      bad_skip += !same(w[i], skip[i]);
      bad_plain += finite && !same(w[i], plain[i]);
      bad_dense += dense_finite && !same(dense[i], applied[i]);
      fast += fast_product(step, x[i]);
    }
    weights += n;
  }
  const uint32_t result[] = {bad_skip, bad_plain, bad_dense, weights, fast, dense_rows};
  return finish_with_result(result);
}
