"""An int8 conv2d whose only reader is a max pool, emitted as one conv2d_s8_max_pool call (op_conv_s8.h):
on AVR the pool's maximum of the accumulators is requantised once instead of every convolution output.
The graph keeps both nodes (the references, the arena plan and the per-layer counts see two layers);
the pool's own emitter then writes only a comment."""
from __future__ import annotations

from typing import Any, Optional

from ._conv_common import conv_s8_args, with_params
from ._params_block import shape_name
from ._pool_common import pool_params


def fused_pool(conv: Any, g: Any) -> Optional[Any]:
    """The max_pool2d_s8 node that reads conv2d_s8 `conv`'s output and nothing else does, or None."""
    y = conv.outputs[0]
    # (the fused kernel does not write the conv's output: nothing else, learn() included, may read it)
    if conv.op != "conv2d_s8" or y in g.outputs or y in g.meta.get("keep_alive", ()):
        return None
    readers = g.consumers(y)
    if len(readers) != 1 or readers[0].op != "max_pool2d_s8":
        return None
    return readers[0]


def fused_conv(pool: Any, g: Any) -> Optional[Any]:
    """The conv2d_s8 node max_pool2d_s8 `pool` is fused into, or None."""
    conv = g.producer(pool.inputs[0])
    return conv if conv is not None and fused_pool(conv, g) is pool else None


def emit_conv_pool_s8(conv: Any, pool: Any, e: Any) -> str:
    """The conv2d_s8_max_pool call inside the conv's Conv2dParams and the pool's Pool2dParams blocks."""
    a, c = pool.attrs, conv.attrs
    # (a one-group conv: its window as template arguments, conv2d_s8_gemm's path on the DSP extension)
    kernel = (f"conv2d_s8_gemm_max_pool<{e.mem(conv, 'weight')}, {c['in_channels']}, {c['kernel'][0]}, "
              f"{c['kernel'][1]}>" if int(c["groups"]) == 1 else f"conv2d_s8_max_pool<{e.mem(conv, 'weight')}>")
    call = (
        f"miniml::{kernel}({conv_s8_args(conv, e, shape_name(conv))}, "
        f"{shape_name(pool)}, {a['act_min']}, {a['act_max']}, {e.t(conv.outputs[0])}, "
        f"{e.t(pool.outputs[0])});"
    )
    inner = pool_params(pool, e, "@CALL@").replace("\n", "\n  ").replace("@CALL@", call)
    return with_params(conv, e, 2, "@POOL@").replace("@POOL@", inner)


def pool_fused_comment(conv: Any) -> str:
    return f"// computed by {conv.name}'s conv2d_s8_max_pool"
