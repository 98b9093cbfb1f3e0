"""Every error the exporter raises on purpose; each message names the thing, where it is and the fix."""
from __future__ import annotations


class MinimlError(Exception):
    """Base class of all MiniML errors."""


class UnsupportedOpError(MinimlError):
    """An op (or an op configuration) outside the supported set."""


class TrainingModeError(MinimlError):
    """A module is still in training mode (call model.eval() before exporting)."""


class DynamicShapeError(MinimlError):
    """A program with symbolic (dynamic) shapes; MiniML needs every shape fixed at export."""


class BatchSizeError(MinimlError):
    """The example input has a batch size other than 1."""


class OptionError(MinimlError):
    """A bad export option or name."""


class ModelTooLargeError(MinimlError):
    """A tensor or the arena does not fit the target's index type or memory."""


class ExportValueError(MinimlError):
    """A constant cannot be emitted (NaN or Inf in a weight)."""


class GraphError(MinimlError):
    """An IR invariant was broken (a bug in a pass or a lowering, not in the user's model)."""


class MinimlWarning(UserWarning):
    """A model that exports but may work poorly (e.g. an int8 range dominated by outliers); the
    Report lists these in `warnings`."""
