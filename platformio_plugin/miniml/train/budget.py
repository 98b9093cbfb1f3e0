"""train_budget: the exporter picks what learns so that the training RAM fits a byte budget.

As MIT's tiny-training (Lin et al., "On-Device Training Under 256KB Memory", sparse update): biases
first, then output channels of weights (a weight whose channels are all chosen learns whole), each
group in order of contribution per byte. The contribution of a bias or a weight's output channel is
measured on the host: the diagonal Fisher information, the sum over a sample of its squared loss
gradients. The sample is train_sample= (with its targets or labels when given), else the calibration
data, else seeded standard normal inputs; without labels the targets are drawn from the model's own
prediction (its softmax for cross-entropy, its output plus unit Gaussian noise for MSE). A candidate
is kept when the training RAM of the set with it, computed exactly as the export computes it
(split_training, planner, learn() emission; with int8, the mixed model that set makes), stays
within the budget.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..channel_rows import display
from ..emit.header import Member, build_parts
from ..errors import OptionError
from ..ir import DType, Graph, verify
from ..ops import inplace_pairs
from ..passes.split_training import folded_batchnorms, learnable, split_training
from ..plan import plan_memory
from .emit import extend_training
from .golden import fold_reference
from .options import TRAIN_OPTION_NAMES
from .sample import budget_sample

RamOf = Callable[[Any], int]  # TrainOptions with a trainable set -> its training RAM (bytes)


def ram_without_learning(g: Graph, ctx: Any) -> int:
    """sizeof(Model) of the same export without on_device_learning: the baseline of the training RAM
    figure. Float: the graph as it is, planned without keep-alive. int8: the quantiser keeps the
    learning layers float, so the baseline is a second, all-int8 analysis of the model."""
    if ctx.options.get("quantize") and ctx.model is not None:
        opts = {k: v for k, v in ctx.options.items()
                if k != "on_device_learning" and k not in TRAIN_OPTION_NAMES + ("train_sample",)}
        opts["golden"] = 0
        return int(ctx.reanalyze(opts).ram_bytes)
    plain = plan_memory(g, inplace_pairs(g))
    ram = (
        Member("arena_", DType.F32, (plain.arena_bytes + 3) // 4).nbytes if plain.arena_bytes else 0
    )
    return max(ram, 1)  # an empty class has size 1


def training_ram(g: Graph, opts: Any, plain_ram: int) -> int:
    """The training RAM figure of the export of g with these options (report.training_ram_bytes)."""
    gs = verify(split_training(g.with_(meta={**g.meta, "train_options": opts})))
    plan = plan_memory(gs, inplace_pairs(gs))
    parts = build_parts(gs, plan, "budget")
    extend_training(parts, gs, plan)
    return parts.ram_bytes - plain_ram


def contributions(model: Any, g: Graph, loss: str, xs: np.ndarray,
                  ys: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Parameter name (as the export names it) -> per output channel (row), the sum over the sample
    of its squared gradients."""
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
    fisher = {n: np.zeros(g.params[n].shape[0]) for n in wanted}
    gen = torch.Generator().manual_seed(0)
    for i, x in enumerate(xs):
        y = m(torch.from_numpy(x[None])).reshape(1, -1)
        if loss == "mse":
            target = (y.detach() + torch.randn(y.shape, generator=gen) if ys is None
                      else torch.from_numpy(ys[i]).reshape(1, -1))
            value = F.mse_loss(y, target)
        else:
            label = (torch.multinomial(torch.softmax(y.detach(), 1), 1, generator=gen)[0]
                     if ys is None else torch.tensor([int(ys[i])]))
            value = F.cross_entropy(y, label)
        grads = torch.autograd.grad(value, [named[n] for n in wanted], allow_unused=True)
        for n, gr in zip(wanted, grads):
            if gr is not None:
                fisher[n] += (gr.double() ** 2).reshape(gr.shape[0], -1).sum(1).numpy()
    return fisher


def _candidates(g: Graph, fisher: Dict[str, np.ndarray]) -> List[Tuple[str, Optional[int]]]:
    """(parameter, output channel or None for a whole bias), in the order they are tried: biases
    by contribution per byte, then every weight's output channels by contribution per byte."""
    names = [n for n in learnable(g) if n in g.params]

    def score(name: str, row: Optional[int]) -> float:
        p = g.params[name]
        f = fisher.get(name, np.zeros(p.shape[0]))
        return float(f.sum()) / p.nbytes if row is None else float(f[row]) * p.shape[0] / p.nbytes

    biases = sorted((n for n in names if n.endswith("bias")), key=lambda n: (-score(n, None), n))
    rows = sorted(((n, r) for n in names if not n.endswith("bias")
                   for r in range(g.params[n].shape[0])), key=lambda u: (-score(*u), u))
    return [(n, None) for n in biases] + rows


def _as_trainable(g: Graph, chosen: Dict[str, List[int]]) -> Tuple[str, ...]:
    """Graph order, as trainable= would list them; a weight with every channel chosen learns whole."""
    out = []
    for n in (n for n in learnable(g) if n in chosen):
        rows = chosen[n]
        whole = n.endswith("bias") or len(rows) == g.params[n].shape[0]
        out.append(n if whole else display(n, tuple(sorted(rows))))
    return tuple(out)


def choose_within_budget(g: Graph, opts: Any, budget: int, ram_of: RamOf,
                         fisher: Dict[str, np.ndarray]) -> Tuple[str, ...]:
    """Biases, then weight channels, each by contribution per byte, kept while the set fits."""
    chosen: Dict[str, List[int]] = {}
    cheapest = None
    for name, row in _candidates(g, fisher):
        trial = {k: list(v) for k, v in chosen.items()}
        trial.setdefault(name, []).extend([] if row is None else [row])
        ram = ram_of(replace(opts, trainable=_as_trainable(g, trial), train_budget=None))
        cheapest = ram if cheapest is None else min(cheapest, ram)
        if ram <= budget:
            chosen = trial
    if not chosen:
        raise OptionError(
            f"train_budget={budget}: no parameter fits; the cheapest choice needs {cheapest} B of "
            "training RAM: raise the budget"
        )
    return _as_trainable(g, chosen)


def budget_trainable(g: Graph, ctx: Any, opts: Any, ram_of: RamOf,
                     measure: Callable[..., Dict[str, np.ndarray]] = contributions
                     ) -> Tuple[str, ...]:
    """The trainable set train_budget picks for g (the float graph)."""
    if opts.trainable is not None:
        raise OptionError("train_budget picks the trainable parameters itself: set either "
                          "trainable or train_budget, not both")
    if ctx.model is None:
        raise OptionError("train_budget needs the PyTorch model to measure contributions")
    xs, ys, source = budget_sample(ctx, g.tensor(g.outputs[0]).numel, opts.loss)
    ctx.report_extra["train_budget_sample"] = source
    fisher = measure(ctx.model, g, opts.loss, xs, ys)
    return choose_within_budget(g, opts, opts.train_budget, ram_of, fisher)


def check_train_sample(ctx: Any, opts: Any) -> None:
    if ctx.options.get("train_sample") is not None and opts.train_budget is None:
        raise OptionError("train_sample= is the sample train_budget measures contributions on; "
                          "set train_budget=<bytes>, or drop train_sample")
