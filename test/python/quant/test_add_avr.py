"""add_s8's narrow-integer path (op_elementwise_s8.h add_s8_scaled, the AVR form of TFLM's ADD: each input
rescaled by AddInputScale, on AVR its asm routine) against the plain add_s8 kernel and add_input_s8, bit for
bit (add_avr_check.cpp), and the output's AddOutputScale against requantize_s8_ref over sums at the edges of its
domain: on the host under ASan/UBSan and on the ATmega in simavr at every optimisation level a build may use; a
deliberately broken AddOutputScale fails the check."""

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


# AddOutputScale's deliberate breaks: the span left out of its product too narrow, the rounding half halved, the
# carry out of q (largest sums and multipliers) ignored.
BREAKS = {
    "span": ("+ e + s > (UINT32_C(1) << 23)", "+ 8 > (UINT32_C(1) << 23)"),
    "rounding": ("const uint32_t q = p + (UINT32_C(1) << 22);", "const uint32_t q = p + (UINT32_C(1) << 21);"),
    "overflow": ("if (q < p) return false;", ""),
}


def _check(counts, out):
    assert counts, out[-2000:]
    assert counts[:4] == [0, 0, 600, 0], (
        "mismatches (AddInputScale, add_s8_scaled), add cases run, AddOutputScale mismatches"
    )
    assert counts[4] > 5000, "AddOutputScale answered too few sums to be checked"


def _host_counts(include, tmp_path):
    exe = tmp_path / "add_check"
    subprocess.run(
        ["g++", *toolchains.HOST_FLAGS, f"-I{include}", str(SRC), "-o", str(exe)], check=True
    )
    return toolchains.check_result([str(exe)], 60)


def test_add_scaled_host(tmp_path):
    _check(*_host_counts(INCLUDE, tmp_path))


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_add_output_broken_fails(name, tmp_path):
    include = toolchains.broken_include(str(tmp_path), "op_elementwise_s8.h", *BREAKS[name])
    counts, out = _host_counts(include, tmp_path)
    assert counts, out[-2000:]
    assert counts[3] > 0, "the broken AddOutputScale (%s) passed the check" % name


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
