#!/usr/bin/env python3
"""Counts cycles (AVR) or instructions (Cortex-M, RISC-V) of the regions a firmware marks with miniml_bench.h.

Usage: count.py [--timeout SECONDS] [--json] firmware.elf
  AVR     build/counters/simavr_cycles (exact cycles; ATmega328P @ 16 MHz; miniml-simavr/host/simavr_run.c)
  ARM     qemu-system-arm -M netduinoplus2 + build/counters/libqemu_icount.so (executed instructions)
  RISC-V  qemu-system-riscv32 -M virt -icount shift=0; the firmware prints its minstret counts
Prints the firmware's output, then one line per region: "miniml-count: region K <cycles|insns|minstret> N";
with --json, one JSON object instead: {"unit", "regions": [N, ...], "total", "exit_code", "output"}.
Exit status: the firmware's. Build the counters first: bash scripts/counters/build.sh
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

BUILD = Path(__file__).resolve().parent.parent.parent / "build" / "counters"
LINE = re.compile(r"^miniml-count: (region (\d+)|total) (cycles|insns|minstret) (\d+)\s*$")


def elf_machine(path: str) -> int:
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        raise SystemExit("count.py: %s is not an ELF file" % path)
    return struct.unpack("<H", head[18:20])[0]


def symbol_address(elf: str, name: str, nm: str) -> int:
    out = subprocess.run([nm, elf], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise SystemExit("count.py: %s has no symbol %s (include miniml_bench.h, MINIML_BENCH_STORAGE)" % (elf, name))


def command(elf: str, timeout: float) -> list[str]:
    machine = elf_machine(elf)
    limit = ["timeout", "--kill-after=5", "%g" % timeout]
    if machine == 83:
        return limit + [str(BUILD / "simavr_cycles"), "-r", elf]
    if machine == 40:
        nm = "arm-none-eabi-nm"
        plugin = "%s,begin=%#x,end=%#x" % (
            BUILD / "libqemu_icount.so",
            symbol_address(elf, "miniml_bench_begin", nm),
            symbol_address(elf, "miniml_bench_end", nm),
        )
        return limit + ["qemu-system-arm", "-M", "netduinoplus2", "-display", "none", "-monitor", "none",
                        "-serial", "none", "-semihosting", "-plugin", plugin, "-d", "plugin", "-kernel", elf]
    if machine == 243:
        return limit + ["qemu-system-riscv32", "-M", "virt", "-bios", "none", "-icount", "shift=0",
                        "-display", "none", "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", elf]
    raise SystemExit("count.py: no counter for ELF machine %d" % machine)


def count(elf: str, timeout: float = 300.0) -> dict:
    proc = subprocess.run(command(elf, timeout), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace")
    regions: list[int] = []
    total = None
    unit = None
    output = []
    for line in (proc.stdout + proc.stderr).splitlines():
        m = LINE.match(line)
        if not m:
            output.append(line)
        elif m.group(1) == "total":
            total = int(m.group(4))
        else:
            unit = m.group(3)
            regions.append(int(m.group(4)))
    return {"unit": unit, "regions": regions, "total": total, "exit_code": proc.returncode,
            "output": "\n".join(output)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not shutil.which("timeout"):
        raise SystemExit("count.py: coreutils timeout is missing")
    result = count(args.elf, args.timeout)
    if args.json:
        print(json.dumps(result))
    else:
        if result["output"]:
            print(result["output"])
        for k, n in enumerate(result["regions"]):
            print("miniml-count: region %d %s %d" % (k, result["unit"], n))
    return result["exit_code"]


if __name__ == "__main__":
    sys.exit(main())
