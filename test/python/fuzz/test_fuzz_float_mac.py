"""linear_f32's float dot product (core_float_avr.h detail::dot_f32) equals the plain loop of separate
operations bit for bit, on random and edge operands (subnormals, Inf, NaN, signed zeros, overflow,
cancellation, ties, many +-0 activations), weights in flash and in SRAM, single taps and chains, and sums of
chosen operands (every alignment, ties, sticky bits, carries, cancellation, the exponent edges): in simavr
against avr-libc's __mulsf3 / __addsf3 for the ATmega asm MAC (optimize="speed"), the size build's loop and its
learning firmware's form (its own add), at the optimisation levels a build may use, with broken copies of that
add shown to fail; and on the host under ASan/UBSan. CI runs
MINIML_FUZZ_MACS taps (default 40k, a few seconds); `make fuzz` runs millions."""

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
LEVELS = {"Os_lto": ["-Os", "-flto", "-fuse-linker-plugin"], "O2": ["-O2"], "O3": ["-O3"], "Og": ["-Og"], "O0": ["-O0"]}
# The asm MAC (export option optimize="speed"), or the default size build's dot_f32_avr_mul, also with its SGD
# mode compiled in (MINIML_LEARN_SGD, a header that learns with plain SGD).
BUILDS = {"speed": ["-DMINIML_OPTIMIZE_SPEED"], "size": [], "size_sgd": ["-DMINIML_LEARN_SGD"]}
# Every build at every level; the SGD mode (naked asm, the same code at every level) at three.
RUNS = [(b, lv) for b in sorted(BUILDS) for lv in sorted(LEVELS) if b != "size_sgd" or lv in ("O0", "Os_lto", "O2")]


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


def _check_args(tmp_path, include=INCLUDE, macs=MACS):
    """float_mac_check.cpp's sources and defines, with its weights written to tmp_path/wdata.h."""
    words = _weights(random.Random(17))
    assert struct.unpack("<f", struct.pack("<I", words[0]))  # plain 32-bit patterns
    (tmp_path / "wdata.h").write_text(
        "static const uint16_t kWeights = %d;\nstatic const uint32_t kWbits[] PROGMEM = {%s};\n"
        % (len(words), ",".join("0x%08xUL" % w for w in words))
    )
    return [f"-DMACS={macs}UL", f"-I{include}", f"-I{tmp_path}", str(HERE / "float_mac_check.cpp")]


def _assert_no_mismatch(counts, out):
    assert counts, out[-1000:]
    *mismatches, taps = counts
    assert taps >= MACS
    assert mismatches == [0] * 7, "mismatches (single Ram, single Rom, chain Ram, chain Rom, product, relu, sum): " + out[-600:]


@pytest.mark.parametrize("build,level", RUNS)
def test_avr_float_mac_equals_separate_ops(build, level, tmp_path):
    elf = tmp_path / "check.elf"
    subprocess.run(
        [
            *toolchains.UNO_CHECK,
            "-ffp-contract=off",
            *BUILDS[build],
            "-Wall",
            "-Wextra",
            "-Werror",
            *LEVELS[level],
            *_check_args(tmp_path),
            "-o",
            str(elf),
        ],
        check=True,
    )
    _assert_no_mismatch(*toolchains.simavr_result(str(elf), 60 + MACS / 2000))


# Broken copies of the SGD build's own add that the sums must catch: ties rounded away from zero, the sticky bits
# of the alignment dropped, the sticky borrow of a difference dropped, a difference not renormalised, a
# difference allowed one binade closer (then it can lose two bits), a sum's carry not counted in the exponent.
BREAKS = {
    "ties_away": ("sbrs r27, 0\\n\\trjmp 3f\\n", "nop\\n\\tnop\\n"),
    "sticky_bytes": ("or r30, r25\\n\\tmov r25, r27", "nop\\n\\tmov r25, r27"),
    "sticky_borrow": ("cpi r30, 1\\n", "cpi r30, 0\\n"),
    "renormalise": ("rjmp .Lminiml_fmul_norm\\n", "rjmp .Lminiml_fmul_round\\n"),
    "cancel_edge": ("cpi r23, 2\\n", "cpi r23, 1\\n"),
    "carry": ("ror r25\\n\\tinc r26\\n", "ror r25\\n\\tnop\\n"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_broken_sum_fails_the_check(name, tmp_path):
    include = toolchains.broken_include(str(tmp_path), "core_float_avr.h", *BREAKS[name])
    elf = tmp_path / "check.elf"
    args = _check_args(tmp_path, include, 4000)
    subprocess.run([*toolchains.UNO_CHECK, "-ffp-contract=off", *BUILDS["size_sgd"], "-Os", *args, "-o", str(elf)], check=True)
    counts, out = toolchains.simavr_result(str(elf), 60)
    assert counts and counts[6] > 0, out[-600:]


def test_host_float_dot_equals_plain_loop(tmp_path):
    """The host's dot_f32 is dot_f32_skip_zeros (floats count as soft there, to test these forms): bit for bit
    the plain loop under ASan/UBSan."""
    exe = tmp_path / "check"
    subprocess.run(["g++", *toolchains.HOST_FLAGS, *_check_args(tmp_path), "-o", str(exe)], check=True)
    _assert_no_mismatch(*toolchains.check_result([str(exe)], 60 + MACS / 10000))
