"""Representative inputs read and checked: a tensor, an array or a .npy/.pt file (never a pickle)
as float32 [N, *input_shape[1:]]. The int8 stage calibrates on them and the training stage measures
train_budget's contribution on them, so they live below both."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .errors import OptionError

MIN_SAMPLES = 8


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


def load_calibration(
    value: Any, input_shapes: Optional[Sequence[Tuple[int, ...]]]
) -> np.ndarray:
    """Tensor, ndarray or .npy/.pt path -> float32 [N, *input_shape[1:]], checked. A model with
    several inputs takes one array per input (a tuple or list, or a .pt file of one), or the
    inputs packed back to back [N, total]; returns them packed [N, total] (ops.run_graph's form).
    input_shapes None: one input of the data's own sample shape (a model not captured yet)."""
    if input_shapes is None or len(input_shapes) == 1:
        return _load_one(value, None if input_shapes is None else input_shapes[0])
    if isinstance(value, (str, os.PathLike)) and os.path.exists(value):
        value = _read_calibration(os.fspath(value), f"calibration file {os.fspath(value)!r}")
    sizes = [int(np.prod(s[1:], dtype=np.int64)) for s in input_shapes]
    if isinstance(value, (tuple, list)) and len(value) == len(input_shapes):
        parts = [_load_one(v, s, f"calibration[{i}]").reshape(len(v), -1)
                 for i, (v, s) in enumerate(zip(value, input_shapes))]
        if len({len(p) for p in parts}) > 1:
            raise CalibrationError(
                f"calibration: the inputs have {[len(p) for p in parts]} samples; give the same "
                "number N for every input"
            )
        return np.concatenate(parts, axis=1)
    shapes = ", ".join(f"[N, {', '.join(map(str, s[1:]))}]" for s in input_shapes)
    if hasattr(value, "shape") and len(value.shape) == 2 and value.shape[1] == sum(sizes):
        return _load_one(value, (1, sum(sizes)))
    raise CalibrationError(
        f"calibration: this model has {len(input_shapes)} inputs; give one array per input, "
        f"a tuple ({shapes}), or all of them packed back to back [N, {sum(sizes)}]"
    )


def float_array(value: Any, where: str, error: type = CalibrationError) -> np.ndarray:
    """A tensor or array-like as float32; anything else is refused with `error` naming `where`."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise error(f"{where} is not a numeric array: {exc}") from None


def _load_one(
    value: Any, input_shape: Optional[Tuple[int, ...]], where: str = "calibration"
) -> np.ndarray:
    if value is None:
        shape = "N, ..." if input_shape is None else f"N, {', '.join(map(str, input_shape[1:]))}"
        raise CalibrationError(
            "quantize='int8' needs calibration=<representative inputs>: a tensor or array of shape "
            f"[{shape}] (N >= {MIN_SAMPLES}), or a .npy/.pt file of one"
        )
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        where = f"calibration file {path!r}"
        if not os.path.exists(path):
            raise CalibrationError(f"{where} does not exist")
        value = _read_calibration(path, where)
    x = float_array(value, where)
    if input_shape is None and x.ndim < 2:
        raise CalibrationError(f"{where} has shape {list(x.shape)}; give [N, ...] (batch first)")
    sample = tuple(x.shape[1:]) if input_shape is None else tuple(input_shape[1:])
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
