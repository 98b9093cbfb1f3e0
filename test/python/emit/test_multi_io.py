"""Several outputs (tuple, list, dict), several inputs, and integer index inputs (nn.Embedding,
F.one_hot): predict(input0.., output0..), kInputSizeN/kOutputSizeN, golden vectors covering every
output, checked two ways on the host (ASan/UBSan): each output against torch at 1e-5 rel, and
MINIML_CHECK_GOLDEN (our Unity) passing on the same header. Plus the refusals that name what they
refuse."""
import os
import re
import subprocess

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import miniml
from harness import BUILD, HOST_FLAGS, INCLUDE, REPO, assert_close, compile_cpp, safe_id
from miniml.errors import MinimlError, UnsupportedOpError

UNITY = os.path.join(REPO, "platformio_plugin", "unity", "src")
OUT = os.path.join(BUILD, "multi_io")


class TwoHeads(nn.Module):
    """Shared trunk, classification and regression heads (the tuple case)."""

    def __init__(self, kind="tuple"):
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv1d(3, 6, 3), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                                   nn.Flatten())
        self.cls = nn.Linear(6, 4)
        self.reg = nn.Linear(6, 2)
        self.kind = kind

    def forward(self, x):
        h = self.trunk(x)
        a, b = torch.log_softmax(self.cls(h), 1), self.reg(h)
        if self.kind == "list":
            return [a, b, h]
        if self.kind == "dict":
            return {"label": a, "box": b}
        return a, b


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(5, 4)
        self.b = nn.Conv1d(2, 4, 3)

    def forward(self, x, y):
        return self.a(x).unsqueeze(2) * self.b(y).relu(), x


class BagOfWords(nn.Module):
    """Embedding + mean over the tokens + Linear: a GRU-free text classifier."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.fc = nn.Linear(8, 3)

    def forward(self, tokens):
        return self.fc(self.emb(tokens).mean(1))


class OneHotMix(nn.Module):
    """An index input (one_hot) next to a float input."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6 + 6, 2)

    def forward(self, x, cls):
        return self.fc(torch.cat([x, F.one_hot(cls, 6).float().sum(1)], 1))


def ints(*shape, high=50):
    return torch.randint(0, high, shape)


CASES = {
    "two_heads_tuple": (lambda: TwoHeads(), (torch.randn(1, 3, 10),)),
    "three_outputs_list": (lambda: TwoHeads("list"), (torch.randn(1, 3, 10),)),
    "dict_outputs": (lambda: TwoHeads("dict"), (torch.randn(1, 3, 10),)),
    "two_inputs_one_passed_through": (lambda: TwoInputs(), (torch.randn(1, 5), torch.randn(1, 2, 6))),
    "embedding_bag_of_words": (lambda: BagOfWords(), (ints(1, 7),)),
    "one_hot_and_float_input": (lambda: OneHotMix(), (torch.randn(1, 6), ints(1, 3, high=6))),
}


def _flat(y):
    if isinstance(y, dict):
        y = list(y.values())
    if isinstance(y, (tuple, list)):
        return np.concatenate([_flat(v) for v in y])
    return y.detach().numpy().reshape(-1)


@pytest.fixture(scope="module")
def built():
    os.makedirs(OUT, exist_ok=True)
    models = {}
    for i, (case, (make, example)) in enumerate(CASES.items()):
        torch.manual_seed(i)
        model = make().eval()
        name = safe_id(case)
        report = miniml.export(model, example if len(example) > 1 else example[0], name, OUT,
                               golden=3)
        models[case] = (name, model, report)
    main = ["#include <stdio.h>", "#include <unity.h>", '#include "miniml/testing.h"']
    main += [f'#include "{n}.h"' for n, _, _ in models.values()]
    main += ["void setUp() {}", "void tearDown() {}"]
    for n, _, _ in models.values():
        main += [f"static {n}::Model model_{n};",
                 f"void test_golden_{n}() {{ MINIML_CHECK_GOLDEN({n}, model_{n}); }}"]
    main += ["int main(int argc, char** argv) {", "  if (argc != 2) return 2;",
             '  FILE* out = fopen(argv[1], "wb");', "  if (!out) return 3;"]
    for n, _, _ in models.values():
        main += ["  {", f"    static float x[{n}::Golden::kInputFloats];",
                 f"    static float y[{n}::Golden::kOutputFloats];",
                 f"    for (miniml::index_t k = 0; k < {n}::kGoldenCount; ++k) {{",
                 f"      for (miniml::index_t i = 0; i < {n}::Golden::kInputFloats; ++i) "
                 f"x[i] = {n}::Golden::kInputs[k * {n}::Golden::kInputFloats + i];",
                 f"      {n}::Golden::run(model_{n}, x, y);",
                 f"      fwrite(y, sizeof(float), {n}::Golden::kOutputFloats, out);", "    }", "  }"]
    main += ["  fclose(out);", "  UNITY_BEGIN();"]
    main += [f"  RUN_TEST(test_golden_{n});" for n, _, _ in models.values()]
    main += ["  return UNITY_END();", "}", ""]
    src = os.path.join(OUT, "main.cpp")
    with open(src, "w") as f:
        f.write("\n".join(main))
    unity_o = os.path.join(OUT, "unity.o")
    subprocess.run(["gcc", "-O1", "-g", "-fsanitize=address,undefined", f"-I{UNITY}", "-c",
                    os.path.join(UNITY, "unity.c"), "-o", unity_o], check=True)
    exe = compile_cpp(src, os.path.join(OUT, "prog"), [INCLUDE, OUT, UNITY], HOST_FLAGS,
                      extra_sources=[unity_o])
    out_bin = os.path.join(OUT, "out.bin")
    res = subprocess.run([exe, out_bin], capture_output=True, text=True)
    return models, res, np.fromfile(out_bin, dtype=np.float32)


def _golden_inputs(header, n_in):
    text = open(header).read()
    body = re.search(r"GoldenData<Unused>::kInputs\[[^\]]*\] MINIML_ROM = \{([^}]*)\}", text).group(1)
    return np.array([float(v.rstrip("f")) for v in body.replace("\n", " ").split(",") if v.strip()],
                    dtype=np.float32).reshape(-1, n_in)


def test_golden_check_passes_for_every_model(built):
    _, res, _ = built
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]
    assert f"{len(CASES)} Tests 0 Failures" in res.stdout, res.stdout


@pytest.mark.parametrize("case", list(CASES))
def test_parity_multi_io(built, case):
    models, res, raw = built
    pos = 0
    for c, (name, model, report) in models.items():
        example = CASES[c][1]
        n_in = sum(int(t.numel()) for t in example)
        xs = _golden_inputs(report.header_path, n_in)
        expected = []
        for x in xs:
            args, p = [], 0
            for t in example:
                part = x[p:p + t.numel()].reshape(t.shape)
                p += t.numel()
                args.append(torch.from_numpy(part) if t.dtype == torch.float32
                            else torch.from_numpy(part.astype(np.int64)))
            with torch.no_grad():
                expected.append(_flat(model(*args)))
        expected = np.stack(expected)
        got = raw[pos:pos + expected.size].reshape(expected.shape)
        pos += expected.size
        if c == case:
            assert_close(got, expected, case)
            return


def test_lower_multi_io_api(built):
    models, _, _ = built
    text = open(models["two_inputs_one_passed_through"][2].header_path).read()
    assert ("void predict(const float* input0, const float* input1, float* output0, "
            "float* output1)") in text
    assert "kInputSize1 = 12" in text and "kOutputSize0 = 16" in text
    text = open(models["embedding_bag_of_words"][2].header_path).read()
    assert "void predict(const int32_t* input, float* output)" in text
    assert "kInputSize = 7;  // input int32_t shape [1, 7]" in text
    text = open(models["three_outputs_list"][2].header_path).read()
    assert "float* output0, float* output1, float* output2)" in text


def test_reject_learning_two_heads_names_outputs():
    with pytest.raises(UnsupportedOpError) as e:
        miniml.analyze(TwoHeads().eval(), torch.randn(1, 3, 10), "m", on_device_learning=True)
    msg = str(e.value)
    assert "on_device_learning=True" in msg and "one float input and one output" in msg
    assert "[1, 4]" in msg and "[1, 2]" in msg


def test_reject_integer_input_into_linear_names_node_and_line():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x.float())

    with pytest.raises(UnsupportedOpError) as e:
        miniml.analyze(M().eval(), ints(1, 4), "m")
    msg = str(e.value)
    assert "reads the integer input 'x'" in msg and "nn.Embedding or F.one_hot" in msg
    assert "test_multi_io.py" in msg and "self.fc(x.float())" in msg


def test_reject_float64_example_input():
    with pytest.raises(MinimlError, match="float64; MiniML takes float32 inputs, or integer"):
        miniml.analyze(nn.Linear(4, 2).eval(), torch.zeros(1, 4, dtype=torch.float64), "m")


def test_int8_two_heads_each_dequantised():
    """quantize='int8' with k outputs: one int8 backbone, every head dequantised into its own
    output buffer; predict() equals the integer reference to the bit, golden vectors hold it."""
    from miniml.api import int8_graph
    from miniml.int8 import predict as predict_int8_graph

    class Heads(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.Sequential(nn.Conv1d(3, 6, 3), nn.ReLU(), nn.Flatten())
            self.a, self.b = nn.Linear(48, 4), nn.Linear(48, 2)

        def forward(self, x):
            h = self.trunk(x)
            return self.a(h), torch.sigmoid(self.b(h))

    torch.manual_seed(5)
    model = Heads().eval()
    cal = np.random.default_rng(5).standard_normal((32, 3, 10)).astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    report = miniml.export(model, torch.from_numpy(cal[:1]), "heads_int8", OUT, quantize="int8",
                           calibration=cal, golden=3)
    text = open(report.header_path).read()
    assert "void predict(const float* input, float* output0, float* output1)" in text
    assert "// int8 backbone, several outputs: predict() only" in text
    g = int8_graph(model, torch.from_numpy(cal[:1]), calibration=cal)
    assert [n.op for n in g.nodes].count("dequantize_s8") == 2
    xs = cal[:4]
    ref = predict_int8_graph(g, xs)
    assert ref.shape == (4, 6)
    src = os.path.join(OUT, "heads_main.cpp")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\n#include "heads_int8.h"\nint main() {\n'
                "  static heads_int8::Model m;\n  float x[30], y[6];\n"
                "  for (int k = 0; k < 4; ++k) {\n"
                "    if (fread(x, 4, 30, stdin) != 30) return 1;\n"
                "    m.predict(x, y, y + 4);\n    fwrite(y, 4, 6, stdout);\n  }\n  return 0;\n}\n")
    exe = compile_cpp(src, os.path.join(OUT, "heads_prog"), [INCLUDE, OUT], HOST_FLAGS)
    res = subprocess.run([exe], input=xs.tobytes(), capture_output=True)
    assert res.returncode == 0, res.stderr[-2000:]
    np.testing.assert_array_equal(np.frombuffer(res.stdout, np.float32).reshape(4, 6), ref)
    with torch.no_grad():
        yf = np.concatenate([t.numpy() for t in model(torch.from_numpy(xs))], axis=1)
    assert np.max(np.abs(ref - yf)) < 0.1
