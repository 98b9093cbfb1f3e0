"""The cycle/instruction counters (scripts/counters) count a known snippet exactly and deterministically.

Each board's snippet is built three times, identical except for N nops inside one marked region: the count must
grow by exactly N (one cycle or one instruction per nop) and repeat bit for bit on a second run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import toolchains

REPO = Path(__file__).resolve().parents[3]
COUNTERS = REPO / "scripts" / "counters"
AVR_EXIT = REPO / "platformio_plugin" / "platforms" / "miniml-simavr" / "runtime" / "miniml_sim_exit.c"

SNIPPET = r"""
#include "miniml_bench.h"
MINIML_BENCH_STORAGE
#define STR2(x) #x
#define STR(x) STR2(x)
volatile int sink;
int main(void) {
  sink = 1;
  miniml_bench_begin();
  __asm__ __volatile__(".rept " STR(NOPS) "\n\tnop\n\t.endr" ::: "memory");
  miniml_bench_end();
  return 5;
}
"""

BOARDS = {
    "avr": (["avr-gcc", "-mmcu=atmega328p", "-Os"], [str(AVR_EXIT)], "cycles"),
    "cortex_m4": (
        ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os", *toolchains.PICOLIBC_SEMIHOST,
         toolchains.MEMORY["stm32"]],
        [],
        "insns",
    ),
    "rv32imc": (
        ["riscv64-unknown-elf-gcc", *toolchains.ARCH["rv32imc"][1:], "-misa-spec=2.2", "-Os",
         *toolchains.PICOLIBC_SEMIHOST, toolchains.MEMORY["esp32c3"]],
        [],
        "minstret",
    ),
}


@pytest.fixture(scope="module", autouse=True)
def built_counters() -> None:
    subprocess.run(["bash", str(COUNTERS / "build.sh")], check=True)


def _count(elf: Path) -> dict:
    proc = subprocess.run([sys.executable, str(COUNTERS / "count.py"), "--json", "--timeout", "60", str(elf)],
                          capture_output=True, text=True)
    return json.loads(proc.stdout)


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_counter_counts_nops_exactly(board: str, tmp_path: Path) -> None:
    cc, extra, unit = BOARDS[board]
    src = tmp_path / "snippet.c"
    src.write_text(SNIPPET)
    counts = {}
    for nops in (0, 10, 100):
        elf = tmp_path / ("snippet_%d.elf" % nops)
        subprocess.run(cc + ["-DNOPS=%d" % nops, "-I", str(COUNTERS), str(src)] + extra + ["-o", str(elf)],
                       check=True)
        first = _count(elf)
        again = _count(elf)
        assert first == again, "two runs differ"
        assert first["exit_code"] == 5
        assert first["unit"] == unit
        assert len(first["regions"]) == 1
        counts[nops] = first["regions"][0]
    assert counts[10] - counts[0] == 10
    assert counts[100] - counts[0] == 100
    assert 0 < counts[0] < 10  # just the marker instructions


PROFILED = r"""
#include "miniml_bench.h"
MINIML_BENCH_STORAGE
volatile float x = 3.0f, y;
__attribute__((noinline)) void spin(void) { __asm__ __volatile__(".rept 500\n\tnop\n\t.endr"); }
int main(void) {
  miniml_bench_begin();
  spin();
  y = x * x;
  miniml_bench_end();
  return 0;
}
"""


def test_avr_profile_names_where_the_cycles_go(tmp_path: Path) -> None:
    """profile_avr.py's cycles add up to the region's count; the nops are the spin function's, and the soft-float
    multiply is charged to the line of main that calls it (no libgcc routine appears as a function of its own)."""
    src = tmp_path / "profiled.c"
    src.write_text(PROFILED)
    elf = tmp_path / "profiled.elf"
    subprocess.run(["avr-gcc", "-mmcu=atmega328p", "-Os", "-g", "-I", str(COUNTERS), str(src), str(AVR_EXIT),
                    "-o", str(elf)], check=True)
    region = _count(elf)["regions"][0]
    out = subprocess.run([sys.executable, str(COUNTERS / "profile_avr.py"), "--region", "0", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    assert "region 0: %d cycles" % region in out
    functions = dict((line.split()[2], int(line.split()[0])) for line in out.split("function\n")[1].split("\n\n")[0]
                     .splitlines())
    assert set(functions) == {"spin", "main"}, out
    assert 500 <= functions["spin"] < 520
    assert functions["main"] > 100  # the multiply (__mulsf3, > 100 cycles) is main's
    lines = dict((line.split()[2], int(line.split()[0])) for line in out.split("source line\n")[1].splitlines())
    assert lines["profiled.c:9"] > 100, out  # y = x * x
