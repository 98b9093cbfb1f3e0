"""Generated header: two-TU link with one copy of the weights, golden vectors checked in C++, contents."""
import os
import re
import subprocess

import numpy as np
import pytest
import torch
import toolchains
import torch.nn as nn

import miniml
from harness import BUILD, HOST_FLAGS, INCLUDE, compile_cpp, prepare

OUT = os.path.join(BUILD, "emit")


@pytest.fixture(scope="module")
def small():
    m = prepare(nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 4)))
    report = miniml.export(m, torch.randn(1, 2, 8), "small", OUT, golden=3, seed=7)
    return m, report


def test_two_translation_units_link_one_copy_of_weights(small, tmp_path):
    _, report = small
    a, b = tmp_path / "a.cpp", tmp_path / "b.cpp"
    a.write_text('#include "small.h"\nfloat run_b(const float* x);\n'
                 "int main() { static small::Model m; float x[small::kInputSize] = {0}; "
                 "float y[small::kOutputSize]; m.predict(x, y); return run_b(x) == y[0] ? 0 : 1; }\n")
    b.write_text('#include "small.h"\nfloat run_b(const float* x) { static small::Model m; '
                 "float y[small::kOutputSize]; m.predict(x, y); return y[0]; }\n")
    exe = str(tmp_path / "two_tu")
    compile_cpp(str(a), exe, [INCLUDE, OUT], extra_sources=[str(b)])
    assert subprocess.run([exe]).returncode == 0
    syms = subprocess.run(["nm", "-C", exe], capture_output=True, text=True).stdout
    weights = [ln for ln in syms.splitlines() if "WeightsData<void>::t0_weight" in ln]
    assert len(weights) == 1, weights


def test_two_translation_units_avr_one_copy_in_flash(small, tmp_path):
    a, b = tmp_path / "a.cpp", tmp_path / "b.cpp"
    a.write_text('#include "small.h"\nfloat run_b(const float* x);\nsmall::Model m;\n'
                 "int main() { float x[small::kInputSize] = {0}; float y[small::kOutputSize]; "
                 "m.predict(x, y); return run_b(x) == y[0] ? 0 : 1; }\n")
    b.write_text('#include "small.h"\nstatic small::Model m2;\nfloat run_b(const float* x) { '
                 "float y[small::kOutputSize]; m2.predict(x, y); return y[0]; }\n")
    elf = str(tmp_path / "two_tu.elf")
    cmd = [*toolchains.cxx("avr"), *toolchains.WARN, f"-I{INCLUDE}", f"-I{OUT}", str(a), str(b),
           "-o", elf]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    syms = subprocess.run(["avr-nm", "-C", elf], capture_output=True, text=True).stdout
    weights = [ln for ln in syms.splitlines() if "WeightsData<void>::t0_weight" in ln]
    assert len(weights) == 1, weights
    assert weights[0].split()[1] in ("T", "t", "W", "V", "u"), weights  # in flash (.text), not .data


def test_golden_vectors_match_in_cpp(small, tmp_path):
    src = tmp_path / "golden.cpp"
    src.write_text(
        '#include "small.h"\n#include <stdio.h>\n#include <math.h>\n'
        "int main() {\n  static small::Model m;\n  float x[small::kInputSize], y[small::kOutputSize];\n"
        "  int bad = 0;\n  for (unsigned k = 0; k < small::kGoldenCount; ++k) {\n"
        "    for (unsigned i = 0; i < small::kInputSize; ++i)\n"
        "      x[i] = miniml::rom_read(&small::Golden::kInputs[k * small::kInputSize + i]);\n"
        "    m.predict(x, y);\n"
        "    for (unsigned i = 0; i < small::kOutputSize; ++i) {\n"
        "      float e = small::Golden::kOutputs[k * small::kOutputSize + i];\n"
        "      float tol = small::Golden::kTolerance * (fabsf(e) > 1.0f ? fabsf(e) : 1.0f);\n"
        "      if (fabsf(y[i] - e) > tol) ++bad;\n    }\n  }\n"
        '  printf("%u %d\\n", static_cast<unsigned>(small::kGoldenCount), bad);\n  return bad;\n}\n')
    exe = compile_cpp(str(src), str(tmp_path / "golden"), [INCLUDE, OUT])
    res = subprocess.run([exe], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.split() == ["3", "0"], res.stdout + res.stderr


def test_golden_arrays_are_torch_outputs(small):
    m, report = small
    text = open(report.header_path).read()
    def arr(name):
        body = re.search(name + r"\[[^\]]*\] MINIML_ROM = \{(.*?)\};", text, re.S).group(1)
        return np.array([float(v.strip().rstrip("f")) for v in body.split(",")], np.float32)
    xs, ys = arr("kInputs"), arr("kOutputs")
    assert xs.size == 3 * 16 and ys.size == 3 * 4
    expect = np.random.default_rng(7).standard_normal((3, 1, 2, 8)).astype(np.float32)
    assert np.array_equal(xs, expect.reshape(-1))
    with torch.no_grad():
        ref = np.concatenate([m(torch.from_numpy(x)).numpy().reshape(-1) for x in expect])
    assert np.array_equal(ys, ref)  # batch-1 torch runs, exactly
    assert "seed=7" in text and "torch" in text.split("Golden vectors:")[1].splitlines()[0]


def test_header_contents(small):
    _, report = small
    text = open(report.header_path).read()
    assert "namespace small {" in text
    assert "constexpr miniml::index_t kInputSize = 16;" in text
    assert "constexpr miniml::index_t kOutputSize = 4;" in text
    assert f"constexpr uint32_t kArenaBytes = {report.arena_bytes};" in text
    assert f"static_assert(sizeof(Model) == {report.ram_bytes}" in text
    assert "static_assert(static_cast<uint32_t>(static_cast<miniml::index_t>(-1))" in text
    assert '#include "miniml/op_conv.h"' in text and '#include "miniml/op_pool.h"' not in text
    assert "double" not in text
    assert report.flash_bytes == (3 * 2 * 3 + 3 + 4 * 18 + 4) * 4


def test_index_t_overflow_fails_on_avr(tmp_path):
    m = prepare(nn.Sequential(nn.Linear(300, 256)))  # 76800 weights > 65535
    miniml.export(m, torch.randn(1, 300), "big", str(tmp_path))
    src = tmp_path / "big.cpp"
    src.write_text('#include "big.h"\n')
    res = subprocess.run([*toolchains.ARCH["avr"], "-std=gnu++11", "-fsyntax-only",
                          f"-I{INCLUDE}", f"-I{tmp_path}", str(src)], capture_output=True, text=True)
    assert res.returncode != 0
    assert "does not fit miniml::index_t" in res.stderr
    res = subprocess.run(["g++", "-std=c++11", "-fsyntax-only", f"-I{INCLUDE}", f"-I{tmp_path}",
                          str(src)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_host_flags_are_the_documented_ones():
    assert "-fsanitize=address,undefined,float-cast-overflow" in HOST_FLAGS
    assert "-ffp-contract=off" in HOST_FLAGS


def test_weights_in_header_round_trip_bit_exactly(tmp_path):
    m = prepare(nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 5)), 3)
    with torch.no_grad():  # values that 6 decimals (emlearn, MiniML Engine) would round
        m[3].weight[0, :3] = torch.tensor([1e-7, 3.4e38, -1.17549435e-38])
    report = miniml.export(m, torch.randn(1, 2, 4, 4), "rt", str(tmp_path))
    text = open(report.header_path).read()
    for key, name in (("0.weight", "t0_weight"), ("0.bias", "t0_bias"), ("3.weight", "t3_weight"),
                      ("3.bias", "t3_bias")):
        body = re.search(rf"WeightsData<Unused>::{name}\[\d+\] MINIML_ROM = \{{(.*?)\}};", text,
                         re.S).group(1)
        got = np.array([np.float32(float(v.strip().rstrip("f"))) for v in body.split(",")])
        want = m.state_dict()[key].numpy().reshape(-1)
        assert got.tobytes() == want.tobytes(), key
