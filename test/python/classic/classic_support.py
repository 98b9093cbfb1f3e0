"""Export fitted scikit-learn models, run them in one host binary (ASan + UBSan) or one simulated-Uno
firmware, and compare outputs and predict_class with scikit-learn on the same float32 rows."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
import toolchains
from harness import BUILD, INCLUDE, _hash_files, compile_cpp

import miniml

OUT_RTOL = 1e-4  # |got - want| <= 1e-4 * max(|want|, 1), the golden rule


@dataclass
class Run:
    name: str
    est: object
    x: np.ndarray  # float32 rows
    report: object = None
    header: str = ""
    want: Optional[np.ndarray] = None
    want_class: Optional[np.ndarray] = None
    got: Optional[np.ndarray] = None
    got_class: Optional[np.ndarray] = None


def export_all(group: str, cases: Dict[str, Tuple[object, np.ndarray]], **options) -> Dict[str, Run]:
    out = os.path.join(BUILD, "classic", group)
    os.makedirs(out, exist_ok=True)
    runs = {}
    for cid, (est, x) in cases.items():
        x = np.asarray(x, np.float32)
        name = "m_" + re.sub(r"[^A-Za-z0-9]+", "_", cid).strip("_")
        r = Run(name, est, x)
        r.report = miniml.export(est, x[:1], name, out, **options)
        r.header = r.report.header_path
        r.want, r.want_class = sklearn_outputs(est, x)
        runs[cid] = r
    return runs


def sklearn_outputs(est, x: np.ndarray) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """What predict() must write (predict_proba, else decision_function, else predict) and the class
    index of predict, straight from scikit-learn on the float32 rows."""
    x64 = x.astype(np.float64)
    for method in ("predict_proba", "decision_function", "predict"):
        if hasattr(est, method):
            want = np.asarray(getattr(est, method)(x64), np.float64).reshape(len(x), -1)
            break
    classes = getattr(est, "classes_", None)
    if classes is None or not hasattr(est, "predict"):
        return want, None
    return want, np.searchsorted(classes, est.predict(x64))


def _driver(runs: List[Run]) -> str:
    d = [f'#include "{os.path.basename(r.header)}"' for r in runs]
    d += ["#include <stdio.h>", "", "int main(int argc, char** argv) {", "  if (argc != 3) return 2;",
          '  FILE* in = fopen(argv[1], "rb");', '  FILE* out = fopen(argv[2], "wb");',
          "  if (!in || !out) return 3;"]
    for r in runs:
        ns, n = r.name, len(r.x)
        cls = "static_cast<float>(model.predict_class(x))" if _has_class(r) else "0.0f"
        d += ["  {", f"    static {ns}::Model model;", f"    static float x[{ns}::kInputSize];",
              f"    static float y[{ns}::kOutputSize + 1];", f"    for (int k = 0; k < {n}; ++k) {{",
              f"      if (fread(x, sizeof(float), {ns}::kInputSize, in) != {ns}::kInputSize) return 4;",
              "      model.predict(x, y);",
              f"      y[{ns}::kOutputSize] = {cls};",
              f"      fwrite(y, sizeof(float), {ns}::kOutputSize + 1, out);", "    }",
              f'    printf("sizeof {ns} %u\\n", static_cast<unsigned>(sizeof(model)));', "  }"]
    d += ["  fclose(in);", "  fclose(out);", "  return 0;", "}", ""]
    return "\n".join(d)


def _has_class(r: Run) -> bool:
    with open(r.header) as f:
        return "int predict_class(" in f.read()


def run_host(group: str, runs: Dict[str, Run]) -> None:
    out = os.path.join(BUILD, "classic", group)
    rs = list(runs.values())
    text = _driver(rs)
    kernels = [os.path.join(INCLUDE, "miniml", f) for f in os.listdir(os.path.join(INCLUDE, "miniml"))]
    key = _hash_files([r.header for r in rs] + kernels, text + " ".join(toolchains.HOST_FLAGS))
    exe = os.path.join(out, f"driver_{key}")
    if not os.path.exists(exe):
        src = os.path.join(out, "driver.cpp")
        with open(src, "w") as f:
            f.write(text)
        compile_cpp(src, exe, [INCLUDE, out])
    inp, outp = os.path.join(out, "in.bin"), os.path.join(out, "out.bin")
    with open(inp, "wb") as f:
        for r in rs:
            f.write(r.x.tobytes())
    res = subprocess.run([exe, inp, outp], capture_output=True, text=True)
    assert res.returncode == 0, f"{exe} failed ({res.returncode}):\n{res.stderr[-4000:]}"
    raw = np.fromfile(outp, np.float32)
    sizes = dict(re.findall(r"sizeof (\w+) (\d+)", res.stdout))
    pos = 0
    for r in rs:
        width = r.report.output_shape[1] + 1
        block = raw[pos : pos + len(r.x) * width].reshape(len(r.x), width)
        pos += block.size
        r.got, r.got_class = block[:, :-1], block[:, -1].astype(np.int64)
        assert int(sizes[r.name]) == r.report.ram_bytes, f"{r.name}: report RAM != sizeof(Model)"
    assert pos == raw.size


def output_error(r: Run) -> float:
    """Largest |got - want| / max(|want|, 1) (the golden rule's ratio)."""
    want = r.want.reshape(r.got.shape)
    return float(np.max(np.abs(r.got - want) / np.maximum(np.abs(want), 1.0)))


def class_agreement(r: Run) -> Tuple[float, List[int]]:
    bad = np.flatnonzero(r.got_class != r.want_class)
    return 1.0 - len(bad) / len(r.x), bad.tolist()
