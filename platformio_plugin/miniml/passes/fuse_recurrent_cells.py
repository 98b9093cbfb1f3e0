"""fuse_recurrent_cells: a GRUCell/LSTMCell/RNNCell called in a Python loop becomes one recurrent layer.

Rewrites: torch.export unrolls `for t in range(T): h = cell(x[:, t], h)` into T one-step recurrent nodes
(same weights), each fed a select of the same input; a chain where step k reads x[:, k] of a [1, T, F]
tensor, the previous step's state (read by nothing else) and the same weights becomes one node with
seq_len T reading the whole input, its state output the last step's.
Leaves alone: chains whose intermediate states are read elsewhere (e.g. stacked into an output) or whose
steps read the input out of order; those run as T one-step calls sharing one copy of the weights.
Why: one call, one state buffer, and step() can stream it like nn.GRU.
"""
from __future__ import annotations

from typing import List, Optional

from ..ir import Graph, Node

RECURRENT = ("gru", "lstm", "rnn")


def _step_input(g: Graph, node: Node):
    """(source tensor, offset, width) when node's x is a contiguous slice of another tensor."""
    sel = g.producer(node.inputs[0])
    if sel is None or sel.op != "permute" or len(g.consumers(sel.outputs[0])) != 1:
        return None
    a = sel.attrs
    width = node.attrs["input_size"]
    dense = [s for d, s in zip(a["out_shape"], a["strides"]) if d > 1]
    if dense not in ([1], []) or g.tensor(sel.outputs[0]).numel != width:
        return None
    return sel, sel.inputs[0], a["offset"], width


def _state_outputs(n: Node) -> List[str]:
    roles = n.attrs["roles"]
    return [n.outputs[roles.index(r)] for r in ("h_n", "c_n") if r in roles]


def _next_step(g: Graph, n: Node) -> Optional[Node]:
    states = _state_outputs(n)
    users = {u.name: u for s in states for u in g.consumers(s)}
    if len(users) != 1 or any(s in g.outputs for s in states):
        return None
    nxt = next(iter(users.values()))
    same = (nxt.op == n.op and nxt.params.get("weight") == n.params.get("weight")
            and nxt.attrs["cell"] == n.attrs["cell"] and nxt.attrs["seq_len"] == 1)
    wanted = [nxt.inputs[nxt.attrs[k]] if k in nxt.attrs else None for k in ("h0_input", "c0_input")]
    return nxt if same and wanted[: len(states)] == states else None


def _chain(g: Graph, first: Node) -> Optional[List[Node]]:
    chain = [first]
    while True:
        nxt = _next_step(g, chain[-1])
        if nxt is None:
            break
        chain.append(nxt)
    if len(chain) < 2:
        return None
    steps = [_step_input(g, n) for n in chain]
    if any(s is None for s in steps) or len({s[1] for s in steps}) != 1:
        return None
    width = steps[0][3]
    if [s[2] for s in steps] != [k * width for k in range(len(chain))]:
        return None
    if g.tensor(steps[0][1]).numel != len(chain) * width:
        return None
    return chain


def fuse_recurrent_cells(g: Graph) -> Graph:
    for first in [n for n in g.nodes if n.op in RECURRENT]:
        if first not in g.nodes or first.attrs["seq_len"] != 1 or "h0_input" in first.attrs:
            continue
        chain = _chain(g, first)
        if chain is None:
            continue
        selects = {g.producer(n.inputs[0]).name for n in chain}
        source = g.producer(first.inputs[0]).inputs[0]
        last = chain[-1]
        roles = [r for r in last.attrs["roles"] if r != "work"] + ["work"]
        outs = [last.outputs[last.attrs["roles"].index(r)] for r in roles if r != "work"]
        outs.append(first.outputs[first.attrs["roles"].index("work")])
        fused = first.with_(inputs=(source,), outputs=tuple(outs),
                            attrs={**first.attrs, "seq_len": len(chain), "roles": tuple(roles)})
        drop = {n.name for n in chain} | selects
        nodes = []
        for n in g.nodes:
            if n.name == last.name:
                nodes.append(fused)
            elif n.name not in drop:
                nodes.append(n)
        g = g.with_(nodes=tuple(nodes)).prune()
    return g
