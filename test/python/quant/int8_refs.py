"""The op modules' integer references (miniml.ops) under the per-sample signatures the kernel tests
call: conv2d_s8 / conv1d_s8 with geometry arguments, the rest as the ops define them."""

from __future__ import annotations

import numpy as np
from miniml.ops._binary_common import add_s8, mul_s8  # noqa: F401
from miniml.ops._conv_common import conv_s8
from miniml.ops._pool_common import avg_pool2d_s8, max_pool2d_s8  # noqa: F401
from miniml.ops.linear import linear_s8  # noqa: F401
from miniml.quant.params import dequantize_s8, quantize_s8  # noqa: F401


def conv2d_s8(x, input_zero_point, weight, bias, multiplier, shift, output_zero_point,
              stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, act_min=-128,
              act_max=127):
    """x [C][H][W], weight [OC][C/groups][KH][KW]: output size by the floor rule."""
    _, h, w = np.shape(x)
    kh, kw = np.shape(weight)[2:]
    out = tuple((i + 2 * p - d * (k - 1) - 1) // s + 1
                for i, p, d, k, s in zip((h, w), padding, dilation, (kh, kw), stride))
    a = dict(kernel=(kh, kw), stride=stride, padding=padding, dilation=dilation, groups=groups,
             in_size=(h, w), out_size=out)
    return conv_s8(np.asarray(x)[None], input_zero_point, weight, bias, multiplier, shift,
                   output_zero_point, a, act_min, act_max)[0]


def conv1d_s8(x, input_zero_point, weight, bias, multiplier, shift, output_zero_point, stride=1,
              padding=0, dilation=1, groups=1, act_min=-128, act_max=127):
    """x [C][L], weight [OC][C/groups][K]: conv2d_s8 with a height of 1."""
    y = conv2d_s8(np.asarray(x)[:, None, :], input_zero_point, np.asarray(weight)[:, :, None, :],
                  bias, multiplier, shift, output_zero_point, (1, stride), (0, padding),
                  (1, dilation), groups, act_min, act_max)
    return y[:, 0, :]
