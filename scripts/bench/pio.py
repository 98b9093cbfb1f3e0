"""Overhead of the MiniML build hook on an unchanged `pio run`: two fresh native-board projects,
the same main.cpp; one lets the hook export mlp16.pt2 at build time (custom_miniml_model), the
other includes a header exported beforehand and sets no custom_miniml_* option. Each is built
once, then timed on a second, unchanged `pio run` (median of three). Wall time: a benchmark,
never a test."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

REPO = Path(__file__).resolve().parents[2]

INI = """[env:native]
platform = symlink://{repo}/platformio_plugin/platforms/miniml-native
lib_deps = symlink://{repo}
{extra}
"""
MAIN = """#include "mlp16.h"
static mlp16::Model model;
int main() {
  float in[mlp16::kInputSize] = {0};
  float out[mlp16::kOutputSize];
  model.predict(in, out);
  return out[0] > 1000.0f ? 1 : 0;
}
"""


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        PLATFORMIO_CORE_DIR=str(REPO / ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
        PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL="3650",
    )
    env["PATH"] = str(REPO / ".venv" / "bin") + os.pathsep + env.get("PATH", "")
    return env


def _pio_run(project: Path) -> float:
    pio = str(Path(sys.executable).parent / "pio")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [pio, "run", "-d", str(project)], env=_env(), capture_output=True, text=True, timeout=300
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            "pio run failed in %s: %s" % (project, (proc.stdout + proc.stderr)[-800:])
        )
    return seconds


def overhead(work: Path, log) -> Dict[str, Any]:
    import torch
    from torch import nn

    import miniml

    if not (REPO / ".pio-core").is_dir():
        return {"note": "not measured: no offline PlatformIO core in .pio-core (scripts/setup.sh)"}
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)).eval()
    x = torch.zeros(1, 16)
    hook, plain = work / "with_hook", work / "without_hook"
    for p in (hook, plain):
        (p / "src").mkdir(parents=True, exist_ok=True)
        (p / "src" / "main.cpp").write_text(MAIN)
    torch.export.save(torch.export.export(model, (x,)), str(hook / "mlp16.pt2"))
    (hook / "platformio.ini").write_text(
        INI.format(
            repo=REPO,
            extra="custom_miniml_model = mlp16.pt2\ncustom_miniml_python = %s" % sys.executable,
        )
    )
    miniml.export(model, x, "mlp16", str(plain / "include"))
    (plain / "platformio.ini").write_text(INI.format(repo=REPO, extra=""))
    first = {p.name: _pio_run(p) for p in (hook, plain)}
    times = {p.name: statistics.median(_pio_run(p) for _ in range(3)) for p in (hook, plain)}
    log("pio run: first %s, unchanged %s" % (first, times))
    return {
        "project": "a native-board project with mlp16",
        "with_hook_s": round(times["with_hook"], 3),
        "without_hook_s": round(times["without_hook"], 3),
        "detail": "First build with the hook exporting: %.2f s (without: %.2f s)."
        % (first["with_hook"], first["without_hook"]),
    }
