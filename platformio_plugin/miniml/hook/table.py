"""The memory table a build prints, and the board-fit check, from the exporter's JSON reports (no
torch)."""

from __future__ import annotations

import dataclasses
import math
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


def _with_bound(report: Dict, key: str, bound_key: str) -> str:
    """A planned buffer's bytes / its lower bound."""
    planned = int(report.get(key) or 0)
    return f"{planned:,}/{int(report.get(bound_key) or 0):,}" if planned else "-"


def format_table(rows: Sequence[Tuple[Dict, str]]) -> List[str]:
    """rows: (report, status) per model; returns the lines without the [miniml] prefix. The arena
    and learn()'s gradient buffer are shown beside their lower bounds (the planner's gap)."""
    head = ("model", "flash B", "RAM B", "arena/bound B", "train RAM B", "grad/bound B", "MACs", "")
    body = [
        (
            str(r.get("name", "?")),
            _n(r.get("flash_bytes")),
            _n(r.get("ram_bytes")),
            _with_bound(r, "arena_bytes", "arena_lower_bound"),
            _n(r.get("training_ram_bytes")),
            _with_bound(r, "gradient_buffer_bytes", "gradient_lower_bound"),
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
                "",
                "",
                _n(sum(int(r.get("macs") or 0) for r, _ in rows)),
                "",
            )
        )
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    out = []
    for row in [head, *body]:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])]
        out.append("  ".join(cells + [row[-1]]).rstrip())
    return out


def golden_bytes(report: Dict, golden: int) -> int:
    """Flash of `golden` golden vectors: each a float input and a float output."""
    shapes = (report.get("input_shape") or (), report.get("output_shape") or ())
    floats = sum(math.prod(int(d) for d in shape) for shape in shapes)
    return 4 * floats * golden


def _hint(memory: str, int8: bool) -> str:
    ways = ["use a smaller model"] + ([] if int8 else ["custom_miniml_quantize = int8"])
    return ", ".join(ways) + f", or a board with more {memory}"


def check_fit(
    reports: Sequence[Dict], board: Board, golden: int = 0, int8: bool = False
) -> Optional[str]:
    """Raise BoardFitError when the models (with their golden vectors) exceed the board; return a
    one-line summary otherwise. int8: the models are int8 already (the hint does not suggest it)."""
    if not board.ram_bytes and not board.flash_bytes:
        return None
    ram = sum(ram_needed(r) for r in reports)
    model_flash = sum(int(r.get("flash_bytes") or 0) for r in reports)
    vectors = sum(golden_bytes(r, golden) for r in reports)
    flash = model_flash + vectors
    what = "model" if len(reports) == 1 else f"{len(reports)} models"
    label = board.name or "board"
    if board.ram_bytes and ram > board.ram_bytes:
        raise BoardFitError(
            f"{what} needs {ram} B RAM, board has {board.ram_bytes} B ({label}): "
            + _hint("RAM", int8)
        )
    if board.flash_bytes and flash > board.flash_bytes:
        if vectors and model_flash <= board.flash_bytes:
            fit = (board.flash_bytes - model_flash) // (vectors // golden)
            raise BoardFitError(
                f"{what} needs {flash} B flash with {golden} golden vectors ({vectors} B), board "
                f"has {board.flash_bytes} B ({label}): {fit} golden vectors fit, "
                f"set custom_miniml_golden = {fit} or less"
            )
        raise BoardFitError(
            f"{what} needs {model_flash} B flash, board has {board.flash_bytes} B ({label}): "
            + _hint("flash", int8)
        )
    parts = []
    if board.ram_bytes:
        parts.append(f"{ram} of {board.ram_bytes} B RAM ({100.0 * ram / board.ram_bytes:.0f}%)")
    if board.flash_bytes:
        parts.append(
            f"{flash} of {board.flash_bytes} B flash ({100.0 * flash / board.flash_bytes:.0f}%)"
        )
    return f"board {label}: models use " + ", ".join(parts)
