#!/usr/bin/env python3
"""Builds the Arduino IDE library zip: MiniML/library.properties, MiniML/src/MiniML.h,
MiniML/src/miniml/*.h.

The Arduino IDE compiles and puts on the include path only a library's src/ folder, and finds a
library by a header at the root of src/; so include/miniml/ is copied to src/miniml/ and
src/MiniML.h includes the core headers (a sketch includes <MiniML.h> before a model header exported
with `python -m miniml export`). Stdlib only.

  python scripts/package_arduino.py [--out build/arduino]   ->   build/arduino/MiniML-<version>.zip
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def read_properties(path: str) -> dict:
    props = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                props[key.strip()] = value.strip()
    return props


def stage(staging: str) -> str:
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
    for extra in ("LICENSE", "README.md"):
        if os.path.isfile(os.path.join(REPO, extra)):
            shutil.copy2(os.path.join(REPO, extra), os.path.join(root, extra))
    return root


def package(out_dir: str) -> str:
    version = read_properties(os.path.join(REPO, "library.properties"))["version"]
    root = stage(os.path.join(out_dir, "staging"))
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
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    print(package(os.path.abspath(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
