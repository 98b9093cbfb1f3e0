"""QatModel: a float IR graph as a trainable nn.Module whose forward is the int8 model the exporter
emits, computed by the same code, and whose backward is a straight-through estimator.

forward(x): the float weights (nn.Parameters, after the float passes: BatchNorm folded, activations
fused) and the activation ranges (a buffer) go through passes/quantize_int8.py, exactly as
export(quantize="int8") does with calibrated ranges; ops.run_graph runs the integer references of
that int8 graph (what the header's predict() equals to the bit) and every tensor of the float
graph takes its dequantised int8 value. Gradients flow through the float ops in torch
(surrogate.py) evaluated on those exact inputs, with fake-quantised weights and zero gradient where
a value falls outside its int8 range.

Ranges start from the calibration (min/max, widened to include 0) and are either tracked: in
train() mode each forward moves every tensor's [min, max] towards the batch's by `momentum` (an
exponential moving average), or learned: each end is the calibrated one times exp(p), p an
nn.Parameter (range_parameters()) trained through the fake quantiser's step and clip points (LSQ's
gradient). Either way eval() fixes them and export uses them as they are.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np
import torch
import torch.nn as nn

from ..errors import BatchSizeError, MinimlWarning, TrainingModeError
from ..ir import DType, Graph
from ..ops import KERNELS, is_clamp, preact_name, run_graph
from ..passes.quantize_int8 import quantize_int8
from ..quant.params import QMAX, QMIN, dequantize_s8
from .surrogate import activation, exact, fake_quant, torch_op


def _key(param: str) -> str:
    """A parameter's name as an nn.ParameterDict key (no dots)."""
    return param.replace(".", "__")


class QatModel(nn.Module):
    """Made by miniml.prepare_qat; train it with any torch optimizer, export it with
    miniml.export(qat_model, example, name, out_dir, quantize="int8")."""

    def __init__(self, graph: Graph, ranges: Mapping[str, Tuple[float, float]],
                 tail: Tuple[str, ...], momentum: float, learn_ranges: bool):
        super().__init__()
        self._graph = graph
        self._tail = tuple(tail)
        self.momentum = float(momentum)
        trainable = [p for p in graph.params.values() if p.dtype is DType.F32]
        self.weights = nn.ParameterDict(
            {_key(p.name): nn.Parameter(torch.from_numpy(np.array(p.data, np.float32)))
             for p in trainable}
        )
        self._tensors = tuple(sorted(ranges))
        widened = [(min(ranges[t][0], 0.0), max(ranges[t][1], 0.0)) for t in self._tensors]
        self.register_buffer("ranges", torch.tensor(widened, dtype=torch.float64))
        self.range_log = (nn.Parameter(torch.zeros(len(widened), 2, dtype=torch.float64))
                          if learn_ranges else None)

    def weight_parameters(self) -> List[nn.Parameter]:
        return list(self.weights.parameters())

    def range_parameters(self) -> List[nn.Parameter]:
        """The learned ranges' log scales (none when ranges are tracked): give them their own,
        larger learning rate (docs/qat.md)."""
        return [] if self.range_log is None else [self.range_log]

    def _range_values(self) -> torch.Tensor:
        """[T, 2] current ranges; differentiable when learned."""
        if self.range_log is None:
            return self.ranges
        return self.ranges * torch.exp(self.range_log)

    @property
    def input_shape(self) -> Tuple[int, ...]:
        return tuple(self._graph.tensor(self._graph.inputs[0]).shape)

    def quant_ranges(self) -> Dict[str, Tuple[float, float]]:
        """Every tensor's [min, max] as the int8 parameters are made from (float IR names)."""
        r = self._range_values().detach().cpu().numpy()
        return {t: (float(lo), float(hi)) for t, (lo, hi) in zip(self._tensors, r)}

    def float_graph(self) -> Graph:
        """The float IR graph with the current weights."""
        params = {
            name: replace(p, data=self.weights[_key(name)].detach().cpu().numpy().astype(np.float32))
            if _key(name) in self.weights else p
            for name, p in self._graph.params.items()
        }
        return self._graph.with_(params=params)

    def int8_graph(self) -> Graph:
        """The int8 graph of the current weights and ranges: what export emits."""
        g = self.float_graph()
        meta = {**g.meta, "quant_ranges": self.quant_ranges(), "float_tail": self._tail}
        with warnings.catch_warnings():  # export reports them; every training step would repeat them
            warnings.simplefilter("ignore", MinimlWarning)
            return quantize_int8(g.with_(meta=meta))

    def export_graph(self, example_input: Any = None) -> Graph:
        """The float graph for miniml.export (checks the mode and the example's shape)."""
        if self.training:
            raise TrainingModeError(
                "the QAT model is in training mode; call qat_model.eval() before exporting "
                "(its ranges stop moving then)"
            )
        if example_input is not None and tuple(example_input.shape) != self.input_shape:
            raise BatchSizeError(
                f"example input of shape {list(example_input.shape)}; this QAT model takes "
                f"{list(self.input_shape)}"
            )
        return self.float_graph()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self._graph
        sample = self.input_shape[1:]
        if tuple(x.shape[1:]) != sample:
            raise BatchSizeError(
                f"QAT model input of shape {list(x.shape)}; give [N, {', '.join(map(str, sample))}]"
            )
        gq = self.int8_graph()
        env = run_graph(gq, x.detach().cpu().numpy().astype(np.float32))
        n = len(x)

        index = {t: i for i, t in enumerate(self._tensors)}
        ranges = self._range_values()

        def int8_value(approx: torch.Tensor, t: str, t8: str) -> torch.Tensor:
            """The int8 tensor t8 (of float tensor t) dequantised, approx's gradient."""
            spec = gq.tensor(t8)
            value = dequantize_s8(env[t8], spec.scale, spec.zero_point)
            lo, hi = ranges[index[t]]
            if self.range_log is not None and float((hi - lo).detach()) > 1e-12:  # else scale 1
                return exact(fake_quant(approx, lo, hi), value)
            lo, hi = (float(dequantize_s8(v, spec.scale, spec.zero_point)) for v in (QMIN, QMAX))
            return exact(approx, value, lo, hi)

        x_in = g.inputs[0]
        vals = {x_in: int8_value(x.float(), x_in, gq.meta["int8_edges"]["input"])}
        seen = {x_in: x.detach()}
        for node in g.nodes:
            params = {role: self.weights[_key(p)] for role, p in node.params.items()}
            out = node.outputs[0]
            shape = (n,) + tuple(g.tensor(out).shape[1:])
            y = torch_op(node)(node, [vals[t] for t in node.inputs], params).reshape(shape)
            if node.name in self._tail:  # float after the dequantize, as in the header
                vals[out] = exact(y, env[out])
                continue
            act = node.attrs.get("act") if KERNELS[node.op].fuses_activation else None
            if act is not None:
                if not is_clamp(act):  # int8 holds the pre-activation, then the table
                    seen[preact_name(out)] = y.detach()
                    y = int8_value(y, preact_name(out), preact_name(out))
                y = activation(y, act)
            seen[out] = y.detach()
            is_s8 = out in env and env[out].dtype == np.int8  # else a boundary, int8 as out_q
            vals[out] = int8_value(y, out, out if is_s8 else f"{out}_q")
        if self.training and self.momentum > 0 and self.range_log is None:
            self._track(seen)
        return vals[g.outputs[0]]

    @torch.no_grad()
    def _track(self, seen: Mapping[str, torch.Tensor]) -> None:
        for i, t in enumerate(self._tensors):
            if t in seen:
                v = seen[t]
                batch = torch.stack([v.min(), v.max()]).to(torch.float64)
                self.ranges[i] += self.momentum * (batch - self.ranges[i])
