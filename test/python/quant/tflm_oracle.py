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
        name=f"pads{len(sg.tensors)}",
        data=np.array([[0, 0], [ph, ph], [pw, pw], [0, 0]], np.int32),
    )
    shape = (n, h + 2 * ph, w + 2 * pw, c)
    y = _act(sg, shape, scale, zp, f"padded{len(sg.tensors)}")
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
    """ADD / SUB / MUL of two same-shape int8 tensors."""
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
    elif kind == "sub":
        op = sg.add_operator(opcode=tfl.BuiltinOperator.SUB, inputs=[at, bt], outputs=[yt])
        opt = tfl.SubOptionsT()
        okind = tfl.BuiltinOptions.SubOptions
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


def _fused(a, zp):
    """The TFLite fused activation that gives the node's int8 clamp (act_min/act_max)."""
    if (a["act_min"], a["act_max"]) == (-128, 127):
        return 0
    return 1 if a["act_max"] == 127 and a["act_min"] == max(-128, zp) else 3


class GraphRunner:
    """A whole int8 MiniML graph (passes/quantize_int8.py output: quantize_s8, conv2d_s8, pools,
    linear_s8, dequantize_s8) as one TFLite model, same weights and quantisation parameters, run by
    TFLM. Activations stay NHWC inside; a Linear after a 4-D tensor gets a RESHAPE and its weight
    columns permuted from [C][H][W] to [H][W][C] order (the same dot product)."""

    def __init__(self, g):
        m = me.Model()
        sg = m.add_subgraph()
        self.g, self.sg = g, sg
        env = {}  # IR tensor -> (tflite tensor, shape as MiniML [C][H][W] or [N])
        x = g.inputs[0]
        shape = tuple(g.tensor(x).shape[1:])
        self.in_shape = shape
        nhwc = (1,) + ((shape[1], shape[2], shape[0]) if len(shape) == 3 else shape)
        env[x] = (sg.add_tensor(shape=nhwc, dtype=T.FLOAT32, name=x), shape)
        for i, n in enumerate(g.nodes):
            a = n.attrs
            src, s_in = env[n.inputs[0]]
            out = g.tensor(n.outputs[0])
            o_shape = tuple(out.shape[1:])
            o_nhwc = (1,) + ((o_shape[1], o_shape[2], o_shape[0]) if len(o_shape) == 3 else o_shape)
            if n.op == "dequantize_s8":
                y = sg.add_tensor(shape=o_nhwc, dtype=T.FLOAT32, name=n.outputs[0])
                sg.add_operator(opcode=tfl.BuiltinOperator.DEQUANTIZE, inputs=[src], outputs=[y])
                env[n.outputs[0]] = (y, o_shape)
                continue
            y = _act(sg, o_nhwc, out.scale, out.zero_point, n.outputs[0])
            if n.op == "quantize_s8":
                sg.add_operator(opcode=tfl.BuiltinOperator.QUANTIZE, inputs=[src], outputs=[y])
            elif n.op == "conv2d_s8":
                self._conv(n, src, s_in, y, out, i)
            elif n.op in ("max_pool2d_s8", "avg_pool2d_s8"):
                if any(a["padding"]):
                    raise ValueError("GraphRunner: padded pools are not mapped")
                code = (
                    tfl.BuiltinOperator.MAX_POOL_2D
                    if n.op.startswith("max")
                    else tfl.BuiltinOperator.AVERAGE_POOL_2D
                )
                op = sg.add_operator(opcode=code, inputs=[src], outputs=[y])
                opt = tfl.Pool2DOptionsT()
                opt.padding = tfl.Padding.VALID
                opt.strideH, opt.strideW = a["stride"]
                opt.filterHeight, opt.filterWidth = a["kernel"]
                _options(op, tfl.BuiltinOptions.Pool2DOptions, opt)
            elif n.op == "linear_s8":
                self._linear(n, src, s_in, y, out, i)
            else:
                raise ValueError(f"GraphRunner: {n.op} is not mapped")
            env[n.outputs[0]] = (y, o_shape)
        sg.inputs = [env[x][0]]
        sg.outputs = [env[g.outputs[0]][0]]
        self.it = runtime.Interpreter.from_bytes(bytes(m.build()), arena_size=1 << 20)

    def _params(self, n, in_t):
        g = self.g
        w = g.params[n.params["weight"]]
        ws = np.asarray(w.scale, np.float32)
        zp = int(in_t.zero_point)
        wsum = w.data.astype(np.int64).reshape(w.data.shape[0], -1).sum(1)
        bias = (g.params[n.params["bias"]].data.astype(np.int64) + zp * wsum).astype(np.int32)
        return w.data, ws, bias, np.float32(in_t.scale) * ws

    def _conv(self, n, src, s_in, y, out, i):
        sg, a = self.sg, n.attrs
        in_t = self.g.tensor(n.inputs[0])
        w, ws, bias, bs = self._params(n, in_t)
        c, h, wd = s_in
        src, _ = _padded(sg, src, a["padding"], in_t.scale, in_t.zero_point, (1, h, wd, c))
        groups = int(a.get("groups", 1))
        oc = w.shape[0]
        if groups == c and groups > 1:
            wdata, axis, code = np.transpose(w[:, 0], (1, 2, 0))[None], 3, "dw"
        else:
            wdata, axis, code = np.transpose(w, (0, 2, 3, 1)), 0, "conv"
        wt = sg.add_tensor(
            shape=wdata.shape,
            dtype=T.INT8,
            name=f"w{i}",
            data=np.ascontiguousarray(wdata),
            quantization=_q(ws, 0, axis),
        )
        bt = sg.add_tensor(
            shape=(oc,), dtype=T.INT32, name=f"b{i}", data=bias, quantization=_q(bs, 0, 0)
        )
        if code == "dw":
            op = sg.add_operator(
                opcode=tfl.BuiltinOperator.DEPTHWISE_CONV_2D, inputs=[src, wt, bt], outputs=[y]
            )
            opt = tfl.DepthwiseConv2DOptionsT()
            opt.depthMultiplier = oc // c
            kind = tfl.BuiltinOptions.DepthwiseConv2DOptions
        else:
            op = sg.add_operator(
                opcode=tfl.BuiltinOperator.CONV_2D, inputs=[src, wt, bt], outputs=[y]
            )
            opt = tfl.Conv2DOptionsT()
            kind = tfl.BuiltinOptions.Conv2DOptions
        opt.padding = tfl.Padding.VALID
        opt.strideH, opt.strideW = a["stride"]
        opt.dilationHFactor, opt.dilationWFactor = a["dilation"]
        opt.fusedActivationFunction = _fused(a, out.zero_point)
        _options(op, kind, opt)

    def _linear(self, n, src, s_in, y, out, i):
        sg, a = self.sg, n.attrs
        in_t = self.g.tensor(n.inputs[0])
        w, ws, bias, bs = self._params(n, in_t)
        if len(s_in) == 3:
            c, h, wd = s_in
            w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
            flat = _act(sg, (1, c * h * wd), in_t.scale, in_t.zero_point, f"flat{i}")
            shp = sg.add_tensor(
                shape=(2,),
                dtype=T.INT32,
                name=f"shape{i}",
                data=np.array([1, c * h * wd], np.int32),
            )
            sg.add_operator(opcode=tfl.BuiltinOperator.RESHAPE, inputs=[src, shp], outputs=[flat])
            src = flat
        o = w.shape[0]
        per = ws.size > 1
        wt = sg.add_tensor(
            shape=w.shape,
            dtype=T.INT8,
            name=f"w{i}",
            data=np.ascontiguousarray(w),
            quantization=_q(ws if per else ws[0], 0, 0 if per else None),
        )
        bt = sg.add_tensor(
            shape=(o,),
            dtype=T.INT32,
            name=f"b{i}",
            data=bias,
            quantization=_q(bs if per else bs[0], 0, 0 if per else None),
        )
        op = sg.add_operator(
            opcode=tfl.BuiltinOperator.FULLY_CONNECTED, inputs=[src, wt, bt], outputs=[y]
        )
        opt = tfl.FullyConnectedOptionsT()
        opt.fusedActivationFunction = _fused(a, out.zero_point)
        _options(op, tfl.BuiltinOptions.FullyConnectedOptions, opt)

    def __call__(self, xs):
        """Float inputs [N, *input_shape[1:]] (MiniML layout) -> float outputs [N, ...]."""
        out = []
        for x in xs:
            x = np.asarray(x, np.float32).reshape(self.in_shape)
            if x.ndim == 3:
                x = np.transpose(x, (1, 2, 0))
            self.it.set_input(np.ascontiguousarray(x)[None], 0)
            self.it.invoke()
            out.append(np.array(self.it.get_output(0)).reshape(-1))
        return np.stack(out)


def requantize(q, in_scale, in_zp, out_scale, out_zp):
    """QUANTIZE int8 -> int8 (TFLM's requantisation between two quantisations)."""
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, q.size), in_scale, in_zp, "x")
    yt = _act(sg, (1, q.size), out_scale, out_zp, "y")
    sg.add_operator(opcode=tfl.BuiltinOperator.QUANTIZE, inputs=[xt], outputs=[yt])
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [np.asarray(q, np.int8).reshape(1, -1)]).reshape(q.shape)


def binary_channel(kind, a, b, a_scale, a_zp, b_scale, b_zp, out_scale, out_zp, act=None):
    """Broadcast ADD / MUL: a [C][inner] with b [C] (TFLite shapes [1, C, inner] and [1, C, 1])."""
    c, inner = a.shape
    m = me.Model()
    sg = m.add_subgraph()
    at = _act(sg, (1, c, inner), a_scale, a_zp, "a")
    bt = _act(sg, (1, c, 1), b_scale, b_zp, "b")
    yt = _act(sg, (1, c, inner), out_scale, out_zp, "y")
    code = tfl.BuiltinOperator.ADD if kind == "add" else tfl.BuiltinOperator.MUL
    op = sg.add_operator(opcode=code, inputs=[at, bt], outputs=[yt])
    opt = tfl.AddOptionsT() if kind == "add" else tfl.MulOptionsT()
    opt.fusedActivationFunction = ACT[act]
    okind = tfl.BuiltinOptions.AddOptions if kind == "add" else tfl.BuiltinOptions.MulOptions
    _options(op, okind, opt)
    sg.inputs, sg.outputs = [at, bt], [yt]
    y = _run(
        m, [np.asarray(a, np.int8).reshape(1, c, inner), np.asarray(b, np.int8).reshape(1, c, 1)]
    )
    return y.reshape(c, inner)


def resize_nearest(x, out_hw, half_pixel_centers, scale, zp):
    """RESIZE_NEAREST_NEIGHBOR of int8 x [C][H][W] to [C][out_h][out_w] (align_corners False)."""
    c, h, w = x.shape
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, h, w, c), scale, zp, "x")
    size = sg.add_tensor(shape=(2,), dtype=T.INT32, name="size",
                         data=np.array(out_hw, np.int32))
    yt = _act(sg, (1, *out_hw, c), scale, zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, inputs=[xt, size],
                         outputs=[yt])
    opt = tfl.ResizeNearestNeighborOptionsT()
    opt.alignCorners, opt.halfPixelCenters = False, bool(half_pixel_centers)
    _options(op, tfl.BuiltinOptions.ResizeNearestNeighborOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    y = _run(m, [np.asarray(x, np.int8).transpose(1, 2, 0)[None]])
    return y[0].transpose(2, 0, 1)


def minimum_maximum(kind, a, b, scale, zp):
    """MINIMUM / MAXIMUM of two same-shape int8 tensors at one scale."""
    shape = (1, a.size)
    m = me.Model()
    sg = m.add_subgraph()
    at, bt = _act(sg, shape, scale, zp, "a"), _act(sg, shape, scale, zp, "b")
    yt = _act(sg, shape, scale, zp, "y")
    code = tfl.BuiltinOperator.MINIMUM if kind == "minimum" else tfl.BuiltinOperator.MAXIMUM
    op = sg.add_operator(opcode=code, inputs=[at, bt], outputs=[yt])
    _options(op, tfl.BuiltinOptions.MaximumMinimumOptions, tfl.MaximumMinimumOptionsT())
    sg.inputs, sg.outputs = [at, bt], [yt]
    y = _run(m, [np.asarray(a, np.int8).reshape(shape), np.asarray(b, np.int8).reshape(shape)])
    return y.reshape(a.shape)


def transpose_conv(x, in_scale, in_zp, weight, w_scales, bias, out_scale, out_zp, stride):
    """TRANSPOSE_CONV (VALID: torch padding 0, output_padding 0, groups 1) of x [C][H][W] with the
    transposed-conv weight in torch's layout [C][OC][KH][KW], int8 per output channel."""
    c, h, w = x.shape
    _, oc, kh, kw = weight.shape
    oh, ow = (h - 1) * stride[0] + kh, (w - 1) * stride[1] + kw
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, h, w, c), in_scale, in_zp, "x")
    shape = sg.add_tensor(shape=(4,), dtype=T.INT32, name="shape",
                          data=np.array([1, oh, ow, oc], np.int32))
    ws = np.asarray(w_scales, np.float32)
    wdata = np.ascontiguousarray(np.transpose(np.asarray(weight, np.int8), (1, 2, 3, 0)))  # OHWI
    wt = sg.add_tensor(shape=wdata.shape, dtype=T.INT8, name="w", data=wdata,
                       quantization=_q(ws, 0, 0))
    bt = sg.add_tensor(shape=(oc,), dtype=T.INT32, name="b", data=np.asarray(bias, np.int32),
                       quantization=_q(np.float32(in_scale) * ws, 0, 0))
    yt = _act(sg, (1, oh, ow, oc), out_scale, out_zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.TRANSPOSE_CONV, inputs=[shape, wt, xt, bt],
                         outputs=[yt])
    opt = tfl.TransposeConvOptionsT()
    opt.padding = tfl.Padding.VALID
    opt.strideH, opt.strideW = stride
    _options(op, tfl.BuiltinOptions.TransposeConvOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    y = _run(m, [np.ascontiguousarray(np.transpose(np.asarray(x, np.int8), (1, 2, 0)))[None]])
    return np.ascontiguousarray(np.transpose(y[0], (2, 0, 1)))


def lstm(x, in_scale, in_zp, w_ih, w_hh, w_scales, bias, h_scale, h_zp, cell_scale):
    """UNIDIRECTIONAL_SEQUENCE_LSTM (batch-major, tanh cell gate, no peephole/projection/clip) on
    x [T][F] int8 -> the int8 output sequence [T][H]. w_ih [4H][F], w_hh [4H][H] int8 in torch's gate
    order (i, f, g, o); w_scales [2][4] float32 (per gate of each matrix: TFLM takes per-tensor LSTM
    weights); bias [4H] int32 at in_scale * w_ih scale; the hidden state int8 (h_scale, h_zp), the
    cell state int16 at cell_scale (a power of two); both start at zero."""
    steps, feat = x.shape
    hidden = w_hh.shape[1]
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, steps, feat), in_scale, in_zp, "x")
    ins = [xt]
    for k, (w, cols) in enumerate(((w_ih, feat), (w_hh, hidden))):
        for g in range(4):
            ins.append(sg.add_tensor(
                shape=(hidden, cols), dtype=T.INT8, name=f"w{k}{g}",
                data=np.ascontiguousarray(np.asarray(w, np.int8)[g * hidden:(g + 1) * hidden]),
                quantization=_q(float(w_scales[k][g]))))
    ins += [None] * 3  # no peephole
    for g in range(4):
        ins.append(sg.add_tensor(
            shape=(hidden,), dtype=T.INT32, name=f"b{g}",
            data=np.asarray(bias, np.int32)[g * hidden:(g + 1) * hidden],
            quantization=_q(float(np.float32(in_scale) * np.float32(w_scales[0][g])))))
    ins += [None] * 2  # no projection
    h = _act(sg, (1, hidden), h_scale, h_zp, "h")
    c = _act(sg, (1, hidden), cell_scale, 0, "c", dtype=T.INT16)
    h.is_variable = c.is_variable = True
    ins += [h, c] + [None] * 4  # no layer norm
    yt = _act(sg, (1, steps, hidden), h_scale, h_zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs=ins,
                         outputs=[yt])
    opt = tfl.UnidirectionalSequenceLSTMOptionsT()
    opt.fusedActivationFunction = 4  # TANH: the cell gate's activation
    opt.timeMajor = False
    _options(op, tfl.BuiltinOptions.UnidirectionalSequenceLSTMOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [np.asarray(x, np.int8).reshape(1, steps, feat)]).reshape(steps, hidden)


def activation_int16(kind, x, scale):
    """TANH or LOGISTIC (kind "tanh" / "logistic") on int16 x (zero point 0) -> int16 at 2^-15."""
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, x.size), scale, 0, "x", dtype=T.INT16)
    yt = _act(sg, (1, x.size), 2.0 ** -15, 0, "y", dtype=T.INT16)
    code = tfl.BuiltinOperator.TANH if kind == "tanh" else tfl.BuiltinOperator.LOGISTIC
    sg.add_operator(opcode=code, inputs=[xt], outputs=[yt])
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [np.asarray(x, np.int16).reshape(1, -1)]).reshape(x.shape)


def prelu(x, alpha, in_scale, in_zp, alpha_scale, out_scale, out_zp):
    """PRELU of int8 x [C][inner] with int8 slopes alpha [C] (zero point 0), broadcast over inner."""
    c, inner = x.shape
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, inner, c), in_scale, in_zp, "x")
    at = sg.add_tensor(shape=(c,), dtype=T.INT8, name="alpha", data=np.asarray(alpha, np.int8),
                       quantization=_q(alpha_scale, 0))
    yt = _act(sg, (1, inner, c), out_scale, out_zp, "y")
    sg.add_operator(opcode=tfl.BuiltinOperator.PRELU, inputs=[xt, at], outputs=[yt])
    sg.inputs, sg.outputs = [xt], [yt]
    y = _run(m, [np.ascontiguousarray(np.asarray(x, np.int8).T)[None]])
    return np.ascontiguousarray(y[0].T)


def transpose(x, perm, scale, zp):
    """TRANSPOSE of int8 x (any shape up to 5-D) by perm."""
    m = me.Model()
    sg = m.add_subgraph()
    x = np.asarray(x, np.int8)
    xt = _act(sg, x.shape, scale, zp, "x")
    pt = sg.add_tensor(shape=(len(perm),), dtype=T.INT32, name="perm",
                       data=np.asarray(perm, np.int32))
    yt = _act(sg, tuple(x.shape[p] for p in perm), scale, zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.TRANSPOSE, inputs=[xt, pt], outputs=[yt])
    _options(op, tfl.BuiltinOptions.TransposeOptions, tfl.TransposeOptionsT())
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [x])


REDUCERS = {"mean": "MEAN", "sum": "SUM", "max": "REDUCE_MAX", "min": "REDUCE_MIN"}


def reduce(kind, x, axes, in_scale, in_zp, out_scale, out_zp):
    """MEAN / SUM / REDUCE_MAX / REDUCE_MIN of int8 x over axes, keep_dims (max/min: the output
    keeps the input's parameters, as TFLM requires)."""
    x = np.asarray(x, np.int8)
    out_shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, x.shape, in_scale, in_zp, "x")
    at = sg.add_tensor(shape=(len(axes),), dtype=T.INT32, name="axes",
                       data=np.asarray(axes, np.int32))
    yt = _act(sg, out_shape, out_scale, out_zp, "y")
    op = sg.add_operator(opcode=getattr(tfl.BuiltinOperator, REDUCERS[kind]), inputs=[xt, at],
                         outputs=[yt])
    opt = tfl.ReducerOptionsT()
    opt.keepDims = True
    _options(op, tfl.BuiltinOptions.ReducerOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [x])


def resize_bilinear(x, out_hw, align_corners, scale, zp):
    """RESIZE_BILINEAR of int8 x [C][H][W] to [C][out_h][out_w]: align_corners, or half-pixel
    centres (torch's align_corners=False)."""
    c, h, w = x.shape
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, (1, h, w, c), scale, zp, "x")
    size = sg.add_tensor(shape=(2,), dtype=T.INT32, name="size", data=np.array(out_hw, np.int32))
    yt = _act(sg, (1, *out_hw, c), scale, zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.RESIZE_BILINEAR, inputs=[xt, size],
                         outputs=[yt])
    opt = tfl.ResizeBilinearOptionsT()
    opt.alignCorners, opt.halfPixelCenters = bool(align_corners), not align_corners
    _options(op, tfl.BuiltinOptions.ResizeBilinearOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    y = _run(m, [np.asarray(x, np.int8).transpose(1, 2, 0)[None]])
    return y[0].transpose(2, 0, 1)


def div(a, b, a_scale, a_zp, b_scale, b_zp, out_scale, out_zp):
    """DIV of two same-shape int8 tensors (b must not hold its zero point: TFLM DCHECKs it)."""
    shape = (1, a.size)
    m = me.Model()
    sg = m.add_subgraph()
    at, bt = _act(sg, shape, a_scale, a_zp, "a"), _act(sg, shape, b_scale, b_zp, "b")
    yt = _act(sg, shape, out_scale, out_zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.DIV, inputs=[at, bt], outputs=[yt])
    _options(op, tfl.BuiltinOptions.DivOptions, tfl.DivOptionsT())
    sg.inputs, sg.outputs = [at, bt], [yt]
    y = _run(m, [np.asarray(a, np.int8).reshape(shape), np.asarray(b, np.int8).reshape(shape)])
    return y.reshape(a.shape)


def unary(opcode, x, in_scale, in_zp, out_scale, out_zp, alpha=None):
    """A one-input int8 op by its BuiltinOperator name (LOGISTIC, TANH, HARD_SWISH, ELU,
    LEAKY_RELU with alpha) on codes x."""
    x = np.asarray(x, np.int8).reshape(1, -1)
    m = me.Model()
    sg = m.add_subgraph()
    xt, yt = _act(sg, x.shape, in_scale, in_zp, "x"), _act(sg, x.shape, out_scale, out_zp, "y")
    op = sg.add_operator(opcode=getattr(tfl.BuiltinOperator, opcode), inputs=[xt], outputs=[yt])
    if alpha is not None:
        opt = tfl.LeakyReluOptionsT()
        opt.alpha = float(alpha)
        _options(op, tfl.BuiltinOptions.LeakyReluOptions, opt)
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [x]).reshape(-1)


def pad(x, pads, scale, zp):
    """PAD of int8 x (any shape up to 4-D), pads [(before, after)] per dim (fills with zp)."""
    x = np.asarray(x, np.int8)
    m = me.Model()
    sg = m.add_subgraph()
    xt = _act(sg, x.shape, scale, zp, "x")
    pt = sg.add_tensor(shape=(x.ndim, 2), dtype=T.INT32, name="pads",
                       data=np.asarray(pads, np.int32))
    yt = _act(sg, tuple(d + a + b for d, (a, b) in zip(x.shape, pads)), scale, zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.PAD, inputs=[xt, pt], outputs=[yt])
    _options(op, tfl.BuiltinOptions.PadOptions, tfl.PadOptionsT())
    sg.inputs, sg.outputs = [xt], [yt]
    return _run(m, [x])


def gather(table, indices, scale, zp):
    """GATHER of rows of a constant int8 table [N][D] by int32 indices [K] (axis 0)."""
    table, indices = np.asarray(table, np.int8), np.asarray(indices, np.int32)
    m = me.Model()
    sg = m.add_subgraph()
    tt = sg.add_tensor(shape=table.shape, dtype=T.INT8, name="table", data=table,
                       quantization=_q(scale, zp))
    it = sg.add_tensor(shape=indices.shape, dtype=T.INT32, name="indices")
    yt = _act(sg, (len(indices), table.shape[1]), scale, zp, "y")
    op = sg.add_operator(opcode=tfl.BuiltinOperator.GATHER, inputs=[tt, it], outputs=[yt])
    _options(op, tfl.BuiltinOptions.GatherOptions, tfl.GatherOptionsT())
    sg.inputs, sg.outputs = [it], [yt]
    return _run(m, [indices])
