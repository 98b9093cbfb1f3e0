"""int8 streaming on the simulated boards (ATmega328P in simavr, Cortex-M4F and rv32imc in QEMU): an
int8 LSTM stack + Linear head streamed sample by sample with step() prints every y_t as float bits; each
board's outputs equal the host's (g++ with ASan/UBSan) bit for bit, and the host's equal the integer
reference (miniml.int8.predict on each prefix)."""
import os
import shutil
import subprocess

import miniml
import numpy as np
import pytest
import toolchains
import torch
from harness import BUILD, HOST_FLAGS, INCLUDE, compile_cpp
from miniml.api import int8_graph
from miniml.int8 import predict as predict_int8
from torch import nn

T = 10
OUT = os.path.join(BUILD, "stream_boards")


class LstmHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(3, 8, num_layers=2, batch_first=True), nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.lstm(x)[0])


def _main(xs: np.ndarray) -> str:
    lits = ", ".join(f"{float(v):.9g}f" for v in xs.ravel())
    return f"""#include "lstm_int8.h"
#include "miniml/board_io.h"

template <typename Unused = void>
struct Data {{
  static const float kX[{xs.size}];
}};
template <typename Unused>
const float Data<Unused>::kX[{xs.size}] MINIML_ROM = {{{lits}}};

static lstm_int8::Model model;
static float x[lstm_int8::kStepInputSize], y[lstm_int8::kStepOutputSize];

int main() {{
  miniml::io::begin();
  model.reset_state();
  for (uint16_t t = 0; t < {len(xs)}; ++t) {{
    for (miniml::index_t i = 0; i < lstm_int8::kStepInputSize; ++i) {{
      x[i] = miniml::rom_read(&Data<>::kX[static_cast<uint32_t>(t) * lstm_int8::kStepInputSize + i]);
    }}
    model.step(x, y);
    for (miniml::index_t i = 0; i < lstm_int8::kStepOutputSize; ++i) {{
      miniml::io::print("y ");
      miniml::io::print_float_bits(y[i]);
      miniml::io::print("\\n");
    }}
  }}
  miniml::io::print("done\\n");
  return miniml::io::finish(0);
}}
"""


def _outputs(text: str) -> np.ndarray:
    assert "done" in text, text[-3000:]
    bits = [int(ln.split()[1], 16) for ln in text.splitlines() if ln.startswith("y ")]
    return np.array(bits, np.uint32).view(np.float32).reshape(T, -1)


@pytest.fixture(scope="module")
def host():
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    model = LstmHead().eval()
    cal = rng.standard_normal((32, T, 3)).astype(np.float32)
    xs = (0.8 * rng.standard_normal((T, 3))).astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    miniml.export(model, torch.from_numpy(cal[:1]), "lstm_int8", OUT, streaming=True,
                  quantize="int8", calibration=cal)
    with open(os.path.join(OUT, "main.cpp"), "w") as f:
        f.write(_main(xs))
    exe = compile_cpp(os.path.join(OUT, "main.cpp"), os.path.join(OUT, "host"), [INCLUDE, OUT],
                      HOST_FLAGS)
    run = subprocess.run([exe], capture_output=True, text=True, check=True)
    g = int8_graph(model, torch.from_numpy(cal[:1]), calibration=cal)
    return _outputs(run.stdout), g, xs


def test_host_stream_equals_integer_reference(host):
    got, g, xs = host
    assert any(n.op == "recurrent_s8" and n.attrs["cell"] == "lstm" for n in g.nodes)
    assert len(np.unique(got)) > T  # the outputs move with the input
    # the whole-sequence int8 graph on x_0..x_{T-1}: its output at t is the streamed y_t
    want = predict_int8(g, xs[None]).reshape(T, -1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("board", sorted(toolchains.BOARDS))
def test_stream_on_board_equals_host(host, board):
    cmd = toolchains.BOARDS[board]
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} not installed")
    obj, elf = os.path.join(OUT, f"{board}.o"), os.path.join(OUT, f"{board}.elf")
    build = subprocess.run([*cmd, *toolchains.STRICT, f"-I{INCLUDE}", f"-I{OUT}", "-c",
                            os.path.join(OUT, "main.cpp"), "-o", obj], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-4000:]
    # link with the C driver: the bare-metal toolchains ship no libstdc++ (none is needed)
    link = subprocess.run([cmd[0][:-2] + "cc", *cmd[1:], obj, "-o", elf, "-lm"],
                          capture_output=True, text=True)
    assert link.returncode == 0, link.stderr[-4000:]
    run = subprocess.run(toolchains.run_cmd(elf, 300), capture_output=True, text=True, timeout=400,
                         stdin=subprocess.DEVNULL)
    np.testing.assert_array_equal(_outputs(run.stdout + run.stderr), host[0])
