"""fuse_activation: a pointwise activation moves into the conv/linear that produces its input.

Rewrites: producer(x) -> activation(act) into producer(x, act) when the kernel takes an activation
functor (KernelSpec.fuses_activation), the producer has none yet and its output has no other reader.
Leaves alone: activations after pools, adds, or a tensor read twice. Why: saves a pass over the buffer
and a buffer; the functor is the same code the standalone kernel runs, so results are bit-identical.
"""
from __future__ import annotations

from ..ir import Graph
from ..ops import KERNELS
from ._rewrite import rename_tensor, sole_consumer


def fuse_activation(g: Graph) -> Graph:
    for name in [n.name for n in g.iter_ops("activation")]:
        act = next(n for n in g.nodes if n.name == name)
        prod = g.producer(act.inputs[0])
        if prod is None or not KERNELS[prod.op].fuses_activation:
            continue
        if prod.attrs.get("act") is not None or sole_consumer(g, act.inputs[0]) is not act:
            continue
        new_prod = prod.with_(attrs={**prod.attrs, "act": act.attrs["act"]})
        nodes = tuple(new_prod if n is prod else n for n in g.nodes if n is not act)
        # the producer now writes the activation's output tensor (keeps graph outputs named)
        g = rename_tensor(g.with_(nodes=nodes), prod.outputs[0], act.outputs[0])
    return g
