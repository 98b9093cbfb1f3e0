"""Names that collide with C: parameters named like libc and AVR macros (INT8_MAX, NAN, M_PI, EOF,
SREG, RAMEND) compile on the host and avr-g++ and predict like torch; such model names are
refused; two different models of one name are a compile error in one file and link their own
weights from two files; names differing only in case are refused in one folder.
"""

from __future__ import annotations

import subprocess

import miniml
import numpy as np
import pytest
import toolchains
import torch
import torch.nn as nn
import torch.nn.functional as F
from harness import HOST_FLAGS, INCLUDE, compile_cpp

MACROS = ("INT8_MAX", "NAN", "M_PI", "EOF", "SREG", "RAMEND")
# every header that defines one of MACROS on the host or the Uno, included before the model
PRELUDE = "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n"


class MacroNamed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        shapes = [(6, 4), (6,), (5, 6), (5,), (3, 5), (3,)]
        for name, shape in zip(MACROS, shapes):
            setattr(self, name, nn.Parameter(torch.randn(shape) * 0.5))

    def forward(self, x):
        x = F.relu(F.linear(x, self.INT8_MAX, self.NAN))
        x = F.relu(F.linear(x, getattr(self, "M_PI"), self.EOF))
        return F.linear(x, self.SREG, self.RAMEND)


def _main(headers, calls) -> str:
    inc = "".join(f'#include "{h}"\n' for h in headers)
    return (
        PRELUDE + inc + "int main() {\n  const float x[4] = {0.5f, -1.0f, 0.25f, 2.0f};\n"
        "  float y[3];\n" + calls + "  return 0;\n}\n"
    )


PRINT = '  for (int i = 0; i < 3; ++i) printf("%.9g\\n", static_cast<double>(y[i]));\n'


def test_macro_named_parameters_compile_and_run(tmp_path):
    model = MacroNamed().eval()
    miniml.export(model, torch.zeros(1, 4), "macros", str(tmp_path))
    text = (tmp_path / "macros.h").read_text()
    for name in MACROS:
        assert f"p_{name}[" in text, name  # prefixed: never the macro
    src = tmp_path / "main.cpp"
    src.write_text(_main(["macros.h"], "  static macros::Model m;\n  m.predict(x, y);\n" + PRINT))
    exe = compile_cpp(str(src), str(tmp_path / "host"), [INCLUDE, str(tmp_path)], HOST_FLAGS)
    got = np.array(
        subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split(), np.float32
    )
    with torch.no_grad():
        want = model(torch.tensor([[0.5, -1.0, 0.25, 2.0]])).numpy()[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    avr = tmp_path / "avr.cpp"
    avr.write_text("#include <avr/io.h>\n" + src.read_text())
    res = subprocess.run(
        [
            *toolchains.cxx("avr"),
            *toolchains.WARN,
            f"-I{INCLUDE}",
            f"-I{tmp_path}",
            "-c",
            str(avr),
            "-o",
            str(tmp_path / "avr.o"),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-3000:]


@pytest.mark.parametrize("name", [*MACROS, "errno", "PORTB"])
def test_reject_macro_model_name(name):
    with pytest.raises(miniml.OptionError, match="could be a C macro"):
        miniml.analyze(nn.Sequential(nn.Linear(4, 3)).eval(), torch.zeros(1, 4), name)


def _two_nets(tmp_path):
    torch.manual_seed(1)
    for folder in ("a", "b"):
        miniml.export(
            nn.Sequential(nn.Linear(4, 3)).eval(), torch.zeros(1, 4), "net", str(tmp_path / folder)
        )


def test_reject_same_name_in_one_file(tmp_path):
    _two_nets(tmp_path)
    (tmp_path / "both.cpp").write_text(_main(["a/net.h", "b/net.h"], ""))
    with pytest.raises(AssertionError, match="two different models named 'net' in one program"):
        compile_cpp(
            str(tmp_path / "both.cpp"), str(tmp_path / "both"), [INCLUDE, str(tmp_path)], HOST_FLAGS
        )


def test_same_name_in_two_files_links_each_its_own_weights(tmp_path):
    _two_nets(tmp_path)
    for folder in ("a", "b"):
        (tmp_path / f"{folder}.cpp").write_text(
            PRELUDE + f'#include "{folder}/net.h"\n'
            f"void run_{folder}(const float* x, float* y) {{ static net::Model m; m.predict(x, y); }}\n"
        )
    (tmp_path / "main.cpp").write_text(
        PRELUDE
        + "void run_a(const float*, float*);\nvoid run_b(const float*, float*);\n"
        + _main([], "  run_a(x, y);\n" + PRINT + "  run_b(x, y);\n" + PRINT).replace(PRELUDE, "")
    )
    exe = compile_cpp(
        str(tmp_path / "main.cpp"),
        str(tmp_path / "prog"),
        [INCLUDE, str(tmp_path)],
        HOST_FLAGS,
        extra_sources=[str(tmp_path / "a.cpp"), str(tmp_path / "b.cpp")],
    )
    out = np.array(
        subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split(), np.float32
    ).reshape(2, 3)
    assert not np.array_equal(out[0], out[1])  # two models, two answers: no weights shared


def test_reject_names_differing_in_case_in_one_folder(tmp_path):
    m = nn.Sequential(nn.Linear(4, 3)).eval()
    miniml.export(m, torch.zeros(1, 4), "Net", str(tmp_path))
    with pytest.raises(miniml.OptionError, match="differs from 'net' only in case"):
        miniml.export(m, torch.zeros(1, 4), "net", str(tmp_path))
    miniml.export(m, torch.zeros(1, 4), "Net", str(tmp_path))  # re-exporting one model is fine
