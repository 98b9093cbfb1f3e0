"""export(): capture -> passes -> plan -> emit -> Report. Imports torch (via capture) when called."""
from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from .emit import check_model_name, emit_header
from .emit.header import HeaderParts, optimize_speed
from .errors import MinimlWarning, OptionError, UnsupportedOpError
from .ir import DType, Graph
from .ops import KERNELS, inplace_pairs
from .options import api_value, check_options
from .passes import run_pipeline
from .plan import MemoryPlan, plan_memory
from .report import LayerRow, Report

GOLDEN_TOLERANCE = 1e-4  # relative to max(|expected|, 1); covers libm differences between targets


@dataclass
class ExportContext:
    """Handed to later stages (int8, training): the options, the float graph's reference model and
    a way to run PyTorch on numpy inputs (batch 1, float32)."""

    name: str
    options: Dict[str, Any]
    input_shape: Tuple[int, ...]
    run_torch: Callable[[np.ndarray], np.ndarray]
    extend: list = field(default_factory=list)  # callables (HeaderParts, Graph, MemoryPlan) -> None
    report_extra: Dict[str, Any] = field(default_factory=dict)
    model: Any = None  # the nn.Module or ExportedProgram given to export (training goldens run SGD on it)
    # Golden vectors: a stage may replace PyTorch's float outputs (e.g. int8: the int8 reference run
    # of the same inputs, dequantised) and the relative tolerance predict() is held to on a target.
    golden_reference: Optional[Callable[[np.ndarray], np.ndarray]] = None
    golden_tolerance: float = GOLDEN_TOLERANCE
    golden_note: str = ""
    # The Report of the same model exported with other options (a stage's baseline figures).
    reanalyze: Optional[Callable[[Dict[str, Any]], Report]] = None
    # Activation ranges a quantisation-aware trained model brings (miniml.qat): int8 uses them
    # instead of calibrating.
    quant_ranges: Optional[Dict[str, Tuple[float, float]]] = None


def _torch_runner(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    module = model.module() if isinstance(model, torch.export.ExportedProgram) else model

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            y = module(torch.from_numpy(np.ascontiguousarray(x, np.float32)))
        if isinstance(y, (tuple, list)):
            y = y[0]
        return y.detach().cpu().numpy().astype(np.float32)

    return run


def _flat_outputs(y: Any) -> list:
    """A model's outputs in torch.export's order (tuple/list items, dict values), as float32 arrays."""
    if isinstance(y, dict):
        y = list(y.values())
    if isinstance(y, (tuple, list)):
        return [a for v in y for a in _flat_outputs(v)]
    return [y.detach().cpu().numpy().astype(np.float32).reshape(-1)]


def _packed_runner(model: Any, g: Graph) -> Callable[[np.ndarray], np.ndarray]:
    """run(packed inputs) -> packed outputs, for golden vectors of a model with several inputs or
    outputs or integer inputs: all inputs back to back (indices as floats), all outputs likewise."""
    import torch

    module = model.module() if isinstance(model, torch.export.ExportedProgram) else model
    specs = [g.tensor(t) for t in g.inputs]

    def run(x: np.ndarray) -> np.ndarray:
        args, pos = [], 0
        for spec in specs:
            part = np.asarray(x[pos:pos + spec.numel]).reshape(spec.shape)
            pos += spec.numel
            if spec.dtype is DType.F32:
                args.append(torch.from_numpy(np.ascontiguousarray(part, np.float32)))
            else:
                args.append(torch.from_numpy(part.astype(np.int64)))
        with torch.no_grad():
            return np.concatenate(_flat_outputs(module(*args)))

    return run


def _golden_inputs(g: Graph, rng: Any, n: int) -> np.ndarray:
    """[n, packed inputs]: standard normal data; indices uniform over the table the input indexes."""
    parts = []
    for t in g.inputs:
        spec = g.tensor(t)
        if spec.dtype is DType.F32:
            parts.append(rng.standard_normal((n, spec.numel)).astype(np.float32))
            continue
        sizes = [int(nd.attrs.get("num_embeddings", nd.attrs.get("num_classes", 0)))
                 for nd in g.nodes if t in nd.inputs]
        high = min([s for s in sizes if s > 0] or [2])
        parts.append(rng.integers(0, high, (n, spec.numel)).astype(np.float32))
    return np.concatenate(parts, axis=1)


def _single_float_input(g: Graph) -> bool:
    return len(g.inputs) == 1 and g.tensor(g.inputs[0]).dtype is DType.F32


def _single_float_io(g: Graph) -> bool:
    return _single_float_input(g) and len(g.outputs) == 1


def _stages(g: Graph, ctx: ExportContext) -> Graph:
    """Later stages plug in here: miniml.stream / miniml.int8 / miniml.train expose
    export_stage(graph, ctx)."""
    # streaming first: it refuses the option combinations it cannot stream before any work is done
    for opt, module in (("streaming", "stream"), ("quantize", "int8"),
                        ("on_device_learning", "train")):
        if not ctx.options.get(opt):
            continue
        # int8 takes any inputs (float ones quantised, indices as they are) and outputs
        if opt != "quantize" and not _single_float_io(g):
            raise UnsupportedOpError(
                f"{opt}={ctx.options[opt]!r} needs a model with one float input and one output; "
                f"this one has inputs {_io_list(g, g.inputs)} and outputs "
                f"{_io_list(g, g.outputs)}: export it in float, or export each head as its own "
                "model"
            )
        try:
            mod = importlib.import_module(f"miniml.{module}")
        except ImportError:
            mod = None
        stage = getattr(mod, "export_stage", None)
        if stage is None:
            raise OptionError(f"{opt}={ctx.options[opt]!r} is not available in this build")
        g = stage(g, ctx)
    return g


def _io_list(g: Graph, names: Any) -> str:
    return ", ".join(f"{t} {g.tensor(t).dtype.ctype}{list(g.tensor(t).shape)}" for t in names)


def _build(model: Any, example_input: Any, name: str, options: Dict[str, Any]):
    """_export_text(), with every MinimlWarning it raises also listed in the report."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MinimlWarning)
        text, report = _export_text(model, example_input, name, options)
    for w in caught:  # shown as they would have been, and kept in the report
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if issubclass(w.category, MinimlWarning):
            report.warnings.append(str(w.message))
    return text, report


def _export_text(model: Any, example_input: Any, name: str, options: Dict[str, Any],
                 extend_header: Optional[Callable[..., None]] = None):
    from . import classic

    check_model_name(name)
    if classic.is_sklearn(model):  # scikit-learn: miniml/classic (MLPs come back here as nn.Modules)
        return classic.build(model, example_input, name, options, check_options, _export_text,
                             GOLDEN_TOLERANCE)
    from .capture import example_from_program

    opts = check_options(options)
    import torch

    if isinstance(model, torch.export.ExportedProgram) and example_input is None:
        example_input = example_from_program(model)
    g, ranges = _float_graph(model, example_input, opts)
    in_shape = g.tensor(g.inputs[0]).shape
    ctx = ExportContext(name, opts, in_shape, _torch_runner(model), model=model,
                        quant_ranges=ranges)
    ctx.reanalyze = lambda o: analyze(model, torch.zeros(in_shape), name, **o)
    if extend_header is not None:  # e.g. predict_class of a scikit-learn MLP
        ctx.extend.append(extend_header)
    if opts["optimize"] == "speed":
        ctx.extend.append(optimize_speed)
    g = _stages(g, ctx)
    plan = plan_memory(g, inplace_pairs(g))
    golden = None
    provenance = f"torch {torch.__version__}"
    if opts["golden"]:
        rng = np.random.default_rng(opts["seed"])
        if _single_float_io(g):
            xs = rng.standard_normal((opts["golden"],) + tuple(in_shape)).astype(np.float32)
            run = ctx.golden_reference or ctx.run_torch
        else:
            xs = _golden_inputs(g, rng, opts["golden"])
            run = ctx.golden_reference or _packed_runner(model, g)
        ys = np.stack([run(x) for x in xs])
        gprov = (
            f"generator miniml {__import__('miniml').__version__}, torch {torch.__version__}, "
            f"numpy default_rng(seed={opts['seed']}).standard_normal, {opts['golden']} vectors"
            + (f", {ctx.golden_note}" if ctx.golden_note else "")
        )
        golden = (xs.reshape(len(xs), -1), ys.reshape(len(ys), -1), ctx.golden_tolerance, gprov)

    def extend(parts: HeaderParts, gg: Graph, pl: MemoryPlan) -> None:
        for fn in ctx.extend:
            fn(parts, gg, pl)

    text, parts = emit_header(g, plan, name, provenance, golden, extend)
    report = _report(g, plan, parts, name, ctx)
    return text, report


def _float_graph(model: Any, example_input: Any,
                 opts: Dict[str, Any]) -> Tuple[Graph, Optional[Dict[str, Any]]]:
    """The float IR graph after the float passes, and the activation ranges when the model brings
    them: a quantisation-aware trained model (miniml.qat) hands over its own graph (its trained
    weights) and ranges, so its int8 export is the arithmetic it trained with."""
    from .qat import QatModel

    if isinstance(model, QatModel):
        if opts.get("quantize") != "int8":
            raise OptionError(
                "a quantisation-aware trained model (miniml.prepare_qat) exports with "
                "quantize='int8' (its forward is the int8 model); export the float model you "
                "prepared it from for a float header"
            )
        return model.export_graph(example_input), model.quant_ranges()
    from .capture import capture

    return run_pipeline(capture(model, example_input)), None


def _report(g: Graph, plan: MemoryPlan, parts: HeaderParts, name: str, ctx: ExportContext) -> Report:
    rows = []
    for n in g.nodes:
        out = n.outputs[0]
        if out in g.outputs:
            buf = "output"
        else:
            buf = f"arena@{plan.offsets[out]}"
        op = n.op
        act = n.attrs.get("act")
        if act is not None and n.op != "activation":
            op += f"+{act[0]}"
        elif act is not None:
            op = act[0]
        rows.append(
            LayerRow(
                name=n.name,
                op=op,
                source=n.source,
                output_shape=g.tensor(out).shape,
                macs=KERNELS[n.op].macs(n, g),
                flash_bytes=sum(g.params[p].nbytes for p in n.params.values()),
                buffer=buf,
            )
        )
    return Report(
        name=name,
        input_shape=g.tensor(g.inputs[0]).shape,
        output_shape=g.tensor(g.outputs[0]).shape,
        macs=sum(r.macs for r in rows),
        flash_bytes=parts.flash_bytes,
        ram_bytes=parts.ram_bytes,
        arena_bytes=plan.arena_bytes,
        arena_lower_bound=plan.lower_bound,
        training_ram_bytes=int(ctx.report_extra.get("training_ram_bytes", 0)),
        trainable_params=list(ctx.report_extra.get("trainable_params", [])),
        training_ram_parts=dict(ctx.report_extra.get("training_ram_parts", {})),
        gradient_buffer_bytes=int(ctx.report_extra.get("gradient_buffer_bytes", 0)),
        gradient_lower_bound=int(ctx.report_extra.get("gradient_lower_bound", 0)),
        gradient_buffers=list(ctx.report_extra.get("gradient_buffers", [])),
        gradient_steps=list(ctx.report_extra.get("gradient_steps", [])),
        train_budget_sample=str(ctx.report_extra.get("train_budget_sample", "")),
        float_flash_bytes=int(ctx.report_extra.get("float_flash_bytes", 0)),
        float_arena_bytes=int(ctx.report_extra.get("float_arena_bytes", 0)),
        int8_learning=dict(ctx.report_extra.get("int8_learning", {})),
        optimize=ctx.options["optimize"],
        layers=rows,
        memory_plan=plan.format(),
        plan_buffers=[
            {"tensor": "+".join(b.tensors), "offset": b.offset, "size": b.size, "start": b.start,
             "end": b.end}
            for b in plan.buffers
        ],
    )


def export(model: Any, example_input: Any, name: str, out_dir: str, **options: Any) -> Report:
    clash = [f for f in (os.listdir(out_dir) if os.path.isdir(out_dir) else [])
             if f.lower() == f"{name}.h".lower() and f != f"{name}.h"]
    if clash:
        raise OptionError(
            f"{out_dir} already holds {clash[0]}, another model whose name differs from {name!r} only "
            "in case: one file on case-insensitive file systems and one include guard; pick another "
            "name or remove it"
        )
    text, report = _build(model, example_input, name, options)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.h")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    report.header_path = path
    if api_value("plot", options):
        from .plot import plot_plan

        plot_plan(report, os.path.join(out_dir, f"{name}.plan.png"))
    return report


def analyze(model: Any, example_input: Any, name: str, **options: Any) -> Report:
    return _build(model, example_input, name, options)[1]


def int8_graph(model: Any, example_input: Any, **options: Any) -> Graph:
    """The int8 IR graph export() would emit for these options (for inspection and tests); run it
    with miniml.int8.predict(graph, inputs)."""
    from .int8 import export_stage

    opts = check_options({**options, "quantize": "int8"})
    g, ranges = _float_graph(model, example_input, opts)
    ctx = ExportContext("int8_graph", opts, g.tensor(g.inputs[0]).shape, _torch_runner(model),
                        quant_ranges=ranges)
    return export_stage(g, ctx)


def build_header(model: Any, example_input: Any, name: str, **options: Any) -> Tuple[str, Report]:
    """The header text and the report, without writing a file (tests, hook)."""
    return _build(model, example_input, name, options)


