"""Shared test helper: export models, compile one host driver with sanitizers, run it, compare to torch.

Several models go into one binary (one compile per test module) to keep the suite fast; each model gets
its own namespace. Binaries are cached under build/pytest/ by the hash of everything they include.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import toolchains  # scripts/toolchains.py, on sys.path through conftest.py

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = os.path.join(REPO, "include")
BUILD = os.path.join(REPO, "build", "pytest")
CXX = os.environ.get("CXX", "g++")
WARN = toolchains.WARN
HOST_FLAGS = toolchains.HOST_FLAGS  # -O1 -g, ASan + UBSan, -Werror, -ffp-contract=off
RTOL = 1e-5
ATOL = 1e-6  # times max(1, max |reference|): the "tiny absolute floor" for sums that cancel


@dataclass
class Built:
    """One exported model inside a multi-model binary."""

    name: str
    header: str
    report: object
    inputs: np.ndarray  # [n, *input_shape]
    expected: np.ndarray  # [n, *output_shape]
    got: Optional[np.ndarray] = None


@dataclass
class Batch:
    models: Dict[str, Built] = field(default_factory=dict)
    binary: str = ""


def safe_id(case_id: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]", "_", case_id)
    return "m_" + re.sub(r"_+", "_", s).strip("_")


def torch_outputs(model, xs: np.ndarray) -> np.ndarray:
    import torch

    if isinstance(model, torch.export.ExportedProgram):
        model = model.module()
    outs = []
    with torch.no_grad():
        for x in xs:
            y = model(torch.from_numpy(x[None]))
            outs.append(y[0].numpy().astype(np.float32))
    return np.stack(outs)


def _hash_files(paths: Sequence[str], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for p in sorted(paths):
        with open(p, "rb") as f:
            h.update(p.encode() + f.read())
    return h.hexdigest()[:16]


def compile_cpp(src: str, out: str, include_dirs: Sequence[str], flags: Sequence[str] = HOST_FLAGS,
                extra_sources: Sequence[str] = ()) -> str:
    cmd = [CXX, *flags, *[f"-I{d}" for d in include_dirs], src, *extra_sources, "-o", out, "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise AssertionError(f"compile failed: {' '.join(cmd)}\n{res.stderr[-6000:]}")
    return out


def build_batch(group: str, cases: Dict[str, Tuple[object, Tuple[int, ...]]], n_inputs: int = 3,
                seed: int = 0, **options) -> Batch:
    """cases: id -> (eval nn.Module, input shape). Exports all, compiles one driver, runs it."""
    import torch

    import miniml

    out_dir = os.path.join(BUILD, group)
    os.makedirs(out_dir, exist_ok=True)
    batch = Batch()
    rng = np.random.default_rng(seed)
    for case_id, (model, shape) in cases.items():
        name = safe_id(case_id)
        example = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
        report = miniml.export(model, example, name, out_dir, **options)
        xs = rng.standard_normal((n_inputs,) + tuple(shape[1:])).astype(np.float32)
        batch.models[case_id] = Built(name, report.header_path, report, xs, torch_outputs(model, xs))
    drv = [f'#include "{os.path.basename(b.header)}"' for b in batch.models.values()]
    drv += ["#include <stdio.h>", "", "int main(int argc, char** argv) {", "  if (argc != 3) return 2;",
            '  FILE* in = fopen(argv[1], "rb");', '  FILE* out = fopen(argv[2], "wb");',
            "  if (!in || !out) return 3;"]
    for b in batch.models.values():
        n = len(b.inputs)
        drv += [
            "  {",
            f"    static {b.name}::Model model;",
            f"    static float x[{b.name}::kInputSize];",
            f"    static float y[{b.name}::kOutputSize];",
            f"    for (int k = 0; k < {n}; ++k) {{",
            f"      if (fread(x, sizeof(float), {b.name}::kInputSize, in) != {b.name}::kInputSize) "
            "return 4;",
            "      model.predict(x, y);",
            f"      fwrite(y, sizeof(float), {b.name}::kOutputSize, out);",
            "    }",
            f'    printf("sizeof {b.name} %u\\n", static_cast<unsigned>(sizeof(model)));',
            "  }",
        ]
    drv += ["  fclose(in);", "  fclose(out);", "  return 0;", "}", ""]
    text = "\n".join(drv)
    src = os.path.join(out_dir, "driver.cpp")
    kernels = [os.path.join(INCLUDE, "miniml", f) for f in os.listdir(os.path.join(INCLUDE, "miniml"))]
    key = _hash_files([b.header for b in batch.models.values()] + kernels, text + " ".join(HOST_FLAGS))
    exe = os.path.join(out_dir, f"driver_{key}")
    if not os.path.exists(exe):
        with open(src, "w") as f:
            f.write(text)
        compile_cpp(src, exe, [INCLUDE, out_dir])
    batch.binary = exe
    in_path, out_path = os.path.join(out_dir, "in.bin"), os.path.join(out_dir, "out.bin")
    with open(in_path, "wb") as f:
        for b in batch.models.values():
            f.write(b.inputs.astype(np.float32).tobytes())
    res = subprocess.run([exe, in_path, out_path], capture_output=True, text=True)
    if res.returncode != 0:
        raise AssertionError(f"{exe} failed ({res.returncode}):\n{res.stdout}\n{res.stderr[-6000:]}")
    raw = np.fromfile(out_path, dtype=np.float32)
    pos = 0
    sizes = dict(re.findall(r"sizeof (\w+) (\d+)", res.stdout))
    for b in batch.models.values():
        n = b.expected.size
        b.got = raw[pos : pos + n].reshape(b.expected.shape)
        pos += n
        b.report.measured_sizeof = int(sizes[b.name])
    assert pos == raw.size, "driver wrote an unexpected number of floats"
    return batch


def max_rel_error(got: np.ndarray, ref: np.ndarray) -> float:
    scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    return float(np.max(err / (RTOL * np.abs(ref) + ATOL * scale))) if ref.size else 0.0


def assert_close(got: np.ndarray, ref: np.ndarray, what: str = "") -> None:
    """|got - ref| <= 1e-5 |ref| + 1e-6 max(1, max|ref|), elementwise."""
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    ratio = max_rel_error(got, ref)
    if not ratio <= 1.0:
        idx = np.unravel_index(
            np.argmax(np.abs(got - ref) - RTOL * np.abs(ref)), ref.shape
        )
        raise AssertionError(
            f"{what}: error {ratio:.3g}x the tolerance; at {idx}: got {got[idx]!r}, "
            f"torch {ref[idx]!r}"
        )


def check_batch(batch: Batch, case_id: str) -> Built:
    b = batch.models[case_id]
    assert b.got is not None
    assert_close(b.got, b.expected, case_id)
    assert b.report.ram_bytes == b.report.measured_sizeof, "report RAM != sizeof(Model)"
    return b


def cases_list(cases: Dict[str, object]) -> List[str]:
    return list(cases)


def prepare(model, seed: int = 0):
    """Random but reproducible parameters (BatchNorm statistics too), then eval()."""
    import torch
    import torch.nn as nn

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 2 - 1)
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


def run_cases(group: str, cases: Dict[str, Tuple[object, Tuple[int, ...]]], **kw) -> Batch:
    """cases: id -> (factory returning an nn.Module, input shape); builds with prepare(seed=index)."""
    built = {k: (prepare(f(), i), s) for i, (k, (f, s)) in enumerate(cases.items())}
    return build_batch(group, built, **kw)
