// Backward step of Conv1d/Conv2d (any stride, padding, dilation, groups; depthwise included) for on-device
// learning, torch layout: input [in_channels][in_h][in_w], weight [out_channels][in_channels/groups]
// [kernel_h][kernel_w], grad_output [out_channels][out_h][out_w]. Conv1d is Conv2d with height 1. Taps in
// the zero padding are skipped, as in the forward kernel (conv2d_f32).
#ifndef MINIML_TRAIN_CONV_H_
#define MINIML_TRAIN_CONV_H_

#include <stdint.h>

#include "core_rom.h"
#include "core_types.h"
#include "op_conv_params.h"

namespace miniml {
namespace detail {

// The input row (or column) a tap reads, or -1 when it falls in the padding.
inline sindex_t conv_tap(index_t out, index_t stride, index_t pad, index_t k, index_t dilation, index_t size) {
  const sindex_t i = static_cast<sindex_t>(out * stride + k * dilation) - static_cast<sindex_t>(pad);
  return i < static_cast<sindex_t>(size) ? i : -1;
}

}  // namespace detail

// grad_input += the gradient through the convolution, with the weights before this step's update. Mem is
// Rom for a frozen layer (weights in flash) or Ram for one that learns. grad_input must not alias the rest.
// W is float, or int8_t for a frozen int8 layer (grad_output then already carries its weight scales:
// train_int8.h).
template <class Mem, typename W>
inline void conv2d_backward_input_f32(const W* weight, const float* grad_output, float* grad_input,
                                      const Conv2dParams& p) {
  const index_t in_per_group = p.in_channels / p.groups;
  const index_t out_per_group = p.out_channels / p.groups;
  const index_t in_plane = p.in_h * p.in_w;
  const index_t kernel_size = p.kernel_h * p.kernel_w;
  for (index_t oc = 0; oc < p.out_channels; ++oc) {
    float* gx_group = grad_input + static_cast<uint32_t>(oc / out_per_group) * in_per_group * in_plane;
    const W* w_oc = weight + static_cast<uint32_t>(oc) * in_per_group * kernel_size;
    const float* gy = grad_output + static_cast<uint32_t>(oc) * p.out_h * p.out_w;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        const float g = gy[oh * p.out_w + ow];
        for (index_t ic = 0; ic < in_per_group; ++ic) {
          float* gx = gx_group + static_cast<uint32_t>(ic) * in_plane;
          const W* w = w_oc + static_cast<uint32_t>(ic) * kernel_size;
          for (index_t kh = 0; kh < p.kernel_h; ++kh) {
            const sindex_t ih = detail::conv_tap(oh, p.stride_h, p.pad_top, kh, p.dilation_h, p.in_h);
            if (ih < 0) continue;
            for (index_t kw = 0; kw < p.kernel_w; ++kw) {
              const sindex_t iw = detail::conv_tap(ow, p.stride_w, p.pad_left, kw, p.dilation_w, p.in_w);
              if (iw < 0) continue;
              gx[static_cast<uint32_t>(ih) * p.in_w + static_cast<index_t>(iw)] +=
                  static_cast<float>(Mem::read(w + kh * p.kernel_w + kw)) * g;
            }
          }
        }
      }
    }
  }
}

namespace detail {

// Which output channels a weight gradient covers: all of them, or a MINIML_ROM index list (sparse channel update).
struct AllChannels {
  index_t operator[](index_t i) const { return i; }
};
struct RomChannels {
  const index_t* rows;
  index_t operator[](index_t i) const { return rom_read(&rows[i]); }
};

// The weight gradient of output channels channels[0..count), written back to back: for each tap, the sum over
// output positions of grad_output times the input the tap read.
template <class Channels>
MINIML_ALWAYS_INLINE void conv2d_weight_grad_channels_f32(const float* input, const float* grad_output,
                                                          float* grad_weight, const Conv2dParams& p, Channels channels,
                                                          index_t count) {
  const index_t in_per_group = p.in_channels / p.groups;
  const index_t out_per_group = p.out_channels / p.groups;
  const index_t in_plane = p.in_h * p.in_w;
  for (index_t c = 0; c < count; ++c) {
    const index_t oc = channels[c];
    const float* x_group = input + static_cast<uint32_t>(oc / out_per_group) * in_per_group * in_plane;
    const float* gy = grad_output + static_cast<uint32_t>(oc) * p.out_h * p.out_w;
    for (index_t ic = 0; ic < in_per_group; ++ic) {
      const float* x = x_group + static_cast<uint32_t>(ic) * in_plane;
      for (index_t kh = 0; kh < p.kernel_h; ++kh) {
        for (index_t kw = 0; kw < p.kernel_w; ++kw) {
          float sum = 0.0f;
          for (index_t oh = 0; oh < p.out_h; ++oh) {
            const sindex_t ih = conv_tap(oh, p.stride_h, p.pad_top, kh, p.dilation_h, p.in_h);
            if (ih < 0) continue;
            for (index_t ow = 0; ow < p.out_w; ++ow) {
              const sindex_t iw = conv_tap(ow, p.stride_w, p.pad_left, kw, p.dilation_w, p.in_w);
              if (iw < 0) continue;
              sum += gy[oh * p.out_w + ow] * x[static_cast<uint32_t>(ih) * p.in_w + static_cast<index_t>(iw)];
            }
          }
          *grad_weight++ = sum;
        }
      }
    }
  }
}

}  // namespace detail

// grad_weight = d loss / d weight (written, not accumulated). `input` is the layer input the forward pass left
// in the arena.
inline void conv2d_weight_grad_f32(const float* input, const float* grad_output, float* grad_weight,
                                   const Conv2dParams& p) {
  detail::conv2d_weight_grad_channels_f32(input, grad_output, grad_weight, p, detail::AllChannels(), p.out_channels);
}

// The sparse channel update's form: only output channels rows[0..n_rows) (a MINIML_ROM index list), their
// gradients back to back.
inline void conv2d_weight_grad_rows_f32(const float* input, const float* grad_output, float* grad_weight,
                                        const Conv2dParams& p, const index_t* rows, index_t n_rows) {
  const detail::RomChannels channels = {rows};
  detail::conv2d_weight_grad_channels_f32(input, grad_output, grad_weight, p, channels, n_rows);
}

// grad_bias[c] = sum of grad_output over channel c's `size` positions (written, not accumulated).
inline void channel_sum_f32(const float* grad_output, index_t channels, index_t size, float* grad_bias) {
  for (index_t c = 0; c < channels; ++c) {
    float sum = 0.0f;
    for (index_t i = 0; i < size; ++i) sum += grad_output[i];
    grad_bias[c] = sum;
    grad_output += size;
  }
}

}  // namespace miniml

#endif  // MINIML_TRAIN_CONV_H_
