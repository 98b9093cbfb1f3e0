"""The ops, one file per op: lowering, float kernel, int8 rule, int8 kernel and integer reference,
registered in registry.py's tables; importing this package imports them all."""
from __future__ import annotations

import importlib
import pkgutil

from ._conv_common import conv_geometry
from ._int8_common import is_clamp, preact_name
from ._run import inplace_pairs, run_graph
from .registry import ACTIVATIONS, BACKWARDS, INT8_RULES, KERNELS, LOWERINGS, supported_targets

_loaded = False


def load_all() -> None:
    """Imports every op module once (each registers itself with decorators)."""
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "registry":
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def op_table() -> str:
    """Markdown table of the supported ops, generated from the registry (README's op table)."""
    import sys

    rows = {}
    for target, fn in sorted(LOWERINGS.items()):
        mod = sys.modules[fn.__module__]
        doc = " ".join((mod.__doc__ or "").strip().split("\n\n")[0].split())
        name = fn.__module__.rsplit(".", 1)[-1]
        rows.setdefault(name, (doc, []))[1].append(f"`{target}`")
    lines = ["| op file | what | aten targets |", "|---|---|---|"]
    for name, (doc, targets) in sorted(rows.items()):
        lines.append(f"| `ops/{name}.py` | {doc} | {', '.join(targets)} |")
    return "\n".join(lines)


load_all()

__all__ = [
    "ACTIVATIONS",
    "BACKWARDS",
    "conv_geometry",
    "INT8_RULES",
    "KERNELS",
    "LOWERINGS",
    "inplace_pairs",
    "is_clamp",
    "load_all",
    "op_table",
    "preact_name",
    "run_graph",
    "supported_targets",
]
