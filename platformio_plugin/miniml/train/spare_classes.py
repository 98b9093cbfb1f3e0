"""spare_classes=N: a cross-entropy classifier gets N more output rows, inactive until add_class().

add_spare_classes(graph) rewrites the final Linear: N zero rows appended to its weight and bias (a
new class starts with logit 0 and learns from the samples labelled with it), out_features and the
output tensor grown by N; every other node is left alone. The emitter (SpareClasses) keeps the
number of active classes in a Model member, saved with the parameters; predict() masks the rest
(train_classes.h) and learn() takes the loss over the active rows only, as torch's cross_entropy on
logits masked with -inf: the parity reference is the PyTorch model with that expanded, masked head.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, List

import numpy as np

from ..errors import OptionError
from ..ir import DType, Graph, Placement

LOWEST_F32 = float(np.finfo(np.float32).min)  # predict()'s masked logit (train_classes.h)


def add_spare_classes(g: Graph, spare: int) -> Graph:
    if not spare:
        return g
    out = g.outputs[0]
    head = g.producer(out)
    if head is None or head.op != "linear":
        raise OptionError(
            f"spare_classes={spare} adds rows to the final nn.Linear, but the model ends with "
            f"{head.op if head else 'its input'}"
            f"{' (' + head.source + ')' if head is not None and head.source else ''}: end the "
            "classifier with the Linear that gives the logits"
        )
    classes = int(head.attrs["out_features"])
    if g.tensor(out).numel != classes:
        raise OptionError(
            f"spare_classes={spare}: the output {list(g.tensor(out).shape)} is not one row of "
            f"{classes} logits; spare classes need a classifier whose output is [1, classes]"
        )
    params = dict(g.params)
    for role in ("weight", "bias"):
        if role in head.params:
            p = params[head.params[role]]
            rows = np.zeros((spare,) + p.data.shape[1:], p.data.dtype)
            params[p.name] = replace(p, data=np.concatenate([p.data, rows]))
    attrs = {**head.attrs, "out_features": classes + spare}
    nodes = tuple(n.with_(attrs=attrs) if n is head else n for n in g.nodes)
    tensors = dict(g.tensors)
    shape = g.tensor(out).shape
    tensors[out] = replace(g.tensor(out), shape=shape[:-1] + (classes + spare,))
    return g.with_(params=params, nodes=nodes, tensors=tensors,
                   meta={**g.meta, "spare_classes": (classes, spare)})


def require_learning_head(g: Graph) -> None:
    """After split_training: a spare row learns only if the final Linear's weight is in RAM."""
    if "spare_classes" not in g.meta:
        return
    head = g.producer(g.outputs[0])
    weight = head.params["weight"]
    if g.params[weight].placement is not Placement.RAM:
        raise OptionError(
            f"spare_classes={g.meta['spare_classes'][1]}: a new class learns in the final Linear, "
            f"but {weight!r} is not trainable: add it (or its module) to trainable"
        )


def padded_reference(run: Any, spare: int) -> Any:
    """The golden reference of the expanded model: the original outputs, then the masked rows."""

    def reference(x: np.ndarray) -> np.ndarray:
        y = np.asarray(run(x), np.float32).reshape(-1)
        return np.concatenate([y, np.full(spare, LOWEST_F32, np.float32)])

    return reference


class SpareClasses:
    """The emitter's view: the active-class member, the lines that mask, count and save it."""

    def __init__(self, g: Graph, member: Any) -> None:
        self.classes, self.spare = g.meta.get("spare_classes", (0, 0))
        self.member = (member("train_classes_", 1, "active classes (the rest are spare)", DType.S32)
                       if self.spare else None)

    def active(self) -> str:
        """C++ expression: how many output rows are classes now."""
        return f"static_cast<miniml::index_t>({self.member}[0])" if self.member else "kOutputSize"

    def reset(self) -> List[str]:
        return [f"{self.member}[0] = {self.classes};"] if self.member else []

    def predict_lines(self) -> List[str]:
        if not self.member:
            return []
        return [f"    miniml::mask_classes_f32(output, {self.active()}, kOutputSize);"]

    def loss(self, dy: str) -> str:
        if not self.member:
            return f"miniml::cross_entropy_f32({dy}, label, kOutputSize, {dy})"
        return f"miniml::masked_cross_entropy_f32({dy}, label, {self.active()}, kOutputSize, {dy})"

    @property
    def payload_bytes(self) -> int:
        """What save() stores beyond the parameters: the int32 active-class count."""
        return 4 if self.member else 0

    def spans(self) -> List[str]:
        """save()/load() spans after the parameters: the active-class count."""
        return [f"{{{self.member}, sizeof({self.member})}}"] if self.member else []

    def methods(self, invalidate: str) -> List[str]:
        if not self.member:
            return []
        c = self.member
        return [
            "  // Activates the next spare output row as a new class: its logit joins predict()'s argmax and",
            "  // the loss; it starts at 0 and learns from learn() samples with its label. Returns that label,",
            "  // or -1 when no spare row is left. save() keeps the count.",
            "  int16_t add_class() {",
            f"    if ({self.active()} >= kOutputSize) return -1;",
            f"    {invalidate}",
            f"    return static_cast<int16_t>({c}[0]++);",
            "  }",
            f"  uint16_t active_classes() const {{ return static_cast<uint16_t>({c}[0]); }}",
        ]
