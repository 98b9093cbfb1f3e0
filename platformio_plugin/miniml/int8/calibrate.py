"""Calibration: run the float IR graph in numpy on the representative inputs (read and checked by
input_data.py) and record every activation tensor's range.

The graph runs after the float passes (BatchNorm folded, activations fused), so each range is that
of a tensor the int8 graph will really hold; each node runs its op's float `run` (ops/<op>.py), the
semantics of the C++ float kernel (and so torch)."""

from __future__ import annotations

from typing import Dict, Mapping, Tuple

import numpy as np

from ..input_data import CalibrationError
from ..ir import Graph
from ..ops import run_graph
from ..quant.params import RANGE_METHODS, observe_range

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
            for k, v in run_graph(g, xs[i : i + batch]).items():
                lo[k] = min(lo.get(k, np.inf), float(v.min()))
                hi[k] = max(hi.get(k, -np.inf), float(v.max()))
        return {k: (lo[k], hi[k]) for k in lo}
    env = run_graph(g, xs)
    return {k: observe_range(v, method) for k, v in env.items()}
