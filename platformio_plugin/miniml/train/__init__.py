"""On-device learning stage: options -> split_training -> header extension and training RAM figure.

api._stages calls export_stage(graph, ctx) after the float pipeline when on_device_learning is set.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Optional

from ..emit.header import HeaderParts
from ..ir import Graph, verify
from ..passes.split_training import split_training
from ..plan import MemoryPlan
from .budget import budget_trainable, check_train_sample, ram_without_learning, training_ram
from .emit import extend_training
from .golden import learn_golden_parts
from .options import TrainOptions, parse_train_options
from .spare_classes import add_spare_classes, padded_reference, require_learning_head


def training_ram_parts(sizes: Dict[str, int], total: int) -> Dict[str, int]:
    """The training RAM figure split by what it holds: trainable parameters (RAM copies), gradients
    (loss gradient, activation and conv parameter gradients), optimizer state (momentum, rate,
    counters) and activations (the arena's growth: inputs backward reads kept alive, and with int8
    the float part after the backbone)."""
    parts = dict(sizes)
    parts["activations"] = total - sum(sizes.values())
    return parts


def int8_part(g: Graph) -> Optional[Graph]:
    """The graph itself when it was quantised (the learning golden's reference is then the same
    mixed model: train/int8_reference.py); None in float."""
    return g if g.meta.get("learning_nodes") else None


def export_stage(g: Graph, ctx: Any) -> Graph:
    opts = parse_train_options(ctx.options)
    if opts is None:
        return g
    check_train_sample(ctx, opts)
    plain_ram = ram_without_learning(g, ctx)
    if opts.train_budget is not None:  # float (int8 resolves it in its stage)
        chosen = budget_trainable(g, ctx, opts, lambda o: training_ram(g, o, plain_ram))
        opts = replace(opts, trainable=chosen, train_budget=None)
    g = verify(add_spare_classes(g, opts.spare_classes))
    if opts.spare_classes:
        ctx.golden_reference = padded_reference(ctx.golden_reference or ctx.run_torch,
                                                opts.spare_classes)
    g = verify(split_training(g.with_(meta={**g.meta, "train_options": opts})))
    require_learning_head(g)

    def extend(parts: HeaderParts, gg: Graph, plan: MemoryPlan) -> None:
        sizes, grads = extend_training(parts, gg, plan)
        steps = int(ctx.options.get("golden") or 0)
        if steps and ctx.model is not None:
            import torch

            learn_golden_parts(
                parts,
                ctx.model,
                gg.meta["training"],
                ctx.input_shape,
                gg.tensor(gg.outputs[0]).numel,
                steps,
                int(ctx.options.get("seed") or 0),
                f"generator miniml, torch {torch.__version__}",
                {p: gg.params[p].shape for p in gg.meta["training"].trained_params},
                int8_part(gg),
            )
        total = parts.ram_bytes - plain_ram
        ctx.report_extra["training_ram_bytes"] = total
        ctx.report_extra["trainable_params"] = list(gg.meta["training"].trained_names)
        ctx.report_extra["training_ram_parts"] = training_ram_parts(sizes, total)
        ctx.report_extra["gradient_buffer_bytes"] = grads.nbytes
        ctx.report_extra["gradient_lower_bound"] = grads.bound_bytes
        ctx.report_extra["gradient_buffers"] = grads.buffers
        ctx.report_extra["gradient_steps"] = grads.steps

    ctx.extend.append(extend)
    return g


__all__ = ["TrainOptions", "export_stage", "parse_train_options"]
