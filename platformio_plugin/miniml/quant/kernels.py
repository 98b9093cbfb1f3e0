"""Kernel emitters of the int8 IR ops (what passes/quantize_int8.py produces): the C++ call per
node.

Registered in the shared ops registry under their own names (*_s8, quantize_s8, dequantize_s8), so
the float op modules stay untouched; importing miniml.quant registers them.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..ir import Graph, Node
from ..ops.registry import KERNELS, kernel


def _pair(v: Any, n: int = 2) -> Tuple[int, ...]:
    if isinstance(v, (tuple, list)):
        return tuple(int(x) for x in v) if len(v) == n else tuple(int(v[0]) for _ in range(n))
    return (int(v),) * n


def _requant(node: Node, e: Any) -> str:
    return (
        f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.p(node, 'multiplier')}, "
        f"{e.p(node, 'shift')}"
    )


def _numel(shape) -> int:
    return int(np.prod(shape)) if len(shape) else 1


def _register() -> None:
    if "linear_s8" in KERNELS:
        return

    @kernel("quantize_s8", header="op_quantize.h")
    class QuantizeS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            n = e.g.tensor(node.inputs[0]).numel
            return (
                f"miniml::quantize_s8({e.t(node.inputs[0])}, {e.i(n)}, {e.f(node.attrs['scale'])}, "
                f"{int(node.attrs['zero_point'])}, {e.t(node.outputs[0])});"
            )

    @kernel("dequantize_s8", header="op_quantize.h")
    class DequantizeS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            n = e.g.tensor(node.inputs[0]).numel
            return (
                f"miniml::dequantize_s8({e.t(node.inputs[0])}, {e.i(n)}, "
                f"{e.f(node.attrs['scale'])}, "
                f"{int(node.attrs['zero_point'])}, {e.t(node.outputs[0])});"
            )

    @kernel("linear_s8", header="op_linear_s8.h")
    class LinearS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            w = e.g.params[node.params["weight"]].data
            return (
                f"miniml::linear_s8<{e.mem(node, 'weight')}>({e.t(node.inputs[0])}, "
                f"{_requant(node, e)}, "
                f"{a['output_zero_point']}, {a['act_min']}, {a['act_max']}, {e.i(w.shape[1])}, "
                f"{e.i(w.shape[0])}, {e.t(node.outputs[0])});"
            )

        @staticmethod
        def macs(node: Node, g: Graph) -> int:
            return int(g.params[node.params["weight"]].data.size)

    def _conv_geometry(node: Node, g: Graph):
        a = node.attrs
        w = g.params[node.params["weight"]].data
        one_d = node.op == "conv1d_s8"
        n = 1 if one_d else 2
        return (
            w,
            _pair(a.get("stride", 1), n),
            _pair(a.get("padding", 0), n),
            _pair(a.get("dilation", 1), n),
            int(a.get("groups", 1)),
        )

    @kernel("conv2d_s8", header="op_conv_s8.h")
    class Conv2dS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            w, st, pd, dl, groups = _conv_geometry(node, e.g)
            c, h, wd = a["in_shape"]
            return (
                f"miniml::conv2d_s8<{e.mem(node, 'weight')}>({e.t(node.inputs[0])}, "
                f"{_requant(node, e)}, "
                f"{a['input_zero_point']}, {a['output_zero_point']}, {a['act_min']}, "
                f"{a['act_max']}, "
                f"{e.i(c)}, {e.i(h)}, {e.i(wd)}, {e.i(w.shape[0])}, {w.shape[2]}, {w.shape[3]}, "
                f"{st[0]}, {st[1]}, {pd[0]}, {pd[1]}, {dl[0]}, {dl[1]}, {groups}, "
                f"{e.t(node.outputs[0])});"
            )

        @staticmethod
        def macs(node: Node, g: Graph) -> int:
            w = g.params[node.params["weight"]].data
            return int(w.size) * _numel(node.attrs["out_shape"][1:])

    @kernel("conv1d_s8", header="op_conv_s8.h")
    class Conv1dS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            w, st, pd, dl, groups = _conv_geometry(node, e.g)
            c, length = a["in_shape"]
            return (
                f"miniml::conv1d_s8<{e.mem(node, 'weight')}>({e.t(node.inputs[0])}, "
                f"{_requant(node, e)}, "
                f"{a['input_zero_point']}, {a['output_zero_point']}, {a['act_min']}, "
                f"{a['act_max']}, "
                f"{e.i(c)}, {e.i(length)}, {e.i(w.shape[0])}, {w.shape[2]}, {st[0]}, {pd[0]}, "
                f"{dl[0]}, "
                f"{groups}, {e.t(node.outputs[0])});"
            )

        @staticmethod
        def macs(node: Node, g: Graph) -> int:
            w = g.params[node.params["weight"]].data
            return int(w.size) * _numel(node.attrs["out_shape"][1:])

    def _pool(kind: str):
        op = f"{kind}_pool2d_s8"

        @kernel(op, header="op_pool_s8.h")
        class PoolS8:
            @staticmethod
            def emit(node: Node, e: Any) -> str:
                a = node.attrs
                if "out_size" in a:
                    # torch's window rule (dilation, ceil_mode, count_include_pad,
                    # divisor_override): the Pool2dParams overload; TFLM's cases keep the
                    # compact call below.
                    f = [a["channels"], *a["in_size"], *a["out_size"], *a["kernel"]]
                    f += [*a["stride"], *a["padding"], *a["dilation"]]
                    cip = "true" if a["count_include_pad"] else "false"
                    p = ", ".join(e.i(v) for v in f)
                    zp = f"{a['zero_point']}, " if kind == "avg" else ""
                    return (
                        f"miniml::{op}({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
                        f"miniml::Pool2dParams{{{p}, {cip}, {e.i(a['divisor_override'])}}}, "
                        f"{zp}{a['act_min']}, {a['act_max']});"
                    )
                sizes = ", ".join(e.i(v) for v in (a["channels"], *a["in_size"]))
                geo = ", ".join(str(int(v)) for v in (*a["kernel"], *a["stride"], *a["padding"]))
                return (
                    f"miniml::{op}({e.t(node.inputs[0])}, {sizes}, {geo}, {a['act_min']}, "
                    f"{a['act_max']}, "
                    f"{e.t(node.outputs[0])});"
                )

    for kind in ("max", "avg"):
        _pool(kind)

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
                calls.append(
                    f"miniml::concat_part_s8({e.t(x)}, {y}, {e.i(a['outer'])}, {e.i(part)}, "
                    f"{e.i(a['total'])}, {e.i(offset)}, {zp}, {m}, {s}, {a['output_zero_point']});"
                )
                offset += part
            return "\n    ".join(calls)

    @kernel("clamp_s8", header="op_elementwise_s8.h")
    class ClampS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            n = e.g.tensor(node.inputs[0]).numel
            return (
                f"miniml::clamp_s8({e.t(node.inputs[0])}, {e.i(n)}, {a['act_min']}, "
                f"{a['act_max']}, "
                f"{e.t(node.outputs[0])});"
            )

    @kernel("lut_s8", header="op_elementwise_s8.h")
    class LutS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            n = e.g.tensor(node.inputs[0]).numel
            return (
                f"miniml::lut_s8<{e.mem(node, 'table')}>({e.t(node.inputs[0])}, {e.i(n)}, "
                f"{e.p(node, 'table')}, {e.t(node.outputs[0])});"
            )

    @kernel("add_s8", header="op_elementwise_s8.h")
    class AddS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            n = e.g.tensor(node.inputs[0]).numel
            return (
                f"miniml::add_s8({e.t(node.inputs[0])}, {e.t(node.inputs[1])}, {e.i(n)}, "
                f"{a['a_zero_point']}, {a['a_multiplier']}, {a['a_shift']}, {a['b_zero_point']}, "
                f"{a['b_multiplier']}, {a['b_shift']}, {a['output_multiplier']}, "
                f"{a['output_shift']}, "
                f"{a['output_zero_point']}, {a['act_min']}, {a['act_max']}, "
                f"{e.t(node.outputs[0])});"
            )

    @kernel("add_channel_s8", header="op_elementwise_s8.h")
    class AddChannelS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            return (
                f"miniml::add_channel_s8({e.t(node.inputs[0])}, {e.t(node.inputs[1])}, "
                f"{e.i(a['channels'])}, {e.i(a['inner'])}, "
                f"{a['a_zero_point']}, {a['a_multiplier']}, "
                f"{a['a_shift']}, {a['b_zero_point']}, {a['b_multiplier']}, {a['b_shift']}, "
                f"{a['output_multiplier']}, {a['output_shift']}, {a['output_zero_point']}, "
                f"{a['act_min']}, {a['act_max']}, {e.t(node.outputs[0])});"
            )

    @kernel("mul_channel_s8", header="op_elementwise_s8.h")
    class MulChannelS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            return (
                f"miniml::mul_channel_s8({e.t(node.inputs[0])}, {e.t(node.inputs[1])}, "
                f"{e.i(a['channels'])}, {e.i(a['inner'])}, "
                f"{a['a_zero_point']}, {a['b_zero_point']}, "
                f"{a['multiplier']}, {a['shift']}, {a['output_zero_point']}, {a['act_min']}, "
                f"{a['act_max']}, {e.t(node.outputs[0])});"
            )

        @staticmethod
        def macs(node: Node, g: Graph) -> int:
            return int(g.tensor(node.outputs[0]).numel)

    @kernel("mul_s8", header="op_elementwise_s8.h")
    class MulS8:
        @staticmethod
        def emit(node: Node, e: Any) -> str:
            a = node.attrs
            n = e.g.tensor(node.inputs[0]).numel
            return (
                f"miniml::mul_s8({e.t(node.inputs[0])}, {e.t(node.inputs[1])}, {e.i(n)}, "
                f"{a['a_zero_point']}, {a['b_zero_point']}, {a['multiplier']}, {a['shift']}, "
                f"{a['output_zero_point']}, {a['act_min']}, {a['act_max']}, "
                f"{e.t(node.outputs[0])});"
            )

        @staticmethod
        def macs(node: Node, g: Graph) -> int:
            return int(g.tensor(node.outputs[0]).numel)


_register()
