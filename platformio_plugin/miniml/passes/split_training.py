"""split_training: marks the parameters that learn on the device and what the backward step reads.

Rewrites: the trainable weights/biases (default: the final Linear; or the last k Linears; or named
parameters and modules of any Conv1d/Conv2d/Linear, e.g. "features.3.weight", "head"; or an explicit
set chosen by train_budget) get Placement.RAM (a Model member initialised from a flash copy); an
activation fused into a layer the gradient passes through is split off again when its derivative
needs its input (ActivationSpec.backward == "input"), so that input stays in the arena;
g.meta["training"] gets a TrainPlan (what learns, which nodes run backward, which tensors need a
gradient, which are read after the forward pass) and g.meta["keep_alive"] the arena tensors backward
reads, which the planner keeps alive to the end so nothing overwrites them.
Leaves alone: every node upstream of the deepest trainable layer (no gradient is formed there), every
other parameter (frozen, in flash), and the graph when learning is off.
Why a pass: the planner and the emitter must agree on one decision; the op modules' backward rules
(ops.BACKWARDS) say what each op needs, this pass only walks the graph and asks them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Set, Tuple

from ..errors import OptionError
from ..ir import Graph, Node, Placement, TensorSpec
from ..ops import ACTIVATIONS, BACKWARDS
from .. import channel_rows
from ..channel_rows import Rows

# Activations whose derivative the backward step knows: ActivationSpec.backward.
BACKWARD_ACTS = tuple(sorted(k for k, s in ACTIVATIONS.items() if s.backward))


@dataclass(frozen=True)
class TrainPlan:
    options: Any  # miniml.train.options.TrainOptions
    trained: Tuple[Tuple[str, str, str], ...]  # (node, role, torch parameter name), save order
    backward: Tuple[str, ...]  # nodes whose backward runs, graph order
    needs_grad: Tuple[str, ...]  # tensors whose gradient learn() forms
    saved: Tuple[str, ...]  # tensors backward reads after the forward pass (graph input included)
    # (layer module, BatchNorm module, eps) folded into a layer that learns: references fold them
    folded: Tuple[Tuple[str, str, float], ...] = ()
    # weight parameter -> the output channels (rows) that learn, for weights that learn in part
    rows: Tuple[Tuple[str, Tuple[int, ...]], ...] = ()

    @property
    def trained_params(self) -> Tuple[str, ...]:
        """Save/load order: layer by layer in graph order, weight before bias."""
        return tuple(p for _, _, p in self.trained)

    def rows_of(self, param: str) -> Rows:
        """The learning rows of a trained parameter; None when it learns whole."""
        return dict(self.rows).get(param)

    @property
    def trained_names(self) -> Tuple[str, ...]:
        """trained_params as trainable= names them: features.3.weight[0,5] for a channel subset."""
        return tuple(channel_rows.display(p, self.rows_of(p)) for p in self.trained_params)

    def trains(self, node: str, role: str) -> bool:
        return any(n == node and r == role for n, r, _ in self.trained)


def _module(node: Node) -> str:
    w = node.params["weight"]
    if w.endswith(".weight"):
        return w[: -len(".weight")]
    return node.source.split(" (")[0] if node.source else node.name


def _where(node: Node) -> str:
    return f"{node.name} ({node.op}{', ' + node.source if node.source else ''})"


def linear_chain(g: Graph) -> Tuple[List[Node], str]:
    """The Linear nodes that end the graph, in order, and what stops the chain below them."""
    chain: List[Node] = []
    node = g.producer(g.outputs[0])
    while node is not None and node.op == "linear":
        chain.insert(0, node)
        below = g.producer(node.inputs[0])
        if below is None:
            return chain, "the model input"
        if len(g.consumers(node.inputs[0])) != 1:
            return chain, f"{below.name} ({below.op}, read by several layers)"
        node = below
    if not chain:
        last = g.producer(g.outputs[0])
        if last is not None and last.op in ("softmax", "log_softmax"):
            raise OptionError(
                f"on_device_learning: the model ends with {last.op} ({last.source or last.name}); "
                "loss='cross_entropy' applies log-softmax itself: export the model without the "
                f"final {last.op} so it ends with the Linear that learns"
            )
        raise OptionError(
            "on_device_learning trains the final Linear by default, but its last layer is "
            f"{last.name if last else '?'} ({last.op if last else 'input'}"
            f"{', ' + last.source if last and last.source else ''}): end the model with nn.Linear, "
            "or name the parameters that learn (trainable=\"features.3.weight,...\")"
        )
    return chain, _where(node)


def learnable(g: Graph) -> Dict[str, Tuple[str, Tuple[str, ...]]]:
    """Every name trainable= accepts -> (node, roles): the parameter names of layers with a backward
    rule that has parameters (Conv1d/Conv2d/Linear), and their module names (all their roles)."""
    names: Dict[str, Tuple[str, Tuple[str, ...]]] = {}
    for n in g.nodes:
        rule = BACKWARDS.get(n.op)
        roles = tuple(r for r in (rule.params if rule else ()) if r in n.params)
        if not roles or n.attrs.get("rows", 1) != 1:
            continue
        names[_module(n)] = (n.name, roles)
        for r in roles:
            names[n.params[r]] = (n.name, (r,))
    return names


def _merge(roles: Dict[str, Rows], role: str, rows: Rows, channels: int) -> None:
    """Adds rows of `role` (None: all of them) to what already learns."""
    have = roles.get(role, ())
    both = None if rows is None or have is None else tuple(sorted(set(have) | set(rows)))
    roles[role] = None if both is None or len(both) == channels else both


def choose_trainable(g: Graph, opts: Any) -> Dict[str, Dict[str, Rows]]:
    """node name -> the roles that learn -> their learning rows (None: the whole tensor)."""
    spec = 1 if opts.trainable is None else opts.trainable
    if isinstance(spec, int):
        chain, stop = linear_chain(g)
        if spec > len(chain):
            raise OptionError(
                f"trainable={spec}: only the last {len(chain)} layer(s) form a chain of Linear "
                f"layers (below them is {stop}); use trainable <= {len(chain)}, or name the "
                "parameters that learn"
            )
        return {n.name: {r: None for r in ("weight", "bias") if r in n.params}
                for n in chain[len(chain) - spec:]}
    names = learnable(g)
    chosen: Dict[str, Dict[str, Rows]] = {}
    for item in spec:
        name, rows = channel_rows.parse(item)
        if name not in names:
            choices = sorted(names)
            listed = ", ".join(repr(c) for c in choices[:40]) + (", ..." if len(choices) > 40 else "")
            raise OptionError(
                f"trainable: {name!r} is not a parameter or module of a layer that can learn "
                f"(Conv1d, Conv2d, Linear); choose from [{listed}]"
            )
        node, roles = names[name]
        channels = 0
        if rows is not None:
            if roles != ("weight",):
                raise OptionError(f"trainable: {item!r}: output channels are chosen on a weight "
                                  "(e.g. features.3.weight[0,2]); a bias or a module learns whole")
            channels = g.params[name].shape[0]
            rows = channel_rows.check(item, name, rows, channels)
        for role in roles:
            _merge(chosen.setdefault(node, {}), role, rows, channels)
    return chosen


def _refusal(node: Node, stop: str) -> str:
    act = node.attrs.get("act")
    if act is not None and not ACTIVATIONS[act[0]].backward:
        return (
            f"on_device_learning: the gradient must pass back through {act[0]} after "
            f"{_module(node)!r}, which is not supported (supported: {', '.join(BACKWARD_ACTS)}); "
            f"train fewer layers"
        )
    rule = BACKWARDS.get(node.op)
    why = "it has no backward" if rule is None else rule.refuse(node)
    if why is None:
        return ""
    return (
        f"on_device_learning: the gradient must pass back through {_where(node)} to reach {stop}, "
        f"but {why}: train only layers after it"
    )


def _unfuse_input_activations(g: Graph, nodes: Set[str]) -> Graph:
    """layer(x, act) -> layer(x) -> activation, for the backward nodes whose fused activation's
    derivative reads its input (the layer's output before the activation must then be kept)."""
    out_nodes: List[Node] = []
    tensors = dict(g.tensors)
    for n in g.nodes:
        act = n.attrs.get("act")
        if (n.name not in nodes or n.op == "activation" or act is None
                or ACTIVATIONS[act[0]].backward != "input"):
            out_nodes.append(n)
            continue
        pre = f"{n.outputs[0]}_pre_{act[0]}"
        tensors[pre] = TensorSpec(pre, g.tensor(n.outputs[0]).shape)
        out_nodes.append(n.with_(outputs=(pre,), attrs={**n.attrs, "act": None}))
        out_nodes.append(Node(f"{n.name}_{act[0]}", "activation", (pre,), n.outputs,
                              attrs={"act": act}, source=n.source))
    return g.with_(nodes=tuple(out_nodes), tensors=tensors)


def _flow(g: Graph, chosen: Dict[str, Set[str]]) -> Tuple[List[Node], Set[str]]:
    """The nodes a gradient passes through (graph order) and the tensors that need one: everything
    downstream of a trainable layer."""
    needs: Set[str] = set()
    nodes: List[Node] = []
    for n in g.nodes:
        if n.name in chosen or any(x in needs for x in n.inputs):
            nodes.append(n)
            needs.update(n.outputs)
    return nodes, needs


class _Trains:
    """What a backward rule's saves() asks: does this node's `role` learn?"""

    def __init__(self, roles: Set[str]) -> None:
        self.roles = roles

    def trains(self, role: str) -> bool:
        return role in self.roles


def _check_output(g: Graph) -> None:
    last = g.producer(g.outputs[0])
    if last is None:
        return
    act = last.attrs.get("act") if last.op != "activation" else last.attrs["act"]
    if act is not None:
        what = (f"the final Linear {_module(last)!r}" if last.op == "linear"
                else f"the final layer {_where(last)}")
        raise OptionError(
            f"on_device_learning: {what} is followed by {act[0]}; the loss is taken on the "
            "model's last layer before any activation (cross_entropy applies softmax itself): "
            "remove the final activation from the exported model"
        )


def split_training(g: Graph) -> Graph:
    opts = g.meta.get("train_options")
    if opts is None:
        return g
    chosen = choose_trainable(g, opts)
    _check_output(g)
    if not chosen:
        raise OptionError("on_device_learning: no parameter was chosen to learn")
    deepest = min((n for n in g.nodes if n.name in chosen), key=g.nodes.index)
    stop = f"{_module(deepest)!r}"
    g = _unfuse_input_activations(g, {n.name for n in _flow(g, chosen)[0]})
    nodes, needs = _flow(g, chosen)
    for n in nodes:
        why = _refusal(n, stop)
        if why:
            raise OptionError(why)
    params = dict(g.params)
    nodes_by = {n.name: n for n in nodes}
    trained: List[Tuple[str, str, str]] = []
    rows: List[Tuple[str, Tuple[int, ...]]] = []
    saved: List[str] = []
    for n in nodes:
        roles = chosen.get(n.name, {})
        for role in ("weight", "bias"):
            if role in roles:
                # the whole tensor lives in RAM (the forward kernels read one tensor); only the
                # chosen rows get a gradient and optimizer state
                p = params[n.params[role]]
                params[p.name] = replace(p, placement=Placement.RAM)
                trained.append((n.name, role, p.name))
                if roles[role] is not None:
                    rows.append((p.name, roles[role]))
        saved += [t for t in BACKWARDS[n.op].saves(n, _Trains(roles)) if t not in saved]
    if g.outputs[0] in saved:
        raise OptionError(
            f"on_device_learning: the backward step would read the model output "
            f"{g.outputs[0]!r} after the loss gradient replaced it; end the model with a layer "
            "that learns or a pool"
        )
    meta = dict(g.meta)
    folded = folded_batchnorms(g, {nodes_by[n].params["weight"] for n, _, _ in trained})
    meta["training"] = TrainPlan(opts, tuple(trained), tuple(n.name for n in nodes),
                                 tuple(t for t in g.tensors if t in needs), tuple(saved), folded,
                                 tuple(rows))
    meta["keep_alive"] = tuple(sorted(t for t in saved if t not in g.inputs))
    return g.with_(params=params, meta=meta)


def folded_batchnorms(g: Graph, weights: Any = None) -> Tuple[Tuple[str, str, float], ...]:
    """(layer module, BatchNorm module, eps) of each BatchNorm fold_batchnorm folded into a layer
    (only those of the given weight parameters, if given)."""
    bns = g.meta.get("folded_batchnorm", {})
    return tuple((w[: -len(".weight")], *bns[w]) for w in sorted(bns)
                 if w.endswith(".weight") and (weights is None or w in weights))


def learning_layers(g: Graph, opts: Any) -> Tuple[str, ...]:
    """Names of the nodes from the deepest one that learns to the output (the same choice
    split_training makes): the float tail of an int8 model that learns."""
    return tuple(n.name for n in _flow(g, choose_trainable(g, opts))[0])
