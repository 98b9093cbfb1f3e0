"""`miniml dataset`: labelled CSV files (as `miniml capture --label` writes them: numbers, the label in
the last column, an optional header row) -> windows in one .npz for training.

Each file is cut into runs of one label and each run into windows (window.py), so no window mixes
two labels or two files. The .npz holds x float32 [N, length, channels], y int64 [N] (an index into
classes, the labels sorted), classes, columns (the header's names, or none), source (the index into
files of each window's source) and start (its first row there), length and hop."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from ..errors import MinimlError, OptionError
from .lines import parse_row
from .window import windows


@dataclass
class LabelledFile:
    values: np.ndarray  # [rows, channels] float64
    labels: List[str]
    columns: Optional[List[str]]  # the header's channel names


def read_labelled_csv(path: str) -> LabelledFile:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MinimlError(f"{path}: cannot read it ({exc})") from None
    columns = None
    header = bool(lines) and parse_row(lines[0].rsplit(",", 1)[0]) is None
    if header:
        *columns, last = [c.strip() for c in lines[0].split(",")]
        if last != "label":
            raise MinimlError(f"{path}: the header {lines[0]!r} has no label column (capture with --label L)")
        lines = lines[1:]
    values, labels = [], []
    for number, line in enumerate(lines, start=2 if header else 1):
        *fields, label = line.split(",")
        row = parse_row(",".join(fields)) if fields else None
        width = len(values[0]) if values else len(columns or row or [])
        if row is None or not label.strip() or len(row) != width:
            raise MinimlError(f"{path}:{number}: expected {width or 'some'} numbers and a label, "
                              f"got {line!r} (a labelled CSV from `miniml capture --label L`)")
        values.append([float(v) for v in row])
        labels.append(label.strip())
    if not values:
        raise MinimlError(f"{path}: no rows")
    return LabelledFile(np.array(values), labels, columns)


def _runs(labels: Sequence[str]):
    """(start, stop, label) of each run of equal labels."""
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            yield start, i, labels[start]
            start = i


def make_dataset(paths: Sequence[str], length: int, hop: int, out: str) -> dict:
    if length < 1 or hop < 1:
        raise OptionError(f"--length {length} --hop {hop}: both must be >= 1")
    if not out.lower().endswith(".npz"):
        raise OptionError(f"--out {out}: name a .npz file")
    files = [read_labelled_csv(p) for p in paths]
    for path, f in zip(paths, files):
        if f.values.shape[1] != files[0].values.shape[1] or f.columns != files[0].columns:
            raise MinimlError(f"{path}: columns {f.columns or f.values.shape[1]} differ from "
                              f"{paths[0]}'s {files[0].columns or files[0].values.shape[1]}")
    parts, names, file_index, starts = [], [], [], []
    for i, f in enumerate(files):
        for start, stop, label in _runs(f.labels):
            w = windows(f.values[start:stop], length, hop)
            parts.append(w)
            names += [label] * len(w)
            file_index += [i] * len(w)
            starts += range(start, start + len(w) * hop, hop)
    if not names:
        raise MinimlError(f"no window of {length} rows fits in any run of one label in {', '.join(paths)}")
    classes = sorted(set(names))
    data = {
        "x": np.concatenate(parts).astype(np.float32),
        "y": np.array([classes.index(n) for n in names], np.int64),
        "classes": np.array(classes),
        "columns": np.array(files[0].columns or [], dtype=str),
        "files": np.array([os.path.basename(p) for p in paths]),
        "source": np.array(file_index, np.int64),
        "start": np.array(starts, np.int64),
        "length": np.int64(length),
        "hop": np.int64(hop),
    }
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise OptionError(f"--out {out}: folder {folder} does not exist")
    np.savez(out, **data)
    return data
