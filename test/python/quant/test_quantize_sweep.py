"""quantize_s8's codes over a sweep of float bit patterns (quantize_sweep_check.cpp): the ATmega's asm routine
(op_quantize_avr.h) at several optimisation levels, and on the host (ASan/UBSan) the C model of its arithmetic,
both against round(x / scale) + zero point as TFLM computes it and against the C path kept beside the routine;
a routine broken on purpose (its near-half window, a partial product, the division's rounding, the negative
clamp) must be caught."""

import subprocess
from pathlib import Path

import pytest
import toolchains
from test_avr_asm import LEVELS as AVR_LEVELS

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"
SRC = HERE / "quantize_sweep_check.cpp"

LEVELS = {**AVR_LEVELS, "O0": ["-O0"]}


def sweep_counts(include: Path, flags, tmp_path: Path, host: bool = False):
    exe = tmp_path / ("sweep" if host else "sweep.elf")
    if host:
        subprocess.run(
            ["g++", *toolchains.HOST_FLAGS, f"-I{include}", str(SRC), "-o", str(exe)], check=True
        )
        return toolchains.check_result([str(exe)], 120)
    subprocess.run(
        [*toolchains.UNO_CHECK, *flags, *toolchains.WARN, f"-I{include}", str(SRC), "-o", str(exe)],
        check=True,
    )
    return toolchains.simavr_result(str(exe), 120)


def assert_exact(counts, out):
    assert counts, out[-1000:]
    values, bad, model_bad, undecided, must_divide, keep_bad = counts
    assert values >= 39000
    assert (bad, model_bad, keep_bad) == (0, 0, 0), counts
    # the sweep reaches the near halves, some of which only the division rounds right
    assert undecided >= values // 4 and must_divide >= 50, counts


@pytest.mark.parametrize("level", ["host", *sorted(LEVELS)])
def test_sweep_equals_division(level, tmp_path):
    assert_exact(*sweep_counts(INCLUDE, LEVELS.get(level), tmp_path, host=level == "host"))


BROKEN = {
    "window": ('"cpi r22, 65\\n\\t"', '"cpi r22, 1\\n\\t"'),
    "product": ('"mul r23, r15\\n\\tmovw r18, r0\\n\\t"', '"mul r23, r14\\n\\tmovw r18, r0\\n\\t"'),
    "division_rounding": ('"ldi r18, 8\\n\\t"', '"ldi r18, 7\\n\\t"'),
    "negative_clamp": ('"sub r24, r26\\n\\t"', '"add r24, r26\\n\\t"'),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_broken_routine_is_caught(broken, tmp_path):
    """The sweep fails a copy of the headers whose routine differs by one instruction."""
    old, new = BROKEN[broken]
    include = Path(toolchains.broken_include(str(tmp_path), "op_quantize_avr.h", old, new))
    counts, out = sweep_counts(include, ["-Os"], tmp_path)
    assert counts and counts[1] > 0, out[-1000:]
