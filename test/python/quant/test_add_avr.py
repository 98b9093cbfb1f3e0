"""add_s8's narrow-integer path (op_elementwise_s8.h add_s8_scaled, the AVR form of TFLM's ADD: each input
rescaled by AddInputScale, on AVR its asm routine) against the plain add_s8 kernel and add_input_s8, bit for
bit (add_avr_check.cpp): on the host under ASan/UBSan and on the ATmega in simavr at every optimisation level
a build may use."""

import subprocess
from pathlib import Path

import pytest
import toolchains

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"
SRC = HERE / "add_avr_check.cpp"
LEVELS = {
    "O0": ["-O0"],
    "Os": ["-Os"],
    "O2": ["-O2"],
    "Os_lto": ["-Os", "-flto", "-fuse-linker-plugin"],
}


def _check(counts, out):
    assert counts, out[-2000:]
    assert counts == [0, 0, 600], "mismatches (AddInputScale, add_s8_scaled), add cases run"


def test_add_scaled_host(tmp_path):
    exe = tmp_path / "add_check"
    subprocess.run(
        ["g++", *toolchains.HOST_FLAGS, f"-I{INCLUDE}", str(SRC), "-o", str(exe)], check=True
    )
    _check(*toolchains.check_result([str(exe)], 60))


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_add_scaled_avr(level, tmp_path):
    elf = tmp_path / "add_check.elf"
    subprocess.run(
        [
            *toolchains.UNO_CHECK,
            *LEVELS[level],
            *toolchains.WARN,
            f"-I{INCLUDE}",
            str(SRC),
            "-o",
            str(elf),
        ],
        check=True,
    )
    _check(*toolchains.simavr_result(str(elf), 300))
