"""``sysmodel allocate``: rationing rules applied to a household table, and the optimum that bounds them.

Checked against a hand-worked case, against the defining property of each rule (re-derived here, not
through the engine's pair order), and against the linear program's bound on random tables; bad tables
give one-paragraph errors naming the file, the column, the value and what is allowed.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from sysmodel import cli
from sysmodel.allocate import (
    ALLOCATION_RULES,
    KUBE_LAYOUT,
    OPTIMUM,
    AllocationError,
    EquityWeightedBenefit,
    TableLayout,
    allocate,
    capacities_for,
    optimal_assignment,
    read_table,
)

CODES = {"ES": 1, "TH": 3, "RRH": 4, "Prev": 5}
RULES = [name for name in ALLOCATION_RULES.names() if name != "observed"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def synthetic_table(n: int = 400, seed: int = 0, prev_share: float = 0.4) -> pd.DataFrame:
    """A table laid out as the public counterfactual table: risk under shelter from a logistic model,
    the other interventions shifted from it, prevention an option for ``prev_share`` of households."""
    rng = np.random.default_rng(seed)
    family = rng.integers(0, 2, n)
    comorbidity = (rng.random(n) < 0.3).astype(int)
    es = 1 / (1 + np.exp(-(rng.normal(-0.8, 1.0, n) + 0.6 * comorbidity - 0.3 * family)))
    th = np.clip(es - rng.normal(0.08, 0.08, n), 0, 1)
    rrh = np.clip(es - rng.normal(0.05, 0.10, n), 0, 1)
    prev_eligible = (rng.random(n) < prev_share).astype(int)
    prev = np.where(prev_eligible == 1, np.clip(es - rng.normal(0.1, 0.1, n), 0, 1), np.nan)
    original = rng.choice([1, 3, 4], n, p=[0.5, 0.2, 0.3])
    original = np.where((prev_eligible == 1) & (rng.random(n) < 0.6), 5, original)
    p_got = np.select([original == 1, original == 3, original == 4], [es, th, rrh], prev)
    return pd.DataFrame(
        {
            "Original": original,
            "Outcome": (rng.random(n) < p_got).astype(int),
            "ES": es,
            "TH": th,
            "RRH": rrh,
            "Prev": prev,
            "PrevEligible": prev_eligible,
            "Family": family,
            "Comorbidity": comorbidity,
        }
    )


# Three households, two interventions (B the default, A the scarce one with a single place).
# Benefit of A over B: 0.4, 0.6, 0.1, so the optimum gives A to household 1: 0.9 + 0.2 + 0.4 = 1.5;
# giving it to household 0 costs 1.7, to household 2 costs 2.0.
HAND = pd.DataFrame(
    {"got": ["A", "B", "B"], "pA": [0.5, 0.2, 0.3], "pB": [0.9, 0.8, 0.4], "kids": [1, 0, 0]}
)
HAND_LAYOUT = TableLayout(interventions={"B": "pB", "A": "pA"}, original="got", groups=("kids",))


def overall(result) -> pd.Series:
    return result.overall()["expected_adverse"]


def assignment(result, rule: str) -> np.ndarray:
    """The intervention index each household got under ``rule``, in table order."""
    rows = result.allocations[result.allocations["rule"] == rule].sort_values("row")
    return rows["intervention"].cat.codes.to_numpy()


# --- a hand-worked case ----------------------------------------------------------------------------


def test_hand_worked_optimum_and_rules():
    result = allocate(HAND, layout=HAND_LAYOUT)
    assert result.capacities == {"B": 2, "A": 1}  # the observed assignment's counts
    expected = overall(result)
    assert expected[OPTIMUM] == pytest.approx(1.5)
    assert result.optimum.objective == pytest.approx(1.5)
    assert list(assignment(result, OPTIMUM)) == [0, 1, 0]  # A (index 1) to household 1
    assert expected["observed"] == pytest.approx(1.7)
    assert expected["largest_predicted_benefit"] == pytest.approx(1.5)
    # Highest risk under B is household 0 (0.9): it gets the most intensive option, A.
    assert list(assignment(result, "highest_risk_first")) == [1, 0, 0]
    # First come first served: household 0 comes first and takes its lowest-risk option, A.
    assert list(assignment(result, "first_come_first_served")) == [1, 0, 0]
    rows = result.summary.set_index(["rule", "group", "group_value"])
    assert rows.loc[(OPTIMUM, "all", pd.NA), "difference_from_observed"] == pytest.approx(-0.2)
    # Household 0 loses A under the optimum (0.5 -> 0.9): one in three worse off, one better off.
    assert rows.loc[(OPTIMUM, "all", pd.NA), "share_worse_off"] == pytest.approx(1 / 3)
    assert rows.loc[(OPTIMUM, "kids", 1), "expected_adverse"] == pytest.approx(0.9)
    assert rows.loc[(OPTIMUM, "kids", 0), "expected_adverse"] == pytest.approx(0.6)


def test_more_places_lower_the_optimum_to_everyone_on_their_best_option():
    result = allocate(HAND, capacities={"A": 3}, layout=HAND_LAYOUT)
    assert result.optimum.objective == pytest.approx(0.5 + 0.2 + 0.3)


def test_a_place_is_kept_for_a_household_that_can_use_nothing_else():
    # Household 0 prefers shelter but could take prevention; household 1 cannot. First come first
    # served must not let household 0 take the only shelter place.
    table = pd.DataFrame({"got": ["Prev", "ES"], "ES": [0.1, 0.5], "Prev": [0.5, np.nan]})
    layout = TableLayout(interventions={"Prev": "Prev", "ES": "ES"}, original="got")
    result = allocate(table, layout=layout)
    assert len(result.allocations["rule"].unique()) == len(
        ALLOCATION_RULES.names()
    )  # no group rule
    for rule in result.allocations["rule"].unique():
        assert list(assignment(result, rule)) == [0, 1], rule


# --- properties on random tables -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_optimum_is_at_least_as_good_as_every_rule(seed):
    rng = np.random.default_rng(100 + seed)
    table = synthetic_table(300, seed)
    hh = read_table(table)
    counts = hh.observed_counts()
    # Move some places from shelter to the scarce interventions (and back, on other seeds).
    shift = int(rng.integers(-20, 40))
    capacities = {"ES": counts["ES"] - shift, "RRH": counts["RRH"] + shift + 10}
    result = allocate(hh, capacities=capacities, seed=seed)
    expected = overall(result)
    for rule in RULES:
        assert expected[OPTIMUM] <= expected[rule] + 1e-9, rule
    assert result.optimum.max_fractional <= 1e-6
    assert expected[OPTIMUM] == pytest.approx(result.optimum.objective)


@pytest.mark.parametrize("seed", range(3))
def test_every_rule_respects_capacities_and_eligibility(seed):
    table = synthetic_table(300, seed, prev_share=0.3)
    hh = read_table(table)
    # Tight: as many places as households, prevention short of the eligible.
    counts = hh.observed_counts()
    caps = {"Prev": counts["Prev"] - 15, "ES": counts["ES"] + 5, "TH": counts["TH"] + 10}
    result = allocate(hh, capacities=caps, seed=seed)
    capacity = np.array([result.capacities[n] for n in hh.names])
    for rule in [*RULES, OPTIMUM]:
        got = assignment(result, rule)
        assert len(got) == hh.n and (got >= 0).all(), rule  # exactly one each
        assert (np.bincount(got, minlength=len(hh.names)) <= capacity).all(), rule
        assert hh.eligible[np.arange(hh.n), got].all(), rule
        prev = hh.names.index("Prev")
        assert (table["PrevEligible"].to_numpy()[got == prev] == 1).all(), rule


def _options_with_room(got: np.ndarray, order: np.ndarray, capacity: np.ndarray, k: int):
    """For each household in ``order``, the interventions with room left when it was served."""
    used = np.zeros(k, dtype=int)
    for i in order:
        yield i, np.flatnonzero(used < capacity)
        used[got[i]] += 1


def test_first_come_first_served_gives_each_its_best_option_left_in_table_order():
    hh = read_table(synthetic_table(300, 5, prev_share=1.0))  # prevention open to all: no reserving
    caps = capacities_for(hh)
    got = assignment(allocate(hh), "first_come_first_served")
    for i, room in _options_with_room(got, np.arange(hh.n), caps, len(hh.names)):
        best = room[np.argmin(hh.probability[i, room])]
        assert hh.probability[i, got[i]] == hh.probability[i, best], i


def test_highest_risk_first_fills_the_most_intensive_with_the_riskiest():
    hh = read_table(synthetic_table(300, 6, prev_share=1.0))
    caps = capacities_for(hh)
    got = assignment(allocate(hh), "highest_risk_first")
    by_risk = np.argsort(-hh.risk(), kind="stable")
    # Down the risk ranking: TH places first, then RRH, ES, Prev (most to least intensive).
    blocks = np.repeat(np.arange(len(hh.names))[::-1], caps[::-1])
    assert list(got[by_risk]) == list(blocks)


def test_largest_predicted_benefit_leaves_no_larger_benefit_unclaimed():
    hh = read_table(synthetic_table(300, 7, prev_share=1.0))
    caps = capacities_for(hh)
    got = assignment(allocate(hh), "largest_predicted_benefit")
    benefit = hh.risk()[:, None] - hh.probability
    mine = benefit[np.arange(hh.n), got]
    for j in range(len(hh.names)):
        holders = got == j
        if not holders.any():
            continue
        # Anyone who would gain more from j than from what they got, and more than j's weakest
        # holder does, should have had it: greedy takes pairs from the largest benefit down.
        wanting = (benefit[:, j] > mine + 1e-12) & (
            benefit[:, j] > benefit[holders, j].min() + 1e-12
        )
        assert not wanting.any(), (hh.names[j], np.flatnonzero(wanting)[:5])
        assert holders.sum() == caps[j] or not (benefit[:, j] > mine + 1e-12).any()


def test_lottery_depends_on_its_seed_only():
    hh = read_table(synthetic_table(300, 8))
    a = assignment(allocate(hh, rules=["lottery"], seed=1), "lottery")
    b = assignment(allocate(hh, rules=["lottery", "highest_risk_first"], seed=1), "lottery")
    c = assignment(allocate(hh, rules=["lottery"], seed=2), "lottery")
    assert (a == b).all()  # adding a rule does not move the lottery's draws
    assert (a != c).any()


def test_lottery_serves_in_some_order_its_best_option_left():
    # Every household's option is its best among those a random order left; on average the lottery
    # lands near first come first served on a table whose order is itself random.
    hh = read_table(synthetic_table(400, 9, prev_share=1.0))
    draws = [overall(allocate(hh, rules=["lottery"], seed=s))["lottery"] for s in range(8)]
    fcfs = overall(allocate(hh, rules=["first_come_first_served"]))["first_come_first_served"]
    spread = np.std(draws, ddof=1)
    assert abs(np.mean(draws) - fcfs) < 4 * max(spread, 1e-9) + 1e-9


def test_equity_weight_one_is_largest_benefit_and_a_large_weight_favours_the_group():
    hh = read_table(synthetic_table(400, 10))
    plain = assignment(
        allocate(hh, rules=["largest_predicted_benefit"]), "largest_predicted_benefit"
    )
    same = allocate(hh, rules=[EquityWeightedBenefit("Family", 1.0)])
    assert (assignment(same, "equity_weighted_benefit") == plain).all()
    strong = allocate(hh, rules=["largest_predicted_benefit", EquityWeightedBenefit("Family", 50)])
    s = strong.summary.set_index(["rule", "group", "group_value"])["expected_adverse_rate"]
    assert (
        s[("equity_weighted_benefit", "Family", 1)] < s[("largest_predicted_benefit", "Family", 1)]
    )
    assert (
        s[("equity_weighted_benefit", "Family", 0)] > s[("largest_predicted_benefit", "Family", 0)]
    )


def test_observed_is_the_assignment_that_happened_whatever_the_capacities():
    table = synthetic_table(200, 11)
    result = allocate(table, capacities={"ES": 300})
    got = assignment(result, "observed")
    codes = {v: k for k, v in CODES.items()}
    names = [codes[c] for c in table["Original"]]
    assert [result.table.names[j] for j in got] == names
    row = result.overall().loc["observed"]
    assert row.difference_from_observed == 0 and row.share_worse_off == 0


def test_tidy_tables_have_one_row_per_household_and_rule():
    result = allocate(synthetic_table(150, 12))
    n_rules = len(ALLOCATION_RULES.names()) + 1  # and the optimum
    assert len(result.allocations) == 150 * n_rules
    assert set(result.allocations.columns) >= {
        "household", "rule", "intervention", "p_adverse", "p_adverse_observed", "worse_off",
        "Family", "Comorbidity",
    }  # fmt: skip
    # all households, then both values of two group flags
    assert len(result.summary) == n_rules * 5
    kinds = result.summary.drop_duplicates("rule").set_index("rule")["kind"]
    assert kinds["observed"] == "reference" and kinds[OPTIMUM] == "bound"


def test_rules_needing_a_group_are_skipped_when_the_table_has_none():
    result = allocate(
        HAND, layout=TableLayout(interventions={"B": "pB", "A": "pA"}, original="got")
    )
    assert "equity_weighted_benefit" not in set(result.allocations["rule"])


# --- bad input -------------------------------------------------------------------------------------


def _csv(tmp_path: Path, df: pd.DataFrame, name: str = "households.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path)
    return path


def _error(tmp_path, df, **kwargs) -> str:
    path = _csv(tmp_path, df)
    with pytest.raises(AllocationError) as info:
        allocate(path, **kwargs)
    message = str(info.value)
    assert str(path) in message or "--" in message
    assert "\n" not in message
    return message


def test_missing_column_is_named_with_the_option_that_maps_it(tmp_path):
    message = _error(tmp_path, synthetic_table(20).drop(columns="RRH"))
    assert "no column 'RRH'" in message and "--intervention" in message


def test_probability_outside_0_1_is_named_with_its_row(tmp_path):
    df = synthetic_table(20)
    df.loc[3, "TH"] = 1.3
    message = _error(tmp_path, df)
    assert (
        "'TH'" in message and "1.3" in message and "row 4" in message and "from 0 to 1" in message
    )


def test_text_in_a_probability_column_is_refused(tmp_path):
    df = synthetic_table(20).astype({"ES": object})
    df.loc[0, "ES"] = "high"
    message = _error(tmp_path, df)
    assert "'ES'" in message and "'high'" in message


def test_unknown_code_in_original_lists_the_known_ones(tmp_path):
    df = synthetic_table(20)
    df.loc[2, "Original"] = 2
    message = _error(tmp_path, df)
    assert (
        "'Original'" in message and "2" in message and "4 (RRH)" in message and "--code" in message
    )


def test_capacities_short_of_the_households_are_refused(tmp_path):
    df = synthetic_table(50)
    es = int((df["Original"] == 1).sum())
    message = _error(tmp_path, df, capacities={"ES": es - 5})
    assert "add up to 45" in message and "50 households" in message and "--capacity" in message


def test_capacities_that_strand_ineligible_households_are_refused(tmp_path):
    df = synthetic_table(100, prev_share=0.5)
    ineligible = int((df["PrevEligible"] == 0).sum())
    caps = {"Prev": 100, "ES": ineligible - 5, "TH": 0, "RRH": 0}
    message = _error(tmp_path, df, capacities=caps)
    assert f"{ineligible:,} households can only get ES or RRH or TH" in message


def test_a_flag_that_is_not_0_or_1_is_refused(tmp_path):
    df = synthetic_table(20)
    df.loc[5, "Family"] = 2
    assert "'Family'" in (m := _error(tmp_path, df)) and "0 or 1" in m


def test_prevention_given_where_it_was_not_an_option_is_refused(tmp_path):
    df = synthetic_table(40)
    row = df.index[df["PrevEligible"] == 0][0]
    df.loc[row, "Original"] = 5
    message = _error(tmp_path, df)
    assert "got Prev" in message and "'Prev' is empty" in message


def test_bad_capacity_values_are_refused(tmp_path):
    assert "RHH" in _error(tmp_path, synthetic_table(20), capacities={"RHH": 3})
    assert "0 or more" in _error(tmp_path, synthetic_table(20), capacities={"RRH": -1})


def test_table_without_an_index_column_numbers_households_from_0(tmp_path):
    path = tmp_path / "plain.csv"
    synthetic_table(30).to_csv(path, index=False)
    assert list(read_table(path).household) == list(range(30))


def test_the_public_layout_reads_prevention_as_least_intensive():
    assert list(KUBE_LAYOUT.interventions) == ["Prev", "ES", "RRH", "TH"]
    assert read_table(synthetic_table(30)).names[read_table(synthetic_table(30)).baseline] == "ES"


def test_optimal_assignment_is_integral_on_a_larger_table():
    hh = read_table(synthetic_table(2000, 13))
    opt = optimal_assignment(hh, capacities_for(hh))
    assert opt.max_fractional <= 1e-6
    assert opt.objective == pytest.approx(hh.probability[np.arange(hh.n), opt.assigned].sum())


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture
def invoke(monkeypatch):
    """Run the CLI in-process with wide, colourless consoles, so tables are not folded."""
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    monkeypatch.setattr(cli, "err_console", Console(width=400, color_system=None, stderr=True))
    runner = CliRunner()

    def _invoke(*args):
        result = runner.invoke(cli.app, ["allocate", *map(str, args)])
        result.text = _ANSI.sub("", result.output)
        return result

    return _invoke


def _user_error(result, *expect: str) -> None:
    text = result.text.strip()
    assert result.exit_code == 2, (result.exit_code, text, result.exception)
    assert text.startswith("error:") and "\n" not in text and "Traceback" not in text, text
    for words in expect:
        assert words in text, text


def test_cli_writes_tables_figure_and_manifest(invoke, tmp_path):
    path = _csv(tmp_path, synthetic_table(120, 14))
    out = tmp_path / "out"
    result = invoke(path, "--out", out, "--capacity", "RRH=60", "--capacity", "ES=40", "--seed", 3)
    assert result.exit_code == 0, result.text
    assert "optimum (bound)" in result.text and "highest_risk_first" in result.text
    assert {p.name for p in out.iterdir()} == {
        "allocations.parquet", "summary.csv", "allocation.png", "manifest.json",
    }  # fmt: skip
    allocations = pd.read_parquet(out / "allocations.parquet")
    assert len(allocations) == 120 * (len(ALLOCATION_RULES.names()) + 1)
    summary = pd.read_csv(out / "summary.csv")
    optimum = summary[(summary["rule"] == OPTIMUM) & (summary["group"] == "all")].iloc[0]
    assert optimum["n_RRH"] <= 60 and optimum["n_ES"] <= 40
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["capacities_given"] == {"RRH": 60, "ES": 40}
    assert manifest["seed"] == 3 and manifest["table"]["households"] == 120
    assert manifest["table"]["sha256"]
    assert manifest["rule_settings"] == {
        "equity_weighted_benefit": {"group": "Family", "weight": 2.0}
    }
    assert (out / "allocation.png").read_bytes()[:4] == b"\x89PNG"
    again = invoke(path, "--out", out)
    _user_error(again, str(out), "--force")
    assert invoke(path, "--out", out, "--force", "-q").exit_code == 0


def test_cli_maps_another_tables_columns(invoke, tmp_path):
    df = synthetic_table(80, 15).rename(
        columns={
            "ES": "p_shelter",
            "RRH": "p_rrh",
            "TH": "p_th",
            "Family": "kids",
            "Original": "got",
        }
    )
    df = df.drop(columns=["Prev", "PrevEligible", "Comorbidity", "Outcome"])
    df["got"] = df["got"].replace({5: 1})
    path = _csv(tmp_path, df, "other.csv")
    result = invoke(
        path, "--intervention", "ES=p_shelter", "--intervention", "RRH=p_rrh",
        "--intervention", "TH=p_th", "--original-col", "got", "--code", "1=ES", "--code", "3=TH",
        "--code", "4=RRH", "--group", "kids", "--rule", "largest_predicted_benefit",
    )  # fmt: skip
    assert result.exit_code == 0, result.text
    assert "kids" in result.text and "largest_predicted_benefit" in result.text
    assert "lottery" not in result.text


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--capacity", "RRH"], ["--capacity 'RRH'", "NAME=N"]),
        (["--capacity", "RRH=lots"], ["'lots'", "whole number"]),
        (["--capacity", "ES=1"], ["add up to", "--capacity"]),
        (["--rule", "lotery"], ["lotery", "Did you mean 'lottery'"]),
        (["--code", "x=ES"], ["--code x=ES", "whole number"]),
        (["--group", "Famly"], ["no column 'Famly'", "did you mean 'Family'"]),
        (["--baseline", "Prev"], ["--baseline Prev", "every household"]),
        (["--equity-weight", "0"], ["--equity-weight", "above 0"]),
        (["--rule", "lottery", "--equity-weight", "3"], ["--rule equity_weighted_benefit"]),
    ],
)
def test_cli_bad_options_give_one_paragraph_errors(invoke, tmp_path, args, expect):
    path = _csv(tmp_path, synthetic_table(40, 16))
    _user_error(invoke(path, *args), *expect)


def test_cli_bad_table_gives_one_paragraph_error(invoke, tmp_path):
    df = synthetic_table(40, 17)
    df.loc[7, "RRH"] = -0.2
    _user_error(invoke(_csv(tmp_path, df)), "households.csv", "'RRH'", "-0.2", "from 0 to 1")
    _user_error(invoke(tmp_path / "missing.csv"), "missing.csv", "does not exist")


def _docs_block(start: str) -> str:
    """The code block of docs/allocate.md that starts with ``start``."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "allocate.md").read_text(
        encoding="utf-8"
    )
    return next(b for b in re.findall(r"```\n(.*?)```", docs, re.S) if b.startswith(start))


def test_the_documented_example_prints_what_the_docs_show(invoke, tmp_path):
    table = _docs_block(",Original")
    shown = _docs_block("$ sysmodel allocate households.csv")
    (tmp_path / "households.csv").write_text(table, encoding="utf-8")
    args = shown.splitlines()[0].split()[4:]
    args[args.index("--out") + 1] = str(tmp_path / "out")
    result = invoke(tmp_path / "households.csv", *args)
    assert result.exit_code == 0, result.text
    for line in shown.splitlines()[5:]:
        if line.strip() and not line.strip().startswith("─"):
            assert line.strip() in result.text, line


def test_figure_has_a_panel_per_group_and_tells_its_ticks_apart():
    from sysmodel.report.allocation import _draw_allocation

    # The documented example: its rates span 3 points, so ticks fall on half percents.
    df = pd.read_csv(io.StringIO(_docs_block(",Original")), index_col=0)
    fig = _draw_allocation(allocate(df, capacities={"RRH": 2, "ES": 2}).summary)
    fig.draw_without_rendering()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 3  # all households, Family, Comorbidity
    for ax in axes:
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert len(labels) == len(set(labels)), labels
    assert [t.get_text() for t in axes[0].get_yticklabels()][-1] == "optimum (bound)"
