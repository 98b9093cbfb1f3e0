"""The packages a user installs, offline: the PlatformIO library tarball (scripts/pack.py,
PlatformIO's own packer), installed into a fresh project by `lib_deps = file://...` and tested on
the simulated Uno, and the Python package (`pip install .` and a built wheel) giving a working `miniml` CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from hook_support import REPO

ROOT = Path(REPO)
PY = sys.executable


def _git_files():
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split() if (ROOT / f).exists()]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """Packs a copy of the repository where a build left junk behind (as a developer's tree has)."""
    src = tmp_path_factory.mktemp("src")
    for f in _git_files():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    for junk in (
        "platformio_plugin/miniml_pio.egg-info/PKG-INFO",
        "platformio_plugin/miniml/__pycache__/api.cpython-311.pyc",
        "examples/quickstart/.pio/build/x.o",
    ):
        (src / junk).parent.mkdir(parents=True, exist_ok=True)
        (src / junk).write_text("junk")
    out = tmp_path_factory.mktemp("pack")
    env = dict(
        os.environ,
        PLATFORMIO_CORE_DIR=str(ROOT / ".pio-core"),
        # offline: any attempt to reach the network fails at once
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
    )
    done = subprocess.run(
        [PY, str(ROOT / "scripts" / "pack.py"), str(out), str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("MiniML-*.tar.gz")
    return path


def test_the_tarball_holds_what_a_user_needs_and_nothing_else(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    tops = {n.split("/")[0] for n in names}
    assert tops == {
        "library.json",
        "library.properties",
        "LICENSE",
        "README.md",
        "include",
        "platformio_plugin",
        "examples",
    }
    assert not [n for n in names if "egg-info" in n or "__pycache__" in n or "/.pio/" in n]
    assert "platformio_plugin/extra_script.py" in names and "include/miniml/core_types.h" in names
    manifest = json.loads((ROOT / "library.json").read_text())
    for example in manifest["examples"]:
        for f in example["files"]:
            assert f"{example['base']}/{f}" in names


def test_library_json_lists_every_example_file():
    manifest = json.loads((ROOT / "library.json").read_text())
    assert manifest["authors"] and manifest["repository"]["url"] and manifest["homepage"]
    listed = {f"{e['base']}/{f}" for e in manifest["examples"] for f in e["files"]}
    tracked = {f for f in _git_files() if f.startswith("examples/") and f.count("/") >= 2}
    assert listed == tracked


def test_one_library_name_and_a_maintainer_with_an_address():
    props = dict(
        line.split("=", 1)
        for line in (ROOT / "library.properties").read_text().splitlines()
        if "=" in line
    )
    assert props["name"] == json.loads((ROOT / "library.json").read_text())["name"]
    assert "<" in props["maintainer"] and "@" in props["maintainer"].split("<")[1]


@pytest.mark.pio
def test_tarball_installs_builds_and_tests_in_a_fresh_project(tarball, tmp_path):
    proj = tmp_path / "fresh"
    shutil.copytree(ROOT / "examples" / "quickstart" / "test", proj / "test")
    shutil.copy2(ROOT / "examples" / "quickstart" / "mlp.pt2", proj / "mlp.pt2")
    (proj / "src").mkdir()
    (proj / "src" / "main.cpp").write_text('#include "mlp.h"\nint main() { return 0; }\n')
    platforms = ROOT / "platformio_plugin" / "platforms"
    (proj / "platformio.ini").write_text(f"""[env:sim_uno]
platform = symlink://{platforms / "miniml-simavr"}
board = miniml_uno
lib_deps =
  file://{tarball}
  symlink://{ROOT / "platformio_plugin" / "unity"}
custom_miniml_model = mlp.pt2
custom_miniml_golden = 4
test_framework = custom
test_testing_command =
  timeout
  600
  {platforms / "miniml_run.py"}
  --timeout
  300
  ${{platformio.build_dir}}/${{this.__env__}}/firmware.elf
""")
    env = dict(
        os.environ,
        PLATFORMIO_CORE_DIR=str(ROOT / ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
        PATH=os.path.dirname(PY) + os.pathsep + os.environ.get("PATH", ""),
    )
    out = tmp_path / "result.json"
    done = subprocess.run(
        [
            os.path.join(os.path.dirname(PY), "pio"),
            "test",
            "-d",
            str(proj),
            "--json-output-path",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert (proj / ".pio" / "libdeps" / "sim_uno" / "MiniML" / "library.json").is_file()
    cases = [c for s in json.loads(out.read_text())["test_suites"] for c in s["test_cases"]]
    assert cases and all(c["status"] == "PASSED" for c in cases), done.stdout[-3000:]


def _venv(path: Path) -> Path:
    """A fresh venv that sees the shared venv's packages (torch, numpy, pip, setuptools) through a
    plain path in a .pth file: nothing is downloaded, and the shared venv's own .pth files (its
    editable miniml) are not processed, so `miniml` comes only from what is installed here."""
    subprocess.run([PY, "-m", "venv", "--without-pip", str(path)], check=True)
    import sysconfig

    shared = sysconfig.get_paths()["purelib"]
    (site,) = path.glob("lib/python3*/site-packages")
    (site / "shared_venv.pth").write_text(shared + "\n")
    return path / "bin"


def _pip(bin_dir: Path, *args: str) -> None:
    done = subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--ignore-installed",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _check_cli(bin_dir: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the installed copy
    ops = subprocess.run(
        [str(bin_dir / "miniml"), "ops"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert ops.returncode == 0 and "`ops/linear.py`" in ops.stdout, ops.stderr
    ports = subprocess.run(  # the sensor commands come with the package (pyserial is a dependency)
        [str(bin_dir / "miniml"), "capture", "--list"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert ports.returncode == 0 and ports.stdout.strip(), ports.stderr
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import miniml; print(miniml.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert str(bin_dir.parent) in where.stdout, where.stdout + where.stderr
    done = subprocess.run(
        [
            str(bin_dir / "miniml"),
            "export",
            str(ROOT / "examples" / "quickstart" / "mlp.pt2"),
            "--name",
            "mlp",
            "--out",
            str(tmp_path / "out"),
            "--golden",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "kGoldenCount = 2" in (tmp_path / "out" / "mlp.h").read_text()


def _clean_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for f in _git_files():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    return src


def test_pip_install_gives_a_working_cli(tmp_path):
    bin_dir = _venv(tmp_path / "venv")
    _pip(bin_dir, str(_clean_copy(tmp_path)))
    _check_cli(bin_dir, tmp_path)


def test_built_wheel_gives_a_working_cli(tmp_path):
    src = _clean_copy(tmp_path)
    done = subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("miniml_pio-*.whl")
    bin_dir = _venv(tmp_path / "venv")
    _pip(bin_dir, str(wheel))
    _check_cli(bin_dir, tmp_path)
