"""scripts/package_arduino.py: the zip has the Arduino 1.5 layout (only src/ is compiled), and a
two-file sketch that includes <MiniML.h> and an exported model header compiles and links with
avr-g++ (one copy of the weights)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest
import toolchains
from hook_support import REPO


def _package(tmp_path) -> str:
    out = subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, "scripts", "package_arduino.py"),
            "--out",
            str(tmp_path / "pkg"),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out


def test_zip_layout(tmp_path):
    path = _package(tmp_path)
    props = dict(
        line.split("=", 1) for line in open(os.path.join(REPO, "library.properties")) if "=" in line
    )
    assert os.path.basename(path) == f"MiniML-{props['version'].strip()}.zip"
    names = zipfile.ZipFile(path).namelist()
    headers = sorted(
        f for f in os.listdir(os.path.join(REPO, "include", "miniml")) if f.endswith(".h")
    )
    assert (
        sorted(n[len("MiniML/src/miniml/") :] for n in names if n.startswith("MiniML/src/miniml/"))
        == headers
    )
    assert "MiniML/src/MiniML.h" in names and "MiniML/library.properties" in names
    # Nothing outside src/ that the IDE would need to compile.
    assert not [n for n in names if n.endswith((".c", ".cpp")) and not n.startswith("MiniML/src/")]


SKETCH = """#include <MiniML.h>
#include "{model}.h"
{model}::Model model_{tu};
float use_{tu}(const float* x) {{
  float y[{model}::kOutputSize];
  model_{tu}.predict(x, y);
  return y[0];
}}
"""


@pytest.mark.skipif(shutil.which("avr-g++") is None, reason="avr-g++ not installed")
def test_sketch_with_two_files_links_on_avr(tmp_path, exported_header):
    """An Arduino-style sketch: the model header included from two .cpp files (MiniML Engine failed
    here)."""
    zip_path = _package(tmp_path)
    zipfile.ZipFile(zip_path).extractall(tmp_path / "libraries")
    src = tmp_path / "libraries" / "MiniML" / "src"
    sketch = tmp_path / "sketch"
    sketch.mkdir()
    name = exported_header(sketch)
    (sketch / "a.cpp").write_text(SKETCH.format(model=name, tu="a"))
    (sketch / "b.cpp").write_text(SKETCH.format(model=name, tu="b"))
    (sketch / "main.cpp").write_text(
        "float use_a(const float*); float use_b(const float*);\n"
        "volatile float sink; float x[64];\n"
        "int main() { sink = use_a(x) + use_b(x); return 0; }\n"
    )
    elf = tmp_path / "sketch.elf"
    cmd = [
        *toolchains.cxx("avr"),
        "-Wall",
        "-Wextra",
        "-Werror",
        f"-I{src}",
        f"-I{sketch}",
        "-o",
        str(elf),
    ] + [str(sketch / f) for f in ("a.cpp", "b.cpp", "main.cpp")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
