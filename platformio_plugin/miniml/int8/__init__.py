"""The int8 export stage behind quantize="int8" (api._stages calls export_stage(graph, ctx) after
the float passes): check every node has an int8 rule -> load and check the calibration data -> run
the float graph on it in numpy and record the ranges (calibrate.py; a quantisation-aware trained
model, miniml.qat, brings its own ranges in ctx.quant_ranges instead) -> passes/quantize_int8.py ->
header extras (predict_int8 and the edge scale / zero point constants, header.py) and the float
sizes for the report. Op knowledge lives in the op modules (miniml.ops), the scheme's mathematics in
miniml.quant."""

from __future__ import annotations

import warnings
from typing import Any, Dict

import numpy as np

from ..errors import MinimlWarning, OptionError
from ..ir import Graph, verify
from ..ops import inplace_pairs, run_graph
from ..passes.quantize_int8 import check_int8_support, quantize_int8
from ..passes.split_training import learning_layers
from ..plan import plan_memory
from ..quant.params import range_warning
from ..train.options import parse_train_options
from ..input_data import load_calibration
from .calibrate import tensor_ranges
from .header import extend_header
from .mixed import MixedPlan, mixed_report, plan_mixed

__all__ = ["export_stage", "float_tail", "predict", "run_int8"]

# Ops with no int8 kernel that may end an int8 model: they run in float on the dequantised values.
FLOAT_TAIL_OPS = ("softmax", "log_softmax")


def export_stage(g: Graph, ctx: Any) -> Graph:
    _resolve_train_budget(g, ctx)
    tail = float_tail(g, ctx.options)
    if tail and g.nodes[0].name in tail and ctx.options.get("on_device_learning"):
        warnings.warn("quantize='int8' with on_device_learning: the layers that learn start at the "
                      "model's first layer, so there is no int8 backbone (only frozen Conv/Linear "
                      "layers after a learning one stay int8)", MinimlWarning, stacklevel=2)
    check_int8_support(g.with_(nodes=tuple(n for n in g.nodes if n.name not in tail)))
    ranges = ctx.quant_ranges
    if ranges is None:
        xs = load_calibration(
            ctx.options.get("calibration"), [g.tensor(t).shape for t in g.inputs]
        )
        method = ctx.options.get("calibration_method") or "minmax"
        ranges = tensor_ranges(g, xs, method)
        _warn_ranges(g, xs, ranges, method)
    elif ctx.options.get("calibration") is not None:
        raise OptionError(
            "calibration= was given for a quantisation-aware trained model (miniml.prepare_qat), "
            "which carries its own ranges; drop calibration= (its ranges are what it trained with)"
        )
    float_plan = plan_memory(g, inplace_pairs(g))
    ctx.report_extra["float_flash_bytes"] = sum(p.nbytes for p in g.params.values())
    ctx.report_extra["float_arena_bytes"] = float_plan.arena_bytes
    learns = bool(ctx.options.get("on_device_learning"))
    mixed = _mixed_plan(g, ctx)
    gq = _quantised(g, ranges, tail, learns, mixed)
    if mixed.tail:
        ctx.report_extra["int8_learning"] = mixed_report(g, gq, mixed)
    ctx.extend.append(extend_header)
    _int8_goldens(gq, ctx)
    return gq


def _quantised(g: Graph, ranges: Any, tail: tuple, learns: bool, mixed: MixedPlan) -> Graph:
    return verify(quantize_int8(g.with_(meta={
        **g.meta, "quant_ranges": ranges, "float_tail": tail, "float_tail_learns": learns,
        "int8_islands": mixed.islands, "learning_nodes": mixed.learning})))


def _resolve_train_budget(g: Graph, ctx: Any) -> None:
    """train_budget on an int8 backbone: the trainable set is chosen before quantising (it decides
    which layers stay float), each candidate set costed as the mixed model it makes; the options
    then name that set as trainable= would."""
    opts = parse_train_options(ctx.options)
    if opts is None or opts.train_budget is None:
        return
    from ..train.budget import budget_trainable, ram_without_learning, training_ram

    ranges = ctx.quant_ranges or tensor_ranges(
        g, load_calibration(ctx.options.get("calibration"), [g.tensor(t).shape for t in g.inputs]),
        ctx.options.get("calibration_method") or "minmax")
    plain = ram_without_learning(g, ctx)

    def ram_of(o: Any) -> int:
        tail = float_tail(g, {**ctx.options, "trainable": o.trainable, "train_budget": None})
        return training_ram(_quantised(g, ranges, tail, True, plan_mixed(g, o)), o, plain)

    chosen = budget_trainable(g, ctx, opts, ram_of)
    ctx.options = {**ctx.options, "trainable": chosen, "train_budget": None, "train_sample": None}


def _mixed_plan(g: Graph, ctx: Any) -> MixedPlan:
    """Which layers learn and which frozen layers after them stay int8 (int8/mixed.py); a frozen
    layer kept float is a warning naming it and why."""
    opts = parse_train_options(ctx.options) if len(g.outputs) == 1 else None
    if opts is None:
        return MixedPlan()
    mixed = plan_mixed(g, opts)
    for name, why in mixed.kept_float.items():
        n = next(m for m in g.nodes if m.name == name)
        warnings.warn(f"quantize='int8' with on_device_learning: the frozen layer {name!r} "
                      f"({n.op}{', ' + n.source if n.source else ''}) stays float after the "
                      f"learning layers: {why}", MinimlWarning, stacklevel=3)
    return mixed


def _warn_ranges(g: Graph, xs: np.ndarray, ranges: Any, method: str, samples: int = 256) -> None:
    """A MinimlWarning per activation whose calibrated range makes a poor int8 tensor (constant,
    or stretched by outliers), checked on the first `samples` calibration inputs."""
    for name, values in run_graph(g, xs[:samples]).items():
        if name not in ranges or not (g.consumers(name) or name in g.outputs):
            continue  # scratch or a state nothing reads (a recurrent layer's work, h_n): no int8 tensor
        why = range_warning(values, *ranges[name], method)
        if why:
            what = "the calibration inputs" if name in g.inputs else f"activation {name!r}"
            warnings.warn(f"int8 calibration: {what} {why}", MinimlWarning, stacklevel=2)


def run_int8(g: Graph, x: np.ndarray) -> Dict[str, np.ndarray]:
    """One float input (any shape with the input's numel; several inputs packed back to back) ->
    every tensor of the int8 graph g, flat (int8 ones as int8): the integer reference predict()
    must equal to the bit."""
    env = run_graph(g, np.asarray(x, np.float32).reshape((1, -1)))
    return {k: v.reshape(-1) for k, v in env.items()}


def predict(g: Graph, xs: np.ndarray) -> np.ndarray:
    """Float outputs [N, *output_shape[1:]] of the int8 graph for float inputs [N, ...] (several
    inputs packed back to back, [N, total]); with several outputs, all of them flat and back to
    back [N, total]."""
    env = run_graph(g, np.asarray(xs, np.float32).reshape(len(xs), -1))
    if len(g.outputs) == 1:
        return env[g.outputs[0]]
    return np.concatenate([env[o].reshape(len(xs), -1) for o in g.outputs], axis=1)


def _int8_goldens(gq: Graph, ctx: Any) -> None:
    """golden=N vectors of an int8 model hold the int8 model's own outputs (the integer reference,
    which predict() matches to the bit on the host), not PyTorch's float ones, so on-target checks
    test the port. The tolerance leaves room for a quantised input flipping by one step where a
    target's float division rounds differently: a few output steps."""

    def run(x: Any) -> Any:
        return predict(gq, np.asarray(x).reshape(1, -1))[0]  # several inputs: packed

    ctx.golden_reference = run
    # every int8 tensor dequantised into an output (one, or one per head; none after a float tail)
    outs = [gq.tensor(n.inputs[0]) for n in gq.nodes
            if n.op == "dequantize_s8" and n.outputs[0] in gq.outputs]
    if outs:
        ctx.golden_tolerance = max(ctx.golden_tolerance, 4.0 * max(float(t.scale) for t in outs))
    ctx.golden_note = "outputs of the int8 model (miniml.int8 integer reference), not float PyTorch"


def float_tail(g: Graph, options: Any) -> tuple:
    """Nodes that stay float after a dequantize_s8: a trailing Softmax/LogSoftmax (run on
    dequantised logits, as documented for int8), and with on_device_learning the layers from the
    deepest one that learns to the output (the same choice as passes/split_training.py): a float
    part on the int8 backbone."""
    if len(g.outputs) > 1:
        return ()  # several heads: each is dequantised; a softmax head is refused by name
    if not options.get("on_device_learning"):
        tail = []
        for n in reversed(g.nodes):
            if n.op not in FLOAT_TAIL_OPS:
                break
            tail.insert(0, n.name)
        return tuple(tail)
    opts = parse_train_options(options)
    return () if opts is None else learning_layers(g, opts)
