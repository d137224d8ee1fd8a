"""The figures of ``sysmodel compare``, checked on hand-made tables (no model runs): tick labels that name
their tick values, units shown once, a linear forest axis with clipped intervals marked, colours for all
four verdicts, paired differences over time, and no text or legend colliding with six arms."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from scipy import stats

from sysmodel.experiments.compare import FAMILY_OUTCOMES, OUTCOMES
from sysmodel.report import figures

REFERENCE = "baseline_siloed"
SIX_ARMS = [REFERENCE, "aligned_housing_hub", "subsidy_deep", "subsidy_shallow",
            "upstream_prevention", "whole_family_coaching_continuum"]  # fmt: skip


# --- hand-made tables ------------------------------------------------------------------------


def differences_table(
    arms: list[str],
    relative: dict[str, float] | None = None,
    verdicts: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per arm and outcome; ``relative`` sets an outcome's mean difference as a share of its
    reference mean (default 5%), with an interval of +-2% of the reference mean around it."""
    relative, verdicts = relative or {}, verdicts or {}
    rows = []
    for j, arm in enumerate(arms[1:]):
        for o in OUTCOMES:
            ref = 0.1 if o.unit.startswith("share") else 1000.0
            rel = relative.get(o.name, 0.05 * (1 + j / 10))
            rows.append({
                "scenario": arm, "reference": arms[0], "outcome": o.name, "label": o.label,
                "unit": o.unit, "higher_is_better": o.higher_is_better, "reference_mean": ref,
                "scenario_mean": ref * (1 + rel), "n": 3, "mean": ref * rel, "sd": 1.0, "se": 1.0,
                "ci_low": ref * (rel - 0.02), "ci_high": ref * (rel + 0.02), "relative": rel,
                "verdict": verdicts.get(o.name, "worse"),
            })  # fmt: skip
    return pd.DataFrame(rows)


def monthly_table(arms: list[str], reps: int = 3, months: int = 12) -> pd.DataFrame:
    """Every trajectory column; arm j sits j * 2 above the reference in each rep and month, and the
    reference itself varies a lot between reps (so only a paired difference has a narrow band)."""
    rng = np.random.default_rng(1)
    base = {col: rng.uniform(5, 50, size=(reps, months)) for col, _ in figures.TRAJECTORIES}
    base["employment_rate"] = rng.uniform(0.85, 0.9, size=(reps, months))
    rows = []
    for j, arm in enumerate(arms):
        for rep, month in itertools.product(range(reps), range(months)):
            row = {"scenario": arm, "rep": rep, "seed": rep, "month": month}
            for col, values in base.items():
                shift = 0.002 if col == "employment_rate" else 2.0
                row[col] = values[rep, month] + j * shift
            rows.append(row)
    # Rows in a scrambled order: the figure must match on rep and month, not on position, and take
    # the arms' order (reference first) from the categorical, as in the comparison's table.
    out = pd.DataFrame(rows).sample(frac=1.0, random_state=3).reset_index(drop=True)
    out["scenario"] = pd.Categorical(out["scenario"], categories=arms)
    return out


def equity_table(arms: list[str], top: float = 0.12) -> pd.DataFrame:
    rows = []
    for j, arm in enumerate(arms):
        for o in FAMILY_OUTCOMES:
            for g, group in enumerate(["reference", "barriers"]):
                share = o.unit.startswith("share")
                mean = (top * (0.7 + 0.1 * g) if share else 100.0 * (1 + g)) * (1 - 0.01 * j)
                half = 0.2 * mean
                rows.append({
                    "scenario": arm, "group": group, "reference_group": "reference",
                    "outcome": o.name, "label": o.label, "unit": o.unit,
                    "higher_is_better": o.higher_is_better, "mean": mean, "ci_low": mean - half,
                    "ci_high": mean + half, "families_per_rep": 500.0,
                    "disparity_ratio": 1.0 + 0.3 * g, "difference_vs_reference": 0.0,
                    "difference_ci_low": 0.0, "difference_ci_high": 0.0,
                })  # fmt: skip
    out = pd.DataFrame(rows)
    out["scenario"] = pd.Categorical(out["scenario"], categories=arms)
    return out


def pooled_table(arms: list[str]) -> pd.DataFrame:
    rows = []
    for j, arm in enumerate(arms[1:]):
        both = 400 + 40 * j  # the last arm's bars reach far right, where a legend might sit
        rows.append({
            "scenario": arm, "reference": arms[0], "reps": 3, "matched": 8000,
            "homeless_both": both, "homeless_reference_only": both - 50,
            "homeless_scenario_only": both - 100, "homeless_neither": 7000,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --- helpers to read a drawn figure ------------------------------------------------------------


def drawn(fig: Figure) -> Figure:
    fig.canvas.draw()
    return fig


def tick_labels(ax: Axes, axis: str = "y") -> list[tuple[float, str]]:
    """(tick value, label text) of the major ticks inside the view."""
    a = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    locs = [v for v in a.get_majorticklocs() if lo - 1e-12 <= v <= hi + 1e-12]
    return list(zip(locs, a.get_major_formatter().format_ticks(locs), strict=True))


def label_value(text: str) -> float:
    """The number a tick label names ('2.5%' -> 2.5, '-1.2k' -> -1200, '+0.4 pp' -> 0.4)."""
    t = text.replace("\u2212", "-").replace(",", "").replace("%", "").replace("pp", "").strip()
    scale = {"k": 1e3, "M": 1e6}.get(t[-1:], 1.0)
    return float(t.rstrip("kM")) * scale


def visible_texts(fig: Figure) -> list[Text]:
    """Every drawn text: figure titles and legends, and of each visible axes its titles, axis labels,
    annotations, legends and the tick labels inside the view."""
    out = [*fig.texts, *(t for lg in fig.legends for t in lg.get_texts())]
    out += [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        out += [
            ax.title,
            ax._left_title,
            ax._right_title,
            ax.xaxis.label,
            ax.yaxis.label,
            *ax.texts,
        ]
        if ax.get_legend() is not None:
            out += ax.get_legend().get_texts()
        for axis, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
            pos = 0 if axis == "x" else 1
            out += [t for t in labels if lo - 1e-9 <= t.get_position()[pos] <= hi + 1e-9]
    unique = {id(t): t for t in out}  # the suptitle is among fig.texts too
    return [t for t in unique.values() if t.get_visible() and t.get_text().strip()]


def overlaps(a, b, tolerance: float = 0.5) -> bool:
    return (
        min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance
        and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance
    )


def collisions(fig: Figure) -> list[str]:
    """Pairs of drawn texts (and legends) whose boxes overlap, and texts sticking out of the figure."""
    renderer = drawn(fig).canvas.get_renderer()
    boxes = [(repr(t.get_text()), t.get_window_extent(renderer)) for t in visible_texts(fig)]
    legends = [lg for lg in fig.findobj(Legend)]
    found = [f"{name} leaves the figure" for name, b in boxes
             if b.x0 < fig.bbox.x0 - 1 or b.x1 > fig.bbox.x1 + 1 or b.y0 < -1
             or b.y1 > fig.bbox.y1 + 1]  # fmt: skip
    inside_legend = {id(t) for lg in legends for t in lg.findobj(Text)}
    texts = [(n, b) for (n, b), t in zip(boxes, visible_texts(fig), strict=True)
             if id(t) not in inside_legend]  # fmt: skip
    for (na, a), (nb, b) in itertools.combinations(texts, 2):
        if overlaps(a, b):
            found.append(f"{na} overlaps {nb}")
    for lg in legends:
        box = lg.get_window_extent(renderer)
        for name, b in texts:
            if overlaps(box, b):
                found.append(f"legend overlaps {name}")
        # A legend must not hide data: no line, bar or band of any axes under it.
        for ax in fig.axes:
            for artist in [*ax.lines, *ax.patches, *ax.collections]:
                if artist.get_visible() and overlaps(box, artist.get_window_extent(renderer)):
                    found.append(f"legend overlaps data in '{ax.get_title()}'")
                    break
    return found


# --- item: percent ticks -----------------------------------------------------------------------


@pytest.mark.parametrize("top", [0.03, 0.09, 0.12, 0.17, 0.23, 0.6])
def test_equity_percent_tick_labels_name_their_tick_values(top):
    fig = drawn(figures._draw_equity(equity_table(SIX_ARMS[:2], top=top)))
    checked = 0
    for ax in fig.axes:
        if ax.get_visible() and "%" in "".join(t for _, t in tick_labels(ax)):
            for value, text in tick_labels(ax):
                assert label_value(text) == pytest.approx(100 * value, abs=1e-9), (text, value)
                checked += 1
    assert checked


def test_trajectory_tick_labels_name_their_tick_values():
    fig = drawn(figures._draw_trajectories(monthly_table(SIX_ARMS[:2])))
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for value, text in tick_labels(ax):
            scale = 100 if ("%" in text or "pp" in text) else 1
            assert label_value(text) == pytest.approx(scale * value, rel=1e-6, abs=1e-9), (
                ax.get_title(), text, value)  # fmt: skip


# --- item: units shown once --------------------------------------------------------------------


def test_forest_labels_show_a_unit_only_where_the_label_lacks_it():
    d = differences_table(SIX_ARMS[:2])
    d.loc[d["outcome"] == "cost_total", "unit"] = "USD (2024)"  # whatever unit text the table has
    fig = drawn(figures._draw_forest(d))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "evictions" in labels and "trainings completed" in labels
    assert not any(re.search(r"\((evictions|filings|trainings|spells)\)", t) for t in labels)
    assert any("total public cost" in t and "USD (2024)" in t for t in labels)
    assert any("families ever homeless" in t and "share of families" in t for t in labels)
    assert not any("((" in t or "))" in t for t in labels)


# --- item: linear forest axis, off-scale intervals clipped and marked --------------------------


def test_forest_axis_is_linear_and_marks_intervals_that_leave_it():
    d = differences_table(SIX_ARMS[:2], relative={"cost_hub_assistance": 9.0})
    fig = drawn(figures._draw_forest(d))
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    lo, hi = ax.get_xlim()
    assert hi < 900 and lo <= -2  # the +900% outlier is clipped, the rest stays readable
    row = [o.name for o in OUTCOMES].index("cost_hub_assistance")
    arrows = [ln for ln in ax.lines if ln.get_marker() == ">" and len(ln.get_xdata()) == 1
              and ln.get_ydata()[0] == pytest.approx(row, abs=0.5)]  # fmt: skip
    assert arrows and arrows[0].get_xdata()[0] == pytest.approx(hi, rel=0.05)
    others = [ln for ln in ax.lines if ln.get_marker() in "<>" and ln not in arrows]
    assert not others  # nothing else is off the scale
    texts = [t.get_text() for t in ax.texts]
    assert any("9,000" in t for t in texts)  # the true number stays in the right-hand column
    legend = " ".join(t.get_text() for lg in fig.findobj(Legend) for t in lg.get_texts())
    assert "beyond the axis" in legend + ax.get_xlabel()


# --- item: colour by the practical threshold ---------------------------------------------------


def marker_color(ax: Axes, row: int) -> tuple:
    lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 1 and ln.get_marker() not in "<>"
             and ln.get_ydata()[0] == pytest.approx(row)]  # fmt: skip
    assert len(lines) == 1, row
    return lines[0].get_color()


def test_forest_colours_all_four_verdicts_and_the_legend_says_what_each_means():
    verdicts = {"evictions": "better", "filings": "worse", "employment_rate": "negligible",
                "income": "no clear difference"}  # fmt: skip
    d = differences_table(SIX_ARMS[:2], verdicts=verdicts)
    d["practical_threshold"] = 1.0
    fig = drawn(figures._draw_forest(d))
    ax = fig.axes[0]
    names = [o.name for o in OUTCOMES]
    colors = {v: marker_color(ax, names.index(o)) for o, v in verdicts.items()}
    assert len({str(c) for c in colors.values()}) == 4
    legend = [t.get_text() for lg in fig.findobj(Legend) for t in lg.get_texts()]
    for verdict in verdicts.values():
        entry = [t for t in legend if t.startswith(verdict)]
        assert entry and len(entry[0]) > len(verdict) + 10, (verdict, legend)  # and what it means
    assert any("practical threshold" in t for t in legend)


def test_forest_colours_verdicts_without_a_threshold_column_too():
    d = differences_table(SIX_ARMS[:2], verdicts={"evictions": "negligible"})
    fig = drawn(figures._draw_forest(d))
    names = [o.name for o in OUTCOMES]
    ax = fig.axes[0]
    assert marker_color(ax, names.index("evictions")) != marker_color(ax, names.index("filings"))


# --- item: paired differences over time --------------------------------------------------------


def test_trajectories_show_the_paired_difference_matched_on_rep_and_month():
    monthly = monthly_table(SIX_ARMS[:2])
    fig = drawn(figures._draw_trajectories(monthly))
    diff_axes = [ax for ax in fig.axes if ax.get_visible() and "minus" in ax.get_title()
                 and "families in shelter" in ax.get_title()]  # fmt: skip
    assert len(diff_axes) == 1
    ax = diff_axes[0]
    line = [ln for ln in ax.lines if ln.get_label() == SIX_ARMS[1]]
    assert len(line) == 1
    np.testing.assert_allclose(line[0].get_ydata(), np.full(12, 2.0))
    # Arm minus reference is exactly 2 in every rep and month: a paired band has no width, although
    # the reference itself varies between reps by tens of families.
    band = np.vstack([p.vertices for c in ax.collections for p in c.get_paths()])
    np.testing.assert_allclose(band[:, 1], 2.0, atol=1e-9)


def test_paired_difference_band_is_a_t_interval_over_reps():
    monthly = monthly_table(SIX_ARMS[:2], reps=4, months=3)
    arm = (monthly["scenario"] == SIX_ARMS[1]).to_numpy()
    noise = np.random.default_rng(0).normal(0, 1, arm.sum())
    monthly.loc[arm, "evictions"] += noise
    fig = drawn(figures._draw_trajectories(monthly))
    ax = next(a for a in fig.axes if "minus" in a.get_title() and "evictions" in a.get_title())
    wide = monthly.pivot_table(
        index=["rep", "month"], columns="scenario", values="evictions", observed=True
    )
    diff = (wide[SIX_ARMS[1]] - wide[REFERENCE]).unstack("rep")
    half = stats.t.ppf(0.975, 3) * diff.std(axis=1, ddof=1) / 2
    band = np.vstack([p.vertices for c in ax.collections for p in c.get_paths()])
    np.testing.assert_allclose(band[:, 1].max(), (diff.mean(axis=1) + half).max())
    np.testing.assert_allclose(band[:, 1].min(), (diff.mean(axis=1) - half).min())


# --- item: nothing collides with six arms; titles say what and over how many reps ---------------


@pytest.mark.parametrize("arms", [SIX_ARMS[:2], SIX_ARMS], ids=["2 arms", "6 arms"])
@pytest.mark.parametrize(
    "draw",
    [
        lambda arms: figures._draw_forest(differences_table(arms, {"cost_hub_assistance": 9.0})),
        lambda arms: figures._draw_trajectories(monthly_table(arms)),
        lambda arms: figures._draw_equity(equity_table(arms), reps=3),
        lambda arms: figures._draw_counterfactual(pooled_table(arms)),
    ],
    ids=["forest", "trajectories", "equity", "counterfactual"],
)
def test_no_label_or_legend_collides_and_the_title_gives_the_reps(draw, arms):
    fig = draw(arms)
    assert collisions(fig) == []
    titles = [fig._suptitle.get_text()] if fig._suptitle else []
    titles += [ax.get_title(loc="left") + ax.get_title() for ax in fig.axes]
    assert any(re.search(r"\b3 (paired )?reps\b", t) for t in titles), titles


def test_difference_panels_draw_rounding_noise_as_zero_not_as_a_band():
    monthly = monthly_table(SIX_ARMS[:2])
    monthly["cost_total_usd"] = 250_000.0
    arm = (monthly["scenario"] == SIX_ARMS[1]).to_numpy()
    monthly.loc[arm, "cost_total_usd"] += np.random.default_rng(0).normal(0, 1e-11, arm.sum())
    fig = drawn(figures._draw_trajectories(monthly))
    ax = next(a for a in fig.axes if "minus" in a.get_title() and "public cost" in a.get_title())
    lo, hi = ax.get_ylim()
    assert hi - lo >= 2 * 1e-3 * 250_000  # at least +-0.1% of the level: noise stays flat at 0
    assert not any("e-" in text for _, text in tick_labels(ax))
