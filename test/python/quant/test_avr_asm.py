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
            *toolchains.UNO_CHECK,
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


def acc24_tables(rng: random.Random) -> str:
    """linear_data.h for avr_linear_check.cpp: cases (in_features, rows, weight and per-row
    offsets, zero point, act_min, act_max) inside linear_acc24_s8's domain, over shared flash
    tables. Weights with runs of -128 and 127; biases at +-(2^23 - 1 - 128 sum |w|) (the largest
    sum any input reaches then touches the 24-bit edge), 0 or random within it; multipliers and
    shifts at their edges or random; bounds full, random, or from the zero point up (a fused
    ReLU, whose negative sums skip the requantisation)."""
    w, b, m, s, cases = [], [], [], [], []
    lengths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 64, 100, 127, 128, 200, 254, 255]
    lengths += [rng.randint(1, 255) for _ in range(20)]
    for n in lengths:
        rows = rng.randint(1, max(1, min(40, 500 // n)))
        woff, poff = len(w), len(b)
        for _ in range(rows):
            row = [
                rng.choice((-128, 127)) if rng.random() < 0.3 else rng.randint(-128, 127)
                for _ in range(n)
            ]
            w += row
            room = 2**23 - 1 - 128 * sum(abs(v) for v in row)
            b.append(rng.choice((room, -room, 0, rng.randint(-room, room))))
            m.append(
                rng.choice((0, 1, 2**30, 2**31 - 1))
                if rng.random() < 0.2
                else rng.randint(2**30, 2**31 - 1)
            )
            s.append(rng.choice((-2, -31)) if rng.random() < 0.2 else rng.randint(-31, -2))
        zp = rng.choice((-128, 127, rng.randint(-128, 127)))
        lo, hi = sorted((rng.randint(-128, 127), rng.randint(-128, 127)))
        # full, random, or from the zero point up (a fused ReLU)
        lo, hi = rng.choice(((-128, 127), (lo, hi), (zp, 127)))
        cases.append((n, rows, woff, poff, zp, lo, hi))

    def table(decl, values):
        return (
            f"static const {decl}[{len(values)}] MINIML_ROM = {{{','.join(map(str, values))}}};\n"
        )

    return (
        '#include "miniml/core_rom.h"\n'
        + table("int8_t kW", w)
        + table("int32_t kB", [f"INT32_C({v})" for v in b])
        + table("int32_t kM", [f"INT32_C({v})" for v in m])
        + table("int8_t kS", s)
        + f"static const int16_t kCase[{len(cases)}][7] MINIML_ROM = {{"
        + ",".join("{" + ",".join(map(str, c)) + "}" for c in cases)
        + "};\n"
        + f"static const uint16_t kCases = {len(cases)};\n"
    )


ACC24_LEVELS = {**LEVELS, "O0": ["-O0"], "Og": ["-Og"], "O3": ["-O3"]}


@pytest.mark.parametrize("level", ["host", *sorted(ACC24_LEVELS)])
def test_linear_acc24_equals_reference(level, tmp_path):
    """linear_acc24_s8 (the ATmega's asm routine per layer, top-level asm, so the same code at
    every level; plain linear_s8 on the host under ASan/UBSan) computes linear_s8_ref's bytes."""
    (tmp_path / "linear_data.h").write_text(acc24_tables(random.Random(3)))
    src, exe = HERE / "avr_linear_check.cpp", tmp_path / "linear.elf"
    includes = [f"-I{INCLUDE}", f"-I{tmp_path}"]
    if level == "host":
        subprocess.run(
            ["g++", *toolchains.HOST_FLAGS, *includes, str(src), "-o", str(exe)], check=True
        )
        out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
        counts = [int(v) for v in out.split("RESULT ")[1].split(" END")[0].split()]
    else:
        subprocess.run(
            [
                *toolchains.UNO_CHECK,
                *ACC24_LEVELS[level],
                *toolchains.WARN,
                *includes,
                str(src),
                "-o",
                str(exe),
            ],
            check=True,
        )
        counts, out = toolchains.simavr_result(str(exe), 300)
    assert counts and counts[0] == 200 and counts[1] == 0, out[-1000:]


@pytest.mark.parametrize("level", ["Os_lto", "O0"])
def test_avr_requant_routine_links_once(level, tmp_path):
    """requantize_s8_avr's, requantize_s16_avr's, linear_acc24_s8's and quantize_s8's routines are
    top-level asm in every translation unit that includes their headers: two units link (LTO joins
    them into one assembly file) to one copy each."""
    layer = (
        "static const int8_t kW[2] MINIML_ROM = {1, 2};\n"
        "static const int32_t kB[1] MINIML_ROM = {3}, kM[1] MINIML_ROM = {1073741824};\n"
        "static const int8_t kS[1] MINIML_ROM = {-3};\n"
        "static int8_t layer(int8_t x) {\n"
        "  int8_t in[2] = {x, 1}, out[1];\n"
        "  const float f[2] = {1.5f, -2.0f};\n"
        "  miniml::quantize_s8(f, 2, 0.25f, x, in);\n"
        "  miniml::linear_acc24_s8<miniml::Rom>(in, kW, kB, kM, kS, 0, -128, 127, 2, 1, out);\n"
        "  return out[0];\n"
        "}\n"
    )
    for name, body in (
        (
            "a.cpp",
            "int8_t fa(int32_t x) {\n"
            "  return miniml::ChannelRequant(1518500250, -7, 3, -128, 127)(x) + layer(1);\n"
            "}\n"
            "int32_t fb(int32_t x) { return miniml::requantize_s16(x, 1518500250, -3); }",
        ),
        (
            "b.cpp",
            "int8_t fa(int32_t x);\nint32_t fb(int32_t x);\nvolatile int32_t v = 12345;\n"
            "int main() {\n"
            "  return miniml::ChannelRequant(1518500250, -9, 3, -128, 127)(v) + fa(v) + layer(2) +\n"
            "         miniml::requantize_s16(v, 1518500250, -2) + fb(v);\n"
            "}",
        ),
    ):
        includes = '#include "miniml/op_linear_s8.h"\n#include "miniml/op_quantize.h"\n'
        (tmp_path / name).write_text(includes + layer + body + "\n")
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
    assert syms.count(" miniml_linear_s8_avr") == 1
    assert syms.count(" miniml_quantize_s8_avr") == 1
