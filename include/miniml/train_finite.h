// Finite checks for the training step: a step whose input, target, loss, gradient, updated parameter or
// momentum is NaN or Inf is refused before any parameter changes. Pure functions over RAM floats; no <math.h>
// classification macros (their C++ forms differ between avr-libc, newlib and glibc).
#ifndef MINIML_TRAIN_FINITE_H_
#define MINIML_TRAIN_FINITE_H_

#include <stdint.h>
#include <string.h>

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

// The *_step_finite_f32 checks answer whether every value the matching update of train_sgd.h /
// train_linear.h would store is finite (false for an overflow from a huge learning rate, a NaN from lr 0 *
// Inf). All pointers are RAM; nothing is written. Each first tries one bound for the whole step: every
// factor's largest magnitude (found on the float bits, integer compares), combined with the update's own
// operations. Rounding is monotonic, so each stored value is at most that bound in magnitude: a bound well
// inside the float range proves the step finite at the cost of a scan. Only when it is not (or a factor is
// not finite) does the check compute each value with the update's own expression and test it: the answer is
// always exact, and the common step costs no float operation per weight.

// The largest |x[i]| of `size` floats (RAM) as its bit pattern: >= 0x7F800000 when one is Inf or NaN.
inline uint32_t max_abs_bits_f32(const float* x, index_t size) {
  uint32_t m = 0;
  for (index_t i = 0; i < size; ++i) {
    uint32_t b;
    memcpy(&b, x + i, sizeof(b));
    b &= UINT32_C(0x7FFFFFFF);
    if (b > m) m = b;
  }
  return m;
}

// The float of max_abs_bits_f32's result; false when that is Inf or NaN.
inline bool abs_bound_f32(uint32_t bits, float* bound) {
  if (bits >= UINT32_C(0x7F800000)) return false;
  memcpy(bound, &bits, sizeof(*bound));
  return true;
}

// True when a bound (of a product or sum of bounds) leaves a margin to the float range: the margin keeps
// the answer right even where a compiler fuses a multiply-add here or in the update (one rounding less).
// False for Inf and NaN.
inline bool bound_fits_f32(float bound) { return bound < 1.7e38f; }

// The magnitude bound of base - lr * step (both parts bounded) fits: every update is finite.
inline bool step_bound_finite_f32(float base, float lr, float step) {
  const float l = lr < 0.0f ? -lr : lr;
  return bound_fits_f32(base + l * step);
}

// sgd_f32: param[i] - lr * grad[i].
inline bool sgd_step_finite_f32(const float* param, const float* grad, index_t size, float lr) {
  float p, g;
  if (abs_bound_f32(max_abs_bits_f32(param, size), &p) && abs_bound_f32(max_abs_bits_f32(grad, size), &g) &&
      step_bound_finite_f32(p, lr, g)) {
    return true;
  }
  for (index_t i = 0; i < size; ++i) {
    if (!is_finite_f32(param[i] - lr * grad[i])) return false;
  }
  return true;
}

// sgd_momentum_f32: buf[i] = momentum * buf[i] + grad[i], then param[i] - lr * buf[i].
inline bool sgd_momentum_step_finite_f32(const float* param, const float* buf, const float* grad, index_t size,
                                         float lr, float momentum) {
  float p, v, g;
  if (abs_bound_f32(max_abs_bits_f32(param, size), &p) && abs_bound_f32(max_abs_bits_f32(buf, size), &v) &&
      abs_bound_f32(max_abs_bits_f32(grad, size), &g)) {
    const float velocity = (momentum < 0.0f ? -momentum : momentum) * v + g;
    if (bound_fits_f32(velocity) && step_bound_finite_f32(p, lr, velocity)) return true;
  }
  for (index_t i = 0; i < size; ++i) {
    const float v = momentum * buf[i] + grad[i];
    if (!is_finite_f32(v) || !is_finite_f32(param[i] - lr * v)) return false;
  }
  return true;
}

// linear_weight_sgd_f32: weight[o][i] - lr * (grad_output[o] * input[i]).
inline bool linear_weight_step_finite_f32(const float* weight, const float* input, const float* grad_output,
                                          index_t in_features, index_t out_features, float lr) {
  float w, x, g;
  if (abs_bound_f32(max_abs_bits_f32(weight, static_cast<index_t>(in_features * out_features)), &w) &&
      abs_bound_f32(max_abs_bits_f32(input, in_features), &x) &&
      abs_bound_f32(max_abs_bits_f32(grad_output, out_features), &g) && step_bound_finite_f32(w, lr, g * x)) {
    return true;
  }
  for (index_t o = 0; o < out_features; ++o) {
    const float g = grad_output[o];
    const float* row = weight + static_cast<uint32_t>(o) * in_features;
    for (index_t i = 0; i < in_features; ++i) {
      if (!is_finite_f32(row[i] - lr * (g * input[i]))) return false;
    }
  }
  return true;
}

// linear_weight_sgd_momentum_f32: v = momentum * buf + grad_output[o] * input[i], then weight - lr * v.
inline bool linear_weight_momentum_step_finite_f32(const float* weight, const float* buf, const float* input,
                                                   const float* grad_output, index_t in_features, index_t out_features,
                                                   float lr, float momentum) {
  const index_t n = static_cast<index_t>(in_features * out_features);
  float w, v, x, g;
  if (abs_bound_f32(max_abs_bits_f32(weight, n), &w) && abs_bound_f32(max_abs_bits_f32(buf, n), &v) &&
      abs_bound_f32(max_abs_bits_f32(input, in_features), &x) &&
      abs_bound_f32(max_abs_bits_f32(grad_output, out_features), &g)) {
    const float velocity = (momentum < 0.0f ? -momentum : momentum) * v + g * x;
    if (bound_fits_f32(velocity) && step_bound_finite_f32(w, lr, velocity)) return true;
  }
  for (index_t o = 0; o < out_features; ++o) {
    const float g = grad_output[o];
    const uint32_t base = static_cast<uint32_t>(o) * in_features;
    for (index_t i = 0; i < in_features; ++i) {
      const float v = momentum * buf[base + i] + g * input[i];
      if (!is_finite_f32(v) || !is_finite_f32(weight[base + i] - lr * v)) return false;
    }
  }
  return true;
}

// A learning rate set_learning_rate() accepts: finite and >= 0 (0 freezes learning).
inline bool valid_learning_rate(float lr) { return is_finite_f32(lr) && lr >= 0.0f; }

}  // namespace miniml

#endif  // MINIML_TRAIN_FINITE_H_
