"""The int8 headers build for the microcontrollers (-Wall -Wextra -Werror, every kernel instantiated
with Rom and Ram), and the Cortex-M4 SMLAD dot product equals the plain loop when run under QEMU."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import toolchains

REPO = Path(__file__).resolve().parents[3]
SRC = Path(__file__).with_name("instantiate_s8.cpp")
BUILD = REPO / "build" / "test_quant"
WARN = toolchains.WARN
ARM_LINK = [*toolchains.PICOLIBC_SEMIHOST, toolchains.MEMORY["stm32"], "-lm"]

TARGETS = {
    "avr_atmega328p": toolchains.cxx("avr"),
    "cortex_m4_dsp": ["arm-none-eabi-g++", "-mcpu=cortex-m4", "-mthumb", "-Os", "-std=c++11"],
    "cortex_m4_no_dsp": [
        "arm-none-eabi-g++",
        "-mcpu=cortex-m4",
        "-mthumb",
        "-Os",
        "-std=c++11",
        "-DMINIML_NO_DSP",
    ],
    "cortex_m0plus": ["arm-none-eabi-g++", "-mcpu=cortex-m0plus", "-mthumb", "-Os", "-std=c++11"],
    "rv32imc": [*toolchains.cxx("rv32imc"), "--specs=picolibc.specs"],
    "xtensa_lx106": [*toolchains.cxx("lx106"), "--specs=/usr/lib/xtensa-lx106-elf/picolibc.specs"],
}


@pytest.mark.parametrize("target", TARGETS)
def test_headers_build_for_target(target, tmp_path):
    cmd = TARGETS[target]
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} not installed")
    obj = tmp_path / "k.o"
    r = subprocess.run(
        [*cmd, *WARN, f"-I{REPO / 'include'}", "-c", str(SRC), "-o", str(obj)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert obj.stat().st_size > 0


@pytest.mark.parametrize("dsp", [True, False], ids=["dsp", "no_dsp"])
def test_dot_s8_dsp_equals_plain_on_qemu(dsp):
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip("arm toolchain or qemu missing")
    BUILD.mkdir(parents=True, exist_ok=True)
    elf = BUILD / f"dot_s8_{'dsp' if dsp else 'plain'}.elf"
    flags = [] if dsp else ["-DMINIML_NO_DSP"]
    subprocess.run(
        [
            *toolchains.cxx("cortex_m4f", cc="arm-none-eabi-gcc"),
            "-x",
            "c++",
            *toolchains.NO_EH,
            "-DMINIML_MAIN",
            *flags,
            *WARN,
            f"-I{REPO / 'include'}",
            str(SRC),
            *ARM_LINK,
            "-o",
            str(elf),
        ],
        check=True,
    )
    dis = subprocess.run(
        ["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True
    ).stdout
    assert ("smlad" in dis) == dsp
    r = subprocess.run(
        [
            "qemu-system-arm",
            "-M",
            "netduinoplus2",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-semihosting",
            "-kernel",
            str(elf),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0, f"exit {r.returncode}: DSP dot product differs from the plain loop"
