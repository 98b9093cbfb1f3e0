"""aten.convolution (the decomposed form of conv1d/conv2d): lowered as conv1d or conv2d, transposed ones as
conv_transpose.py does."""
from __future__ import annotations

from ._conv_common import lower_conv
from .conv_transpose import lower_conv_transpose
from .registry import lowering


@lowering("aten.convolution.default")
def lower_convolution(ctx, call):
    stride, padding, dilation = call.arg(3, "stride"), call.arg(4, "padding"), call.arg(5, "dilation")
    transposed, groups = call.arg(6, "transposed"), int(call.arg(8, "groups", 1))
    dims = len(ctx.shape(call.arg(0, "input"))) - 2
    if dims not in (1, 2):
        return None
    if transposed:
        return lower_conv_transpose(ctx, call, dims, stride, padding, call.arg(7, "output_padding"),
                                    groups, dilation)
    return lower_conv(ctx, call, dims, stride, padding, dilation, groups)
