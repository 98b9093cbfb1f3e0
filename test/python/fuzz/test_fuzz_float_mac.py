"""The ATmega float multiply-accumulate of core_float_avr.h (linear_f32's dot product) equals the plain loop
of separate avr-libc __mulsf3 / __addsf3 calls bit for bit, run in simavr on random and edge operands
(subnormals, Inf, NaN, signed zeros, overflow, cancellation, ties), weights in flash and in SRAM, single
taps and chains, at the optimisation levels a build may use. CI runs MINIML_FUZZ_MACS taps (default 40k,
a few seconds); `make fuzz` runs millions."""

import os
import random
import struct
import subprocess
from pathlib import Path

import pytest
import toolchains

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parents[2] / "include"
MACS = int(os.environ.get("MINIML_FUZZ_MACS", "40000"))
LEVELS = {"Os_lto": ["-Os", "-flto", "-fuse-linker-plugin"], "O2": ["-O2"], "O0": ["-O0"]}


def _weights(rng, n=512):
    """Flash weights: random bit patterns, edge values, and floats in a few ranges of binades."""
    edges = [0x0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x00800000, 0x7F7FFFFF, 0x1, 0x007FFFFF]
    out = []
    for i in range(n):
        kind = i % 8
        if kind == 0:
            out.append(rng.getrandbits(32))
        elif kind == 1:
            out.append(rng.choice(edges))
        else:
            lo, hi = [(0, 40), (200, 254)][kind - 2] if kind < 4 else (100, 154)
            mant = rng.getrandbits(23) & (0x7FF000 if rng.random() < 0.25 else 0x7FFFFF)
            out.append((rng.getrandbits(1) << 31) | (rng.randint(lo, hi) << 23) | mant)
    return out


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_avr_float_mac_equals_separate_ops(level, tmp_path):
    words = _weights(random.Random(17))
    assert struct.unpack("<f", struct.pack("<I", words[0]))  # plain 32-bit patterns
    (tmp_path / "wdata.h").write_text(
        "static const uint16_t kWeights = %d;\nstatic const uint32_t kWbits[] PROGMEM = {%s};\n"
        % (len(words), ",".join("0x%08xUL" % w for w in words))
    )
    elf = tmp_path / "check.elf"
    subprocess.run(
        [
            *toolchains.ARCH["avr"],
            "-DF_CPU=16000000UL",
            "-std=gnu++11",
            "-ffp-contract=off",
            "-DMINIML_OPTIMIZE_SPEED",  # the asm MAC; without it dot_f32 is the plain loop
            "-Wall",
            "-Wextra",
            "-Werror",
            *LEVELS[level],
            f"-DMACS={MACS}UL",
            f"-I{INCLUDE}",
            f"-I{tmp_path}",
            str(HERE / "float_mac_check.cpp"),
            "-o",
            str(elf),
        ],
        check=True,
    )
    counts, out = toolchains.simavr_result(str(elf), 60 + MACS / 2000)
    assert counts, out[-1000:]
    *mismatches, taps = counts
    assert taps >= MACS
    assert mismatches == [0, 0, 0, 0], "mismatches (single Ram, single Rom, chain Ram, chain Rom): " + out[-600:]
