"""Flash, RAM and peak stack of every row against a recorded baseline (issue 17: no model may grow
more than 5% for the speed work): the rows over the limit, for a small table in docs/benchmarks.md.
The rule is judged on flash and on the RAM a run needs at its peak (data + bss + stack: what must fit
in the part); the static RAM and the stack alone are listed too, the stack only for information (a
few bytes of a 34 B stack are 20%).

The baseline is main at 207f08d measured with this harness (bench_main.cpp, scripts/counters/):
stack numbers depend on the harness, so a harness change records it again:
  git archive 207f08d | tar -x -C /tmp/b207
  cp scripts/bench/bench_main.cpp /tmp/b207/scripts/bench/
  (cd /tmp/b207 && .venv/bin/python scripts/bench.py --no-tflm --no-pio --no-charts --out out)
  .venv/bin/python scripts/bench.py --save-baseline /tmp/b207/out/results.json
(with /tmp/b207/.venv and .pio-core linked to this tree's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

# One JSON object a line: model, target, precision and the FIELDS; the commit is in the name.
BASELINE = Path(__file__).resolve().parent / "baseline_207f08d.json"
KEY = ("model", "target", "precision")
FIELDS = ("flash_bytes", "ram_bytes", "stack_bytes")
PEAK = "peak_ram_bytes"  # ram_bytes + stack_bytes
JUDGED = ("flash_bytes", "ram_bytes", PEAK)
LIMIT = 1.05

Row = Dict[str, Any]


def commit(path: Path = BASELINE) -> str:
    return path.stem[len("baseline_") :]


def save(res: Dict[str, Any], path: Path = BASELINE) -> None:
    """The baseline file from a bench results.json (its rows and harness rows)."""
    rows = res["rows"] + res.get("harness", [])
    path.write_text("".join(json.dumps({k: r.get(k) for k in KEY + FIELDS}) + "\n" for r in rows))


def load(path: Path = BASELINE) -> List[Row]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _with_peak(r: Row) -> Row:
    ram, stack = r.get("ram_bytes"), r.get("stack_bytes")
    return {**r, PEAK: ram + stack if ram is not None and stack is not None else None}


def over(rows: List[Row], baseline: List[Row], limit: float = LIMIT) -> List[Row]:
    """Each (row, field) above limit x its baseline value, "judged" when the rule counts it; rows
    the baseline lacks are skipped."""
    base = {tuple(b[k] for k in KEY): _with_peak(b) for b in baseline}
    out = []
    for r in map(_with_peak, rows):
        b = base.get(tuple(r[k] for k in KEY), {})
        for f in FIELDS + (PEAK,):
            if r.get(f) is not None and b.get(f) and r[f] > limit * b[f]:
                pct = round(100.0 * (r[f] / b[f] - 1.0), 1)
                out.append({**{k: r[k] for k in KEY}, "field": f, "baseline": b[f],
                            "measured": r[f], "pct": pct, "judged": f in JUDGED})
    return out


def markdown(rows: List[Row], base: str) -> List[str]:
    """The section of docs/benchmarks.md: the rows of over(), or "none"."""
    judged = [r for r in rows if r["judged"]]
    L = ["", "## Flash, RAM and stack vs %s" % base, "",
         "Rows more than %d%% above main at %s in flash, static RAM (data + bss) or peak RAM (static + "
         "stack), measured with the same harness (scripts/bench/growth.py)%s"
         % (round(100 * (LIMIT - 1)), base, ":" if judged else ": none.")]
    L += _table(judged, base)
    stack = [r for r in rows if not r["judged"]]
    if stack:
        L += ["", "The stack alone, for information (its growth is counted in peak RAM):"]
        L += _table(stack, base)
    return L


def _table(rows: List[Row], base: str) -> List[str]:
    if not rows:
        return []
    return ["", "| model | board | precision | | %s | now | growth |" % base,
            "|---|---|---|---|--:|--:|--:|"] + [
        "| %s | %s | %s | %s | %d | %d | %+.1f%% |"
        % (r["model"], r["target"], r["precision"], r["field"][: -len("_bytes")].replace("_", " "),
           r["baseline"], r["measured"], r["pct"]) for r in rows]
