"""The figure of ``sysmodel allocate``: expected adverse outcomes by allocation rule and group.

Drawn from the tidy summary table (:attr:`sysmodel.allocate.AllocationResult.summary`) on a matplotlib
``Figure`` with the Agg canvas, and written as PNG atomically (as :mod:`sysmodel.report.figures`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..files import atomic_path
from .figures import _Percent  # tick labels with just enough decimals to tell ticks apart

__all__ = ["allocation_plot"]

_DPI = 130
# Flag 0 hollow, flag 1 filled: the two stay apart in grey-scale print and for colour-blind readers.
_VALUE_STYLE = {0: dict(marker="o", mfc="white"), 1: dict(marker="o")}


def allocation_plot(summary: pd.DataFrame, path: str | Path) -> Path:
    """Expected adverse outcome rate under each rule: all households, then each group's two values,
    with the observed assignment's rate as a dashed line and the optimum (a bound) at the bottom."""
    fig = _draw_allocation(summary)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI)
    return path


def _draw_allocation(summary: pd.DataFrame) -> Figure:
    """The figure of :func:`allocation_plot`, not yet saved."""
    rules = list(dict.fromkeys(summary["rule"].astype(str)))
    panels = list(dict.fromkeys(summary["group"]))
    fig = Figure(figsize=(3.4 * len(panels) + 1.6, 0.42 * len(rules) + 1.9), dpi=_DPI,
                 layout="constrained")  # fmt: skip
    FigureCanvasAgg(fig)
    colors = sns.color_palette("colorblind", 2)
    with sns.axes_style("whitegrid"):
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False).ravel()
    y = np.arange(len(rules))
    for ax, group in zip(axes, panels, strict=True):
        sub = summary[summary["group"] == group]
        values = [None] if group == "all" else [0, 1]
        for k, value in enumerate(values):
            cell = sub if value is None else sub[sub["group_value"] == value]
            rate = cell.set_index(cell["rule"].astype(str)).loc[rules, "expected_adverse_rate"]
            style = _VALUE_STYLE[1] if value is None else _VALUE_STYLE[value]
            color = colors[0] if value is None else colors[k]
            label = None if value is None else f"{group} = {value}"
            ax.plot(rate.to_numpy(), y, ls="none", color=color, ms=6, label=label, **style)
            ax.axvline(rate.loc["observed"], color=color, ls="--", lw=0.9)
        if group != "all":
            ax.legend(fontsize=7.5, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2,
                      frameon=False, handletextpad=0.2, columnspacing=0.8)  # fmt: skip
        ax.set_title("all households" if group == "all" else "\n", fontsize=9)
        ax.xaxis.set_major_formatter(_Percent())
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", visible=False)
        if "optimum" in rules:  # the bound is set apart from the rules by a line
            ax.axhline(rules.index("optimum") - 0.5, color="0.6", lw=0.8)
    axes[0].set_yticks(y, [r.replace("_", " ") + (" (bound)" if r == "optimum" else "")
                           for r in rules])  # fmt: skip
    axes[0].invert_yaxis()
    fig.supxlabel("expected adverse outcome rate (mean predicted probability)", fontsize=9)
    fig.suptitle(
        "Expected adverse outcomes under each allocation rule\n"
        "dashed line: the observed assignment; optimum: the fewest any rule could reach",
        size=10,
    )
    return fig
