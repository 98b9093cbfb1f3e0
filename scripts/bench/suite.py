"""The fixed benchmark suite: models, their inputs, the export variants and the boards each variant
runs on.

Every model is built with fixed seeds (torch.manual_seed, numpy default_rng) on one thread, so
the exported weights, and with them the cycle counts, are the same from run to run. The digits
CNN is trained for a few epochs on scikit-learn's bundled 8x8 digits (architecture of
examples/digits_int8); the others keep their seeded initial weights: speed and memory do not
depend on how well a model was trained."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class Variant:
    precision: str  # "float", "int8", "int8+float head"
    options: Dict[str, Any]
    targets: Tuple[str, ...]
    learn: Optional[str] = None  # None, "mse" or "ce": which learn() the firmware calls
    int8_only: bool = False  # measure predict_int8 alone (no float input buffer), and per layer


@dataclass
class Model:
    name: str
    about: str
    build: Callable[
        [], Tuple[Any, np.ndarray, np.ndarray]
    ]  # -> (module, bench input [1,...], calibration)
    variants: List[Variant] = field(default_factory=list)


def _seeded(seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)


def mlp16():
    from torch import nn

    _seeded(0)
    m = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)).eval()
    rng = np.random.default_rng(0)
    return (
        m,
        rng.standard_normal((1, 16)).astype(np.float32),
        rng.standard_normal((128, 16)).astype(np.float32),
    )


def sensor_head():
    """A 16-32-16 backbone (int8) with the final Linear(16, 4) as the float head that learns."""
    from torch import nn

    _seeded(1)
    m = nn.Sequential(
        nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 4)
    ).eval()
    rng = np.random.default_rng(1)
    return (
        m,
        rng.standard_normal((1, 16)).astype(np.float32),
        rng.standard_normal((128, 16)).astype(np.float32),
    )


def conv_learn():
    """A 1-D conv net 1x16 whose depthwise conv (folded with its BatchNorm) learns on the device."""
    import torch
    from torch import nn

    _seeded(2)
    m = nn.Sequential(
        nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(),
        nn.Conv1d(4, 4, 3, padding=1, groups=4), nn.BatchNorm1d(4), nn.ReLU(),
        nn.MaxPool1d(2), nn.Flatten(), nn.Linear(32, 3),
    )
    with torch.no_grad():
        m[3].running_mean.uniform_(-0.5, 0.5)
        m[3].running_var.uniform_(0.5, 1.5)
    rng = np.random.default_rng(2)
    return (
        m.eval(),
        rng.standard_normal((1, 1, 16)).astype(np.float32),
        rng.standard_normal((128, 1, 16)).astype(np.float32),
    )


CONV_LEARN = {"on_device_learning": True, "loss": "cross_entropy", "momentum": 0.9,
              "trainable": "2.weight,2.bias,7.bias"}


def digits_cnn():
    import torch
    from sklearn.datasets import load_digits
    from torch import nn

    _seeded(0)
    digits = load_digits()
    images = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target)
    m = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    for _ in range(8):
        for batch in torch.arange(1500).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(m(images[batch]), labels[batch]).backward()
            opt.step()
    m.eval()
    return m, images[1500:1501].numpy(), images[:128].numpy()


def vibration_resnet():
    """1-D residual sensor CNN (architecture of examples/vibration_cnn): 1x64 -> 3 classes."""
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self, channels: int):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv1d(channels, channels, 3, padding=1),
                nn.BatchNorm1d(channels),
                nn.ReLU(),
                nn.Conv1d(channels, channels, 3, padding=1),
                nn.BatchNorm1d(channels),
            )

        def forward(self, x):
            return torch.relu(x + self.body(x))

    _seeded(2)
    m = nn.Sequential(
        nn.Conv1d(1, 8, 5, stride=2, padding=2),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        Residual(8),
        nn.MaxPool1d(2),
        Residual(8),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    ).eval()
    rng = np.random.default_rng(2)
    t = np.arange(64, dtype=np.float32)

    def win(n: int) -> np.ndarray:
        phase = rng.uniform(0, 6.28, (n, 1))
        x = np.sin(0.3 * t + phase) + 0.2 * rng.standard_normal((n, 64))
        return x.astype(np.float32)[:, None, :]

    return m, win(1), win(128)


def ds_cnn():
    """Depthwise-separable 2-D CNN, 1x32x32 -> 10 (MobileNet-style blocks)."""
    from torch import nn

    _seeded(3)
    m = nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1),
        nn.ReLU(),  # 8 x 16 x 16
        nn.Conv2d(8, 8, 3, padding=1, groups=8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 1),
        nn.ReLU(),  # 8x8
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    ).eval()
    rng = np.random.default_rng(3)
    return (
        m,
        rng.standard_normal((1, 1, 32, 32)).astype(np.float32),
        rng.standard_normal((64, 1, 32, 32)).astype(np.float32),
    )


# MLPerf Tiny v1.x reference models (int8, seeded random weights, calibrated on seeded noise; the
# shapes follow the reference Keras models, with PyTorch's symmetric padding where TF pads 'same').
def _conv_bn_relu(cin: int, cout: int, k, stride=1, padding=0, groups=1):
    from torch import nn

    return [
        nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    ]


def _seeded_bn(m, seed: int):
    """Gives every BatchNorm seeded running statistics, so folding them is not the identity."""
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(seed)
    for bn in m.modules():
        if isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = bn.num_features
            bn.running_mean.copy_(0.1 * torch.randn(n, generator=g))
            bn.running_var.copy_(0.5 + torch.rand(n, generator=g))
            bn.weight.data.copy_(0.5 + torch.rand(n, generator=g))
            bn.bias.data.copy_(0.1 * torch.randn(n, generator=g))
    return m.eval()


def _noise(seed: int, shape, n_cal: int):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((1, *shape)).astype(np.float32),
        rng.standard_normal((n_cal, *shape)).astype(np.float32),
    )


def kws_ds_cnn():
    """MLPerf Tiny KWS: DS-CNN on 49x10 MFCC, conv 64 10x4/2, 4 x (dw 3x3 + pw 64), avg pool, fc 12."""
    from torch import nn

    _seeded(10)
    layers = _conv_bn_relu(1, 64, (10, 4), stride=2, padding=(5, 1))
    for _ in range(4):
        layers += _conv_bn_relu(64, 64, 3, padding=1, groups=64) + _conv_bn_relu(64, 64, 1)
    m = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 12))
    return (_seeded_bn(m, 10), *_noise(10, (1, 49, 10), 32))


def resnet8():
    """MLPerf Tiny IC: ResNet-8 on 32x32x3 CIFAR-10, stacks of 16/32/64 channels, fc 10."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.body = nn.Sequential(
                *_conv_bn_relu(cin, cout, 3, stride, 1),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
            )
            self.skip = nn.Identity() if stride == 1 else nn.Conv2d(cin, cout, 1, stride=stride)

        def forward(self, x):
            return torch.relu(self.skip(x) + self.body(x))

    _seeded(11)
    m = nn.Sequential(
        *_conv_bn_relu(3, 16, 3, 1, 1),
        Block(16, 16, 1),
        Block(16, 32, 2),
        Block(32, 64, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    return (_seeded_bn(m, 11), *_noise(11, (3, 32, 32), 16))


def fc_autoencoder():
    """MLPerf Tiny AD: FC autoencoder 640-128-128-128-128-8-128-128-128-128-640 (BN + ReLU)."""
    from torch import nn

    _seeded(12)
    sizes = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    m = nn.Sequential(*layers, nn.Linear(128, 640))
    return (_seeded_bn(m, 12), *_noise(12, (640,), 64))


def vww_mobilenet():
    """MLPerf Tiny VWW: MobileNetV1 alpha 0.25 on 96x96x3, 13 depthwise-separable blocks, fc 2."""
    from torch import nn

    _seeded(13)
    layers = _conv_bn_relu(3, 8, 3, 2, 1)
    cin = 8
    for cout, stride in (
        [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)]
        + [(128, 1)] * 5
        + [
            (256, 2),
            (256, 1),
        ]
    ):
        layers += _conv_bn_relu(cin, cin, 3, stride, 1, groups=cin) + _conv_bn_relu(cin, cout, 1)
        cin = cout
    m = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 2))
    return (_seeded_bn(m, 13), *_noise(13, (3, 96, 96), 8))


def gru_gesture():
    """GRU(3->16) + Linear(16->3) on the last step (an IMU gesture classifier), 8 steps of 3 axes;
    streamed one sample at a time (the step row is one step() after reset_state())."""
    from torch import nn

    class GruHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru, self.head = nn.GRU(3, 16, batch_first=True), nn.Linear(16, 3)

        def forward(self, x):
            return self.head(self.gru(x)[0][:, -1])

    _seeded(4)
    rng = np.random.default_rng(4)
    return (GruHead().eval(), rng.standard_normal((1, 8, 3)).astype(np.float32),
            rng.standard_normal((64, 8, 3)).astype(np.float32))


def lstm_sensor():
    """LSTM(4->16) + Linear(16->2) on the last of 32 steps (a sensor model), float and int8 (TFLM's
    int8 LSTM arithmetic), streamed."""
    from torch import nn

    class LstmHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(4, 16, batch_first=True), nn.Linear(16, 2)

        def forward(self, x):
            return self.head(self.lstm(x)[0][:, -1])

    _seeded(5)
    rng = np.random.default_rng(5)
    return (LstmHead().eval(), rng.standard_normal((1, 32, 4)).astype(np.float32),
            rng.standard_normal((64, 32, 4)).astype(np.float32))


ALL = ("uno", "stm32", "esp32c3")
SPEED = {"optimize": "speed"}  # faster, bigger kernels: the row's precision says "(speed)"
SUITE: List[Model] = [
    Model(
        "mlp16",
        "MLP 16-16-4 (ReLU)",
        mlp16,
        [
            Variant("float", {}, ALL),
            Variant("int8", {"quantize": "int8"}, ALL),
            Variant("float", {"on_device_learning": True, "loss": "mse"}, ALL, learn="mse"),
            # optimize="speed": the Uno's float multiply-accumulate asm (the other boards build the same)
            Variant("float", SPEED, ("uno",)),
            Variant("float", {"on_device_learning": True, "loss": "mse", **SPEED}, ("uno",),
                    learn="mse"),
        ],
    ),
    Model(
        "digits_cnn",
        "digits CNN 1x8x8: conv8-pool-conv16-pool-fc10",
        digits_cnn,
        [
            Variant("int8", {"quantize": "int8"}, ALL),
            Variant("float", {}, ("stm32", "esp32c3")),
            Variant("int8+float conv", {"quantize": "int8", "on_device_learning": True,
                                        "loss": "cross_entropy", "trainable": "3.weight,3.bias"},
                    ("stm32", "esp32c3"), learn="ce"),
            # the first conv's bias learns: the frozen conv after it stays int8 (int8/mixed.py)
            Variant("int8+first conv bias", {"quantize": "int8", "on_device_learning": True,
                                             "loss": "cross_entropy", "trainable": "0.bias"},
                    ("stm32", "esp32c3"), learn="ce"),
        ],
    ),
    Model(
        "vibration_resnet",
        "1-D residual CNN 1x64: conv8/2 + 2 residual blocks",
        vibration_resnet,
        [
            Variant("int8", {"quantize": "int8"}, ALL),
            Variant("float", {}, ("stm32", "esp32c3")),
        ],
    ),
    Model(
        "sensor_head",
        "16-32-16 int8 backbone, float Linear(16,4) head learning",
        sensor_head,
        [
            Variant(
                "int8+float head",
                {"quantize": "int8", "on_device_learning": True, "loss": "cross_entropy"},
                ALL,
                learn="ce",
            ),
            Variant(
                "int8+float head",
                {"quantize": "int8", "on_device_learning": True, "loss": "cross_entropy", **SPEED},
                ("uno",),
                learn="ce",
            ),
            # the first Linear's and the head's biases learn: the frozen Linear(32, 16) between stays
            # int8 (int8/mixed.py)
            Variant("int8+biases", {"quantize": "int8", "on_device_learning": True,
                                    "loss": "cross_entropy", "trainable": "0.bias,4.bias"},
                    ALL, learn="ce"),
            Variant(
                "float", {"on_device_learning": True, "loss": "cross_entropy"}, ALL, learn="ce"
            ),
            Variant("float", {"on_device_learning": True, "loss": "cross_entropy", **SPEED},
                    ("uno",), learn="ce"),
            Variant(
                "float+adam",
                {"on_device_learning": True, "loss": "cross_entropy", "optimizer": "adam"},
                ALL,
                learn="ce",
            ),
        ],
    ),
    Model(
        "conv_learn",
        "1-D CNN 1x16: conv4-dwconv4(+BN)-pool-fc3, the depthwise conv and the head bias learning",
        conv_learn,
        [
            Variant("float", CONV_LEARN, ALL, learn="ce"),
            Variant("int8+float conv", {"quantize": "int8", **CONV_LEARN}, ALL, learn="ce"),
        ],
    ),
    Model(
        "ds_cnn",
        "depthwise-separable CNN 1x32x32 -> 10",
        ds_cnn,
        [
            Variant("int8", {"quantize": "int8"}, ("stm32", "esp32c3")),
            Variant("float", {}, ("stm32", "esp32c3")),
        ],
    ),
]

SUITE += [
    Model(
        "gru_gesture",
        "GRU(3->16) + Linear(16->3), 8 steps x 3 axes, streamed",
        gru_gesture,
        [Variant("int8 streaming", {"quantize": "int8", "streaming": True}, ALL),
         Variant("float streaming", {"streaming": True}, ALL)],
    ),
    Model(
        "lstm_sensor",
        "LSTM(4->16) + Linear(16->2), 32 steps x 4 channels",
        lstm_sensor,
        [Variant("int8 streaming", {"quantize": "int8", "streaming": True}, ALL),
         Variant("float streaming", {"streaming": True}, ("stm32", "esp32c3"))],
    ),
]

# The MLPerf Tiny models: int8 on the Cortex-M4 only (their size is for that class of board), without the
# float edges (a 96x96x3 float input alone would take most of the simulated board's RAM), and measured
# layer by layer too ("per_layer").
MLPERF_INT8 = Variant("int8", {"quantize": "int8"}, ("stm32",), int8_only=True)
SUITE += [
    Model("kws_ds_cnn", "MLPerf Tiny KWS DS-CNN 49x10 -> 12", kws_ds_cnn, [MLPERF_INT8]),
    Model("resnet8", "MLPerf Tiny IC ResNet-8 3x32x32 -> 10", resnet8, [MLPERF_INT8]),
    Model(
        "fc_autoencoder",
        "MLPerf Tiny AD FC autoencoder 640 -> 8 -> 640",
        fc_autoencoder,
        [MLPERF_INT8],
    ),
    Model(
        "vww_mobilenet",
        "MLPerf Tiny VWW MobileNetV1 0.25 3x96x96 -> 2",
        vww_mobilenet,
        [MLPERF_INT8],
    ),
]

# MLPerf Tiny v1.2 closed division, X-CUBE-AI 9.0 on NUCLEO-L4R5ZI (Cortex-M4 @ 120 MHz), median latency.
MLPERF_PUBLISHED = {
    "kws_ds_cnn": 43.19,
    "vww_mobilenet": 88.93,
    "resnet8": 165.1,
    "fc_autoencoder": 5.26,
}

# Published figures of other engines, shown next to ours and labelled as such (not measured here).
ANCHORS = [
    {
        "what": "MiniML Engine MLP 16-16-4 float predict",
        "board": "ATmega328P @ 16 MHz (simavr)",
        "ms": 5.47,
        "compare": ("mlp16", "uno", "float (speed)", "predict"),
    },
    {
        "what": "MiniML Engine MLP 16-16-4 float training step",
        "board": "ATmega328P @ 16 MHz (simavr)",
        "ms": 6.56,
        "compare": ("mlp16", "uno", "float+learn (speed)", "learn_fresh"),
    },
    {
        "what": 'MiniML Engine MLP 16-16-4 "int8" predict',
        "board": "ATmega328P @ 16 MHz (simavr)",
        "ms": 9.71,
        "compare": ("mlp16", "uno", "int8", "predict"),
    },
    {
        "what": "MiniML Engine 8x8 CNN predict",
        "board": "ATmega328P @ 16 MHz (simavr)",
        "ms": 49.9,
        "compare": ("digits_cnn", "uno", "int8", "predict"),
    },
    {
        "what": "FastGRNN one sample (streamed RNN step)",
        "board": "Arduino Uno (ATmega328P @ 16 MHz)",
        "ms": 9.21,
        "compare": ("gru_gesture", "uno", "int8 streaming", "step"),
    },
    {
        "what": "TinyMaix MNIST predict",
        "board": "ATmega328P @ 16 MHz",
        "ms": 50.0,
        "compare": ("digits_cnn", "uno", "int8", "predict"),
    },
]

# The targets: (model, target, precision, field, limit in ms, label).
TARGETS = [
    ("mlp16", "uno", "int8", "predict", 0.3, "int8 MLP 16-16-4 predict <= 0.3 ms on the Uno"),
    ("mlp16", "uno", "float", "predict", 5.0, "float MLP 16-16-4 predict <= 5.0 ms on the Uno"),
    (
        "sensor_head",
        "uno",
        "int8+float head+learn",
        "learn_fresh",
        1.5,
        "training step on an int8 backbone <= 1.5 ms on the Uno",
    ),
    ("digits_cnn", "uno", "int8", "predict", 10.0, "digits CNN int8 predict <= 10 ms on the Uno"),
    (
        "gru_gesture",
        "uno",
        "int8 streaming",
        "step",
        4.0,
        "int8 GRU(3->16)+Linear streaming step <= 4 ms on the Uno",
    ),
]

# Issue 17's targets in the counter's unit: (model or None for the kernel table, board, precision,
# field, limit, per MAC, label).
COUNT_TARGETS = [
    ("kws_ds_cnn", "stm32", "int8", "predict_int8", 2.0, True, "KWS DS-CNN <= 2.0 instr/MAC (M4)"),
    ("resnet8", "stm32", "int8", "predict_int8", 2.0, True, "ResNet-8 <= 2.0 instr/MAC (M4)"),
    (
        "vww_mobilenet",
        "stm32",
        "int8",
        "predict_int8",
        2.0,
        True,
        "VWW MobileNet <= 2.0 instr/MAC (M4)",
    ),
    ("digits_cnn", "stm32", "int8", "predict_int8", 5.0, True, "digits_cnn <= 5 instr/MAC (M4)"),
    (
        "mlp16",
        "stm32",
        "int8",
        "predict_int8",
        1800,
        False,
        "mlp16 predict_int8 <= 1800 instr (M4)",
    ),
    ("digits_cnn", "uno", "int8", "predict", 20.0, True, "digits_cnn int8 <= 20 cycles/MAC (Uno)"),
    (
        "mlp16",
        "uno",
        "int8",
        "predict_int8",
        7200,
        False,
        "mlp16 predict_int8 <= 7200 cycles (Uno)",
    ),
    ("mlp16", "uno", "int8", "predict", 16000, False, "mlp16 int8 predict <= 16000 cycles (Uno)"),
    ("mlp16", "uno", "float", "predict", 80000, False, "mlp16 float predict <= 80000 cycles (Uno)"),
    (
        "sensor_head",
        "uno",
        "int8+float head+learn",
        "learn",
        48000,
        False,
        "sensor_head learn() right after predict() <= 48000 cycles (Uno)",
    ),
    (
        "sensor_head",
        "uno",
        "int8+float head+learn",
        "learn_fresh",
        48000,
        False,
        "sensor_head learn() on a fresh input <= 48000 cycles (Uno)",
    ),
    (None, "esp32c3", None, "dot_s8_per_mac", 6.0, True, "int8 dot <= 6 instr/MAC (rv32imc)"),
]
