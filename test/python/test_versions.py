"""One version string: miniml/version.py. Every manifest that must spell it out repeats it."""

import json
import re
from pathlib import Path

from miniml.version import VERSION

REPO = Path(__file__).resolve().parents[2]
JSON_MANIFESTS = [
    "library.json",
    "platformio_plugin/unity/library.json",
    *sorted(
        str(p.relative_to(REPO)) for p in REPO.glob("platformio_plugin/platforms/*/platform.json")
    ),
]


def test_json_manifests_repeat_the_version():
    assert len(JSON_MANIFESTS) >= 6
    for rel in JSON_MANIFESTS:
        assert json.loads((REPO / rel).read_text())["version"] == VERSION, rel


def test_arduino_manifest_repeats_the_version():
    text = (REPO / "library.properties").read_text()
    assert re.search(r"^version=(.*)$", text, re.M).group(1) == VERSION


def test_pyproject_reads_the_version():
    text = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'attr = "miniml.version.VERSION"' in text
    assert not re.search(r"^version\s*=\s*\"", text, re.M)


def test_generated_header_names_the_version():
    import miniml
    from miniml.emit import header

    assert miniml.__version__ == VERSION and header.VERSION is VERSION
