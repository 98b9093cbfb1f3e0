"""The sample train_budget measures contributions on: train_sample= (inputs, and optionally their
targets or labels), else the calibration data, else seeded standard normal inputs (the documented
fallback). Bad values and files are refused naming the option and the file."""

from __future__ import annotations

import os
from typing import Any, Optional, Tuple

import numpy as np

from ..errors import OptionError
from ..input_data import float_array, load_calibration

RANDOM_SAMPLES = 32

Sample = Tuple[np.ndarray, Optional[np.ndarray], str]  # inputs, targets or None, where from


def _read(path: str) -> Tuple[Any, Any]:
    where = f"train_sample file {path!r}"
    if not path.endswith((".npy", ".npz")):
        raise OptionError(f"{where}: use a .npy file (inputs) or a .npz with x (and y)")
    if not os.path.isfile(path):
        raise OptionError(f"{where} does not exist")
    try:
        data = np.load(path, allow_pickle=False)
        if path.endswith(".npy"):
            return data, None
        with data:
            keys = list(data.keys())
            if "x" not in keys and len(keys) != 1:
                raise OptionError(f"{where} holds {keys}; name the inputs x (and the targets or "
                                  "labels y): numpy.savez(path, x=inputs, y=targets)")
            return data["x" if "x" in keys else keys[0]], data["y"] if "y" in keys else None
    except OptionError:
        raise
    except Exception as exc:  # ValueError (pickled), BadZipFile, EOFError, OSError, ...
        why = (str(exc).strip().splitlines() or [""])[0][:160]
        raise OptionError(f"{where} cannot be read ({type(exc).__name__}: {why}); save it with "
                          "numpy.save or numpy.savez (plain arrays, no pickled objects)") from None


def _array(value: Any, what: str) -> np.ndarray:
    a = float_array(value, what, OptionError)
    if not np.isfinite(a).all():
        raise OptionError(f"{what} contains NaN or Inf")
    return a


def load_train_sample(value: Any, input_shape: Tuple[int, ...], out_size: int,
                      loss: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """train_sample= (an array or tensor of inputs, an (inputs, targets) pair, or a .npy/.npz path)
    -> inputs [N, *input_shape[1:]] and targets ([N, out_size] for mse, labels [N] for
    cross-entropy) or None."""
    where = "train_sample"
    if isinstance(value, (str, os.PathLike)):
        where = f"train_sample file {os.fspath(value)!r}"
        value = _read(os.fspath(value))
    elif not (isinstance(value, tuple) and len(value) == 2):
        value = (value, None)
    xs = _array(value[0], f"{where} (inputs)")
    sample = tuple(input_shape[1:])
    if xs.shape[1:] != sample or len(xs) == 0:
        raise OptionError(f"{where}: inputs of shape {list(xs.shape)}; the model's input is "
                          f"{list(input_shape)}, so give [N, {', '.join(map(str, sample))}] with "
                          "N >= 1 (batch dimension first)")
    if value[1] is None:
        return xs, None
    ys = _array(value[1], f"{where} (targets)")
    if loss == "mse" and ys.reshape(len(ys), -1).shape != (len(xs), out_size):
        raise OptionError(f"{where}: targets of shape {list(ys.shape)}; give one target of "
                          f"{out_size} values per input: [{len(xs)}, {out_size}]")
    if loss != "mse" and (ys.shape != (len(xs),) or (ys != np.round(ys)).any()
                          or ys.min() < 0 or ys.max() >= out_size):
        raise OptionError(f"{where}: labels of shape {list(ys.shape)}; give one class label "
                          f"0..{out_size - 1} per input: [{len(xs)}]")
    return xs, ys.reshape(len(xs), -1) if loss == "mse" else ys.astype(np.int64)


def budget_sample(ctx: Any, out_size: int, loss: str) -> Sample:
    """The sample the contributions are measured on, and where it came from (for the report)."""
    given = ctx.options.get("train_sample")
    if given is not None:
        xs, ys = load_train_sample(given, ctx.input_shape, out_size, loss)
        return xs, ys, "train_sample"
    if ctx.options.get("calibration") is not None:
        return load_calibration(ctx.options["calibration"], [ctx.input_shape]).reshape(
            (-1,) + tuple(ctx.input_shape[1:])), None, "calibration"
    rng = np.random.default_rng(int(ctx.options.get("seed") or 0) + 2)
    xs = rng.standard_normal((RANDOM_SAMPLES,) + tuple(ctx.input_shape[1:])).astype(np.float32)
    return xs, None, "random"
