"""Generated headers and the float kernels compile for AVR, Cortex-M4, RV32 and Xtensa with -Werror; int8 and float
models for AVR and the Cortex-M4 at every optimisation level."""
import os
import re
import shutil
import subprocess

import pytest
import toolchains
import torch
import torch.nn as nn

import miniml
from harness import BUILD, INCLUDE, prepare
from test_models import KitchenSink, SensorNet, TinyMobileNet, mlp

OUT = os.path.join(BUILD, "cross")
WARN = [*toolchains.WARN, "-fno-exceptions", "-fno-rtti"]
TARGETS = {
    "avr": toolchains.cxx("avr"),
    "cortex_m4": [*toolchains.cxx("cortex_m4f", opt="-O2"), "-ffp-contract=off"],
    "rv32imc": [
        *toolchains.cxx("rv32imc", opt="-O2"), "--specs=picolibc.specs", "-ffp-contract=off",
    ],
    "xtensa_lx106": toolchains.cxx("lx106", opt="-O2"),
}
# every kernel header (found, not listed: a new op header is checked without editing this file)
FLOAT_HEADERS = sorted(h for h in os.listdir(os.path.join(INCLUDE, "miniml"))
                       if h.startswith(("core_", "op_")))


MODELS = {
    "sensor": (SensorNet, (1, 3, 64)),
    "mobilenet": (TinyMobileNet, (1, 1, 16, 16)),
    "mlp": (mlp, (1, 4, 4)),
    "sink": (KitchenSink, (1, 2, 8, 8)),
    "norm": (lambda: nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8)), (1, 3, 6)),
}


@pytest.fixture(scope="module")
def main_cpp():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for i, (name, (factory, shape)) in enumerate(MODELS.items()):
        miniml.export(prepare(factory(), i), torch.randn(*shape), name, OUT, golden=1)
        lines.append(f'#include "{name}.h"')
    lines.append("float g_in[512];\nfloat g_out[16];")
    for name in MODELS:
        lines.append(f"{name}::Model g_{name};")
    lines.append("int run() {")
    for name in MODELS:
        lines.append(f"  g_{name}.predict(g_in, g_out);")
        lines.append(f"  g_out[0] += miniml::rom_read(&{name}::Golden::kOutputs[0]);")
    lines.append("  return g_out[0] > 0.0f ? 1 : 0;\n}")
    path = os.path.join(OUT, "main.cpp")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("target", list(TARGETS))
def test_cross_compile_models(main_cpp, target):
    cmd = TARGETS[target]
    if shutil.which(cmd[0]) is None:
        pytest.fail(f"{cmd[0]} is not installed (scripts/setup.sh installs it)")
    obj = os.path.join(OUT, f"main_{target}.o")
    res = subprocess.run([*cmd, *WARN, f"-I{INCLUDE}", f"-I{OUT}", "-c", main_cpp, "-o", obj],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    assert os.path.getsize(obj) > 0


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("header", FLOAT_HEADERS)
def test_cross_compile_header_alone(tmp_path, target, header):
    src = tmp_path / "h.cpp"
    src.write_text(f'#include "miniml/{header}"\n')
    res = subprocess.run([*TARGETS[target], *WARN, f"-I{INCLUDE}", "-fsyntax-only", str(src)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]


# Every optimisation level users build with (PlatformIO's `pio debug` uses -Og) compiles the kernels' asm or
# their plain C path: an int8 CNN (conv, depthwise at stride 1 and 2, transposed conv, pointwise, linear: the AVR
# asm and Cortex-M4 DSP kernels, the AVR window path that -Og once failed on, the AVR fused conv + max pool with
# 3-wide and 1-wide rows) and a float MLP (optimize="speed": the AVR float multiply-accumulate asm).
LEVELS = ["-O0", "-Og", "-O1", "-Os", "-O2", "-O3"]
LEVEL_TARGETS = {
    "avr": lambda opt: toolchains.cxx("avr", opt=opt),
    "cortex_m4_dsp": lambda opt: [*toolchains.cxx("cortex_m4f", opt=opt), "-ffp-contract=off"],
}
LEVELS_MAIN = r"""
#include "miniml/board_io.h"
#include "levels_f.h"  // first: exported with optimize="speed" (the AVR float multiply-accumulate asm)
#include "levels_q.h"
static levels_q::Model g_q;
static levels_f::Model g_f;
static float g_in[levels_q::kInputSize];
static float g_out[levels_q::kOutputSize];

static int g_bad = 0;  // outputs off the header's golden outputs

// Runs model on its header's golden inputs; prints the outputs' exact bits. tolerance: the int8 model's
// goldens are its integer reference's outputs, exactly; the float model's within the header's tolerance.
template <class Golden, class Model>
static void run_golden(Model& model, miniml::index_t count, float tolerance) {
  for (miniml::index_t v = 0; v < count; ++v) {
    for (miniml::index_t i = 0; i < Golden::kInputFloats; ++i) {
      g_in[i] = miniml::rom_read(&Golden::kInputs[v * Golden::kInputFloats + i]);
    }
    model.predict(g_in, g_out);
    for (miniml::index_t i = 0; i < Golden::kOutputFloats; ++i) {
      miniml::io::print_float_bits(g_out[i]);
      const float want = miniml::rom_read(&Golden::kOutputs[v * Golden::kOutputFloats + i]);
      const float diff = g_out[i] > want ? g_out[i] - want : want - g_out[i];
      g_bad += diff > tolerance * (want > 1.0f ? want : want < -1.0f ? -want : 1.0f);
    }
  }
}

static void run() {
  miniml::io::begin();
  miniml::io::put('<');
  run_golden<levels_q::Golden>(g_q, levels_q::kGoldenCount, 0.0f);
  run_golden<levels_f::Golden>(g_f, levels_f::kGoldenCount, levels_f::Golden::kTolerance);
  miniml::io::print(">\nbad ");
  miniml::io::print_uint(static_cast<uint32_t>(g_bad));
  miniml::io::print("\n");
  miniml::io::finish(0);
}
MINIML_MAIN(run)
"""


@pytest.fixture(scope="module")
def levels_main():
    out = os.path.join(BUILD, "cross_levels")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    q = nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),            # 8x8
        nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.ReLU(),            # depthwise, stride 1
        nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),            # 4x4
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.ReLU(),  # depthwise, stride 2: 2x2
        nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 4x4
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # fused conv + max pool, 3-wide rows: 2x2
        nn.Conv2d(16, 32, 1), nn.ReLU(), nn.MaxPool2d(2),            # fused, any width: 1x1
        nn.Flatten(), nn.Linear(32, 4)).eval()
    cal = torch.randn(32, 1, 16, 16)
    miniml.export(q, cal[:1], "levels_q", out, quantize="int8", calibration=cal.numpy(), golden=2)
    f = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    miniml.export(f, torch.randn(1, 6), "levels_f", out, golden=2, optimize="speed")
    path = os.path.join(out, "main.cpp")
    with open(path, "w") as fh:
        fh.write(LEVELS_MAIN)
    return path


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("target", list(LEVEL_TARGETS))
def test_kernels_build_at_every_level(levels_main, tmp_path, target, level):
    cmd = LEVEL_TARGETS[target](level)
    obj = tmp_path / "main.o"
    res = subprocess.run([*cmd, *WARN, f"-I{INCLUDE}", f"-I{os.path.dirname(levels_main)}", "-c", levels_main,
                          "-o", str(obj)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-4000:]
    if target == "cortex_m4_dsp":
        # the DSP asm at every optimised level; at -O0 (where gcc cannot place its operands) the plain C path
        dis = subprocess.run(["arm-none-eabi-objdump", "-d", str(obj)], capture_output=True, text=True).stdout
        assert ("smlad" in dis) == (level != "-O0"), level
    else:  # the float MAC asm at every level
        nm = subprocess.run(["avr-nm", "-C", str(obj)], capture_output=True, text=True).stdout
        assert "dot_f32_avr" in nm, level


def test_avr_outputs_equal_at_debug_levels(levels_main, tmp_path):
    """-O0 and -Og firmware prints the same output bits in simavr as the default -Os, the int8 model's exactly
    the host's integer reference outputs (the header's goldens), the float model's within their tolerance. On
    the ATmega1284P (the Uno's instruction set): at -O0 the firmware outgrows the Uno's 32 KB of flash."""
    printed = {}
    for level in ("-Os", "-O0", "-Og"):
        elf = tmp_path / f"levels{level}.elf"
        subprocess.run(["avr-g++", "-mmcu=atmega1284p", "-DF_CPU=16000000UL", level, "-std=gnu++11", *toolchains.NO_EH,
                        *toolchains.STRICT, f"-I{INCLUDE}", f"-I{os.path.dirname(levels_main)}", levels_main, "-o",
                        str(elf)], check=True, timeout=120)
        r = subprocess.run(["timeout", "60", "simavr", "-m", "atmega1284p", "-f", "16000000", str(elf)],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        found = re.findall(r"<([0-9a-f]*)>", r.stdout + r.stderr)
        assert r.returncode == 0 and len(found) == 1, r.stdout[-2000:] + r.stderr[-2000:]
        bad = re.search(r"bad (\d+)", r.stdout + r.stderr)
        assert bad and bad.group(1) == "0", level
        printed[level] = found[0]
    assert len(printed["-Os"]) == 8 * 2 * (4 + 3)  # 2 golden vectors of both models, 8 hex digits a float
    assert printed["-O0"] == printed["-Os"]
    assert printed["-Og"] == printed["-Os"]
