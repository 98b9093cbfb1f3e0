"""C++ literals: float32 as "%.9g" + "f" (round-trips exactly), NaN/Inf refused, ints checked."""
from __future__ import annotations

import math
from typing import Iterable, List

import numpy as np

from .errors import ExportValueError


def float_literal(x: float, what: str = "a constant") -> str:
    v = np.float32(x)
    if not math.isfinite(float(v)):
        raise ExportValueError(
            f"{what} contains {float(v)}; NaN/Inf cannot be exported: check the model's weights "
            "(e.g. torch.isfinite(p).all() for every parameter)"
        )
    s = "%.9g" % float(v)
    if "e" not in s and "." not in s:
        s += ".0"
    lit = s + "f"
    back = np.float32(float(s))
    if back.tobytes() != v.tobytes():
        raise ExportValueError(f"float literal {lit} does not round-trip for {what}")
    return lit


def float_array_body(values: Iterable[float], what: str, per_line: int = 8) -> str:
    """Comma-separated literals, `per_line` per line, indented by 4."""
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, np.float32)
    flat = arr.reshape(-1)
    if flat.size and not np.isfinite(flat).all():
        bad = int(np.flatnonzero(~np.isfinite(flat))[0])
        raise ExportValueError(
            f"{what}[{bad}] is {flat[bad]}; NaN/Inf cannot be exported: check the model's weights "
            "(e.g. torch.isfinite(p).all() for every parameter)"
        )
    lits: List[str] = [float_literal(v, what) for v in flat.tolist()]
    lines = [", ".join(lits[i : i + per_line]) for i in range(0, len(lits), per_line)]
    return "    " + ",\n    ".join(lines)


def int_array_body(values: Iterable[int], per_line: int = 16) -> str:
    lits = [str(int(v)) for v in np.asarray(values).reshape(-1).tolist()]
    lines = [", ".join(lits[i : i + per_line]) for i in range(0, len(lits), per_line)]
    return "    " + ",\n    ".join(lines)
