"""Seeded random models over the float and int8 op sets, and a runner that exports them in batches,
builds one sanitized host driver per batch (ASan, UBSan with float-cast-overflow, -Werror) and
compares every output: float predict() with torch (1e-5 relative), int8 predict() and
predict_int8() with the integer reference (0 LSB). Inputs include NaN and +-Inf rows for int8 (a
defined result, no UB).

Outcomes per model: "ok", "refused" (a MinimlError: a configuration MiniML declines, with a
message), "crash" (any other exception while exporting), "mismatch"; per batch: "sanitizer" (the
driver aborted). Used by test_fuzz.py at CI size and by `make fuzz` at full size.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import miniml
import numpy as np
import torch
import torch.nn as nn
from harness import BUILD, HOST_FLAGS, INCLUDE, compile_cpp, max_rel_error
from miniml.api import build_header, int8_graph
from miniml.int8 import predict as int8_predict
from miniml.int8 import run_int8

ACTS = [
    nn.ReLU,
    nn.ReLU6,
    nn.Tanh,
    nn.Sigmoid,
    lambda: nn.LeakyReLU(0.1),
    nn.Hardtanh,
    nn.SiLU,
    nn.GELU,
    nn.Hardswish,
    nn.Hardsigmoid,
]
N_INPUTS = 3


class Residual(nn.Module):
    """x + act(conv(x)), the conv keeping the shape: exercises add."""

    def __init__(self, conv: nn.Module, act: nn.Module) -> None:
        super().__init__()
        self.conv, self.act = conv, act

    def forward(self, x):
        return x + self.act(self.conv(x))


def _act(rng: random.Random) -> List[nn.Module]:
    return [rng.choice(ACTS)()] if rng.random() < 0.8 else []


def _conv_stack(
    rng: random.Random, dims: int, c: int, size: List[int]
) -> Tuple[list, int, List[int]]:
    conv = nn.Conv1d if dims == 1 else nn.Conv2d
    bn = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    pools = [nn.MaxPool1d, nn.AvgPool1d] if dims == 1 else [nn.MaxPool2d, nn.AvgPool2d]
    layers: list = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.25:
            k = rng.choice([1, 3])
            layers.append(Residual(conv(c, c, k, padding=k // 2), rng.choice(ACTS)()))
            continue
        k, s = rng.randint(1, 4), rng.randint(1, 2)
        p = rng.randint(0, k // 2)
        out = [(n + 2 * p - k) // s + 1 for n in size]
        if min(out) < 1:
            continue
        c2 = rng.randint(1, 6)
        layers.append(conv(c, c2, k, stride=s, padding=p))
        if rng.random() < 0.3:
            layers.append(bn(c2))
        layers += _act(rng)
        c, size = c2, out
        if min(size) >= 2 and rng.random() < 0.3:
            layers.append(rng.choice(pools)(2))
            size = [n // 2 for n in size]
    return layers, c, size


def random_model(seed: int) -> Tuple[nn.Module, Tuple[int, ...], str]:
    """A random eval-mode model, its input shape and a short description."""
    rng = random.Random(seed)
    kind = rng.choice(["vector", "signal", "image"])
    layers: list = []
    if kind == "vector":
        shape: Tuple[int, ...] = (1, rng.randint(2, 12))
        features = shape[1]
    else:
        dims = 1 if kind == "signal" else 2
        c = rng.randint(1, 4)
        size = [rng.randint(6, 24)] if dims == 1 else [rng.randint(4, 10), rng.randint(4, 10)]
        shape = (1, c, *size)
        conv_layers, c, size = _conv_stack(rng, dims, c, size)
        layers += conv_layers
        if rng.random() < 0.4:
            layers += [
                nn.AdaptiveAvgPool1d(1) if dims == 1 else nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            ]
            features = c
        else:
            layers.append(nn.Flatten())
            features = c * int(np.prod(size))
    for _ in range(rng.randint(1, 3)):
        out = rng.randint(2, 12)
        layers.append(nn.Linear(features, out))
        layers += _act(rng)
        features = out
    torch.manual_seed(seed)
    model = _random_batchnorm(nn.Sequential(*layers), seed)  # torch's default init elsewhere
    return model, shape, f"{kind}: " + ", ".join(type(m).__name__ for m in layers)


def _random_batchnorm(model: nn.Module, seed: int) -> nn.Module:
    """torch's own initialisation keeps activations O(1), as in a trained model; uniform [-1, 1]
    weights grow them ~sqrt(fan_in) per layer until float32 rounding of the large intermediate sums
    alone exceeds 1e-5 of a clamped output. BatchNorm gets random statistics so folding is tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


@dataclass
class FuzzResult:
    counts: Counter = field(default_factory=Counter)
    problems: List[str] = field(default_factory=list)

    def add(self, outcome: str, what: str = "") -> None:
        self.counts[outcome] += 1
        if outcome not in ("ok", "refused"):
            self.problems.append(f"{outcome}: {what}")

    def summary(self, label: str) -> str:
        keys = ("ok", "refused", "crash", "mismatch", "sanitizer")
        return f"{label}: " + ", ".join(f"{k} {self.counts[k]}" for k in keys)


def _export(seed: int, result: FuzzResult, int8: bool):
    model, shape, desc = random_model(seed)
    rng = np.random.default_rng(seed)
    cal = rng.standard_normal((64,) + shape[1:]).astype(np.float32)
    opts = {"quantize": "int8", "calibration": cal} if int8 else {}
    try:
        text, _ = build_header(model, torch.from_numpy(cal[:1]), f"f{seed}", **opts)
        graph = int8_graph(model, torch.from_numpy(cal[:1]), calibration=cal) if int8 else None
    except miniml.MinimlError:
        result.add("refused")
        return None
    except Exception:
        result.add("crash", f"seed {seed} ({desc}): {traceback.format_exc(limit=3)}")
        return None
    xs = (0.9 * cal[:N_INPUTS]).astype(np.float32)
    if int8:  # a NaN and an Inf in one row: their defined result must match the reference
        xs[-1].reshape(-1)[0] = np.nan
        xs[-1].reshape(-1)[-1] = np.inf
    return dict(name=f"f{seed}", text=text, graph=graph, model=model, xs=xs, desc=desc, seed=seed)


def _driver(cases: List[dict], int8: bool) -> str:
    lines = [
        "#include <stdio.h>",
        *[f'#include "{c["name"]}.h"' for c in cases],
        "int main(int argc, char** argv) {",
        "  if (argc != 3) return 2;",
        '  FILE* in = fopen(argv[1], "rb");',
        '  FILE* out = fopen(argv[2], "wb");',
        "  if (!in || !out) return 3;",
    ]
    for c in cases:
        n = c["name"]
        lines += [
            "  {",
            f"    static {n}::Model m;",
            f"    static float x[{n}::kInputSize], y[{n}::kOutputSize];",
            f"    for (int k = 0; k < {N_INPUTS}; ++k) {{",
            f"      if (fread(x, 4, {n}::kInputSize, in) != {n}::kInputSize) return 4;",
            "      m.predict(x, y);",
            f"      fwrite(y, 4, {n}::kOutputSize, out);",
        ]
        if int8 and c["graph"].meta["int8_edges"]["output"] is not None:
            lines += [
                f"      static int8_t xq[{n}::kInputSize], yq[{n}::kOutputSize];",
                f"      miniml::quantize_s8(x, {n}::kInputSize, {n}::kInputScale, "
                f"{n}::kInputZeroPoint, xq);",
                "      m.predict_int8(xq, yq);",
                f"      fwrite(yq, 1, {n}::kOutputSize, out);",
            ]
        lines += ["    }", "  }"]
    return "\n".join(lines + ["  fclose(in);", "  fclose(out);", "  return 0;", "}", ""])


def _compare(cases: List[dict], raw: bytes, int8: bool, result: FuzzResult) -> None:
    pos = 0
    for c in cases:
        if int8:
            g = c["graph"]
            yq_t = g.meta["int8_edges"]["output"]
            want = int8_predict(g, c["xs"]).reshape(N_INPUTS, -1)
        else:
            with torch.no_grad():
                want = c["model"](torch.from_numpy(c["xs"])).numpy().reshape(N_INPUTS, -1)
        n_out = want.shape[1]
        bad = []
        for k in range(N_INPUTS):
            y = np.frombuffer(raw[pos : pos + 4 * n_out], np.float32)
            pos += 4 * n_out
            if int8:
                if not np.array_equal(y, want[k], equal_nan=True):
                    bad.append(f"predict row {k}: {y} vs reference {want[k]}")
                if yq_t is not None:
                    yq = np.frombuffer(raw[pos : pos + n_out], np.int8)
                    pos += n_out
                    ref = run_int8(g, c["xs"][k])[yq_t]
                    if not np.array_equal(yq, ref):
                        bad.append(f"predict_int8 row {k}: {yq} vs reference {ref}")
            elif max_rel_error(y, want[k]) > 1.0:
                bad.append(f"row {k}: {y} vs torch {want[k]}")
        result.add("mismatch" if bad else "ok", f"seed {c['seed']} ({c['desc']}): {bad[:1]}")
    assert pos == len(raw), "driver output length"


def run_fuzz(seeds: range, int8: bool, batch: int = 25) -> FuzzResult:
    result = FuzzResult()
    out_dir = os.path.join(BUILD, "fuzz", "int8" if int8 else "float")
    os.makedirs(out_dir, exist_ok=True)
    pending: List[dict] = []
    for seed in seeds:
        case = _export(seed, result, int8)
        if case is not None:
            pending.append(case)
        if pending and (len(pending) == batch or seed == seeds[-1]):
            _run_batch(pending, out_dir, int8, result)
            pending = []
    return result


def _run_batch(cases: List[dict], out_dir: str, int8: bool, result: FuzzResult) -> None:
    for c in cases:
        with open(os.path.join(out_dir, c["name"] + ".h"), "w") as f:
            f.write(c["text"])
    src = os.path.join(out_dir, "driver.cpp")
    with open(src, "w") as f:
        f.write(_driver(cases, int8))
    exe = compile_cpp(src, os.path.join(out_dir, "driver"), [INCLUDE, out_dir], HOST_FLAGS)
    in_path, out_path = os.path.join(out_dir, "in.bin"), os.path.join(out_dir, "out.bin")
    with open(in_path, "wb") as f:
        for c in cases:
            f.write(c["xs"].astype(np.float32).tobytes())
    p = subprocess.run([exe, in_path, out_path], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        first = re.search(r".*runtime error.*|ERROR: AddressSanitizer.*", p.stderr)
        result.add(
            "sanitizer",
            f"seeds {cases[0]['seed']}..{cases[-1]['seed']}: "
            f"{first.group(0) if first else p.stderr[-400:]}",
        )
        return
    _compare(cases, open(out_path, "rb").read(), int8, result)


def summary_lines(results: Dict[str, FuzzResult]) -> List[str]:
    lines = [r.summary(k) for k, r in results.items()]
    for k, r in results.items():
        lines += [f"{k} {p}" for p in r.problems[:10]]
    return lines
