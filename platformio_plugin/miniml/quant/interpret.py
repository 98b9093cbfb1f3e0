"""numpy interpreter of an int8 graph (the output of passes/quantize_int8.py), built on the
reference kernels: what the generated predict() must compute, to the bit. Used by tests and for
accuracy checks."""

from __future__ import annotations

from typing import Dict

import numpy as np

from ..ir import Graph
from . import fixedpoint as fp
from . import reference as ref


def _pair(v, n=2):
    return tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * n


def _unfold(bias_folded, w, zp):
    """The TFLM bias back from the folded one (the reference kernels subtract the zero point)."""
    return np.asarray(bias_folded, np.int64) + int(zp) * np.asarray(w, np.int64).reshape(
        len(bias_folded), -1
    ).sum(1)


def run_int8(g: Graph, x: np.ndarray) -> Dict[str, np.ndarray]:
    """One float input (any shape with the input's numel) -> every tensor of g (int8 ones as
    int8)."""
    env: Dict[str, np.ndarray] = {g.inputs[0]: np.asarray(x, np.float32).reshape(-1)}
    for n in g.nodes:
        a = n.attrs
        p = {role: g.params[name].data for role, name in n.params.items()}
        ins = [env[t] for t in n.inputs]
        if n.op == "quantize_s8":
            y = ref.quantize_s8(ins[0], a["scale"], a["zero_point"])
        elif n.op == "dequantize_s8":
            y = ref.dequantize_s8(ins[0], a["scale"], a["zero_point"])
        elif n.op == "linear_s8":
            w = p["weight"]
            y = ref.linear_s8(
                ins[0],
                a["input_zero_point"],
                w,
                _unfold(p["bias"], w, a["input_zero_point"]),
                p["multiplier"],
                p["shift"],
                a["output_zero_point"],
                a["act_min"],
                a["act_max"],
            )
        elif n.op in ("conv2d_s8", "conv1d_s8"):
            w = p["weight"]
            b = _unfold(p["bias"], w, a["input_zero_point"])
            x3 = ins[0].reshape(a["in_shape"])
            if n.op == "conv1d_s8":
                y = ref.conv1d_s8(
                    x3,
                    a["input_zero_point"],
                    w,
                    b,
                    p["multiplier"],
                    p["shift"],
                    a["output_zero_point"],
                    _pair(a.get("stride", 1), 1)[0],
                    _pair(a.get("padding", 0), 1)[0],
                    _pair(a.get("dilation", 1), 1)[0],
                    int(a.get("groups", 1)),
                    a["act_min"],
                    a["act_max"],
                )
            else:
                y = ref.conv2d_s8(
                    x3,
                    a["input_zero_point"],
                    w,
                    b,
                    p["multiplier"],
                    p["shift"],
                    a["output_zero_point"],
                    _pair(a.get("stride", 1)),
                    _pair(a.get("padding", 0)),
                    _pair(a.get("dilation", 1)),
                    int(a.get("groups", 1)),
                    a["act_min"],
                    a["act_max"],
                )
        elif n.op in ("max_pool2d_s8", "avg_pool2d_s8"):
            x3 = ins[0].reshape((a["channels"],) + tuple(a["in_size"]))
            geo = (tuple(a["kernel"]), tuple(a["stride"]), tuple(a["padding"]))
            out_size = tuple(a.get("out_size") or ()) or None
            if n.op.startswith("max"):
                y = ref.max_pool2d_s8(
                    x3,
                    *geo,
                    a["act_min"],
                    a["act_max"],
                    dilation=tuple(a.get("dilation", (1, 1))),
                    out_size=out_size,
                )
            else:
                y = ref.avg_pool2d_s8(
                    x3,
                    *geo,
                    a["act_min"],
                    a["act_max"],
                    out_size=out_size,
                    count_include_pad=a.get("count_include_pad", False),
                    divisor_override=a.get("divisor_override", 0),
                    zero_point=a.get("zero_point", 0),
                )
        elif n.op == "clamp_s8":
            y = np.clip(ins[0], a["act_min"], a["act_max"]).astype(np.int8)
        elif n.op == "concat_s8":
            blocks = []
            for v, part, zp, m, sh in zip(
                ins, a["parts"], a["input_zero_points"], a["multipliers"], a["shifts"]
            ):
                v = v.reshape(a["outer"], part).astype(np.int64)
                if m:
                    v = np.clip(
                        fp.multiply_by_quantized_multiplier(v - zp, m, sh) + a["output_zero_point"],
                        -128,
                        127,
                    )
                blocks.append(v)
            y = np.concatenate(blocks, axis=1).astype(np.int8)
        elif n.op == "lut_s8":
            y = p["table"][ins[0].astype(np.int64) + 128]
        elif n.op in ("add_channel_s8", "mul_channel_s8"):
            b = np.repeat(ins[1].reshape(-1), a["inner"])
            if n.op == "add_channel_s8":
                y = ref.add_s8(
                    ins[0],
                    b,
                    a["a_zero_point"],
                    a["b_zero_point"],
                    a["a_multiplier"],
                    a["a_shift"],
                    a["b_multiplier"],
                    a["b_shift"],
                    a["output_multiplier"],
                    a["output_shift"],
                    a["output_zero_point"],
                    20,
                    a["act_min"],
                    a["act_max"],
                )
            else:
                y = ref.mul_s8(
                    ins[0],
                    b,
                    a["a_zero_point"],
                    a["b_zero_point"],
                    a["multiplier"],
                    a["shift"],
                    a["output_zero_point"],
                    a["act_min"],
                    a["act_max"],
                )
        elif n.op == "add_s8":
            y = ref.add_s8(
                ins[0],
                ins[1],
                a["a_zero_point"],
                a["b_zero_point"],
                a["a_multiplier"],
                a["a_shift"],
                a["b_multiplier"],
                a["b_shift"],
                a["output_multiplier"],
                a["output_shift"],
                a["output_zero_point"],
                20,
                a["act_min"],
                a["act_max"],
            )
        elif n.op == "linear":  # a float head (mixed precision)
            y = p["weight"].astype(np.float64) @ ins[0].astype(np.float64) + (
                p["bias"] if "bias" in p else 0.0
            )
            if a.get("act") is not None:
                y = np.maximum(y, 0.0) if a["act"][0] == "relu" else y
            y = y.astype(np.float32)
        elif n.op in ("softmax", "log_softmax"):  # a float tail on dequantised logits
            z = ins[0].reshape(a["rows"], a["cols"]).astype(np.float64)
            z = z - z.max(axis=1, keepdims=True)
            lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
            y = (np.exp(z - lse) if n.op == "softmax" else z - lse).astype(np.float32)
        elif n.op == "mul_s8":
            y = ref.mul_s8(
                ins[0],
                ins[1],
                a["a_zero_point"],
                a["b_zero_point"],
                a["multiplier"],
                a["shift"],
                a["output_zero_point"],
                a["act_min"],
                a["act_max"],
            )
        else:
            raise KeyError(f"no int8 reference for {n.op}")
        env[n.outputs[0]] = np.asarray(y).reshape(-1)
    return env


def predict(g: Graph, xs: np.ndarray) -> np.ndarray:
    """Float outputs [N, *output_shape[1:]] of the int8 graph for float inputs [N, ...]."""
    out = g.outputs[0]
    shape = tuple(g.tensor(out).shape[1:])
    return np.stack([run_int8(g, x)[out].reshape(shape) for x in xs])
