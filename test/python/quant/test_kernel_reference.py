"""The optimised int8 kernels against their plain-loop references (include/miniml/*_ref.h), bit for
bit, on seeded random shapes: conv2d_s8 (im2col matrix product, banded depthwise, the SMLAD/SXTB16/PKH
code of the Cortex-M4 DSP extension, the window path) vs conv2d_s8_ref, plus a grid of depthwise 3x3
edge cases (1-3 pixel maps, strides, paddings, the doubled-accumulator requantisation's limits),
linear_s8 (SMLAD and unrolled dot loops) vs linear_s8_ref, and conv2d_s8_max_pool vs conv2d_s8_ref and
a plain max pool; on the host under ASan/UBSan, on the simulated STM32 (QEMU) with and without the DSP
extension, as Cortex-M0+ code, and on the AVR core in simavr (conv2d_s8_avr and its asm window loop,
conv2d_s8_max_pool_avr and its asm row loop; an ATmega1284P: the Uno's instruction set with SRAM for
the test's buffers)."""

from __future__ import annotations

import re
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
    found = re.search(r"conv_ref: (\d+) cases, 0 mismatches, (\d+) fused", out)
    assert found, out[-2000:]
    # conv + pool cases whose pool does not fit the map are skipped
    assert n + 2 * (n // 4) + n // 8 <= int(found.group(1)) <= n + 3 * (n // 4)
    if build == "avr":
        assert int(found.group(2)) >= n // 20, "too few cases took conv2d_s8_max_pool_avr"
    # The depthwise 3x3 edge grid (shapes, strides, paddings, requantisation limits): all of it ran.
    assert "depthwise_ref: 384 cases, 0 mismatches" in out, out[-2000:]
