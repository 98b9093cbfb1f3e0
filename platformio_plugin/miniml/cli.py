"""Command line: `miniml export MODEL.pt2 --name NAME --out DIR [options]`, `miniml report MODEL.pt2`."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p = argparse.ArgumentParser(prog="miniml", description="PyTorch (.pt2) -> header-only C++",
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write <out>/<name>.h from a torch.export .pt2 file",
                        parents=[common])
    ex.add_argument("model", help="a .pt2 file saved with torch.export.save")
    ex.add_argument("--name", required=True, help="C++ namespace and header name")
    ex.add_argument("--out", required=True, help="output directory")
    ex.add_argument("--golden", type=int, default=0, help="embed N golden vectors")
    ex.add_argument("--seed", type=int, default=0, help="seed of the golden inputs")
    ex.add_argument("--quantize", choices=["int8"], default=None)
    ex.add_argument("--calibration", default=None, help="calibration data (.npy or .pt)")
    ex.add_argument("--calibration-method", choices=["minmax", "percentile", "mse"], default=None,
                    help="int8 activation ranges (default minmax)")
    ex.add_argument("--on-device-learning", action="store_true")
    ex.add_argument("--loss", choices=["mse", "cross_entropy"], default=None)
    ex.add_argument("--learning-rate", type=float, default=None)
    ex.add_argument("--momentum", type=float, default=None)
    ex.add_argument("--trainable", default=None)
    ex.add_argument("--report-json", default=None, help="also write the report as JSON (read by the build hook)")
    rp = sub.add_parser("report", help="print the memory/MAC table of a .pt2 file", parents=[common])
    rp.add_argument("model")
    rp.add_argument("--name", default="model")
    rp.add_argument("--plan", action="store_true", help="also print the arena plan")
    sub.add_parser("ops", help="print the supported op table (markdown, from the registry)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Every failure ends as one `miniml: error: ...` line on stderr and exit status 1 (an
    unexpected exception too, named as a bug); --debug shows the traceback instead."""
    args = _parser().parse_args(argv)
    from . import MinimlError

    try:
        return _run(args)
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a line
        if args.debug:
            raise
        if isinstance(exc, MinimlError):
            msg = " ".join(str(exc).split())
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
    if args.command == "ops":
        from .ops import op_table

        print(op_table())
        return 0
    from . import analyze, export
    from .capture import load_program

    ep = load_program(args.model)
    if args.command == "export":
        opts = {"golden": args.golden, "seed": args.seed}
        for key in ("quantize", "calibration", "calibration_method", "loss", "learning_rate",
                    "momentum", "trainable"):
            val = getattr(args, key)
            if val is not None:
                opts[key] = val
        if args.on_device_learning:
            opts["on_device_learning"] = True
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
        report = analyze(ep, None, args.name)
        _print_warnings(report)
        print(report.format_table())
        if args.plan:
            print(report.memory_plan)
    return 0


def _print_warnings(report) -> None:
    for w in report.warnings:
        print(f"miniml: warning: {w}", file=sys.stderr)
