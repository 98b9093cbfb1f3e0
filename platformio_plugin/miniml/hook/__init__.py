"""The PlatformIO build hook's logic, stdlib only (never imports torch): options -> stamps ->
exporter -> table.

`generate()` takes plain values, so tests drive it without SCons; platformio_plugin/extra_script.py
is the thin SCons shell around it. Outputs go only to `<build_dir>/miniml/`; the library folder is
never written.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import stamp
from .exporter import ExportError, check_model_file, find_python, run_export
from .options import DATA_FILES, OptionError, Options, parse
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
# <build_dir>/../miniml-shared/<digest>/: exports any env of the project may reuse (same inputs
# and options)
SHARED_FOLDER = "miniml-shared"
PACKAGE_DIR = os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))
)  # .../platformio_plugin/miniml
PLUGIN_DIR = os.path.dirname(PACKAGE_DIR)  # .../platformio_plugin, put on the exporter's PYTHONPATH


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _copy(src: str, dst: str, files: Sequence[str]) -> None:
    os.makedirs(dst, exist_ok=True)
    for f in files:
        tmp = os.path.join(dst, f + ".tmp")
        shutil.copyfile(os.path.join(src, f), tmp)
        os.replace(tmp, os.path.join(dst, f))


def _prune_shared(builds: str) -> None:
    """Drop shared exports no env of the project uses any more (the stamps name what each uses)."""
    shared = os.path.join(builds, SHARED_FOLDER)
    if not os.path.isdir(shared):
        return
    used = set()
    for env in os.listdir(builds):
        used |= set(stamp.load(os.path.join(builds, env, OUT_FOLDER)).values())
    for digest in os.listdir(shared):
        if digest not in used:
            shutil.rmtree(os.path.join(shared, digest), ignore_errors=True)


def generate(
    raw_options: Mapping[str, str],
    project_dir: str,
    build_dir: str,
    board: Board,
    default_python: Sequence[str],
    log: Callable[[str], None],
) -> Optional[str]:
    """Export every model of the env whose inputs changed; return the folder to prepend to CPPPATH.

    Returns None when the env names no model. Raises one of HOOK_ERRORS; the first line of its
    message says what failed (an export failure adds the exporter's further lines).
    """
    opts = parse(raw_options, project_dir)
    if not opts.models:
        unused = sorted(k for k, v in raw_options.items() if k.startswith("custom_miniml_") and v)
        if unused:
            log(f"warning: {', '.join(unused)} set but no custom_miniml_model: ignored")
        return None
    out_dir = os.path.join(build_dir, OUT_FOLDER)
    os.makedirs(out_dir, exist_ok=True)
    sources = stamp.sources_digest(PACKAGE_DIR)
    stamps = stamp.load(out_dir)
    settings = opts.export_args() + [f"python={opts.python or ''}"]
    extra_files = [opts.values[k] for k in DATA_FILES if opts.values.get(k)]
    python: Optional[str] = None
    rows: List[Tuple[Dict, str]] = []
    for spec in opts.models:
        check_model_file(spec)
        digest = stamp.model_digest(
            spec.path, extra_files, settings + [f"name={spec.name}"], sources
        )
        files = [f"{spec.name}.h", f"{spec.name}.report.json"]
        shared = os.path.join(os.path.dirname(build_dir), SHARED_FOLDER, digest)
        if stamp.current(stamps, spec.name, digest, out_dir):
            status = "up to date"
        elif all(os.path.isfile(os.path.join(shared, f)) for f in files):
            _copy(shared, out_dir, files)  # another env of the project exported the same
            stamps[spec.name] = digest
            stamp.save(out_dir, stamps)
            status = "shared"
        else:
            if python is None:
                python = find_python(opts.python, default_python, project_dir)
            log(
                f"exporting {os.path.relpath(spec.path, project_dir)} -> {spec.name}.h "
                f"with {python}"
            )
            # A failed export must leave neither a stamp nor a header that claims to be current.
            stamps.pop(spec.name, None)
            stamp.save(out_dir, stamps)
            for f in files:
                _remove(os.path.join(out_dir, f))
            run_export(python, PLUGIN_DIR, spec, out_dir, opts.export_args(), project_dir)
            _copy(out_dir, shared, files)
            stamps[spec.name] = digest
            stamp.save(out_dir, stamps)
            status = "exported"
        with open(os.path.join(out_dir, files[1]), encoding="utf-8") as f:
            report = json.load(f)
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
    _prune_shared(os.path.dirname(build_dir))

    shown = os.path.relpath(out_dir, project_dir)
    log(f"headers in {out_dir if shown.startswith('..') else shown}")
    for line in format_table(rows):
        log(line)
    summary = check_fit([r for r, _ in rows], board, opts.golden or 0, opts.quantize == "int8")
    if summary:
        log(summary)
    return out_dir
