"""The PlatformIO build hook's logic, stdlib only (never imports torch): options -> stamps ->
exporter -> table.

`generate()` takes plain values, so tests drive it without SCons; platformio_plugin/extra_script.py
is the thin SCons shell around it. Outputs go only to `<build_dir>/miniml/`; the library folder is
never written.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import stamp
from .exporter import ExportError, check_model_file, find_python, run_export
from .options import OptionError, Options, parse
from .table import Board, BoardFitError, check_fit, format_table

__all__ = [
    "Board",
    "BoardFitError",
    "ExportError",
    "HOOK_ERRORS",
    "OptionError",
    "Options",
    "generate",
]

HOOK_ERRORS = (OptionError, ExportError, BoardFitError)
OUT_FOLDER = "miniml"
PACKAGE_DIR = os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))
)  # .../platformio_plugin/miniml
PLUGIN_DIR = os.path.dirname(PACKAGE_DIR)  # .../platformio_plugin, put on the exporter's PYTHONPATH


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def generate(
    raw_options: Mapping[str, str],
    project_dir: str,
    build_dir: str,
    board: Board,
    default_python: Sequence[str],
    log: Callable[[str], None],
) -> Optional[str]:
    """Export every model of the env whose inputs changed; return the folder to prepend to CPPPATH.

    Returns None when the env names no model. Raises one of HOOK_ERRORS with a one-line message.
    """
    opts = parse(raw_options, project_dir)
    if not opts.models:
        return None
    out_dir = os.path.join(build_dir, OUT_FOLDER)
    os.makedirs(out_dir, exist_ok=True)
    sources = stamp.sources_digest(PACKAGE_DIR)
    stamps = stamp.load(out_dir)
    settings = opts.export_args() + [f"python={opts.python or ''}"]
    extra_files = [opts.calibration] if opts.calibration else []
    python: Optional[str] = None
    rows: List[Tuple[Dict, str]] = []
    for spec in opts.models:
        check_model_file(spec)
        digest = stamp.model_digest(
            spec.path, extra_files, settings + [f"name={spec.name}"], sources
        )
        if stamp.current(stamps, spec.name, digest, out_dir):
            with open(os.path.join(out_dir, f"{spec.name}.report.json"), encoding="utf-8") as f:
                report = json.load(f)
            status = "up to date"
        else:
            if python is None:
                python = find_python(opts.python, default_python, project_dir)
            log(
                f"exporting {os.path.relpath(spec.path, project_dir)} -> {spec.name}.h "
                f"with {python}"
            )
            # A failed export must not leave a stamp that claims the old header is current.
            stamps.pop(spec.name, None)
            stamp.save(out_dir, stamps)
            report = run_export(python, PLUGIN_DIR, spec, out_dir, opts.export_args(), project_dir)
            stamps[spec.name] = digest
            stamp.save(out_dir, stamps)
            status = "exported"
        report.setdefault("name", spec.name)
        for warning in report.get("warnings", []):  # MinimlWarning: exports, but may work poorly
            log(f"warning: {spec.name}: {warning}")
        rows.append((report, status))

    names = {spec.name for spec in opts.models}
    for stale in [n for n in stamps if n not in names]:
        for suffix in (".h", ".report.json"):
            _remove(os.path.join(out_dir, stale + suffix))
        del stamps[stale]
        stamp.save(out_dir, stamps)

    shown = os.path.relpath(out_dir, project_dir)
    log(f"headers in {out_dir if shown.startswith('..') else shown}")
    for line in format_table(rows):
        log(line)
    summary = check_fit([r for r, _ in rows], board)
    if summary:
        log(summary)
    return out_dir
