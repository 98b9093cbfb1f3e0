"""The export option optimize: "speed" makes the header define MINIML_OPTIMIZE_SPEED, so an Uno build links
core_float_avr.h's asm multiply-accumulate (dot_f32_avr) and a default ("size") build its smaller loop
(dot_f32_avr_mul: its own multiply, avr-libc's add). A kernel header included before a speed header without the
macro is an #error."""
import os
import subprocess

import pytest
import toolchains
import torch
import torch.nn as nn

import miniml
from harness import BUILD, INCLUDE, prepare

MAIN = """
#include "miniml/board_io.h"  // a miniml header without kernels may come first
#include "NAME.h"
static NAME::Model g_model;
float g_in[NAME::kInputSize], g_out[NAME::kOutputSize];
int main() {
  g_model.predict(g_in, g_out);
  return 0;
}
"""


@pytest.fixture(scope="module")
def exports():
    """The same float MLP exported with each optimize value: name -> its report."""
    out = os.path.join(BUILD, "optimize")
    model = prepare(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)))
    x = torch.randn(1, 6)
    return {
        name: miniml.export(model, x, name, out, **opts)
        for name, opts in (("opt_size", {}), ("opt_speed", {"optimize": "speed"}))
    }


def _firmware(name, tmp_path, main=None):
    src = tmp_path / f"{name}.cpp"
    src.write_text(main or MAIN.replace("NAME", name))
    elf = tmp_path / f"{name}.elf"
    res = subprocess.run([*toolchains.BOARDS["uno"], *toolchains.STRICT, f"-I{INCLUDE}",
                          f"-I{os.path.join(BUILD, 'optimize')}", str(src), "-o", str(elf)],
                         capture_output=True, text=True, timeout=120)
    return elf, res


def test_speed_links_the_float_mac(exports, tmp_path):
    """Which dot product the Uno links; both give the same bits (test/python/fuzz/test_fuzz_float_mac.py)."""
    assert exports["opt_size"].optimize == "size" and exports["opt_speed"].optimize == "speed"
    linked = {}
    for name in exports:
        elf, res = _firmware(name, tmp_path)
        assert res.returncode == 0, res.stderr[-3000:]
        nm = subprocess.run(["avr-nm", "-C", str(elf)], capture_output=True, text=True, check=True).stdout
        linked[name] = ("dot_f32_avr(" in nm, "dot_f32_avr_mul(" in nm, "__mulsf3" in nm)
    assert linked == {"opt_size": (False, True, True), "opt_speed": (True, False, True)}


def test_speed_header_after_a_size_kernel_header_is_an_error(exports, tmp_path):
    main = '#include "miniml/op_linear.h"\n#include "opt_speed.h"\nint main() { return 0; }\n'
    _, res = _firmware("late", tmp_path, main)
    assert res.returncode != 0
    assert "opt_speed.h was exported with optimize=speed: include it before" in res.stderr, res.stderr[-2000:]
