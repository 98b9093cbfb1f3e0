"""The Arduino IDE zip (scripts/package_arduino.py) as an Arduino user gets it: LICENSE, a README
for Arduino users, examples/<Name>/<Name>.ino with their model headers; Debian's arduino-builder
compiles every example for arduino:avr:uno against Debian's Arduino AVR core, and Quickstart
runs in simavr printing PyTorch's scores.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
RUN = REPO / "platformio_plugin" / "platforms" / "miniml_run.py"
BUILDER = [
    "arduino-builder",
    "-compile",
    "-hardware",
    "/usr/share/arduino/hardware",
    "-hardware",
    "/usr/share/arduino-builder",
    "-tools",
    "/usr/share/arduino-builder",
    "-fqbn",
    "arduino:avr:uno",
    "-ide-version",
    "10819",
    # avr-gcc 5.4's <float.h> lacks DECIMAL_DIG, which Debian's core (WString.cpp) uses
    "-prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=17",
]
EXAMPLES = ["DigitsInt8", "Quickstart", "SensorCalibration"]
QUICKSTART_POINTS = [[0.1, 0.2], [0.8, -0.6], [-0.7, 0.9], [0.9, 0.3]]  # as in Quickstart.ino


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pkg")
    zip_path = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "package_arduino.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    libraries = out / "libraries"
    zipfile.ZipFile(zip_path).extractall(libraries)
    return libraries


def _build(library: Path, name: str, build: Path) -> subprocess.CompletedProcess:
    build.mkdir(parents=True, exist_ok=True)
    sketch = library / "MiniML" / "examples" / name / (name + ".ino")
    return subprocess.run(
        [*BUILDER, "-libraries", str(library), "-build-path", str(build), str(sketch)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_zip_has_examples_license_and_arduino_readme(library: Path) -> None:
    root = library / "MiniML"
    for name in EXAMPLES:
        assert (root / "examples" / name / (name + ".ino")).is_file()
    assert (root / "examples" / "Quickstart" / "mlp.h").is_file()
    assert (root / "examples" / "DigitsInt8" / "digits.h").read_text().count("int8_t") > 0
    assert "save(Store& store" in (root / "examples" / "SensorCalibration" / "sensor.h").read_text()
    licence = (root / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in licence
    readme = (root / "README.md").read_text()
    assert (
        "python -m miniml export" in readme
        and "sketch folder" in readme
        and "File > Examples" in readme
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_arduino_builder_compiles_example(library: Path, tmp_path: Path, name: str) -> None:
    done = _build(library, name, tmp_path / "build")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert (tmp_path / "build" / (name + ".ino.elf")).is_file()
    if name == "SensorCalibration":
        # the core's EEPROM library, found by the builder's include detection
        assert "/libraries/EEPROM/src" in (tmp_path / "build" / "includes.cache").read_text()


def test_quickstart_runs_in_simavr_equal_to_pytorch(library: Path, tmp_path: Path) -> None:
    import torch

    assert _build(library, "Quickstart", tmp_path).returncode == 0
    run = subprocess.run(
        [sys.executable, str(RUN), "--idle-ms", "500", str(tmp_path / "Quickstart.ino.elf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "idle rule" in run.stderr, run.stdout + run.stderr
    got = np.array(
        [
            [float(v) for v in m.split()]
            for m in re.findall(r"^scores ([-\d. ]+) ->", run.stdout, re.MULTILINE)
        ]
    )
    model = torch.export.load(str(REPO / "examples" / "quickstart" / "mlp.pt2")).module()
    with torch.no_grad():
        want = np.array(
            [model(torch.tensor([p], dtype=torch.float32))[0].numpy() for p in QUICKSTART_POINTS]
        )
    assert got.shape == want.shape, run.stdout
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)
