"""The backward pass of QAT: each float IR op written in torch (autograd), a straight-through
estimator that swaps in the exact int8 value, and the activations' derivatives.

Values never come from here: model.py replaces every tensor by its exact value from the integer
references (the int8 graph the exporter emits), so these functions decide only the gradients.
Tensors are batches [N, *shape[1:]] of the IR tensor shapes, as ops.run_graph holds them.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..ir import Node
from ..ops import ACTIVATIONS

TorchOp = Callable[[Node, List[torch.Tensor], Dict[str, torch.Tensor]], torch.Tensor]


class _Exact(torch.autograd.Function):
    """Forward: the exact (integer-reference) value. Backward: the gradient of the float
    approximation, zero where it lies outside the int8 tensor's range [lo, hi] (clipped STE)."""

    @staticmethod
    def forward(ctx: Any, approx: torch.Tensor, exact: torch.Tensor, lo: float, hi: float):
        ctx.save_for_backward((approx >= lo) & (approx <= hi))
        return exact

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None, None


def exact(approx: torch.Tensor, value: np.ndarray, lo: float = -np.inf,
          hi: float = np.inf) -> torch.Tensor:
    """`value` (numpy, shaped like approx) in the forward, approx's gradient inside [lo, hi]."""
    v = torch.from_numpy(np.ascontiguousarray(value, np.float32)).reshape(approx.shape)
    return _Exact.apply(approx, v.to(approx.dtype), float(lo), float(hi))


class _Activation(torch.autograd.Function):
    """An activation from the one table (ops.ACTIVATIONS): its numpy function forward, its central
    difference backward, so every activation int8 runs as a table trains without a torch twin."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, act: Tuple[Any, ...]):
        fn = ACTIVATIONS[act[0]].numpy
        v = x.detach().cpu().numpy().astype(np.float64)
        h = 1e-3 * (1.0 + np.abs(v))
        slope = (np.asarray(fn(v + h, *act[1:]), np.float64)
                 - np.asarray(fn(v - h, *act[1:]), np.float64)) / (2.0 * h)
        ctx.save_for_backward(torch.from_numpy(slope.astype(np.float32)))
        return torch.from_numpy(np.asarray(fn(v, *act[1:]), np.float32)).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        (slope,) = ctx.saved_tensors
        return grad * slope, None


def activation(x: torch.Tensor, act: Tuple[Any, ...]) -> torch.Tensor:
    return _Activation.apply(x, tuple(act))


def _round_ste(v: torch.Tensor) -> torch.Tensor:
    return v + (v.round() - v).detach()


def fake_quant(x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Asymmetric int8 quantise-dequantise of x over [lo, hi] (lo <= 0 <= hi), the parameters
    quant.params.qparams_from_range makes, differentiable in x (straight through inside the range,
    zero outside) and in lo and hi (the step and the clip points, as LSQ learns them)."""
    scale = (hi - lo) / 255.0
    zero_point = _round_ste(-128.0 - lo / scale).clamp(-128, 127)
    q = (_round_ste(x / scale) + zero_point).clamp(-128, 127)
    return ((q - zero_point) * scale).to(x.dtype)


def fake_quant_weight(w: torch.Tensor) -> torch.Tensor:
    """Symmetric per-output-channel int8 weights (quant.params.quantize_weight) with a
    straight-through gradient: the layer's input gradient sees the weights the board holds."""
    amax = w.detach().abs().reshape(len(w), -1).amax(dim=1)
    scale = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax))
    scale = scale.reshape((-1,) + (1,) * (w.dim() - 1))
    return w + ((w / scale).round().clamp(-127, 127) * scale - w).detach()


def _pair(v: Any, lead: int) -> Tuple[int, int]:
    v = tuple(int(d) for d in v)
    return (lead, v[0]) if len(v) == 1 else v  # 1-D layers as height 1


def _linear(n: Node, ins: List[torch.Tensor], p: Dict[str, torch.Tensor]) -> torch.Tensor:
    a = n.attrs
    x = ins[0].reshape(len(ins[0]), int(a.get("rows", 1)), a["in_features"])
    return F.linear(x, fake_quant_weight(p["weight"]), p.get("bias"))


def _conv(n: Node, ins: List[torch.Tensor], p: Dict[str, torch.Tensor]) -> torch.Tensor:
    """conv1d/conv2d as 2-D with torch's geometry, end padding as the output size needs (torch's
    'same' with an even kernel pads one more at the end)."""
    a = n.attrs
    (kh, kw), (sh, sw) = _pair(a["kernel"], 1), _pair(a["stride"], 1)
    (ph, pw), (dh, dw) = _pair(a["padding"], 0), _pair(a["dilation"], 1)
    (h, w), (oh, ow) = _pair(a["in_size"], 1), _pair(a["out_size"], 1)
    x = ins[0].reshape(len(ins[0]), a["in_channels"], h, w)
    need_h, need_w = (oh - 1) * sh + dh * (kh - 1) + 1, (ow - 1) * sw + dw * (kw - 1) + 1
    x = F.pad(x, (pw, max(0, need_w - w - pw), ph, max(0, need_h - h - ph)))
    wt = fake_quant_weight(p["weight"])
    wt = wt.reshape(wt.shape[0], wt.shape[1], kh, kw)
    y = F.conv2d(x, wt, p.get("bias"), (sh, sw), 0, (dh, dw), int(a["groups"]))
    return y[:, :, :oh, :ow]


def _pool(kind: str) -> TorchOp:
    def run(n: Node, ins: List[torch.Tensor], p: Dict[str, torch.Tensor]) -> torch.Tensor:
        a = n.attrs
        (h, w), (oh, ow) = a["in_size"], a["out_size"]
        x = ins[0].reshape(len(ins[0]), a["channels"], h, w)
        # ceil_mode=True never gives fewer windows than the IR's size; extra ones are cut off
        if kind == "max":
            y = F.max_pool2d(x, a["kernel"], a["stride"], a["padding"], a["dilation"],
                             ceil_mode=True)
        else:
            y = F.avg_pool2d(x, a["kernel"], a["stride"], a["padding"], ceil_mode=True,
                             count_include_pad=a["count_include_pad"],
                             divisor_override=a["divisor_override"] or None)
        return y[:, :, :oh, :ow]

    return run


def _global_avg_pool(n: Node, ins: List[torch.Tensor], p: Dict[str, torch.Tensor]):
    a = n.attrs
    return ins[0].reshape(len(ins[0]), a["channels"], a["size"]).mean(dim=2)


def _concat(n: Node, ins: List[torch.Tensor], p: Dict[str, torch.Tensor]) -> torch.Tensor:
    a = n.attrs
    return torch.cat([v.reshape(len(v), a["outer"], k) for v, k in zip(ins, a["parts"])], dim=2)


def _last_dim(fn: Callable[..., torch.Tensor]) -> TorchOp:
    def run(n: Node, ins: List[torch.Tensor], p: Dict[str, torch.Tensor]) -> torch.Tensor:
        return fn(ins[0].reshape(len(ins[0]), n.attrs["rows"], n.attrs["cols"]), dim=2)

    return run


# IR op -> its float meaning in torch, before a fused activation (model.py applies that).
TORCH_OPS: Dict[str, TorchOp] = {
    "linear": _linear,
    "conv1d": _conv,
    "conv2d": _conv,
    "activation": lambda n, ins, p: activation(ins[0], n.attrs["act"]),
    "max_pool1d": _pool("max"),
    "max_pool2d": _pool("max"),
    "avg_pool1d": _pool("avg"),
    "avg_pool2d": _pool("avg"),
    "global_avg_pool": _global_avg_pool,
    "add": lambda n, ins, p: ins[0] + ins[1],
    "sub": lambda n, ins, p: ins[0] - ins[1],
    "copy": lambda n, ins, p: ins[0],
    "concat": _concat,
    "softmax": _last_dim(F.softmax),
    "log_softmax": _last_dim(F.log_softmax),
}


def torch_op(n: Node) -> Optional[TorchOp]:
    return TORCH_OPS.get(n.op)
