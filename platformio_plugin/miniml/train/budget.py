"""train_budget: the exporter picks what learns so that the training RAM fits a byte budget.

As MIT's tiny-training (Lin et al., "On-Device Training Under 256KB Memory", sparse update): biases
first, then whole weight tensors, each group in order of contribution per byte. The contribution of
a parameter is measured on the host: the diagonal Fisher information, the sum over a sample of its
squared loss gradient (with targets drawn from the model's own prediction: the model's softmax for
cross-entropy, its output plus unit Gaussian noise for MSE, so no labels are needed) over seeded
standard normal inputs (train_budget is float-only, where no calibration data is given). A candidate is kept when the
training RAM of the set with it, computed exactly as the export computes it (split_training,
planner, learn() emission), stays within the budget.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from ..emit.header import build_parts
from ..errors import OptionError
from ..ir import Graph, verify
from ..ops import inplace_pairs
from ..passes.split_training import folded_batchnorms, learnable, split_training
from ..plan import plan_memory
from .emit import extend_training
from .golden import fold_reference

SAMPLES = 32


def training_ram(g: Graph, opts: Any, plain_ram: int) -> int:
    """The training RAM figure of the export of g with these options (report.training_ram_bytes)."""
    gs = verify(split_training(g.with_(meta={**g.meta, "train_options": opts})))
    plan = plan_memory(gs, inplace_pairs(gs))
    parts = build_parts(gs, plan, "budget")
    extend_training(parts, gs, plan)
    return parts.ram_bytes - plain_ram


def _sample(ctx: Any) -> np.ndarray:
    rng = np.random.default_rng(int(ctx.options.get("seed") or 0) + 2)
    return rng.standard_normal((SAMPLES,) + tuple(ctx.input_shape[1:])).astype(np.float32)


def contributions(model: Any, g: Graph, loss: str, xs: np.ndarray) -> Dict[str, float]:
    """Parameter name (as the export names it) -> sum over the sample of its squared gradient."""
    import copy

    import torch
    import torch.nn.functional as F

    module = model.module() if isinstance(model, torch.export.ExportedProgram) else model
    m = copy.deepcopy(module)
    moved = fold_reference(m, folded_batchnorms(g))
    named = dict(m.named_parameters())
    named.update({n: named[k] for n, k in moved.items()})
    wanted = [n for n in learnable(g) if n in g.params and n in named]
    for p in m.parameters():
        p.requires_grad_(False)
    for n in wanted:
        named[n].requires_grad_(True)
    fisher = {n: 0.0 for n in wanted}
    gen = torch.Generator().manual_seed(0)
    for x in xs:
        y = m(torch.from_numpy(x[None])).reshape(1, -1)
        if loss == "mse":
            target = y.detach() + torch.randn(y.shape, generator=gen)
            value = F.mse_loss(y, target)
        else:
            label = torch.multinomial(torch.softmax(y.detach(), 1), 1, generator=gen)[0]
            value = F.cross_entropy(y, label)
        grads = torch.autograd.grad(value, [named[n] for n in wanted], allow_unused=True)
        for n, gr in zip(wanted, grads):
            if gr is not None:
                fisher[n] += float((gr.double() ** 2).sum())
    return fisher


def choose_within_budget(g: Graph, opts: Any, budget: int, plain_ram: int,
                         fisher: Dict[str, float]) -> Tuple[str, ...]:
    """Biases, then weights, each by contribution per byte, kept while the set fits the budget."""
    def order(names: List[str]) -> List[str]:
        return sorted(names, key=lambda n: (-fisher.get(n, 0.0) / g.params[n].nbytes, n))

    names = [n for n in learnable(g) if n in g.params]
    biases = [n for n in names if n.endswith("bias")]
    candidates = order(biases) + order([n for n in names if n not in biases])
    chosen: List[str] = []
    cheapest = None
    for name in candidates:
        trial = tuple(chosen + [name])
        ram = training_ram(g, replace(opts, trainable=trial), plain_ram)
        cheapest = ram if cheapest is None else min(cheapest, ram)
        if ram <= budget:
            chosen.append(name)
    if not chosen:
        raise OptionError(
            f"train_budget={budget}: no parameter fits; the cheapest choice needs {cheapest} B of "
            "training RAM: raise the budget"
        )
    rank = {n: i for i, n in enumerate(names)}  # graph order, as trainable= would list them
    return tuple(sorted(chosen, key=rank.__getitem__))


def budget_trainable(g: Graph, ctx: Any, opts: Any, plain_ram: int,
                     measure: Callable[..., Dict[str, float]] = contributions) -> Tuple[str, ...]:
    if opts.trainable is not None:
        raise OptionError("train_budget picks the trainable parameters itself: set either "
                          "trainable or train_budget, not both")
    if ctx.model is None:
        raise OptionError("train_budget needs the PyTorch model to measure contributions")
    fisher = measure(ctx.model, g, opts.loss, _sample(ctx))
    return choose_within_budget(g, opts, opts.train_budget, plain_ram, fisher)
