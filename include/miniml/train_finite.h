// Finite checks for the training step: a step whose input, target, loss, gradient, updated parameter or
// momentum is NaN or Inf is refused before any parameter changes. Pure functions over RAM floats; no <math.h>
// classification macros (their C++ forms differ between avr-libc, newlib and glibc).
#ifndef MINIML_TRAIN_FINITE_H_
#define MINIML_TRAIN_FINITE_H_

#include <stdint.h>
#include <string.h>

#include "core_float_bits.h"
#include "core_types.h"

namespace miniml {

// True for every float except NaN, +Inf and -Inf: the exponent field is not 255, or x - x is 0 (NaN
// otherwise; IEEE semantics, no -ffast-math, which the library requires anyway).
inline bool is_finite_f32(float x) { return kSoftFloat ? exp_field_f32(x) != 255 : x - x == 0.0f; }

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
// factor's largest exponent (found on the float bits, byte compares), combined with the update's own
// operations as powers of two (step_bound_fits_f32). A bound inside the float range proves the step finite
// at the cost of a scan. Only when it is not (or a factor is not finite) does the check compute each value
// with the update's own expression and test it: the answer is always exact, and the common step costs no
// float operation at all.

// An upper bound of the largest exponent field of `size` floats (RAM), from their top bytes alone (the field
// without its lowest bit, which the bound sets): |x| <= 2^(bound - 126) for every x, 255 when one may be Inf or
// NaN (field 254 or 255: the bound then proves nothing and the exact check decides), 0 for size 0. Out of line:
// one copy for all the checks (flash on the small boards).
#if defined(__GNUC__)
__attribute__((noinline))
#endif
inline uint8_t
max_exp_field_f32(const float* x, index_t size) {
  uint8_t m = 0;  // the largest top byte without its sign: the field's high 7 bits
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "miniml: max_exp_field_f32 reads a float's top byte at offset 3 (little-endian targets)"
#endif
  const uint8_t* p = reinterpret_cast<const uint8_t*>(x) + 3;  // little-endian: the top byte
  for (const uint8_t* end = p + 4u * size; p != end; p += 4) {
    const uint8_t top = *p & 0x7Fu;
    if (top > m) m = top;
  }
  return size == 0 ? 0 : static_cast<uint8_t>(m << 1 | 1u);
}

// True when a step's values, base - lr * (momentum * v + a * b) with every factor at most its largest
// magnitude (given as max_exp_field_f32 fields), are all finite by a power-of-two bound: |m v| <=
// 2^(Em + Ev), |a b| <= 2^(Ea + Eb), their sum <= 2^(max + 1), and so on; rounding is monotonic and powers
// of two up to 2^127 are floats, so each rounded value keeps its bound, and a bound of at most 2^127 is
// finite. Integer arithmetic only (no float operation, no multiply-add a compiler could fuse). False when
// a factor is Inf or NaN, or when the bound says nothing (values near 2^127 or above). Out of line.
#if defined(__GNUC__)
__attribute__((noinline))
#endif
inline bool
step_bound_fits_f32(uint8_t base, uint8_t v, uint8_t a, uint8_t b, float lr, float momentum) {
  const uint8_t l = exp_field_f32(lr), m = exp_field_f32(momentum);
  if (base == 255 || v == 255 || a == 255 || b == 255 || l == 255 || m == 255) return false;
  // With E = field - 126: kept = Em + Ev, fresh = Ea + Eb, velocity = max + 1, step = El + velocity.
  const int16_t kept = static_cast<int16_t>(m + v - 252), fresh = static_cast<int16_t>(a + b - 252);
  const int16_t velocity = static_cast<int16_t>((kept > fresh ? kept : fresh) + 1);
  const int16_t step = static_cast<int16_t>(l - 126 + velocity), own = static_cast<int16_t>(base - 126);
  return velocity <= 127 && (own > step ? own : step) + 1 <= 127;
}

// The exponent field of 1.0f: the second factor of a bias step (its gradient is not a product).
constexpr uint8_t kOneField = 127;

// sgd_f32: param[i] - lr * grad[i].
inline bool sgd_step_finite_f32(const float* param, const float* grad, index_t size, float lr) {
  if (step_bound_fits_f32(max_exp_field_f32(param, size), 0, max_exp_field_f32(grad, size), kOneField, lr, 0.0f)) {
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
  if (step_bound_fits_f32(max_exp_field_f32(param, size), max_exp_field_f32(buf, size), max_exp_field_f32(grad, size),
                          kOneField, lr, momentum)) {
    return true;
  }
  for (index_t i = 0; i < size; ++i) {
    const float v = momentum * buf[i] + grad[i];
    if (!is_finite_f32(v) || !is_finite_f32(param[i] - lr * v)) return false;
  }
  return true;
}

// linear_weight_sgd_f32 (train_sgd.h): weight[o][i] - (lr * grad_output[o]) * input[i]. The bound also
// covers the row factor lr * grad_output[o] (|lr g| <= 2^(El + Eg)), which a tiny input could otherwise
// leave out of it.
inline bool linear_weight_step_finite_f32(const float* weight, const float* input, const float* grad_output,
                                          index_t in_features, index_t out_features, float lr) {
  const uint8_t g_field = max_exp_field_f32(grad_output, out_features);
  if (exp_field_f32(lr) + g_field <= 252 + 127 &&
      step_bound_fits_f32(max_exp_field_f32(weight, static_cast<index_t>(in_features * out_features)), 0, g_field,
                          max_exp_field_f32(input, in_features), lr, 0.0f)) {
    return true;
  }
  for (index_t o = 0; o < out_features; ++o) {
    const float step = lr * grad_output[o];
    const float* row = weight + static_cast<uint32_t>(o) * in_features;
    for (index_t i = 0; i < in_features; ++i) {
      if (!is_finite_f32(row[i] - step * input[i])) return false;
    }
  }
  return true;
}

// linear_weight_sgd_momentum_f32: v = momentum * buf + grad_output[o] * input[i], then weight - lr * v.
inline bool linear_weight_momentum_step_finite_f32(const float* weight, const float* buf, const float* input,
                                                   const float* grad_output, index_t in_features, index_t out_features,
                                                   float lr, float momentum) {
  const index_t n = static_cast<index_t>(in_features * out_features);
  if (step_bound_fits_f32(max_exp_field_f32(weight, n), max_exp_field_f32(buf, n),
                          max_exp_field_f32(grad_output, out_features), max_exp_field_f32(input, in_features), lr,
                          momentum)) {
    return true;
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
