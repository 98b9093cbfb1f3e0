"""Every supported op's in-place form (relu_, add_, dropout_, unsqueeze_, clamp_...) is supported too:
models written with in-place ops (torchvision's `inplace=True` layers, `x += y`) export unchanged.
Their numbers are checked in test_unary.py (inplace_* cases) and test_composites.py (mobilenet_v3)."""
import torch

import miniml.ops as ops

# in-place overloads whose out-of-place twin is refused too (list ops, rounding modes, tensor exponents)
NOT_TWINS = {"aten.add_.t", "aten.mul_.t", "aten.div_.Scalar_mode", "aten.div_.Tensor_mode",
             "aten.pow_.Tensor"}


def test_lower_inplace_twins_registered():
    missing = []
    for target in ops.supported_targets():
        _, name, _ = target.split(".")
        packet = getattr(torch.ops.aten, name + "_", None)
        if name.endswith("_") or packet is None:
            continue
        for overload in packet.overloads():
            twin = f"aten.{name}_.{overload}"
            if twin not in ops.LOWERINGS and twin not in NOT_TWINS:
                missing.append(twin)
    assert not missing, sorted(set(missing))
