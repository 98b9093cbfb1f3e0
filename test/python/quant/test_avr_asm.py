"""The ATmega asm paths of the int8 primitives (and the bit-reading round_to_s8 of the float edges)
compute the reference values at every optimisation level PlatformIO or a user may pick (-Os with LTO
is what once exposed a register-sharing bug)."""

import random
import subprocess
from pathlib import Path

import pytest
import toolchains

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"

LEVELS = {
    "Os": ["-Os"],
    "O2": ["-O2"],
    "Os_lto": [
        "-Os",
        "-ffunction-sections",
        "-fdata-sections",
        "-flto",
        "-fuse-linker-plugin",
        "-Wl,--gc-sections",
    ],
}


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_avr_asm_equals_reference(level, tmp_path):
    rng = random.Random(1)
    weights = ",".join(str(rng.randint(-128, 127)) for _ in range(1200))
    (tmp_path / "wdata.h").write_text(f"static const int8_t kW[1200] PROGMEM = {{{weights}}};\n")
    elf = tmp_path / "check.elf"
    subprocess.run(
        [
            *toolchains.ARCH["avr"],
            "-DF_CPU=16000000UL",
            "-std=gnu++11",
            *LEVELS[level],
            f"-I{INCLUDE}",
            f"-I{tmp_path}",
            str(HERE / "avr_asm_check.cpp"),
            "-o",
            str(elf),
        ],
        check=True,
    )
    counts, out = toolchains.simavr_result(str(elf), 300)
    assert counts, out[-1000:]
    assert counts == [0] * 8, (
        "mismatches (srdhm, rdbpot, Rom dot, Ram dot, mbqm, requantize_s8, round_to_s8, round_q15)"
    )


@pytest.mark.parametrize("level", ["Os_lto", "O0"])
def test_avr_requant_routine_links_once(level, tmp_path):
    """requantize_s8_avr's and requantize_s16_avr's routines are top-level asm in every translation unit
    that includes core_fixedpoint.h: two units link (LTO joins them into one assembly file) to one copy."""
    for name, body in (
        (
            "a.cpp",
            "int8_t fa(int32_t x) { return miniml::ChannelRequant(1518500250, -7, 3, -128, 127)(x); }\n"
            "int32_t fb(int32_t x) { return miniml::requantize_s16(x, 1518500250, -3); }",
        ),
        (
            "b.cpp",
            "int8_t fa(int32_t x);\nint32_t fb(int32_t x);\nvolatile int32_t v = 12345;\n"
            "int main() { return miniml::ChannelRequant(1518500250, -9, 3, -128, 127)(v) + fa(v) +\n"
            "    miniml::requantize_s16(v, 1518500250, -2) + fb(v); }",
        ),
    ):
        (tmp_path / name).write_text('#include "miniml/core_fixedpoint.h"\n' + body + "\n")
    elf = tmp_path / "ab.elf"
    flags = LEVELS[level] if level in LEVELS else ["-" + level]
    subprocess.run(
        [
            *toolchains.ARCH["avr"],
            "-std=gnu++11",
            *flags,
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
    assert syms.count(" miniml_requantize_s8_avr") == 1
    assert syms.count(" miniml_requantize_s16_avr") == 1
