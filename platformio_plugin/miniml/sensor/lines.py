"""One serial line -> one row of numbers, or None: the text format that include/miniml/stream.h prints.

A row is numbers separated by commas (spaces around them allowed) or by spaces/tabs; a line with
anything else (a boot message, a cut-off number, nan/inf, an empty field) is not a row."""
from __future__ import annotations

import re
from typing import List, Optional

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


def parse_row(line: str) -> Optional[List[str]]:
    """The number fields of `line` as written, or None when it is not a row of finite decimal numbers."""
    text = line.strip()
    if not text:
        return None
    fields = [f.strip() for f in text.split(",")] if "," in text else text.split()
    if not all(_NUMBER.match(f) for f in fields):
        return None
    # a number too large for a double reads as inf: not a sample
    return fields if all(abs(float(f)) != float("inf") for f in fields) else None
