"""The simulated-board platforms as a user's project sees them: `pio run -t upload` builds a firmware and runs it
in its simulator (its text comes back, a non-zero exit status fails the upload), with the documented flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PLATFORMS = REPO / "platformio_plugin" / "platforms"
BOARDS = {
    "native": ("miniml-native", None, ["-ffp-contract=off"]),
    "sim_uno": ("miniml-simavr", "miniml_uno",
                ["-ffp-contract=off", "-mmcu=atmega328p", "-std=gnu++11", "-flto", "-DF_CPU=16000000L"]),
    "sim_stm32": ("miniml-qemu-arm", "miniml_stm32f405",
                  ["-ffp-contract=off", "-mcpu=cortex-m4", "-mfloat-abi=hard", "-fno-exceptions"]),
    "sim_esp32c3": ("miniml-qemu-riscv", "miniml_esp32c3",
                    ["-ffp-contract=off", "-march=rv32imc", "-mabi=ilp32", "-fno-rtti"]),
}
MAIN = r"""
#include "miniml/board_io.h"
volatile int exit_code = EXIT_CODE;
int main() {
  miniml::io::begin();
  miniml::io::print("hello from " BOARD_NAME "\n");
  return exit_code;
}
"""


def _project(tmp_path: Path, env: str, exit_code: int) -> Path:
    platform, board, _ = BOARDS[env]
    proj = tmp_path / ("%s_%d" % (env, exit_code))
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "main.cpp").write_text(MAIN)
    ini = "[env:%s]\nplatform = symlink://%s\n" % (env, PLATFORMS / platform)
    if board:
        ini += "board = %s\n" % board
    ini += "build_flags = -DEXIT_CODE=%d -DBOARD_NAME='\"%s\"' -I%s\n" % (exit_code, env, REPO / "include")
    (proj / "platformio.ini").write_text(ini)
    return proj


def _pio(proj: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(REPO / ".pio-core"), PLATFORMIO_SETTING_ENABLE_TELEMETRY="No")
    pio = str(Path(sys.executable).parent / "pio")
    return subprocess.run([pio, *args], cwd=proj, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module", autouse=True)
def offline_core() -> None:
    if not (REPO / ".pio-core" / "packages" / "tool-scons" / ".piopm").is_file():
        pytest.skip("offline PlatformIO core missing: run scripts/setup.sh")


@pytest.mark.parametrize("env", sorted(BOARDS))
def test_upload_runs_in_simulator_with_documented_flags(env: str, tmp_path: Path) -> None:
    proj = _project(tmp_path, env, 0)
    done = _pio(proj, "run", "-v", "-t", "upload")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "hello from %s" % env in done.stdout
    compile_lines = [line for line in done.stdout.splitlines() if " -c " in line and "main.cpp" in line]
    assert compile_lines, "no compile command in the verbose log"
    for flag in BOARDS[env][2]:
        assert flag in compile_lines[0].split(), flag


@pytest.mark.parametrize("env", ["sim_stm32", "sim_esp32c3", "native"])
def test_upload_fails_when_the_firmware_fails(env: str, tmp_path: Path) -> None:
    done = _pio(_project(tmp_path, env, 3), "run", "-t", "upload")
    assert "hello from %s" % env in done.stdout
    assert done.returncode != 0
