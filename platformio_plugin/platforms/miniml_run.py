#!/usr/bin/env python3
"""Runs a firmware ELF in the simulator of its architecture, under coreutils `timeout`; stdlib only.

Usage: miniml_run.py [--timeout SECONDS] [--mcu atmega328p] [--frequency 16000000] [--machine M] firmware.elf
  AVR     -> simavr (UART0 text, de-coloured, on stdout; simavr's own exit status is always 0)
  ARM     -> qemu-system-arm -M netduinoplus2 with semihosting (text on stdout; the firmware's exit code is ours)
  RISC-V  -> qemu-system-riscv32 -M virt -bios none with semihosting (likewise)
  host    -> the program itself
Exit status: the firmware's; 3 if an AVR firmware crashed in simavr; 124 if it ran out of time. Used by the simulated platforms' `upload` target and
by `test_testing_command` in platformio.ini.
"""

from __future__ import annotations

import argparse
import re
import struct
import subprocess
import sys

ELF_MACHINES = {83: "avr", 40: "arm", 243: "riscv", 62: "host", 3: "host", 183: "host", 94: "xtensa"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def elf_arch(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        raise SystemExit("[miniml] %s is not an ELF file" % path)
    machine = struct.unpack("<H", head[18:20])[0]
    if machine not in ELF_MACHINES:
        raise SystemExit("[miniml] no simulator for ELF machine %d (%s)" % (machine, path))
    return ELF_MACHINES[machine]


def simulator_command(args: argparse.Namespace, arch: str) -> list[str]:
    if arch == "avr":
        # Line-buffered stdout, so a crash report ("avr_gdb_init ...") arrives while simavr waits for gdb.
        return ["stdbuf", "-oL", "simavr", "-m", args.mcu, "-f", str(args.frequency), args.elf]
    if arch == "arm":
        return ["qemu-system-arm", "-M", args.machine or "netduinoplus2", "-display", "none",
                "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", args.elf]
    if arch == "riscv":
        return ["qemu-system-riscv32", "-M", args.machine or "virt", "-bios", "none", "-display", "none",
                "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", args.elf]
    if arch == "host":
        return [args.elf]
    raise SystemExit("[miniml] running %s firmware is not supported; it is only compiled and linked" % arch)


def run_simavr(cmd: list[str]) -> int:
    """simavr prints UART0 on stderr, coloured, each line's newline shown as '.': give back the plain text."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if "\x1b[32m" in line:
            text = ANSI.sub("", line)
            sys.stdout.write((text[:-1] if text.endswith(".") else text) + "\n")
            sys.stdout.flush()
        else:
            plain = ANSI.sub("", line)
            if "avr_gdb_init" in plain or "sadly_crashed" in plain:
                # A crash makes simavr open a gdb port and wait: report it now instead of at the timeout.
                proc.terminate()  # coreutils timeout passes SIGTERM on to simavr
                proc.wait()
                sys.stderr.write("[miniml] simavr: the firmware crashed (%s)\n" % plain.strip())
                return 3
            if plain.strip() and not plain.startswith("Loaded "):
                sys.stderr.write(plain + "\n")
    return proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description="Run a firmware ELF in its simulator.")
    ap.add_argument("elf")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before the run is killed")
    ap.add_argument("--mcu", default="atmega328p")
    ap.add_argument("--frequency", type=int, default=16000000)
    ap.add_argument("--machine", default=None, help="QEMU machine (default netduinoplus2 / virt)")
    args = ap.parse_args()
    arch = elf_arch(args.elf)
    cmd = ["timeout", "--kill-after=5", "%g" % args.timeout] + simulator_command(args, arch)
    if arch == "avr":
        code = run_simavr(cmd)
    else:
        # QEMU writes semihosting text on stderr: one stream, in order, for PlatformIO and scripts alike.
        sys.stdout.flush()
        code = subprocess.call(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if code == 124:
        sys.stderr.write("[miniml] %s: no exit after %g s (killed)\n" % (args.elf, args.timeout))
    return code


if __name__ == "__main__":
    sys.exit(main())
