"""train_*.h and store_*.h compile warning-free (-Werror, no double, no float narrowing) for every
target
compiler, with the EEPROM adapter under ARDUINO, and link from two translation units (ODR)."""

import shutil
import subprocess

import pytest
import toolchains
from train_build import CPP, INCLUDE

WARN = toolchains.STRICT
TARGETS = {
    "host": toolchains.cxx("host", opt="-O2"),
    "avr": toolchains.cxx("avr"),
    "cortex_m4": [*toolchains.cxx("cortex_m4f"), *toolchains.NO_EH],
    "rv32imc": [*toolchains.cxx("rv32imc"), "--specs=picolibc.specs", *toolchains.NO_EH],
    "lx106": [*toolchains.cxx("lx106"), *toolchains.NO_EH],
}
VARIANTS = {
    "plain": [],
    "arduino_avr": ["-DARDUINO=10819"],
    "arduino_esp32": ["-DARDUINO", "-DESP32"],
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("target", TARGETS)
def test_headers_compile(tmp_path, target, variant):
    cmd = TARGETS[target]
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} not installed")
    objs = []
    for tu in ("a", "b"):
        obj = tmp_path / f"{tu}.o"
        proc = subprocess.run(
            [
                *cmd,
                *WARN,
                *VARIANTS[variant],
                f"-I{INCLUDE}",
                f"-I{CPP / 'fake_arduino'}",
                f"-DMINIML_TU_NAME=run_{tu}",
                "-c",
                str(CPP / "all_train.cpp"),
                "-o",
                str(obj),
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        objs.append(str(obj))
    # One relocatable link of both TUs: a duplicate strong symbol (a non-inline function or a non-
    # template
    # array in a header) fails here.
    ld = {
        "host": "ld",
        "avr": "avr-ld",
        "cortex_m4": "arm-none-eabi-ld",
        "rv32imc": "riscv64-unknown-elf-ld",
        "lx106": "xtensa-lx106-elf-ld",
    }[target]
    extra = ["-m", "elf32lriscv"] if target == "rv32imc" else []
    proc = subprocess.run(
        [ld, *extra, "-r", *objs, "-o", str(tmp_path / "both.o")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_avr_fit_check(tmp_path):
    """A learning model compiles for the Uno when its state fits its 2 KB SRAM, and fails to compile
    with
    the numbers and the fix when it does not (a build-time check, not a rule that AVR cannot
    learn)."""
    import miniml
    import torch
    import torch.nn as nn

    if shutil.which("avr-g++") is None:
        pytest.skip("avr-g++ not installed")
    torch.manual_seed(0)
    small = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).eval()
    big = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 16)).eval()
    for name, model in (("fits", small), ("too_big", big)):
        miniml.export(
            model, torch.zeros(1, 8), name, str(tmp_path), on_device_learning=True, momentum=0.9
        )
        (tmp_path / f"{name}.cpp").write_text(
            f'#include "{name}.h"\nstatic {name}::Model m;\n'
            "float f(const float* x, const float* t) { return m.learn(x, t); }\n"
        )
    cmd = [*TARGETS["avr"], *WARN, f"-I{INCLUDE}", f"-I{tmp_path}", "-c"]
    ok = subprocess.run(
        [*cmd, str(tmp_path / "fits.cpp"), "-o", str(tmp_path / "a.o")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr[-3000:]
    bad = subprocess.run(
        [*cmd, str(tmp_path / "too_big.cpp"), "-o", str(tmp_path / "b.o")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "too_big: Model with on-device learning needs 4" in bad.stderr
    assert "train fewer parameters" in bad.stderr
