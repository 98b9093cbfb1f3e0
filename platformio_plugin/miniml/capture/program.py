"""Captures a model with torch.export and lowers each aten node through the ops registry.

Keeps: the IR never sees torch objects (tensors become numpy arrays, fx nodes become TensorArg/ConstArg);
every error names the node, the aten op and the module path it came from (nn_module_stack).
"""
from __future__ import annotations

import operator
import os
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from .. import ops
from ..errors import (
    BatchSizeError,
    DynamicShapeError,
    MinimlError,
    TrainingModeError,
    UnsupportedOpError,
)
from ..ir import DType, Graph, TensorSpec, verify
from ..ops.registry import AtenCall, ConstArg, LowerCtx, TensorArg
from .archive import load_program  # noqa: F401  (re-exported: capture.load_program)


def supported_ops() -> List[str]:
    """Short op names (aten.relu_.default -> relu) of every registered lowering."""
    names = set()
    for t in ops.LOWERINGS:
        base = re.sub(r"^(native_|unsafe_)|(_legit\w*|_with_indices|_functional)$", "",
                      t.split(".")[1].strip("_"))
        if base not in ("lift_fresh_copy", "alias", "detach", "contiguous"):
            names.add(base)
    return sorted(names)


def _input_placeholders(ep: Any) -> List[Any]:
    user = set(ep.graph_signature.user_inputs)
    return [n for n in ep.graph.nodes if n.op == "placeholder" and n.name in user]


def _fixed_shape(val: Any, what: str) -> Tuple[int, ...]:
    shape = []
    for d in val.shape:
        if not isinstance(d, int):
            try:
                d = int(d)
            except Exception:
                raise DynamicShapeError(
                    f"{what} has a symbolic dimension {d!r} (shape {list(val.shape)}); MiniML needs "
                    "fixed shapes: export without dynamic_shapes= (batch 1, fixed length)"
                ) from None
            raise DynamicShapeError(
                f"{what} has a dynamic dimension (shape {list(val.shape)}); export without "
                "dynamic_shapes= so every dimension is fixed"
            )
        shape.append(d)
    return tuple(shape)


# Integer inputs are indices: only these layers may read them (predict takes const int32_t*).
INDEX_READERS = ("aten.embedding.default", "aten.one_hot.default")
# Integer results that are small exact integers, computed in float (one_hot(x).float() is common).
FLOAT_COMPUTED_INTEGERS = ("aten.one_hot.default",)
INTEGER_DTYPES = ("torch.int64", "torch.int32", "torch.int16", "torch.int8", "torch.uint8")


def example_inputs(example_input: Any) -> Tuple[Any, ...]:
    """The model's example inputs as a tuple: one tensor, or a tuple/list of tensors (several inputs)."""
    return tuple(example_input) if isinstance(example_input, (tuple, list)) else (example_input,)


def example_from_program(ep: Any) -> Any:
    """Zero example inputs of the program's (fixed) input shapes: a tensor, or a tuple of them."""
    phs = _input_placeholders(ep)
    xs = []
    for ph in phs:
        val = ph.meta["val"]
        xs.append(torch.zeros(_fixed_shape(val, f"input {ph.name!r}"), dtype=val.dtype))
    return xs[0] if len(xs) == 1 else tuple(xs)


def _check_input(example_input: Any) -> None:
    for i, x in enumerate(example_inputs(example_input)):
        what = "example_input" if not isinstance(example_input, (tuple, list)) else f"example input {i}"
        if not isinstance(x, torch.Tensor):
            raise MinimlError(f"{what} must be a torch.Tensor, got {type(x).__name__}")
        if x.dtype != torch.float32 and str(x.dtype) not in INTEGER_DTYPES:
            raise MinimlError(
                f"{what} is {x.dtype}; MiniML takes float32 inputs, or integer indices (int64) for "
                "nn.Embedding / F.one_hot; use x.float() for data"
            )
        if x.dim() < 2 or x.shape[0] != 1:
            raise BatchSizeError(
                f"{what} has shape {list(x.shape)}; MiniML runs one sample at a time: give a batch "
                "dimension of 1 first, e.g. x[:1] or x.unsqueeze(0)"
            )


def _check_eval(model: Any) -> None:
    training = [f"{n or '(root)'} ({type(m).__name__})" for n, m in model.named_modules() if m.training]
    if training:
        listed = ", ".join(training)
        raise TrainingModeError(
            f"the model is in training mode ({len(training)} module(s): {listed[:300]}); "
            "call model.eval() before miniml.export"
        )


def _module_path(node: Any) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path, typ = list(stack.values())[-1]
    tname = typ if isinstance(typ, str) else getattr(typ, "__qualname__", str(typ))
    short = tname.rsplit(".", 1)[-1]
    if tname.startswith("torch.nn.modules.") or tname.startswith("torch.nn."):
        short = "nn." + short
    path = path or "(root)"
    return f"{path} ({short})"


_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep


def _source_line(node: Any) -> str:
    """The innermost frame of the user's code (the model's forward), not torch's own modules: for
    an nn.Conv2d the line `x = self.conv(x)`, with the code line under it when the trace has it."""
    trace = (node.meta.get("stack_trace") or "").strip().splitlines()
    frames = [i for i, ln in enumerate(trace) if ln.strip().startswith("File ")]
    user = [i for i in frames if not _in_torch(trace[i])]
    pick = user[-1] if user else (frames[-1] if frames else None)
    if pick is None:
        return ""
    line = trace[pick].strip()
    nxt = trace[pick + 1].strip() if pick + 1 < len(trace) else ""
    return f"{line}\n    {nxt}" if nxt and not nxt.startswith("File ") else line


def _in_torch(frame_line: str) -> bool:
    m = re.match(r'\s*File "([^"]+)"', frame_line)
    return bool(m) and os.path.abspath(m.group(1)).startswith(_TORCH_DIR)


def _export(model: Any, x: Any) -> Any:
    try:
        return torch.export.export(model, example_inputs(x))
    except MinimlError:
        raise
    except Exception as exc:
        raise MinimlError(
            f"torch.export could not capture the model: {type(exc).__name__}: {str(exc)[:600]}"
        ) from exc


def capture(model: Any, example_input: Optional[Any] = None) -> Graph:
    """nn.Module (eval mode) or ExportedProgram -> verified IR graph (before passes)."""
    if isinstance(model, torch.export.ExportedProgram):
        ep = model
        if example_input is not None:
            _check_input(example_input)
    else:
        if not isinstance(model, torch.nn.Module):
            raise MinimlError(
                f"miniml.export takes an nn.Module or a torch.export.ExportedProgram, "
                f"got {type(model).__name__}"
            )
        _check_eval(model)
        _check_input(example_input)
        ep = _export(model, example_input)
    return _lower_program(ep)


def _np(t: Any) -> np.ndarray:
    t = t.detach().cpu()
    if t.dtype == torch.float32:
        return t.numpy().astype(np.float32, copy=True)
    if t.is_floating_point():
        return t.to(torch.float32).numpy().copy()
    return t.numpy().copy()


_TRAINING_ARG = {
    "aten.batch_norm.default": 5,
    "aten._native_batch_norm_legit.default": 5,
    "aten._native_batch_norm_legit_functional.default": 5,
    "aten.native_batch_norm.default": 5,
    "aten.dropout.default": 2,
    "aten.feature_dropout.default": 2,
    "aten.alpha_dropout.default": 2,
    "aten.native_dropout.default": 2,
    "aten.dropout_.default": 2,
    "aten.feature_dropout_.default": 2,
    "aten.alpha_dropout_.default": 2,
    "aten.feature_alpha_dropout.default": 2,
    "aten.feature_alpha_dropout_.default": 2,
}


def _check_program_eval(ep: Any) -> None:
    """A program captured in training mode: batch statistics or live dropout somewhere."""
    for n in ep.graph.nodes:
        idx = _TRAINING_ARG.get(str(n.target)) if n.op == "call_function" else None
        if idx is None:
            continue
        train = n.args[idx] if idx < len(n.args) else n.kwargs.get("training", n.kwargs.get("train"))
        if train:
            raise TrainingModeError(
                f"node {n.name!r} ({n.target}) at {_module_path(n) or '?'} runs in training mode; "
                "call model.eval() before torch.export / miniml.export"
            )


def _constant_nodes(ep: Any) -> set:
    """Names of nodes computed from weights/constants only (folded at export time, e.g. the
    transposed weight of a decomposed Linear); the graph input is the only non-constant source."""
    user = set(ep.graph_signature.user_inputs)
    const: set = set()
    for n in ep.graph.nodes:
        if n.op == "placeholder":
            if n.name not in user:
                const.add(n.name)
        elif n.op == "call_function" and all(a.name in const for a in n.all_input_nodes):
            const.add(n.name)
    return const


def _check_program_ops(ep: Any) -> None:
    """All unsupported ops at once: the first one's node and source line, then every other."""
    const = _constant_nodes(ep)
    bad = [
        n for n in ep.graph.nodes
        if n.op == "call_function" and n.target is not operator.getitem
        and str(n.target) not in ops.LOWERINGS and n.name not in const
    ]
    if not bad:
        return
    n = bad[0]
    where = _module_path(n)
    at = f" at {where}" if where else ""
    line = _source_line(n)
    src = f"\n  {line}" if line else ""
    others = []
    for m in bad[1:]:
        item = f"{m.target} ({_module_path(m) or m.name})"
        if item not in others:
            others.append(item)
    also = f"\nalso unsupported: {', '.join(others[:12])}" if others else ""
    raise UnsupportedOpError(
        f"unsupported op {n.target} (node {n.name!r}{at}){src}{also}\n"
        f"MiniML supports: {', '.join(supported_ops())}"
    )


def _lower_program(ep: Any) -> Graph:
    _check_program_eval(ep)
    _check_program_ops(ep)
    sig = ep.graph_signature
    phs = _input_placeholders(ep)
    if not phs:
        raise UnsupportedOpError("the model takes no input tensor")
    ctx = LowerCtx()
    env: Dict[str, Any] = {}
    const_targets: Dict[str, str] = {}
    for spec in sig.input_specs:
        if spec.target is not None:
            const_targets[spec.arg.name] = spec.target
    for n in ep.graph.nodes:
        if n.op != "placeholder":
            continue
        if n in phs:
            val = n.meta["val"]
            shape = _fixed_shape(val, f"input {n.name!r}")
            if val.dtype != torch.float32 and str(val.dtype) not in INTEGER_DTYPES:
                raise MinimlError(
                    f"input {n.name!r} is {val.dtype}; MiniML models take float32 data or integer "
                    "indices (for nn.Embedding / F.one_hot)"
                )
            if len(shape) < 2 or shape[0] != 1:
                raise BatchSizeError(
                    f"the program's input {n.name!r} has shape {list(shape)}; MiniML runs one sample "
                    "at a time: export with a batch dimension of 1 first"
                )
            dtype = DType.F32 if val.dtype == torch.float32 else DType.S32
            ctx.tensors[n.name] = TensorSpec(n.name, shape, dtype)
            env[n.name] = TensorArg(n.name)
            continue
        target = const_targets.get(n.name)
        if target in ep.state_dict:
            value = ep.state_dict[target]
        elif target in ep.constants:
            value = ep.constants[target]
        else:
            raise MinimlError(f"placeholder {n.name!r} ({target}) has no value in the program")
        if isinstance(value, torch.Tensor):
            ctx.consts[target] = _np(value)
            env[n.name] = ConstArg(target)
        else:
            env[n.name] = value
    supported = ", ".join(supported_ops())
    const = _constant_nodes(ep)
    outputs: Tuple[str, ...] = ()
    for n in ep.graph.nodes:
        if n.op == "placeholder":
            continue
        if n.op == "output":
            outputs = _graph_outputs(ctx, env, n, phs)
            continue
        if n.op != "call_function":
            raise UnsupportedOpError(f"unsupported graph node {n.name!r} ({n.op})")
        if n.target is operator.getitem:
            base, idx = n.args
            src = env.get(base.name)
            if isinstance(src, tuple):
                env[n.name] = src[idx]
                continue
            raise UnsupportedOpError(f"unsupported indexing at node {n.name!r} ({_module_path(n)})")
        if n.name in const:
            _fold_constant(ctx, env, n)
            continue
        _lower_node(ctx, env, n, supported)
    g = Graph(
        tensors=dict(ctx.tensors),
        params=dict(ctx.params),
        nodes=tuple(ctx.nodes),
        inputs=tuple(p.name for p in phs),
        outputs=outputs,
        meta={"torch_version": torch.__version__},
    )
    return verify(g.prune())


def _graph_outputs(ctx: LowerCtx, env: Dict[str, Any], n: Any, phs: List[Any]) -> Tuple[str, ...]:
    """The model's k outputs (a tensor, or a tuple/list/dict of tensors, flattened by torch.export in
    order). An output that is an input, or that another output already names, is copied into a
    tensor of its own: predict() fills each output buffer."""
    outs = n.args[0]
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    names: List[str] = []
    inputs = {p.name for p in phs}
    for i, o in enumerate(outs):
        out = env.get(o.name) if hasattr(o, "name") else None
        what = "the model's output" if len(outs) == 1 else f"the model's output {i}"
        if not isinstance(out, TensorArg):
            raise UnsupportedOpError(f"{what} ({o}) is not a tensor computed from the input")
        if ctx.tensors[out.name].dtype is not DType.F32:
            raise UnsupportedOpError(f"{what} is an integer tensor; MiniML models return float32")
        if out.name in inputs or out.name in names:
            spec = ctx.tensors[out.name]
            copy = f"output{i}" if len(outs) > 1 else "output"
            ctx.tensors[copy] = spec.__class__(copy, spec.shape)
            ctx.call = AtenCall("aten.alias.default", (out,), {}, (copy,), (spec.shape,),
                                f"identity_{copy}", "(root)")
            ctx.add_node("copy", (out.name,))
            names.append(copy)
        else:
            names.append(out.name)
    return tuple(names)


def _fold_constant(ctx: LowerCtx, env: Dict[str, Any], n: Any) -> None:
    """Runs a constants-only node once, in torch, and keeps its result as a constant."""

    def real(a: Any) -> Any:
        if isinstance(a, torch.fx.Node):
            v = env[a.name]
            return torch.from_numpy(ctx.consts[v.name]) if isinstance(v, ConstArg) else v
        if isinstance(a, (list, tuple)):
            return type(a)(real(v) for v in a)
        return a

    try:
        with torch.no_grad():
            out = n.target(*real(n.args), **{k: real(v) for k, v in n.kwargs.items()})
    except Exception as exc:
        raise UnsupportedOpError(
            f"cannot evaluate constant node {n.name!r} ({n.target}) at {_module_path(n) or '?'}: "
            f"{exc}"
        ) from exc
    if isinstance(out, torch.Tensor):
        ctx.consts[n.name] = _np(out)
        env[n.name] = ConstArg(n.name)
    elif isinstance(out, (tuple, list)):
        names = []
        for i, o in enumerate(out):
            key = f"{n.name}_{i}"
            if isinstance(o, torch.Tensor):
                ctx.consts[key] = _np(o)
                names.append(ConstArg(key))
            else:
                names.append(o)
        env[n.name] = tuple(names)
    else:
        env[n.name] = out


def _convert(a: Any, env: Dict[str, Any]) -> Any:
    if isinstance(a, torch.fx.Node):
        return env[a.name]
    if isinstance(a, (list, tuple)):
        return type(a)(_convert(v, env) for v in a)
    return a


def _lower_node(ctx: LowerCtx, env: Dict[str, Any], n: Any, supported: str) -> None:
    target = str(n.target)
    where = _module_path(n)
    val = n.meta.get("val")
    vals = val if isinstance(val, (tuple, list)) else (val,)
    outputs, shapes = [], []
    for i, v in enumerate(vals):
        if isinstance(v, torch.Tensor) and (i == 0 or v.dtype == torch.float32):
            shapes.append(_fixed_shape(v, f"node {n.name!r} ({target})"))
            outputs.append(n.name if i == 0 else f"{n.name}_out{i}")  # fx names end _N
        else:
            shapes.append(())
            outputs.append("")
    args = _convert(n.args, env)
    kwargs = {k: _convert(v, env) for k, v in n.kwargs.items()}
    call = AtenCall(
        target=target,
        args=tuple(args),
        kwargs=kwargs,
        outputs=tuple(outputs),
        out_shapes=tuple(shapes),
        node_name=n.name,
        source=where,
    )
    tensor_args = [a for a in _flat(args) + _flat(list(kwargs.values())) if isinstance(a, TensorArg)]
    fn = ops.LOWERINGS.get(target)
    if fn is None or not tensor_args:
        line = _source_line(n)
        at = f" at {where}" if where else ""
        src = f"\n  {line}" if line else ""
        if fn is not None:
            raise UnsupportedOpError(
                f"{target} on constants only (node {n.name!r}{at}) is not supported: compute it once "
                f"in Python and store the result as a parameter{src}"
            )
        raise UnsupportedOpError(
            f"unsupported op {target} (node {n.name!r}{at}){src}\n"
            f"MiniML supports: {supported}"
        )
    for a in tensor_args:
        if ctx.tensors[a.name].dtype is DType.S32 and target not in INDEX_READERS:
            raise UnsupportedOpError(
                f"node {n.name!r} ({target}){' at ' + where if where else ''} reads the integer "
                f"input {a.name!r}; integer inputs are indices for nn.Embedding or F.one_hot only "
                f"(predict takes them as const int32_t*){_src(n)}"
            )
    for o, s, v in zip(outputs, shapes, vals):
        if o:
            if v.dtype != torch.float32 and target not in FLOAT_COMPUTED_INTEGERS:
                raise UnsupportedOpError(
                    f"node {n.name!r} ({target}) at {where} produces {v.dtype}; MiniML computes float32"
                )
            ctx.tensors[o] = TensorSpec(o, s)
    ctx.call = call
    before = len(ctx.nodes)
    try:
        result = fn(ctx, call)
    except MinimlError:
        raise
    except Exception as exc:  # a lowering's own bug: still name the layer the user can change
        raise UnsupportedOpError(
            f"internal error lowering {target} (node {n.name!r}{' at ' + where if where else ''}): "
            f"{type(exc).__name__}: {exc}; please report it with the model{_src(n)}"
        ) from exc
    if result is None:
        del ctx.nodes[before:]
        at = f" at {where}" if where else ""
        raise UnsupportedOpError(
            f"unsupported configuration of {target} (node {n.name!r}{at}): "
            f"args {_short(args)} {kwargs if kwargs else ''}\nMiniML supports: {supported}"
        )
    if len(vals) > 1 or isinstance(val, (tuple, list)):
        env[n.name] = tuple(TensorArg(o) if o else None for o in outputs)
    else:
        env[n.name] = TensorArg(outputs[0])


def _src(n: Any) -> str:
    line = _source_line(n)
    return f"\n  {line}" if line else ""


def _flat(a: Any) -> list:
    if isinstance(a, (list, tuple)):
        out: list = []
        for v in a:
            out.extend(_flat(v))
        return out
    return [a]


def _short(args: Any) -> str:
    text = repr(args)
    return text if len(text) < 200 else text[:200] + "..."
