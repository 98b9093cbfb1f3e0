"""The arena planner per model: arena vs its lower bound (the most bytes alive at one layer) for the
suite's export variants (from their rows) and #11's composite models (test/python/composites.py),
float and int8, which only miniml.analyze() runs (no firmware: seconds); for the variants that
learn, learn()'s gradient buffer (planned the same way) vs its lower bound; and how many seeded
dense random lifetime sets (dense_lifetimes, also test_planner's) the placement leaves over their
bound."""

from __future__ import annotations

import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

REPO = Path(__file__).resolve().parents[2]
# (name, model from the composites module, input shape): mobilenet at 64x64 as the float composite
# test exports it
COMPOSITES = (
    ("mobilenet_v3_small", lambda c: c.MobileNetV3Small(num_classes=10), (1, 3, 64, 64)),
    ("conv_autoencoder", lambda c: c.ConvAutoencoder(), (1, 1, 16, 16)),
    ("transformer_block", lambda c: c.TransformerBlock(), (1, 8, 16)),
)


# the dense sets counted: 100 per seed (the full run only, about 13 s)
DENSE_SEEDS = range(15)


def dense_lifetimes(rng: random.Random, n: int) -> List[Tuple[int, int, int]]:
    """Lifetimes (size B, first node, last node) of n - 1 tensors of a chain where two in three
    are read again up to eight nodes later (skips, branches): dense enough that the greedy orders
    often miss the bound."""
    items = []
    for i in range(n - 1):
        end = min(n - 1, i + rng.randint(2, 8)) if rng.random() < 0.66 else i + 1
        items.append((4 * rng.randint(1, 64), i, end))
    return items


def dense_sets(log) -> Dict[str, Any]:
    """place() on 100 dense sets of 20-60 nodes per seed: how many it leaves over the bound, the
    mean gap over all sets and the slowest placement (JSON only: it depends on the machine's
    load)."""
    sys.path.insert(0, str(REPO / "platformio_plugin"))
    from miniml.plan import placement

    over: List[float] = []
    slowest = 0.0
    for seed in DENSE_SEEDS:
        rng = random.Random(seed)
        for _ in range(100):
            items = dense_lifetimes(rng, rng.randint(20, 60))
            bound = placement.lower_bound(items)
            start = time.perf_counter()
            arena = placement.place(items, bound)[0]
            slowest = max(slowest, time.perf_counter() - start)
            if arena > bound:
                over.append(_gap_pct(arena, bound))
    sets = 100 * len(DENSE_SEEDS)
    row = {"sets": sets, "seeds": f"0-{DENSE_SEEDS[-1]}", "over": len(over),
           "mean_gap_pct": round(sum(over) / sets, 3), "slowest_s": round(slowest, 2)}
    log("dense random sets: %s" % row)
    return row


def _gap_pct(planned: int, bound: int) -> float:
    return round(100.0 * (planned - bound) / bound, 2) if bound else 0.0


def _row(model: str, precision: str, arena: int, bound: int,
         suite_row: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    row = {"model": model, "precision": precision, "arena_bytes": arena,
           "arena_lower_bound": bound, "gap_pct": _gap_pct(arena, bound)}
    if suite_row and suite_row.get("gradient_bytes") is not None:
        row.update(gradient_bytes=suite_row["gradient_bytes"],
                   gradient_lower_bound=suite_row["gradient_lower_bound"])
    return row


def _composites(log) -> List[Dict[str, Any]]:
    import torch

    import miniml

    sys.path.insert(0, str(REPO / "test" / "python"))
    import composites

    rows = []
    rng = np.random.default_rng(0)
    for i, (name, make, shape) in enumerate(COMPOSITES):
        model = composites.prepare_scaled(make(composites), i)
        x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
        cal = torch.from_numpy(rng.standard_normal((16,) + shape[1:]).astype(np.float32))
        for precision, opts in (("float", {}), ("int8", {"quantize": "int8", "calibration": cal})):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # range warnings on seeded noise: beside the point
                report = miniml.analyze(model, x, **opts)
            rows.append(_row(name, precision, report.arena_bytes, report.arena_lower_bound))
            log("arena %s %s: %s" % (name, precision, rows[-1]))
    return rows


def run(suite_rows: List[Dict[str, Any]], with_composites: bool, log) -> List[Dict[str, Any]]:
    """One row per export variant of the suite (its rows repeat it per board), then the
    composites."""
    rows: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for r in suite_rows:
        if r.get("arena_bytes") is not None:
            rows.setdefault((r["model"], r["precision"]), _row(
                r["model"], r["precision"], r["arena_bytes"], r["arena_lower_bound"], r))
    return list(rows.values()) + (_composites(log) if with_composites else [])


def markdown(rows: List[Dict[str, Any]], dense: Optional[Dict[str, Any]] = None) -> List[str]:
    if not rows:
        return []
    over = [r for r in rows if r["arena_bytes"] > r["arena_lower_bound"]]
    L = [
        "",
        "## Arena vs its lower bound",
        "",
        "The exporter's activation arena beside its lower bound (the most bytes alive at one layer: "
        "no plan of these lifetimes is smaller), per export variant of the suite and for #11's "
        "composite models (test/python/composites.py, mobilenet_v3_small at 64x64, analyzed "
        "only). At the bound: %d of %d."
        % (len(rows) - len(over), len(rows)),
        "",
        "| model | precision | arena B | bound B | gap % |",
        "|---|---|--:|--:|--:|",
    ]
    for r in rows:
        L.append("| %s | %s | %d | %d | %.2f |" % (
            r["model"], r["precision"], r["arena_bytes"], r["arena_lower_bound"], r["gap_pct"]))
    if dense:
        L += ["", "Seeded dense random lifetime sets (dense_lifetimes of scripts/bench/arena_gaps.py, "
              "as test/python/plan/test_planner.py uses them; seeds %s, %d sets of 20-60 nodes): %d "
              "over their bound, mean gap %.3f%% over all sets."
              % (dense["seeds"], dense["sets"], dense["over"], dense["mean_gap_pct"])]
    return L + _gradients_markdown([r for r in rows if "gradient_bytes" in r])


def _gradients_markdown(rows: List[Dict[str, Any]]) -> List[str]:
    if not rows:
        return []
    L = [
        "",
        "learn()'s gradient buffer (gradients of activations and of conv parameters; the loss "
        "gradient and the Linear layers' outer products are not in it), planned by the arena's "
        "planner, beside its lower bound (the most bytes alive at one backward step):",
        "",
        "| model | precision | gradients B | bound B | gap % |",
        "|---|---|--:|--:|--:|",
    ]
    for r in rows:
        planned, bound = r["gradient_bytes"], r["gradient_lower_bound"]
        L.append("| %s | %s | %d | %d | %.2f |" % (
            r["model"], r["precision"], planned, bound, _gap_pct(planned, bound)))
    return L
