"""verify(graph): the IR invariants every lowering and pass must keep (see graph.py)."""
from __future__ import annotations

from ..errors import GraphError
from .graph import DType, Graph


def verify(g: Graph) -> Graph:
    """Raises GraphError on a broken invariant; returns the graph so it can be chained."""
    defined = set(g.inputs)
    for t in g.inputs:
        if t not in g.tensors:
            raise GraphError(f"graph input {t!r} has no TensorSpec")
    seen_nodes = set()
    for n in g.nodes:
        if n.name in seen_nodes:
            raise GraphError(f"two nodes named {n.name!r}")
        seen_nodes.add(n.name)
        for t in n.inputs:
            if t not in defined:
                raise GraphError(f"node {n.name!r} ({n.op}) reads {t!r} before it is written")
        for t in n.outputs:
            if t in defined:
                raise GraphError(f"tensor {t!r} written twice (second time by {n.name!r})")
            if t not in g.tensors:
                raise GraphError(f"node {n.name!r} writes {t!r}, which has no TensorSpec")
            defined.add(t)
        for role, p in n.params.items():
            if p not in g.params:
                raise GraphError(f"node {n.name!r} names missing param {p!r} as {role}")
            param = g.params[p]
            if param.dtype is DType.F32 and str(param.data.dtype) != "float32":
                raise GraphError(f"param {p!r} is F32 but holds {param.data.dtype}")
    for t in g.outputs:
        if t not in defined:
            raise GraphError(f"graph output {t!r} is never written")
    for spec in g.tensors.values():
        if any((not isinstance(d, int)) or d < 1 for d in spec.shape):
            raise GraphError(f"tensor {spec.name!r} has a non-positive or symbolic shape {spec.shape}")
    return g
