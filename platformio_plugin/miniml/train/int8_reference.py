"""The PyTorch reference of an int8 model that learns: the same mixed model the device runs.

Forward: torch.export's graph of the model, with (a) the int8 backbone's dequantised outputs taken
from miniml's integer reference (int8.run_int8), (b) each frozen int8 layer after a learning layer
(an island: quantize -> int8 Conv/Linear -> dequantize, int8/mixed.py) computed by the integer
reference on the value PyTorch gives its input, and (c) the learning layers' parameters set to the
exported ones (their int8 weights dequantised). Backward through an island: the output gradient
masked where the output code sits at a clamp bound (act_min/act_max), through the dequantised weights,
masked where the input code sits at an int8 limit (straight-through otherwise): train_int8.h's rule.
The learning golden (golden.py) and the tests use it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Dict, Tuple

import numpy as np

from ..ir import Graph
from ..ops import conv_geometry, run_graph


@dataclass(frozen=True)
class Island:
    x: str  # the float tensor it reads (a torch.export node name)
    out: str  # the float tensor it makes, before any float activation after it
    graph: Graph  # quantize -> int8 layer -> dequantize, for the integer reference
    layer: Any  # the int8 node
    weight: np.ndarray  # dequantised, torch layout


def islands(g: Graph) -> Tuple[Island, ...]:
    found = []
    for n in g.nodes:
        if "grad_scale" not in n.params:
            continue
        quant = g.producer(n.inputs[0])
        deq = g.consumers(n.outputs[0])[0]
        w = g.params[n.params["weight"]].data
        scale = g.params[n.params["grad_scale"]].data.reshape((-1,) + (1,) * (w.ndim - 1))
        nodes = (quant, n, deq)
        names = {t for m in nodes for t in (*m.inputs, *m.outputs)}
        sub = g.with_(tensors={t: g.tensor(t) for t in names},
                      params={p: g.params[p] for p in n.params.values()},
                      nodes=nodes, inputs=(quant.inputs[0],), outputs=(deq.outputs[0],), meta={})
        found.append(Island(quant.inputs[0], deq.outputs[0], sub, n,
                            (w.astype(np.float32) * scale).astype(np.float32)))
    return tuple(found)


def backbone_ends(g: Graph) -> Tuple[str, ...]:
    """The dequantised int8 tensors the float part reads that no island makes: fixed by the input."""
    made = {i.out for i in islands(g)}
    return tuple(n.outputs[0] for n in g.nodes if n.op == "dequantize_s8"
                 and n.outputs[0] not in g.outputs and n.outputs[0] not in made)


def _layer_input_grad(island: Island, g_out: Any, x_shape: Tuple[int, ...]) -> Any:
    """The gradient of the dequantised layer's input (linear map: its transpose applied to g_out)."""
    import torch
    import torch.nn.functional as F


    w = torch.from_numpy(island.weight)
    a = island.layer.attrs
    if island.layer.op == "linear_s8":
        return (g_out.reshape(1, -1) @ w).reshape(x_shape)
    (kh, kw), (sh, sw), (top, left), (dh, dw), (ih, iw), (oh, ow) = conv_geometry(a)
    bottom = (oh - 1) * sh + dh * (kh - 1) + 1 - ih - top
    right = (ow - 1) * sw + dw * (kw - 1) + 1 - iw - left
    w4 = w.reshape(w.shape[0], w.shape[1], kh, kw)
    with torch.enable_grad():
        z = torch.zeros((1, a["in_channels"], ih, iw), requires_grad=True)
        y = F.conv2d(F.pad(z, (left, right, top, bottom)), w4, stride=(sh, sw),
                     dilation=(dh, dw), groups=a["groups"])
        (gx,) = torch.autograd.grad(y, z, g_out.reshape(y.shape))
    return gx.reshape(x_shape)


def _island_function(island: Island) -> Any:
    import torch

    a = island.layer.attrs
    xq_name, yq_name = island.layer.inputs[0], island.layer.outputs[0]

    class IslandFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            env = run_graph(island.graph, x.detach().numpy().reshape(1, -1))
            yq, xq = env[yq_name].reshape(-1), env[xq_name].reshape(-1)
            ctx.x_shape = tuple(x.shape)
            ctx.out_mask = torch.from_numpy((yq > a["act_min"]) & (yq < a["act_max"]))
            ctx.in_mask = torch.from_numpy((xq > -128) & (xq < 127))
            return torch.from_numpy(env[island.out].astype(np.float32)).reshape(x.shape[0], -1)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            g_out = g.reshape(-1) * ctx.out_mask
            gx = _layer_input_grad(island, g_out, ctx.x_shape)
            return gx * ctx.in_mask.reshape(ctx.x_shape)

    return IslandFn.apply


class MixedInt8Reference:
    """forward(module, x) of the mixed model on a torch.export GraphModule `module` (whose
    parameters the caller trains)."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        self.ends = backbone_ends(g)
        self.islands = islands(g)
        self.functions = {i.out: _island_function(i) for i in self.islands}

    def initial(self) -> Dict[str, np.ndarray]:
        """The exported values of every parameter of the learning layers (their int8 weights
        dequantised: passes/quantize_int8.py, meta learning_nodes)."""
        learning = set(self.g.meta.get("learning_nodes", ()))
        return {p: self.g.params[p].data for n in self.g.nodes if n.name in learning
                for p in n.params.values()}

    def forward(self, module: Any, x: Any, graph: Any = None) -> Any:
        """graph: the fx graph to run on module's attributes (default module.graph)."""
        import torch

        g, fns, graph = self.g, self.functions, graph or module.graph
        backbone = run_graph(g, x.detach().numpy().reshape(1, -1)) if self.ends else {}
        by_name = {n.name: n for n in graph.nodes}
        # an island followed by a float activation substitutes the activation's input
        at: Dict[str, Tuple[str, Any]] = {}
        for i in self.islands:
            if i.out in by_name:
                at[i.out] = (i.x, fns[i.out])
            else:
                act = g.consumers(i.out)[0]
                at[by_name[act.outputs[0]].args[0].name] = (i.x, fns[i.out])

        class Mixed(torch.fx.Interpreter):
            def run_node(self, n: Any) -> Any:
                if n.name not in self.values and n.name not in at:
                    return super().run_node(n)
                shape = [int(d) for d in n.meta["val"].shape]
                if n.name in self.values:
                    return torch.from_numpy(self.values[n.name].astype(np.float32)).reshape(shape)
                src, fn = at[n.name]
                return fn(self.env[by_name[src]]).reshape(shape)

        interp = Mixed(module, garbage_collect_values=False, graph=graph)  # islands read early values
        interp.values = {t: backbone[t] for t in self.ends}
        y = interp.run(x)
        return y[0] if isinstance(y, (tuple, list)) else y


def reference_module(model: Any, g: Graph, example: Any,
                     folded: Tuple[Tuple[str, str, float], ...] = ()) -> Any:
    """An nn.Module of the mixed model for a test's torch.optim loop: the model's parameters by
    their names, BatchNorms folded as the exporter folds them (golden.fold_reference), the learning
    layers starting from the exported (dequantised) values."""
    import torch

    from .golden import fold_reference

    m = torch.export.export(copy.deepcopy(model).eval(), (example,)).module()
    ref = MixedInt8Reference(g)
    start_from(m, fold_reference(m, folded), ref.initial())

    class Reference(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            for name, child in m.named_children():
                self.add_module(name, child)
            for name, p in m.named_parameters(recurse=False):
                self.register_parameter(name, p)

        def forward(self, x: Any) -> Any:  # on its own parameters (a deepcopy trains its own)
            return ref.forward(self, x, m.graph)

    return Reference()


def start_from(m: Any, moved: Dict[str, str], values: Dict[str, np.ndarray]) -> None:
    """Sets m's parameters (exporter names; `moved` maps those held elsewhere) to `values`; a head
    with spare classes is exported with more rows than m has: its own are taken."""
    import torch

    named = dict(m.named_parameters())
    with torch.no_grad():
        for name, v in values.items():
            p = named.get(name, named.get(moved.get(name, "")))
            if p is not None:
                p.copy_(torch.from_numpy(np.asarray(v, np.float32)[: p.shape[0]]).reshape(p.shape))


__all__ = ["MixedInt8Reference", "reference_module", "start_from"]
