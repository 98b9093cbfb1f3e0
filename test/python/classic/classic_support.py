"""Export fitted scikit-learn models, run them in one host binary (ASan + UBSan) or one simulated-Uno
firmware, and compare outputs and predict_class with scikit-learn on the same float32 rows."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import miniml
import numpy as np
import toolchains
from harness import BUILD, INCLUDE, _hash_files, compile_cpp

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
        f.writelines(r.x.tobytes() for r in rs)
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


UNO_FIRMWARE = r"""
// Runs one exported model on rows kept in flash; prints each output float as 8 hex digits
// (little-endian bytes), then the predict_class index, one row per line, then stops.
#include <string.h>
#include <avr/pgmspace.h>
#include "miniml/board_io.h"
#include "MODEL.h"
#include "rows.h"

static void put_hex(uint8_t v) {
  const char* h = "0123456789abcdef";
  miniml::io::put(h[v >> 4]);
  miniml::io::put(h[v & 15]);
}
static void put_float(float f) {
  uint8_t b[4];
  memcpy(b, &f, 4);
  for (uint8_t i = 0; i < 4; ++i) put_hex(b[i]);
}

static NS::Model model;

int main() {
  miniml::io::begin();
  static float x[NS::kInputSize];
  static float y[NS::kOutputSize];
  for (uint8_t s = 0; s < kRows; ++s) {
    for (uint16_t i = 0; i < NS::kInputSize; ++i) x[i] = pgm_read_float(&kRowData[s][i]);
    model.predict(x, y);
    miniml::io::put('R');
    for (uint16_t i = 0; i < NS::kOutputSize; ++i) put_float(y[i]);
    miniml::io::put(' ');
    put_hex(static_cast<uint8_t>(CLASS_OF(model, x)));
    miniml::io::put('\n');
  }
  miniml::io::print("E\n");
  return miniml::io::finish(0);
}
"""


def run_uno(group: str, r: Run, rows: int) -> Tuple[np.ndarray, np.ndarray, int]:
    """(outputs, classes, flash bytes) of r's first `rows` rows on the simulated Uno (simavr)."""
    from miniml.literals import float_array_body

    out = os.path.join(BUILD, "classic", group, r.name + "_uno")
    os.makedirs(out, exist_ok=True)
    x = r.x[:rows]
    with open(os.path.join(out, "rows.h"), "w") as f:
        f.write(f"static const uint8_t kRows = {len(x)};\n"
                f"static const float kRowData[{len(x)}][{x.shape[1]}] PROGMEM = {{\n"
                f"{float_array_body(x, 'rows', per_line=x.shape[1])}}};\n")
    cls = "(m).predict_class(v)" if _has_class(r) else "0"
    src = os.path.join(out, "main.cpp")
    with open(src, "w") as f:
        f.write(f"#define CLASS_OF(m, v) {cls}\n#define NS {r.name}\n"
                + UNO_FIRMWARE.replace("MODEL.h", os.path.basename(r.header)))
    elf = os.path.join(out, "fw.elf")
    subprocess.run([*toolchains.cxx("avr"), "-DF_CPU=16000000UL", "-ffunction-sections", "-fdata-sections",
                    "-flto", "-fuse-linker-plugin", "-Wl,--gc-sections", *toolchains.WARN,
                    f"-I{INCLUDE}", f"-I{os.path.dirname(r.header)}", src, "-o", elf], check=True)
    size = subprocess.run(["avr-size", "-A", elf], capture_output=True, text=True, check=True).stdout
    sec = {m[0]: int(m[1]) for m in re.findall(r"^\.(\w+)\s+(\d+)", size, re.MULTILINE)}
    res = subprocess.run(toolchains.simavr_cmd(elf, 300), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", res.stderr + res.stdout)
    found = re.findall(r"R([0-9a-f]+) ([0-9a-f]{2})", text)
    assert len(found) == len(x), text[-1500:]
    got = np.array([np.frombuffer(bytes.fromhex(h), np.float32) for h, _ in found])
    classes = np.array([int(c, 16) for _, c in found])
    return got, classes, sec.get("text", 0) + sec.get("data", 0)
