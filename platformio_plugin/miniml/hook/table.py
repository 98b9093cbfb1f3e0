"""The memory table a build prints, and the board-fit check, from the exporter's JSON reports (no
torch)."""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple


class BoardFitError(RuntimeError):
    """The models do not fit the board; str() names the numbers."""


@dataclasses.dataclass(frozen=True)
class Board:
    name: str  # e.g. "uno"; "" when the env has no board (native)
    ram_bytes: int  # upload.maximum_ram_size, 0 when unknown
    flash_bytes: int  # upload.maximum_size, 0 when unknown


def ram_needed(report: Dict) -> int:
    """RAM one model needs: sizeof(Model) (arena + trainable state), or the training figure when
    larger."""
    return max(int(report.get("ram_bytes") or 0), int(report.get("training_ram_bytes") or 0))


def _n(value: Optional[int]) -> str:
    return "-" if not value else f"{int(value):,}"


def format_table(rows: Sequence[Tuple[Dict, str]]) -> List[str]:
    """rows: (report, status) per model; returns the lines without the [miniml] prefix."""
    head = ("model", "flash B", "RAM B", "train RAM B", "MACs", "")
    body = [
        (
            str(r.get("name", "?")),
            _n(r.get("flash_bytes")),
            _n(r.get("ram_bytes")),
            _n(r.get("training_ram_bytes")),
            _n(r.get("macs")),
            status,
        )
        for r, status in rows
    ]
    if len(rows) > 1:
        body.append(
            (
                "total",
                _n(sum(int(r.get("flash_bytes") or 0) for r, _ in rows)),
                _n(sum(ram_needed(r) for r, _ in rows)),
                "",
                _n(sum(int(r.get("macs") or 0) for r, _ in rows)),
                "",
            )
        )
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    out = []
    for row in [head, *body]:
        cells = (
            [row[0].ljust(widths[0])]
            + [c.rjust(w) for c, w in zip(row[1:5], widths[1:5])]
            + [row[5]]
        )
        out.append("  ".join(cells).rstrip())
    return out


def check_fit(reports: Sequence[Dict], board: Board) -> Optional[str]:
    """Raise BoardFitError when the models alone exceed the board; return a one-line summary
    otherwise.
    """
    if not board.ram_bytes and not board.flash_bytes:
        return None
    ram = sum(ram_needed(r) for r in reports)
    flash = sum(int(r.get("flash_bytes") or 0) for r in reports)
    what = "model" if len(reports) == 1 else f"{len(reports)} models"
    label = board.name or "board"
    if board.ram_bytes and ram > board.ram_bytes:
        raise BoardFitError(
            f"{what} needs {ram} B RAM, board has {board.ram_bytes} B ({label}): "
            "use a smaller model, "
            "custom_miniml_quantize = int8, or a board with more RAM"
        )
    if board.flash_bytes and flash > board.flash_bytes:
        raise BoardFitError(
            f"{what} needs {flash} B flash, board has {board.flash_bytes} B ({label}): "
            "use a smaller model, "
            "custom_miniml_quantize = int8, or a board with more flash"
        )
    parts = []
    if board.ram_bytes:
        parts.append(f"{ram} of {board.ram_bytes} B RAM ({100.0 * ram / board.ram_bytes:.0f}%)")
    if board.flash_bytes:
        parts.append(
            f"{flash} of {board.flash_bytes} B flash ({100.0 * flash / board.flash_bytes:.0f}%)"
        )
    return f"board {label}: models use " + ", ".join(parts)
