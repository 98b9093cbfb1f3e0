// Backward steps of the layers without parameters that on-device learning passes a gradient through:
// activations, max/average/global-average pooling, residual add, concat. Every kernel *adds* to its
// grad_input (zeroed by learn() first), so a tensor read by several layers sums their gradients; saved
// tensors are the ones the forward pass left in the arena.
#ifndef MINIML_TRAIN_BACKWARD_H_
#define MINIML_TRAIN_BACKWARD_H_

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core_types.h"
#include "op_activation.h"
#include "op_pool.h"

namespace miniml {

// Derivatives, each as torch writes it: grad(saved, g) with saved the activation's output (ReLU,
// Hardtanh/ReLU6, Sigmoid, Tanh) or input (LeakyReLU, Hardswish, SiLU, GELU); see ActivationSpec.backward.
struct ActGradRelu {
  float operator()(float y, float g) const { return y > 0.0f ? g : 0.0f; }
};
struct ActGradHardtanh {
  float lo, hi;
  ActGradHardtanh(float min_val, float max_val) : lo(min_val), hi(max_val) {}
  float operator()(float y, float g) const { return (y > lo && y < hi) ? g : 0.0f; }
};
struct ActGradSigmoid {
  float operator()(float y, float g) const { return g * (1.0f - y) * y; }
};
struct ActGradTanh {
  float operator()(float y, float g) const { return g * (1.0f - y * y); }
};
struct ActGradLeakyRelu {
  float slope;
  explicit ActGradLeakyRelu(float negative_slope) : slope(negative_slope) {}
  float operator()(float x, float g) const { return x > 0.0f ? g : g * slope; }
};
struct ActGradHardswish {
  float operator()(float x, float g) const {
    if (x < -3.0f) return 0.0f;
    return x <= 3.0f ? g * (x / 3.0f + 0.5f) : g;
  }
};
struct ActGradSilu {
  float operator()(float x, float g) const {
    const float s = 1.0f / (1.0f + exp_f32(-x));
    return g * s * (1.0f + x * (1.0f - s));
  }
};
struct ActGradGelu {
  float operator()(float x, float g) const {
    const float cdf = 0.5f * (1.0f + detail::erf_f32(x * 0.707106781f));
    const float pdf = exp_f32(-0.5f * x * x) * 0.398942280f;  // 1 / sqrt(2 pi)
    return g * (cdf + x * pdf);
  }
};
struct ActGradGeluTanh {
  float operator()(float x, float g) const {
    const float beta = 0.797884561f, kappa = 0.044715f;  // sqrt(2 / pi)
    const float x_sq = x * x;
    const float t = tanh_f32(beta * (x + kappa * x_sq * x));
    const float left = 0.5f * x, right = 1.0f + t;
    const float right_derivative = left * (1.0f - t * t) * beta * (1.0f + 3.0f * kappa * x_sq);
    return g * (0.5f * right + right_derivative);
  }
};

// grad[i] = derivative(saved[i], grad[i]) in place: the activation fused into the layer that produced
// `saved`, applied to that layer's output gradient before its own backward.
template <class Grad>
inline void activation_backward_inplace_f32(const float* saved, float* grad, index_t size, Grad d) {
  for (index_t i = 0; i < size; ++i) grad[i] = d(saved[i], grad[i]);
}

// A standalone activation: grad_input[i] += derivative(saved[i], grad_output[i]).
template <class Grad>
inline void activation_backward_f32(const float* saved, const float* grad_output, float* grad_input, index_t size,
                                    Grad d) {
  for (index_t i = 0; i < size; ++i) grad_input[i] += d(saved[i], grad_output[i]);
}

// A gradient buffer set to 0 before the backward steps that add to it. A function, not a memset at the call:
// gcc's -Wmemset-elt-size flags memset(array, 0, n * sizeof(float)) whenever the byte count happens to equal
// the array's element count.
inline void zero_grad_f32(float* grad, index_t size) { memset(grad, 0, static_cast<uint32_t>(size) * sizeof(float)); }

// grad_input[i] += grad_output[i]: residual add (each addend), and any op that passes the gradient as is.
inline void add_backward_f32(const float* grad_output, float* grad_input, index_t size) {
  for (index_t i = 0; i < size; ++i) grad_input[i] += grad_output[i];
}

// The gradient of one concat part: the slice [offset, offset + part) of each of the `outer` rows.
inline void concat_part_backward_f32(const float* grad_output, float* grad_input, index_t outer, index_t part,
                                     index_t total, index_t offset) {
  for (index_t o = 0; o < outer; ++o) {
    add_backward_f32(grad_output + static_cast<uint32_t>(o) * total + offset,
                     grad_input + static_cast<uint32_t>(o) * part, part);
  }
}

// Max pooling: each output's gradient goes to the first maximum of its window (NaN wins), found again in the
// saved input exactly as max_pool2d_f32 found it (torch's rule).
inline void max_pool2d_backward_f32(const float* input, const float* grad_output, float* grad_input,
                                    const Pool2dParams& p) {
  const index_t plane = p.in_h * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    const float* in = input + static_cast<uint32_t>(c) * plane;
    float* gx = grad_input + static_cast<uint32_t>(c) * plane;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      const sindex_t h0 = static_cast<sindex_t>(oh * p.stride_h) - static_cast<sindex_t>(p.pad_top);
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        const sindex_t w0 = static_cast<sindex_t>(ow * p.stride_w) - static_cast<sindex_t>(p.pad_left);
        float best = 0.0f;
        sindex_t at = -1;
        for (index_t kh = 0; kh < p.kernel_h; ++kh) {
          const sindex_t ih = h0 + static_cast<sindex_t>(kh * p.dilation_h);
          if (ih < 0 || ih >= static_cast<sindex_t>(p.in_h)) continue;
          for (index_t kw = 0; kw < p.kernel_w; ++kw) {
            const sindex_t iw = w0 + static_cast<sindex_t>(kw * p.dilation_w);
            if (iw < 0 || iw >= static_cast<sindex_t>(p.in_w)) continue;
            const sindex_t i = ih * static_cast<sindex_t>(p.in_w) + iw;
            const float v = in[i];
            if (at < 0 || v > best || v != v) {
              best = v;
              at = i;
            }
          }
        }
        const float g = *grad_output++;
        if (at >= 0) gx[at] += g;
      }
    }
  }
}

// Average pooling: each output's gradient divided by its window's divisor (avg_pool2d_f32's rule) goes to
// every real element of the window.
inline void avg_pool2d_backward_f32(const float* grad_output, float* grad_input, const Pool2dParams& p) {
  const index_t plane = p.in_h * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    float* gx = grad_input + static_cast<uint32_t>(c) * plane;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      sindex_t h0, h1;
      const sindex_t pool_h = detail::avg_window(oh, p.stride_h, p.pad_top, p.kernel_h, p.in_h, &h0, &h1);
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        sindex_t w0, w1;
        const sindex_t pool_w = detail::avg_window(ow, p.stride_w, p.pad_left, p.kernel_w, p.in_w, &w0, &w1);
        const sindex_t count = detail::avg_divisor(p, pool_h, pool_w, h0, h1, w0, w1);
        const float g = *grad_output++;
        if (count <= 0) continue;
        const float share = g / static_cast<float>(count);
        for (sindex_t ih = h0; ih < h1; ++ih) {
          for (sindex_t iw = w0; iw < w1; ++iw) gx[ih * static_cast<sindex_t>(p.in_w) + iw] += share;
        }
      }
    }
  }
}

// Global average pooling: grad_input[c][i] += grad_output[c] / size.
inline void global_avg_pool_backward_f32(const float* grad_output, float* grad_input, index_t channels, index_t size) {
  for (index_t c = 0; c < channels; ++c) {
    const float share = grad_output[c] / static_cast<float>(size);
    for (index_t i = 0; i < size; ++i) grad_input[i] += share;
    grad_input += size;
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_BACKWARD_H_
