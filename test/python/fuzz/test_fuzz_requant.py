"""requantize_s8 and requantize_s16 on the ATmega (core_fixedpoint.h: the asm routines requantize_s8_avr and
requantize_s16_avr, and the generic entries that take them) equal TFLM's plain int64 requantisation on an edge
sweep (every shift -2..-31, the 16- and 24-bit ends of the accumulator, multipliers 0, 1, 2^30, 2^31 - 1, the
int8 ends of zero point and bounds, requantize_s16's saturation edges) and on random operands: the routines'
arithmetic written out in C on the host under ASan + UBSan (100x the cases), the routines themselves in simavr
at the optimisation levels a build may use. CI runs MINIML_FUZZ_REQUANTS random cases (default 8000, seconds);
`make fuzz` runs a million."""

import os
import subprocess
from pathlib import Path

import pytest
import toolchains

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"
CASES = int(os.environ.get("MINIML_FUZZ_REQUANTS", "8000"))
LEVELS = {"Os_lto": ["-Os", "-flto", "-fuse-linker-plugin"], "O2": ["-O2"]}


def _check(counts, out):
    assert counts, out[-1000:]
    bad_formula, bad_routine, bad_generic, bad_s16, exact_carries, cases = counts
    assert cases >= CASES
    assert exact_carries > 0, "no case reached the routine's exact carry path"
    assert (bad_formula, bad_routine, bad_generic, bad_s16) == (0, 0, 0, 0), (
        "mismatches (formula, routine, generic requantize_s8, requantize_s16)"
    )


def test_requant_formula_host(tmp_path):
    exe = tmp_path / "requant_check"
    subprocess.run(
        [
            "g++",
            *toolchains.HOST_FLAGS,
            f"-DCASES={CASES * 100}UL",
            f"-I{INCLUDE}",
            str(HERE / "requant_check.cpp"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    _check([int(v) for v in out.split()[1:7]], out)


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_requant_avr_equals_reference(level, tmp_path):
    elf = tmp_path / "check.elf"
    subprocess.run(
        [
            *toolchains.UNO_CHECK,
            *toolchains.WARN,
            *LEVELS[level],
            f"-DCASES={CASES}UL",
            f"-I{INCLUDE}",
            str(HERE / "requant_check.cpp"),
            "-o",
            str(elf),
        ],
        check=True,
    )
    _check(*toolchains.simavr_result(str(elf), 60 + CASES / 500))
