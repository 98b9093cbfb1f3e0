"""Elementary functions of one tensor: abs, neg, sqrt, rsqrt, exp, log, reciprocal, square and pow
with a constant exponent (tensor ** c), each a pointwise activation (fusable into conv/linear)."""
from __future__ import annotations

import numpy as np

from .activation import functor, lower_pointwise
from .registry import activation, lowering

def _f64(fn):
    """fn in float64, out-of-domain inputs giving NaN/Inf quietly (as torch)."""

    def run(x, *args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(np.asarray(x, np.float64), *args)

    return run


# IR activation name -> (C++ functor, numpy meaning, aten ops it lowers: out-of-place and in-place)
UNARY = {
    "abs": ("ActAbs", np.abs, ("aten.abs.default", "aten.abs_.default")),
    "neg": ("ActNeg", np.negative, ("aten.neg.default", "aten.neg_.default")),
    "sqrt": ("ActSqrt", np.sqrt, ("aten.sqrt.default", "aten.sqrt_.default")),
    "rsqrt": ("ActRsqrt", lambda x: 1.0 / np.sqrt(x), ("aten.rsqrt.default", "aten.rsqrt_.default")),
    "exp": ("ActExp", np.exp, ("aten.exp.default", "aten.exp_.default")),
    "log": ("ActLog", np.log, ("aten.log.default", "aten.log_.default")),
    "reciprocal": ("ActReciprocal", lambda x: 1.0 / x,
                   ("aten.reciprocal.default", "aten.reciprocal_.default")),
    "square": ("ActSquare", np.square, ("aten.square.default", "aten.square_.default")),
}


def _register(name: str, cls: str, fn, targets) -> None:
    activation(name, numpy=_f64(fn))(lambda: f"miniml::{cls}()")
    lowering(*targets)(lambda ctx, call: lower_pointwise(ctx, call, (name,)))


for _name, (_cls, _fn, _targets) in UNARY.items():
    _register(_name, _cls, _fn, _targets)


@activation("pow", numpy=_f64(lambda x, exponent: np.power(x, exponent)))
def pow_functor(exponent: float) -> str:
    return functor("ActPow", exponent)


@lowering("aten.pow.Tensor_Scalar", "aten.pow_.Scalar")
def lower_pow(ctx, call):
    exponent = call.arg(1, "exponent")
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        return None
    return lower_pointwise(ctx, call, ("pow", float(exponent)))
