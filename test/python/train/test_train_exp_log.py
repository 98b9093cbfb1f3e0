"""train_exp_log.h, the cross-entropy's exp and log: within 1 ulp of the correctly rounded float32 value
(float64 numpy, rounded) over strided sweeps of both domains on the host under ASan/UBSan, special values
as documented, and the same bits on the simulated Uno (simavr, three -O levels), STM32 and ESP32-C3 (QEMU)
as on the host; the 32-bit cores' product (both forms) equal to the plain one, a broken copy caught."""

import shutil
import subprocess

import numpy as np
import pytest
import toolchains
from train_build import CPP, INCLUDE, REPO, HostBuild

STRIDE = 0x1FFFF  # ~8k inputs per function in simavr; the host sweep is denser


def _run(build, kind, x):
    src, dst = build.tmp / "in.bin", build.tmp / "out.bin"
    x.astype(np.float32).tofile(src)
    build.run("exp_log.cpp", args=(kind, str(src), str(dst)))
    return np.fromfile(dst, dtype=np.float32)


def _ulps(got, want):
    return np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))


def test_within_one_ulp(tmp_path):
    build = HostBuild(tmp_path)
    x = -np.arange(0x32800000, 0x43000001, 97, dtype=np.uint32).view(np.float32)  # -2^-26 .. -128
    got = _run(build, "exp", x)
    assert _ulps(got, np.exp(x.astype(np.float64)).astype(np.float32)).max() <= 1
    x = np.arange(0x3F800000, 0x7F800000, 389, dtype=np.uint32).view(np.float32)  # 1 .. FLT_MAX
    got = _run(build, "log", x)
    assert _ulps(got, np.log(x.astype(np.float64)).astype(np.float32)).max() <= 1


def test_special_values(tmp_path):
    build = HostBuild(tmp_path)
    inf, nan = np.inf, np.nan
    got = _run(build, "exp", np.array([0.0, -0.0, -inf, nan, 1.0, -1e-45, -104.0, -200.0], np.float32))
    assert got[:3].tolist() == [1.0, 1.0, 0.0] and np.isnan(got[3]) and np.isnan(got[4])
    assert got[5:].tolist() == [1.0, 0.0, 0.0]
    got = _run(build, "log", np.array([1.0, inf, nan, 0.5, -1.0, 0.0], np.float32))
    assert got[:2].tolist() == [0.0, inf] and np.isnan(got[2:]).all()


def _hash_cmd(out, *flags, stride=STRIDE):
    return [
        *flags,
        *toolchains.WARN,
        f"-I{INCLUDE}",
        f"-DSTRIDE=UINT32_C({stride})",
        str(CPP / "exp_log_hash.cpp"),
        "-o",
        str(out),
    ]


def _build(cmd):
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return cmd[cmd.index("-o") + 1]


def _host_hash(tmp_path, halves, stride=STRIDE):
    """The two hashes on the host, with mul_hi_u32_fast's form `halves` (MINIML_EXP_LOG_MUL_HALVES)."""
    flags = ("g++", *toolchains.HOST_FLAGS, f"-DMINIML_EXP_LOG_MUL_HALVES={halves}")
    exe = _build(_hash_cmd(tmp_path / f"hash{halves}_{stride}", *flags, stride=stride))
    got, out = toolchains.check_result([exe], timeout=120)
    assert len(got) == 2, out
    return got


@pytest.mark.parametrize("opt", ["-Os", "-O2", "-O1"])
def test_same_bits_on_uno(tmp_path, opt):
    runtime = REPO / "platformio_plugin/platforms/miniml-simavr/runtime/miniml_sim_exit.c"
    elf = _build(_hash_cmd(tmp_path / "uno.elf", *toolchains.UNO_CHECK, opt) + [str(runtime)])
    got, out = toolchains.simavr_result(elf, 300)
    assert got == _host_hash(tmp_path, 0), out


@pytest.mark.parametrize("board", ["stm32", "esp32c3"])
def test_same_bits_on_qemu(tmp_path, board):
    cmd = toolchains.BOARDS[board]
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} not installed")
    # the C driver compiles C++ too and links no libstdc++ (the bare-metal toolchains ship none)
    elf = _build(_hash_cmd(tmp_path / f"{board}.elf", cmd[0][:-2] + "cc", *cmd[1:]))
    got, out = toolchains.check_result(toolchains.run_cmd(elf, 120), timeout=180)
    assert got == _host_hash(tmp_path, 0), out


def test_both_products_same_bits(tmp_path):
    """exp and log with either form of the product over ~1M inputs each."""
    assert _host_hash(tmp_path, 1, 0x3FF) == _host_hash(tmp_path, 0, 0x3FF)


# mul_hi_u32_fast's two forms (umull + umlal on Thumb-2; the borrow elsewhere) against mul_hi_u32 (what the
# AVR routine computes); a copy with each form broken in a way that changes few products must fail.
MUTANTS = {
    1: ("(b & UINT32_C(0xFFFF0000))", "(b & UINT32_C(0xFFFE0000))"),
    0: ("static_cast<uint32_t>(product) < (a", "static_cast<uint32_t>(product) <= (a"),
}


@pytest.mark.parametrize("broken", [False, True], ids=["as_is", "broken_copy"])
@pytest.mark.parametrize("halves", [1, 0])
def test_fast_product_is_the_plain_one(tmp_path, halves, broken):
    include = INCLUDE
    if broken:
        include = toolchains.broken_include(str(tmp_path), "train_exp_log.h", *MUTANTS[halves])
    exe = _build(
        [
            "g++",
            *toolchains.HOST_FLAGS,
            f"-I{include}",
            f"-DMINIML_EXP_LOG_MUL_HALVES={halves}",
            "-DPAIRS=UINT32_C(4000000)",
            str(CPP / "mul_hi_check.cpp"),
            "-o",
            str(tmp_path / "mul_hi"),
        ]
    )
    got, out = toolchains.check_result([exe], timeout=120)
    assert len(got) == 2, out
    differ, checked = got
    assert checked > 12_000_000, out
    assert (differ > 0) == broken, out
