"""Fuzz over #11's op set (breadth_models.py; fixed seeds, 36 in CI, MINIML_FUZZ_MODELS under `make fuzz`):
every random model either exports or fails with a MinimlError that names the layer; never a raw
exception. Float exports are also run (one host build, ASan/UBSan) and held to torch at 1e-5 rel;
int8 exports (quantize='int8', random calibration) likewise succeed or refuse by name, and those with
an int8 output run on the host equal to the integer reference to the bit (predict_int8 models
through predict() and predict_int8(), two-head and float-tail models through predict())."""
import os

import numpy as np
import pytest

import miniml
from breadth_models import random_model
from harness import assert_close, build_batch
from miniml.api import build_header
from miniml.errors import MinimlError

N_MODELS = int(os.environ.get("MINIML_FUZZ_MODELS", "36"))  # test_fuzz.py reads it too
SEEDS = list(range(1000, 1000 + N_MODELS))


def _names_a_layer(msg: str) -> bool:
    return "node " in msg or "(nn." in msg or "input" in msg or "output" in msg


def _try(fn):
    try:
        return fn(), None
    except MinimlError as exc:
        return None, exc


@pytest.fixture(scope="module")
def float_results():
    import torch

    results, ok = {}, {}
    for seed in SEEDS:
        model, shape = random_model(seed)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        try:
            report, err = _try(lambda: miniml.analyze(model, x, "fuzz"))
        except Exception as exc:  # the defect this test exists to find
            raise AssertionError(f"seed {seed}: raw {type(exc).__name__}: {exc}\n{model}") from exc
        results[seed] = err
        if err is None and len(report.output_shape) and not _two_heads(model):
            ok[f"seed_{seed}"] = (model, shape)
    batch = build_batch("fuzz", ok, n_inputs=2) if ok else None
    return results, batch


def _two_heads(model) -> bool:
    return type(model).__name__ == "TwoHeads"


@pytest.mark.parametrize("seed", SEEDS)
def test_fuzz_float(float_results, seed):
    results, batch = float_results
    err = results[seed]
    if err is not None:
        assert _names_a_layer(str(err)), f"seed {seed}: {err}"
        return
    key = f"seed_{seed}"
    if batch is not None and key in batch.models:
        b = batch.models[key]
        assert_close(b.got, b.expected, key)


INT8_SEEDS = SEEDS[: max(6, N_MODELS // 3)]


@pytest.fixture(scope="module")
def int8_results():
    """seed -> MinimlError or None; the exported ones built once and run (int8_host.py)."""
    import sys

    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "quant"))
    from int8_host import run_int8_models, run_packed_models

    results, ok, packed = {}, {}, {}
    for seed in INT8_SEEDS:
        model, shape = random_model(seed)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        rng = np.random.default_rng(seed)
        calib = rng.standard_normal((16,) + tuple(shape[1:])).astype(np.float32)
        try:
            out, err = _try(lambda: build_header(model, x, "fuzz", quantize="int8",
                                                 calibration=calib))
        except Exception as exc:
            raise AssertionError(f"seed {seed}: raw {type(exc).__name__}: {exc}\n{model}") from exc
        results[seed] = err
        xs = (0.9 * calib[:2]).astype(np.float32)
        if err is None and "void predict_int8(" in out[0]:  # one int8 output, no float tail
            ok[f"seed_{seed}"] = (model, calib, xs)
        elif err is None:
            packed[f"seed_{seed}"] = (model, x, calib, xs.reshape(len(xs), -1))
    built = run_int8_models("fuzz_int8", ok) if ok else {}
    built.update(run_packed_models("fuzz_int8_packed", packed) if packed else {})
    return results, built


@pytest.mark.parametrize("seed", INT8_SEEDS)
def test_fuzz_int8(int8_results, seed):
    from miniml.int8 import predict as predict_int8_graph

    results, built = int8_results
    err = results[seed]
    if err is not None:
        assert _names_a_layer(str(err)), f"seed {seed}: {err}"
        return
    r = built.get(f"seed_{seed}")
    if r is not None:  # predict() equals the integer reference to the bit
        want = predict_int8_graph(r["graph"], r["xs"]).reshape(len(r["xs"]), -1)
        if any(n.op in ("softmax", "log_softmax") for n in r["graph"].nodes):
            # a float tail after the dequantize: numpy's exp against the C++ expf
            np.testing.assert_allclose(r["y"], want, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(r["y"], want)


# int8 kernels of #11 the fixed CI seeds reach (more with MINIML_FUZZ_MODELS under `make fuzz`)
INT8_NEW = {"prelu_s8", "group_norm_s8", "upsample_s8", "reduce_s8", "permute_s8", "div_s8"}


def test_fuzz_int8_reaches_new_kernels(int8_results):
    """Every int8 export ran on the host, and they use #11's int8 kernels, not only the old ones (a
    generator that stopped reaching them would make test_fuzz_int8 vacuous)."""
    results, built = int8_results
    assert set(built) == {f"seed_{s}" for s, e in results.items() if e is None}  # all ran
    seen = {n.op for r in built.values() for n in r["graph"].nodes}
    assert len(INT8_NEW & seen) >= 4, sorted(seen)


def test_fuzz_exports_most_models(float_results):
    """The generator is meant to produce supported models: a refusal is the exception."""
    results, _ = float_results
    refused = {s: str(e).splitlines()[0] for s, e in results.items() if e is not None}
    assert len(refused) <= len(results) // 4, refused
