"""keep_last_step: a recurrent layer whose output sequence is read only at its last time step (out[:, -1])
writes that step alone.

Rewrites: every reader of the node's "out" tensor is a strided copy ("permute": select/slice) reading
inside the last [directions*hidden] floats; the node gets attrs last_only=True, "out" shrinks to one step
and the copies' offsets move back by (seq_len - 1) steps.
Leaves alone: sequences read anywhere else. Why: out[:, -1] is the usual head of a sequence classifier,
and the whole sequence would cost seq_len times the RAM of the one step it needs.
"""
from __future__ import annotations

from dataclasses import replace

from ..ir import Graph


def _reads_within(node, lo: int, hi: int) -> bool:
    a = node.attrs
    if node.op != "permute":
        return False
    last = a["offset"] + sum((d - 1) * s for d, s in zip(a["out_shape"], a["strides"]))
    return lo <= a["offset"] and last < hi and all(s >= 0 for s in a["strides"])


def _shifted(node, lo: int, width: int):
    """The copy reading the kept step: a plain copy when it reads all of it in order (out[:, -1])."""
    a = {**node.attrs, "offset": node.attrs["offset"] - lo}
    dense = [s for d, s in zip(a["out_shape"], a["strides"]) if d > 1]
    n = 1
    for d in a["out_shape"]:
        n *= d
    if a["offset"] == 0 and n == width and dense in ([1], []):
        return node.with_(op="copy", attrs={})
    return node.with_(attrs=a)


def keep_last_step(g: Graph) -> Graph:
    for n in list(g.nodes):
        roles = n.attrs.get("roles", ())
        if "last_only" not in n.attrs or n.attrs["last_only"] or "out" not in roles:
            continue
        out = n.outputs[roles.index("out")]
        spec = g.tensor(out)
        width = spec.numel // n.attrs["seq_len"]
        lo = spec.numel - width
        users = g.consumers(out)
        if out in g.outputs or not users or not all(_reads_within(u, lo, spec.numel) for u in users):
            continue
        moved = {u.name: _shifted(u, lo, width) for u in users}
        new_n = n.with_(attrs={**n.attrs, "last_only": True})
        nodes = tuple(new_n if m is n else moved.get(m.name, m) for m in g.nodes)
        tensors = {**g.tensors, out: replace(spec, shape=(1, width))}
        g = g.with_(nodes=nodes, tensors=tensors)
    return g
