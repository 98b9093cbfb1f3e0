"""Serial bytes -> the rows capture keeps: lines split on '\n' (a trailing '\r' dropped), the first
line skipped (the board may have been mid-line when the port opened), and rows of one width.

The width is --columns' when columns are named; otherwise it is fixed by the first two consecutive
rows that agree, so a numeric boot line such as "42" cannot set it. A line that is not a row of that
width is malformed: counted and dropped."""
from __future__ import annotations

from typing import List, Optional

from .lines import parse_row

MAX_LINE_BYTES = 4096  # a longer run without '\n' is noise (e.g. a wrong baud rate): dropped as one line


class RowFilter:
    def __init__(self, width: Optional[int] = None):
        self.width = width
        self.malformed = 0
        self.first_skipped = False
        self._partial = b""
        self._pending: Optional[List[str]] = None  # a row waiting for a second one of its width
        self._seen_first = False

    def feed(self, data: bytes) -> List[List[str]]:
        """The good rows completed by `data`, in order."""
        rows: List[List[str]] = []
        *lines, self._partial = (self._partial + data).split(b"\n")
        for raw in lines:
            self._line(raw, rows)
        if len(self._partial) > MAX_LINE_BYTES:
            self._partial = b""
            self.malformed += 1
        return rows

    def finish(self) -> None:
        """The end of the capture: a row still waiting for its width to be confirmed is malformed."""
        if self._pending is not None:
            self.malformed += 1
            self._pending = None

    def _line(self, raw: bytes, rows: List[List[str]]) -> None:
        if not self._seen_first:
            self._seen_first = True
            self.first_skipped = True
            return
        row = parse_row(raw.decode("ascii", errors="replace"))
        if row is None:
            self.malformed += 1
        elif self.width is not None:
            if len(row) == self.width:
                rows.append(row)
            else:
                self.malformed += 1
        elif self._pending is not None and len(self._pending) == len(row):
            self.width = len(row)
            rows += [self._pending, row]
            self._pending = None
        else:
            if self._pending is not None:
                self.malformed += 1
            self._pending = row
