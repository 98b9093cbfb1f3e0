"""The export option optimize: "speed" makes the header define MINIML_OPTIMIZE_SPEED, so an Uno build links
core_float_avr.h's asm multiply-accumulate (dot_f32_avr) and a default ("size") build the plain loop; both print
the same output bits in simavr. A kernel header included before a speed header without the macro is an #error."""
import os
import re
import subprocess

import pytest
import toolchains
import torch
import torch.nn as nn

import miniml
from harness import BUILD, INCLUDE, prepare

MAIN = r"""
#include "miniml/board_io.h"
#include "%s.h"
static %s::Model g_model;
static float g_in[%s::kInputSize];
static float g_out[%s::kOutputSize];

static void run() {
  miniml::io::begin();
  miniml::io::put('<');
  for (miniml::index_t v = 0; v < %s::kGoldenCount; ++v) {
    for (miniml::index_t i = 0; i < %s::Golden::kInputFloats; ++i) {
      g_in[i] = miniml::rom_read(&%s::Golden::kInputs[v * %s::Golden::kInputFloats + i]);
    }
    g_model.predict(g_in, g_out);
    for (miniml::index_t i = 0; i < %s::kOutputSize; ++i) miniml::io::print_float_bits(g_out[i]);
  }
  miniml::io::print(">\n");
  miniml::io::finish(0);
}
MINIML_MAIN(run)
"""


@pytest.fixture(scope="module")
def exports():
    """The same float MLP exported with each optimize value: name -> (folder, report)."""
    out = os.path.join(BUILD, "optimize")
    model = prepare(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)))
    x = torch.randn(1, 6)
    return {
        name: miniml.export(model, x, name, out, golden=2, **opts)
        for name, opts in (("opt_size", {}), ("opt_speed", {"optimize": "speed"}))
    }


def _firmware(name, tmp_path, main=None):
    src = tmp_path / f"{name}.cpp"
    src.write_text(main or MAIN.replace("%s", name))
    elf = tmp_path / f"{name}.elf"
    res = subprocess.run([*toolchains.BOARDS["uno"], *toolchains.STRICT, f"-I{INCLUDE}",
                          f"-I{os.path.join(BUILD, 'optimize')}", str(src), "-o", str(elf)],
                         capture_output=True, text=True, timeout=120)
    return elf, res


def test_speed_links_the_float_mac_and_prints_the_same_bits(exports, tmp_path):
    assert exports["opt_size"].optimize == "size" and exports["opt_speed"].optimize == "speed"
    printed, symbols = {}, {}
    for name in exports:
        elf, res = _firmware(name, tmp_path)
        assert res.returncode == 0, res.stderr[-3000:]
        nm = subprocess.run(["avr-nm", "-C", str(elf)], capture_output=True, text=True, check=True).stdout
        symbols[name] = "dot_f32_avr" in nm
        run = subprocess.run(toolchains.simavr_cmd(str(elf), 60), stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
        found = re.findall(r"<([0-9a-f]*)>", run.stdout + run.stderr)
        assert len(found) == 1, run.stdout[-2000:] + run.stderr[-2000:]
        printed[name] = found[0]
    assert symbols == {"opt_size": False, "opt_speed": True}
    assert len(printed["opt_size"]) == 8 * 2 * 3  # 2 golden vectors, 3 outputs, 8 hex digits a float
    assert printed["opt_speed"] == printed["opt_size"]


def test_speed_header_after_a_size_kernel_header_is_an_error(exports, tmp_path):
    main = '#include "miniml/op_linear.h"\n#include "opt_speed.h"\nint main() { return 0; }\n'
    _, res = _firmware("late", tmp_path, main)
    assert res.returncode != 0
    assert "opt_speed.h was exported with optimize=speed: include it before" in res.stderr, res.stderr[-2000:]
