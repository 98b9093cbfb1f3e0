"""#11's composite models end to end (float): stock mobilenet_v3_small's module tree, unmodified, a
conv autoencoder (ConvTranspose + Upsample) and a transformer-style block (LayerNorm + Linear + GELU +
residual, sequence 8): parity with torch under ASan/UBSan. (The two-head model and the Embedding
bag-of-words classifier are in emit/test_multi_io.py; int8 composites in quant/test_int8_composites.py.)"""
import pytest

from composites import ConvAutoencoder, MobileNetV3Small, TransformerBlock, prepare_scaled
from harness import build_batch, check_batch

CASES = {
    "mobilenet_v3_small_64_10_classes": (lambda: MobileNetV3Small(num_classes=10), (1, 3, 64, 64)),
    "conv_autoencoder": (lambda: ConvAutoencoder(), (1, 1, 16, 16)),
    "transformer_block_seq8": (lambda: TransformerBlock(), (1, 8, 16)),
}


@pytest.fixture(scope="module")
def batch():
    built = {k: (prepare_scaled(f(), i), s) for i, (k, (f, s)) in enumerate(CASES.items())}
    return build_batch("composites", built, n_inputs=2)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_composite(batch, case):
    check_batch(batch, case)


def test_lower_mobilenet_v3_small(batch):
    ops = {r.op.split("+")[0] for r in batch.models["mobilenet_v3_small_64_10_classes"].report.layers}
    assert {"conv2d", "global_avg_pool", "mul_channel", "linear"} <= ops, ops


@pytest.mark.parametrize("case", list(CASES))
def test_composite_arena_meets_its_lower_bound(batch, case):
    # mobilenet_v3_small's squeeze-excite branches: 98,304 B for a bound of 92,160 B before the
    # planner's longer orders and search (plan/placement.py)
    report = batch.models[case].report
    assert report.arena_bytes == report.arena_lower_bound, report.memory_plan
