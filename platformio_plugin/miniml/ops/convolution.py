"""aten.convolution (the decomposed form of conv1d/conv2d): lowered as conv1d or conv2d."""
from __future__ import annotations

from ..errors import UnsupportedOpError
from ._conv_common import lower_conv
from .registry import lowering


@lowering("aten.convolution.default")
def lower_convolution(ctx, call):
    stride, padding, dilation = call.arg(3, "stride"), call.arg(4, "padding"), call.arg(5, "dilation")
    transposed, groups = call.arg(6, "transposed"), int(call.arg(8, "groups", 1))
    if transposed:
        raise UnsupportedOpError(f"{ctx.where()}: ConvTranspose is not supported yet")
    dims = len(ctx.shape(call.arg(0, "input"))) - 2
    if dims not in (1, 2):
        return None
    return lower_conv(ctx, call, dims, stride, padding, dilation, groups)
