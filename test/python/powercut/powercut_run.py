"""Power cuts on the real Arduino EEPROM library: builds the learning sketch (sketch/, framework =
arduino on the simulated Uno, the sensor example's model) and the libsimavr harness
(powercut.c), runs the harness.

  python test/python/powercut/powercut_run.py [--stride N] [--offset K] [--env sim_uno|naive]
Prints the harness's summary line; exit status 0 only with no loss. `make powercut` runs every cut
point.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
OUT = REPO / "build" / "powercut"
AVR_HOST = REPO / "platformio_plugin" / "platforms" / "miniml-simavr" / "host"
SUMMARY = re.compile(
    r"powercut: saves (\d+) writes (\d+) cut_points (\d+) tried (\d+) losses (\d+)"
    r" save_cycles (\d+)"
)


def build_harness() -> Path:
    exe = OUT / "powercut"
    OUT.mkdir(parents=True, exist_ok=True)
    sources = [HERE / "powercut.c", AVR_HOST / "simavr_host.h"]
    if not exe.is_file() or any(s.stat().st_mtime > exe.stat().st_mtime for s in sources):
        subprocess.run(
            [
                "gcc",
                "-O2",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-I/usr/include/simavr",
                f"-I{AVR_HOST}",
                "-o",
                str(exe),
                str(sources[0]),
                "-lsimavr",
                "-lelf",
            ],
            check=True,
        )
    return exe


def build_sketch(env: str) -> Path:
    """The sketch's firmware.elf for `env`, built by PlatformIO in build/powercut/sketch."""
    project = OUT / "sketch"
    (project / "src").mkdir(parents=True, exist_ok=True)
    for rel in ("platformio.ini", "src/main.cpp"):
        shutil.copyfile(HERE / "sketch" / rel, project / rel)
    pio_env = dict(
        os.environ,
        MINIML_ROOT=str(REPO),
        PLATFORMIO_CORE_DIR=str(REPO / ".pio-core"),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
    )
    pio = str(Path(sys.executable).parent / "pio")
    done = subprocess.run(
        [pio, "run", "-e", env],
        cwd=project,
        env=pio_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(
            "pio run -e %s failed:\n%s%s" % (env, done.stdout[-4000:], done.stderr[-2000:])
        )
    return project / ".pio" / "build" / env / "firmware.elf"


def run(env: str = "sim_uno", stride: int = 1, offset: int = 0) -> tuple[dict, str]:
    """Runs the harness; returns its summary as a dict (saves, writes, cut_points, tried, losses,
    save_cycles)
    and its whole output."""
    exe, elf = build_harness(), build_sketch(env)
    done = subprocess.run(
        [str(exe), "-s", str(stride), "-o", str(offset), str(elf)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    m = SUMMARY.search(done.stdout)
    if m is None or done.returncode not in (0, 1):
        raise RuntimeError(
            "powercut harness failed (%d):\n%s%s"
            % (done.returncode, done.stdout[-4000:], done.stderr[-2000:])
        )
    keys = ("saves", "writes", "cut_points", "tried", "losses", "save_cycles")
    return dict(zip(keys, map(int, m.groups()))), done.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stride", type=int, default=1, help="try every N-th cut point (default: all)")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--env", default="sim_uno", choices=["sim_uno", "naive"])
    args = ap.parse_args()
    summary, out = run(args.env, args.stride, args.offset)
    sys.stdout.write(out)
    return 1 if summary["losses"] else 0


if __name__ == "__main__":
    sys.exit(main())
