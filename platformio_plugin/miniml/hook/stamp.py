"""Input-hash stamps: a model is re-exported only when its .pt2 (bytes or mtime: `touch` works),
the calibration file, the options or the exporter sources change.

The stamp file `<out_dir>/.miniml-stamp.json` maps each model name to the digest its header was
built from. Hashing reads bytes only (no torch, no subprocess), so an unchanged build pays a few
milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Iterable, Optional

STAMP_FILE = ".miniml-stamp.json"
# Bump when the meaning of a stamp changes, so old build folders re-export once.
_STAMP_VERSION = "2"


def _file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sources_digest(package_dir: str) -> str:
    """Digest over every exporter source (.py) under the miniml package, in a stable order."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, package_dir).encode())
                h.update(_file_digest(path).encode())
    return h.hexdigest()


def model_digest(
    model_path: str, extra_files: Iterable[str], settings: Iterable[str], sources: str
) -> str:
    h = hashlib.sha256(_STAMP_VERSION.encode())
    h.update(_file_digest(model_path).encode())
    # The modification time too: `touch model.pt2` is how a user asks for a re-export (issue 7).
    h.update(str(os.stat(model_path).st_mtime_ns).encode())
    for path in extra_files:
        h.update(path.encode())
        h.update(_file_digest(path).encode())
    for item in settings:
        h.update(b"\0" + item.encode())
    h.update(sources.encode())
    return h.hexdigest()


def load(out_dir: str) -> Dict[str, str]:
    try:
        with open(os.path.join(out_dir, STAMP_FILE), encoding="utf-8") as f:
            data = json.load(f)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save(out_dir: str, stamps: Dict[str, str]) -> None:
    path = os.path.join(out_dir, STAMP_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(stamps, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def current(stamps: Dict[str, str], name: str, digest: str, out_dir: str) -> Optional[bool]:
    """True when `<name>.h` and its report exist and were built from `digest`."""
    return stamps.get(name) == digest and all(
        os.path.isfile(os.path.join(out_dir, f)) for f in (f"{name}.h", f"{name}.report.json")
    )
