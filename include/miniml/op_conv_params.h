// The shape of one convolution, shared by the float and the int8 kernels (conv2d_f32, conv2d_s8): what the
// exporter knows about a layer, passed as one struct (CMSIS-NN's cmsis_nn_dims + cmsis_nn_conv_params).
// Generated code writes it as a constexpr per layer, so after inlining every field is a compile-time
// constant.
#ifndef MINIML_OP_CONV_PARAMS_H_
#define MINIML_OP_CONV_PARAMS_H_

#include "core_types.h"

namespace miniml {

struct Conv2dParams {
  index_t in_channels, in_h, in_w;
  index_t out_channels, out_h, out_w;
  index_t kernel_h, kernel_w;
  index_t stride_h, stride_w;
  index_t pad_top, pad_left;  // torch's symmetric padding (the bottom/right follows from the output size)
  index_t dilation_h, dilation_w;
  index_t groups;
};

struct Conv1dParams {
  index_t in_channels, in_length;
  index_t out_channels, out_length;
  index_t kernel_size, stride, padding, dilation, groups;
};

}  // namespace miniml

#endif  // MINIML_OP_CONV_PARAMS_H_
