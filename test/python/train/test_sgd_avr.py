"""The SGD step of a Linear weight (train_sgd.h linear_weight_sgd_f32 with the zero-input skip) equals the plain
C loop beside it bit for bit: in simavr the ATmega asm (core_float_avr.h dot_f32_avr_mul's SGD mode, which a
header learning with plain SGD turns on with MINIML_LEARN_SGD) at the optimisation levels a build may use, also
beside optimize="speed"'s dot, and the C loop without it; on the host under ASan/UBSan. Hard operands in
cpp/sgd_row_check.cpp."""

import subprocess
from pathlib import Path

import pytest
import toolchains

CPP = Path(__file__).resolve().parent / "cpp"
INCLUDE = Path(__file__).resolve().parents[3] / "include"
ROWS = 1500
LEVELS = {"O0": ["-O0"], "Os_lto": ["-Os", "-flto", "-fuse-linker-plugin"], "O2": ["-O2"]}
SOURCES = [f"-DROWS={ROWS}", str(CPP / "sgd_row_check.cpp")]


def _assert_same(counts, out):
    assert counts, out[-1000:]
    *bad, weights, fast, dense_rows = counts
    assert weights >= ROWS and fast >= weights // 4 and dense_rows >= ROWS // 4, out
    assert bad == [0, 0, 0], "mismatches (skip loop, plain loop, dense step): " + out[-600:]


# The asm at every level, beside the speed dot at one; the C loop (no MINIML_LEARN_SGD) at one.
SGD = ["-DMINIML_LEARN_SGD"]
DEFINES = {"sgd": SGD, "sgd_speed": [*SGD, "-DMINIML_OPTIMIZE_SPEED"], "c_loop": []}
BUILDS = [("sgd", level) for level in sorted(LEVELS)] + [
    ("sgd_speed", "Os_lto"),
    ("c_loop", "Os_lto"),
]


def _avr_counts(tmp_path, build, level, include=INCLUDE):
    elf = tmp_path / "check.elf"
    flags = [
        "-ffp-contract=off",
        "-Wall",
        "-Wextra",
        "-Werror",
        *DEFINES[build],
        *LEVELS[level],
        f"-I{include}",
    ]
    subprocess.run([*toolchains.UNO_CHECK, *flags, *SOURCES, "-o", str(elf)], check=True)
    return toolchains.simavr_result(str(elf), 120)


@pytest.mark.parametrize("build,level", BUILDS)
def test_avr_sgd_row_equals_c_loop(build, level, tmp_path):
    _assert_same(*_avr_counts(tmp_path, build, level))


# Broken copies of the asm the check must catch: ties rounded to odd, a -0 weight skipped like +0, the fast
# path's lower exponent edge one too far (a product below the normal range is packed as a normal one), a
# weight stored one place off, the own add's sticky borrow dropped (a weight minus a step whose low bits
# leave the guard byte).
BREAKS = {
    "ties": ("sbrs r27, 0\\n", "sbrc r27, 0\\n"),
    "minus_zero": ("cpi r26, 0x80", "cpi r26, 0x00"),
    "edge": ("cpi r26, 127\\n", "cpi r26, 126\\n"),
    "store": ("st Z+, r14\\n\\tst Z+, r15", "st Z+, r15\\n\\tst Z+, r14"),
    "sticky_borrow": ("cpi r30, 1\\n", "cpi r30, 0\\n"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_broken_sgd_row_fails_the_check(name, tmp_path):
    broken = Path(toolchains.broken_include(str(tmp_path), "core_float_avr.h", *BREAKS[name]))
    counts, out = _avr_counts(tmp_path, "sgd", "Os_lto", broken)
    assert counts and counts[0] > 0, out[-600:]


def test_host_sgd_row_equals_c_loop(tmp_path):
    exe = tmp_path / "check"
    subprocess.run(
        ["g++", *toolchains.HOST_FLAGS, f"-I{INCLUDE}", *SOURCES, "-o", str(exe)], check=True
    )
    _assert_same(*toolchains.check_result([str(exe)], 60))
