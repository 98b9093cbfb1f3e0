"""Xtensa compile-and-link check: every header in include/miniml/ plus two exported models (MLP, CNN) build with
Debian's xtensa-lx106-elf-g++ under the library's strict flags and link into one firmware image.

Debian's lx106 libgcc leaves out the soft-float helpers that the ESP8266 keeps in mask ROM (__addsf3,
__mulsf3, ...); the link maps exactly those to a placeholder ROM address, as the ESP8266 SDK's ROM symbol table
does, and every other symbol must resolve from picolibc and libgcc. A small linker script puts literals before
code (l32r only reaches backwards).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import toolchains

REPO = Path(__file__).resolve().parents[3]
GCC = "xtensa-lx106-elf-gcc"
SPECS = "/usr/lib/xtensa-lx106-elf/picolibc.specs"
FLAGS = ["-std=gnu++11", "-Os", "-mlongcalls", "-ffunction-sections", "-fdata-sections", "-fno-rtti",
         "-fno-exceptions", *toolchains.STRICT, "-specs=" + SPECS]
# Soft-float helpers in the ESP8266 boot ROM; only those missing from libgcc.a get a placeholder address.
ROM_HELPERS = ["__addsf3", "__subsf3", "__mulsf3", "__divsf3", "__floatsisf", "__floatunsisf", "__fixsfsi",
               "__fixunssfsi", "__extendsfdf2", "__truncdfsf2", "__adddf3", "__subdf3", "__muldf3", "__divdf3",
               "__floatsidf", "__floatunsidf", "__fixdfsi", "__fixunsdfsi"]
LINKER_SCRIPT = """\
MEMORY { irom (rx) : ORIGIN = 0x40200000, LENGTH = 0x100000
         dram (rw) : ORIGIN = 0x3FFE8000, LENGTH = 0x14000 }
ENTRY(main)
SECTIONS {
  .text : { *(.literal .literal.*) *(.text .text.*) } > irom
  .rodata : { *(.rodata .rodata.*) } > dram
  .data : { *(.data .data.*) } > dram
  .bss : { *(.bss .bss.* COMMON) } > dram
}
"""

pytestmark = pytest.mark.skipif(shutil.which("xtensa-lx106-elf-g++") is None, reason="no Xtensa toolchain")


def _missing_rom_helpers() -> list[str]:
    libgcc = subprocess.run([GCC, "-print-libgcc-file-name"], check=True, capture_output=True,
                            text=True).stdout.strip()
    defined = set()
    for line in subprocess.run(["xtensa-lx106-elf-nm", libgcc], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "T":
            defined.add(parts[2])
    return [h for h in ROM_HELPERS if h not in defined]


@pytest.fixture(scope="module")
def model_headers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    import miniml
    from torch import nn

    out = tmp_path_factory.mktemp("xtensa_models")
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).eval()
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)).eval()
    miniml.export(mlp, torch.randn(1, 8), "mlp", str(out), golden=2)
    miniml.export(cnn, torch.randn(1, 1, 8, 8), "cnn", str(out), golden=2)
    return out


def test_library_and_models_link_for_xtensa(model_headers: Path, tmp_path: Path) -> None:
    headers = sorted(p.name for p in (REPO / "include" / "miniml").glob("*.h"))
    assert "core_rom.h" in headers
    src = tmp_path / "all.cpp"
    src.write_text(
        "".join('#include "miniml/%s"\n' % h for h in headers)
        + """
#include "mlp.h"
#include "cnn.h"
static mlp::Model g_mlp;
static cnn::Model g_cnn;
static float g_in[cnn::kInputSize];
int main() {
  float out[4];
  g_mlp.predict(g_in, out);
  g_cnn.predict(g_in, out);
  return static_cast<int>(out[0] * 100.0f);
}
"""
    )
    (tmp_path / "lx106.ld").write_text(LINKER_SCRIPT)
    obj = tmp_path / "all.o"
    elf = tmp_path / "all.elf"
    include = ["-I", str(REPO / "include"), "-I", str(model_headers), "-I",
               str(REPO / "platformio_plugin" / "unity" / "src")]
    compile_ = subprocess.run(["xtensa-lx106-elf-g++"] + FLAGS + include + ["-c", str(src), "-o", str(obj)],
                              capture_output=True, text=True)
    assert compile_.returncode == 0, compile_.stderr[-4000:]
    defsyms = ["-Wl,--defsym=%s=0x40000%03x" % (h, 4 * i) for i, h in enumerate(_missing_rom_helpers())]
    link = subprocess.run([GCC, "-nostartfiles", "-Os", "-mlongcalls", "-specs=" + SPECS, str(obj), "-o",
                           str(elf), "-T", str(tmp_path / "lx106.ld"), "-Wl,--gc-sections"] + defsyms + ["-lm"],
                          capture_output=True, text=True)
    assert link.returncode == 0, link.stderr[-4000:]
    symbols = subprocess.run(["xtensa-lx106-elf-nm", str(elf)], check=True, capture_output=True,
                             text=True).stdout
    # Both models' weights survived --gc-sections: predict() really is in the image. The weights sit
    # in an inline namespace named after the content hash (e.g. mlp::v95FAFB1A::WeightsData).
    assert re.search(r"_ZN3mlp(\d+v[0-9A-F]+)?11WeightsDataIvE9t0_weightE", symbols), symbols
    assert re.search(r"_ZN3cnn(\d+v[0-9A-F]+)?11WeightsDataIvE", symbols), symbols
