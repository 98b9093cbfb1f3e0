"""Copies the one custom test runner, test/test_custom_runner.py, into PlatformIO projects:
PlatformIO looks for it at the root of each project's test folder, so every example keeps a copy
(test/python/test_runner_copies.py holds them equal to the source).

  .venv/bin/python scripts/copy_runner.py                  every examples/*/test/
  .venv/bin/python scripts/copy_runner.py PROJECT [...]    <PROJECT>/test/ of your own projects
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "test" / "test_custom_runner.py"


def main(argv):
    projects = [Path(p) for p in argv] or sorted(
        p.parent for p in REPO.glob("examples/*/platformio.ini")
    )
    for project in projects:
        folder = project / "test"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE, folder / SOURCE.name)
        print("[miniml] %s" % (folder / SOURCE.name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
