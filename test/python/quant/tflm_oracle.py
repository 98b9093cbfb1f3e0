"""TFLite Micro as the int8 oracle: one-op .tflite models built from numpy arrays with the
tflite-micro wheel's model_editor and run by its interpreter.

Inputs and outputs use MiniML's channels-first layout ([C][H][W], weight [OC][C/g][KH][KW]); this
module transposes to TFLite's NHWC. Explicit (torch-style) padding is a PAD op (int8 PAD fills with
the zero point) followed by a VALID op, which is exactly "skip the padded taps".
"""

from __future__ import annotations

import numpy as np
from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.compression import model_editor as me
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tfl

ACT = {None: 0, "none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3}
T = tfl.TensorType


def _q(scale, zp=0, axis=None):
    if np.ndim(scale):
        scales = [float(s) for s in scale]
        return me.Quantization(scales=scales, zero_points=[int(zp)] * len(scales), axis=axis)
    return me.Quantization(scales=float(scale), zero_points=int(zp))


def _act(sg, shape, scale, zp, name, dtype=T.INT8):
    return sg.add_tensor(shape=tuple(shape), dtype=dtype, name=name, quantization=_q(scale, zp))


def _options(op, kind, obj):
    op._fb.builtinOptionsType = kind
    op._fb.builtinOptions = obj


def _run(model: me.Model, inputs):
    it = runtime.Interpreter.from_bytes(bytes(model.build()), arena_size=1 << 20)
    for i, x in enumerate(inputs):
        it.set_input(x, i)
    it.invoke()
    return it.get_output(0)


def _padded(sg, x, pad_hw, scale, zp, shape_nhwc):
    """PAD (int8, fills with zp) on NHWC input, or x unchanged."""
    ph, pw = pad_hw
    if ph == 0 and pw == 0:
        return x, shape_nhwc
    n, h, w, c = shape_nhwc
    pads = sg.add_tensor(
        shape=(4, 2),
        dtype=T.INT32,
        name="pads",
        data=np.array([[0, 0], [ph, ph], [pw, pw], [0, 0]], np.int32),
    )
    shape = (n, h + 2 * ph, w + 2 * pw, c)
    y = _act(sg, shape, scale, zp, "padded")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.PAD, inputs=[x, pads], outputs=[y])
    _options(op, tfl.BuiltinOptions.PadOptions, tfl.PadOptionsT())
    return y, shape


def fully_connected(x, in_scale, in_zp, weight, w_scales, bias, out_scale, out_zp, act=None):
    """x [in] int8, weight [out][in] int8 (per-channel if len(w_scales) > 1), bias int32 [out] or
    None."""
    o, i = weight.shape
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, i), in_scale, in_zp, "x")
    ws = np.atleast_1d(np.asarray(w_scales, np.float32))
    wt = sg.add_tensor(
        shape=(o, i),
        dtype=T.INT8,
        name="w",
        data=np.asarray(weight, np.int8),
        quantization=_q(ws if ws.size > 1 else ws[0], 0, 0 if ws.size > 1 else None),
    )
    ins = [xt, wt]
    if bias is not None:
        bs = np.float32(in_scale) * ws
        ins.append(
            sg.add_tensor(
                shape=(o,),
                dtype=T.INT32,
                name="b",
                data=np.asarray(bias, np.int32),
                quantization=_q(bs if bs.size > 1 else bs[0], 0, 0 if bs.size > 1 else None),
            )
        )
    else:
        ins.append(None)
    yt = _act(sg, (1, o), out_scale, out_zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.FULLY_CONNECTED, inputs=ins, outputs=[yt])
    opt = tfl.FullyConnectedOptionsT()
    opt.fusedActivationFunction = ACT[act]
    _options(op, tfl.BuiltinOptions.FullyConnectedOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [np.asarray(x, np.int8).reshape(1, i)]).reshape(o)


def conv2d(
    x,
    in_scale,
    in_zp,
    weight,
    w_scales,
    bias,
    out_scale,
    out_zp,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    groups=1,
    act=None,
):
    """x [C][H][W], weight [OC][C/groups][KH][KW] torch layout. groups == C -> DEPTHWISE_CONV_2D,
    other groups -> CONV_2D with a filter depth of C / groups (TFLM grouped convolution)."""
    c, h, w = x.shape
    oc, _, kh, kw = weight.shape
    depthwise = groups == c and groups > 1
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, h, w, c), in_scale, in_zp, "x")
    src, (_, hp, wp, _) = _padded(sg, xt, padding, in_scale, in_zp, (1, h, w, c))
    ws = np.asarray(w_scales, np.float32)
    if depthwise:
        wdata = np.transpose(np.asarray(weight, np.int8)[:, 0], (1, 2, 0))[None]  # [1][KH][KW][OC]
        waxis = 3
    else:
        wdata = np.transpose(np.asarray(weight, np.int8), (0, 2, 3, 1))  # [OC][KH][KW][C]
        waxis = 0
    wt = sg.add_tensor(
        shape=wdata.shape,
        dtype=T.INT8,
        name="w",
        data=np.ascontiguousarray(wdata),
        quantization=_q(ws, 0, waxis),
    )
    bs = np.float32(in_scale) * ws
    bdata = np.zeros(oc, np.int32) if bias is None else np.asarray(bias, np.int32)
    bt = sg.add_tensor(shape=(oc,), dtype=T.INT32, name="b", data=bdata, quantization=_q(bs, 0, 0))
    sh, sw = stride
    dh, dw = dilation
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    yt = _act(sg, (1, oh, ow, oc), out_scale, out_zp, "y")
    if depthwise:
        op = sg.add_operator(
            opcode=tfl.BuiltinOperator.DEPTHWISE_CONV_2D, inputs=[src, wt, bt], outputs=[yt]
        )
        opt = tfl.DepthwiseConv2DOptionsT()
        opt.depthMultiplier = oc // c
        kind = tfl.BuiltinOptions.DepthwiseConv2DOptions
    else:
        op = sg.add_operator(opcode=tfl.BuiltinOperator.CONV_2D, inputs=[src, wt, bt], outputs=[yt])
        opt = tfl.Conv2DOptionsT()
        kind = tfl.BuiltinOptions.Conv2DOptions
    opt.padding = tfl.Padding.VALID
    opt.strideH, opt.strideW = sh, sw
    opt.dilationHFactor, opt.dilationWFactor = dh, dw
    opt.fusedActivationFunction = ACT[act]
    _options(op, kind, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    y = _run(m, [np.ascontiguousarray(np.transpose(np.asarray(x, np.int8), (1, 2, 0)))[None]])
    return np.ascontiguousarray(np.transpose(y[0], (2, 0, 1)))


def pool2d(kind, x, scale, zp, kernel, stride, same=False, act=None):
    """MAX_POOL_2D / AVERAGE_POOL_2D on x [C][H][W]; `same` selects TFLite SAME padding (valid taps
    only)."""
    c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    if same:
        oh, ow = -(-h // sh), -(-w // sw)
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, h, w, c), scale, zp, "x")
    yt = _act(sg, (1, oh, ow, c), scale, zp, "y")
    code = tfl.BuiltinOperator.MAX_POOL_2D if kind == "max" else tfl.BuiltinOperator.AVERAGE_POOL_2D
    op = sg.add_operator(opcode=code, inputs=[xt], outputs=[yt])
    opt = tfl.Pool2DOptionsT()
    opt.padding = tfl.Padding.SAME if same else tfl.Padding.VALID
    opt.strideH, opt.strideW = sh, sw
    opt.filterHeight, opt.filterWidth = kh, kw
    opt.fusedActivationFunction = ACT[act]
    _options(op, tfl.BuiltinOptions.Pool2DOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    y = _run(m, [np.ascontiguousarray(np.transpose(np.asarray(x, np.int8), (1, 2, 0)))[None]])
    return np.ascontiguousarray(np.transpose(y[0], (2, 0, 1)))


def binary(kind, a, b, a_scale, a_zp, b_scale, b_zp, out_scale, out_zp, act=None):
    """ADD / MUL of two same-shape int8 tensors."""
    shape = (1, a.size)
    m = me.Model()
    sg = m.add_subgraph()
    at = _act(sg, shape, a_scale, a_zp, "a")
    bt = _act(sg, shape, b_scale, b_zp, "b")
    yt = _act(sg, shape, out_scale, out_zp, "y")
    if kind == "add":
        op = sg.add_operator(opcode=tfl.BuiltinOperator.ADD, inputs=[at, bt], outputs=[yt])
        opt = tfl.AddOptionsT()
        okind = tfl.BuiltinOptions.AddOptions
    else:
        op = sg.add_operator(opcode=tfl.BuiltinOperator.MUL, inputs=[at, bt], outputs=[yt])
        opt = tfl.MulOptionsT()
        okind = tfl.BuiltinOptions.MulOptions
    opt.fusedActivationFunction = ACT[act]
    _options(op, okind, opt)
    sg.inputs, sg.outputs = [at, bt], [yt]
    y = _run(m, [np.asarray(a, np.int8).reshape(shape), np.asarray(b, np.int8).reshape(shape)])
    return y.reshape(a.shape)


def quantize(x, scale, zp):
    """QUANTIZE float32 -> int8."""
    m = me.Model()
    sg = m.add_subgraph()
    xt = sg.add_tensor(shape=(1, x.size), dtype=T.FLOAT32, name="x")
    yt = _act(sg, (1, x.size), scale, zp, "y")
    sg.add_operator(opcode=tfl.BuiltinOperator.QUANTIZE, inputs=[xt], outputs=[yt])
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [np.asarray(x, np.float32).reshape(1, -1)]).reshape(x.shape)


def dequantize(q, scale, zp):
    """DEQUANTIZE int8 -> float32."""
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, q.size), scale, zp, "x")
    yt = sg.add_tensor(shape=(1, q.size), dtype=T.FLOAT32, name="y")
    sg.add_operator(opcode=tfl.BuiltinOperator.DEQUANTIZE, inputs=[xt], outputs=[yt])
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [np.asarray(q, np.int8).reshape(1, -1)]).reshape(q.shape)
