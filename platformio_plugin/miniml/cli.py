"""Command line: `miniml export MODEL --name NAME --out DIR [options]`, `miniml report MODEL`; MODEL is a
torch.export .pt2 file or a scikit-learn model saved with skops.io.dump (.skops). `miniml capture` and
`miniml dataset` (sensor data from a board) live in sensor/cli.py."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .options import add_cli_flags, cli_options
from .sensor import cli as sensor_cli


# export options that change the header only, not what the report counts (its own --plot draws)
REPORT_SKIPS = ("golden", "plot", "seed")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p = argparse.ArgumentParser(prog="miniml",
                                description="PyTorch (.pt2) or scikit-learn (.skops) -> header-only C++",
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write <out>/<name>.h from a .pt2 or .skops file",
                        parents=[common])
    ex.add_argument("model", help="a .pt2 file (torch.export.save) or a .skops file (skops.io.dump)")
    ex.add_argument("--name", required=True, help="C++ namespace and header name")
    ex.add_argument("--out", required=True, help="output directory")
    add_cli_flags(ex)  # one flag per export option (miniml/options.py)
    ex.add_argument("--report-json", default=None, help="also write the report as JSON (read by the build hook)")
    rp = sub.add_parser("report", help="print the memory/MAC table of a .pt2 file", parents=[common])
    rp.add_argument("model")
    rp.add_argument("--name", default="model")
    rp.add_argument("--plan", action="store_true", help="also print the arena plan")
    rp.add_argument("--plot", default=None, help="draw the arena plan, RAM and MACs per layer (PNG)")
    add_cli_flags(rp, REPORT_SKIPS)  # the table of that export (learning: training RAM, gradients)
    sub.add_parser("ops", help="print the supported op table (markdown, from the registry)")
    sensor_cli.add_parsers(sub, common)
    return p


def _load(path: str):
    """An ExportedProgram from a .pt2 file, or a scikit-learn estimator from a .skops file."""
    from .classic.skops_io import load_skops, refuse_pickle

    refuse_pickle(path)
    if path.lower().endswith(".skops"):
        return load_skops(path)
    from .capture import load_program

    return load_program(path)


def main(argv: Optional[List[str]] = None) -> int:
    """Every failure ends as one `miniml: error: ...` message on stderr and exit status 1 (an
    unexpected exception too, named as a bug); --debug shows the traceback instead."""
    args = _parser().parse_args(argv)
    from . import MinimlError

    try:
        return _run(args)
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a line
        if args.debug:
            raise
        if isinstance(exc, MinimlError):
            # one error; its first line names the layer/option/file, further lines (the layer's
            # source line, the supported-op list) follow as they are, never a traceback
            msg = "\n".join(ln.rstrip() for ln in str(exc).strip().splitlines() if ln.strip())
        else:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            msg = (f"internal error {type(exc).__name__}: {first} (a MiniML bug: rerun with --debug "
                   "and report the traceback)")
        print(f"miniml: error: {msg}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    import warnings

    from .errors import MinimlWarning

    warnings.simplefilter("ignore", MinimlWarning)  # printed from the report, one line each
    if args.command in ("capture", "dataset"):
        return sensor_cli.run(args)
    if args.command == "ops":
        from .ops import op_table

        print(op_table())
        return 0
    from . import analyze, export

    ep = _load(args.model)
    if args.command == "export":
        opts = cli_options(args)
        report = export(ep, None, args.name, args.out, **opts)
        _print_warnings(report)
        print(report.format_table())
        print(f"wrote {report.header_path}")
        if args.report_json:
            import dataclasses
            import json

            with open(args.report_json, "w", encoding="utf-8") as f:
                json.dump(dataclasses.asdict(report), f, indent=1)
    else:
        report = analyze(ep, None, args.name, **cli_options(args, REPORT_SKIPS))
        _print_warnings(report)
        print(report.format_table())
        if args.plan:
            print(report.memory_plan)
        if args.plot:
            from .plot import plot_plan

            plot_plan(report, args.plot)
            print(f"wrote {args.plot}")
    return 0


def _print_warnings(report) -> None:
    for w in report.warnings:
        print(f"miniml: warning: {w}", file=sys.stderr)
