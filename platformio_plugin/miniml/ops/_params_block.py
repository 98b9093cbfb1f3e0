"""A kernel's shape in generated code as a named constexpr struct (CMSIS-NN's cmsis_nn_dims /
cmsis_nn_conv_params), one commented field per line, followed by the call that passes it: the same
shape for the float and the int8 kernels, and every field a compile-time constant once the call is
inlined."""

from __future__ import annotations

from typing import Any, Sequence, Tuple


def params_block(node: Any, e: Any, struct: str, fields: Sequence[Tuple[Any, str]], call: str) -> str:
    """`{ constexpr miniml::<struct> k<Layer>Shape = {...}; <call> }`; `call` names the struct as
    `{name}` (str.format). A str value is written as is (quantisation constants, which are no size
    and so must not widen index_t through e.i)."""
    name = shape_name(node)
    texts = [_text(v, e) for v, _ in fields]
    width = max(len(t) for t in texts) + 1
    lines = ["{", f"  constexpr miniml::{struct} {name} = {{"]
    lines += [f"      {(t + ','):<{width}}  // {f}" for t, (_, f) in zip(texts, fields)]
    lines += ["  };", "  " + call.format(name=name), "}"]
    return "\n    ".join(lines)


def shape_name(node: Any) -> str:
    """The C++ name of a layer's shape constant: k<Layer>Shape."""
    return "k" + "".join(part.capitalize() for part in node.name.split("_")) + "Shape"


def int_fields(attrs: Any, names: Sequence[str]) -> list:
    """[(value, name)] for quantisation integers kept in node attrs under their field names."""
    return [(str(int(attrs[f])), f) for f in names]


def _text(v: Any, e: Any) -> str:
    if isinstance(v, str):
        return v
    return ("true" if v else "false") if isinstance(v, bool) else e.i(v)
