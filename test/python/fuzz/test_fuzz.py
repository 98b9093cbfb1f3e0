"""Seeded fuzzing: random float and int8 models (random_models.py) and mutated .pt2 archives
(hostile_pt2.py). CI runs a few dozen cases; `make fuzz` sets MINIML_FUZZ_MODELS /
MINIML_FUZZ_ARCHIVES to the full size (>= 500 of each kind of model, 600 archives) and writes
build/fuzz/summary.txt.
"""

from __future__ import annotations

import os

import miniml
import pytest
import torch
import torch.nn as nn
from harness import BUILD
from hostile_pt2 import mutate
from random_models import FuzzResult, run_fuzz, summary_lines

MODELS = int(os.environ.get("MINIML_FUZZ_MODELS", "12"))
ARCHIVES = int(os.environ.get("MINIML_FUZZ_ARCHIVES", "40"))
SUMMARY = os.path.join(BUILD, "fuzz", "summary.txt")


def _record(label: str, result: FuzzResult) -> None:
    os.makedirs(os.path.dirname(SUMMARY), exist_ok=True)
    with open(SUMMARY, "a") as f:
        f.write("\n".join(summary_lines({label: result})) + "\n")


@pytest.mark.parametrize("int8", [False, True], ids=["float", "int8"])
def test_fuzz_random_models(int8):
    label = f"{'int8' if int8 else 'float'} models (seeds 0..{MODELS - 1})"
    result = run_fuzz(range(MODELS), int8)
    _record(label, result)
    c = result.counts
    assert c["crash"] == c["mismatch"] == c["sanitizer"] == 0, "\n".join(result.problems[:5])
    assert c["ok"] >= MODELS // 2, c  # most random models export: the fuzzer reaches the kernels


def test_fuzz_mutated_archives(tmp_path):
    torch.manual_seed(0)
    good = str(tmp_path / "good.pt2")
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 4)).eval()
    torch.export.save(torch.export.export(model, (torch.randn(1, 2, 8),)), good)
    result = FuzzResult()
    for seed in range(ARCHIVES):
        path, what = mutate(good, str(tmp_path / "m.pt2"), seed)
        try:
            miniml.analyze(miniml.load(path), None, "m")
            result.add("ok")  # a harmless mutation (a timestamp, the sample inputs, metadata)
        except miniml.MinimlError:
            result.add("refused")
        except Exception as exc:
            result.add("crash", f"seed {seed} ({what}): {type(exc).__name__}: {exc}")
    _record(f"mutated archives (seeds 0..{ARCHIVES - 1})", result)
    assert result.counts["crash"] == 0, "\n".join(result.problems[:5])
