"""Figures of a scenario comparison: forest plot, monthly trajectories, equity, paired counterfactual.

Each function takes tidy DataFrames (the tables of :class:`sysmodel.experiments.compare.Comparison`),
draws on a matplotlib ``Figure`` with the Agg canvas (no pyplot, no global state, no display needed) and
writes a PNG atomically. Every function returns the path it wrote; its ``_draw_*`` twin returns the
Figure unsaved, so tests can read what was drawn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, FuncFormatter
from scipy import stats

from ..files import atomic_path
from .format import short_number

__all__ = ["forest_plot", "trajectory_plot", "equity_plot", "counterfactual_plot", "TRAJECTORIES"]

# Monthly-table columns drawn by trajectory_plot: (column, panel title).
TRAJECTORIES: tuple[tuple[str, str], ...] = (
    ("n_shelter", "families in shelter"),
    ("n_unsheltered", "families unsheltered"),
    ("shelter_queue", "families waiting for shelter"),
    ("landlord_queue", "assisted households searching for a unit"),
    ("evictions", "evictions per month"),
    ("employment_rate", "employment rate"),
    ("mean_income_usd", "mean income (USD/month, 2024)"),
    ("mean_savings_usd", "mean savings (USD, 2024)"),
    ("cost_total_usd", "public cost per month (USD, 2024)"),
)
# Verdicts of the differences table. Filled markers for a difference that matters, hollow ones for a
# negligible or unclear one, so the verdict survives a grey-scale print or colour-blind reader.
_VERDICT_COLORS = {
    "better": "#1b7837",
    "worse": "#b2182b",
    "negligible": "#2c7fb8",
    "no clear difference": "#6b6b6b",
}
_FILLED = ("better", "worse")
_UNKNOWN_COLOR = "#6b6b6b"
_ARM_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
_ARM_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (12, 3)))
_CONFIDENCE = (
    0.95  # as compare.CONFIDENCE; the report layer draws from tables, imports no experiment
)
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


def _signed_number(value: float, _pos: int | None = None) -> str:
    return ("+" if value > 0 else "") + _axis_number(value)


class _Percent(Formatter):
    """Percent tick labels with just enough decimals that every label names its tick exactly.

    (A fixed number of decimals mislabels ticks on 2.5% steps as "2%" or "3%".) ``scale`` turns a
    tick value into percent (100 for shares), ``suffix`` is "%" or " pp", ``sign`` adds a "+".
    """

    def __init__(self, scale: float = 100.0, suffix: str = "%", sign: bool = False) -> None:
        self.scale, self.suffix, self.sign = scale, suffix, sign
        self.decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        values = np.asarray(locs, dtype=float) * self.scale
        for d in range(7):
            if np.allclose(np.round(values, d), values, rtol=0, atol=1e-9):
                break
        self.decimals = d

    def __call__(self, x: float, pos: int | None = None) -> str:
        v = x * self.scale
        if abs(v) < 10 ** -(self.decimals + 1):
            return "0" + self.suffix.strip() if self.suffix == "%" else "0"
        text = f"{v:+.{self.decimals}f}" if self.sign else f"{v:.{self.decimals}f}"
        return text + self.suffix


def _in_unit(value: float, unit: str) -> str:
    """A difference in its outcome's unit: shares as percentage points, the rest as short numbers."""
    if str(unit).startswith("share") and np.isfinite(value):
        return f"{100 * value:+.2f} pp"
    return short_number(value)


_NO_INFORMATION = {"of", "per", "the", "a", "an", "and"}


def _words(text: str) -> set[str]:
    """Content words of a label or unit, singular ('evictions' -> 'eviction')."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", str(text).lower())
    return {w.removesuffix("s") for w in words} - _NO_INFORMATION


def _with_unit(label: str, unit: str) -> str:
    """``label, unit``, or the label alone when it already names every word of the unit."""
    if not str(unit).strip() or _words(unit) <= _words(label):
        return str(label)
    return f"{label}, {unit}"


def _arm_order(scenario: pd.Series) -> list[str]:
    """Arms in the comparison's order (the reference first): a categorical's order, else first seen."""
    if isinstance(scenario.dtype, pd.CategoricalDtype):
        present = set(scenario.dropna())
        return [str(a) for a in scenario.cat.categories if a in present]
    return [str(a) for a in dict.fromkeys(scenario)]


# --- forest plot -------------------------------------------------------------------------------


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (times a power of ten) at or above ``value``."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10 ** np.floor(np.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value * (1 - 1e-12):
            return float(step * power)
    return float(10 * power)


def _forest_limit(extents: np.ndarray) -> float:
    """Half-width of the forest plot's x axis (in %): the reach of 95% of the intervals. The few
    beyond it (typically a cost line the reference barely spends on, at +200% or more) would
    otherwise squash every other interval against zero; they are cut at the edge instead."""
    e = extents[np.isfinite(extents)]
    if e.size == 0:
        return 1.0
    return _nice_ceiling(max(1.0, 1.05 * float(np.percentile(e, 95))))


def _verdict_legend(verdicts: set[str], has_threshold: bool) -> list[tuple[str, str]]:
    """(verdict, legend text saying what it means) for the verdicts to explain."""
    reach = " by at least the practical threshold" if has_threshold else ""
    meaning = {
        "better": f"better: the 95% interval excludes 0, the difference helps{reach}",
        "worse": f"worse: the 95% interval excludes 0, the difference harms{reach}",
        "negligible": "negligible: the interval excludes 0, but the difference is below the "
        "practical threshold",
        "no clear difference": "no clear difference: the 95% interval includes 0",
    }
    shown = {"better", "worse", "no clear difference"} | verdicts
    if has_threshold:
        shown.add("negligible")
    out = [(v, meaning[v]) for v in _VERDICT_COLORS if v in shown]
    return out + [(v, v) for v in sorted(verdicts - set(_VERDICT_COLORS))]


def forest_plot(differences: pd.DataFrame, path: str | Path) -> Path:
    """Paired differences of every outcome as a share of the reference mean, with 95% intervals.

    Colour gives the verdict (better, worse, negligible, no clear difference; the legend says what
    each means); the right-hand column gives the difference and its interval in the outcome's own
    unit. The axis is linear; an interval reaching beyond it is cut at the edge and marked with an
    arrow, and its true numbers stay in the right-hand column.
    """
    return _save(_draw_forest(differences), path)


def _draw_forest(differences: pd.DataFrame) -> Figure:
    """The figure of :func:`forest_plot`, not yet saved."""
    d = differences.copy()
    outcomes = list(dict.fromkeys(d["outcome"]))
    arms = list(dict.fromkeys(d["scenario"]))
    reference = d["reference"].iloc[0]
    n = int(d["n"].max())
    step = 0.8 / max(len(arms), 1)
    # Each arm's text line needs ~12 pt of height, or the right-hand column overlaps itself.
    row_inches = max(0.32, 0.19 * len(arms) / 0.8)
    fig = _new_figure(10.5, row_inches * len(outcomes) + 2.0)
    with sns.axes_style("whitegrid"):
        ax = fig.add_subplot()
    ax.axvline(0, color="black", lw=0.8)

    ref = d["reference_mean"].abs().replace(0, np.nan)  # % of the reference's size
    d["x"], d["lo"], d["hi"] = (100 * d[c] / ref for c in ("mean", "ci_low", "ci_high"))
    limit = _forest_limit(d[["x", "lo", "hi"]].abs().max(axis=1).to_numpy(float))
    clipped = False
    texts = []
    for j, arm in enumerate(arms):
        sub = d[d["scenario"] == arm].set_index("outcome").loc[outcomes]
        marker = _ARM_MARKERS[j % len(_ARM_MARKERS)]
        y = np.arange(len(outcomes)) + (j - (len(arms) - 1) / 2) * step
        for k, row in enumerate(sub.itertuples()):
            color = _VERDICT_COLORS.get(row.verdict, _UNKNOWN_COLOR)
            face = color if row.verdict in _FILLED else "white"
            x, lo, hi = row.x, row.lo, row.hi
            if np.isfinite(lo) and np.isfinite(hi):
                if lo < limit and hi > -limit:  # some of the interval is on the scale
                    ax.plot([max(lo, -limit), min(hi, limit)], [y[k]] * 2, color=color, lw=1.4)
                # An arrow just inside the edge (outside it would run into the right-hand text).
                for end, edge, arrow in ((hi, 0.96 * limit, ">"), (lo, -0.96 * limit, "<")):
                    if abs(end) > limit and np.sign(end) == np.sign(edge):
                        ax.plot([edge], [y[k]], marker=arrow, color=color, ms=6.5, ls="none")
                        clipped = True
            if np.isfinite(x) and abs(x) <= limit:
                ax.plot([x], [y[k]], marker=marker, color=color, mfc=face, ms=5.5, ls="none")
            unit = row.unit
            text = f"{_in_unit(row.mean, unit)}  [{_in_unit(row.ci_low, unit)}, {_in_unit(row.ci_high, unit)}]"
            if not np.isfinite(x) and row.mean != 0:
                text += "  (no %: the reference is 0)"
            if len(arms) > 1:
                text = f"{arm}: {text}"
            texts.append(
                ax.annotate(
                    text,
                    xy=(1.01, y[k]),
                    xycoords=("axes fraction", "data"),
                    va="center",
                    fontsize=7.5,
                    color=color,
                )  # fmt: skip
            )
    ax.set_xlim(-limit, limit)
    labels = d.drop_duplicates("outcome").set_index("outcome").loc[outcomes]
    ax.set_yticks(np.arange(len(outcomes)))
    ax.set_yticklabels([_with_unit(r.label, r.unit) for r in labels.itertuples()], fontsize=8)
    ax.set_ylim(len(outcomes) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(_Percent(scale=1, sign=True))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(f"difference from {reference}, % of the reference mean", fontsize=9)
    if len(arms) == 1:
        title = f"{arms[0]} minus {reference}: mean and 95% t-interval over {n} paired reps"
    else:
        title = f"Each scenario minus {reference}: mean and 95% t-interval over {n} paired reps"
    # A figure title, so the header of the right-hand column can sit above that column.
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    header = "difference [95% interval],\nin the outcome's unit (pp: percentage points)"
    texts.append(
        ax.annotate(
            header,
            xy=(1.01, 1.0),
            xycoords="axes fraction",
            va="bottom",
            fontsize=7.5,
            color="#333333",
        )  # fmt: skip
    )

    verdicts = set(d["verdict"])
    meanings = [
        Line2D([], [], marker="o", ls="-", color=_VERDICT_COLORS.get(v, _UNKNOWN_COLOR), ms=5.5,
               mfc=_VERDICT_COLORS.get(v, _UNKNOWN_COLOR) if v in _FILLED else "white", label=text)
        for v, text in _verdict_legend(verdicts, "practical_threshold" in d.columns)
    ]  # fmt: skip
    if clipped:
        meanings.append(
            Line2D([], [], marker=">", ls="-", color="#333333", ms=6,
                   label="interval goes beyond the axis: cut at the edge, numbers at right")
        )  # fmt: skip
    shapes = []
    if len(arms) > 1:
        shapes = [
            Line2D([], [], marker=_ARM_MARKERS[j % len(_ARM_MARKERS)], ls="none", color="#333333",
                   mfc="white", label=f"marker of {arm}")
            for j, arm in enumerate(arms)
        ]  # fmt: skip
    # Column-major legend: meanings in the first column, the scenarios' markers in the second.
    rows = max(len(meanings), len(shapes))
    blank = Line2D([], [], ls="none", label=" ")
    handles = meanings + [blank] * (rows - len(meanings))
    if shapes:
        handles += shapes + [blank] * (rows - len(shapes))
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if shapes else 1, fontsize=7.5,
               frameon=False)  # fmt: skip
    # The layout makes room for the right-hand texts (annotations count in the axes' extent); a
    # wide column (long scenario names) widens the figure rather than squeezing the axis.
    renderer = fig.canvas.get_renderer()
    width = max(t.get_window_extent(renderer).width for t in texts) / fig.dpi
    fig.set_figwidth(max(fig.get_figwidth(), 8.0 + width))
    return fig


# --- trajectories ------------------------------------------------------------------------------


def _paired_by_month(monthly: pd.DataFrame, column: str, arm: str, reference: str) -> pd.DataFrame:
    """Arm minus reference per rep and month (matched on both), summarised per month: the mean over
    reps and a 95% t-interval of that mean (no interval with fewer than 2 reps)."""
    wide = monthly.set_index(["scenario", "rep", "month"])[column].unstack("scenario")
    diff = (wide[arm] - wide[reference]).dropna().unstack("rep")
    n = diff.notna().sum(axis=1)
    mean = diff.mean(axis=1)
    se = diff.std(axis=1, ddof=1) / np.sqrt(n)
    half = pd.Series(stats.t.ppf(0.5 + _CONFIDENCE / 2, np.maximum(n - 1, 1)), index=n.index) * se
    half = half.where(n >= 2)
    return pd.DataFrame({"mean": mean, "low": mean - half, "high": mean + half}).sort_index()


def trajectory_plot(
    monthly: pd.DataFrame,
    path: str | Path,
    panels: Sequence[tuple[str, str]] = TRAJECTORIES,
) -> Path:
    """Monthly trajectories of key outcomes per scenario, each panel above a panel of the paired
    difference (scenario minus the reference, matched on rep and month: mean and 95% t-interval over
    reps), where arms that overlap in the levels can be told apart."""
    return _save(_draw_trajectories(monthly, panels), path)


def _draw_trajectories(
    monthly: pd.DataFrame, panels: Sequence[tuple[str, str]] = TRAJECTORIES
) -> Figure:
    """The figure of :func:`trajectory_plot`, not yet saved."""
    # Panels with nothing to show (e.g. the shelter's queue when no arm limits shelter) are left out.
    panels = [
        (c, t) for c, t in panels if c in monthly.columns and monthly[c].fillna(0).ne(0).any()
    ]
    arms = _arm_order(monthly["scenario"])
    reference = arms[0]
    reps = monthly["rep"].nunique()
    # Bands of many arms pile up into one grey mass: levels get bands with two arms only.
    level_bands = len(arms) <= 2
    ncols = 3
    nrows = int(np.ceil(len(panels) / ncols))
    fig = _new_figure(4.3 * ncols, 2.55 * 2 * nrows + 1.3)
    palette = dict(zip(arms, sns.color_palette("colorblind", len(arms)), strict=True))
    # Line styles as well as colours: some of the palette's later colours (orange, vermillion, tan)
    # are hard to tell apart at six arms.
    dashes = dict(zip(arms, [_ARM_DASHES[i % len(_ARM_DASHES)] for i in range(len(arms))], strict=True))
    with sns.axes_style("whitegrid"):
        grid = fig.subplots(2 * nrows, ncols, squeeze=False, sharex=True)
    for i, (column, title) in enumerate(panels):
        top, bottom = grid[2 * (i // ncols), i % ncols], grid[2 * (i // ncols) + 1, i % ncols]
        for arm in arms:
            g = monthly[monthly["scenario"] == arm].groupby("month")[column]
            mean = g.mean()
            top.plot(mean.index, mean.to_numpy(), color=palette[arm], ls=dashes[arm], lw=1.3)
            if level_bands:
                top.fill_between(mean.index, g.quantile(0.025), g.quantile(0.975),
                                 color=palette[arm], alpha=0.2, lw=0)  # fmt: skip
        top.set_title(title, fontsize=9)
        bottom.axhline(0, color=palette[reference], lw=1.0)
        for arm in arms[1:]:
            p = _paired_by_month(monthly, column, arm, reference)
            bottom.plot(p.index, p["mean"].to_numpy(), color=palette[arm], ls=dashes[arm], lw=1.3,
                        label=arm)  # fmt: skip
            if p["low"].notna().any():
                bottom.fill_between(p.index, p["low"], p["high"], color=palette[arm], alpha=0.18,
                                    lw=0)  # fmt: skip
        # At least +-0.1% of the reference's level: otherwise rounding noise (1e-11 USD where the
        # scenarios do not differ at all) is blown up into a band that looks like an effect.
        floor = 1e-3 * abs(float(monthly.loc[monthly["scenario"] == reference, column].mean()))
        lo, hi = bottom.get_ylim()
        if np.isfinite(floor) and floor > 0:
            bottom.set_ylim(min(lo, -floor), max(hi, floor))
        who = arms[1] if len(arms) == 2 else "each scenario"
        # Two lines: outcome and scenario names together overflow a panel's width.
        bottom.set_title(f"{title}, difference:\n{who} minus {reference}", fontsize=8,
                         color="#333333")  # fmt: skip
        bottom.set_xlabel("month", fontsize=8)
        rate = column.endswith("_rate")
        top.yaxis.set_major_formatter(_Percent() if rate else FuncFormatter(_axis_number))
        bottom.yaxis.set_major_formatter(
            _Percent(suffix=" pp", sign=True) if rate else FuncFormatter(_signed_number)
        )
        for ax in (top, bottom):
            ax.tick_params(labelsize=7.5)
            ax.set_ylabel("")
            ax.xaxis.set_tick_params(labelbottom=True)
    for i in range(len(panels), nrows * ncols):
        grid[2 * (i // ncols), i % ncols].set_visible(False)
        grid[2 * (i // ncols) + 1, i % ncols].set_visible(False)
    handles = [
        Line2D([], [], color=palette[a], ls=dashes[a], lw=2,
               label=f"{a} (reference)" if a == reference else a)  # fmt: skip
        for a in arms
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(arms), 3), fontsize=8,
               frameon=False)  # fmt: skip
    band = "band = 95% range across reps" if level_bands else "lines only"
    fig.suptitle(
        f"Monthly outcomes over {reps} reps: mean per scenario ({band}); below each, the paired "
        f"difference from {reference}\n(matched on rep and month: mean, band = 95% t-interval "
        "over reps)",
        size=10,
    )
    return fig


# --- equity ------------------------------------------------------------------------------------


def equity_plot(equity: pd.DataFrame, path: str | Path, reps: int | None = None) -> Path:
    """Family outcomes by equity group and scenario (mean, 95% interval over ``reps`` reps), with the
    disparity ratio (group over the reference group, same scenario) written above each
    non-reference group's bar."""
    return _save(_draw_equity(equity, reps), path)


def _draw_equity(equity: pd.DataFrame, reps: int | None = None) -> Figure:
    """The figure of :func:`equity_plot`, not yet saved."""
    outcomes = list(dict.fromkeys(equity["outcome"]))
    arms = _arm_order(equity["scenario"])
    groups = list(dict.fromkeys(equity["group"]))
    ref_group = equity["reference_group"].iloc[0]
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig = _new_figure(4.3 * ncols, 3.2 * nrows + 1.2)
    palette = sns.color_palette("colorblind", len(arms))
    # Side by side, more than two ratio labels per group collide: stand them on end.
    upright = len(arms) > 2
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
                ax.annotate(f"\u00d7{ratio:.2f}" if np.isfinite(ratio) else "n/a", (x[k], top),
                            xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                            fontsize=7 if upright else 7.5, rotation=90 if upright else 0)  # fmt: skip
        first = sub.iloc[0]
        ax.set_title(f"{first['label']}", fontsize=9)
        ax.set_ylabel(first["unit"], fontsize=8)
        ax.set_xticks(np.arange(len(groups)))
        ax.set_xticklabels(groups, fontsize=8)
        if str(first["unit"]).startswith("share"):
            ax.yaxis.set_major_formatter(_Percent())
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
        ax.tick_params(labelsize=8)
        ax.set_ylim(bottom=min(0.0, float(sub["ci_low"].min())))
        ax.grid(axis="x", visible=False)  # a vertical grid line would run through the ratio labels
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    handles = [Patch(color=palette[j], label=arm) for j, arm in enumerate(arms)]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(arms), 3), fontsize=8,
               frameon=False)  # fmt: skip
    over = f"over {reps} reps" if reps else "over reps"
    fig.suptitle(
        f"Family outcomes by equity group: mean and 95% interval {over}\n"
        f"\u00d71.25 above a bar = that group's mean \u00f7 the mean of group '{ref_group}' in "
        "the same scenario",
        size=10,
    )
    fig.draw_without_rendering()  # lay out first: the room the ratio labels need is in pixels
    for ax in axes[: len(outcomes)]:
        _room_above(ax, fig.canvas.get_renderer())
    return fig


def _room_above(ax, renderer, pad_px: float = 10.0) -> None:
    """Raise the top of ``ax``'s y axis so every annotation above a bar stays inside the axes."""
    lo, hi = ax.get_ylim()
    height = ax.bbox.height
    top = hi
    for t in ax.texts:
        anchor = t.xy[1]
        above = t.get_window_extent(renderer).y1 - ax.transData.transform((0, anchor))[1]
        free = height - above - pad_px
        if free > 0 and anchor > lo:
            top = max(top, lo + (anchor - lo) * height / free)
    ax.set_ylim(lo, top)


# --- counterfactual ----------------------------------------------------------------------------


def counterfactual_plot(pooled: pd.DataFrame, path: str | Path) -> Path:
    """The paired counterfactual, pooled over reps: matched families homeless in both scenarios, only
    under the reference, or only under the other scenario."""
    return _save(_draw_counterfactual(pooled), path)


def _draw_counterfactual(pooled: pd.DataFrame) -> Figure:
    """The figure of :func:`counterfactual_plot`, not yet saved."""
    cats = [
        ("homeless_both", "homeless in both"),
        ("homeless_reference_only", "homeless only under {ref}"),
        ("homeless_scenario_only", "homeless only under {arm}"),
    ]
    fig = _new_figure(8.5, 1.6 + 1.1 * len(pooled))
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
            arm = row.scenario if len(pooled) == 1 else "the other scenario"
            label = text.format(ref=row.reference, arm=arm) if i == 0 else None
            ax.barh(y, value, height=height * 0.9, color=palette[k], label=label)
            ax.annotate(f"{value:,}", (value, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)  # fmt: skip
    ax.set_yticks(np.arange(len(pooled)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)  # a horizontal grid line would cut through the middle bar
    ax.margins(x=0.15)
    ax.set_xlabel("matched families, pooled over reps", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    reps = int(pooled["reps"].max()) if len(pooled) else 0
    ax.set_title(
        f"Would this family have been homeless under the other scenario? ({reps} paired reps)",
        fontsize=10,
        loc="left",
    )
    fig.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return fig


def ce_plane_plot(
    cost_effectiveness: pd.DataFrame,
    ce_bootstrap: pd.DataFrame,
    path: str | Path,
    dollar_year: int | None = None,
) -> Path:
    """The cost-effectiveness plane: each arm's spells averted (x) against its extra public cost (y).

    The reference sits at the origin. Each arm shows its paired bootstrap draws (a cloud: where the
    mean could be), its mean, and the 95% t-intervals of both axes as a cross; a cross that reaches an
    axis means no verdict. The axes are centred on the origin so each corner is its quadrant.
    ``dollar_year`` labels the cost axis (the tables' costs are all in that year's dollars).
    """
    usd = f"USD {dollar_year}" if dollar_year else "USD"
    ce = cost_effectiveness
    reference = ce["reference"].iloc[0]
    n = int(ce["n"].max())
    colors = sns.color_palette("colorblind", len(ce))
    fig = _new_figure(9.0, 6.8 + 0.22 * len(ce))
    with sns.axes_style("whitegrid"):
        ax = fig.add_subplot()
    for color, row in zip(colors, ce.itertuples(), strict=True):
        draws = ce_bootstrap[ce_bootstrap["scenario"] == row.scenario]
        ax.scatter(draws["spells_averted"], draws["extra_cost_usd"], s=6, alpha=0.08, color=color,
                   linewidths=0, rasterized=True)  # fmt: skip
        xerr = np.abs(np.nan_to_num([[row.spells_averted - row.spells_averted_ci_low],
                                     [row.spells_averted_ci_high - row.spells_averted]]))  # fmt: skip
        yerr = np.abs(np.nan_to_num([[row.extra_cost_usd - row.extra_cost_ci_low],
                                     [row.extra_cost_ci_high - row.extra_cost_usd]]))  # fmt: skip
        ax.errorbar(row.spells_averted, row.extra_cost_usd, xerr=xerr, yerr=yerr, fmt="o", ms=8,
                    color=color, mec="black", mew=0.8, capsize=3, lw=1.2,
                    label=f"{row.scenario}: {row.verdict} ({_most_draws(row)})")  # fmt: skip
    ax.plot(0, 0, marker="X", ms=9, color="black", ls="none", label=f"{reference} (reference)")
    ax.axhline(0, color="black", lw=0.9)
    ax.axvline(0, color="black", lw=0.9)
    # Centre the origin so the four corners are the four quadrants, whatever the data.
    xs = np.concatenate([ce_bootstrap["spells_averted"], ce["spells_averted_ci_low"],
                         ce["spells_averted_ci_high"]])  # fmt: skip
    ys = np.concatenate([ce_bootstrap["extra_cost_usd"], ce["extra_cost_ci_low"],
                         ce["extra_cost_ci_high"]])  # fmt: skip
    x_max = 1.15 * max(float(np.nanmax(np.abs(xs))), 1.0)
    y_max = 1.15 * max(float(np.nanmax(np.abs(ys))), 1.0)
    ax.set_xlim(-x_max, x_max)
    ax.set_ylim(-y_max, y_max)
    corners = [
        (0.02, 0.98, "left", "top", "DOMINATED\ncosts more, adds spells", "#b2182b"),
        (0.98, 0.98, "right", "top", "TRADE-OFF\ncosts more, averts spells\n(price per spell averted)",
         "#6b6b6b"),
        (0.02, 0.02, "left", "bottom", "TRADE-OFF\nsaves money, adds spells\n(savings per extra spell)",
         "#6b6b6b"),
        (0.98, 0.02, "right", "bottom", "DOMINANT\ncosts less, averts spells", "#1b7837"),
    ]  # fmt: skip
    for x, y, ha, va, text, color in corners:
        ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8.5, color=color,
                fontweight="bold", alpha=0.85)  # fmt: skip
    ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
    ax.tick_params(labelsize=8)
    ax.set_xlabel("homeless spells averted vs the reference (shelter entries over the recorded months)",
                  fontsize=9)  # fmt: skip
    ax.set_ylabel(f"extra total public cost vs the reference ({usd})", fontsize=9)
    ax.set_title(
        f"Cost-effectiveness plane vs {reference}: {n} paired reps\n"
        "dots: bootstrap means (reps resampled); marker and cross: mean with 95% t-intervals "
        "(a cross reaching an axis: no verdict)",
        fontsize=9.5,
        loc="left",
    )
    fig.legend(loc="outside lower left", ncols=1, fontsize=8, frameon=False)
    return _save(fig, path)


def _most_draws(row) -> str:
    """Where most bootstrap draws of a cost_effectiveness row fall, e.g. '86% of draws dominated'."""
    shares = {
        "dominant": row.p_dominant,
        "dominated": row.p_dominated,
        "costs more, averts spells": row.p_costs_more_averts,
        "saves money, adds spells": row.p_saves_money_adds,
    }
    quadrant = max(shares, key=shares.get)
    return f"{shares[quadrant]:.0%} of draws: {quadrant}"
