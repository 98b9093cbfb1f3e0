"""The in-place output steps scikit-learn applies after a model's raw row (classic_output.h, op_softmax.h):
means, offsets, the logistic pair, softmax, one-vs-rest normalisation; and the class rules on a raw row."""
from __future__ import annotations

import numpy as np

from ..literals import float_literal
from .model import Namer, Step, rom_f32


def inplace(op: str, source: str, width: int, call: str, header: str = "classic_output.h",
             rom=None, ops: int = 0) -> Step:
    return Step(op, source, width, call, header, rom or [], ops or width, inplace=True)


def divide(n: int, width: int, source: str) -> Step:
    lit = float_literal(float(n), "a tree count")
    return inplace("mean", source, width, f"miniml::divide_f32({{y}}, {width}, {lit});")


def add_offset(offset: np.ndarray, source: str, namer: Namer) -> Step:
    name = f"{namer.next()}_offset"
    n = offset.size
    return inplace("add_offset", source, n, f"miniml::add_rom_f32({{y}}, Weights::{name}, {n});",
                    rom=[rom_f32(name, offset, f"{source} initial prediction")])


def proba_from_raw(n_raw: int, source: str) -> Step:
    """Binary: expit pair [1 - p, p]; multiclass: softmax."""
    if n_raw == 1:
        return inplace("logistic", source, 2, "miniml::logistic_pair_f32({y});")
    return inplace("softmax", source, n_raw, f"miniml::softmax_f32({{y}}, {{y}}, 1, {n_raw});",
                    header="op_softmax.h", ops=3 * n_raw)


def classes_rule(n_raw: int, positive: str = "> 0.0f") -> str:
    return f"{{y}}[0] {positive} ? 1 : 0" if n_raw == 1 else f"miniml::argmax_f32({{y}}, {n_raw})"


def ovr_proba(k: int, source: str) -> Step:
    return inplace("ovr_proba", source, k, f"miniml::ovr_proba_f32({{y}}, {k});", ops=3 * k)
