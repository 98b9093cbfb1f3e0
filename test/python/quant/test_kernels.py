"""int8 kernels, 0 LSB: C++ (include/miniml/op_*_s8.h, host build with ASan/UBSan) == numpy
reference (the op modules, miniml.ops) == TFLite Micro's interpreter, over a grid of shapes and
quantisation parameters."""

from __future__ import annotations

import int8_refs as ref
import numpy as np
import pytest
import tflm_oracle as tflm
from miniml.quant import params as qp


def _rng(case_id: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, case_id)))


def _s8(rng, shape):
    return rng.integers(-128, 128, shape).astype(np.int8)


LINEAR_CASES = {
    "basic": dict(i=16, o=8, in_s=0.05, in_zp=3, out_s=0.2, out_zp=-5, act=None),
    "relu": dict(i=24, o=10, in_s=0.02, in_zp=-128, out_s=0.1, out_zp=-128, act="relu"),
    "relu6": dict(i=7, o=5, in_s=0.1, in_zp=10, out_s=0.05, out_zp=-20, act="relu6"),
    "relu_n1_to_1": dict(i=9, o=3, in_s=0.1, in_zp=0, out_s=0.01, out_zp=0, act="relu_n1_to_1"),
    "one_output": dict(
        i=13, o=1, in_s=0.03, in_zp=7, out_s=0.3, out_zp=2, act=None
    ),  # per-tensor path
    "big_scale": dict(
        i=4, o=6, in_s=2.0, in_zp=0, out_s=0.01, out_zp=0, act=None
    ),  # multiplier > 1
    "no_bias": dict(i=32, o=4, in_s=0.01, in_zp=-3, out_s=0.07, out_zp=11, act=None, bias=False),
    "long": dict(i=301, o=3, in_s=0.004, in_zp=1, out_s=0.5, out_zp=0, act=None),
}


@pytest.mark.parametrize("cid", LINEAR_CASES)
def test_parity_linear_s8(cid, driver):
    c = LINEAR_CASES[cid]
    rng = _rng(cid)
    i, o = c["i"], c["o"]
    x, w = _s8(rng, i), rng.integers(-127, 128, (o, i)).astype(np.int8)
    ws = rng.uniform(0.001, 0.02, o).astype(np.float32)
    b = rng.integers(-20000, 20000, o).astype(np.int32) if c.get("bias", True) else None
    m, s = qp.channel_multipliers(c["in_s"], ws, c["out_s"], per_tensor_fc=(o == 1))
    lo, hi = qp.activation_range(c["act"], c["out_s"], c["out_zp"])
    want = ref.linear_s8(x, c["in_zp"], w, b, m, s, c["out_zp"], lo, hi)
    got_tflm = tflm.fully_connected(
        x, c["in_s"], c["in_zp"], w, ws, b, c["out_s"], c["out_zp"], c["act"]
    )
    np.testing.assert_array_equal(got_tflm, want)
    folded = qp.fold_bias(np.zeros(o, np.int32) if b is None else b, w, c["in_zp"])
    got = driver("linear", [i, o, c["out_zp"], lo, hi], x, w, folded, m, s)
    np.testing.assert_array_equal(got, want)
    assert len(set(want.tolist())) > 1 or o == 1, "degenerate case: outputs all equal"


CONV_CASES = {
    "3x3": dict(c=3, h=8, w=8, oc=4, k=(3, 3)),
    "stride2": dict(c=2, h=9, w=7, oc=3, k=(3, 3), stride=(2, 2)),
    "pad1": dict(c=3, h=6, w=6, oc=5, k=(3, 3), padding=(1, 1)),
    "pad2_stride2": dict(c=2, h=7, w=8, oc=3, k=(5, 3), stride=(2, 2), padding=(2, 1)),
    "dilation2": dict(c=2, h=9, w=9, oc=2, k=(3, 3), dilation=(2, 2)),
    "dilation_pad": dict(c=2, h=8, w=7, oc=3, k=(3, 2), dilation=(2, 3), padding=(2, 1)),
    "relu": dict(
        c=4, h=6, w=6, oc=4, k=(3, 3), padding=(1, 1), act="relu", in_zp=-128, out_zp=-128
    ),
    "relu6": dict(c=1, h=8, w=8, oc=6, k=(3, 3), act="relu6"),
    "1x1": dict(c=8, h=4, w=4, oc=4, k=(1, 1)),
    "grouped2": dict(c=4, h=6, w=6, oc=6, k=(3, 3), groups=2, padding=(1, 1)),
    "depthwise": dict(c=4, h=7, w=7, oc=4, k=(3, 3), groups=4, padding=(1, 1)),
    "depthwise_mult2": dict(c=3, h=6, w=6, oc=6, k=(3, 3), groups=3, stride=(2, 2)),
    "depthwise_dilated": dict(
        c=2, h=9, w=9, oc=2, k=(3, 3), groups=2, dilation=(2, 2), padding=(2, 2)
    ),
    "conv1d": dict(c=3, h=1, w=20, oc=4, k=(1, 5)),
    "conv1d_stride_pad": dict(c=2, h=1, w=17, oc=3, k=(1, 3), stride=(1, 2), padding=(0, 1)),
    "conv1d_dilated": dict(c=2, h=1, w=16, oc=2, k=(1, 3), dilation=(1, 3), padding=(0, 3)),
    "conv1d_depthwise": dict(c=4, h=1, w=12, oc=4, k=(1, 3), groups=4, padding=(0, 1)),
}


@pytest.mark.parametrize("cid", CONV_CASES)
def test_parity_conv_s8(cid, driver):
    c = CONV_CASES[cid]
    rng = _rng(cid)
    groups = c.get("groups", 1)
    stride, padding, dilation = (
        c.get("stride", (1, 1)),
        c.get("padding", (0, 0)),
        c.get("dilation", (1, 1)),
    )
    in_s, out_s = 0.04, 0.15
    in_zp, out_zp = c.get("in_zp", 5), c.get("out_zp", -3)
    x = _s8(rng, (c["c"], c["h"], c["w"]))
    w = rng.integers(-127, 128, (c["oc"], c["c"] // groups) + c["k"]).astype(np.int8)
    ws = rng.uniform(0.002, 0.02, c["oc"]).astype(np.float32)
    b = rng.integers(-3000, 3000, c["oc"]).astype(np.int32)
    m, s = qp.channel_multipliers(in_s, ws, out_s)
    lo, hi = qp.activation_range(c.get("act"), out_s, out_zp)
    want = ref.conv2d_s8(x, in_zp, w, b, m, s, out_zp, stride, padding, dilation, groups, lo, hi)
    got_tflm = tflm.conv2d(
        x, in_s, in_zp, w, ws, b, out_s, out_zp, stride, padding, dilation, groups, c.get("act")
    )
    np.testing.assert_array_equal(got_tflm, want)
    if c["h"] == 1:
        want1 = ref.conv1d_s8(
            x[:, 0],
            in_zp,
            w[:, :, 0],
            b,
            m,
            s,
            out_zp,
            stride[1],
            padding[1],
            dilation[1],
            groups,
            lo,
            hi,
        )
        np.testing.assert_array_equal(want1, want[:, 0])
    folded = qp.fold_bias(b, w, in_zp)
    got = driver(
        "conv2d",
        [
            c["c"],
            c["h"],
            c["w"],
            c["oc"],
            *c["k"],
            *stride,
            *padding,
            *dilation,
            groups,
            in_zp,
            out_zp,
            lo,
            hi,
        ],
        x,
        w,
        folded,
        m,
        s,
    )
    np.testing.assert_array_equal(got, want.ravel())
    assert len(set(want.ravel().tolist())) > 3, "degenerate case"


POOL_CASES = {
    "max2x2": dict(kind="max", c=3, h=8, w=8, k=(2, 2), stride=(2, 2)),
    "max3x3s1": dict(kind="max", c=2, h=7, w=6, k=(3, 3), stride=(1, 1)),
    "max3x3_same": dict(kind="max", c=2, h=7, w=7, k=(3, 3), stride=(1, 1), same=True),
    "max_relu": dict(kind="max", c=2, h=6, w=6, k=(2, 2), stride=(2, 2), act="relu"),
    "avg2x2": dict(kind="avg", c=3, h=8, w=8, k=(2, 2), stride=(2, 2)),
    "avg3x3s2": dict(kind="avg", c=2, h=9, w=7, k=(3, 3), stride=(2, 2)),
    "avg3x3_same": dict(kind="avg", c=3, h=5, w=5, k=(3, 3), stride=(1, 1), same=True),
    "avg5x5_same": dict(kind="avg", c=1, h=6, w=6, k=(5, 5), stride=(1, 1), same=True),
    "avg_global": dict(kind="avg", c=4, h=4, w=4, k=(4, 4), stride=(4, 4)),
    "avg1d": dict(kind="avg", c=3, h=1, w=12, k=(1, 3), stride=(1, 3)),
    "max1d": dict(kind="max", c=3, h=1, w=11, k=(1, 2), stride=(1, 2)),
}


@pytest.mark.parametrize("cid", POOL_CASES)
def test_parity_pool_s8(cid, driver):
    c = POOL_CASES[cid]
    rng = _rng(cid)
    scale, zp = 0.05, -10
    x = _s8(rng, (c["c"], c["h"], c["w"]))
    same = c.get("same", False)
    # TFLite SAME with stride 1 and an odd kernel is symmetric padding k // 2.
    padding = (c["k"][0] // 2, c["k"][1] // 2) if same else (0, 0)
    lo, hi = qp.activation_range(c.get("act"), scale, zp)
    fn = ref.max_pool2d_s8 if c["kind"] == "max" else ref.avg_pool2d_s8
    want = fn(x, c["k"], c["stride"], padding, lo, hi)
    got_tflm = tflm.pool2d(c["kind"], x, scale, zp, c["k"], c["stride"], same, c.get("act"))
    np.testing.assert_array_equal(got_tflm, want)
    got = driver(
        f"{c['kind']}pool2d", [c["c"], c["h"], c["w"], *c["k"], *c["stride"], *padding, lo, hi], x
    )
    np.testing.assert_array_equal(got, want.ravel())


BINARY_CASES = {
    "add_same_scale": dict(kind="add", a=(0.05, 3), b=(0.05, 3), out=(0.1, -2)),
    "add_mixed": dict(kind="add", a=(0.02, -128), b=(0.3, 10), out=(0.25, 0)),
    "add_relu": dict(kind="add", a=(0.1, 0), b=(0.07, -5), out=(0.12, -128), act="relu"),
    "add_small_out": dict(kind="add", a=(0.5, 0), b=(0.4, 1), out=(0.01, 0)),
    "sub": dict(kind="sub", a=(0.05, 3), b=(0.04, -7), out=(0.08, 1)),
    "sub_relu": dict(kind="sub", a=(0.02, -128), b=(0.3, 10), out=(0.25, -128), act="relu"),
    "mul": dict(kind="mul", a=(0.05, 3), b=(0.04, -7), out=(0.02, 1)),
    "mul_relu6": dict(kind="mul", a=(0.1, 0), b=(0.2, -100), out=(0.05, -128), act="relu6"),
    "mul_big": dict(kind="mul", a=(0.5, 0), b=(0.5, 0), out=(0.001, 0)),
}


# 1300 elements: add_s8 tabulates its inputs from MINIML_ADD_TABLE_MIN (1024) on 32-bit cores.
@pytest.mark.parametrize("n", [257, 1300])
@pytest.mark.parametrize("cid", BINARY_CASES)
def test_parity_elementwise_s8(cid, n, driver):
    c = BINARY_CASES[cid]
    rng = _rng(cid)
    a, b = _s8(rng, n), _s8(rng, n)
    (sa, za), (sb, zb), (so, zo) = c["a"], c["b"], c["out"]
    lo, hi = qp.activation_range(c.get("act"), so, zo)
    if c["kind"] in ("add", "sub"):
        p = qp.add_params(sa, sb, so)
        # SUB is ADD with the second multiplier negated (TFLM's own construction).
        bm = -p.b_multiplier if c["kind"] == "sub" else p.b_multiplier
        want = ref.add_s8(
            a,
            b,
            za,
            zb,
            p.a_multiplier,
            p.a_shift,
            bm,
            p.b_shift,
            p.output_multiplier,
            p.output_shift,
            zo,
            20,
            lo,
            hi,
        )
        got = driver(
            "add",
            [
                n,
                za,
                p.a_multiplier,
                p.a_shift,
                zb,
                bm,
                p.b_shift,
                p.output_multiplier,
                p.output_shift,
                zo,
                lo,
                hi,
                0,
            ],
            a,
            b,
        )
    else:
        m, s = qp.mul_params(sa, sb, so)
        want = ref.mul_s8(a, b, za, zb, m, s, zo, lo, hi)
        got = driver("mul", [n, za, zb, m, s, zo, lo, hi], a, b)
    got_tflm = tflm.binary(c["kind"], a, b, sa, za, sb, zb, so, zo, c.get("act"))
    np.testing.assert_array_equal(got_tflm, want)
    np.testing.assert_array_equal(got, want)


def test_parity_clamp_s8(driver):
    x = np.arange(-128, 128).astype(np.int8)
    got = driver("clamp", [x.size, -20, 37], x)
    np.testing.assert_array_equal(got, np.clip(x, -20, 37))


def _bits(a):
    return np.asarray(a, np.float32).view(np.uint32).astype(np.int64)


@pytest.mark.parametrize("scale,zp", [(0.05, 3), (0.0123, -128), (1.7, 0), (0.1, 127)])
def test_parity_quantize_s8(scale, zp, driver):
    rng = np.random.default_rng(3)
    s32 = np.float32(scale)
    # Random values, exact halves (ties), values next to halves, and out-of-range values.
    halves = (np.arange(-300, 300) + 0.5).astype(np.float32) * s32
    near = np.nextafter(halves, np.float32(np.inf))
    x = np.concatenate(
        [
            rng.normal(0, 3, 400).astype(np.float32),
            halves,
            near,
            np.array([0, -0.0, 1e6, -1e6], np.float32),
        ]
    ).astype(np.float32)
    want = ref.quantize_s8(x, scale, zp)
    np.testing.assert_array_equal(tflm.quantize(x, scale, zp), want)
    # Beyond int32 TFLM's float->int cast is undefined behaviour (x86 gives INT32_MIN, so -128 for
    # +1e30); we saturate instead: the one documented difference, outside any calibrated range.
    x = np.concatenate([x, np.array([1e30, -1e30, np.inf, -np.inf], np.float32)])
    want = ref.quantize_s8(x, scale, zp)
    np.testing.assert_array_equal(want[-4:], [127, -128, 127, -128])
    got = driver("quantize", [x.size, _bits(scale)[()], zp], _bits(x))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("scale,zp", [(0.05, 3), (0.0123, -128), (1.7, 0)])
def test_parity_dequantize_s8(scale, zp, driver):
    q = np.arange(-128, 128).astype(np.int8)
    want = ref.dequantize_s8(q, scale, zp)
    np.testing.assert_array_equal(tflm.dequantize(q, scale, zp), want)
    got = driver("dequantize", [q.size, _bits(scale)[()], zp], q)
    np.testing.assert_array_equal(got.astype(np.uint32).view(np.float32), want)


@pytest.mark.parametrize(
    "q_in,q_out",
    [
        ((0.05, 3), (0.08, 1)),
        ((0.02, -128), (0.3, 10)),
        ((0.5, 0), (0.01, 0)),
        ((0.1, 5), (0.1, 5)),
    ],
)
def test_parity_concat_part_requantizes_like_tflm(q_in, q_out, driver):
    """concat_part_s8 = TFLM's int8 -> int8 QUANTIZE into its slice of the output (copy when the
    quantisations are equal)."""
    from miniml.quant import fixedpoint as fp

    (si, zi), (so, zo) = q_in, q_out
    x = np.arange(-128, 128).astype(np.int8)
    want = tflm.requantize(x, si, zi, so, zo)
    same = (np.float32(si), zi) == (np.float32(so), zo)
    m, s = (0, 0) if same else fp.quantize_multiplier(float(np.float32(si)) / float(np.float32(so)))
    # Two rows of 128 inputs into the middle of rows of 200 outputs (offset 30).
    got = driver("concat_part", [2, 128, 200, 30, zi, m, s, zo], x).reshape(2, 200)
    np.testing.assert_array_equal(got[:, 30:158].reshape(-1), want)
    assert not got[:, :30].any() and not got[:, 158:].any()


@pytest.mark.parametrize(
    "kind,act", [("add", None), ("add", "relu"), ("mul", None), ("mul", "relu6")]
)
def test_parity_channel_broadcast_s8(kind, act, driver):
    """add_channel_s8 / mul_channel_s8 (b one value per channel) == TFLM's broadcast ADD / MUL."""
    rng = np.random.default_rng(sum(map(ord, kind + str(act))))
    c, inner = 6, 37 if kind == "mul" else 200  # 1200 elements: add_s8's tables (see above)
    a, b = _s8(rng, (c, inner)), _s8(rng, c)
    (sa, za), (sb, zb), (so, zo) = (0.05, 3), (0.02, -9), (0.07, -4)
    lo, hi = qp.activation_range(act, so, zo)
    want = tflm.binary_channel(kind, a, b, sa, za, sb, zb, so, zo, act)
    if kind == "add":
        p = qp.add_params(sa, sb, so)
        got = driver(
            "add_channel",
            [
                c,
                inner,
                za,
                p.a_multiplier,
                p.a_shift,
                zb,
                p.b_multiplier,
                p.b_shift,
                p.output_multiplier,
                p.output_shift,
                zo,
                lo,
                hi,
            ],
            a,
            b,
        )
    else:
        m, s = qp.mul_params(sa, sb, so)
        got = driver("mul_channel", [c, inner, za, zb, m, s, zo, lo, hi, 0, 0, 0, 0], a, b)
    np.testing.assert_array_equal(got, want.ravel())
    assert len(set(want.ravel().tolist())) > 10
