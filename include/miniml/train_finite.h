// Finite checks for the training step: a step whose input, target, loss, gradient, updated parameter or
// optimizer state is NaN or Inf is refused before any parameter changes. Pure functions over RAM floats; no <math.h>
// classification macros (their C++ forms differ between avr-libc, newlib and glibc).
#ifndef MINIML_TRAIN_FINITE_H_
#define MINIML_TRAIN_FINITE_H_

#include <stdint.h>

#include "core_types.h"

namespace miniml {

// True for every float except NaN, +Inf and -Inf: x - x is 0 for finite x and NaN otherwise.
// Needs IEEE semantics (no -ffast-math), which the library requires anyway.
inline bool is_finite_f32(float x) { return x - x == 0.0f; }

// Quiet NaN without a double constant (avr-libc's NAN is a double and trips -Wdouble-promotion).
inline float nan_f32() { return __builtin_nanf(""); }

// A refused training step: counts it in *refused (saturating at INT32_MAX) and returns NaN, the value
// learn() reports instead of a loss.
inline float refuse_step(int32_t* refused) {
  if (*refused < 0x7FFFFFFF) ++*refused;
  return nan_f32();
}

// True when all `size` floats of `x` (RAM, any range) are finite; true for size 0.
inline bool all_finite_f32(const float* x, index_t size) {
  for (index_t i = 0; i < size; ++i) {
    if (!is_finite_f32(x[i])) return false;
  }
  return true;
}

// Largest |x[i]| of `size` finite floats (RAM); 0 for size 0.
inline float max_abs_f32(const float* x, index_t size) {
  float m = 0.0f;
  for (index_t i = 0; i < size; ++i) {
    const float a = x[i] < 0.0f ? -x[i] : x[i];
    if (a > m) m = a;
  }
  return m;
}

// True when every product a[i] * b[j] is finite, i.e. the outer product a (x) b (a Linear weight
// gradient: grad_output (x) input) has no NaN or Inf, without forming it. Exact, not just sufficient:
// rounding is monotonic, so the largest product is max|a| * max|b| and every other is at most that.
inline bool outer_finite_f32(const float* a, index_t a_size, const float* b, index_t b_size) {
  if (!all_finite_f32(a, a_size) || !all_finite_f32(b, b_size)) return false;
  return is_finite_f32(max_abs_f32(a, a_size) * max_abs_f32(b, b_size));
}

// The step checks themselves are the optimizer rules' finite() (train_step.h).

// A learning rate set_learning_rate() accepts: finite and >= 0 (0 freezes learning).
inline bool valid_learning_rate(float lr) { return is_finite_f32(lr) && lr >= 0.0f; }

}  // namespace miniml

#endif  // MINIML_TRAIN_FINITE_H_
