"""Regenerates the README's tables from their sources: the op registry, the export-option table (miniml/options.py) and the
benchmark targets table of docs/benchmarks.md (written by `make bench`).

  .venv/bin/python scripts/update_readme.py          rewrite README.md in place
test/python/test_readme.py fails when the README and the sources disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "platformio_plugin"))


def options_table() -> str:
    from miniml.options import readme_rows

    return "\n".join(readme_rows())


def op_table() -> str:
    from miniml.ops import op_table as table

    return table().strip()


def bench_targets() -> str:
    """The targets table of docs/benchmarks.md, as `make bench` last wrote it."""
    text = (REPO / "docs" / "benchmarks.md").read_text()
    section = text.split("## Targets", 1)[1].split("\n#", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def render(readme: str) -> str:
    """README text with every generated block replaced by its source's current table."""
    blocks = (("options-table", options_table), ("op-table", op_table), ("bench-targets", bench_targets))
    for marker, make in blocks:
        block = re.compile(r"(<!-- %s:[^\n]*-->\n).*?(<!-- /%s -->)" % (marker, marker), re.S)
        readme = block.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), readme)
    return readme


if __name__ == "__main__":
    path = REPO / "README.md"
    path.write_text(render(path.read_text()))
