"""Passes on hand-built IR graphs: what each rewrites, what it leaves alone, verify() after each."""
import numpy as np
import pytest
import torch

from miniml.errors import GraphError
from miniml.ir import Graph, Node, Param, TensorSpec, verify
from miniml.passes import PIPELINE, run_pipeline
from miniml.passes.fold_batchnorm import fold_batchnorm, fold_batchnorm_weights
from miniml.passes.fuse_activation import fuse_activation
from miniml.passes.remove_aliases import remove_aliases


def T(name, *shape):
    return TensorSpec(name, shape or (1, 4))


def graph(nodes, tensors, params=(), inputs=("x",), outputs=("y",)):
    return verify(Graph({t.name: t for t in tensors}, {p.name: p for p in params}, tuple(nodes),
                        tuple(inputs), tuple(outputs)))


def linear(name, x, y, w="w", b=None, act=None):
    params = {"weight": w} | ({"bias": b} if b else {})
    return Node(name, "linear", (x,), (y,), params, {"in_features": 4, "out_features": 4,
                                                     "act": act})


def P(name, *shape, seed=0):
    return Param(name, np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def test_pipeline_order_is_documented():
    assert [p.__name__ for p in PIPELINE] == ["remove_aliases", "fuse_recurrent_cells",
                                              "drop_unused_outputs", "keep_last_step",
                                              "fold_batchnorm", "fuse_activation"]


def test_remove_aliases_merges_into_input():
    g = graph([linear("l", "x", "a"), Node("v", "alias", ("a",), ("b",)), linear("m", "b", "y")],
              [T("x"), T("a"), T("b", 1, 2, 2), T("y")], [P("w", 4, 4)])
    g2 = remove_aliases(g)
    assert [n.op for n in g2.nodes] == ["linear", "linear"]
    assert g2.nodes[1].inputs == ("a",) and "b" not in g2.tensors


def test_remove_aliases_keeps_output_name():
    g = graph([linear("l", "x", "a"), Node("v", "alias", ("a",), ("y",))],
              [T("x"), T("a"), T("y", 1, 2, 2)], [P("w", 4, 4)])
    g2 = remove_aliases(g)
    assert g2.outputs == ("y",) and g2.nodes[0].outputs == ("y",)
    assert g2.tensor("y").shape == (1, 2, 2)  # the model's output shape survives


def test_remove_aliases_input_to_output_becomes_copy():
    g = graph([Node("v", "alias", ("x",), ("y",))], [T("x"), T("y", 1, 2, 2)])
    assert [n.op for n in remove_aliases(g).nodes] == ["copy"]


def test_fold_batchnorm_math_matches_torch_fusion():
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    mean, var = rng.standard_normal(5).astype(np.float32), rng.random(5).astype(np.float32) + 0.5
    gamma, beta = rng.standard_normal(5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    from miniml.ops.batch_norm import batchnorm_scale_shift

    scale, shift = batchnorm_scale_shift(gamma, beta, mean, var, 1e-5)
    w2, b2 = fold_batchnorm_weights(w, b, scale, shift)
    tw, tb = fuse_conv_bn_weights(*(torch.from_numpy(v) for v in (w, b, mean, var)), 1e-5,
                                  torch.from_numpy(gamma), torch.from_numpy(beta))
    assert np.allclose(w2, tw.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert np.allclose(b2, tb.detach().numpy(), rtol=1e-6, atol=1e-6)


def _bn(name, x, y):
    return Node(name, "batchnorm", (x,), (y,), {"scale": "s", "shift": "h"},
                {"channels": 4, "inner": 1})


def test_fold_batchnorm_into_linear_without_bias():
    g = graph([linear("l", "x", "a"), _bn("bn", "a", "y")], [T("x"), T("a"), T("y")],
              [P("w", 4, 4), P("s", 4, seed=1), P("h", 4, seed=2)])
    g2 = fold_batchnorm(g)
    assert [n.op for n in g2.nodes] == ["linear"] and g2.nodes[0].outputs == ("y",)
    bias = g2.param(g2.nodes[0], "bias")
    assert np.array_equal(bias.data, g.params["h"].data)  # 0 * scale + shift
    assert np.allclose(g2.params["w"].data, g.params["w"].data * g.params["s"].data[:, None])
    assert "s" not in g2.params and "h" not in g2.params


def test_fold_batchnorm_leaves_shared_producer_alone():
    g = graph([linear("l", "x", "a"), _bn("bn", "a", "b"), Node("add", "add", ("a", "b"), ("y",),
                                                                attrs={"size": 4})],
              [T("x"), T("a"), T("b"), T("y")], [P("w", 4, 4), P("s", 4), P("h", 4)])
    assert [n.op for n in fold_batchnorm(g).nodes] == ["linear", "batchnorm", "add"]


def test_fuse_activation_and_leave_alone_cases():
    act = {"act": ("relu",)}
    g = graph([linear("l", "x", "a"), Node("r", "activation", ("a",), ("y",), {}, act)],
              [T("x"), T("a"), T("y")], [P("w", 4, 4)])
    g2 = fuse_activation(g)
    assert len(g2.nodes) == 1 and g2.nodes[0].attrs["act"] == ("relu",)
    assert g2.nodes[0].outputs == ("y",)
    # producer already has an activation: a second one stays separate
    g = graph([linear("l", "x", "a", act=("tanh",)), Node("r", "activation", ("a",), ("y",), {}, act)],
              [T("x"), T("a"), T("y")], [P("w", 4, 4)])
    assert len(fuse_activation(g).nodes) == 2
    # activation after an add (no functor argument): stays
    g = graph([Node("s", "add", ("x", "x"), ("a",), {}, {"size": 4}),
               Node("r", "activation", ("a",), ("y",), {}, act)], [T("x"), T("a"), T("y")])
    assert len(fuse_activation(g).nodes) == 2


def test_run_pipeline_full():
    g = graph([linear("l", "x", "a"), Node("d", "alias", ("a",), ("b",)), _bn("bn", "b", "c"),
               Node("r", "activation", ("c",), ("y",), {}, {"act": ("hardtanh", 0.0, 6.0)})],
              [T("x"), T("a"), T("b"), T("c"), T("y")], [P("w", 4, 4), P("s", 4), P("h", 4)])
    g2 = run_pipeline(g)
    assert [(n.op, n.attrs["act"]) for n in g2.nodes] == [("linear", ("hardtanh", 0.0, 6.0))]


@pytest.mark.parametrize("bad", ["read_before_write", "written_twice", "missing_param", "symbolic"])
def test_verify_catches(bad):
    tensors = [T("x"), T("a"), T("y")]
    nodes = [linear("l", "x", "a"), linear("m", "a", "y")]
    params = [P("w", 4, 4)]
    if bad == "read_before_write":
        nodes = nodes[::-1]
    elif bad == "written_twice":
        nodes = [linear("l", "x", "a"), linear("m", "x", "a"), linear("n", "a", "y")]
    elif bad == "missing_param":
        params = []
    else:
        tensors = [T("x"), T("a", 1, 0), T("y")]
    with pytest.raises(GraphError):
        graph(nodes, tensors, params)
