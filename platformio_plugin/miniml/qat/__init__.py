"""Quantisation-aware training (docs/qat.md): prepare_qat(model, calibration) -> QatModel, an
nn.Module whose forward is the int8 model export(quantize="int8") emits (model.py) and whose
backward is a straight-through estimator (surrogate.py). Imports torch."""

from __future__ import annotations

from typing import Any

import torch

from ..capture import capture
from ..errors import OptionError, UnsupportedOpError
from ..int8 import float_tail
from ..input_data import CalibrationError, load_calibration
from ..int8.calibrate import tensor_ranges
from ..passes import run_pipeline
from ..passes.quantize_int8 import check_int8_support
from .model import QatModel
from .surrogate import TORCH_OPS, torch_op

__all__ = ["QatModel", "prepare_qat"]

DEFAULT_MOMENTUM = 0.05
RANGE_MODES = ("tracked", "learned")


def prepare_qat(model: Any, calibration: Any, ranges: str = "tracked",
                momentum: float = DEFAULT_MOMENTUM) -> QatModel:
    """The eval-mode nn.Module (or ExportedProgram) `model` as a QatModel: its float weights after
    MiniML's float passes (BatchNorm folded into the layer before it) as parameters, the activation
    ranges calibrated on `calibration` ([N, *input] tensor, array or .npy/.pt path, as export's
    calibration=) with min/max, then `ranges="tracked"` while training (`momentum`, 0 keeps them
    fixed) or `"learned"` (QatModel.range_parameters())."""
    if ranges not in RANGE_MODES:
        raise OptionError(f"prepare_qat: ranges={ranges!r}; use one of {', '.join(RANGE_MODES)}")
    if not 0.0 <= float(momentum) <= 1.0:
        raise OptionError(f"prepare_qat: momentum={momentum!r}; use a value in [0, 1]")
    if calibration is None:
        raise CalibrationError(
            "prepare_qat needs calibration=<representative inputs> ([N, *input], N >= 8): the "
            "starting activation ranges"
        )
    xs = load_calibration(calibration, None)
    g = run_pipeline(capture(model, torch.from_numpy(xs[:1])))
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise UnsupportedOpError(
            f"prepare_qat takes a model with one float input and one output; this one has "
            f"{len(g.inputs)} input(s) and {len(g.outputs)} output(s): train each head as its own "
            "model, or use post-training int8 (quantize='int8', calibration=)"
        )
    tail = float_tail(g, {})
    check_int8_support(g.with_(nodes=tuple(n for n in g.nodes if n.name not in tail)))
    for n in g.nodes:
        if torch_op(n) is None:
            raise UnsupportedOpError(
                f"node {n.name!r} ({n.op})" + (f" from {n.source}" if n.source else "")
                + f": quantisation-aware training has no gradient rule for {n.op}; it handles "
                f"{', '.join(sorted(TORCH_OPS))} (export the model with post-training int8, "
                "quantize='int8' and calibration=, instead)"
            )
    return QatModel(g, tensor_ranges(g, xs, "minmax"), tail, momentum, ranges == "learned")
