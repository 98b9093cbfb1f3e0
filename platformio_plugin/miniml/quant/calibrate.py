"""Calibration: load and check the representative inputs, run the float IR graph on them in numpy
and record every activation tensor's range.

The interpreter runs the graph after the float passes (BatchNorm folded, activations fused), so each
range is that of a tensor the int8 graph will really hold. Float semantics follow the C++ float
kernels (and so torch); only the ops with an int8 kernel are here: anything else is rejected before
calibration starts.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable, Dict, Mapping, Tuple

import numpy as np

from ..errors import OptionError
from ..ir import Graph, Node
from .params import RANGE_METHODS, observe_range
from .reference import avg_divisor, pool_windows

MIN_SAMPLES = 8
# Activations that are an exact int8 clamp at an unchanged scale (fuse into linear/conv as
# act_min/max).
CLAMP_ACTS = ("relu", "relu6", "hardtanh")


def preact_name(tensor: str) -> str:
    """Name of the tensor before a fused non-clamp activation (int8 graphs split the two)."""
    return f"{tensor}_preact"


class CalibrationError(OptionError):
    """The calibration data cannot calibrate this model (shape, values or count)."""


def _read_calibration(path: str, where: str) -> Any:
    """A .npy array (no pickles) or a tensor saved with torch.save (weights_only: tensors only)."""
    if not path.endswith((".npy", ".pt", ".pth")):
        raise CalibrationError(f"{where}: use a .npy or .pt file")
    try:
        if path.endswith(".npy"):
            return np.load(path, allow_pickle=False)
        import torch

        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # ValueError (pickled .npy), UnpicklingError, EOFError, OSError, ...
        why = (str(exc).strip().splitlines() or [""])[0][:160]
        raise CalibrationError(
            f"{where} cannot be read as an array ({type(exc).__name__}: {why}); save the inputs "
            "with numpy.save('calibration.npy', x) (a plain array, no pickled objects)"
        ) from None


def load_calibration(value: Any, input_shape: Tuple[int, ...]) -> np.ndarray:
    """Tensor, ndarray or .npy/.pt path -> float32 [N, *input_shape[1:]], checked."""
    where = "calibration"
    if value is None:
        raise CalibrationError(
            "quantize='int8' needs calibration=<representative inputs>: a tensor or array of shape "
            f"[N, {', '.join(map(str, input_shape[1:]))}] (N >= {MIN_SAMPLES}), or a .npy/.pt "
            "file of one"
        )
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        where = f"calibration file {path!r}"
        if not os.path.exists(path):
            raise CalibrationError(f"{where} does not exist")
        value = _read_calibration(path, where)
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        x = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{where} is not a numeric array: {exc}") from exc
    sample = tuple(input_shape[1:])
    if x.shape[1:] != sample:
        if x.ndim == len(input_shape) + 1 and x.shape[1] == 1 and x.shape[2:] == sample:
            x = x.reshape((x.shape[0],) + sample)
        else:
            raise CalibrationError(
                f"{where} has shape {list(x.shape)}; the model's input is {list(input_shape)}, so "
                "give "
                f"[N, {', '.join(map(str, sample))}] (N samples, batch dimension first)"
            )
    if x.shape[0] < MIN_SAMPLES:
        raise CalibrationError(
            f"{where} holds {x.shape[0]} sample(s); give at least {MIN_SAMPLES} representative "
            "inputs "
            "(a few hundred is typical) so the activation ranges are meaningful"
        )
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(x.shape[0], -1).any(axis=1))[0])
        raise CalibrationError(f"{where}: sample {i} contains NaN or Inf; remove or fix it")
    return x


# Float activations by name (the IR `act` tuple: (name, *args)), vectorised over a batch.
def _hardtanh(x, lo=-1.0, hi=1.0):
    return np.clip(x, np.float32(lo), np.float32(hi))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _leaky(x, slope=0.01):
    return np.where(x >= 0, x, x * np.float32(slope))


ACTIVATIONS: Dict[str, Callable[..., np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "hardtanh": _hardtanh,
    "leaky_relu": _leaky,
    "sigmoid": lambda x: (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32),
    "tanh": lambda x: np.tanh(x),
    "hardsigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1).astype(np.float32),
    "hardswish": lambda x: (x * np.clip(x / 6 + 0.5, 0, 1)).astype(np.float32),
    "silu": lambda x: (x / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32),
    "gelu": lambda x: (0.5 * x * (1.0 + _erf(x.astype(np.float64) / np.sqrt(2.0)))).astype(
        np.float32
    ),
    "gelu_tanh": lambda x: (
        0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x.astype(np.float64) ** 3)))
    ).astype(np.float32),
}


# Unary ops with a scalar operand (x + v, x * v, x / v): int8 runs them as lookup tables.
SCALAR_OPS: Dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "add_scalar": lambda x, v: (x + np.float32(v)).astype(np.float32),
    "mul_scalar": lambda x, v: (x * np.float32(v)).astype(np.float32),
    "div_scalar": lambda x, v: (x / np.float32(v)).astype(np.float32),
}


def apply_act(act, x):
    if act is None:
        return x
    fn = ACTIVATIONS.get(act[0])
    if fn is None:
        raise KeyError(act[0])
    return fn(x, *act[1:]).astype(np.float32)


def _pair(v, n=2):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _conv_float(x, w, b, stride, padding, dilation, groups):
    """x [N][C][H][W] float32, torch conv2d semantics (float64 accumulate: ranges only)."""
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), np.float64)
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    out = np.zeros((n, oc, oh, ow), np.float64)
    ocg = oc // groups
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        wg = w[g * ocg : (g + 1) * ocg].astype(np.float64)
        for ky in range(kh):
            for kx in range(kw):
                patch = xs[
                    :,
                    :,
                    ky * dh : ky * dh + sh * (oh - 1) + 1 : sh,
                    kx * dw : kx * dw + sw * (ow - 1) + 1 : sw,
                ]
                out[:, g * ocg : (g + 1) * ocg] += np.einsum(
                    "ncyx,oc->noyx", patch, wg[:, :, ky, kx]
                )
    if b is not None:
        out += np.asarray(b, np.float64)[None, :, None, None]
    return out.astype(np.float32)


def _pool_float(x, a):
    """Float pooling by torch's window rule (the float kernels of op_pool.h): dilation, ceil_mode's
    out_size, count_include_pad and divisor_override."""
    n, c, h, w = x.shape
    kind_max = a["op"] == "max"
    oh, ow = a["out_size"]
    out = np.zeros((n, c, oh, ow), np.float32)
    dil = tuple(a.get("dilation", (1, 1))) if kind_max else (1, 1)
    for oy, ox, ys, xs, pool in pool_windows(
        (h, w), (oh, ow), a["kernel"], a["stride"], a["padding"], dil
    ):
        win = x[:, :, ys][:, :, :, xs]
        if kind_max:
            out[:, :, oy, ox] = win.max(axis=(2, 3)) if win.size else 0.0
        else:
            d = avg_divisor(
                len(ys) * len(xs), pool, a["count_include_pad"], a.get("divisor_override", 0)
            )
            out[:, :, oy, ox] = win.sum(axis=(2, 3), dtype=np.float64) / d if d else 0.0
    return out


def run_float(g: Graph, xs: np.ndarray) -> Dict[str, np.ndarray]:
    """Every tensor of g for a batch of inputs xs [N, ...]: name -> [N, *shape[1:]] float32."""
    n = xs.shape[0]
    env: Dict[str, np.ndarray] = {g.inputs[0]: xs.astype(np.float32)}

    def p(node: Node, role: str):
        prm = g.param(node, role)
        return None if prm is None else prm.data

    for node in g.nodes:
        a = node.attrs
        ins = [env[t] for t in node.inputs]
        out_shape = (n,) + tuple(g.tensor(node.outputs[0]).shape[1:])
        op = node.op
        if op == "linear":
            x = ins[0].reshape(n, -1).astype(np.float64)
            y = x @ p(node, "weight").astype(np.float64).T
            if p(node, "bias") is not None:
                y = y + p(node, "bias")
        elif op in ("conv2d", "conv1d"):
            x = ins[0]
            w = p(node, "weight")
            if op == "conv1d":
                x, w = x[:, :, None, :], w[:, :, None, :]
                st, pd, dl = (
                    (1, _pair(a["stride"], 1)[0]),
                    (0, _pair(a["padding"], 1)[0]),
                    (1, _pair(a.get("dilation", 1), 1)[0]),
                )
            else:
                st, pd, dl = _pair(a["stride"]), _pair(a["padding"]), _pair(a.get("dilation", 1))
            y = _conv_float(
                x.reshape((n,) + x.shape[1:]), w, p(node, "bias"), st, pd, dl, a.get("groups", 1)
            )
        elif op in ("max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d"):
            # The pool lowerings store 1-D pools as 2-D ones of height 1 (attrs in_size, kernel,
            # ...).
            x = ins[0].reshape((n, a["channels"]) + tuple(a["in_size"]))
            y = _pool_float(x, dict(a, op=op[:3]))
        elif op == "global_avg_pool":
            y = ins[0].reshape(n, a["channels"], a["size"]).astype(np.float64).mean(axis=2)
        elif op in ("softmax", "log_softmax"):
            z = ins[0].reshape(n, a["rows"], a["cols"]).astype(np.float64)
            z = z - z.max(axis=2, keepdims=True)
            lse = np.log(np.exp(z).sum(axis=2, keepdims=True))
            y = np.exp(z - lse) if op == "softmax" else z - lse
        elif op == "concat":
            parts = [v.reshape(n, a["outer"], part) for v, part in zip(ins, a["parts"])]
            y = np.concatenate(parts, axis=2)
        elif op == "batchnorm":
            x = ins[0].reshape(n, a["channels"], a["inner"])
            scale = p(node, "scale").reshape(1, -1, 1)
            y = x * scale + p(node, "shift").reshape(1, -1, 1)
        elif op in SCALAR_OPS:
            y = SCALAR_OPS[op](ins[0], a["value"])
        elif op == "add":
            y = ins[0] + ins[1]
        elif op in ("add_channel", "mul_channel"):
            x = ins[0].reshape(n, a["outer"], a["inner"])
            b = ins[1].reshape(n, a["outer"], 1)
            y = x + b if op == "add_channel" else x * b
        elif op == "sub":
            y = ins[0] - ins[1]
        elif op == "mul":
            y = ins[0] * ins[1]
        elif op == "activation":
            y = ins[0]
        elif op in ("copy", "alias"):
            y = ins[0]
        else:
            raise KeyError(op)
        y = np.asarray(y, np.float32).reshape(out_shape)
        act = a.get("act")
        if act is not None and op != "activation" and act[0] not in CLAMP_ACTS:
            # A fused non-clamp activation runs as its own lookup table in int8: keep the range
            # before it.
            env[preact_name(node.outputs[0])] = y
        env[node.outputs[0]] = apply_act(act, y)
    return env


def tensor_ranges(
    g: Graph, xs: np.ndarray, method: str = "minmax", batch: int = 256
) -> Mapping[str, Tuple[float, float]]:
    """Range of every tensor over the calibration set (method: one of RANGE_METHODS)."""
    if method not in RANGE_METHODS:
        raise CalibrationError(
            f"calibration_method={method!r}: use one of {', '.join(RANGE_METHODS)}"
        )
    if method == "minmax":
        lo: Dict[str, float] = {}
        hi: Dict[str, float] = {}
        for i in range(0, xs.shape[0], batch):
            for k, v in run_float(g, xs[i : i + batch]).items():
                lo[k] = min(lo.get(k, np.inf), float(v.min()))
                hi[k] = max(hi.get(k, -np.inf), float(v.max()))
        return {k: (lo[k], hi[k]) for k in lo}
    env = run_float(g, xs)
    return {k: observe_range(v, method) for k, v in env.items()}
