"""The arena plan as a picture (`miniml report MODEL --plot plan.png`, hook option custom_miniml_plot):
each arena tensor a rectangle (x: lifetime in layers, y: its bytes in the arena), the lower bound as a
line, and per layer the live RAM and the MACs beside it; for a model that learns, the gradient buffer
of learn() below it the same way (x: backward steps). matplotlib is imported only here."""

from __future__ import annotations

from typing import Any, List, Sequence

from .errors import MinimlError


def plot_plan(report: Any, path: str) -> None:
    """Writes report's arena plan (Report.plan_buffers / layers) and gradient buffer plan
    (Report.gradient_buffers / gradient_steps) to path (PNG, or any matplotlib format by its
    extension)."""
    fig = draw_plan(report)
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)


def draw_plan(report: Any) -> Any:
    """The matplotlib Figure plot_plan saves: row 0 the arena plan, live arena bytes and MACs per
    layer; row 1 (a model that learns) the gradient buffer plan and live gradient bytes per step."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in requirements-dev.txt
        raise MinimlError(f"--plot: matplotlib is not installed ({exc})") from None
    grads = bool(report.gradient_buffers)
    fig, axes = plt.subplots(
        2 if grads else 1, 3, figsize=(13, 9 if grads else 4.5), squeeze=False,
        gridspec_kw={"width_ratios": [3, 1.2, 1.2]},
    )
    names = [r.name for r in report.layers]
    _plan(axes[0][0], report.plan_buffers, report.arena_bytes, report.arena_lower_bound,
          len(names), f"{report.name}: arena plan", "layer (lifetime)", "arena")
    _live(axes[0][1], report.plan_buffers, names, report.arena_lower_bound, "live arena bytes")
    macs = axes[0][2]
    macs.barh(range(len(names)), [r.macs for r in report.layers], color="tab:blue")
    macs.set_title(f"MACs (total {report.macs})", fontsize=9)
    _label_steps(macs, names)
    if grads:
        steps = report.gradient_steps
        _plan(axes[1][0], report.gradient_buffers, report.gradient_buffer_bytes,
              report.gradient_lower_bound, len(steps), f"{report.name}: learn() gradient buffer",
              "backward step (lifetime)", "gradient buffer")
        _live(axes[1][1], report.gradient_buffers, steps, report.gradient_lower_bound,
              "live gradient bytes")
        axes[1][2].axis("off")
    fig.tight_layout()
    return fig


def _plan(ax: Any, buffers: Sequence[dict], total: int, bound: int, steps: int, title: str,
          xlabel: str, what: str) -> None:
    """Each buffer a rectangle of lifetime x bytes, the lower bound and the total as lines."""
    import matplotlib.pyplot as plt

    colors = plt.get_cmap("tab20").colors
    for i, b in enumerate(buffers):
        ax.add_patch(
            plt.Rectangle(
                (b["start"] - 0.45, b["offset"]),
                b["end"] - b["start"] + 0.9,
                b["size"],
                facecolor=colors[i % len(colors)],
                edgecolor="black",
                linewidth=0.5,
                label="_" + b["tensor"],  # "_": kept out of the legend, names the tensor
            )
        )
        if b["size"] >= total / 25:
            ax.text(b["start"], b["offset"] + b["size"] / 2, b["tensor"], fontsize=6, va="center")
    ax.axhline(bound, color="red", linestyle="--", linewidth=1, label=f"lower bound {bound} B")
    ax.axhline(total, color="black", linewidth=1, label=f"{what} {total} B")
    ax.set_xlim(-0.6, max(steps, 1) - 0.4)
    ax.set_ylim(0, max(total, 1) * 1.08)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{what} offset (bytes)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")


def _live(ax: Any, buffers: Sequence[dict], names: List[str], bound: int, title: str) -> None:
    """Bytes alive per step, the lower bound (their largest) as a line."""
    steps = max(len(names), 1)
    live = [0] * steps
    for b in buffers:
        for t in range(b["start"], min(b["end"], steps - 1) + 1):
            live[t] += b["size"]
    ax.barh(range(steps), live, color="tab:purple")
    ax.axvline(bound, color="red", linestyle="--", linewidth=1)
    ax.set_title(title, fontsize=9)
    _label_steps(ax, names)


def _label_steps(ax: Any, names: List[str]) -> None:
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=6)
    ax.invert_yaxis()
