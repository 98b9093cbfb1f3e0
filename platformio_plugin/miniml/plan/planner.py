"""Arena planner: tensor lifetimes -> byte offsets in one arena (Model::arena_), no heap.

Steps (the gradient buffer of learn() is placed by the same placement.py: train/emit.py):
1. Number the nodes 0..n-1 (graph order). A tensor lives from the node that writes it to its last
   reader. The graph input (caller's const buffer) and output (caller's buffer) are not in the arena.
2. In place: the caller names, per output tensor, the inputs its kernel may overwrite (elementwise
   kernels: ops.inplace_pairs); an input that dies at that node and has the same byte size and type
   gives its buffer to the output; the two tensors become one Buffer.
3. Lower bound: the largest sum of sizes of buffers alive at the same node. No plan can be smaller.
4. Place buffers (placement.py): a two-ended ping-pong that alternates bottom and top of an arena
   sized to the lower bound (optimal on chains), then first fit and best fit in six orders (largest
   first as TFLM's greedy planner, graph order, longest lifetime, size x lifetime, conflicting
   bytes, end), then, when none reached the bound, bounded depth-first searches (three orders) for a
   plan within it, then 60 short ones in randomly perturbed orders (seeded), and when they fail
   too, searches between the bound and the best plan so far. The
   first plan at the bound wins, else the smallest; every plan must pass the overlap check.
   Branching graphs need more than the first three (two-ended, largest-first and graph-order first
   fit, all the planner had before #17): a tensor kept alive across a branch (the input of a
   squeeze-excite block, multiplied by the branch's result) is placed beside the buffers of its
   time before the graph's peak is seen, and splits the free space the peak needs later
   (mobilenet_v3_small float: 6.7% over its bound with those three, at it now).
Offsets and sizes are multiples of 4 bytes so every float buffer is aligned on every target.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import GraphError
from ..ir import Graph
from . import placement
from .placement import ALIGN


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class Buffer:
    tensors: List[str]
    size: int
    start: int
    end: int
    offset: int = -1

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.start <= other.end and other.start <= self.end

    def overlaps(self, other: "Buffer") -> bool:
        return (
            self.overlaps_in_time(other)
            and self.offset < other.offset + other.size
            and other.offset < self.offset + self.size
        )


@dataclass
class MemoryPlan:
    offsets: Dict[str, int]
    arena_bytes: int
    lower_bound: int
    buffers: List[Buffer]
    strategy: str = ""
    steps: List[str] = field(default_factory=list)

    def check(self) -> None:
        """Raises GraphError if two buffers alive at the same node share bytes (DoAnyBuffersOverlap)."""
        for i, a in enumerate(self.buffers):
            if a.offset < 0 or a.offset + a.size > self.arena_bytes or a.offset % ALIGN:
                raise GraphError(f"buffer {a.tensors} badly placed at {a.offset}")
            for b in self.buffers[i + 1 :]:
                if a.overlaps(b):
                    raise GraphError(f"buffers {a.tensors} and {b.tensors} overlap")

    def format(self, width: int = 64) -> str:
        """ASCII dump (like TFLM's PrintMemoryPlan): one line per node, letters = live buffers."""
        if not self.buffers or self.arena_bytes == 0:
            return "(empty arena)"
        scale = max(1, -(-self.arena_bytes // width))
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        lines = [f"arena {self.arena_bytes} B (lower bound {self.lower_bound} B), {scale} B/char, "
                 f"placed by {self.strategy}"]
        for i, b in enumerate(self.buffers):
            lines.append(f"  {letters[i % len(letters)]}: {'+'.join(b.tensors)} @{b.offset} {b.size}B")
        for t, step in enumerate(self.steps):
            row = ["."] * (-(-self.arena_bytes // scale))
            for i, b in enumerate(self.buffers):
                if b.start <= t <= b.end:
                    for c in range(b.offset // scale, -(-(b.offset + b.size) // scale)):
                        row[c] = letters[i % len(letters)]
            lines.append(f"{t:3d} {''.join(row)} {step}")
        return "\n".join(lines)


def _lifetimes(g: Graph) -> Tuple[Dict[str, int], Dict[str, int]]:
    start: Dict[str, int] = {}
    end: Dict[str, int] = {}
    for t, n in enumerate(g.nodes):
        for x in n.inputs:
            end[x] = t
        for y in n.outputs:
            start[y] = t
            end.setdefault(y, t)
    for x in g.meta.get("keep_alive", ()):  # read by learn() after the forward pass (split_training)
        if x in end:
            end[x] = len(g.nodes) - 1
    return start, end


def _buffers(g: Graph, inplace: Mapping[str, Sequence[str]]) -> List[Buffer]:
    external = set(g.inputs) | set(g.outputs)
    start, end = _lifetimes(g)
    owner: Dict[str, Buffer] = {}
    buffers: List[Buffer] = []
    for t, n in enumerate(g.nodes):
        shared: Optional[Buffer] = None
        out = n.outputs[0] if n.outputs else None
        if out is not None and out not in external:
            for x in inplace.get(out, ()):
                if (
                    x not in external
                    and x in owner
                    and end[x] == t
                    and g.tensor(x).nbytes == g.tensor(out).nbytes
                    and g.tensor(x).dtype == g.tensor(out).dtype
                ):
                    shared = owner[x]
                    break
        for y in n.outputs:
            if y in external:
                continue
            if shared is not None and y == out:
                shared.tensors.append(y)
                shared.end = max(shared.end, end[y])
                owner[y] = shared
                continue
            b = Buffer([y], _align(g.tensor(y).nbytes), start[y], end[y])
            buffers.append(b)
            owner[y] = b
    return buffers


def plan_memory(g: Graph, inplace: Optional[Mapping[str, Sequence[str]]] = None) -> MemoryPlan:
    """Sizes and lifetimes come from g; `inplace` maps an output tensor to the inputs it may
    overwrite (ops.inplace_pairs(g))."""
    buffers = _buffers(g, inplace or {})
    items = [(b.size, b.start, b.end) for b in buffers]
    bound = placement.lower_bound(items)
    arena, strategy, offsets = placement.place(items, bound)
    for b, off in zip(buffers, offsets):
        b.offset = off
    plan = MemoryPlan({t: b.offset for b in buffers for t in b.tensors}, arena, bound, buffers,
                      strategy, [f"{n.name} ({n.op})" for n in g.nodes])
    plan.check()  # the overlap check of the plan as emitted, independent of placement.py
    return plan
