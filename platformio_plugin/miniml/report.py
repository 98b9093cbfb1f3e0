"""Report: what an export costs (shapes, MACs, flash, RAM = sizeof(Model), arena vs lower bound)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple


@dataclass(frozen=True)
class LayerRow:
    name: str
    op: str
    source: str
    output_shape: Tuple[int, ...]
    macs: int
    flash_bytes: int
    buffer: str  # "arena@<offset>", "output" or "input"


@dataclass
class Report:
    name: str
    input_shape: Tuple[int, ...]
    output_shape: Tuple[int, ...]
    macs: int
    flash_bytes: int
    ram_bytes: int
    arena_bytes: int
    arena_lower_bound: int
    training_ram_bytes: int = 0
    # on_device_learning: the PyTorch names of the parameters learn() changes (save order), and the
    # training RAM by part: trainable, gradients, optimizer, activations (they sum to it)
    trainable_params: List[str] = field(default_factory=list)
    training_ram_parts: Dict[str, int] = field(default_factory=dict)
    # learn()'s gradient buffer (activation and conv parameter gradients, planned like the arena)
    # and its lower bound (the most bytes alive at one backward step)
    gradient_buffer_bytes: int = 0
    gradient_lower_bound: int = 0
    # its plan as plan_buffers below (lifetimes in backward steps: gradient_steps, the update last)
    gradient_buffers: List[dict] = field(default_factory=list)
    gradient_steps: List[str] = field(default_factory=list)
    # train_budget: what the contributions were measured on: train_sample, calibration or random
    train_budget_sample: str = ""
    float_flash_bytes: int = 0  # with quantize="int8": what the float export would take, for comparison
    float_arena_bytes: int = 0
    # int8 model that learns: frozen layers after the learning ones kept int8 / float (why), and the
    # flash the int8 ones save (int8/mixed.py)
    int8_learning: Dict[str, Any] = field(default_factory=dict)
    optimize: str = "size"  # the export option; "speed": faster, bigger kernels (MINIML_OPTIMIZE_SPEED)
    layers: List[LayerRow] = field(default_factory=list)
    header_path: str = ""
    memory_plan: str = ""
    # the arena plan: per buffer its first tensor, offset, size and lifetime [start, end] in layers
    plan_buffers: List[dict] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)  # MinimlWarning messages of the export
    work_unit: str = "MACs"  # what `macs` counts: "operations" for scikit-learn models (comparisons too)

    def format_table(self) -> str:
        rows = [("layer", "op", "module", "output", self.work_unit, "flash B", "buffer")]
        for r in self.layers:
            rows.append(
                (
                    r.name,
                    r.op,
                    r.source or "-",
                    "x".join(str(d) for d in r.output_shape),
                    str(r.macs),
                    str(r.flash_bytes),
                    r.buffer,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [f"model {self.name}: input {list(self.input_shape)} -> output "
                 f"{list(self.output_shape)}"]
        for k, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append(f"total {self.work_unit} {self.macs}")
        if self.float_flash_bytes:
            lines.append(
                f"int8 vs float: flash {self.flash_bytes} B vs {self.float_flash_bytes} B, "
                f"arena {self.arena_bytes} B vs {self.float_arena_bytes} B"
            )
        lines.append(f"flash (constants) {self.flash_bytes} B")
        lines.append(
            f"RAM sizeof(Model) {self.ram_bytes} B: arena {self.arena_bytes} B "
            f"(lower bound {self.arena_lower_bound} B{_gap(self.arena_bytes, self.arena_lower_bound)})"
            + (f", training {self.training_ram_bytes} B" if self.training_ram_bytes else "")
        )
        if self.trainable_params:
            split = ", ".join(f"{k.replace('_', ' ')} {v} B" for k, v in self.training_ram_parts.items())
            lines.append(f"learning: {', '.join(self.trainable_params)}; training RAM {split}")
            lines.append(f"gradient buffer {self.gradient_buffer_bytes} B (lower bound "
                         f"{self.gradient_lower_bound} B"
                         f"{_gap(self.gradient_buffer_bytes, self.gradient_lower_bound)})")
        mixed = self.int8_learning
        if mixed.get("int8_frozen") or mixed.get("float_frozen"):
            lines.append(f"int8 after the learning layers: {', '.join(mixed['int8_frozen']) or 'none'}"
                         f" (flash saved {mixed['flash_saved_bytes']} B); kept float: "
                         f"{', '.join(mixed['float_frozen']) or 'none'}")
        if self.train_budget_sample:
            lines.append(f"train_budget chose it by contributions on the {self.train_budget_sample} "
                         "inputs" + (" (no train_sample or calibration data given)"
                                     if self.train_budget_sample == "random" else ""))
        return "\n".join(lines)


def _gap(planned: int, bound: int) -> str:
    over = planned - bound
    return f", {100 * over / bound:.1f}% over it" if over > 0 else ""
