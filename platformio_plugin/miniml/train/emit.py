"""The learn() part of the generated header: members, reset lines and methods from a TrainPlan.

Everything is straight-line kernel calls (train_*.h): forward by predict() into dy_ (the output
buffer
becomes the output gradient in place), backward layer by layer into gradient members, finite checks,
then the SGD updates, so a refused step changes nothing. Layer inputs are read where the forward
pass
left them (the arena expressions predict() uses, kept alive by the planner), never copied.
"""

from __future__ import annotations

import zlib
from typing import Callable, Dict, List, Tuple

import numpy as np

from ..emit.header import EmitCtx, HeaderParts, Member
from ..literals import float_literal
from ..ir import DType, Graph, Node, Placement
from ..passes.split_training import TrainPlan
from .after_predict import AfterPredict
from .optimizer import OptimizerEmit, describe, layout_key
from .spare_classes import SpareClasses
from ..plan import MemoryPlan


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
    for name in plan.trained_params:
        crc = zlib.crc32(f"{name}{g.params[name].shape};".encode(), crc)
    crc = zlib.crc32(layout_key(plan.options).encode(), crc)
    if plan.options.spare_classes:  # the saved active-class count joins the payload
        crc = zlib.crc32(f"spare_classes {plan.options.spare_classes};".encode(), crc)
    for name in sorted(g.params):
        crc = zlib.crc32(np.ascontiguousarray(g.params[name].data).tobytes(), crc)
    return crc & 0xFFFFFFFF


def extend_training(parts: HeaderParts, g: Graph, mplan: MemoryPlan) -> None:
    tp: TrainPlan = g.meta["training"]
    opts = tp.options
    e = EmitCtx(g, mplan, parts)
    nodes = {n.name: n for n in g.nodes}
    out_size = g.tensor(g.outputs[0]).numel

    def member(base: str, count: int, comment: str, dtype: DType = DType.F32) -> str:
        name = _unique(parts, base)
        parts.members.append(Member(name, dtype, count, comment))
        return name

    dy = member("train_dy_", out_size, "predict()'s output (learn_after_predict), then its loss gradient")
    grads = {tp.layers[-1].node: dy}
    for layer in tp.layers[:-1]:
        grads[layer.node] = member(
            f"train_grad_{len(grads)}_",
            layer.out_features,
            f"learn(): gradient at {layer.module} output",
        )
    lr = member("train_lr_", 1, "learning rate")
    refused = member("train_refused_", 1, "steps refused as not finite", DType.S32)
    optimizer = OptimizerEmit(
        opts,
        lr,
        {p: parts.param_names[p] for p in tp.trained_params},
        {p: g.params[p].numel for p in tp.trained_params},
        member,
    )
    after = AfterPredict(member, dy)
    spare = SpareClasses(g, member)
    extra_headers = ("train_classes.h",) if spare.member else ()
    for h in ("train_finite.h", "train_loss.h", "train_linear.h", *optimizer.headers,
              *extra_headers, "store_slots.h"):
        if f"miniml/{h}" not in parts.includes:
            parts.includes.append(f"miniml/{h}")

    lr_lit = float_literal(opts.learning_rate, "learning_rate")
    parts.constructor += [f"{lr}[0] = {lr_lit};", f"{refused}[0] = 0;"]
    parts.constructor += optimizer.clear() + spare.reset() + [after.invalidate]

    ram = {pname: f"{parts.param_names[pname]}_" for pname in tp.trained_params}
    lid = layout_id(g, tp)
    payload = sum(g.params[p].nbytes for p in tp.trained_params) + spare.payload_bytes
    count = sum(g.params[p].numel for p in tp.trained_params)
    parts.constants += [
        f"// On-device learning: {', '.join(tp.trained_params)} train ({opts.loss}, "
        f"{describe(opts)}); the rest stays in flash.",
        f"constexpr miniml::index_t kTrainableCount = {count};  // floats learn() changes",
        f"constexpr uint32_t kLayoutId = 0x{lid:08X}UL;  // identifies this export's saves",
        f"constexpr uint32_t kStoreBytes = {2 * (20 + payload)};  // the least save()/load() need: two "
        f"slots of {20 + payload} B; a larger store holds more (less wear)",
    ]

    def t(tensor: str) -> str:
        return e.t(tensor)

    body: List[str] = []
    # backward: from the final layer down to the deepest one in the plan, with pre-update weights
    for k in range(len(tp.layers) - 1, 0, -1):
        layer, below = tp.layers[k], tp.layers[k - 1]
        node: Node = nodes[layer.node]
        body.append(
            "    "
            f"miniml::linear_backward_input_f32<{e.mem(node, 'weight')}>({e.p(node, 'weight')}, "
            f"{grads[layer.node]}, {layer.in_features}, {layer.out_features}, {grads[below.node]});"
        )
        if below.act == "relu":
            body.append(
                f"    miniml::relu_backward_f32({t(below.output)}, {below.out_features}, "
                f"{grads[below.node]});"
            )
    checks, updates = _step_lines(tp, optimizer, ram, grads, t)
    after.keep_input_if_read(g, body + checks + updates)
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

    refuse_block = f"{{\n      {refuse}\n    }}"
    m: List[str] = after.entry_points(opts.loss, refuse_block, spare.active(), spare.loss(dy))
    m += body + tail
    span_list = [f"{{{ram[p]}, sizeof({ram[p]})}}" for p in tp.trained_params] + spare.spans()
    spans = ", ".join(span_list)
    n_spans = len(span_list)
    copy = []
    off = 0
    for p in tp.trained_params:
        copy.append(
            f"    memcpy(out + {off}, {ram[p]}, sizeof({ram[p]}));"
            if off
            else f"    memcpy(out, {ram[p]}, sizeof({ram[p]}));"
        )
        off += g.params[p].numel
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


def _step_lines(tp: TrainPlan, optimizer: OptimizerEmit, ram: Dict[str, str], grads: Dict[str, str],
                t: Callable[[str], str]) -> Tuple[List[str], List[str]]:
    """The finite checks (C++ conditions) and the updates of every trained parameter, in save order:
    a Linear weight steps on grad_output (x) input, a bias on grad_output (train_step.h)."""
    checks: List[str] = []
    updates: List[str] = []
    for layer in tp.layers:
        gname = grads[layer.node]
        x = t(layer.input)
        steps = []
        if layer.train_weight:
            dims = f"{layer.in_features}, {layer.out_features}"
            steps.append(("linear_weight_step", layer.weight_param, f"{x}, {gname}, {dims}"))
        if layer.train_bias and layer.bias_param is not None:
            steps.append(("step", layer.bias_param, f"{gname}, {layer.out_features}"))
        for kernel, pname, args in steps:
            head = f"{optimizer.rule(pname)}, {ram[pname]}, {args}"
            checks.append(f"miniml::{kernel}_finite_f32({head})")
            updates.append(f"    miniml::{kernel}_f32({head});")
    return checks, updates
