// Adam for on-device learning, step for step torch.optim.Adam (amsgrad off, L2 weight_decay as torch's, not
// AdamW). Per parameter: g += weight_decay * p; m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g;
// p -= step_size * m / (sqrt(v) / sqrt(bc2) + eps), with the bias corrections bc = 1 - beta^t and
// step_size = lr / bc1 computed once per step (adam_step), so a parameter costs one sqrt and one division: the
// finite check before the step bounds the new parameter without them (Adam::finite).
// State in RAM: m and v (the parameter's shape each, zero after reset) and the model's corrections[2]
// (bc1, bc2 of the last step taken; 0 after reset), which adam_commit advances only when a step is taken.
#ifndef MINIML_TRAIN_ADAM_H_
#define MINIML_TRAIN_ADAM_H_

#include <math.h>
#include <stdint.h>

#include "core_types.h"
#include "train_finite.h"
#include "train_sgd.h"

namespace miniml {

// What one step shares across parameter tensors. The exporter passes 1 - beta as its own float (computed in
// double, as torch computes it), not 1.0f - beta: float(1 - 0.999) is 1e-3 to 8 digits, 1.0f - 0.999f is not.
struct AdamStep {
  float one_minus_beta1;
  float beta2;
  float one_minus_beta2;
  float eps;
  float weight_decay;
  float step_size;       // lr / bc1
  float inv_sqrt_bc2;    // 1 / sqrt(bc2)
  float step_bound;      // step_size / min(eps, 1): |step_size * m| and |step| are at most this * |m|
  float corrections[2];  // bc1, bc2 of this step
};

// The step after the one `corrections` (RAM, 2 floats) describes. bc_t = 1 - beta^t advances as
// bc_t = bc_{t-1} + (1 - beta) * (1 - bc_{t-1}): exact at t = 1 and contracting (an error shrinks by beta
// each step), where a running beta^t product would lose 1 - beta^t to cancellation while beta^t is near 1.
inline AdamStep adam_step(const float* corrections, float lr, float one_minus_beta1, float beta2, float one_minus_beta2,
                          float eps, float weight_decay) {
  AdamStep s;
  s.one_minus_beta1 = one_minus_beta1;
  s.beta2 = beta2;
  s.one_minus_beta2 = one_minus_beta2;
  s.eps = eps;
  s.weight_decay = weight_decay;
  s.corrections[0] = corrections[0] + one_minus_beta1 * (1.0f - corrections[0]);
  s.corrections[1] = corrections[1] + one_minus_beta2 * (1.0f - corrections[1]);
  s.step_size = lr / s.corrections[0];
  // The casts: avr-libc's sqrtf is a macro for sqrt, typed double (32-bit there).
  s.inv_sqrt_bc2 = 1.0f / static_cast<float>(sqrtf(s.corrections[1]));
  s.step_bound = s.step_size / (eps < 1.0f ? eps : 1.0f);
  return s;
}

// Records a taken step (after every update of learn() ran).
inline void adam_commit(float* corrections, const AdamStep& s) {
  corrections[0] = s.corrections[0];
  corrections[1] = s.corrections[1];
}

// The rule for one parameter tensor (train_step.h): m, v its moments (RAM, the parameter's shape).
struct Adam {
  const AdamStep* s;
  float* m;
  float* v;

  // torch's lerp: start + w * (end - start) for |w| < 0.5, else end - (end - start) * (1 - w).
  static float lerp(float start, float end, float w) {
    return w < 0.5f ? start + w * (end - start) : end - (end - start) * (1.0f - w);
  }
  float next_m(uint32_t k, float g) const { return lerp(m[k], g, s->one_minus_beta1); }
  float next_v(uint32_t k, float g) const { return v[k] * s->beta2 + s->one_minus_beta2 * g * g; }
  float next_param(float param, float m1, float v1) const {
    const float denom = static_cast<float>(sqrtf(v1)) * s->inv_sqrt_bc2 + s->eps;
    return param - s->step_size * m1 / denom;
  }
  // Exact (false iff apply() would store a NaN or Inf), but without the sqrt and the division in the usual
  // case: the denominator is at least eps, so |new param| <= |param| + step_bound * |m1| (up to a few roundings,
  // covered by the factor 2), and only when that bound is not finite is the new parameter computed.
  bool finite(uint32_t k, float param, float grad) const {
    const float g = decayed_grad_f32(param, grad, s->weight_decay);
    const float m1 = next_m(k, g), v1 = next_v(k, g);
    if (!is_finite_f32(m1) || !is_finite_f32(v1)) return false;
    const float bound = (param < 0.0f ? -param : param) + s->step_bound * (m1 < 0.0f ? -m1 : m1);
    return is_finite_f32(bound + bound) || is_finite_f32(next_param(param, m1, v1));
  }
  void apply(uint32_t k, float* param, float grad) const {
    const float g = decayed_grad_f32(*param, grad, s->weight_decay);
    const float m1 = next_m(k, g), v1 = next_v(k, g);
    m[k] = m1;
    v[k] = v1;
    *param = next_param(*param, m1, v1);
  }
};

}  // namespace miniml

#endif  // MINIML_TRAIN_ADAM_H_
