"""The arena plan as a picture (`miniml report MODEL --plot plan.png`, hook option custom_miniml_plot):
each arena tensor a rectangle (x: lifetime in layers, y: its bytes in the arena), the lower bound as a
line, and per layer the live RAM and the MACs beside it. matplotlib is imported only here."""

from __future__ import annotations

from typing import Any

from .errors import MinimlError


def plot_plan(report: Any, path: str) -> None:
    """Writes report's arena plan (Report.plan_buffers / layers) to path (PNG, or any matplotlib
    format by its extension)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in requirements-dev.txt
        raise MinimlError(f"--plot {path}: matplotlib is not installed ({exc})") from None
    steps = max(len(report.layers), 1)
    fig, (plan, ram, macs) = plt.subplots(
        1, 3, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 1.2, 1.2]}
    )
    colors = plt.get_cmap("tab20").colors
    for i, b in enumerate(report.plan_buffers):
        plan.add_patch(
            plt.Rectangle(
                (b["start"] - 0.45, b["offset"]),
                b["end"] - b["start"] + 0.9,
                b["size"],
                facecolor=colors[i % len(colors)],
                edgecolor="black",
                linewidth=0.5,
            )
        )
        if b["size"] >= report.arena_bytes / 25:
            plan.text(b["start"], b["offset"] + b["size"] / 2, b["tensor"], fontsize=6, va="center")
    plan.axhline(
        report.arena_lower_bound,
        color="red",
        linestyle="--",
        linewidth=1,
        label=f"lower bound {report.arena_lower_bound} B",
    )
    plan.axhline(
        report.arena_bytes, color="black", linewidth=1, label=f"arena {report.arena_bytes} B"
    )
    plan.set_xlim(-0.6, steps - 0.4)
    plan.set_ylim(0, max(report.arena_bytes, 1) * 1.08)
    plan.set_xlabel("layer (lifetime)")
    plan.set_ylabel("arena offset (bytes)")
    plan.set_title(f"{report.name}: arena plan")
    plan.legend(fontsize=7, loc="upper right")
    names = [r.name for r in report.layers]
    live = [0] * steps
    for b in report.plan_buffers:
        for t in range(b["start"], min(b["end"], steps - 1) + 1):
            live[t] += b["size"]
    ram.barh(range(steps), live, color="tab:purple")
    ram.axvline(report.arena_lower_bound, color="red", linestyle="--", linewidth=1)
    ram.set_title("live arena bytes", fontsize=9)
    macs.barh(range(steps), [r.macs for r in report.layers], color="tab:blue")
    macs.set_title(f"MACs (total {report.macs})", fontsize=9)
    for ax in (ram, macs):
        ax.set_yticks(range(steps))
        ax.set_yticklabels(names, fontsize=6)
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
