"""Generated headers and the float kernels compile for AVR, Cortex-M4, RV32 and Xtensa with -Werror."""
import os
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
