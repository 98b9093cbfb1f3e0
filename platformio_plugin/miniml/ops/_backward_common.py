"""Shared parts of the backward rules (no registration here): memory policies of layers whose
parameters learn in RAM, the derivative of an activation fused into a layer, the 2-D shape literal
of a conv for train_conv.h."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .registry import ACTIVATIONS


def mem_policies(node: Any, e: Any) -> str:
    """The weight's memory policy, and the bias's after it when only the bias learns (in RAM)."""
    mem = e.mem(node, "weight")
    if "bias" in node.params and e.mem(node, "bias") != mem:
        mem += f", {e.mem(node, 'bias')}"
    return mem


def act_grad(act: Tuple[Any, ...]) -> str:
    """C++ functor of the activation's derivative: miniml::ActGrad<Name>(same arguments)."""
    return ACTIVATIONS[act[0]].functor(*act[1:]).replace("miniml::Act", "miniml::ActGrad", 1)


def act_saves(act: Optional[Tuple[Any, ...]], x: str, y: str) -> Tuple[str, ...]:
    """The tensor an activation's derivative reads: its output y or its input x."""
    if act is None:
        return ()
    return (y,) if ACTIVATIONS[act[0]].backward == "output" else (x,)


def fused_act_refusal(node: Any) -> Optional[str]:
    """A fused activation whose derivative needs the layer's output (the input one is unfused by
    split_training so its input is kept) is fine; one without a derivative is not."""
    act = node.attrs.get("act")
    if act is not None and ACTIVATIONS[act[0]].backward != "output":
        return f"its fused {act[0]} has no backward from its output"
    return None


def fused_act_backward(node: Any, b: Any, size: int) -> List[str]:
    """The gradient through the layer's fused activation, in place on the layer's output gradient."""
    act = node.attrs.get("act")
    if act is None:
        return []
    return [f"miniml::activation_backward_inplace_f32({b.e.t(node.outputs[0])}, {b.gy}, "
            f"{b.e.i(size)}, {act_grad(act)});"]


def int8_output_grad(node: Any, b: Any, channels: int, plane: int) -> List[str]:
    """A frozen int8 layer's output gradient, in place: 0 where its output code sits at a clamp
    bound, else times the channel's weight scale (train_int8.h), so its int8 weights then give the
    input gradient of the dequantised layer."""
    e, a = b.e, node.attrs
    return [f"miniml::int8_output_grad_f32<{e.mem(node, 'grad_scale')}>({e.t(node.outputs[0])}, "
            f"{b.gy}, {e.p(node, 'grad_scale')}, {e.i(channels)}, {e.i(plane)}, {a['act_min']}, "
            f"{a['act_max']});"]


class Int8LayerBackward:
    """Shared by the int8 Conv/Linear backward rules: a frozen layer after one that learns (an int8
    model's mixed part) reads its output codes; it never learns."""

    @staticmethod
    def saves(node: Any, b: Any) -> Tuple[str, ...]:
        return (node.outputs[0],)

    @staticmethod
    def refuse(node: Any) -> Optional[str]:
        if "grad_scale" not in node.params:
            return "it is part of the int8 backbone"
        return None
