"""Row files that are complete after every row: capture flushes each row to the OS as it is written,
so Ctrl-C, a kill or a pulled cable loses nothing already received.

CSV: the number fields as the board printed them, comma-separated, then the label if any; a header
row first when the columns are named. .npy: float64 rows (a numeric label as the last column); its
header has a fixed size and is rewritten after each row, so the file always loads with np.load."""
from __future__ import annotations

import os
from typing import List, Optional, Sequence

import numpy as np

from ..errors import OptionError

_NPY_HEADER_BYTES = 128  # magic, version, length and the dict, padded: room for any row count


class CsvRows:
    def __init__(self, path: str, columns: Optional[Sequence[str]], label: Optional[str]):
        self._f = open(path, "w", encoding="utf-8", newline="")
        self._tail = [] if label is None else [label]
        if columns:
            self._write(list(columns) + (["label"] if label is not None else []))

    def _write(self, fields: List[str]) -> None:
        self._f.write(",".join(fields) + "\n")
        self._f.flush()

    def add(self, fields: List[str]) -> None:
        self._write(fields + self._tail)

    def close(self) -> None:
        self._f.close()


class NpyRows:
    def __init__(self, path: str, width: int, label: Optional[str]):
        self._tail = npy_label(label)
        self._width = width + len(self._tail)
        self._rows = 0
        self._f = open(path, "wb")
        self._write_header()

    def _write_header(self) -> None:
        head = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (self._rows, self._width)
        head = head.ljust(_NPY_HEADER_BYTES - 10 - 1) + "\n"
        self._f.seek(0)
        self._f.write(b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode("latin1"))
        self._f.seek(0, os.SEEK_END)
        self._f.flush()

    def add(self, fields: List[str]) -> None:
        row = np.array([float(f) for f in fields] + self._tail, dtype="<f8")
        self._f.write(row.tobytes())
        self._rows += 1
        self._write_header()  # after the data: a header never counts a row that is not there

    def close(self) -> None:
        self._f.close()


def npy_label(label: Optional[str]) -> List[float]:
    """The label as a .npy row's last column: [] or [the number]."""
    if label is None:
        return []
    try:
        return [float(label)]
    except ValueError:
        raise OptionError(f"--label {label!r}: a .npy file holds numbers only; give a numeric label "
                          "or write a .csv file") from None


def check_out_path(path: str, overwrite: bool) -> str:
    """'csv' or 'npy' from the --out name; refuses other names, a missing folder, an existing file."""
    kind = os.path.splitext(path)[1].lower().lstrip(".")
    if kind not in ("csv", "npy"):
        raise OptionError(f"--out {path}: name a .csv or a .npy file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OptionError(f"--out {path}: folder {folder} does not exist")
    if os.path.exists(path) and not overwrite:
        raise OptionError(f"--out {path} exists: choose another name or pass --overwrite")
    return kind
