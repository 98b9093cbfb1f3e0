"""The numpy interpreter of an IR graph (float or int8): each node runs its KernelSpec.run. On a
float graph it is what calibration observes (the float C++'s semantics); on an int8 graph it is the
integer reference the generated predict() must equal to the bit."""
from __future__ import annotations

from typing import Dict, Mapping, Sequence

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import DType, Graph
from ._int8_common import apply_act, preact_name
from .registry import KERNELS


def _sample_shape(shape) -> tuple:
    """One sample's shape: without the batch dimension, which is not always first (h_n is
    [layers, 1, hidden])."""
    return tuple(shape[1:]) if shape[0] == 1 else tuple(shape)


def run_graph(g: Graph, xs: np.ndarray) -> Dict[str, np.ndarray]:
    """Every tensor of g for a batch of float inputs xs [N, ...] (several inputs: packed back to
    back, [N, total]): name -> [N, *shape[1:]] (float32 or int8 as the tensor). A fused
    activation's input is kept as preact_name(output)."""
    n = xs.shape[0]
    flat, pos = np.asarray(xs, np.float32).reshape(n, -1), 0
    env: Dict[str, np.ndarray] = {}
    for x in g.inputs:
        shape = tuple(g.tensor(x).shape[1:])
        size = int(np.prod(shape, dtype=np.int64))
        env[x] = flat[:, pos:pos + size].reshape((n,) + shape)
        pos += size
    for node in g.nodes:
        spec = KERNELS[node.op]
        if spec.run is None:
            raise UnsupportedOpError(
                f"node {node.name!r} ({node.op}) has no numpy meaning (KernelSpec.run), so it "
                "cannot be calibrated or interpreted"
            )
        params = {role: g.params[p].data for role, p in node.params.items()}
        y = spec.run(node, [env[t] for t in node.inputs], params)
        if isinstance(y, tuple):  # several outputs (a recurrent layer's sequence and state): in order
            for name, v in zip(node.outputs[1:], y[1:]):
                spec_t = g.tensor(name)
                v = np.asarray(v).reshape((n,) + _sample_shape(spec_t.shape))
                env[name] = v.astype(np.float32 if spec_t.dtype is DType.F32 else np.int8)
            y = y[0]
        out = g.tensor(node.outputs[0])
        y = np.asarray(y).reshape((n,) + _sample_shape(out.shape))
        y = y.astype(np.float32 if out.dtype is DType.F32 else np.int8)
        act = node.attrs.get("act")
        if spec.fuses_activation and act is not None:
            env[preact_name(out.name)] = y
            y = apply_act(act, y)
        env[out.name] = y
    return env


def inplace_pairs(g: Graph) -> Mapping[str, Sequence[str]]:
    """For the planner: output tensor -> the inputs whose buffer its kernel may overwrite."""
    pairs = {}
    for node in g.nodes:
        spec = KERNELS[node.op]
        if spec.inplace and node.outputs:
            pairs[node.outputs[0]] = [node.inputs[k] for k in spec.inplace_inputs
                                      if k < len(node.inputs)]
    return pairs
