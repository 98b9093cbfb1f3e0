#!/usr/bin/env python3
"""Runs a firmware ELF in the simulator of its architecture, under coreutils `timeout`; stdlib only.

Usage: miniml_run.py [--timeout SECONDS] [--mcu atmega328p] [--frequency 16000000] [--idle-ms MS] [--limit-ms MS]
                     [--machine M] [--pty LINK] firmware.elf
  AVR     -> libsimavr (miniml-simavr/host/simavr_run.c, compiled next to the ELF on first use): UART0 text on
             stdout; --idle-ms stops after that much simulated time without serial output and --limit-ms at that
             simulated time, both with status 0 (an Arduino sketch's loop() never returns)
  ARM     -> qemu-system-arm -M netduinoplus2 with semihosting (text on stdout; the firmware's exit code is ours)
  RISC-V  -> qemu-system-riscv32 -M virt -bios none with semihosting (likewise)
  host    -> the program itself
--pty LINK puts the firmware's serial text on a pseudo-terminal instead of stdout, with LINK a symlink to it: a
serial port that `miniml capture --port LINK` (or any terminal program) opens as it would a board's USB port; the
firmware starts when the port is opened and stops when it is closed (run_on_pty).
Exit status: the firmware's; 0 when an AVR run was stopped by --idle-ms or --limit-ms (it says which); 3 if an AVR
firmware crashed in simavr; 124 if it ran out of (wall-clock) time. Used by the simulated platforms' `upload` target and
by `test_testing_command` in platformio.ini.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
import tty

ELF_MACHINES = {83: "avr", 40: "arm", 243: "riscv", 62: "host", 3: "host", 183: "host", 94: "xtensa"}
AVR_HOST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "miniml-simavr", "host")


def elf_arch(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        raise SystemExit("[miniml] %s is not an ELF file" % path)
    machine = struct.unpack("<H", head[18:20])[0]
    if machine not in ELF_MACHINES:
        raise SystemExit("[miniml] no simulator for ELF machine %d (%s)" % (machine, path))
    return ELF_MACHINES[machine]


def simavr_runner(elf: str) -> str:
    """simavr_run, compiled (host gcc + libsimavr) next to the ELF when missing or older than its source."""
    exe = os.path.join(os.path.dirname(os.path.abspath(elf)), "miniml_simavr_run")
    sources = [os.path.join(AVR_HOST, f) for f in ("simavr_run.c", "simavr_host.h")]
    if os.path.isfile(exe) and all(os.path.getmtime(exe) >= os.path.getmtime(s) for s in sources):
        return exe
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(exe), prefix=".miniml_simavr_run.")
    os.close(fd)
    cmd = ["gcc", "-O2", "-I/usr/include/simavr", "-o", tmp, sources[0], "-lsimavr", "-lelf"]
    if subprocess.call(cmd) != 0:
        os.unlink(tmp)
        raise SystemExit("[miniml] cannot build the simavr runner (%s): run `bash scripts/setup.sh` "
                         "(libsimavr-dev, libelf-dev)" % " ".join(cmd))
    os.replace(tmp, exe)  # atomic: a parallel run sees the old file or the new one
    return exe


def simulator_command(args: argparse.Namespace, arch: str) -> list[str]:
    if arch == "avr":
        return [simavr_runner(args.elf), "-m", args.mcu, "-f", str(args.frequency),
                "-i", str(args.idle_ms), "-t", str(args.limit_ms), args.elf]
    if arch == "arm":
        return ["qemu-system-arm", "-M", args.machine or "netduinoplus2", "-display", "none",
                "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", args.elf]
    if arch == "riscv":
        return ["qemu-system-riscv32", "-M", args.machine or "virt", "-bios", "none", "-display", "none",
                "-monitor", "none", "-serial", "none", "-semihosting", "-kernel", args.elf]
    if arch == "host":
        return [args.elf]
    raise SystemExit("[miniml] running %s firmware is not supported; it is only compiled and linked" % arch)


def run_on_pty(cmd: list[str], link: str, notes_apart: bool, timeout: float) -> int:
    """Runs cmd with its output (and its stderr unless notes_apart) written into a new pseudo-terminal,
    LINK -> the terminal's /dev/pts/N, served like an Uno on its USB port: the firmware starts when a
    reader opens the port (an Uno resets then), 0.5 s later (the bootloader's wait, and after pyserial
    has flushed the port's input as it does on opening); it blocks while the reader lets the buffer
    fill, as on a slow UART; the run stops (status 0) when the reader closes the port. When the firmware
    ends first, the port closes (the board is gone) once the reader has taken what is queued."""
    master, slave = os.openpty()
    tty.setraw(slave)  # bytes pass as the firmware wrote them, like a USB serial port's
    name = os.ttyname(slave)
    os.close(slave)  # from now on the master sees POLLHUP exactly while no reader has the port open
    if os.path.islink(link):
        os.unlink(link)
    try:
        os.symlink(name, link)
    except OSError as exc:
        raise SystemExit("[miniml] --pty %s: cannot create the link (%s)" % (link, exc))
    sys.stderr.write("[miniml] serial port: %s -> %s (the firmware starts when it is opened)\n" % (link, name))
    sys.stderr.flush()
    watch = select.poll()
    watch.register(master, select.POLLHUP)

    def reader_here() -> bool:
        time.sleep(0.05)
        return not any(ev & select.POLLHUP for _, ev in watch.poll(0))

    try:
        deadline = time.monotonic() + timeout
        while not reader_here():
            if time.monotonic() > deadline:
                sys.stderr.write("[miniml] %s: nobody opened the serial port in %g s\n" % (link, timeout))
                return 124
        time.sleep(0.5)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=master,
                                stderr=None if notes_apart else master)
        while proc.poll() is None:
            if not reader_here():
                proc.terminate()
                sys.stderr.write("[miniml] %s: its reader closed the serial port: run stopped\n" % link)
                proc.wait()
                return 0
        _drain(name)
        return proc.returncode
    finally:
        if os.path.islink(link) and os.readlink(link) == name:
            os.unlink(link)
        os.close(master)


def _drain(name: str) -> None:
    """Waits until the terminal's queued input has been read (0 bytes for 1 s), or has not moved for 2 s
    (the reader left or stopped reading)."""
    peer = os.open(name, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        last, since = -1, time.monotonic()
        while time.monotonic() - since < (1.0 if last == 0 else 2.0):
            time.sleep(0.05)
            queued = struct.unpack("i", fcntl.ioctl(peer, termios.FIONREAD, b"\0\0\0\0"))[0]
            if queued != last:
                last, since = queued, time.monotonic()
    finally:
        os.close(peer)


def main() -> int:
    ap = argparse.ArgumentParser(description="Run a firmware ELF in its simulator.")
    ap.add_argument("elf")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before the run is killed")
    ap.add_argument("--mcu", default="atmega328p")
    ap.add_argument("--frequency", type=int, default=16000000)
    ap.add_argument("--idle-ms", type=int, default=0,
                    help="AVR: stop (status 0) after this many ms of simulated time without serial output; 0: off")
    ap.add_argument("--limit-ms", type=int, default=0,
                    help="AVR: stop (status 0) at this simulated time in ms; 0: off")
    ap.add_argument("--machine", default=None, help="QEMU machine (default netduinoplus2 / virt)")
    ap.add_argument("--pty", metavar="LINK", default=None,
                    help="serial text on a pseudo-terminal linked at LINK (a port for `miniml capture`)")
    args = ap.parse_args()
    arch = elf_arch(args.elf)
    cmd = ["timeout", "--kill-after=5", "%g" % args.timeout] + simulator_command(args, arch)
    # QEMU writes semihosting text on stderr: one stream, in order, for PlatformIO and scripts alike. The AVR
    # runner prints the firmware's text on stdout and its own notes (stop rule, crash) on stderr.
    sys.stdout.flush()
    if args.pty:
        code = run_on_pty(cmd, args.pty, arch == "avr", args.timeout)
    else:
        code = subprocess.call(cmd, stdin=subprocess.DEVNULL, stderr=None if arch == "avr" else subprocess.STDOUT)
    if code == 124:
        sys.stderr.write("[miniml] %s: no exit after %g s (killed)\n" % (args.elf, args.timeout))
    return code


if __name__ == "__main__":
    sys.exit(main())
