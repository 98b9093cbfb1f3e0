"""drop_unused_outputs: a node stops writing an optional output that nothing reads.

Rewrites: a node whose attrs list its outputs by role ("roles") and which of them it may skip
("optional_roles", e.g. a recurrent layer's output sequence) loses every optional output that no node
reads and that is not a graph output; its kernel is then passed nullptr for it.
Leaves alone: nodes without those attrs, and outputs that are read. Why: the sequence of hidden states
of a GRU read only through h_n would otherwise take seq_len * hidden floats of arena for nothing.
"""
from __future__ import annotations

from ..ir import Graph


def drop_unused_outputs(g: Graph) -> Graph:
    read = {t for n in g.nodes for t in n.inputs} | set(g.outputs)
    nodes = []
    for n in g.nodes:
        optional = n.attrs.get("optional_roles", ())
        roles = n.attrs.get("roles")
        if not optional or roles is None:
            nodes.append(n)
            continue
        keep = [(r, t) for r, t in zip(roles, n.outputs) if r not in optional or t in read]
        attrs = {**n.attrs, "roles": tuple(r for r, _ in keep)}
        nodes.append(n.with_(outputs=tuple(t for _, t in keep), attrs=attrs))
    return g.with_(nodes=tuple(nodes)).prune()
