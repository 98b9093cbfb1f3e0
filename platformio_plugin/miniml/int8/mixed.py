"""Mixed precision for on-device learning on an int8 model: which layers of the float part learn
and which frozen Conv/Linear layers after the first learning one stay int8 in flash.

The float part (passes/split_training.learning_layers) runs from the deepest learning layer to the
output. In it, a layer that learns keeps a float copy in RAM, initialised with its int8 weights
dequantised (so the export predicts as the int8 model until its first step); a frozen Conv/Linear
runs as an int8 island (quantize -> the int8 layer -> dequantize, TFLite's scheme at the calibrated
scales) whose backward uses its dequantised weights (passes/quantize_int8.py builds the islands,
ops/quantize.py and the int8 layers' backward rules run them backward). Two kinds of frozen layer
stay float: the one that makes the model output, because the loss reads it directly and an int8
output clamps at the calibrated range, zeroing exactly the gradient learning needs to move an output
outside it; and one so small that its int8 parameters (with multipliers and the weight scales the
backward reads) would not be smaller than its float ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

from ..ir import Graph
from ..passes.split_training import choose_trainable, learning_layers

ISLAND_OPS = ("conv1d", "conv2d", "linear")


@dataclass(frozen=True)
class MixedPlan:
    tail: Tuple[str, ...] = ()  # nodes that leave the int8 backbone (graph order)
    learning: Tuple[str, ...] = ()  # nodes with a parameter that learns
    islands: Tuple[str, ...] = ()  # frozen layers of the tail that stay int8
    kept_float: Dict[str, str] = field(default_factory=dict)  # frozen tail layer -> why float


def plan_mixed(g: Graph, opts: Any) -> MixedPlan:
    """The float part of an int8 model that learns (opts: TrainOptions) and its int8 islands."""
    tail = learning_layers(g, opts)
    learning = tuple(n for n in choose_trainable(g, opts) if n in tail)
    islands, kept = [], {}
    for n in g.nodes:
        if n.name not in tail or n.name in learning or n.op not in ISLAND_OPS:
            continue
        float_bytes = sum(g.params[p].nbytes for p in n.params.values())
        out = n.attrs.get("out_channels", n.attrs.get("out_features", 1))
        # int8 weights, int32 bias, multiplier, shift and the float weight scales backward reads
        int8_bytes = g.params[n.params["weight"]].numel + out * (4 + 4 + 1 + 4)
        if n.outputs[0] in g.outputs:
            kept[n.name] = ("it makes the model output, which the loss reads: int8 would clamp it "
                            "at the calibrated range and zero the gradient there")
        elif int8_bytes >= float_bytes:
            kept[n.name] = (f"int8 would not save flash ({int8_bytes} B of int8 parameters vs "
                            f"{float_bytes} B float)")
        else:
            islands.append(n.name)
    return MixedPlan(tuple(tail), learning, tuple(islands), kept)


def mixed_report(g: Graph, gq: Graph, plan: MixedPlan) -> Dict[str, Any]:
    """report.int8_learning: the frozen layers after the learning ones that stay int8 and those kept
    float (with why), by module, and the flash the int8 ones save against float weights."""
    by_name = {n.name: n for n in g.nodes}

    def module(name: str) -> str:
        n = by_name[name]
        w = n.params.get("weight", "")
        return w[: -len(".weight")] if w.endswith(".weight") else (n.source or name)

    float_bytes = sum(g.params[p].nbytes for name in plan.islands
                      for p in by_name[name].params.values())
    int8_bytes = sum(gq.params[p].nbytes for n in gq.nodes if n.name in plan.islands
                     for p in n.params.values())
    return {
        "int8_frozen": [module(n) for n in plan.islands],
        "float_frozen": {module(n): why for n, why in plan.kept_float.items()},
        "flash_saved_bytes": float_bytes - int8_bytes,
    }
