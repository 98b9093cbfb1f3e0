"""The issue's acceptance model: a CNN (two conv layers) trained here on scikit-learn's bundled 8x8
digits, exported with quantize="int8". int8 loses <= 1 point of test accuracy against float; the
header builds for the ATmega328P within 32 KB of flash and runs in simavr on real test digits with
the host's int8 outputs (every byte, so every prediction), in <= 1.5 KB of SRAM including the stack
(measured by stack painting)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import miniml
import numpy as np
import pytest
import toolchains
import torch
import torch.nn as nn
from harness import BUILD, INCLUDE
from miniml.api import int8_graph
from miniml.int8 import run_int8
from miniml.quant.params import quantize_s8

N_UNO = 40  # test digits run on the simulated Uno
SRAM_LIMIT, FLASH_LIMIT = 1536, 32 * 1024


def _data():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]  # [N, 1, 8, 8] in [0, 1]
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(0).permutation(len(x))
    tr, te = idx[:1300], idx[1300:]
    return x[tr], y[tr], x[te], y[te]


def _train(x, y):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x4x4
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16x2x2
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(0)
    for _ in range(40):
        for b in torch.randperm(len(xt), generator=g).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[b]), yt[b]).backward()
            opt.step()
    return model.eval()


@pytest.fixture(scope="module")
def digits():
    xtr, ytr, xte, yte = _data()
    model = _train(xtr, ytr)
    cal = xtr[:300]
    example = torch.from_numpy(xtr[:1])
    out = os.path.join(BUILD, "quant_digits")
    os.makedirs(out, exist_ok=True)
    report = miniml.export(model, example, "digits", out, quantize="int8", calibration=cal)
    g = int8_graph(model, example, calibration=cal)
    with torch.no_grad():
        float_pred = model(torch.from_numpy(xte)).argmax(1).numpy()
    edges = g.meta["int8_edges"]
    q_out = np.stack([run_int8(g, x)[edges["output"]] for x in xte])
    return dict(
        model=model,
        report=report,
        graph=g,
        xte=xte,
        yte=yte,
        float_pred=float_pred,
        q_out=q_out,
        out_dir=out,
    )


def test_digits_int8_accuracy(digits):
    yte = digits["yte"]
    acc_f = float(np.mean(digits["float_pred"] == yte))
    acc_q = float(np.mean(digits["q_out"].argmax(1) == yte))
    print(f"[digits] float {acc_f:.4f} int8 {acc_q:.4f} on {len(yte)} test digits")
    assert acc_f >= 0.95
    assert acc_q >= acc_f - 0.01, (acc_f, acc_q)
    convs = [r for r in digits["report"].layers if r.op == "conv2d_s8"]
    assert len(convs) >= 2


FIRMWARE = r"""
// Runs the int8 digits CNN on test digits kept in flash; prints every int8 output byte (hex),
// then the SRAM used by .data + .bss and the deepest stack reached (stack painting), then stops.
#include <avr/pgmspace.h>
#include "miniml/board_io.h"
#include "digits.h"
#include "samples.h"

extern uint8_t __heap_start;
extern uint8_t __data_start;

using miniml::io::put;
static void put_hex(uint8_t v) {
  const char* h = "0123456789abcdef";
  put(h[v >> 4]);
  put(h[v & 15]);
}

static digits::Model model;

int main() {
  miniml::io::begin();
  // Paint the free SRAM between the end of .bss and the current stack with a pattern.
  uint8_t* sp = reinterpret_cast<uint8_t*>(SP);
  for (uint8_t* p = &__heap_start; p < sp - 8; ++p) *p = 0xA5;
  static int8_t x[digits::kInputSize];
  static int8_t y[digits::kOutputSize];
  for (uint8_t s = 0; s < kSamples; ++s) {
    for (uint8_t i = 0; i < digits::kInputSize; ++i) {
      x[i] = static_cast<int8_t>(pgm_read_byte(&kDigits[s][i]));
    }
    model.predict_int8(x, y);
    for (uint8_t i = 0; i < digits::kOutputSize; ++i) put_hex(static_cast<uint8_t>(y[i]));
    put('\n');
  }
  uint8_t* p = &__heap_start;
  while (p < reinterpret_cast<uint8_t*>(RAMEND) && *p == 0xA5) ++p;
  put('S'); miniml::io::print_uint(static_cast<uint16_t>(&__heap_start - &__data_start));
  put(' '); miniml::io::print_uint(static_cast<uint16_t>(RAMEND + 1 - reinterpret_cast<uint16_t>(p)));
  put('\n');
  return miniml::io::finish(0);
}
"""


def test_digits_on_simulated_uno(digits):
    for tool in ("avr-g++", "simavr"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    out, g = digits["out_dir"], digits["graph"]
    tin = g.tensor(g.meta["int8_edges"]["input"])
    xs = digits["xte"][:N_UNO]
    xq = np.stack([quantize_s8(x.reshape(-1), tin.scale, tin.zero_point) for x in xs])
    rows = ",\n".join("  {" + ", ".join(str(int(v)) for v in r) + "}" for r in xq)
    with open(os.path.join(out, "samples.h"), "w") as f:
        f.write(
            f"// {N_UNO} test digits quantised with kInputScale / kInputZeroPoint (generated)\n"
            f"static const uint8_t kSamples = {N_UNO};\n"
            f"static const int8_t kDigits[{N_UNO}][64] PROGMEM = {{\n{rows}}};\n"
        )
    src = os.path.join(out, "main.cpp")
    with open(src, "w") as f:
        f.write(FIRMWARE)
    elf = os.path.join(out, "digits.elf")
    subprocess.run(
        [
            *toolchains.cxx("avr"),
            "-DF_CPU=16000000UL",
            # the PlatformIO atmelavr flags: LTO inlines the kernels' asm into their callers (it once
            # exposed a miscompiled dot_rows_s8 that plain -Os did not)
            "-ffunction-sections",
            "-fdata-sections",
            "-flto",
            "-fuse-linker-plugin",
            "-Wl,--gc-sections",
            *toolchains.WARN,
            f"-I{INCLUDE}",
            f"-I{out}",
            src,
            "-o",
            elf,
        ],
        check=True,
    )
    size = subprocess.run(
        ["avr-size", "-A", elf], capture_output=True, text=True, check=True
    ).stdout
    sec = {m[0]: int(m[1]) for m in re.findall(r"^\.(\w+)\s+(\d+)", size, re.M)}
    flash = sec.get("text", 0) + sec.get("data", 0)
    assert flash <= FLASH_LIMIT, size
    r = subprocess.run(
        toolchains.simavr_cmd(elf, 600),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", r.stderr + r.stdout)
    # simavr shows UART text with '.' for newlines
    lines = re.findall(r"\b([0-9a-f]{20})\b", text)
    assert len(lines) == N_UNO, text[-2000:]
    got = np.array(
        [[int(h[2 * i : 2 * i + 2], 16) for i in range(10)] for h in lines], np.uint8
    ).view(np.int8)
    np.testing.assert_array_equal(got, digits["q_out"][:N_UNO])
    np.testing.assert_array_equal(got.argmax(1), digits["q_out"][:N_UNO].argmax(1))
    m = re.search(r"S(\d+) (\d+)", text)
    assert m, text[-500:]
    static, stack = int(m.group(1)), int(m.group(2))
    print(
        f"[digits uno] flash {flash} B, SRAM .data+.bss {static} B + stack {stack} B = "
        f"{static + stack} B; "
        f"sizeof(Model) {digits['report'].ram_bytes} B"
    )
    assert static + stack <= SRAM_LIMIT


def test_digits_whole_model_matches_tflm(digits):
    """The exported digits CNN rebuilt as one TFLite model (same int8 weights, scales, zero points)
    and run by TFLite Micro: every output equals ours to the bit, on every test digit."""
    from miniml.int8 import predict
    from tflm_oracle import GraphRunner

    g = digits["graph"]
    xs = digits["xte"]
    np.testing.assert_array_equal(GraphRunner(g)(xs), predict(g, xs).reshape(len(xs), -1))
