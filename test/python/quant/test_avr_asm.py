"""The ATmega asm paths of the int8 primitives (and the bit-reading round_to_s8 of the float edges)
compute the reference values at every optimisation level PlatformIO or a user may pick (-Os with LTO
is what once exposed a register-sharing bug)."""

import random
import re
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
    run = subprocess.run(
        toolchains.simavr_cmd(str(elf), 300),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    found = re.search(r"RESULT ([\d ]+) END", run.stdout + run.stderr)
    assert found, (run.stdout + run.stderr)[-1000:]
    assert found.group(1).split() == ["0"] * 7, (
        "mismatches (srdhm, rdbpot, Rom dot, Ram dot, mbqm, requantize_s8, round_to_s8)"
    )
