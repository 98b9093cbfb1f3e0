"""One custom test runner: test/test_custom_runner.py. Each example carries a copy (PlatformIO looks
for it in the project's own test folder), made by scripts/copy_runner.py and equal to the source."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "test" / "test_custom_runner.py"


def test_every_example_has_the_runner_unchanged():
    examples = sorted(p.parent for p in REPO.glob("examples/*/platformio.ini"))
    assert len(examples) >= 4
    for example in examples:
        copy = example / "test" / SOURCE.name
        if "test_framework = custom" in (example / "platformio.ini").read_text() or copy.exists():
            assert copy.read_bytes() == SOURCE.read_bytes(), f"{copy}: run scripts/copy_runner.py"


def test_no_other_copy():
    copies = [
        p
        for p in REPO.rglob(SOURCE.name)
        if not {".pio", ".pio-core", ".venv", "build"} & set(p.parts)
    ]
    allowed = {SOURCE} | {
        p.parent / "test" / SOURCE.name for p in REPO.glob("examples/*/platformio.ini")
    }
    assert set(copies) <= allowed
