"""One board table: the simulated boards' JSON files (platformio_plugin/platforms/*/boards). The
platform builders, scripts/toolchains.py, the bench and the tests read memory maps from them; no
other file spells a board's flash or RAM size."""

from __future__ import annotations

import json
import re
from pathlib import Path

import toolchains

REPO = Path(__file__).resolve().parents[3]
BOARDS = sorted(REPO.glob("platformio_plugin/platforms/*/boards/*.json"))
# files that once carried their own copy of a memory map
READERS = [
    "scripts/toolchains.py",
    "scripts/bench/firmware.py",
    "test/python/infra/test_counters.py",
    "test/python/hook/test_hook_export.py",
    *sorted(
        str(p.relative_to(REPO)) for p in REPO.glob("platformio_plugin/platforms/*/builder/main.py")
    ),
]


def test_every_target_has_a_board_json():
    names = {p.stem for p in BOARDS}
    assert set(toolchains.BOARD_NAMES.values()) == names
    for target in toolchains.BOARD_NAMES:
        flash, ram = toolchains.limits(target)
        assert flash > 0 and ram > 0


def test_qemu_link_maps_are_the_board_json():
    for target, name in toolchains.BOARD_NAMES.items():
        b = json.loads(next(p for p in BOARDS if p.stem == name).read_text())
        if "flash_origin" not in b["build"]:
            continue  # the AVR has no linker map to give
        expected = (
            "--defsym=__flash=%#010x,--defsym=__flash_size=%d,--defsym=__ram=%#010x,--defsym=__ram_size=%d"
            % (
                int(b["build"]["flash_origin"], 16),
                b["upload"]["maximum_size"],
                int(b["build"]["ram_origin"], 16),
                b["upload"]["maximum_ram_size"],
            )
        )
        assert toolchains.MEMORY[target] == "-Wl," + expected


def test_no_file_repeats_a_board_size():
    sizes = set()
    for path in BOARDS:
        upload = json.loads(path.read_text())["upload"]
        sizes |= {upload["maximum_size"], upload["maximum_ram_size"]}
    for rel in READERS:
        text = (REPO / rel).read_text()
        numbers = {
            int(n.replace("_", "")) for n in re.findall(r"(?<![\w.])\d[\d_]{3,}(?![\w.])", text)
        }
        hex_numbers = {int(n, 16) for n in re.findall(r"0x[0-9a-fA-F]+", text)}
        assert not (numbers | hex_numbers) & sizes, rel
