"""Fixtures for the int8 tests: the host-built kernel driver (g++ -Werror, ASan + UBSan)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import toolchains

REPO = Path(__file__).resolve().parents[3]
BUILD = REPO / "build" / "test_quant"
HOST_FLAGS = toolchains.HOST_FLAGS


class Driver:
    """Runs one kernel request through the compiled driver; returns the printed integers."""

    def __init__(self, exe: Path):
        self.exe = exe

    def __call__(self, op: str, *parts) -> np.ndarray:
        words = [op]
        for p in parts:
            words.extend(str(int(v)) for v in np.ravel(np.asarray(p)))
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="halt_on_error=1")
        r = subprocess.run(
            [str(self.exe)],
            input=" ".join(words),
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert r.returncode == 0, f"driver failed ({r.returncode}):\n{r.stderr}"
        return np.array([int(t) for t in r.stdout.split()], np.int64)


@pytest.fixture(scope="session")
def driver() -> Driver:
    BUILD.mkdir(parents=True, exist_ok=True)
    exe = BUILD / "kernel_driver"
    src = Path(__file__).with_name("kernel_driver.cpp")
    subprocess.run(
        ["g++", *HOST_FLAGS, f"-I{REPO / 'include'}", str(src), "-o", str(exe)], check=True
    )
    return Driver(exe)
