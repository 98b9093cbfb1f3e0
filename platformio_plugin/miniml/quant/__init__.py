"""int8 quantisation: parameter choice, TFLite fixed-point math, numpy int8 reference kernels, and
the export stage behind quantize="int8" (api._stages calls export_stage(graph, ctx) after the float
passes).

export_stage: check every node has an int8 kernel -> load and check the calibration data -> run the
float graph on it in numpy (calibrate.py) -> passes/quantize_int8.py -> header extras (predict_int8
and the edge scale / zero point constants) and the float sizes for the report.
"""

from __future__ import annotations

from typing import Any

__all__ = ["export_stage", "int8_graph"]


def export_stage(g: Any, ctx: Any) -> Any:
    from ..ir import verify
    from ..passes.quantize_int8 import check_int8_support, quantize_int8
    from ..plan import plan_memory
    from . import kernels  # noqa: F401  (registers the *_s8 kernel emitters)
    from .calibrate import load_calibration, tensor_ranges
    from .header import extend_header

    tail = _float_tail(g, ctx.options)
    check_int8_support(g.with_(nodes=tuple(n for n in g.nodes if n.name not in tail)))
    xs = load_calibration(ctx.options.get("calibration"), ctx.input_shape)
    method = ctx.options.get("calibration_method") or "minmax"
    ranges = tensor_ranges(g, xs, method)
    _warn_ranges(g, xs, ranges, method)
    float_plan = plan_memory(g)
    ctx.report_extra["float_flash_bytes"] = sum(p.nbytes for p in g.params.values())
    ctx.report_extra["float_arena_bytes"] = float_plan.arena_bytes
    gq = verify(quantize_int8(g.with_(meta={**g.meta, "quant_ranges": ranges, "float_tail": tail})))
    ctx.extend.append(extend_header)
    _int8_goldens(gq, ctx)
    return gq


def _warn_ranges(g: Any, xs: Any, ranges: Any, method: str, samples: int = 256) -> None:
    """A MinimlWarning per activation whose calibrated range makes a poor int8 tensor (constant,
    or stretched by outliers), checked on the first `samples` calibration inputs."""
    import warnings

    from ..errors import MinimlWarning
    from .calibrate import run_float
    from .params import range_warning

    for name, values in run_float(g, xs[:samples]).items():
        if name not in ranges:
            continue
        why = range_warning(values, *ranges[name], method)
        if why:
            what = "the calibration inputs" if name in g.inputs else f"activation {name!r}"
            warnings.warn(f"int8 calibration: {what} {why}", MinimlWarning, stacklevel=2)


def _int8_goldens(gq: Any, ctx: Any) -> None:
    """golden=N vectors of an int8 model hold the int8 model's own outputs (numpy int8 reference,
    which predict() matches to the bit on the host), not PyTorch's float ones, so on-target checks
    test the port. The tolerance leaves room for a quantised input flipping by one step where a
    target's float division rounds differently: a few output steps."""
    from .interpret import predict

    def run(x: Any) -> Any:
        return predict(gq, x.reshape((1,) + tuple(gq.tensor(gq.inputs[0]).shape[1:])))[0]

    ctx.golden_reference = run
    yq = gq.meta["int8_edges"]["output"]
    if yq is not None:
        ctx.golden_tolerance = max(ctx.golden_tolerance, 4.0 * float(gq.tensor(yq).scale))
    ctx.golden_note = "outputs of the int8 model (miniml.quant.interpret), not float PyTorch"


# Ops with no int8 kernel that may end an int8 model: they run in float on the dequantised values.
FLOAT_TAIL_OPS = ("softmax", "log_softmax")


def _float_tail(g: Any, options: Any) -> tuple:
    """Nodes that stay float after a dequantize_s8: a trailing Softmax/LogSoftmax (run on
    dequantised logits, as documented for int8), and with on_device_learning the Linear layers that
    will learn (the same choice as passes/split_training.py): a float head on the int8 backbone."""
    if not options.get("on_device_learning"):
        tail = []
        for n in reversed(g.nodes):
            if n.op not in FLOAT_TAIL_OPS:
                break
            tail.insert(0, n.name)
        return tuple(tail)
    from ..passes.split_training import _choose, _linear_chain  # noqa: I001
    from ..train.options import parse_train_options  # before split_training: train imports it

    opts = parse_train_options(options)
    if opts is None:
        return ()
    chain, stop = _linear_chain(g)
    chosen = _choose(g, chain, stop, opts)
    first = min(i for i, n in enumerate(chain) if n.name in chosen)
    return tuple(n.name for n in chain[first:])


def int8_graph(model: Any, example_input: Any, **options: Any) -> Any:
    """The int8 IR graph export() would emit for these options (for inspection and tests);
    run it with miniml.quant.interpret.predict(graph, inputs)."""
    from ..api import ExportContext, _check_options, _torch_runner
    from ..capture import capture
    from ..passes import run_pipeline

    opts = _check_options({**options, "quantize": "int8"})
    g = run_pipeline(capture(model, example_input))
    ctx = ExportContext("int8_graph", opts, g.tensor(g.inputs[0]).shape, _torch_runner(model))
    return export_stage(g, ctx)
