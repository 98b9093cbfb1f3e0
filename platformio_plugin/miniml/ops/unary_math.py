"""Elementary functions of one tensor: abs, neg, sqrt, rsqrt, exp, log, reciprocal, square and pow
with a constant exponent (tensor ** c), each a pointwise activation (fusable into conv/linear)."""
from __future__ import annotations

from .activation import functor, lower_pointwise
from .registry import activation, lowering

# IR activation name -> (C++ functor, aten ops it lowers: out-of-place and in-place)
UNARY = {
    "abs": ("ActAbs", ("aten.abs.default", "aten.abs_.default")),
    "neg": ("ActNeg", ("aten.neg.default", "aten.neg_.default")),
    "sqrt": ("ActSqrt", ("aten.sqrt.default", "aten.sqrt_.default")),
    "rsqrt": ("ActRsqrt", ("aten.rsqrt.default", "aten.rsqrt_.default")),
    "exp": ("ActExp", ("aten.exp.default", "aten.exp_.default")),
    "log": ("ActLog", ("aten.log.default", "aten.log_.default")),
    "reciprocal": ("ActReciprocal", ("aten.reciprocal.default", "aten.reciprocal_.default")),
    "square": ("ActSquare", ("aten.square.default", "aten.square_.default")),
}


def _register(name: str, cls: str, targets) -> None:
    activation(name)(lambda: f"miniml::{cls}()")
    lowering(*targets)(lambda ctx, call: lower_pointwise(ctx, call, (name,)))


for _name, (_cls, _targets) in UNARY.items():
    _register(_name, _cls, _targets)


@activation("pow")
def pow_functor(exponent: float) -> str:
    return functor("ActPow", exponent)


@lowering("aten.pow.Tensor_Scalar", "aten.pow_.Scalar")
def lower_pow(ctx, call):
    exponent = call.arg(1, "exponent")
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        return None
    return lower_pointwise(ctx, call, ("pow", float(exponent)))
