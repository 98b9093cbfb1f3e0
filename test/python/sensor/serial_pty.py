"""A pseudo-terminal standing in for a board's USB serial port: the test writes the board's bytes
into the master side, `miniml capture` opens the slave side by name as it would /dev/ttyACM0."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import tty
from pathlib import Path
from typing import List


class FakeBoard:
    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # a USB CDC port passes bytes as they are ("\r" stays "\r")
        self.port = os.ttyname(self.slave)

    def send(self, *lines: str, end: str = "\r\n") -> None:
        os.write(self.master, "".join(line + end for line in lines).encode())

    def unplug(self) -> None:
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = -1

    def close(self) -> None:
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)


def start_capture(*args: str) -> subprocess.Popen:
    """`python -m miniml capture ARGS`, returned once it has the port open (its 'capturing' line)."""
    proc = subprocess.Popen([sys.executable, "-m", "miniml", "capture", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert line.startswith("capturing "), line + proc.stderr.read()
    return proc


def wait_rows(path: Path, rows: int, timeout: float = 10.0) -> List[str]:
    """The file's lines once it holds `rows` of them (the capture writes them as they arrive)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= rows:
            return lines
        time.sleep(0.02)
    raise AssertionError(f"{path} has {len(lines)} lines, not {rows}, after {timeout} s")
