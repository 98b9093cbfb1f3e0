"""A copy of the include tree with one edit in one header: the deliberately broken routine a check must catch."""

import shutil
from pathlib import Path

INCLUDE = Path(__file__).resolve().parents[2] / "include"


def broken_include(tmp_path: Path, header: str, old: str, new: str) -> Path:
    """tmp_path/include, a copy of include/ whose miniml/<header> has its one `old` replaced by `new`."""
    include = tmp_path / "include"
    shutil.copytree(INCLUDE, include)
    path = include / "miniml" / header
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return include
