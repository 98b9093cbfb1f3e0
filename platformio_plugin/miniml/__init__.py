"""MiniML: PyTorch models to header-only C++ for microcontrollers.

`import miniml` does not import torch (the PlatformIO hook imports miniml.hook without it); export()
imports torch when called.
"""
from __future__ import annotations

from typing import Any

from .errors import (
    BatchSizeError,
    DynamicShapeError,
    ExportValueError,
    MinimlError,
    MinimlWarning,
    ModelTooLargeError,
    OptionError,
    TrainingModeError,
    UnsupportedOpError,
)
from .report import LayerRow, Report
from .version import VERSION

__version__ = VERSION


def export(model: Any, example_input: Any = None, name: str = "model", out_dir: str = ".",
           **options: Any) -> Report:
    """Exports an eval-mode nn.Module or a torch.export.ExportedProgram to <out_dir>/<name>.h.

    Options (keyword): golden=N embeds N seeded random inputs and PyTorch's outputs; seed=0;
    quantize, calibration, on_device_learning, loss, learning_rate, momentum, trainable (see docs).
    """
    from .api import export as _export

    return _export(model, example_input, name, out_dir, **options)


def load(path: str) -> Any:
    """Loads a .pt2 file (torch.export.save) as an ExportedProgram, with MiniML's error messages."""
    from .capture import load_program

    return load_program(path)


def prepare_qat(model: Any, calibration: Any, ranges: str = "tracked",
                momentum: float = 0.05) -> Any:
    """Quantisation-aware training (docs/qat.md): the eval-mode model as an nn.Module whose forward
    is its int8 export and whose backward is a straight-through estimator; ranges "tracked" (moving
    min/max) or "learned"; train it with any torch optimizer, then export(qat_model, example, name, out_dir, quantize="int8") (no calibration)."""
    from .qat import prepare_qat as _prepare_qat

    return _prepare_qat(model, calibration, ranges, momentum)


def analyze(model: Any, example_input: Any = None, name: str = "model", **options: Any) -> Report:
    """Like export() but writes nothing: the Report (with the header text kept out)."""
    from .api import analyze as _analyze

    return _analyze(model, example_input, name, **options)


__all__ = [
    "BatchSizeError",
    "DynamicShapeError",
    "ExportValueError",
    "LayerRow",
    "MinimlError",
    "MinimlWarning",
    "ModelTooLargeError",
    "OptionError",
    "Report",
    "TrainingModeError",
    "UnsupportedOpError",
    "analyze",
    "export",
    "load",
    "prepare_qat",
]
