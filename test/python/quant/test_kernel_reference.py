"""The optimised int8 kernels against their plain-loop references (include/miniml/*_ref.h), bit for
bit, on seeded random shapes: conv2d_s8 (im2col matrix product, banded depthwise, the SMLAD/SXTB16/PKH
code of the Cortex-M4 DSP extension, the window path) vs conv2d_s8_ref, plus a grid of depthwise 3x3
edge cases (1-3 pixel maps, strides, paddings, the doubled-accumulator requantisation's limits), and
linear_s8 (SMLAD and unrolled dot loops) vs linear_s8_ref; on the host under ASan/UBSan, on the simulated STM32 (QEMU) with
and without the DSP extension, as Cortex-M0+ code, and on the AVR core in simavr (conv2d_s8_avr and its
asm window loop; an ATmega1284P: the Uno's instruction set with SRAM for the test's buffers)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import toolchains

REPO = Path(__file__).resolve().parents[3]
SRC = Path(__file__).with_name("kernel_ref_check.cpp")
ARM = [*toolchains.NO_EH, *toolchains.PICOLIBC_SEMIHOST, toolchains.MEMORY["stm32"]]

BUILDS = {
    "host": ["g++", *toolchains.HOST_FLAGS, "-DCASES=1500"],
    "cortex_m4_dsp": [*toolchains.cxx("cortex_m4f", cc="arm-none-eabi-gcc"), "-x", "c++", *ARM],
    "cortex_m4_no_dsp": [
        *toolchains.cxx("cortex_m4f", cc="arm-none-eabi-gcc"),
        "-x",
        "c++",
        "-DMINIML_NO_DSP",
        *ARM,
    ],
    "cortex_m0plus": [
        "arm-none-eabi-gcc",
        "-mcpu=cortex-m0plus",
        "-mthumb",
        "-Os",
        "-std=gnu++11",
        "-x",
        "c++",
        *ARM,
    ],
    "avr": ["avr-g++", "-mmcu=atmega1284p", "-DF_CPU=16000000UL", "-Os", "-std=gnu++11"],
}


@pytest.mark.parametrize("build", BUILDS)
def test_kernels_equal_reference(build, tmp_path):
    elf = tmp_path / "conv_ref.elf"
    cases = [] if build == "host" else ["-DCASES=400"]
    subprocess.run(
        [
            *BUILDS[build],
            *cases,
            *toolchains.WARN,
            f"-I{REPO / 'include'}",
            str(SRC),
            "-o",
            str(elf),
        ],
        check=True,
    )
    if build == "host":
        r = subprocess.run([str(elf)], capture_output=True, text=True, timeout=120)
        out = r.stdout
    elif build == "avr":
        cmd = ["timeout", "300", "simavr", "-m", "atmega1284p", "-f", "16000000", str(elf)]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        out = r.stdout + r.stderr
    else:
        dis = subprocess.run(
            ["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True
        ).stdout
        assert ("smlad" in dis) == (build == "cortex_m4_dsp")
        r = subprocess.run(
            toolchains.run_cmd(str(elf), 120), capture_output=True, text=True, timeout=180
        )
        out = r.stdout + r.stderr
    assert "mismatches" in out, out[-2000:]
    assert r.returncode == 0, out[-2000:]
    n = 1500 if build == "host" else 400
    assert f"conv_ref: {n + 2 * (n // 4)} cases, 0 mismatches" in out
    # The depthwise 3x3 edge grid (shapes, strides, paddings, requantisation limits): all of it ran.
    assert "depthwise_ref: 384 cases, 0 mismatches" in out, out[-2000:]
