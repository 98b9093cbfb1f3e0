"""Streaming (option streaming=True): Model::step(x_t, y_t) and reset_state(), one sample at a time.

export_stage checks the float graph can stream, then has the header (stream/header.py) emit the step
graph of the final graph, float or int8 (stream/step_graph.py: every tensor cut to one time step,
recurrent layers and causal Conv1d holding their state in Model members). The step graph runs the same kernels in the same order as predict(), so after
reset_state() and steps x_0..x_t, y_t equals predict() on the prefix x_0..x_t bit for bit.
"""
from __future__ import annotations

from typing import Any

__all__ = ["export_stage"]


def export_stage(g: Any, ctx: Any) -> Any:
    from ..errors import OptionError
    from .header import extend_header
    from .step_graph import step_graph

    if ctx.options.get("on_device_learning"):
        raise OptionError("streaming=True with on_device_learning is not supported yet (issue #18)")
    step_graph(g)  # refuses a non-causal float model now, naming the layer
    # built from the final graph at emission: with quantize='int8' that is the int8 graph
    ctx.extend.append(lambda parts, gg, plan: extend_header(parts, gg, plan, step_graph(gg)))
    return g
