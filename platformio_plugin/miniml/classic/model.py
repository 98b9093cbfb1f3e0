"""A scikit-learn model as MiniML sees it: a chain of Steps (one kernel call each) and, for classifiers,
the rule that turns one step's row into a class index. Everything here is numpy; the converters in this
package build Steps, header.py writes them out.

A Step reads the previous step's row (or `input`) and writes its own; an in-place step rewrites the row
it is given (e.g. the logistic pair after a decision). Parameters are ROM arrays (flash); the only RAM is
two ping-pong rows and the scratch members a step declares, all members of Model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np

from ..emit.header import Member, RomArray
from ..errors import ModelTooLargeError
from ..ir import DType


@dataclass(frozen=True)
class IntType:
    """An unsigned C++ element type for ROM arrays (DType has only the signed ones the NN path needs)."""

    ctype: str
    size: int


U8, U16, U32 = IntType("uint8_t", 1), IntType("uint16_t", 2), IntType("uint32_t", 4)


def smallest_uint(max_value: int, what: str) -> IntType:
    for t in (U8, U16, U32):
        if max_value < 1 << (8 * t.size):
            return t
    raise ModelTooLargeError(f"{what}: {max_value} does not fit 32 bits")


@dataclass
class Step:
    """One kernel call. `call` is C++ with {x} (the row read) and {y} (the row written); ROM arrays
    are `Weights::<name>`. In-place steps use only {y}."""

    op: str  # report name, e.g. "tree_votes"
    source: str  # the scikit-learn class it comes from
    width: int  # floats in the row it writes
    call: str
    header: str  # include/miniml/<header> holding the kernel
    rom: List[RomArray] = field(default_factory=list)
    ops: int = 0  # operations per predict (MACs, comparisons, kernel evaluations), worst case
    inplace: bool = False
    members: List[Member] = field(default_factory=list)  # RAM scratch (e.g. k nearest neighbours)
    methods: List[str] = field(default_factory=list)  # Model-scope code (e.g. if/else trees)
    layout: str = ""  # shown in the report: "node arrays", "if/else code", ...


@dataclass
class Head:
    """A converted model. reference(X float64 [n, n_in]) -> what predict() must write, [n, width]."""

    steps: List[Step]
    reference: Callable[[np.ndarray], np.ndarray]
    classes: Optional[np.ndarray] = None  # classifiers: scikit-learn's classes_
    class_steps: Optional[List[Step]] = None  # predict_class runs these (a prefix of steps, or its own)
    class_rule: str = ""  # C++ expression of the class index from the row {y} of the last class step
    predict_class: Optional[Callable[[np.ndarray], np.ndarray]] = None  # scikit-learn's, as indices


class Namer:
    """Unique C++ names for ROM arrays: s<step>_<what>."""

    def __init__(self) -> None:
        self.index = 0

    def next(self) -> str:
        self.index += 1
        return f"s{self.index}"


def rom_f32(name: str, data: np.ndarray, what: str) -> RomArray:
    return RomArray(name, DType.F32, np.ascontiguousarray(data, np.float32).reshape(-1), what)


def rom_uint(name: str, data: np.ndarray, what: str) -> RomArray:
    arr = np.asarray(data, np.int64).reshape(-1)
    t = smallest_uint(int(arr.max()) if arr.size else 0, what)
    return RomArray(name, t, arr, what)
