"""Small graph-rewrite helpers shared by passes (renaming tensors, single-consumer checks)."""
from __future__ import annotations

from typing import Dict, Optional

from ..ir import Graph, Node


def rename_tensor(g: Graph, old: str, new: str, drop: Optional[Node] = None) -> Graph:
    """Every reference to tensor `old` becomes `new`; node `drop` (if given) is removed."""

    def r(t: str) -> str:
        return new if t == old else t

    nodes = tuple(
        n.with_(inputs=tuple(r(t) for t in n.inputs), outputs=tuple(r(t) for t in n.outputs))
        for n in g.nodes
        if n is not drop
    )
    return g.with_(
        nodes=nodes,
        inputs=tuple(r(t) for t in g.inputs),
        outputs=tuple(r(t) for t in g.outputs),
    ).prune()


def sole_consumer(g: Graph, tensor: str) -> Optional[Node]:
    """The only node reading `tensor`, or None if it has several readers or is a graph output."""
    if tensor in g.outputs:
        return None
    users = g.consumers(tensor)
    return users[0] if len(users) == 1 else None


def replace_node(g: Graph, old: Node, new: Node) -> Graph:
    return g.with_(nodes=tuple(new if n is old else n for n in g.nodes))


def params_with(g: Graph, **added) -> Dict:
    params = dict(g.params)
    params.update(added)
    return params
