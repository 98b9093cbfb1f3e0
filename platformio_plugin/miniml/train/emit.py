"""The learn() part of the generated header: members, reset lines and methods from a TrainPlan.

Everything is straight-line kernel calls (train_*.h): forward by predict() into dy_ (the output
buffer becomes the output gradient in place), backward node by node from the output to the deepest
layer that learns (each op module's backward rule says what its backward is: ops.BACKWARDS), finite
checks, then the SGD updates, so a refused step changes nothing. Layer inputs are read where the
forward pass left them (the arena expressions predict() uses, kept alive by the planner), never
copied. Gradients of tensors and the dense gradients of conv parameters share one buffer, placed by
the arena's planner (plan/placement.py) from their lifetimes over the backward steps.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import numpy as np

from ..emit.header import EmitCtx, HeaderParts, Member
from ..ir import DType, Graph, Node, Placement
from ..literals import float_literal
from ..ops import BACKWARDS
from ..channel_rows import runs
from ..passes.split_training import TrainPlan
from .after_predict import AfterPredict
from .optimizer import OptimizerEmit, describe, layout_key
from .spare_classes import SpareClasses
from ..plan import MemoryPlan, placement


def _unique(parts: HeaderParts, base: str) -> str:
    taken = {m.name for m in parts.members}
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}_"
    return name


def layout_id(g: Graph, plan: TrainPlan) -> int:
    """CRC-32 of the graph (every node's op, attributes (the activation too) and tensor shapes), the
    trained parameters' names and shapes, the loss and optimizer (train/optimizer.py layout_key),
    the spare classes and every parameter's exported values: a save is only loaded by the same
    export (another backbone or activation makes learned heads meaningless)."""
    crc = 0
    for n in g.nodes:
        shapes = [g.tensor(t).shape for t in (*n.inputs, *n.outputs) if t in g.tensors]
        attrs = sorted(n.attrs.items(), key=lambda kv: kv[0])
        crc = zlib.crc32(f"{n.op}{attrs!r}{shapes};".encode(), crc)
    for name, shown in zip(plan.trained_params, plan.trained_names):
        crc = zlib.crc32(f"{shown}{g.params[name].shape};".encode(), crc)
    crc = zlib.crc32(layout_key(plan.options).encode(), crc)
    if plan.options.spare_classes:  # the saved active-class count joins the payload
        crc = zlib.crc32(f"spare_classes {plan.options.spare_classes};".encode(), crc)
    for name in sorted(g.params):
        crc = zlib.crc32(np.ascontiguousarray(g.params[name].data).tobytes(), crc)
    return crc & 0xFFFFFFFF


@dataclass
class ParamGrad:
    """How a trained parameter's gradient is available to the update: a dense vector `dense` of
    `count` floats, or (Linear weights) the outer product grad_output x input, never stored."""

    param: str
    ram: str
    count: int
    dense: Optional[str] = None
    outer: Optional[Tuple[str, str, int, int]] = None  # input, grad_output, in, out features
    rows: Optional["RowsArray"] = None  # a channel subset learns: gradient of those rows only


@dataclass(frozen=True)
class RowsArray:
    """The MINIML_ROM index list of a weight's learning rows (sparse channel update)."""

    name: str  # C++ constant
    rows: Tuple[int, ...]
    row_size: int  # floats per output channel

    @property
    def count(self) -> int:
        return len(self.rows) * self.row_size


class BackwardCtx:
    """What a backward rule (ops.BACKWARDS[op].emit) sees for one node; see registry.backward_rule."""

    def __init__(self, walk: "_Walk", node: Node) -> None:
        self.e, self.node, self.walk = walk.e, node, walk
        self.gy = walk.grad(node.outputs[0])

    def gx(self, i: int) -> Optional[str]:
        x = self.node.inputs[i]
        return self.walk.grad(x) if x in self.walk.needs else None

    def trains(self, role: str) -> bool:
        return self.walk.plan.trains(self.node.name, role)

    def _param(self, role: str) -> str:
        return self.node.params[role]

    def rows(self, role: str) -> Optional[RowsArray]:
        """The learning rows of `role` when only some output channels learn, else None."""
        return self.walk.rows.get(self._param(role))

    def param_grad(self, role: str, count: int) -> str:
        """A dense gradient buffer: `count` floats, or the learning rows' only (rows(role))."""
        pname = self._param(role)
        rows = self.rows(role)
        count = rows.count if rows else count
        expr = self.walk.param_buffer(pname, count)
        self.walk.pgrads[pname] = ParamGrad(pname, self.walk.ram(pname), count, dense=expr,
                                            rows=rows)
        return expr

    def grad_is(self, role: str, expr: str, count: int) -> None:
        pname = self._param(role)
        self.walk.used_at_update.add(self.node.outputs[0])
        self.walk.pgrads[pname] = ParamGrad(pname, self.walk.ram(pname), count, dense=expr)

    def outer_grad(self, role: str, x: str, in_features: int, out_features: int) -> None:
        pname = self._param(role)
        self.walk.used_at_update.add(self.node.outputs[0])
        self.walk.pgrads[pname] = ParamGrad(
            pname, self.walk.ram(pname), in_features * out_features,
            outer=(x, self.gy, in_features, out_features), rows=self.rows(role),
        )


class _Walk:
    """One walk of the backward nodes, output first. The first walk records lifetimes (which
    gradient a parameter update still reads), the second emits with the planned offsets."""

    def __init__(self, g: Graph, tp: TrainPlan, e: EmitCtx, dy: str, buf: str,
                 offsets: Dict[str, int], ram: Dict[str, str],
                 rows: Dict[str, RowsArray]) -> None:
        self.g, self.plan, self.e, self.dy, self.buf = g, tp, e, dy, buf
        self.rows = rows
        self.needs = set(tp.needs_grad)
        self.offsets = offsets
        self.ram = ram.__getitem__
        self.pgrads: Dict[str, ParamGrad] = {}
        self.used_at_update: Set[str] = set()
        self.param_sizes: Dict[str, int] = {}
        self.param_step: Dict[str, int] = {}
        self.step = 0

    def _at(self, key: str) -> str:
        off = self.offsets.get(key, 0)
        return f"{self.buf} + {off}" if off else self.buf

    def grad(self, tensor: str) -> str:
        return self.dy if tensor == self.g.outputs[0] else self._at(tensor)

    def param_buffer(self, pname: str, count: int) -> str:
        self.param_sizes[pname] = count
        self.param_step[pname] = self.step
        return self._at("param:" + pname)

    def run(self) -> List[str]:
        nodes = {n.name: n for n in self.g.nodes}
        order = [nodes[name] for name in reversed(self.plan.backward)]
        born = _births(self.g, order, self.needs)
        lines: List[str] = []
        for self.step, node in enumerate(order):
            for t in born.get(node.name, ()):
                n = self.g.tensor(t).numel
                lines.append(f"miniml::zero_grad_f32({self._at(t)}, {n});")
            lines += BACKWARDS[node.op].emit(node, BackwardCtx(self, node))
        return lines


def _births(g: Graph, order: List[Node], needs: Set[str]) -> Dict[str, List[str]]:
    """node -> the gradient buffers zeroed just before its backward: a tensor's gradient is born at
    the first of its readers' backward steps (they add to it) and read last by its producer's."""
    born: Dict[str, List[str]] = {}
    seen: Set[str] = set(g.outputs)
    for node in order:
        for x in node.inputs:
            if x in needs and x not in seen:
                seen.add(x)
                born.setdefault(node.name, []).append(x)
    return born


@dataclass(frozen=True)
class GradientPlan:
    """The gradient buffer (train_grad_): where each gradient starts in it, its size and the lower
    bound of its size (the most floats alive at one backward step), all in floats; for the report,
    each gradient's bytes and lifetime in backward steps (`steps`: their names, the update last)."""

    offsets: Dict[str, int]
    floats: int
    bound: int
    buffers: List[dict] = field(default_factory=list)
    steps: List[str] = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return 4 * self.floats

    @property
    def bound_bytes(self) -> int:
        return 4 * self.bound


def _plan_gradients(g: Graph, order: List[Node], needs: Set[str], walk: _Walk) -> GradientPlan:
    """A gradient lives from its birth step to its producer's backward step, one the update reads
    (Linear bias/weight) and a parameter's dense gradient to the update (step len(order)); the
    activation planner places them (plan/placement.py, bytes = 4 x floats)."""
    step = {n.name: i for i, n in enumerate(order)}
    end_all = len(order)
    spans: List[Tuple[int, int, int, str]] = []  # start, end, floats, key
    for node_name, ts in _births(g, order, needs).items():
        for t in ts:
            prod = g.producer(t)
            end = end_all if t in walk.used_at_update else step[prod.name]
            spans.append((step[node_name], end, g.tensor(t).numel, t))
    for pname, count in walk.param_sizes.items():
        spans.append((walk.param_step[pname], end_all, count, "param:" + pname))
    # sorted, placement's graph-order first fit places them as the first fit of before #17 did, so
    # the plan is never larger than that one
    spans.sort()
    items = [(4 * n, start, end) for start, end, n, _ in spans]
    bound = placement.lower_bound(items)
    total, _, offsets = placement.place(items, bound)
    buffers = [{"tensor": f"d({key.replace('param:', '')})", "offset": off, "size": 4 * n,
                "start": start, "end": end} for (start, end, n, key), off in zip(spans, offsets)]
    return GradientPlan({key: off // 4 for (_, _, _, key), off in zip(spans, offsets)},
                        total // 4, bound // 4, buffers,
                        [f"{n.name} backward" for n in order] + ["update"])


def _backward_headers(g: Graph, tp: TrainPlan) -> List[str]:
    """The train_*.h of the backward rules learn() calls."""
    heads: List[str] = []
    nodes = {n.name: n for n in g.nodes}
    for name in tp.backward:
        h = BACKWARDS[nodes[name].op].header
        if h not in heads:
            heads.append(h)
    if any(nodes[name].attrs.get("act") for name in tp.backward) and "train_backward.h" not in heads:
        heads.append("train_backward.h")
    return heads


def extend_training(parts: HeaderParts, g: Graph,
                    mplan: MemoryPlan) -> Tuple[Dict[str, int], GradientPlan]:
    """Adds learn() and its state; returns the bytes of its trainable, gradient and optimizer
    parts, and the plan of its gradient buffer."""
    tp: TrainPlan = g.meta["training"]
    opts = tp.options
    e = EmitCtx(g, mplan, parts)
    members_before = sum(m.nbytes for m in parts.members)
    out_size = g.tensor(g.outputs[0]).numel

    def member(base: str, count: int, comment: str, dtype: DType = DType.F32) -> str:
        name = _unique(parts, base)
        parts.members.append(Member(name, dtype, count, comment))
        return name

    dy = member("train_dy_", out_size,
                "predict()'s output (learn_after_predict), then its loss gradient")
    ram = {pname: f"{parts.param_names[pname]}_" for pname in tp.trained_params}
    rows = _rows_arrays(parts, g, tp)
    buf = _unique(parts, "train_grad_")
    nodes = {n.name: n for n in g.nodes}
    order = [nodes[name] for name in reversed(tp.backward)]
    dry = _Walk(g, tp, e, dy, buf, {}, ram, rows)
    dry.run()
    grads = _plan_gradients(g, order, dry.needs, dry)
    walk = _Walk(g, tp, e, dy, buf, grads.offsets, ram, rows)
    body = ["    " + line for line in walk.run()]
    if grads.floats:
        parts.members.append(Member(buf, DType.F32, grads.floats,
                                    "learn(): gradients of activations and conv parameters"))
    pgrads = [walk.pgrads[p] for p in tp.trained_params]
    lr = member("train_lr_", 1, "learning rate")
    refused = member("train_refused_", 1, "steps refused as not finite", DType.S32)
    optimizer = OptimizerEmit(
        opts,
        lr,
        {p: parts.param_names[p] for p in tp.trained_params},
        {p: rows[p].count if p in rows else g.params[p].numel for p in tp.trained_params},
        member,
    )
    after = AfterPredict(member, dy)
    spare = SpareClasses(g, member)
    extra_headers = ("train_classes.h",) if spare.member else ()
    if any(pg.outer is not None and pg.rows is None for pg in pgrads):  # linear_weight_step_f32
        parts.prelude += optimizer.linear_weight_prelude
    for h in ("train_finite.h", "train_loss.h", "train_linear.h", "train_backward.h", *optimizer.headers,
              *extra_headers, "store_slots.h", *_backward_headers(g, tp)):
        if f"miniml/{h}" not in parts.includes:
            parts.includes.append(f"miniml/{h}")

    lr_lit = float_literal(opts.learning_rate, "learning_rate")
    parts.constructor += [f"{lr}[0] = {lr_lit};", f"{refused}[0] = 0;"]
    parts.constructor += optimizer.clear() + spare.reset() + [after.invalidate]

    lid = layout_id(g, tp)
    saved = _saved_spans(g, tp, ram, rows)
    count = sum(n for _, _, n in saved)
    payload = 4 * count + spare.payload_bytes
    parts.constants += [
        f"// On-device learning: {', '.join(tp.trained_names)} train ({opts.loss}, "
        f"{describe(opts)}); the rest stays in flash.",
        f"constexpr miniml::index_t kTrainableCount = {count};  // floats learn() changes",
        f"constexpr uint32_t kLayoutId = 0x{lid:08X}UL;  // identifies this export's saves",
        f"constexpr uint32_t kStoreBytes = {2 * (20 + payload)};  // the least save()/load() need: two "
        f"slots of {20 + payload} B; a larger store holds more (less wear)",
    ]

    checks, updates = _step_lines(pgrads, optimizer)
    after.keep_input_if_read(g, body + checks + updates)
    after.recognise_input(g, e, parts.predict)
    parts.predict += spare.predict_lines() + after.predict_lines()
    refuse = f"return miniml::refuse_step({refused});"
    check = " ||\n        ".join(f"!{c}" for c in checks)
    tail = [
        *optimizer.prologue(),
        f"    if ({check}) {{\n      {refuse}\n    }}",
        *updates,
        *optimizer.epilogue(),
        "    return loss;",
        "  }",
    ]

    m: List[str] = after.entry_points(opts.loss, refuse, spare.active(), spare.loss(dy))
    m += body + tail
    span_list = [f"{{{_plus(arr, start)}, {n} * sizeof(float)}}" for arr, start, n in saved]
    span_list += spare.spans()
    spans = ", ".join(span_list)
    n_spans = len(span_list)
    copy = []
    off = 0
    for arr, start, n in saved:
        copy.append(f"    memcpy({_plus('out', off)}, {_plus(arr, start)}, {n} * sizeof(float));")
        off += n
    m += [
        "  // Accepts a finite lr >= 0 (0 freezes learning); anything else returns false and keeps the",
        "  // current rate.",
        "  bool set_learning_rate(float lr) {",
        "    if (!miniml::valid_learning_rate(lr)) return false;",
        f"    {lr}[0] = lr;",
        "    return true;",
        "  }",
        f"  float learning_rate() const {{ return {lr}[0]; }}",
        f"  uint32_t refused_steps() const {{ return static_cast<uint32_t>({refused}[0]); }}",
        "  // Copies the kTrainableCount learned floats (save order: layer by layer, weight then "
        "bias).",
        "  void get_trainable(float* out) const {",
        *copy,
        "  }",
        "  // Saves the learned parameters to a Store (store_slots.h): a ring of slots from byte `base` to "
        "the",
        "  // store's end (or `region` bytes, at least kStoreBytes); power-loss safe: a torn save leaves "
        "the",
        "  // previous one loadable.",
        "  template <class Store>",
        "  miniml::StoreResult save(Store& store, uint32_t base = 0, uint32_t region = 0) {",
        f"    const miniml::StoreSpan spans[{n_spans}] = {{{spans}}};",
        f"    return miniml::store_save(store, base, spans, {n_spans}, kLayoutId, region);",
        "  }",
        "  // Loads the newest complete save of this export; anything but kStoreOk leaves the "
        "model as is.",
        "  template <class Store>",
        "  miniml::StoreResult load(Store& store, uint32_t base = 0, uint32_t region = 0) {",
        f"    const miniml::StoreSpan spans[{n_spans}] = {{{spans}}};",
        f"    const miniml::StoreResult r = miniml::store_load(store, base, spans, {n_spans}, "
        "kLayoutId, region);",
        "    if (r == miniml::kStoreOk) {",
        *[f"      {ln}" for ln in optimizer.clear() + [after.invalidate]],
        "    }",
        "    return r;",
        "  }",
        *spare.methods(after.invalidate),
    ]
    parts.methods += m
    # The build-time fit check on AVR (avr/io.h, via core_rom.h, defines RAMSTART/RAMEND for the
    # MCU):
    # learning is allowed wherever the state fits, refused with the numbers where it cannot.
    name = parts.name
    parts.tail += [
        "\n#if defined(__AVR__) && defined(RAMEND) && defined(RAMSTART)",
        f'static_assert(sizeof(Model) + 256 <= RAMEND - RAMSTART + 1, "{name}: Model with '
        "on-device "
        f"learning needs {parts.ram_bytes} B of SRAM, which leaves this MCU under 256 B for the "
        "stack: "
        'train fewer parameters (trainable=..., optimizer=sgd, momentum=0) or use a board with more SRAM");',
        "#endif",
    ]
    # every trainable param must be in RAM (split_training decided; the emitter only checks)
    for pname in tp.trained_params:
        assert g.params[pname].placement is Placement.RAM, pname
    gradients = Member(dy, DType.F32, out_size).nbytes + (
        Member(buf, DType.F32, grads.floats).nbytes if grads.floats else 0)
    return {
        "trainable": sum(g.params[p].nbytes for p in tp.trained_params),
        "gradients": gradients,
        # every other member learn() added: momentum (optimizer state), rate, counters
        "optimizer": sum(m.nbytes for m in parts.members) - members_before - gradients,
    }, grads


def _plus(base: str, offset: int) -> str:
    return f"{base} + {offset}" if offset else base


def _rows_arrays(parts: HeaderParts, g: Graph, tp: TrainPlan) -> Dict[str, RowsArray]:
    """The index list of each weight that learns in part, as a flash constant."""
    arrays: Dict[str, RowsArray] = {}
    for pname, rows in tp.rows:
        p = g.params[pname]
        arr = RowsArray(f"kLearnRows_{parts.param_names[pname]}", rows, p.numel // p.shape[0])
        parts.constants.append(
            f"constexpr miniml::index_t {arr.name}[{len(rows)}] MINIML_ROM = "
            f"{{{', '.join(map(str, rows))}}};  // output channels of {pname} that learn")
        arrays[pname] = arr
    return arrays


def _saved_spans(g: Graph, tp: TrainPlan, ram: Dict[str, str],
                 rows: Dict[str, RowsArray]) -> List[Tuple[str, int, int]]:
    """What save(), load() and get_trainable() move, in save order: (RAM array, first float,
    floats); a weight that learns in part moves its learning rows, consecutive ones together."""
    spans: List[Tuple[str, int, int]] = []
    for p in tp.trained_params:
        if p not in rows:
            spans.append((ram[p], 0, g.params[p].numel))
            continue
        size = rows[p].row_size
        spans += [(ram[p], first * size, n * size) for first, n in runs(rows[p].rows)]
    return spans


def _step_lines(pgrads: List[ParamGrad], optimizer: OptimizerEmit) -> Tuple[List[str], List[str]]:
    """The finite checks (C++ conditions) and the updates of every trained parameter, in save order
    (train_step.h): a Linear weight steps on grad_output (x) input, never stored; any other on its
    dense gradient."""
    checks: List[str] = []
    updates: List[str] = []
    for pg in pgrads:
        if pg.outer is not None and pg.rows is not None:
            x, gy, n_in, _ = pg.outer
            kernel = "linear_weight_rows_step"
            args = f"{x}, {gy}, {n_in}, {pg.rows.name}, {len(pg.rows.rows)}"
        elif pg.outer is not None:
            kernel, args = "linear_weight_step", ", ".join(str(v) for v in pg.outer)
        elif pg.rows is not None:
            kernel = "rows_step"
            args = f"{pg.dense}, {pg.rows.name}, {len(pg.rows.rows)}, {pg.rows.row_size}"
        else:
            kernel, args = "step", f"{pg.dense}, {pg.count}"
        head = f"{optimizer.rule(pg.param)}, {pg.ram}, {args}"
        checks.append(f"miniml::{kernel}_finite_f32({head})")
        updates.append(f"    miniml::{kernel}_f32({head});")
    return checks, updates
