"""Command line: `miniml export MODEL.pt2 --name NAME --out DIR [options]`, `miniml report MODEL.pt2`."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .options import add_cli_flags, cli_options


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniml", description="PyTorch (.pt2) -> header-only C++")
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write <out>/<name>.h from a torch.export .pt2 file")
    ex.add_argument("model", help="a .pt2 file saved with torch.export.save")
    ex.add_argument("--name", required=True, help="C++ namespace and header name")
    ex.add_argument("--out", required=True, help="output directory")
    add_cli_flags(ex)  # one flag per export option (miniml/options.py)
    ex.add_argument("--report-json", default=None, help="also write the report as JSON (read by the build hook)")
    rp = sub.add_parser("report", help="print the memory/MAC table of a .pt2 file")
    rp.add_argument("model")
    rp.add_argument("--name", default="model")
    rp.add_argument("--plan", action="store_true", help="also print the arena plan")
    sub.add_parser("ops", help="print the supported op table (markdown, from the registry)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "ops":
        from .ops import op_table

        print(op_table())
        return 0
    from . import MinimlError, analyze, export

    try:
        from .capture import load_program

        ep = load_program(args.model)
        if args.command == "export":
            opts = cli_options(args)
            report = export(ep, None, args.name, args.out, **opts)
            print(report.format_table())
            print(f"wrote {report.header_path}")
            if args.report_json:
                import dataclasses
                import json

                with open(args.report_json, "w", encoding="utf-8") as f:
                    json.dump(dataclasses.asdict(report), f, indent=1)
        else:
            report = analyze(ep, None, args.name)
            print(report.format_table())
            if args.plan:
                print(report.memory_plan)
    except MinimlError as exc:
        print(f"miniml: error: {exc}", file=sys.stderr)
        return 1
    return 0
