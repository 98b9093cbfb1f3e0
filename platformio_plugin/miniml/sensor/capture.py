"""`miniml capture`: rows of numbers from a serial port into a .csv or .npy file, each row on disk as
soon as it is read (writers.py), until --lines rows, --seconds, Ctrl-C/SIGTERM or the port closing."""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from ..errors import MinimlError, OptionError
from .rows import RowFilter
from .writers import CsvRows, NpyRows, check_out_path, npy_label

READ_TIMEOUT_S = 0.1  # how often the loop looks at the clock while the port is quiet


@dataclass
class CaptureResult:
    rows: int
    malformed: int
    first_skipped: bool
    stopped_by: str  # "lines", "seconds", "interrupt" or "port closed"
    width: Optional[int]

    def summary(self, out: str) -> str:
        skipped = ", first line skipped (may be cut off)" if self.first_skipped else ""
        width = f" of {self.width} values" if self.width else ""
        return (f"wrote {self.rows} rows{width} to {out}; {self.malformed} malformed lines skipped"
                f"{skipped}; stopped by {self.stopped_by}")


class _Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


def list_ports() -> List[str]:
    """One line per serial port pyserial finds: device, description, hardware id."""
    from serial.tools import list_ports as lp

    return [f"{p.device}  {p.description}  {p.hwid}" for p in sorted(lp.comports(), key=lambda p: p.device)]


def open_port(port: str, baud: int, wait_s: float):
    """The opened pyserial port; waits up to wait_s for it to appear (a board re-enumerating after a
    reset, a simulator creating its pseudo-terminal)."""
    deadline = time.monotonic() + wait_s
    try:
        while wait_s > 0 and not os.path.exists(port) and time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        raise MinimlError(f"serial port {port}: interrupted while waiting for it to appear") from None
    try:
        import serial
    except ImportError:
        raise MinimlError("miniml capture needs pyserial: pip install pyserial") from None
    try:
        return serial.Serial(port, baud, timeout=READ_TIMEOUT_S)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise MinimlError(f"serial port {port}: cannot open it at {baud} baud ({exc}); "
                          "`miniml capture --list` shows the ports") from None


def capture(port: str, baud: int, out: str, lines: Optional[int] = None, seconds: Optional[float] = None,
            label: Optional[str] = None, columns: Optional[List[str]] = None, overwrite: bool = False,
            wait: float = 0.0, on_open: Callable[[], None] = lambda: None) -> CaptureResult:
    _check_options(lines, seconds, label, columns)
    kind = check_out_path(out, overwrite)
    if kind == "npy":
        npy_label(label)
    ser = open_port(port, baud, wait)
    from serial import SerialException

    rows = RowFilter(len(columns) if columns else None)
    writer = None
    written, stopped_by = 0, "interrupt"
    deadline = None if seconds is None else time.monotonic() + seconds
    main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGTERM, _raise_stop) if main_thread else None
    try:
        on_open()  # inside: a Ctrl-C from here on ends the capture cleanly
        if kind == "csv":
            writer = CsvRows(out, columns, label)
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                stopped_by = "seconds"
                break
            try:
                data = ser.read(max(1, ser.in_waiting))
            except (SerialException, OSError):  # the device went away (unplugged, simulator ended)
                stopped_by = "port closed"
                break
            for row in rows.feed(data):
                if writer is None:
                    writer = NpyRows(out, len(row), label)
                writer.add(row)
                written += 1
                if written == lines:
                    break
            if written == lines:
                stopped_by = "lines"
                break
    except (KeyboardInterrupt, _Stop):
        stopped_by = "interrupt"
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        ser.close()
        if writer is None and kind == "npy":
            writer = NpyRows(out, rows.width or len(columns or []), label)
        if writer is not None:
            writer.close()
    rows.finish()
    return CaptureResult(written, rows.malformed, rows.first_skipped, stopped_by, rows.width)


def _raise_stop(signum, frame):  # noqa: ARG001 - signal handler signature
    raise _Stop()


def _check_options(lines, seconds, label, columns) -> None:
    if lines is not None and seconds is not None:
        raise OptionError("--lines and --seconds: give one of them (or neither: Ctrl-C stops)")
    if lines is not None and lines < 1:
        raise OptionError(f"--lines {lines}: give a number of rows >= 1")
    if seconds is not None and not seconds > 0:
        raise OptionError(f"--seconds {seconds}: give a time > 0")
    for what, text in [("--label", label)] + [("--columns", c) for c in columns or []]:
        if text is not None and (not text.strip() or any(ch in text for ch in ',"\r\n')):
            raise OptionError(f"{what} {text!r}: use a non-empty name without commas, quotes or newlines")
