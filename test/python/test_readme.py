"""The README's generated tables match their sources (the op registry, the hook's options)."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", REPO / "scripts/update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_are_current():
    readme = (REPO / "README.md").read_text()
    tool = _update_readme()
    assert tool.render(readme) == readme, "README tables are stale: run scripts/update_readme.py"
    assert "`custom_miniml_model`" in readme and "`ops/linear.py`" in readme
