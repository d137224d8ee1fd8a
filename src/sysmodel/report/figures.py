"""Figures of a scenario comparison: forest plot, monthly trajectories, equity, paired counterfactual.

Each function takes tidy DataFrames (the tables of :class:`sysmodel.experiments.compare.Comparison`),
draws on a matplotlib ``Figure`` with the Agg canvas (no pyplot, no global state, no display needed) and
writes a PNG atomically. Every function returns the path it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..files import atomic_path
from .format import short_number

__all__ = ["forest_plot", "trajectory_plot", "equity_plot", "counterfactual_plot", "TRAJECTORIES"]

# Monthly-table columns drawn by trajectory_plot: (column, panel title).
TRAJECTORIES: tuple[tuple[str, str], ...] = (
    ("n_shelter", "families in shelter"),
    ("evictions", "evictions per month"),
    ("employment_rate", "employment rate"),
    ("mean_income_usd", "mean income (USD/month)"),
    ("mean_savings_usd", "mean savings (USD)"),
    ("cost_total_usd", "public cost per month (USD)"),
)
_VERDICT_COLORS = {"better": "#1b7837", "worse": "#b2182b", "no clear difference": "#6b6b6b"}
_DPI = 130


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG via a temporary file and an atomic rename."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI)
    return path


def _axis_number(value: float, _pos: int | None = None) -> str:
    return short_number(value) if abs(value) >= 1e4 else f"{value:,.4g}"


def _in_unit(value: float, unit: str) -> str:
    """A difference in its outcome's unit: shares as percentage points, the rest as short numbers."""
    if str(unit).startswith("share") and np.isfinite(value):
        return f"{100 * value:+.2f} pp"
    return short_number(value)


def forest_plot(differences: pd.DataFrame, path: str | Path) -> Path:
    """Paired differences of every outcome as a share of the reference mean, with 95% intervals.

    Colour says whether the interval excludes zero in the better (green) or worse (red) direction; the
    right-hand column gives the difference and its interval in the outcome's own unit. The axis is
    linear within +-10% and logarithmic beyond, so small and large changes are both readable.
    """
    d = differences.copy()
    outcomes = list(dict.fromkeys(d["outcome"]))
    arms = list(dict.fromkeys(d["scenario"]))
    reference = d["reference"].iloc[0]
    n = int(d["n"].max())
    step = 0.8 / max(len(arms), 1)
    fig = _new_figure(12.5, 0.3 * len(outcomes) * max(1.0, 0.7 * len(arms)) + 1.5)
    with sns.axes_style("whitegrid"):
        ax = fig.add_subplot()
    ax.axvline(0, color="black", lw=0.8)
    markers = ["o", "s", "D", "^", "v"]
    for j, arm in enumerate(arms):
        sub = d[d["scenario"] == arm].set_index("outcome").loc[outcomes]
        ref = sub["reference_mean"].abs().replace(0, np.nan)  # % of the reference's size
        x = 100 * sub["mean"] / ref
        lo, hi = 100 * sub["ci_low"] / ref, 100 * sub["ci_high"] / ref
        y = np.arange(len(outcomes)) + (j - (len(arms) - 1) / 2) * step
        for k, name in enumerate(outcomes):
            row = sub.loc[name]
            color = _VERDICT_COLORS[row["verdict"]]
            if np.isfinite(x.iloc[k]):
                err = np.abs(np.nan_to_num([[x.iloc[k] - lo.iloc[k]], [hi.iloc[k] - x.iloc[k]]]))
                ax.errorbar(x.iloc[k], y[k], xerr=err, fmt=markers[j % 5], color=color, ms=5,
                            capsize=3, lw=1.4)  # fmt: skip
            unit = row["unit"]
            text = (
                f"{_in_unit(row['mean'], unit)}  "
                f"[{_in_unit(row['ci_low'], unit)}, {_in_unit(row['ci_high'], unit)}]"
            )
            if len(arms) > 1:
                text = f"{arm}: {text}"
            ax.annotate(text, xy=(1.01, y[k]), xycoords=("axes fraction", "data"), va="center",
                        fontsize=7.5, color=color)  # fmt: skip
    labels = d.drop_duplicates("outcome").set_index("outcome").loc[outcomes]
    ax.set_yticks(np.arange(len(outcomes)))
    ax.set_yticklabels([f"{r.label} ({r.unit})" for r in labels.itertuples()], fontsize=8)
    ax.set_ylim(len(outcomes) - 0.5, -0.5)
    ax.set_xscale("symlog", linthresh=10, linscale=1.0)
    ticks = (-100, -30, -10, -5, 0, 5, 10, 30, 100, 300, 1000, 3000)
    lo_x, hi_x = ax.get_xlim()
    ax.set_xticks([t for t in ticks if lo_x <= t <= hi_x])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:+.0f}%" if v else "0"))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(f"difference from {reference}, % of the reference mean")
    if len(arms) == 1:
        title = f"{arms[0]} minus {reference}: mean and 95% t-interval over {n} paired reps"
    else:
        title = f"Paired differences vs {reference}: mean and 95% t-interval over {n} reps"
    ax.set_title(title, fontsize=10, loc="left")
    handles = [
        ax.errorbar([], [], xerr=[], fmt="o", color=c, label=v) for v, c in _VERDICT_COLORS.items()
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.get_layout_engine().set(rect=(0, 0, 0.78, 1))
    return _save(fig, path)


def trajectory_plot(
    monthly: pd.DataFrame,
    path: str | Path,
    panels: Sequence[tuple[str, str]] = TRAJECTORIES,
) -> Path:
    """Monthly trajectories of key outcomes per scenario: mean over reps, band = 95% range across reps."""
    panels = [(c, t) for c, t in panels if c in monthly.columns]
    ncols = 3
    nrows = int(np.ceil(len(panels) / ncols))
    fig = _new_figure(4.2 * ncols, 3.0 * nrows + 0.4)
    reps = monthly["rep"].nunique()
    palette = sns.color_palette("colorblind", monthly["scenario"].nunique())
    with sns.axes_style("whitegrid"):
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, (ax, (column, title)) in enumerate(zip(axes, panels, strict=False)):
        sns.lineplot(data=monthly, x="month", y=column, hue="scenario", errorbar=("pi", 95),
                     estimator="mean", palette=palette, lw=1.2, ax=ax, legend=i == 0)  # fmt: skip
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("month")
        ax.set_ylabel("")
        if column.endswith("_rate"):
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
        ax.tick_params(labelsize=8)
        if i == 0 and ax.get_legend() is not None:
            ax.legend(fontsize=7.5, title=None)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"Monthly outcomes: mean over {reps} reps, band = 95% range across reps", size=10)
    return _save(fig, path)


def equity_plot(equity: pd.DataFrame, path: str | Path) -> Path:
    """Family outcomes by equity group and scenario (mean, 95% interval over reps), with the disparity
    ratio (group over the reference group) written beside each non-reference group."""
    outcomes = list(dict.fromkeys(equity["outcome"]))
    arms = [a for a in dict.fromkeys(equity["scenario"])]
    groups = list(dict.fromkeys(equity["group"]))
    ref_group = equity["reference_group"].iloc[0]
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig = _new_figure(4.2 * ncols, 3.1 * nrows + 0.5)
    palette = sns.color_palette("colorblind", len(arms))
    with sns.axes_style("whitegrid"):
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    width = 0.7 / len(arms)
    for ax, name in zip(axes, outcomes, strict=False):
        sub = equity[equity["outcome"] == name]
        for j, arm in enumerate(arms):
            cell = sub[sub["scenario"] == arm].set_index("group").loc[groups]
            x = np.arange(len(groups)) + (j - (len(arms) - 1) / 2) * width
            lo = (cell["mean"] - cell["ci_low"]).fillna(0).to_numpy()
            hi = (cell["ci_high"] - cell["mean"]).fillna(0).to_numpy()
            ax.bar(x, cell["mean"], width=width * 0.9, color=palette[j], label=arm)
            ax.errorbar(x, cell["mean"], yerr=[lo, hi], fmt="none", color="black", lw=0.9,
                        capsize=2)  # fmt: skip
            for k, g in enumerate(groups):
                if g == ref_group:
                    continue
                ratio = cell.loc[g, "disparity_ratio"]
                top = cell.loc[g, "ci_high"] if np.isfinite(cell.loc[g, "ci_high"]) else 0.0
                top = max(top, cell.loc[g, "mean"], 0.0)
                ax.annotate(f"x{ratio:.2f}" if np.isfinite(ratio) else "n/a", (x[k], top),
                            xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)  # fmt: skip
        first = sub.iloc[0]
        ax.set_title(f"{first['label']}", fontsize=9)
        ax.set_ylabel(first["unit"], fontsize=8)
        ax.set_xticks(np.arange(len(groups)))
        ax.set_xticklabels(groups, fontsize=8)
        if "share" in str(first["unit"]):
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
        ax.tick_params(labelsize=8)
        ax.margins(y=0.15)
    axes[0].legend(fontsize=7.5)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Outcomes by equity group (mean and 95% interval over reps); x = disparity ratio "
        f"vs '{ref_group}'",
        size=10,
    )
    return _save(fig, path)


def counterfactual_plot(pooled: pd.DataFrame, path: str | Path) -> Path:
    """The paired counterfactual, pooled over reps: matched families homeless in both scenarios, only
    under the reference, or only under the other scenario."""
    cats = [
        ("homeless_both", "homeless in both"),
        ("homeless_reference_only", "homeless only under {ref}"),
        ("homeless_scenario_only", "homeless only under {arm}"),
    ]
    fig = _new_figure(8.5, 1.0 + 1.1 * len(pooled))
    with sns.axes_style("whitegrid"):
        ax = fig.add_subplot()
    palette = ["#6b6b6b", "#b2182b", "#2166ac"]
    height = 0.8 / len(cats)
    labels = []
    for i, row in enumerate(pooled.itertuples()):
        labels.append(f"{row.scenario}\nvs {row.reference}\n({row.matched:,} matched)")
        for k, (col, text) in enumerate(cats):
            value = getattr(row, col)
            y = i + (k - 1) * height
            arm = row.scenario if len(pooled) == 1 else "the scenario"
            label = text.format(ref=row.reference, arm=arm) if i == 0 else None
            ax.barh(y, value, height=height * 0.9, color=palette[k], label=label)
            ax.annotate(f"{value:,}", (value, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)  # fmt: skip
    ax.set_yticks(np.arange(len(pooled)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.margins(x=0.15)
    ax.set_xlabel("matched families, pooled over reps")
    reps = int(pooled["reps"].max()) if len(pooled) else 0
    ax.set_title(
        f"Would this family have been homeless under the other scenario? ({reps} paired reps)",
        fontsize=10,
        loc="left",
    )
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)
