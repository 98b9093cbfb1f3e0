"""The `capture` and `dataset` subcommands of the miniml CLI (argparse parsers and their runners)."""
from __future__ import annotations

import argparse
import os
import sys

from ..errors import MinimlError


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    cp = sub.add_parser("capture", parents=[common],
                        help="record rows of numbers from a serial port into a .csv or .npy file")
    cp.add_argument("--list", action="store_true", help="list the serial ports and exit")
    cp.add_argument("--port", help="serial port, e.g. /dev/ttyACM0 or COM3")
    cp.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")
    cp.add_argument("--out", help="output file, .csv (text, label and header kept) or .npy (float64)")
    stop = cp.add_mutually_exclusive_group()
    stop.add_argument("--lines", type=int, help="stop after this many rows (default: Ctrl-C stops)")
    stop.add_argument("--seconds", type=float, help="stop after this many seconds")
    cp.add_argument("--label", help="written as the last column of every row (miniml dataset reads it)")
    cp.add_argument("--columns", help="comma-separated channel names: the CSV header and the row width")
    cp.add_argument("--wait", type=float, default=0.0,
                    help="wait up to this many seconds for the port to appear (default 0)")
    cp.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    ds = sub.add_parser("dataset", parents=[common],
                        help="labelled CSV files -> windows (length, hop) in a .npz for training")
    ds.add_argument("csv", nargs="+", help="CSV files from `miniml capture --label L`")
    ds.add_argument("--length", type=int, required=True, help="samples per window")
    ds.add_argument("--hop", type=int, help="samples from one window's start to the next (default: length)")
    ds.add_argument("--out", required=True, help="the .npz to write")


def run(args: argparse.Namespace) -> int:
    if args.command == "dataset":
        from .dataset import make_dataset

        data = make_dataset(args.csv, args.length, args.length if args.hop is None else args.hop, args.out)
        counts = ", ".join(f"{c} {int((data['y'] == i).sum())}" for i, c in enumerate(data["classes"]))
        x = data["x"]
        print(f"wrote {x.shape[0]} windows of {x.shape[1]} x {x.shape[2]} (hop {int(data['hop'])}) "
              f"to {args.out}: {counts}")
        return 0
    from .capture import capture, list_ports

    if args.list:
        ports = list_ports()
        print("\n".join(ports) if ports else "no serial ports found")
        return 0
    for flag in ("port", "out"):
        if getattr(args, flag) is None:
            raise MinimlError(f"capture needs --{flag} (or --list to see the ports)")
    columns = [c.strip() for c in args.columns.split(",")] if args.columns is not None else None
    if args.wait > 0 and not os.path.exists(args.port):
        print(f"waiting up to {args.wait:g} s for {args.port}", file=sys.stderr, flush=True)
    result = capture(args.port, args.baud, args.out, args.lines, args.seconds, args.label, columns,
                     args.overwrite, args.wait,
                     on_open=lambda: print(f"capturing {args.port} at {args.baud} baud into {args.out} "
                                           "(Ctrl-C stops)", file=sys.stderr, flush=True))
    print(result.summary(args.out), flush=True)
    if result.stopped_by == "port closed":
        raise MinimlError(f"serial port {args.port} closed after {result.rows} rows (device unplugged "
                          f"or reset?); {args.out} keeps them")
    return 0
