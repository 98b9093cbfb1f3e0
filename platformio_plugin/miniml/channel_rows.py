"""Output-channel subsets of a weight (sparse channel update, as MIT's tiny-training): the names
trainable= and report.trainable_params use for them.

`features.3.weight[0,5,7]` learns output channels 0, 5 and 7 of that weight (rows of a Linear);
`features.3.weight[0:4,9]` channels 0 to 3 and 9 (Python slice ends). A weight's output channel is
its first dimension, so each chosen channel is one contiguous row of the weight.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from .errors import OptionError

Rows = Optional[Tuple[int, ...]]  # None: the whole tensor

_NAME = re.compile(r"([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)(?:\[([0-9:, ]*)\])?")


def split_names(text: str) -> List[str]:
    """"a.weight[0,2],b.bias" -> ["a.weight[0,2]", "b.bias"]: commas inside brackets stay."""
    return [p.strip() for p in re.split(r",(?![^\[]*\])", text) if p.strip()]


def is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None


def parse(spec: str) -> Tuple[str, Rows]:
    """"3.weight[0,5:7]" -> ("3.weight", (0, 5, 6)); "3.weight" -> ("3.weight", None)."""
    m = _NAME.fullmatch(spec.strip())
    if m is None:
        raise OptionError(f"trainable: {spec!r} is not a parameter name (e.g. features.3.weight, "
                          "or features.3.weight[0,5:8] for output channels 0, 5, 6 and 7)")
    if m.group(2) is None:
        return m.group(1), None
    rows: List[int] = []
    for item in (i.strip() for i in m.group(2).split(",")):
        bounds = item.split(":")
        if not item or len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            raise OptionError(f"trainable: {spec!r}: {item!r} is not a channel index or a range "
                              "a:b (channels a to b-1)")
        lo, hi = int(bounds[0]), int(bounds[-1]) + (len(bounds) == 1)
        if hi <= lo:
            raise OptionError(f"trainable: {spec!r}: the range {item!r} is empty")
        rows += range(lo, hi)
    return m.group(1), tuple(sorted(set(rows)))


def check(spec: str, name: str, rows: Rows, channels: int) -> Rows:
    """The rows of a weight with `channels` output channels; None when they are all of them."""
    if rows is None:
        return None
    if rows[-1] >= channels:
        raise OptionError(f"trainable: {spec!r}: {name!r} has {channels} output channels "
                          f"(0 to {channels - 1})")
    return None if len(rows) == channels else rows


def runs(rows: Sequence[int]) -> List[Tuple[int, int]]:
    """Consecutive rows as (first, count) runs: (0, 1, 2, 5) -> [(0, 3), (5, 1)]."""
    out: List[Tuple[int, int]] = []
    for r in rows:
        if out and out[-1][0] + out[-1][1] == r:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((r, 1))
    return out


def display(name: str, rows: Rows) -> str:
    """The name as trainable= takes it: runs of three or more as a:b."""
    if rows is None:
        return name
    items = []
    for first, count in runs(rows):
        if count >= 3:
            items.append(f"{first}:{first + count}")
        else:
            items += [str(r) for r in range(first, first + count)]
    return f"{name}[{','.join(items)}]"
