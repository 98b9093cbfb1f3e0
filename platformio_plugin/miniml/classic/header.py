"""Writes a converted scikit-learn model (model.Head) as <name>.h through emit.header's renderer: the same
namespace, kInputSize/kOutputSize, Weights in flash, class Model (predict, predict_class), golden vectors and
Report as a PyTorch export. RAM = two ping-pong rows + step scratch, all members of Model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..emit.header import HeaderParts, Member, golden_parts, render
from ..ir import DType, TensorSpec
from ..report import LayerRow, Report
from .model import Head, Step

ROWS = ("row_a_", "row_b_")
MAX_LABEL_CHARS = 15  # longer string labels get no kClassLabels table (flash is precious)


@dataclass(frozen=True)
class _Io:
    """The two facts render() needs from a graph: the input and output shapes."""

    n_in: int
    n_out: int
    inputs: Tuple[str, ...] = ("input",)
    outputs: Tuple[str, ...] = ("output",)

    def tensor(self, name: str) -> TensorSpec:
        return TensorSpec(name, (1, self.n_in if name == "input" else self.n_out))


@dataclass(frozen=True)
class _Plan:
    arena_bytes: int
    lower_bound: int


def _wire(steps: List[Step], to_output: bool) -> List[Tuple[str, str]]:
    """(read, written) row of each step: new rows alternate between the two members; the last step
    that makes a new row (and the in-place ones after it) write `output` when to_output."""
    last_new = max(i for i, s in enumerate(steps) if not s.inplace)
    cur, nxt, wires = "input", 0, []
    for i, s in enumerate(steps):
        if s.inplace:
            assert cur != "input", f"in-place step {s.op} cannot rewrite the const input"
            wires.append((cur, cur))
            continue
        if to_output and i == last_new:
            out = "output"
        else:
            out, nxt = ROWS[nxt], 1 - nxt
        wires.append((cur, out))
        cur = out
    return wires


def _calls(steps: List[Step], wires: List[Tuple[str, str]]) -> List[str]:
    lines = []
    for s, (x, y) in zip(steps, wires):
        lines.append(f"    // {s.op} <- {s.source}" + (f" ({s.layout})" if s.layout else ""))
        lines.append("    " + s.call.format(x=x, y=y))
    return lines


def labels_tail(classes: np.ndarray) -> List[str]:
    """kClassLabels in flash when the labels are integers or short strings, else nothing."""
    n = len(classes)
    head = "\n// scikit-learn's classes_: predict_class() returns an index into this table."
    values = np.asarray(classes)
    if values.dtype.kind in "biuf" and np.all(np.mod(values.astype(np.float64), 1) == 0):
        ints = values.astype(np.int64)
        ctype = "int16_t" if np.all(np.abs(ints) < 32768) else "int32_t"
        decl, init = f"{ctype} kClassLabels[{n}]", ", ".join(str(int(v)) for v in ints)
    elif values.dtype.kind in "OU" and all(
        isinstance(v, str) and len(v) <= MAX_LABEL_CHARS and re.fullmatch(r"[ -~]*", v)
        and '"' not in v and "\\" not in v for v in values.tolist()
    ):
        width = max(len(v) for v in values.tolist()) + 1
        decl = f"char kClassLabels[{n}][{width}]"
        init = ", ".join(f'"{v}"' for v in values.tolist())
        head += " Strings in flash: on AVR copy one out with strcpy_P."
    else:
        return [f"\n// classes_ are not integers or short strings: no kClassLabels ({n} classes)."]
    return [
        head,
        f"constexpr miniml::index_t kClassCount = {n};",
        "template <typename Unused = void>\nstruct LabelsData {",
        f"  static const {decl};",
        "};",
        f"template <typename Unused>\nconst {decl.replace('kClassLabels', 'LabelsData<Unused>::kClassLabels')}"
        f" MINIML_ROM = {{{init}}};",
        "typedef LabelsData<> Labels;",
    ]


def write_header(
    head: Head, n_in: int, name: str, provenance: str,
    golden: Optional[Tuple[np.ndarray, np.ndarray, float, str]],
) -> Tuple[str, Report]:
    steps = head.steps
    n_out = steps[-1].width
    wires = _wire(steps, to_output=True)
    class_steps = head.class_steps or []
    class_wires = _wire(class_steps, to_output=False) if class_steps else []

    widths: Dict[str, int] = {}
    for group, wired in ((steps, wires), (class_steps, class_wires)):
        for s, (_, y) in zip(group, wired):
            if y in ROWS:
                widths[y] = max(widths.get(y, 0), s.width)

    parts = HeaderParts(name=name)
    headers = ["core_types.h", "core_rom.h"]
    seen_rom: Dict[str, object] = {}
    seen_members: Dict[str, Member] = {}
    for s in steps + class_steps:
        if s.header not in headers:
            headers.append(s.header)
        for r in s.rom:
            seen_rom.setdefault(r.name, r)
        for m in s.members:
            seen_members.setdefault(m.name, m)
        for line in s.methods:
            if line not in parts.methods:
                parts.methods.append(line)
    if class_steps and "classic_output.h" not in headers:
        headers.append("classic_output.h")  # argmax_f32
    parts.includes = [f"miniml/{h}" for h in headers]
    parts.rom = list(seen_rom.values())
    for row in ROWS:
        if row in widths:
            parts.members.append(Member(row, DType.F32, widths[row], "one step's row"))
    parts.members += list(seen_members.values())
    parts.max_count = max([n_in, n_out, *widths.values(), *(r.data.size for r in parts.rom)])
    parts.predict = _calls(steps, wires)
    if class_steps:
        last = class_wires[-1][1]
        parts.methods.append(
            "  // scikit-learn's predict as an index into classes_ (kClassLabels when present).\n"
            "  int predict_class(const float* input) {\n"
            + "\n".join(_calls(class_steps, class_wires))
            + f"\n    return static_cast<int>({head.class_rule.format(y=last)});\n  }}"
        )
    if head.classes is not None:
        parts.tail += labels_tail(head.classes)
    if golden is not None:
        golden_parts(parts, None, *golden)  # one float input, one float output
    row_bytes = sum(4 * w for w in widths.values())
    text = render(parts, _Io(n_in, n_out), _Plan(row_bytes, row_bytes), provenance)
    rows = []
    for i, (s, (_, y)) in enumerate(zip(steps, wires)):
        rows.append(LayerRow(
            name=f"step{i}", op=s.op + (f" [{s.layout}]" if s.layout else ""), source=s.source,
            output_shape=(1, s.width), macs=s.ops,
            flash_bytes=sum(r.nbytes for r in s.rom), buffer=y.strip("_"),
        ))
    report = Report(
        name=name, input_shape=(1, n_in), output_shape=(1, n_out),
        macs=sum(s.ops for s in steps), flash_bytes=parts.flash_bytes, ram_bytes=parts.ram_bytes,
        arena_bytes=row_bytes, arena_lower_bound=row_bytes, layers=rows, work_unit="operations",
    )
    return text, report
