"""TFLite Micro's arena for the suite's models: equivalent int8 .tflite files built with the
tflite-micro wheel's model_editor (same layers and shapes, NHWC; symmetric torch padding becomes
TFLite SAME, which has the same output shapes here), run once by its interpreter, whose
RecordingMicroAllocator reports the arena.

Weights and quantisation parameters are placeholders: TFLM's arena depends on tensor shapes,
dtypes and ops only."""

from __future__ import annotations

import ctypes
import os
import re
import tempfile
from typing import Dict, Optional

import numpy as np


class _Builder:
    def __init__(self):
        from tflite_micro.tensorflow.lite.micro.compression import model_editor as me
        from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tfl

        self.me, self.tfl = me, tfl
        self.model = me.Model()
        self.sg = self.model.add_subgraph()
        self.n = 0

    def _name(self, kind: str) -> str:
        self.n += 1
        return "%s%d" % (kind, self.n)

    def act(self, shape):
        return self.sg.add_tensor(
            shape=tuple(shape),
            dtype=self.tfl.TensorType.INT8,
            name=self._name("a"),
            quantization=self.me.Quantization(scales=0.05, zero_points=0),
        )

    def _const(self, data, dtype, scale, axis=None):
        q = (
            self.me.Quantization(
                scales=[scale] * (data.shape[axis] if axis is not None else 1),
                zero_points=[0] * (data.shape[axis] if axis is not None else 1),
                axis=axis,
            )
            if axis is not None
            else self.me.Quantization(scales=scale, zero_points=0)
        )
        return self.sg.add_tensor(
            shape=data.shape, dtype=dtype, name=self._name("c"), data=data, quantization=q
        )

    def _op(self, code, inputs, outputs, kind=None, opt=None):
        op = self.sg.add_operator(opcode=code, inputs=inputs, outputs=outputs)
        if kind is not None:
            op._fb.builtinOptionsType = kind
            op._fb.builtinOptions = opt
        return op

    def conv(self, x, shape, oc, k, stride=1, depthwise=False, relu=True):
        """x NHWC `shape`; k = (kh, kw); stride int or (sh, sw); SAME padding."""
        tfl = self.tfl
        n, h, w, c = shape
        kh, kw = k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        oh, ow = -(-h // sh), -(-w // sw)
        if depthwise:
            wt = self._const(np.ones((1, kh, kw, oc), np.int8), tfl.TensorType.INT8, 0.01, axis=3)
        else:
            wt = self._const(np.ones((oc, kh, kw, c), np.int8), tfl.TensorType.INT8, 0.01, axis=0)
        bt = self._const(np.zeros(oc, np.int32), tfl.TensorType.INT32, 0.0005, axis=0)
        y = self.act((n, oh, ow, oc))
        if depthwise:
            opt = tfl.DepthwiseConv2DOptionsT()
            opt.depthMultiplier = oc // c
            code, kind = (
                tfl.BuiltinOperator.DEPTHWISE_CONV_2D,
                tfl.BuiltinOptions.DepthwiseConv2DOptions,
            )
        else:
            opt = tfl.Conv2DOptionsT()
            code, kind = tfl.BuiltinOperator.CONV_2D, tfl.BuiltinOptions.Conv2DOptions
        opt.padding = tfl.Padding.SAME
        opt.strideH, opt.strideW = sh, sw
        opt.dilationHFactor = opt.dilationWFactor = 1
        opt.fusedActivationFunction = 1 if relu else 0
        self._op(code, [x, wt, bt], [y], kind, opt)
        return y, (n, oh, ow, oc)

    def pool(self, x, shape, k, kind="max"):
        tfl = self.tfl
        n, h, w, c = shape
        kh, kw = k
        y = self.act((n, h // kh, w // kw, c))
        opt = tfl.Pool2DOptionsT()
        opt.padding = tfl.Padding.VALID
        opt.strideH, opt.strideW, opt.filterHeight, opt.filterWidth = kh, kw, kh, kw
        code = (
            tfl.BuiltinOperator.MAX_POOL_2D
            if kind == "max"
            else tfl.BuiltinOperator.AVERAGE_POOL_2D
        )
        self._op(code, [x], [y], tfl.BuiltinOptions.Pool2DOptions, opt)
        return y, (n, h // kh, w // kw, c)

    def fc(self, x, in_features, out_features, relu=False):
        tfl = self.tfl
        wt = self._const(np.ones((out_features, in_features), np.int8), tfl.TensorType.INT8, 0.01)
        bt = self._const(np.zeros(out_features, np.int32), tfl.TensorType.INT32, 0.0005)
        y = self.act((1, out_features))
        opt = tfl.FullyConnectedOptionsT()
        opt.fusedActivationFunction = 1 if relu else 0
        self._op(
            tfl.BuiltinOperator.FULLY_CONNECTED,
            [x, wt, bt],
            [y],
            tfl.BuiltinOptions.FullyConnectedOptions,
            opt,
        )
        return y

    def add(self, a, b, shape, relu=True):
        tfl = self.tfl
        y = self.act(shape)
        opt = tfl.AddOptionsT()
        opt.fusedActivationFunction = 1 if relu else 0
        self._op(tfl.BuiltinOperator.ADD, [a, b], [y], tfl.BuiltinOptions.AddOptions, opt)
        return y

    def allocations(self, inp, out, in_shape) -> Dict[str, int]:
        from tflite_micro.python.tflite_micro import runtime

        self.sg.inputs, self.sg.outputs = [inp], [out]
        it = runtime.Interpreter.from_bytes(bytes(self.model.build()), arena_size=1 << 20)
        it.set_input(np.zeros(in_shape, np.int8), 0)
        it.invoke()
        text = _capture_fd1(it.print_allocations)
        got = {
            k: int(v)
            for k, v in re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", text)
        }
        if "total" not in got:
            raise RuntimeError("no allocation report from TFLM: %r" % text[:200])
        return {
            "total_bytes": got["total"],
            "head_bytes": got.get("head"),
            "tail_bytes": got.get("tail"),
        }


def _capture_fd1(fn) -> str:
    """Runs fn with fds 1 and 2 (TFLM's C++ logging) redirected to a file; returns the text."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            fn()
        finally:
            ctypes.CDLL(None).fflush(None)  # C stdio may buffer the report: flush it into the file
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        f.seek(0)
        return f.read().decode("utf-8", "replace")


def _mlp(sizes):
    b = _Builder()
    x = b.act((1, sizes[0]))
    inp, y = x, x
    for k in range(len(sizes) - 1):
        y = b.fc(y, sizes[k], sizes[k + 1], relu=k + 2 < len(sizes))
    return b.allocations(inp, y, (1, sizes[0]))


def _digits():
    b = _Builder()
    shape = (1, 8, 8, 1)
    x = inp = b.act(shape)
    x, shape = b.conv(x, shape, 8, (3, 3))
    x, shape = b.pool(x, shape, (2, 2))
    x, shape = b.conv(x, shape, 16, (3, 3))
    x, shape = b.pool(x, shape, (2, 2))
    y = b.fc(x, 64, 10)
    return b.allocations(inp, y, (1, 8, 8, 1))


def _vibration():
    b = _Builder()
    shape = (1, 1, 64, 1)
    x = inp = b.act(shape)
    x, shape = b.conv(x, shape, 8, (1, 5), stride=(1, 2))
    for block in range(2):
        h, s = b.conv(x, shape, 8, (1, 3))
        h, s = b.conv(h, s, 8, (1, 3), relu=False)
        x = b.add(x, h, shape)
        if block == 0:
            x, shape = b.pool(x, shape, (1, 2))
    x, shape = b.pool(x, shape, (1, shape[2]), kind="avg")
    y = b.fc(x, 8, 3)
    return b.allocations(inp, y, (1, 1, 64, 1))


def _ds():
    b = _Builder()
    shape = (1, 32, 32, 1)
    x = inp = b.act(shape)
    x, shape = b.conv(x, shape, 8, (3, 3), stride=2)
    x, shape = b.conv(x, shape, 8, (3, 3), depthwise=True)
    x, shape = b.conv(x, shape, 16, (1, 1))
    x, shape = b.conv(x, shape, 16, (3, 3), stride=2, depthwise=True)
    x, shape = b.conv(x, shape, 32, (1, 1))
    x, shape = b.pool(x, shape, (shape[1], shape[2]), kind="avg")
    y = b.fc(x, 32, 10)
    return b.allocations(inp, y, (1, 32, 32, 1))


BUILDERS = {
    "mlp16": lambda: _mlp([16, 16, 4]),
    "sensor_head": lambda: _mlp([16, 32, 16, 4]),
    "digits_cnn": _digits,
    "vibration_resnet": _vibration,
    "ds_cnn": _ds,
}


def arena(model: str) -> Optional[Dict[str, object]]:
    build = BUILDERS.get(model)
    if build is None:
        return None
    return {"model": model, **build()}
