"""The offline PlatformIO pieces without running pio: the local tool-scons package, the simulator runner, and our
Unity's output as PlatformIO's own Unity parser reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RUN = REPO / "platformio_plugin" / "platforms" / "miniml_run.py"
UNITY = REPO / "platformio_plugin" / "unity" / "src"


def test_tool_scons_package_is_accepted_and_idempotent(tmp_path: Path) -> None:
    from platformio.dependencies import get_core_dependencies
    from semantic_version import SimpleSpec, Version

    script = REPO / "scripts" / "offline_platformio.py"
    first = subprocess.run([sys.executable, str(script), "--core-dir", str(tmp_path)], check=True,
                           capture_output=True, text=True).stdout
    second = subprocess.run([sys.executable, str(script), "--core-dir", str(tmp_path)], check=True,
                            capture_output=True, text=True).stdout
    assert "up to date" not in first and "up to date" in second
    pkg = tmp_path / "packages" / "tool-scons"
    meta = json.loads((pkg / ".piopm").read_text())
    assert meta["spec"]["owner"] == "platformio" and meta["type"] == "tool"
    assert SimpleSpec(get_core_dependencies()["tool-scons"]).match(Version(meta["version"]))
    assert json.loads((pkg / "package.json").read_text())["system"] == "*"
    version = subprocess.run([sys.executable, str(pkg / "scons.py"), "--version"], capture_output=True,
                             text=True).stdout
    assert "SCons" in version


def test_stale_symlink_is_removed(tmp_path: Path) -> None:
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    stale = platforms / "gone.pio-link"
    stale.write_text(json.dumps({"cwd": str(tmp_path), "spec": {"uri": "symlink://" + str(tmp_path / "nope")}}))
    live = platforms / "native.pio-link"
    live.write_text(json.dumps({"cwd": "/", "spec": {"uri": "symlink://" + str(
        REPO / "platformio_plugin" / "platforms" / "miniml-native")}}))
    subprocess.run([sys.executable, str(REPO / "scripts" / "offline_platformio.py"), "--core-dir", str(tmp_path)],
                   check=True, capture_output=True)
    assert not stale.exists() and live.exists()


def _host_program(tmp_path: Path, body: str) -> Path:
    src = tmp_path / "prog.c"
    src.write_text(body)
    exe = tmp_path / "prog"
    subprocess.run(["gcc", "-O1", str(src), "-o", str(exe)], check=True)
    return exe


def test_runner_passes_exit_status_and_times_out(tmp_path: Path) -> None:
    exe = _host_program(tmp_path, "#include <stdio.h>\nint main(void){puts(\"hi\"); return 3;}\n")
    done = subprocess.run([sys.executable, str(RUN), str(exe)], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (3, "hi\n")
    spin = _host_program(tmp_path, "int main(void){volatile int x = 1; while (x) {} return 0;}\n")
    stuck = subprocess.run([sys.executable, str(RUN), "--timeout", "1", str(spin)], capture_output=True,
                           text=True)
    assert stuck.returncode == 124
    assert "no exit after 1 s" in stuck.stderr


def test_unity_output_reads_as_platformio_unity(tmp_path: Path) -> None:
    from platformio.test.runners.unity import UnityTestRunner

    test = tmp_path / "t.cpp"
    test.write_text(
        '#include <unity.h>\n'
        'static void ok(void) { TEST_ASSERT_EQUAL_INT(3, 1 + 2); }\n'
        'static void bad(void) { TEST_ASSERT_FLOAT_WITHIN_MESSAGE(0.5f, 1.0f, 2.25f, "ctx"); }\n'
        'static void skip(void) { TEST_IGNORE_MESSAGE("later"); }\n'
        'int main() { UNITY_BEGIN(); RUN_TEST(ok); RUN_TEST(bad); RUN_TEST(skip); return UNITY_END(); }\n'
    )
    exe = tmp_path / "t"
    subprocess.run(["g++", "-I", str(UNITY), "-x", "c++", str(test), "-x", "c", str(UNITY / "unity.c"), "-o",
                    str(exe)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    cases = [UnityTestRunner.TESTCASE_PARSE_RE.search(line) for line in lines]
    parsed = [(m.group("name"), m.group("status"), m.group("message")) for m in cases if m]
    assert parsed == [
        ("ok", "PASS", None),
        ("bad", "FAIL", "Expected 1 Was 2.25:ctx"),
        ("skip", "IGNORE", "later"),
    ]
    assert lines[-2:] == ["3 Tests 1 Failures 1 Ignored ", "FAIL"]


def test_runner_reports_an_avr_crash_at_once(tmp_path: Path) -> None:
    """A write outside SRAM makes simavr wait for gdb; the runner must end the run with status 3, not hang."""
    src = tmp_path / "crash.c"
    src.write_text("#include <stdint.h>\nint main(void){ *(volatile uint8_t*)0x9000 = 1; return 0; }\n")
    elf = tmp_path / "crash.elf"
    subprocess.run(["avr-gcc", "-mmcu=atmega328p", "-Os", str(src), "-o", str(elf)], check=True)
    # the runner's own timeout (60 s) ends simavr; a shorter one here would orphan it on a loaded machine
    done = subprocess.run([sys.executable, str(RUN), "--timeout", "60", str(elf)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3
    assert "crashed" in done.stderr
