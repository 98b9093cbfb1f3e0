"""conv2d_s8_gemm (the exporter's call for one-group conv2d layers; on the Cortex-M4 DSP extension a
matrix product of its own, op_conv_s8_gemm.h) against conv2d_s8_ref, bit for bit, per specialisation
over edge shapes (gemm_ref_check.cpp): on the host under ASan/UBSan, on the simulated STM32 (QEMU) with
and without the DSP extension, and as Cortex-M0+ code (the plain fallback)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import miniml
import numpy as np
import pytest
import toolchains
import torch
import torch.nn as nn

REPO = Path(__file__).resolve().parents[3]
SRC = Path(__file__).with_name("gemm_ref_check.cpp")
ARM = [*toolchains.NO_EH, *toolchains.PICOLIBC_SEMIHOST, toolchains.MEMORY["stm32"]]
CASES = 24

BUILDS = {
    "host": ["g++", *toolchains.HOST_FLAGS],
    "cortex_m4_dsp": [*toolchains.cxx("cortex_m4f", cc="arm-none-eabi-gcc"), "-x", "c++", *ARM],
    "cortex_m4_no_dsp": [
        *toolchains.cxx("cortex_m4f", cc="arm-none-eabi-gcc"), "-x", "c++", "-DMINIML_NO_DSP", *ARM,
    ],
    "cortex_m0plus": [
        "arm-none-eabi-gcc", "-mcpu=cortex-m0plus", "-mthumb", "-Os", "-std=gnu++11", "-x", "c++", *ARM,
    ],
}


@pytest.mark.parametrize("build", BUILDS)
def test_gemm_equals_reference(build, tmp_path):
    elf = tmp_path / "gemm_ref.elf"
    subprocess.run(
        [*BUILDS[build], f"-DCASES={CASES}", *toolchains.WARN, f"-I{REPO / 'include'}", str(SRC),
         "-o", str(elf)],
        check=True,
    )
    if build == "host":
        r = subprocess.run([str(elf)], capture_output=True, text=True, timeout=120)
        out = r.stdout
    else:
        syms = subprocess.run(["arm-none-eabi-nm", "-C", str(elf)], capture_output=True,
                              text=True).stdout
        # The DSP build runs the matrix product (and only it: the others take conv2d_s8).
        assert ("gemm_conv2d_s8_dsp" in syms) == (build == "cortex_m4_dsp")
        r = subprocess.run(toolchains.run_cmd(str(elf), 120), capture_output=True, text=True,
                           timeout=180)
        out = r.stdout + r.stderr
    assert r.returncode == 0, out[-2000:]
    n = 8 * CASES + 4 * (CASES // 2) + 3 * (CASES // 4)
    assert f"gemm_ref: {n} cases, 0 mismatches" in out, out[-2000:]


def test_exporter_calls_gemm_for_one_group_convs(tmp_path):
    """Generated code: a one-group conv2d calls conv2d_s8_gemm with its window as template arguments
    (1x1 or not), a depthwise one conv2d_s8."""
    torch.manual_seed(3)
    m = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.ReLU(),
        nn.Conv2d(4, 6, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(6 * 16, 2),
    ).eval()
    cal = np.random.default_rng(3).standard_normal((32, 1, 4, 4)).astype(np.float32)
    miniml.export(m, torch.zeros(1, 1, 4, 4), "g", str(tmp_path), quantize="int8", calibration=cal)
    text = (tmp_path / "g.h").read_text()
    assert '#include "miniml/op_conv_s8_gemm.h"' in text
    assert text.count("miniml::conv2d_s8_gemm<miniml::Rom, 1, 3, 3>(") == 1
    assert text.count("miniml::conv2d_s8_gemm<miniml::Rom, 4, 1, 1>(") == 1
    assert text.count("miniml::conv2d_s8<miniml::Rom>(") == 1  # the depthwise layer
    # A conv whose only reader is a max pool: the fused call, with the window.
    m = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(16, 2)).eval()
    miniml.export(m, torch.zeros(1, 1, 4, 4), "p", str(tmp_path), quantize="int8", calibration=cal)
    assert "miniml::conv2d_s8_gemm_max_pool<miniml::Rom, 1, 3, 3>(" in (tmp_path / "p.h").read_text()
