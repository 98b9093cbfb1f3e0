"""Graph IR: activations (TensorSpec), constants (Param) and nodes in topological order.

Invariants (checked by verify()): every tensor a node reads is a graph input or written by an earlier
node; every tensor is written once; every param a node names exists; shapes are fixed, batch first and
batch == 1. Activations are flat, contiguous, in PyTorch's memory order (core_types.h). Objects are
frozen: passes build new graphs with dataclasses.replace and never mutate.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

import numpy as np


class DType(enum.Enum):
    """Element type of a tensor or param; `ctype` is the C++ element type, `size` its bytes."""

    F32 = ("float", 4)
    S8 = ("int8_t", 1)
    S16 = ("int16_t", 2)
    S32 = ("int32_t", 4)

    @property
    def ctype(self) -> str:
        return self.value[0]

    @property
    def size(self) -> int:
        return self.value[1]


class Placement(enum.Enum):
    """Where a param lives: ROM = const MINIML_ROM array read through miniml::Rom; RAM = a member of
    Model (e.g. a trainable layer), read through miniml::Ram and initialised from a ROM copy."""

    ROM = "rom"
    RAM = "ram"


@dataclass(frozen=True)
class TensorSpec:
    """An activation. `scale`/`zero_point` are for quantised dtypes (None for float)."""

    name: str
    shape: Tuple[int, ...]
    dtype: DType = DType.F32
    scale: Optional[float] = None
    zero_point: Optional[int] = None

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n

    @property
    def nbytes(self) -> int:
        return self.numel * self.dtype.size


@dataclass(frozen=True, eq=False)
class Param:
    """A constant (weight, bias, folded scale...). `data` is a numpy array in torch's layout; its dtype
    matches `dtype`. `scale`/`zero_point` hold quantisation parameters (scalar or per channel)."""

    name: str
    data: np.ndarray
    dtype: DType = DType.F32
    placement: Placement = Placement.ROM
    scale: Any = None
    zero_point: Any = None

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(int(d) for d in self.data.shape)

    @property
    def numel(self) -> int:
        return int(self.data.size)

    @property
    def nbytes(self) -> int:
        return self.numel * self.dtype.size


@dataclass(frozen=True)
class Node:
    """One kernel call. `op` is a key of the ops registry's KERNELS; `params` maps a role ("weight",
    "bias", ...) to a Param name; `attrs` are op-specific plain values (ints, floats, tuples, str);
    `source` names where the node came from, e.g. "features.3 (nn.Conv2d)"."""

    name: str
    op: str
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def with_(self, **changes: Any) -> "Node":
        return replace(self, **changes)


@dataclass(frozen=True)
class Graph:
    tensors: Mapping[str, TensorSpec]
    params: Mapping[str, Param]
    nodes: Tuple[Node, ...]
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> "Graph":
        return replace(self, **changes)

    def tensor(self, name: str) -> TensorSpec:
        return self.tensors[name]

    def param(self, node: Node, role: str) -> Optional[Param]:
        pname = node.params.get(role)
        return None if pname is None else self.params[pname]

    def producer(self, tensor: str) -> Optional[Node]:
        for n in self.nodes:
            if tensor in n.outputs:
                return n
        return None

    def consumers(self, tensor: str) -> Tuple[Node, ...]:
        return tuple(n for n in self.nodes if tensor in n.inputs)

    def iter_ops(self, op: str) -> Iterator[Node]:
        return (n for n in self.nodes if n.op == op)

    def prune(self) -> "Graph":
        """Drops tensors and params no node or graph input/output refers to."""
        used_t = set(self.inputs) | set(self.outputs)
        used_p = set()
        for n in self.nodes:
            used_t.update(n.inputs)
            used_t.update(n.outputs)
            used_p.update(n.params.values())
        tensors: Dict[str, TensorSpec] = {k: v for k, v in self.tensors.items() if k in used_t}
        params: Dict[str, Param] = {k: v for k, v in self.params.items() if k in used_p}
        return replace(self, tensors=tensors, params=params)
