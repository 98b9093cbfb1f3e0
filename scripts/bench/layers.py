"""Per-layer counts: a copy of an exported header whose predict_int8() marks every layer as its own
counter region (miniml_bench_begin/end around the layer's calls), so the bench can show instructions
per MAC layer by layer and the slow layers show themselves."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

# "  // <layer>: <kernel> <- <source>" opens a layer's calls in the generated predict_int8().
_LAYER = re.compile(r"^\s*// (\w+): ")


def instrument(text: str) -> Tuple[str, List[str]]:
    """The header with predict_int8()'s layers wrapped in counter regions, and the layer names in
    region order."""
    lines = text.splitlines()
    start = next(i for i, s in enumerate(lines) if "void predict_int8(" in s)
    # the function's closing brace (its calls sit in blocks of their own, closed deeper)
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == indent + "}")
    body, names = [], []
    for s in lines[start + 1 : end]:
        m = _LAYER.match(s)
        if m:
            if names:
                body.append("    miniml_bench_end();")
            names.append(m.group(1))
            body += [s, "    miniml_bench_begin();"]
        else:
            body.append(s)
    if names:
        body.append("    miniml_bench_end();")
    return "\n".join(lines[: start + 1] + body + lines[end:]) + "\n", names


def rows(names: List[str], counts: List[int], layers) -> List[Dict[str, object]]:
    """One row per measured layer: its op, MACs, counter value and counts per MAC (None without MACs)."""
    by_name = {r.name: r for r in layers}
    out = []
    for name, n in zip(names, counts):
        r = by_name.get(name)
        macs = r.macs if r else 0
        out.append(
            {
                "layer": name,
                "op": r.op if r else "?",
                "output": "x".join(str(d) for d in r.output_shape) if r else "",
                "macs": macs,
                "count": n,
                "per_mac": round(n / macs, 2) if macs else None,
            }
        )
    return out
