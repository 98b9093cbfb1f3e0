"""int8 pools in every torch configuration: MaxPool dilation/ceil_mode, AvgPool padding with
count_include_pad True/False, ceil_mode and divisor_override (include/miniml/op_pool_s8.h's
Pool2dParams overloads). Each case is exported end to end with quantize="int8", built on the host
(-Werror, ASan + UBSan) and must equal the numpy int8 interpreter (quant/interpret.py) at 0 LSB and
torch within a couple of output steps.

Only max pools without dilation and means over the in-bounds taps (count_include_pad=False, or no
padding) have a TFLM op: the grid cases whose torch padding is TFLite SAME padding are also checked
against TFLM's MAX_POOL_2D / AVERAGE_POOL_2D. The rest (count_include_pad=True with padding,
divisor_override, dilation) have no TFLM op and are checked against the numpy reference and torch.
"""

from __future__ import annotations

import itertools

import int8_refs as ref
import numpy as np
import pytest
import tflm_oracle as tflm
import torch
import torch.nn as nn
from int8_host import run_int8_models
from miniml.api import int8_graph
from miniml.errors import UnsupportedOpError
from miniml.int8 import predict as predict_int8_graph
from miniml.int8 import run_int8

SIZE = 7  # odd, so that ceil_mode adds a window
N_INPUTS = 4


def _grid():
    cases = {}
    for k, s, p, d, ceil in itertools.product((2, 3), (1, 2), (0, 1), (1, 2), (False, True)):
        cases[f"max_k{k}s{s}p{p}d{d}{'_ceil' if ceil else ''}"] = (
            "max",
            dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil),
        )
    for k, s, p, ceil, cip in itertools.product(
        (2, 3), (1, 2), (0, 1), (False, True), (False, True)
    ):
        cases[f"avg_k{k}s{s}p{p}{'_ceil' if ceil else ''}{'_cip' if cip else ''}"] = (
            "avg",
            dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip),
        )
    cases["avg_k3s2p1_div5"] = ("avg", dict(kernel_size=3, stride=2, padding=1, divisor_override=5))
    cases["avg_k2s2_ceil_div3"] = (
        "avg",
        dict(kernel_size=2, stride=2, ceil_mode=True, divisor_override=3),
    )
    cases["max1d_k3s2p1d2_ceil"] = (
        "max1d",
        dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    )
    cases["avg1d_k3s2p1_ceil_cip"] = (
        "avg1d",
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True),
    )
    return cases


CASES = _grid()
POOL = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d, "max1d": nn.MaxPool1d, "avg1d": nn.AvgPool1d}


def _model(cid):
    kind, kw = CASES[cid]
    torch.manual_seed(sum(map(ord, cid)))
    conv = nn.Conv1d(2, 3, 1) if kind.endswith("1d") else nn.Conv2d(2, 3, 1)
    shape = (1, 2, 4 * SIZE) if kind.endswith("1d") else (1, 2, SIZE, SIZE)
    return nn.Sequential(conv, POOL[kind](**kw)).eval(), shape


def _valid(cid):
    """torch itself rejects some grid points (padding above half the effective kernel)."""
    model, shape = _model(cid)
    try:
        with torch.no_grad():
            model(torch.zeros(shape))
    except RuntimeError:
        return False
    return True


IDS = [c for c in CASES if _valid(c)]


@pytest.fixture(scope="module")
def built():
    rng = np.random.default_rng(4)
    cases = {}
    for cid in IDS:
        model, shape = _model(cid)
        # Shifted inputs: the pool's zero point is far from 0, so count_include_pad's padding
        # (real 0 = the zero point) and the rounding of negative sums both matter.
        cal = (rng.standard_normal((48,) + shape[1:]) + 1.0).astype(np.float32)
        cases[cid] = (model, cal, (0.9 * cal[:N_INPUTS]).astype(np.float32))
    return run_int8_models("quant_pool_configs", cases)


def _pool_node(g):
    (n,) = [n for n in g.nodes if n.op in ("max_pool2d_s8", "avg_pool2d_s8")]
    return n


def _ceil_adds_window(kw, size):
    k, st, p = kw["kernel_size"], kw["stride"], kw.get("padding", 0)
    d = kw.get("dilation", 1)
    floor = (size + 2 * p - d * (k - 1) - 1) // st + 1
    out = torch.nn.functional.max_pool1d(
        torch.zeros(1, 1, size), k, st, p, dilation=d, ceil_mode=bool(kw.get("ceil_mode"))
    ).shape[-1]
    return out != floor


def _torch_rule(kw, size=SIZE):
    """True when the case needs torch's window rule (not a TFLM-shaped pool)."""
    return bool(
        _ceil_adds_window(kw, size)
        or kw.get("dilation", 1) != 1
        or kw.get("divisor_override")
        or (kw.get("padding", 0) and kw.get("count_include_pad", True) and "dilation" not in kw)
    )


def test_grid_covers_the_configurations():
    # The brief's grid, minus only the points torch itself refuses.
    assert len(IDS) >= 60, len(IDS)
    assert sum(_torch_rule(CASES[c][1]) for c in IDS) >= 30


@pytest.mark.parametrize("cid", IDS)
def test_pool_config_parity(cid, built):
    r = built[cid]
    g = r["graph"]
    kind, kw = CASES[cid]
    # The configuration really goes through the Pool2dParams (torch-rule) kernel, or not.
    node = _pool_node(g)
    size = 4 * SIZE if kind.endswith("1d") else SIZE
    assert ("out_size" in node.attrs) == _torch_rule(kw, size), node.attrs
    # Either way the window is a named constexpr Pool2dParams; the kernel picks TFLM's path from it.
    assert "constexpr miniml::Pool2dParams" in r["header"]
    # C++ == numpy int8 interpreter, 0 LSB, both entry points.
    np.testing.assert_array_equal(r["y"], predict_int8_graph(g, r["xs"]).reshape(N_INPUTS, -1))
    edges = g.meta["int8_edges"]
    want_q = np.stack([run_int8(g, x)[edges["output"]] for x in r["xs"]])
    np.testing.assert_array_equal(r["yq"], want_q)
    # Float vs int8: the dequantised int8 output within a couple of output steps of torch.
    with torch.no_grad():
        yf = r["model"](torch.from_numpy(r["xs"])).numpy().reshape(N_INPUTS, -1)
    scale = g.tensor(edges["output"]).scale
    err = np.max(np.abs(r["y"] - yf))
    assert err <= 2 * scale, (err, scale)


def _same_padding(k, s, p, ceil, size):
    """torch's (k, s, p, ceil_mode) on `size` is TFLite SAME padding: same output size and the
    same leading padding (the trailing one only drops taps, which both skip)."""
    out = (size + 2 * p - k + ((s - 1) if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    same_out = -(-size // s)
    pad_total = max((same_out - 1) * s + k - size, 0)
    return out == same_out and pad_total // 2 == p


ORACLE = [
    c
    for c in IDS
    if CASES[c][0] in ("max", "avg")
    and CASES[c][1].get("dilation", 1) == 1
    and not CASES[c][1].get("divisor_override")
    and not (CASES[c][0] == "avg" and CASES[c][1]["padding"] and CASES[c][1]["count_include_pad"])
    and _same_padding(
        CASES[c][1]["kernel_size"],
        CASES[c][1]["stride"],
        CASES[c][1]["padding"],
        CASES[c][1]["ceil_mode"],
        SIZE,
    )
]


def test_oracle_cases_include_padding_and_ceil():
    assert any(CASES[c][1]["padding"] and CASES[c][0] == "avg" for c in ORACLE), ORACLE
    assert any(CASES[c][1]["ceil_mode"] and _torch_rule(CASES[c][1]) for c in ORACLE), ORACLE


@pytest.mark.parametrize("cid", ORACLE)
def test_pool_config_matches_tflm(cid, built):
    """count_include_pad=False (or no padding) with SAME-shaped padding: TFLM's pool on the same
    int8 input gives the same int8 output as our exported kernel."""
    r = built[cid]
    g = r["graph"]
    kind, kw = CASES[cid]
    node = _pool_node(g)
    q_in = g.tensor(node.inputs[0])
    for x in r["xs"]:
        t = run_int8(g, x)
        xq = t[node.inputs[0]].reshape(3, SIZE, SIZE)
        want = tflm.pool2d(
            kind,
            xq,
            q_in.scale,
            q_in.zero_point,
            (kw["kernel_size"],) * 2,
            (kw["stride"],) * 2,
            True,
        )
        np.testing.assert_array_equal(t[node.outputs[0]].reshape(want.shape), want)
    # and the exported C++ equals the interpreter (test_pool_config_parity), so C++ == TFLM


AVG_REF = {
    "cip_pad": dict(kernel=(3, 3), stride=(2, 2), padding=(1, 1), count_include_pad=True),
    "cip_pad_ceil": dict(kernel=(2, 3), stride=(2, 2), padding=(1, 1), count_include_pad=True),
    "nocip_pad_ceil": dict(kernel=(3, 2), stride=(2, 1), padding=(1, 1)),
    "divisor": dict(kernel=(3, 3), stride=(1, 1), padding=(1, 1), divisor_override=7),
}


@pytest.mark.parametrize("cid", AVG_REF)
def test_avg_reference_is_torch_rounded(cid):
    """The numpy int8 avg pool is torch's float avg pool of the dequantised input, rounded to the
    nearest step (half an LSB at most), for the configurations TFLM has no op for."""
    c = dict(AVG_REF[cid])
    ceil = cid.endswith("ceil")
    rng = np.random.default_rng(7)
    zp, scale = 37, 0.05
    xq = rng.integers(-128, 128, (3, 8, 9))
    kw = dict(
        kernel_size=c["kernel"],
        stride=c["stride"],
        padding=c["padding"],
        ceil_mode=ceil,
        count_include_pad=c.get("count_include_pad", False),
        divisor_override=c.get("divisor_override"),
    )
    yf = nn.functional.avg_pool2d(torch.from_numpy((xq - zp) * scale)[None].double(), **kw)[0]
    want = yf.numpy() / scale + zp
    got = ref.avg_pool2d_s8(
        xq,
        c["kernel"],
        c["stride"],
        c["padding"],
        out_size=want.shape[1:],
        count_include_pad=kw["count_include_pad"],
        divisor_override=c.get("divisor_override", 0),
        zero_point=zp,
    )
    assert got.shape == want.shape
    assert np.max(np.abs(got - np.clip(want, -128, 127))) <= 0.5 + 1e-9


def test_max_reference_is_torch():
    rng = np.random.default_rng(8)
    xq = rng.integers(-128, 128, (2, 9, 8))
    y = nn.functional.max_pool2d(
        torch.from_numpy(xq)[None].double(), 3, 2, 1, dilation=2, ceil_mode=True
    )[0].numpy()
    got = ref.max_pool2d_s8(xq, (3, 3), (2, 2), (1, 1), dilation=(2, 2), out_size=y.shape[1:])
    np.testing.assert_array_equal(got, y)


def test_reject_window_without_input_tap():
    # taps at -1 and 1 of a length-1 input: torch allows it, returns -inf; int8 has no -inf.
    m = nn.Sequential(nn.Conv1d(1, 2, 1), nn.MaxPool1d(2, padding=1, dilation=2)).eval()
    with pytest.raises(UnsupportedOpError) as e:
        int8_graph(m, torch.zeros(1, 1, 1), calibration=np.ones((16, 1, 1), np.float32))
    assert "a window with no tap inside the input" in str(e.value)
    assert "max_pool1d" in str(e.value)
