"""Command line: `miniml export MODEL.pt2 --name NAME --out DIR [options]`, `miniml report MODEL.pt2`."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniml", description="PyTorch (.pt2) -> header-only C++")
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write <out>/<name>.h from a torch.export .pt2 file")
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
    ex.add_argument("--plot", action="store_true",
                    help="also draw the arena plan, RAM and MACs per layer to <out>/<name>.plan.png")
    rp = sub.add_parser("report", help="print the memory/MAC table of a .pt2 file")
    rp.add_argument("model")
    rp.add_argument("--name", default="model")
    rp.add_argument("--plan", action="store_true", help="also print the arena plan")
    rp.add_argument("--plot", default=None, help="draw the arena plan, RAM and MACs per layer (PNG)")
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
            opts = {"golden": args.golden, "seed": args.seed}
            for key in ("quantize", "calibration", "calibration_method", "loss", "learning_rate",
                        "momentum", "trainable"):
                val = getattr(args, key)
                if val is not None:
                    opts[key] = val
            if args.on_device_learning:
                opts["on_device_learning"] = True
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
        if args.plot:
            import os

            from .plot import plot_plan

            path = args.plot if args.command == "report" else os.path.join(args.out, f"{args.name}.plan.png")
            plot_plan(report, path)
            print(f"wrote {path}")
    except MinimlError as exc:
        print(f"miniml: error: {exc}", file=sys.stderr)
        return 1
    return 0
