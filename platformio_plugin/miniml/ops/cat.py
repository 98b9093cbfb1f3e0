"""Concat (torch.cat) along any dim, usually channels: one concat_part_f32 call per input.

int8: each input requantised to the output's parameters (TFLM's int8 -> int8 QUANTIZE), or copied
when it already has them."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from ..quant.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ._params_block import params_block
from .registry import AtenCall, LowerCtx, TensorArg, backward_rule, int8_rule, kernel, lowering


def _prod(v: Any) -> int:
    n = 1
    for d in v:
        n *= int(d)
    return n


@lowering("aten.cat.default", "aten.concat.default")
def lower_cat(ctx: LowerCtx, call: AtenCall):
    xs, dim = call.arg(0, "tensors"), call.arg(1, "dim", 0)
    if not xs or not all(isinstance(x, TensorArg) for x in xs):
        return None
    out = call.out_shape
    dim = int(dim) % len(out)
    parts = [_prod(ctx.shape(x)[dim:]) for x in xs]
    attrs = {"outer": _prod(out[:dim]), "parts": tuple(parts), "total": _prod(out[dim:])}
    return [ctx.add_node("concat", tuple(x.name for x in xs), attrs=attrs)]


@kernel("concat", header="op_elementwise.h")
class Concat:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        y = e.t(node.outputs[0])
        calls, offset = [], 0
        for x, part in zip(node.inputs, a["parts"]):
            calls.append(f"miniml::concat_part_f32({e.t(x)}, {y}, {e.i(a['outer'])}, {e.i(part)}, "
                         f"{e.i(a['total'])}, {e.i(offset)});")
            offset += part
        return "\n    ".join(calls)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        return np.concatenate([v.reshape(len(v), a["outer"], part)
                               for v, part in zip(ins, a["parts"])], axis=2)


@backward_rule("concat", header="train_backward.h")
class ConcatBackward:
    """Each input that needs a gradient takes its slice of the output's."""

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        a, e = node.attrs, b.e
        lines, offset = [], 0
        for i, part in enumerate(a["parts"]):
            if b.gx(i) is not None:
                lines.append(f"miniml::concat_part_backward_f32({b.gy}, {b.gx(i)}, {e.i(a['outer'])}, "
                             f"{e.i(part)}, {e.i(a['total'])}, {e.i(offset)});")
            offset += part
        return lines


@int8_rule("concat")
class ConcatInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        a = n.attrs
        qy = q.qparams(n.outputs[0])
        q.s8(y, n.outputs[0], qy)
        zps, ms, ss = [], [], []
        for t in ins:
            qx = q.q[t]
            same = (qx.scale, qx.zero_point) == (qy.scale, qy.zero_point)
            m, sh = (0, 0) if same else quantize_multiplier(qx.scale / qy.scale)
            zps.append(qx.zero_point)
            ms.append(m)
            ss.append(sh)
        attrs = {
            "outer": a["outer"],
            "parts": tuple(a["parts"]),
            "total": a["total"],
            "input_zero_points": tuple(zps),
            "multipliers": tuple(ms),
            "shifts": tuple(ss),
            "output_zero_point": qy.zero_point,
        }
        return [n.with_(op="concat_s8", inputs=ins, outputs=(y,), params={}, attrs=attrs)]


@kernel("concat_s8", header="op_elementwise_s8.h")
class ConcatS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        y = e.t(node.outputs[0])
        calls, offset = [], 0
        for x, part, zp, m, s in zip(
            node.inputs, a["parts"], a["input_zero_points"], a["multipliers"], a["shifts"]
        ):
            fields = [(a["outer"], "outer"), (part, "part"), (a["total"], "total"),
                      (offset, "offset"), (str(int(zp)), "input_zero_point"),
                      (str(int(m)), "multiplier"), (str(int(s)), "shift"),
                      (str(int(a["output_zero_point"])), "output_zero_point")]
            call = f"miniml::concat_part_s8({e.t(x)}, {y}, {{name}});"
            calls.append(params_block(node, e, "ConcatPartParams", fields, call))
            offset += part
        return "\n    ".join(calls)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        blocks = []
        for v, part, zp, m, sh in zip(
            ins, a["parts"], a["input_zero_points"], a["multipliers"], a["shifts"]
        ):
            v = v.reshape(len(v), a["outer"], part).astype(np.int64)
            if m:
                v = np.clip(multiply_by_quantized_multiplier(v - zp, m, sh)
                            + a["output_zero_point"], -128, 127)
            blocks.append(v)
        return np.concatenate(blocks, axis=2)
