"""remove_aliases: drops "alias" nodes (view, reshape, flatten, dropout in eval, clone, identity...).

Rewrites: the alias's output tensor is merged with its input (flat data is identical in our layout).
Leaves alone: an alias from a graph input, or from another graph output, to a graph output, which
becomes a "copy" (each output buffer is the caller's).
Why: aliases cost RAM and a memcpy; kernels take their structure from attrs, never from tensor shapes,
so merging two tensors of different shape but equal numel is safe.
"""
from __future__ import annotations

from ..ir import Graph
from ._rewrite import rename_tensor, replace_node


def remove_aliases(g: Graph) -> Graph:
    while True:
        node = next(g.iter_ops("alias"), None)
        if node is None:
            return g
        src, dst = node.inputs[0], node.outputs[0]
        if (src in g.inputs or src in g.outputs) and dst in g.outputs:
            g = replace_node(g, node, node.with_(op="copy"))
        elif dst in g.outputs:
            g = rename_tensor(g.with_(nodes=tuple(n for n in g.nodes if n is not node)), src, dst)
        else:
            g = rename_tensor(g.with_(nodes=tuple(n for n in g.nodes if n is not node)), dst, src)
