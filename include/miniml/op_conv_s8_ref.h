// conv2d_s8_ref: the readable reference for conv2d_s8 (plain loops in TFLM's reference-kernel shape), kept
// beside the optimised kernel so tests can hold every fast path (im2col, depthwise, DSP, AVR asm) equal to
// it, bit for bit. Same arguments and layouts as conv2d_s8 with out_h/out_w (op_conv_s8.h: padding_h/_w at
// the start, the end padding whatever out_h/out_w need); never used by generated code.
#ifndef MINIML_OP_CONV_S8_REF_H_
#define MINIML_OP_CONV_S8_REF_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

template <class Mem>
inline void conv2d_s8_ref(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                          const int8_t* shift, int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                          int32_t act_max, index_t in_channels, index_t in_h, index_t in_w, index_t out_channels,
                          index_t kernel_h, index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                          index_t padding_w, index_t dilation_h, index_t dilation_w, index_t groups, index_t out_h,
                          index_t out_w, int8_t* output) {
  const index_t group_in = in_channels / groups, group_out = out_channels / groups;
  for (index_t oc = 0; oc < out_channels; ++oc) {
    const index_t first_ic = (oc / group_out) * group_in;
    for (index_t oy = 0; oy < out_h; ++oy) {
      for (index_t ox = 0; ox < out_w; ++ox) {
        int32_t acc = Mem::read(bias + oc);
        for (index_t i = 0; i < group_in; ++i) {
          for (index_t ky = 0; ky < kernel_h; ++ky) {
            for (index_t kx = 0; kx < kernel_w; ++kx) {
              const int32_t iy =
                  static_cast<int32_t>(oy * stride_h + ky * dilation_h) - static_cast<int32_t>(padding_h);
              const int32_t ix =
                  static_cast<int32_t>(ox * stride_w + kx * dilation_w) - static_cast<int32_t>(padding_w);
              const bool inside =
                  iy >= 0 && iy < static_cast<int32_t>(in_h) && ix >= 0 && ix < static_cast<int32_t>(in_w);
              // The bias is folded (b - input_zero_point * sum(weight)): a padded tap reads the zero point.
              const int32_t x =
                  inside ? input[((first_ic + i) * in_h + static_cast<index_t>(iy)) * in_w + static_cast<index_t>(ix)]
                         : input_zero_point;
              acc += x * Mem::read(weight + ((oc * group_in + i) * kernel_h + ky) * kernel_w + kx);
            }
          }
        }
        output[(oc * out_h + oy) * out_w + ox] =
            requantize_s8(acc, Mem::read(multiplier + oc), Mem::read(shift + oc), output_zero_point, act_min, act_max);
      }
    }
  }
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_REF_H_
