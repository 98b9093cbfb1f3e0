"""include/miniml/stream.h and window.h: compile alone with -Werror for AVR (bare and Arduino core),
Cortex-M4, RV32 and Xtensa; stream_row's text, on the host and the simulated Uno, parses back (capture's
own parser) to the values within half a unit of the last decimal; and window.h's windows are bit-identical to `miniml dataset`'s, run on
the host (ASan/UBSan) and on the simulated Uno."""
from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest
import toolchains
from harness import INCLUDE

from miniml.sensor.dataset import make_dataset
from miniml.sensor.lines import parse_row

ARDUINO_AVR = "/usr/share/arduino/hardware/arduino/avr"
TARGETS = {
    "avr": toolchains.cxx("avr"),
    "avr_arduino": [*toolchains.cxx("avr"), "-DARDUINO=10819", "-DARDUINO_ARCH_AVR", "-DARDUINO_AVR_UNO",
                    "-DF_CPU=16000000L", f"-I{ARDUINO_AVR}/cores/arduino", f"-I{ARDUINO_AVR}/variants/standard"],
    "cortex_m4": toolchains.cxx("cortex_m4f", opt="-O2"),
    "rv32imc": [*toolchains.cxx("rv32imc", opt="-O2"), "--specs=picolibc.specs"],
    "xtensa_lx106": [*toolchains.cxx("lx106", opt="-O2"), "-specs=/usr/lib/xtensa-lx106-elf/picolibc.specs"],
}
USES = r"""
#include "miniml/stream.h"
#include "miniml/window.h"
static miniml::Window<float, 8, 4, 3> g_window;
void stream_all(const float* f, const short* s, const unsigned char* u, const long* l) {
  miniml::stream_row(f, 3);
  miniml::stream_row(s, 2, 0);
  miniml::stream_row(u, 1);
  miniml::stream_row(l, 1);
  if (g_window.push(f)) {
    float w[24];
    g_window.copy(w);
    miniml::stream_row(w, 24, 4);
  }
#if defined(ARDUINO)
  miniml::stream_row(Serial, f, 3);
#endif
}
"""


def _compile(tmp_path, target: str, source: str, extra=()) -> subprocess.CompletedProcess:
    src = tmp_path / "uses.cpp"
    src.write_text(source)
    return subprocess.run([*TARGETS[target], *toolchains.WARN, *toolchains.NO_EH, f"-I{INCLUDE}", *extra, "-c",
                           str(src), "-o", str(tmp_path / "uses.o")], capture_output=True, text=True)


@pytest.mark.parametrize("target", list(TARGETS))
def test_headers_compile_with_werror(tmp_path, target):
    res = _compile(tmp_path, target, USES)
    assert res.returncode == 0, res.stderr[-3000:]


def test_a_double_row_is_a_compile_error(tmp_path):
    res = _compile(tmp_path, "avr", '#include "miniml/stream.h"\nvoid f(const double* d) { miniml::stream_row(d, 1); }\n')
    assert res.returncode != 0 and "stream_row takes float or integer values" in res.stderr


FLOATS = [0.0, 1.0, -1.0, 0.25, -0.0004, 0.9996, 9.9995, 123.456, -98765.4321, 3.14159265, 1e-7, 16777216.0,
          2147483520.0, 2147483648.0, 1.5e20, -3.4e38, float("nan"), float("inf"), float("-inf")]
INTS = [0, 1, -1, 32767, -32768, 2147483647, -2147483648]


def _run_program(tmp_path, body: str, includes: str, board: str) -> str:
    """stdout of main() { body } built for the host (ASan/UBSan) or the simulated Uno (simavr)."""
    src = tmp_path / "main.cpp"
    src.write_text(f'{includes}\n#include <stdint.h>\nint main() {{\n  miniml::io::begin();\n{body}\n'
                   "  return miniml::io::finish(0);\n}\n")
    exe = tmp_path / "main"
    if board == "host":
        subprocess.run(["g++", *toolchains.HOST_FLAGS, f"-I{INCLUDE}", str(src), "-o", str(exe)], check=True)
        cmd = [str(exe)]
    else:
        subprocess.run([*toolchains.BOARDS["uno"], *toolchains.STRICT, "-DF_CPU=16000000UL", f"-I{INCLUDE}", str(src),
                        "-o", str(exe)], check=True)
        cmd = toolchains.run_cmd(str(exe), 60)
    # bytes: text mode would turn the rows' "\r\n" into "\n"
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=True).stdout.decode("ascii")


@pytest.mark.parametrize("board", ["host", "uno"])
@pytest.mark.parametrize("decimals", [0, 3, 6])
def test_stream_row_parses_back(tmp_path, decimals, board):
    body = (f"  const float f[] = {{{', '.join(_c_float(v) for v in FLOATS)}}};\n"
            f"  const long l[] = {{{', '.join(str(v) + 'L' for v in INTS)}}};\n"
            f"  for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); ++i) miniml::stream_row(f + i, 1, {decimals});\n"
            f"  miniml::stream_row(l, {len(INTS)});\n")
    lines = _run_program(tmp_path, body, '#include <math.h>\n#include "miniml/stream.h"', board).split("\n")
    assert all(line.endswith("\r") for line in lines[:-1]) and lines[-1] == ""
    *float_lines, int_line = [line.rstrip("\r") for line in lines[:-1]]
    assert len(float_lines) == len(FLOATS)
    for v, text in zip(FLOATS, float_lines):
        row = parse_row(text)
        if not np.isfinite(v):
            assert row is None and text == ("nan" if v != v else ("-inf" if v < 0 else "inf"))
            continue
        (field,) = row
        v32 = float(np.float32(v))
        if abs(v32) < 2**31:
            assert len(field.split(".")[1]) == decimals if decimals else "." not in field, text
            assert abs(float(field) - v32) <= 0.5 * 10.0**-decimals * 1.001 + 1e-12, (v32, text)
        else:  # mantissa and exponent
            assert "e" in field and abs(float(field) - v32) <= abs(v32) * (0.5 * 10.0**-decimals + 1e-5), text
    assert parse_row(int_line) == [str(v) for v in INTS]


def _c_float(v: float) -> str:
    if v != v:
        return "NAN"
    if not np.isfinite(v):
        return "-INFINITY" if v < 0 else "INFINITY"
    return "%.9ef" % np.float32(v)


# (length, hop, channels): overlapping, hop 1, hop > length (gaps), hop == length
CASES = [(4, 1, 3), (5, 2, 2), (3, 5, 1), (8, 8, 3)]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """Two labelled CSV files, one with a label change, as `miniml capture --label` writes them, and each
    case's dataset; the runs the board would see as separate streams (reset() between them)."""
    d = tmp_path_factory.mktemp("windows")
    rng = np.random.default_rng(15)
    runs = []
    paths = []
    for name, labels in (("a.csv", ["idle"] * 23 + ["shake"] * 17), ("b.csv", ["shake"] * 26)):
        values = rng.normal(0, 3, (len(labels), 3)).astype(np.float32)
        path = d / name
        path.write_text("x,y,z,label\n" + "".join(",".join("%.9g" % v for v in row) + f",{lab}\n"
                                                  for row, lab in zip(values, labels)))
        paths.append(str(path))
        edges = [0] + [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]] + [len(labels)]
        runs += [values[a:b] for a, b in zip(edges, edges[1:])]
    datasets = {c: make_dataset(paths, c[0], c[1], str(d / ("%d_%d_%d.npz" % c))) for c in CASES}
    return runs, datasets


def _window_program(runs) -> str:
    """Pushes every run through a Window per case (channels taken from the first ones) and prints each
    window as float bits, time-major then channels-first."""
    samples = np.concatenate(runs)
    lines = ['#include "miniml/window.h"', '#include "miniml/board_io.h"',
             "static const float kSamples[%d][3] = {%s};" % (len(samples), ",".join(
                 "{%s}" % ",".join("%.9ef" % v for v in row) for row in samples)),
             "static const unsigned kRunEnds[] = {%s};" % ",".join(str(v) for v in np.cumsum([len(r) for r in runs])),
             "template <typename W, unsigned kChannels> void run_case(W& w, unsigned id) {",
             "  float ch[3];",
             "  float out[W::kSize];",
             "  unsigned start = 0;",
             "  for (unsigned r = 0; r < sizeof(kRunEnds) / sizeof(kRunEnds[0]); ++r) {",
             "    w.reset();",
             "    for (unsigned i = start; i < kRunEnds[r]; ++i) {",
             "      for (unsigned c = 0; c < kChannels; ++c) ch[c] = kSamples[i][c];",
             "      if (!w.push(ch)) continue;",
             "      for (int layout = 0; layout < 2; ++layout) {",
             "        if (layout == 0) w.copy(out); else w.copy_channels_first(out);",
             "        miniml::io::print(\"W\"); miniml::io::print_uint(id); miniml::io::print(layout ? \"c \" : \"t \");",
             "        for (unsigned k = 0; k < W::kSize; ++k) miniml::io::print_float_bits(out[k]);",
             "        miniml::io::put('\\n');",
             "      }",
             "    }",
             "    start = kRunEnds[r];",
             "  }",
             "}"]
    for i, (length, hop, channels) in enumerate(CASES):
        lines.append(f"static miniml::Window<float, {length}, {hop}, {channels}> g_w{i};")
    lines.append("int main() {\n  miniml::io::begin();")
    for i, (_, _, channels) in enumerate(CASES):
        lines.append(f"  run_case<miniml::Window<float, {CASES[i][0]}, {CASES[i][1]}, {channels}>, {channels}>(g_w{i}, {i});")
    lines.append('  miniml::io::print("done\\n");\n  return miniml::io::finish(0);\n}')
    return "\n".join(lines) + "\n"


def _parse_windows(text: str, case: int, layout: str):
    found = []
    for line in text.splitlines():
        if line.startswith(f"W{case}{layout} "):
            hexes = line.split()[1]
            found.append(np.array(struct.unpack("<%df" % (len(hexes) // 8),
                                                b"".join(struct.pack("<I", int(hexes[k:k + 8], 16))
                                                         for k in range(0, len(hexes), 8))), np.float32))
    return found


def _check(text: str, datasets, labelled_channels=3):
    assert "done" in text, text[-2000:]
    for i, case in enumerate(CASES):
        length, _, channels = case
        x = datasets[case]["x"][:, :, :channels]  # the C++ case reads the first `channels` columns
        time_major = _parse_windows(text, i, "t")
        channels_first = _parse_windows(text, i, "c")
        assert len(time_major) == len(x) > 0, case
        np.testing.assert_array_equal(np.stack(time_major), x.reshape(len(x), -1))
        np.testing.assert_array_equal(np.stack(channels_first), x.transpose(0, 2, 1).reshape(len(x), -1))


def test_windows_equal_the_dataset_on_the_host(tmp_path, labelled):
    runs, datasets = labelled
    src = tmp_path / "windows.cpp"
    src.write_text(_window_program(runs))
    exe = tmp_path / "windows"
    subprocess.run(["g++", *toolchains.HOST_FLAGS, f"-I{INCLUDE}", str(src), "-o", str(exe)], check=True)
    _check(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout, datasets)


def test_windows_equal_the_dataset_on_the_uno(tmp_path, labelled):
    runs, datasets = labelled
    src = tmp_path / "windows.cpp"
    src.write_text(_window_program(runs))
    elf = tmp_path / "windows.elf"
    subprocess.run([*toolchains.BOARDS["uno"], *toolchains.STRICT, "-DF_CPU=16000000UL", f"-I{INCLUDE}",
                    str(src), "-o", str(elf)], check=True)
    res = subprocess.run(toolchains.run_cmd(str(elf), 120), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    _check(res.stdout, datasets)
