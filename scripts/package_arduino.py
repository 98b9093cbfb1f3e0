#!/usr/bin/env python3
"""Builds the Arduino IDE library zip: MiniML/library.properties, MiniML/src/MiniML.h,
MiniML/src/miniml/*.h, MiniML/examples/<Name>/<Name>.ino with their model headers, README.md (for
Arduino users: arduino/README.md) and LICENSE.

The Arduino IDE compiles and puts on the include path only a library's src/ folder, and finds a
library by a header at the root of src/; so include/miniml/ is copied to src/miniml/ and
src/MiniML.h includes the core headers (a sketch includes <MiniML.h> before a model header exported
with `python -m miniml export`). The examples' sketches come from arduino/examples/; their model
headers are exported into each sketch folder here, by the MiniML CLI run with --python (default:
this interpreter; it needs torch). Otherwise stdlib only.

  python scripts/package_arduino.py [--out build/arduino] [--python PY]
      ->   build/arduino/MiniML-<version>.zip
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import zipfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LIBRARY = "MiniML"
UMBRELLA = """// MiniML for the Arduino IDE: include this first, then the model header made by
// `python -m miniml export model.pt2 --name model --out <sketch folder>`.
// Header-only: nothing to compile or link.
#ifndef MINIML_ARDUINO_H_
#define MINIML_ARDUINO_H_
#include "miniml/core_types.h"
#include "miniml/core_rom.h"
#endif  // MINIML_ARDUINO_H_
"""


# Arduino IDE examples: sketch name -> (model, `miniml export` options, files copied beside the sketch).
EXAMPLES = {
    "Quickstart": ("examples/quickstart/mlp.pt2", ["--name", "mlp"], []),
    "DigitsInt8": (
        "examples/digits_int8/digits.pt2",
        ["--name", "digits", "--quantize", "int8", "--calibration", "examples/digits_int8/calibration.npy"],
        ["examples/digits_int8/include/digits_app.h", "examples/digits_int8/include/samples.h"],
    ),
    "SensorCalibration": (
        "examples/sensor_calibration/sensor.pt2",
        ["--name", "sensor", "--on-device-learning", "--loss", "mse", "--learning-rate", "0.05"],
        ["examples/sensor_calibration/include/sensor_law.h"],
    ),
}
# Exports every example's header in one interpreter (torch is imported once).
EXPORT_ALL = """import sys
from miniml.cli import main
for argv in eval(sys.argv[1]):
    if main(argv) != 0:
        sys.exit(1)
"""
def read_properties(path: str) -> dict:
    props = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                props[key.strip()] = value.strip()
    return props


def stage(staging: str, python: str) -> str:
    """Lay out the library under `staging/MiniML`; returns that folder."""
    root = os.path.join(staging, LIBRARY)
    if os.path.exists(root):
        shutil.rmtree(root)
    headers = os.path.join(root, "src", "miniml")
    os.makedirs(headers)
    for name in sorted(os.listdir(os.path.join(REPO, "include", "miniml"))):
        if name.endswith(".h"):
            shutil.copy2(os.path.join(REPO, "include", "miniml", name), os.path.join(headers, name))
    with open(os.path.join(root, "src", f"{LIBRARY}.h"), "w", encoding="utf-8") as f:
        f.write(UMBRELLA)
    shutil.copy2(os.path.join(REPO, "library.properties"), os.path.join(root, "library.properties"))
    shutil.copy2(os.path.join(REPO, "arduino", "README.md"), os.path.join(root, "README.md"))
    shutil.copy2(os.path.join(REPO, "LICENSE"), os.path.join(root, "LICENSE"))
    stage_examples(root, python)
    return root


def stage_examples(root: str, python: str) -> None:
    """examples/<Name>/: the sketch, its helper headers and its model header, exported here."""
    exports = []
    for name, (model, options, extra) in EXAMPLES.items():
        folder = os.path.join(root, "examples", name)
        os.makedirs(folder)
        shutil.copy2(os.path.join(REPO, "arduino", "examples", name, name + ".ino"), folder)
        for rel in extra:
            shutil.copy2(os.path.join(REPO, rel), folder)
        argv = ["export", os.path.join(REPO, model), "--out", folder]
        argv += [os.path.join(REPO, o) if o.endswith((".npy", ".pt")) else o for o in options]
        exports.append(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(  # this repository's exporter, whatever else is installed
        [os.path.join(REPO, "platformio_plugin")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    done = subprocess.run([python, "-c", EXPORT_ALL, repr(exports)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            "[miniml] exporting the examples' model headers with %s failed (it needs torch; --python "
            "names another interpreter):\n%s" % (python, (done.stdout + done.stderr)[-3000:])
        )


def package(out_dir: str, python: str = sys.executable) -> str:
    version = read_properties(os.path.join(REPO, "library.properties"))["version"]
    root = stage(os.path.join(out_dir, "staging"), python)
    zip_path = os.path.join(out_dir, f"{LIBRARY}-{version}.zip")
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                z.write(path, os.path.relpath(path, os.path.dirname(root)))
    return zip_path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "build", "arduino"), help="output folder")
    ap.add_argument("--python", default=sys.executable, help="interpreter with torch for the exports")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    print(package(os.path.abspath(args.out), args.python))
    return 0


if __name__ == "__main__":
    sys.exit(main())
