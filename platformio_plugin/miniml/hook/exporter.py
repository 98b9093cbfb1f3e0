"""Runs `<python> -m miniml export` in a subprocess with an interpreter that has torch.

PlatformIO's own Python (in the IDE) has no torch, so the exporter never runs in-process; PYTHONPATH
points at this repo's platformio_plugin/ so the subprocess imports this copy of `miniml`, whatever
else is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from typing import Dict, List, Optional, Sequence

from .options import ModelSpec, OptionError

INSTALL_PACKAGES = "torch numpy"
# Exit status of the probe when torch is missing (anything else non-zero: the interpreter itself
# failed).
_NO_TORCH = 37
_PROBE = (
    "import importlib.util, sys; "
    "sys.exit(0 if importlib.util.find_spec('torch') and importlib.util.find_spec('numpy') "
    f"else {_NO_TORCH})"
)


class ExportError(RuntimeError):
    """The exporter could not run or refused the model; str() is the message shown to the user."""


def _resolve(python: str, project_dir: str) -> Optional[str]:
    expanded = os.path.expanduser(python)
    if os.sep in expanded or (os.altsep and os.altsep in expanded):
        path = os.path.normpath(os.path.join(project_dir, expanded))
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return shutil.which(expanded)


def find_python(configured: Optional[str], default: Sequence[str], project_dir: str) -> str:
    """The interpreter to export with: custom_miniml_python if set, else the first default that has
    torch."""
    candidates = [configured] if configured else [c for c in default if c]
    tried: List[str] = []
    for cand in candidates:
        path = _resolve(cand, project_dir)
        if path is None:
            if configured:
                raise OptionError(
                    f"custom_miniml_python = {configured!r} is not valid (no such interpreter); "
                    "valid: a Python interpreter with torch (path or command name)"
                )
            continue
        if path in tried:
            continue
        tried.append(path)
        try:
            status = subprocess.run(
                [path, "-c", _PROBE],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
        except OSError:
            status = -1
        if status == 0:
            return path
    first = tried[0] if tried else (configured or "python3")
    raise ExportError(
        f"no Python with torch to export the model (tried: {', '.join(tried) or first}); "
        f"install it with: {first} -m pip install {INSTALL_PACKAGES}"
        + (
            ""
            if configured
            else "  (or set custom_miniml_python = <python with torch> in platformio.ini)"
        )
    )


def check_model_file(spec: ModelSpec) -> None:
    """Cheap checks before starting torch: the file exists and is a zip archive (.pt2 and .skops
    both are)."""
    if not os.path.isfile(spec.path):
        raise OptionError(
            f"custom_miniml_model: {spec.path} does not exist; run the script that saves it"
        )
    try:
        is_zip = zipfile.is_zipfile(spec.path)
    except Exception:  # a damaged end record can raise instead of answering False
        is_zip = False
    if not is_zip and spec.path.endswith(".skops"):
        raise ExportError(f"{spec.path} is not a .skops file (not a zip file); save the model with "
                          "skops.io.dump(model, path)")
    if not is_zip:
        raise ExportError(
            f"{spec.path} is not a torch.export archive (not a zip file); "
            "save it with torch.export.save(torch.export.export(model, (x,)), path)"
        )


def _failure(output: str) -> str:
    """The exporter's error, first line first: the `miniml: error:` line names the layer; what
    follows (its source line, the supported-op list) comes after it. Without such a line, the last
    line (a traceback's exception); "" without output."""
    lines = [ln.rstrip() for ln in output.strip().splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        for prefix in ("miniml: error: ", "error: "):
            if line.startswith(prefix):
                return "\n".join([line[len(prefix) :], *lines[i + 1 :]])
    return lines[-1].strip() if lines else ""


def run_export(
    python: str,
    plugin_dir: str,
    spec: ModelSpec,
    out_dir: str,
    args: Sequence[str],
    project_dir: str,
) -> Dict:
    """Export one model; returns the report dict the CLI wrote with --report-json."""
    report_path = os.path.join(out_dir, f"{spec.name}.report.json")
    if os.path.exists(report_path):
        os.remove(report_path)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([plugin_dir] + [p for p in [env.get("PYTHONPATH")] if p])
    env.pop("PYTHONHOME", None)  # PlatformIO's may point at its own Python, not the one we start
    cmd = [
        python,
        "-m",
        "miniml",
        "export",
        spec.path,
        "--name",
        spec.name,
        "--out",
        out_dir,
        *args,
        "--report-json",
        report_path,
    ]
    proc = subprocess.run(
        cmd,
        cwd=project_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if proc.returncode != 0:
        why = _failure(proc.stderr + proc.stdout) or f"exit status {proc.returncode}"
        raise ExportError(f"{os.path.basename(spec.path)}: export failed: {why}")
    try:
        with open(report_path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise ExportError(
            f"{spec.name}: the exporter wrote no report ({exc}); command: {' '.join(cmd)}"
        ) from None
