"""Helpers for the build-hook tests: a fake PlatformIO env for runpy on extra_script.py, a fake
exporter (an executable script used as custom_miniml_python that answers the torch probe and
`-m miniml export ... --report-json F` by writing a header and a report, logging each export), and a
real .pt2 maker. A module of its own name, so that test files import it unambiguously (every test
folder has a conftest.py).
"""

from __future__ import annotations

import os
import runpy
import sys
import zipfile
from typing import Dict, Optional

import pytest

import toolchains  # scripts/, on sys.path by conftest.py

UNO_FLASH, UNO_RAM = toolchains.limits("uno")  # the board JSON of the simulated Uno
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXTRA_SCRIPT = os.path.join(REPO, "platformio_plugin", "extra_script.py")

FAKE_EXPORTER = r"""#!{python}
# Fake `python -m miniml export` for the hook tests (see conftest.py).
import json, os, sys
args = sys.argv[1:]
if args[:1] == ["-c"]:
    sys.exit(0)
assert args[:3] == ["-m", "miniml", "export"], args
model, rest = args[3], args[4:]
opt = {{}}
i = 0
while i < len(rest):
    if rest[i] in ("--on-device-learning", "--streaming"):
        opt[rest[i][2:].replace("-", "_")] = True; i += 1
    else:
        opt[rest[i][2:].replace("-", "_")] = rest[i + 1]; i += 2
with open(os.environ["FAKE_EXPORT_LOG"], "a") as f:
    record = {{"model": model, "options": opt, "pythonpath": os.environ.get("PYTHONPATH", "")}}
    f.write(json.dumps(record) + "\n")
size = os.path.getsize(model)
if b"FAIL" in open(model, "rb").read():  # a model the exporter refuses, as the real CLI words it
    sys.stderr.write("some warning\nminiml: error: unsupported op aten.fake.default (node 'f')\n"
                     "MiniML supports: linear, relu\n")
    sys.exit(1)
with open(os.path.join(opt["out"], opt["name"] + ".h"), "w") as f:
    f.write("// fake header for %s\n" % opt["name"])
report = {{"name": opt["name"], "input_shape": [1, 4], "output_shape": [1, 2], "macs": size,
          "flash_bytes": 10 * size, "ram_bytes": size, "arena_bytes": size // 2,
          "arena_lower_bound": size // 2,
          "training_ram_bytes": 3 * size if opt.get("on_device_learning") else 0, "layers": []}}
with open(opt["report_json"], "w") as f:
    json.dump(report, f)
"""


def write_pt2(path: str, payload: bytes = b"x" * 100) -> str:
    """A file shaped like a .pt2 (a zip archive); the fake exporter only reads its size."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", payload)
    return path


class _Config:
    def __init__(self, options: Dict[str, str]):
        self._options = options

    def options(self, section=None, env=None):
        return ["platform", "board"] + list(self._options)


class _Board:
    def __init__(self, data):
        self._data = data

    def get(self, key, default=None):
        return self._data.get(key, default)


class FakeEnv:
    """The few SCons/PlatformIO env calls extra_script.py makes."""

    def __init__(
        self,
        project_dir: str,
        options: Dict[str, str],
        board: Optional[str] = None,
        ram: int = 0,
        flash: int = 0,
    ):
        self.vars = {
            "PIOENV": "test",
            "PROJECT_DIR": project_dir,
            "BUILD_DIR": os.path.join(project_dir, ".pio", "build", "test"),
            "PYTHONEXE": sys.executable,
            "CPPPATH": [],
        }
        if board:
            self.vars["BOARD"] = board
        self._options = options
        self._board = {"upload.maximum_ram_size": ram, "upload.maximum_size": flash}
        self.exit_code: Optional[int] = None

    def __getitem__(self, key):
        return self.vars[key]

    def get(self, key, default=None):
        return self.vars.get(key, default)

    def subst(self, text: str) -> str:
        return self.vars[text[1:]] if text.startswith("$") else text

    def GetProjectConfig(self):
        return _Config(self._options)

    def GetProjectOption(self, key, default=None):
        return self._options.get(key, default)

    def BoardConfig(self):
        return _Board(self._board)

    def Prepend(self, CPPPATH):
        self.vars["CPPPATH"] = list(CPPPATH) + self.vars["CPPPATH"]

    def Exit(self, code):
        self.exit_code = code
        raise SystemExit(code)


class _LibBuilder:
    path = REPO


def run_hook(env: FakeEnv) -> FakeEnv:
    """runpy extra_script.py as PlatformIO's library builder would (env and pio_lib_builder
    exported).
    """
    runpy.run_path(
        EXTRA_SCRIPT,
        init_globals={"Import": lambda *names: None, "env": env, "pio_lib_builder": _LibBuilder()},
    )
    return env


def save_mlp_pt2(
    path: str, in_features: int = 4, hidden: int = 8, out_features: int = 3, seed: int = 0
) -> str:
    """A small float MLP saved with torch.export.save (what a user's model.py does)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(in_features, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, out_features)
    ).eval()
    program = torch.export.export(model, (torch.randn(1, in_features),))
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.export.save(program, path)
    return path


def pio_env() -> Dict[str, str]:
    """The environment of a `pio` run on a project outside the repository, as a user's shell after
    `. scripts/env.sh`: MINIML_ROOT, the offline core, this venv's pio first on the PATH."""
    env = dict(
        os.environ,
        MINIML_ROOT=REPO,
        PLATFORMIO_CORE_DIR=os.path.join(REPO, ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    for var in ("PLATFORMIO_BUILD_DIR", "PLATFORMIO_LIBDEPS_DIR"):  # the project's own .pio
        env.pop(var, None)
    return env

