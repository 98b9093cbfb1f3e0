#!/usr/bin/env python3
"""Where an AVR region's cycles go, by function and by source line (exact simavr cycles).

Usage: profile_avr.py [--region K] [--top N] firmware.elf
  A bench firmware (scripts/bench.py --out DIR: DIR/work/<model>/uno[/fresh]/firmware.elf, with its build.cmd
  beside it) is rebuilt with -g first, which changes no code (the region's cycles are checked to match), so lines
  can be named. Cycles in avr-libc's and libgcc's routines (soft float, 32-bit helpers) are charged to the line
  that called them. Build the counters first: bash scripts/counters/build.sh
"""

from __future__ import annotations

import argparse
import collections
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD = Path(__file__).resolve().parent.parent.parent / "build" / "counters"
# Library routines: libgcc's helpers (__name) and the libm entries avr-libc's float code pulls in.
LIBM = {"exp", "log", "ldexp", "frexp", "modf", "modff", "inverse", "sqrt", "tanh", "pow", "fabs", "floor", "ceil",
        "round", "lround", "lrint", "trunc", "fmod", "expf", "logf"}


def symbols(elf: str) -> list[tuple[int, str]]:
    """Code symbols by address: those with a size, and sizeless ones that are not the linker's (__stack and the
    like are addresses, not code, and may fall inside a routine)."""
    out = subprocess.run(["avr-nm", "-n", "-S", "-C", elf], check=True, capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        sized = len(parts) == 4 and len(parts[2]) == 1
        address, kind, name = (parts[0], parts[2], parts[3]) if sized else (parts[0], *line.split(None, 2)[1:])
        if kind in "tTwW" and (sized or not name.startswith("__")):
            found.append((int(address, 16), name))
    return found


def is_library(name: str) -> bool:
    return name in LIBM or bool(re.match(r"__(\w*sf\d|fp_|\w*mul\w*si|\w*div\w*si|float|fix|umul|usmul|mulsh)", name))


def library_range(syms: list[tuple[int, str]]) -> tuple[int, int]:
    """The run of library routines around the soft float's (avr-gcc links them together, after the program)."""
    anchor = next((i for i, (_, name) in enumerate(syms) if re.match(r"__(add|mul|sub|div)sf3$", name)), None)
    if anchor is None:
        return 0, 0
    first = last = anchor
    while first > 0 and is_library(syms[first - 1][1]):
        first -= 1
    while last + 1 < len(syms) and (is_library(syms[last + 1][1]) or syms[last + 1][0] == syms[last][0]):
        last += 1
    end = syms[last + 1][0] if last + 1 < len(syms) else syms[last][0] + 2
    return syms[first][0], end


def with_debug_info(elf: Path, work: Path) -> Path:
    """The bench firmware rebuilt with -g (same code), or the ELF itself when no build.cmd is beside it."""
    cmd = elf.parent / "build.cmd"
    if not cmd.exists():
        return elf
    argv = shlex.split(cmd.read_text())
    out = argv.index("-o")
    argv[out + 1] = str(work / "firmware_g.elf")
    subprocess.run(argv[:out] + ["-g"] + argv[out:], check=True)
    return work / "firmware_g.elf"


def region_cycles(elf: Path, region: int) -> int:
    out = subprocess.run([str(BUILD / "simavr_cycles"), "-r", str(elf)], capture_output=True, text=True).stdout
    found = re.search(r"miniml-count: region %d cycles (\d+)" % region, out)
    if not found:
        raise SystemExit("profile_avr: %s has no region %d" % (elf, region))
    return int(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf", type=Path)
    ap.add_argument("--region", type=int, default=0)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        elf = with_debug_info(args.elf, Path(tmp))
        if elf != args.elf and region_cycles(elf, args.region) != region_cycles(args.elf, args.region):
            raise SystemExit("profile_avr: -g changed the region's cycles; profile %s itself" % args.elf)
        syms = symbols(str(elf))
        lo, hi = library_range(syms)
        prof = subprocess.run([str(BUILD / "simavr_profile"), str(elf), str(args.region), "%x" % lo, "%x" % hi],
                              check=True, capture_output=True, text=True).stdout
        rows = [(int(a, 16), int(c)) for a, c in (line.split() for line in prof.splitlines())]
        lines = subprocess.run(["avr-addr2line", "-e", str(elf)] + ["%x" % a for a, _ in rows],
                               check=True, capture_output=True, text=True).stdout.splitlines()
    starts = [a for a, _ in syms]
    by_function: collections.Counter = collections.Counter()
    by_line: collections.Counter = collections.Counter()
    for (address, cycles), line in zip(rows, lines):
        k = max(0, next((i for i in range(len(starts) - 1, -1, -1) if starts[i] <= address), 0))
        by_function[syms[k][1] if syms else "?"] += cycles
        by_line[line.rsplit("/", 1)[-1]] += cycles
    total = sum(c for _, c in rows)
    print("region %d: %d cycles (library calls charged to their callers)" % (args.region, total))
    for title, table in (("function", by_function), ("source line", by_line)):
        print("\n%8s  %5s  %s" % ("cycles", "%", title))
        for name, cycles in table.most_common(args.top):
            print("%8d  %5.1f  %s" % (cycles, 100.0 * cycles / total, name[:100]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
