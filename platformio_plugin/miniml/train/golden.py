"""Learning golden: PyTorch's own SGD run on seeded samples, embedded so a board can check learn().

With golden=N and on_device_learning, the header gets LearnGoldenData<> (alias LearnGolden): N
inputs
and targets (or labels), the loss PyTorch reports before each step, and the trainable parameters
after
all N steps (save order). testing.h's MINIML_CHECK_LEARN_GOLDEN(ns, model) replays the N learn()
calls
on the board and compares; it resets the model before and after.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ..emit.header import HeaderParts
from ..literals import float_array_body, float_literal, int_array_body
from ..errors import MinimlError
from ..ir import Graph
from ..passes.split_training import TrainPlan
from .int8_reference import MixedInt8Reference, start_from
from .optimizer import describe

TOLERANCE = (
    1e-4  # relative to max(|expected|, 1), as the inference golden: libm exp/log differ by target
)


def _identity_var(eps: float) -> Any:
    """A float32 running_var v with 1 / sqrt(v + eps) == 1 exactly in torch: BatchNorm's identity."""
    import torch

    v = torch.tensor([1.0 - eps], dtype=torch.float32)
    for _ in range(8):
        one = torch.nn.functional.batch_norm(torch.ones(1, 1), torch.zeros(1), v, eps=eps)
        if one.item() == 1.0:
            return v
        v = torch.nextafter(v, torch.tensor([0.0 if one.item() > 1.0 else 2.0]))
    raise MinimlError(f"golden with on_device_learning: no identity BatchNorm for eps={eps}")


def fold_reference(m: Any, folded: Tuple[Tuple[str, str, float], ...]) -> Dict[str, str]:
    """Makes m learn as the device does: each (layer, BatchNorm) pair the exporter folded gets the
    folded weight and bias (the exporter's own arithmetic) and the BatchNorm becomes an exact
    identity, in place, so it works on an nn.Module and on an ExportedProgram's module alike.
    Returns the exporter's parameter names that live elsewhere in m: a layer without bias learns
    the folded bias, held here by the BatchNorm's bias."""
    import torch

    from ..ops.batch_norm import batchnorm_scale_shift
    from ..passes.fold_batchnorm import fold_batchnorm_weights

    params, buffers = dict(m.named_parameters()), dict(m.named_buffers())
    moved: Dict[str, str] = {}
    with torch.no_grad():
        for layer, bn, eps in folded:
            weight, bias = params[f"{layer}.weight"], params.get(f"{layer}.bias")
            gamma, beta = params.get(f"{bn}.weight"), params.get(f"{bn}.bias")
            mean, var = buffers[f"{bn}.running_mean"], buffers[f"{bn}.running_var"]
            if beta is None and bias is None:
                raise MinimlError(f"golden with on_device_learning: {layer!r} has no bias and its "
                                  f"BatchNorm {bn!r} no affine bias to hold the folded one")
            scale, shift = batchnorm_scale_shift(None if gamma is None else gamma.numpy(),
                                                 None if beta is None else beta.numpy(),
                                                 mean.numpy(), var.numpy(), eps)
            w2, b2 = fold_batchnorm_weights(weight.numpy(), None if bias is None else bias.numpy(),
                                            scale, shift)
            weight.copy_(torch.from_numpy(w2))
            (bias if bias is not None else beta).copy_(torch.from_numpy(b2))
            if bias is not None and beta is not None:
                beta.zero_()
            else:
                moved[f"{layer}.bias"] = f"{bn}.bias"
            if gamma is not None:
                gamma.fill_(1.0)
            mean.zero_()
            var.copy_(_identity_var(eps).expand_as(var))
    return moved


def torch_optimizer(opts: Any, params: List[Any]) -> Any:
    """The torch.optim optimizer the export's learn() equals step for step."""
    import torch

    if opts.optimizer == "adam":
        return torch.optim.Adam(params, lr=opts.learning_rate, betas=(opts.beta1, opts.beta2),
                                eps=opts.eps, weight_decay=opts.weight_decay)
    return torch.optim.SGD(params, lr=opts.learning_rate, momentum=opts.momentum,
                           weight_decay=opts.weight_decay)


def torch_train_steps(
    model: Any, plan: TrainPlan, xs: np.ndarray, targets: np.ndarray,
    shapes: Optional[Dict[str, Tuple[int, ...]]] = None,
    mixed: Optional[Graph] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Runs the export's torch.optim optimizer on a copy of the model over the samples; returns
    the loss before each step and the trained parameters afterwards, concatenated. With `mixed`
    (the int8 graph of a model that learns), the reference is the same mixed model
    (int8_reference.py): int8 backbone and frozen int8 layers by the integer reference, learning
    layers from their dequantised int8 weights."""
    import torch
    import torch.nn.functional as F

    if mixed is not None and not isinstance(model, torch.export.ExportedProgram):
        model = torch.export.export(model, (torch.from_numpy(xs[:1]),))
    module = model.module() if isinstance(model, torch.export.ExportedProgram) else model
    m = copy.deepcopy(module)
    moved = fold_reference(m, plan.folded)
    forward = lambda x: m(torch.from_numpy(x[None]))  # noqa: E731
    if mixed is not None:
        ref = MixedInt8Reference(mixed)
        start_from(m, moved, ref.initial())
        forward = lambda x: ref.forward(m, torch.from_numpy(x[None]))  # noqa: E731
    named = dict(m.named_parameters())
    named.update({n: named[k] for n, k in moved.items()})
    missing = [n for n in plan.trained_params if n not in named]
    if missing:
        raise MinimlError(
            f"golden with on_device_learning: parameters {missing} are not in the model's "
            f"named_parameters(); export without golden or report this model"
        )
    for p in m.parameters():
        p.requires_grad_(False)
    trained = [named[n] for n in plan.trained_params]
    for p in trained:
        p.requires_grad_(True)
    opt = torch_optimizer(plan.options, trained)
    rows = [plan.rows_of(n) for n in plan.trained_params]
    losses: List[float] = []
    for x, t in zip(xs, targets):
        y = forward(x).reshape(1, -1)
        if plan.options.loss == "mse":
            loss = F.mse_loss(y, torch.from_numpy(t).reshape(1, -1))
        else:
            loss = F.cross_entropy(y, torch.tensor([int(t)]))
        opt.zero_grad()
        loss.backward()
        with frozen_rows(trained, rows):
            opt.step()
        losses.append(loss.item())
    on_device = _as_on_device(plan.trained_params, trained, shapes or {}, rows)
    return np.array(losses, np.float32), np.concatenate(on_device)


@contextlib.contextmanager
def frozen_rows(params: List[Any], rows: List[Any]) -> Iterator[None]:
    """A sparse channel update in torch: the rows that do not learn are put back after the step
    (SGD and Adam act element by element, so the learning rows step exactly as on the device)."""
    import torch

    keep = [None if r is None else p.detach().clone() for p, r in zip(params, rows)]
    yield
    with torch.no_grad():
        for p, r, k in zip(params, rows, keep):
            if r is not None:
                mask = torch.ones(p.shape[0], dtype=torch.bool)
                mask[list(r)] = False
                p[mask] = k[mask]


def _as_on_device(names: Tuple[str, ...], trained: List[Any],
                  shapes: Dict[str, Tuple[int, ...]], rows: List[Any]) -> List[np.ndarray]:
    """The trained parameters as the device saves them (`shapes`, the exported ones): with
    spare_classes the head has more rows, zero and never stepped while masked (gradient 0, and zero
    stays zero under weight decay and Adam), after its own; a channel subset: its rows only."""
    out = []
    for name, p, r in zip(names, trained, rows):
        a = p.detach().numpy().astype(np.float32)
        extra = shapes[name][0] - a.shape[0] if name in shapes else 0
        if extra:
            a = np.concatenate([a, np.zeros((extra,) + a.shape[1:], np.float32)])
        out.append((a if r is None else a[list(r)]).ravel())
    return out


def learn_golden_parts(
    parts: HeaderParts,
    model: Any,
    plan: TrainPlan,
    input_shape: Tuple[int, ...],
    out_size: int,
    steps: int,
    seed: int,
    provenance: str,
    shapes: Optional[Dict[str, Tuple[int, ...]]] = None,
    mixed: Optional[Graph] = None,
) -> None:
    """shapes: the exported shapes of the trained parameters (spare classes add rows)."""
    rng = np.random.default_rng(seed + 1)  # seed + 1: not the inference golden's inputs
    xs = rng.standard_normal((steps,) + tuple(input_shape[1:])).astype(np.float32)
    mse = plan.options.loss == "mse"
    targets = (
        rng.standard_normal((steps, out_size)).astype(np.float32)
        if mse
        else rng.integers(0, out_size - plan.options.spare_classes, steps).astype(np.int64)
    )
    losses, weights = torch_train_steps(model, plan, xs, targets, shapes, mixed)
    n = steps
    tail = parts.tail
    tail.append(
        f"\n// Learning golden: {provenance}; {n} steps of torch.optim ({describe(plan.options)}) on "
        f"numpy default_rng(seed + 1) samples."
    )
    tail.append(f"constexpr miniml::index_t kLearnGoldenSteps = {n};")
    tail.append("template <typename Unused = void>\nstruct LearnGoldenData {")
    tail.append(f"  static const float kInputs[{n} * kInputSize];")
    tail.append(
        f"  static const float kTargets[{n} * kOutputSize];"
        if mse
        else f"  static const uint16_t kLabels[{n}];"
    )
    tail.append(f"  static const float kLosses[{n}];  // loss before each step")
    tail.append(
        "  static const float kTrainable[kTrainableCount];  // after the last step, save order"
    )
    tail.append(f"  static constexpr float kTolerance = {float_literal(TOLERANCE, 'tolerance')};")
    tail.append(
        "  // Step `step` of the sequence on `model` (inputs read from flash); returns learn()'s "
        "loss."
    )
    tail.append(
        "  template <class ModelT>\n  static float learn(ModelT& model, miniml::index_t step) {"
    )
    tail.append("    static float x[kInputSize];")
    tail.append(
        "    for (miniml::index_t i = 0; i < kInputSize; ++i) "
        "x[i] = miniml::rom_read(&kInputs[static_cast<uint32_t>(step) * kInputSize + i]);"
    )
    if mse:
        tail.append("    static float t[kOutputSize];")
        tail.append(
            "    for (miniml::index_t i = 0; i < kOutputSize; ++i) "
            "t[i] = miniml::rom_read(&kTargets[static_cast<uint32_t>(step) * kOutputSize + i]);"
        )
        tail.append("    return model.learn(x, t);")
    else:
        tail.append("    return model.learn(x, miniml::rom_read(&kLabels[step]));")
    tail.append("  }")
    tail.append("};")

    def arr(ctype: str, name: str, size: str, body: str) -> None:
        tail.append(
            f"template <typename Unused>\nconst {ctype} LearnGoldenData<Unused>::{name}[{size}] "
            f"MINIML_ROM = {{\n{body}}};"
        )

    arr("float", "kInputs", f"{n} * kInputSize", float_array_body(xs, "learning golden inputs"))
    if mse:
        arr(
            "float",
            "kTargets",
            f"{n} * kOutputSize",
            float_array_body(targets, "learning golden targets"),
        )
    else:
        arr("uint16_t", "kLabels", str(n), int_array_body(targets))
    arr("float", "kLosses", str(n), float_array_body(losses, "learning golden losses"))
    arr(
        "float",
        "kTrainable",
        "kTrainableCount",
        float_array_body(weights, "learning golden weights"),
    )
    tail.append("template <typename Unused>\nconstexpr float LearnGoldenData<Unused>::kTolerance;")
    tail.append("typedef LearnGoldenData<> LearnGolden;")
