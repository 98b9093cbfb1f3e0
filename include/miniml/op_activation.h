// Pointwise activations as functors (ActRelu, ActSigmoid, ...), float32. One functor serves both the
// standalone activation_f32 kernel and the activation fused into conv/linear, so both give identical bits.
#ifndef MINIML_OP_ACTIVATION_H_
#define MINIML_OP_ACTIVATION_H_

#include "core_float_bits.h"
#include "core_math.h"
#include "core_types.h"

namespace miniml {

struct ActNone {
  float operator()(float x) const { return x; }
};

struct ActRelu {
  // written as a comparison, not fmaxf: NaN stays NaN like torch.relu; where floats are soft the comparison
  // reads the bits (a float compare is a library call there)
  float operator()(float x) const { return (kSoftFloat ? below_zero_f32(x) : x < 0.0f) ? 0.0f : x; }
};

// Hardtanh(min_val, max_val); ReLU6 is ActHardtanh(0, 6).
struct ActHardtanh {
  float lo, hi;
  ActHardtanh(float min_val, float max_val) : lo(min_val), hi(max_val) {}
  float operator()(float x) const { return x < lo ? lo : (x > hi ? hi : x); }
};

// clamp(x, min=lo) and clamp(x, max=hi) with the other bound absent.
struct ActClampMin {
  float lo;
  explicit ActClampMin(float min_val) : lo(min_val) {}
  float operator()(float x) const { return x < lo ? lo : x; }
};
struct ActClampMax {
  float hi;
  explicit ActClampMax(float max_val) : hi(max_val) {}
  float operator()(float x) const { return x > hi ? hi : x; }
};

struct ActLeakyRelu {
  float slope;
  explicit ActLeakyRelu(float negative_slope) : slope(negative_slope) {}
  // slope may be > 1 or < 0, so no max(x, slope * x)
  float operator()(float x) const { return x > 0.0f ? x : x * slope; }
};

struct ActSigmoid {
  float operator()(float x) const { return 1.0f / (1.0f + exp_f32(-x)); }
};

struct ActTanh {
  float operator()(float x) const { return tanh_f32(x); }
};

struct ActHardsigmoid {
  float operator()(float x) const {
    const float t = x + 3.0f;
    return (t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t)) / 6.0f;
  }
};

struct ActHardswish {
  float operator()(float x) const {
    const float t = x + 3.0f;
    return x * (t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t)) / 6.0f;
  }
};

struct ActSilu {
  float operator()(float x) const { return x / (1.0f + exp_f32(-x)); }
};

namespace detail {
// erf(x) for float, max abs error ~1.2e-7 (Numerical Recipes erfc, Chebyshev fit). Own code because
// avr-libc has no erff; the same code everywhere keeps host and targets in agreement.
inline float erf_f32(float x) {
  const float z = x < 0.0f ? -x : x;
  const float t = 1.0f / (1.0f + 0.5f * z);
  const float p =
      -z * z - 1.26551223f +
      t * (1.00002368f +
           t * (0.37409196f +
                t * (0.09678418f +
                     t * (-0.18628806f +
                          t * (0.27886807f +
                               t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  const float erfc = t * exp_f32(p);
  return x < 0.0f ? erfc - 1.0f : 1.0f - erfc;
}
}  // namespace detail

// GELU, exact form: x/2 * (1 + erf(x / sqrt(2))).
struct ActGelu {
  float operator()(float x) const { return 0.5f * x * (1.0f + detail::erf_f32(x * 0.707106781f)); }
};

// GELU, approximate='tanh': x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
struct ActGeluTanh {
  float operator()(float x) const {
    const float inner = 0.797884561f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanh_f32(inner));
  }
};

// ELU family: x > 0 ? scale * x : scale * alpha * (exp(x * input_scale) - 1). ELU is (alpha, 1, 1),
// SELU (1.6732632, 1.0507010, 1), CELU (alpha, 1, 1 / alpha): torch's own parametrisation of all three.
struct ActElu {
  float alpha, scale, input_scale;
  ActElu(float alpha_, float scale_, float input_scale_) : alpha(alpha_), scale(scale_), input_scale(input_scale_) {}
  float operator()(float x) const { return x > 0.0f ? x * scale : (exp_f32(x * input_scale) - 1.0f) * (alpha * scale); }
};

namespace detail {
// log(1 + exp(z)) without overflow; below -16 exp(z) alone is the float answer.
inline float softplus_f32(float z) {
  if (z < -16.0f) return exp_f32(z);
  return log_f32(1.0f + exp_f32(z));
}
}  // namespace detail

// Softplus(beta, threshold): x where beta * x > threshold (torch's linear region), else
// log(1 + exp(beta * x)) / beta.
struct ActSoftplus {
  float beta, threshold;
  ActSoftplus(float beta_, float threshold_) : beta(beta_), threshold(threshold_) {}
  float operator()(float x) const {
    const float z = x * beta;
    return z > threshold ? x : detail::softplus_f32(z) / beta;
  }
};

// Mish: x * tanh(softplus(x)), softplus with torch's threshold 20.
struct ActMish {
  float operator()(float x) const { return x * tanh_f32(x > 20.0f ? x : detail::softplus_f32(x)); }
};

// Hardshrink(lambd): x where |x| > lambd, else 0.
struct ActHardshrink {
  float lambd;
  explicit ActHardshrink(float lambd_) : lambd(lambd_) {}
  float operator()(float x) const { return (x > lambd || x < -lambd) ? x : 0.0f; }
};

// Softshrink(lambd): x -/+ lambd outside [-lambd, lambd], 0 inside.
struct ActSoftshrink {
  float lambd;
  explicit ActSoftshrink(float lambd_) : lambd(lambd_) {}
  float operator()(float x) const { return x > lambd ? x - lambd : (x < -lambd ? x + lambd : 0.0f); }
};

// Elementary functions (torch.abs, neg, sqrt, rsqrt, exp, log, reciprocal, square, pow(x, c)).
// Out-of-domain inputs give NaN/Inf exactly as in torch (sqrt(-1), log(0), 1/0).
struct ActAbs {
  float operator()(float x) const { return x < 0.0f ? -x : x; }
};
struct ActNeg {
  float operator()(float x) const { return -x; }
};
struct ActSqrt {
  float operator()(float x) const { return sqrt_f32(x); }
};
struct ActRsqrt {
  float operator()(float x) const { return 1.0f / sqrt_f32(x); }
};
struct ActExp {
  float operator()(float x) const { return exp_f32(x); }
};
struct ActLog {
  float operator()(float x) const { return log_f32(x); }
};
struct ActReciprocal {
  float operator()(float x) const { return 1.0f / x; }
};
struct ActSquare {
  float operator()(float x) const { return x * x; }
};
// pow(x, exponent) for a constant exponent; 2 and 3 multiply (as torch does), others call powf.
struct ActPow {
  float exponent;
  explicit ActPow(float exponent_) : exponent(exponent_) {}
  float operator()(float x) const {
    if (exponent == 2.0f) return x * x;
    if (exponent == 3.0f) return x * x * x;
    if (exponent == 0.5f) return sqrt_f32(x);
    return pow_f32(x, exponent);
  }
};

// output[i] = act(input[i]) for i < size. input, output: float32 activations in RAM; may alias
// (in place), since each element is read before it is written.
template <class Act>
inline void activation_f32(const float* input, float* output, index_t size, Act act) {
  for (index_t i = 0; i < size; ++i) output[i] = act(input[i]);
}

}  // namespace miniml

#endif  // MINIML_OP_ACTIVATION_H_
