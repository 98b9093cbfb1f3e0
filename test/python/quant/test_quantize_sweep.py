"""quantize_s8's codes over a sweep of float bit patterns (quantize_sweep_check.cpp): the ATmega's asm routine
(op_quantize_avr.h) at several optimisation levels, and on the host (ASan/UBSan) the C model of its arithmetic,
both against round(x / scale) + zero point as TFLM computes it and against the C path kept beside the routine;
a routine broken on purpose (its near-half window, a partial product, the division's rounding, the negative
clamp) must be caught."""

import shutil
import subprocess
from pathlib import Path

import pytest
import toolchains

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"
SRC = HERE / "quantize_sweep_check.cpp"

LEVELS = {
    "O0": ["-O0"],
    "Os": ["-Os"],
    "O2": ["-O2"],
    "Os_lto": ["-Os", "-flto", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"],
}


def sweep_counts(include: Path, flags, tmp_path: Path, host: bool = False):
    exe = tmp_path / ("sweep" if host else "sweep.elf")
    if host:
        subprocess.run(["g++", *toolchains.HOST_FLAGS, f"-I{include}", str(SRC), "-o", str(exe)], check=True)
        return toolchains.check_result([str(exe)], 120)
    subprocess.run(
        [*toolchains.UNO_CHECK, *flags, *toolchains.WARN, f"-I{include}", str(SRC), "-o", str(exe)], check=True
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
    "window": ('"cpi r18, 65\\n\\t"', '"cpi r18, 1\\n\\t"'),
    "product": ('"mul r23, r15\\n\\tmovw r18, r0\\n\\t"', '"mul r23, r14\\n\\tmovw r18, r0\\n\\t"'),
    "division_rounding": ('"ldi r18, 8\\n\\t"', '"ldi r18, 7\\n\\t"'),
    "negative_clamp": ('"sub r24, r26\\n\\t"', '"add r24, r26\\n\\t"'),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_broken_routine_is_caught(broken, tmp_path):
    """The sweep fails a copy of the headers whose routine differs by one instruction."""
    include = tmp_path / "include"
    shutil.copytree(INCLUDE, include)
    header = include / "miniml" / "op_quantize_avr.h"
    old, new = BROKEN[broken]
    text = header.read_text()
    assert text.count(old) == 1
    header.write_text(text.replace(old, new))
    counts, out = sweep_counts(include, ["-Os"], tmp_path)
    assert counts and counts[1] > 0, out[-1000:]


@pytest.mark.parametrize("level", ["Os_lto", "O0"])
def test_routine_links_once(level, tmp_path):
    """The routine is top-level asm in every translation unit that includes op_quantize.h: two units that
    quantize link (LTO joins them into one assembly file) to one copy."""
    for name, body in (
        ("a.cpp", "bool fa(const float* x, int8_t* q) { miniml::quantize_s8(x, 2, 0.5f, 3, q); return q[0]; }"),
        (
            "b.cpp",
            "bool fa(const float* x, int8_t* q);\nfloat x[2] = {1.0f, -2.0f};\nint8_t q[2], k[2];\n"
            "int main() {\n"
            "  miniml::quantize_s8_keep(x, 2, 0.25f, -1, q, k);\n"
            "  return fa(x, q) + miniml::quantize_s8_matches(x, 2, 0.25f, -1, k);\n"
            "}",
        ),
    ):
        (tmp_path / name).write_text('#include "miniml/op_quantize.h"\n' + body + "\n")
    elf = tmp_path / "ab.elf"
    subprocess.run(
        [
            *toolchains.ARCH["avr"],
            "-std=gnu++11",
            *LEVELS[level],
            *toolchains.WARN,
            f"-I{INCLUDE}",
            str(tmp_path / "a.cpp"),
            str(tmp_path / "b.cpp"),
            "-o",
            str(elf),
        ],
        check=True,
    )
    syms = subprocess.run(["avr-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    assert syms.count(" miniml_quantize_s8_avr") == 1
