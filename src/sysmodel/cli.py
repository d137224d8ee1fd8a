"""The ``sysmodel`` command line."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shlex
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import typer.core
import yaml
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .files import describe_folder, staged_folder
from .params import DOLLAR_YEAR
from .registry import RegistryError
from .report.format import display_unit, in_unit, short_number
from .scenario import Scenario, ScenarioError, load_scenario, parse_set_option

# Heavy modules (the model, mesa, pandas, numpy, scipy) are imported inside the commands that use them,
# so that `sysmodel --help`, `--version` and `validate` start in a fraction of a second.


class _FlagsShownAsFlags:
    """Help shows an on/off option as a plain flag (``--force``).

    typer 0.29 prints ``--force <bool>``, as if the flag took a value, and ``--force true`` then fails.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""  # what the help's type column shows
        return params


class _Command(_FlagsShownAsFlags, typer.core.TyperCommand):
    """A sysmodel command (see :class:`_FlagsShownAsFlags`)."""


class _Group(_FlagsShownAsFlags, typer.core.TyperGroup):
    """The ``sysmodel`` command group (see :class:`_FlagsShownAsFlags`)."""


app = typer.Typer(
    name="sysmodel",
    cls=_Group,
    help=(
        "sysmodel: an agent-based model of a local human-services system (families, coaches, "
        "rent-assistance coordinators, agencies).\n\n"
        "Start with `sysmodel run baseline` (a shipped scenario; `sysmodel scenarios` lists them all); "
        "`sysmodel params` lists every parameter a scenario file can override, with its unit, bounds "
        "and source."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from .identity import __version__, code_revision

        console.print(
            f"sysmodel {__version__} (code {code_revision()})", highlight=False, soft_wrap=True
        )
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the sysmodel version and the code revision runs record, and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """sysmodel's options before any command."""


class UserError(Exception):
    """A problem with the user's input: printed as one paragraph, exit code 2."""


def _print_error(message: str) -> None:
    # Escaped: messages quote what the user wrote, and '[red]' there is text, not a colour.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    _print_error(message)
    raise typer.Exit(code=2)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _fail(str(exc))
        raise  # unreachable


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "run"


def _with_options(
    scenarios: list[Scenario], set_: list[str] | None, months: int | None, families: int | None
) -> list[Scenario]:
    """The scenarios with the command line's --set, --months and --families applied (exits on a bad one)."""
    # Each source is applied on its own, so an error names the option the user typed (--months 601),
    # not --set; --months and --families come last, so they win over a --set of the same key.
    sources: list[tuple[str, dict]] = []
    try:
        sources.append(("--set", dict(parse_set_option(item) for item in (set_ or []))))
    except ScenarioError as exc:
        _fail(str(exc))
    if months is not None:
        sources.append((f"--months {months}", {"time.months": months}))
    if families is not None:
        sources.append((f"--families {families}", {"population.n_families": families}))
    for origin, extra in sources:
        if extra:
            try:
                scenarios = [sc.with_overrides(extra, origin=origin) for sc in scenarios]
            except ScenarioError as exc:
                _fail(str(exc))
    return scenarios


def _new_results_folder(base: str) -> Path:
    """A folder under results/ that does not exist yet: ``base_<time>``, then ``-2``, ``-3``..."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out, n = Path("results") / f"{base}_{stamp}", 1
    while out.exists():
        n += 1
        out = Path("results") / f"{base}_{stamp}-{n}"
    return out


def _is_run_manifest(path: Path) -> bool:
    """True if ``path`` is the manifest of a finished ``sysmodel run`` (not another tool's file)."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"seed", "parameters", "files"} <= manifest.keys()


def _check_run_out(out: Path, force: bool) -> None:
    """Refuse an --out that holds anything: a finished run needs --force, and so does anything else
    (which --force replaces as a whole, never file by file)."""
    if not out.is_dir() or not any(out.iterdir()):
        return
    if _is_run_manifest(out / "manifest.json"):
        if not force:
            _fail(
                f"{out}: already holds a finished run (manifest.json). Choose another --out or pass "
                "--force to replace it."
            )
    elif not force:
        _fail(
            f"{out}: is not empty and holds no finished run ({describe_folder(out)}). Choose another "
            "--out, or pass --force to replace the whole folder and everything in it with the new run."
        )
    here, home = Path.cwd().resolve(), Path.home().resolve()
    target = out.resolve()
    if target in (home, here) or target in here.parents:
        _fail(
            f"{out}: is the working folder, one of its parents or the home folder: --force will not "
            "replace it. Choose another --out."
        )


def _out_error(exc: OSError, out: Path) -> str:
    """One sentence on why ``out`` cannot be written, and what to do."""
    blocker = next((p for p in out.parents if p.is_file()), None)
    if blocker is not None:
        reason = f"{blocker} is a file, not a folder"
        advice = "choose an --out whose parents are folders"
    else:
        reason = exc.strerror or str(exc)
        advice = {
            errno.EROFS: "choose an --out on a writable disk",
            errno.ENOSPC: "free some space or choose an --out on another disk",
            errno.EDQUOT: "free some space or choose an --out on another disk",
            errno.EACCES: "choose an --out you are allowed to write to",
            errno.EPERM: "choose an --out you are allowed to write to",
        }.get(exc.errno or 0, "check the path or choose another --out")
    return f"cannot write {out}: {reason}; {advice}."


def _check_memory(scenarios: list[Scenario], workers: int = 1, reps: int = 0) -> None:
    """Refuse runs that cannot fit in the memory available now (see :mod:`sysmodel.memory`)."""
    from . import memory

    problem = memory.too_big(scenarios, workers, reps)
    if problem:
        _fail(problem)


def _progress(unit: str, quiet: bool) -> Progress:
    """A transient progress bar on stderr: done/total ``unit``, elapsed time and ETA."""
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=err_console, disable=quiet, transient=True)


@app.command(cls=_Command)
def run(
    scenario: Annotated[
        Path,
        typer.Argument(
            help="Scenario YAML file, e.g. scenarios/baseline.yaml, or the name of a shipped "
            "scenario (`sysmodel scenarios`), e.g. baseline."
        ),
    ],
    seed: Annotated[
        int,
        typer.Option(help="Run seed: the same scenario and seed give identical results.", min=0),
    ] = 0,
    months: Annotated[
        int | None,
        typer.Option(
            help="Months to record after burn-in (default: the scenario's time.months).", min=1
        ),
    ] = None,
    families: Annotated[
        int | None,
        typer.Option(
            help="Number of families (default: the scenario's population.n_families).", min=1
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one parameter, KEY=VALUE with a dotted key, e.g. --set economy.p_job_find_per_month=0.3. Repeatable.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: a new folder under results/).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Allow writing into an --out folder that already holds a finished run."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary table.")
    ] = False,
) -> None:
    """Run one simulation and write monthly.parquet, families.parquet, spells.parquet, housing.parquet, summary.json and manifest.json."""
    from .runner import run_scenario

    (sc,) = _with_options([_load(scenario)], set_, months, families)
    if out is None:
        out = _new_results_folder(f"{_slug(sc.name)}_seed{seed}")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a folder.")
    _check_run_out(out, force)
    _check_memory([sc])

    p = sc.params
    unchanged = f"; {out} is unchanged" if out.exists() else ""
    try:
        if not quiet:
            console.print(
                f"[bold]{sc.name}[/]: {p.population.n_families:,} families, {p.time.burn_in_months} "
                f"burn-in + {p.time.months} months, seed {seed}"
            )
        # The run is written to a temporary sibling folder made before simulating (so an --out that
        # cannot be written fails at once) and takes the place of --out only when complete.
        with staged_folder(out, replace=force) as staging:
            with _progress("months", quiet) as bar:
                task = bar.add_task("simulating", total=p.time.burn_in_months + p.time.months)
                result = run_scenario(
                    sc, seed=seed, progress=lambda done, total: bar.update(task, completed=done)
                )
            result.save(staging)
    except ScenarioError as exc:  # e.g. a target AUC above the best achievable, found at start-up
        _fail(f"{exc} Nothing was written{unchanged}.")
    except OSError as exc:
        _fail(f"{_out_error(exc, out)} Nothing was written{unchanged}.")
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted before the run was saved: nothing was written to {out}{unchanged}.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=130) from None
    if not quiet:
        _print_summary(result.summary())
        console.print(
            f"wrote {out}/ (monthly.parquet, families.parquet, spells.parquet, housing.parquet, "
            "summary.json, manifest.json)"
        )


def _print_summary(summary: dict[str, float]) -> None:
    from .outputs import SUMMARY_UNITS, summary_na_reason

    undefined: dict[str, list[str]] = {}  # why a row is n/a -> its rows
    for key, value in summary.items():
        if value != value:
            undefined.setdefault(summary_na_reason(key, summary), []).append(key.replace("_", " "))
    caption = "\n".join(f"n/a: {why} ({', '.join(keys)})" for why, keys in undefined.items())
    table = Table(
        title="Summary over the recorded months", show_header=True, caption=caption or None
    )
    table.add_column("outcome")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, value in summary.items():
        unit = SUMMARY_UNITS.get(key, "")
        table.add_row(key.replace("_", " "), in_unit(value, unit), display_unit(unit))
    console.print(table)


@app.command(cls=_Command)
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario YAML files (or names of shipped scenarios); the first is the "
            "reference, e.g. scenarios/baseline_siloed.yaml scenarios/aligned_housing_hub.yaml."
        ),
    ],
    reps: Annotated[
        int,
        typer.Option(help="Paired replications: rep r runs every scenario on seed S + r.", min=1),
    ] = 20,
    seed: Annotated[int, typer.Option(help="Base seed S of the reps.", min=0)] = 0,
    months: Annotated[
        int | None,
        typer.Option(
            help="Months to record after burn-in (default: each scenario's time.months).", min=1
        ),
    ] = None,
    families: Annotated[
        int | None,
        typer.Option(
            help="Number of families (default: each scenario's population.n_families).", min=1
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one parameter in every scenario, KEY=VALUE with a dotted key. Repeatable.",
        ),
    ] = None,
    allow_differing: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-differing",
            help="Let arms differ in population.n_families or time.burn_in_months when that difference "
            "is what you compare (refused otherwise: arms are paired rep by rep and month by month). "
            "time.months can never differ. Repeatable.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (default: the number of CPUs; 1 runs in-process).", min=1
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default: a new folder under results/). Rerunning into the folder of an "
            "interrupted comparison resumes it."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Allow writing into an --out folder that already holds other results."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or tables.")
    ] = False,
) -> None:
    """Compare scenarios on common random numbers: paired differences with 95% intervals, cost per
    homeless spell averted, the per-family counterfactual and outcomes by equity group.

    Writes Parquet tables, differences.csv, figures/*.png and comparison.json to the output folder;
    finished runs are kept under runs/ so an interrupted comparison resumes where it stopped.
    """
    from rich import box

    from .experiments import ResultStore
    from .experiments.compare import (
        OUTCOMES,
        PRACTICAL_SHARE,
        CompareError,
        CompareWarning,
        Comparison,
        check_comparable,
    )
    from .experiments.compare import compare as run_comparison

    if len(scenarios) < 2:
        _fail(
            "compare needs at least two scenario files (the first is the reference), e.g. `sysmodel "
            "compare scenarios/baseline_siloed.yaml scenarios/aligned_housing_hub.yaml`."
        )
    loaded = _with_options([_load(path) for path in scenarios], set_, months, families)
    allowed = list(dict.fromkeys(allow_differing or []))
    try:  # before any folder is made: a comparison that cannot be paired writes nothing
        notes = check_comparable(loaded, reps, allowed)
    except CompareError as exc:
        _fail(str(exc))
    for note in notes:
        err_console.print(f"[bold yellow]warning:[/] {note}", highlight=False, soft_wrap=True)
    if out is None:
        out = _new_results_folder(f"compare_{_slug(loaded[0].name)}_vs_{_slug(loaded[1].name)}")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a folder.")
    resuming = False
    if out.exists() and not force:
        contents = {p.name for p in out.iterdir()}
        # What a comparison killed while writing its tables may leave beside runs/ (and rewrites).
        own = {"runs", "figures", "differences.csv", *(f"{t}.parquet" for t in Comparison.TABLES)}
        if "comparison.json" in contents:
            _fail(
                f"{out}: already holds a finished comparison (comparison.json). Choose another --out or "
                "pass --force to write it again (finished runs under runs/ are reused)."
            )
        elif {n for n in contents if not n.startswith(".")} - own:
            _fail(
                f"{out}: is not empty and holds no comparison ({', '.join(sorted(contents)[:5])}). "
                "Choose another --out or pass --force to write into it."
            )
        resuming = "runs" in contents
    n_workers = 1 if workers == 1 else min(workers or os.cpu_count() or 1, reps * len(loaded))
    _check_memory(loaded, workers=n_workers, reps=reps)
    try:
        store = ResultStore(out)
    except OSError as exc:
        _fail(f"{_out_error(exc, out)} Nothing was written.")
    finished = {"done": 0, "total": reps * len(loaded)}

    def kept() -> str:
        """What is kept and how to resume, after an interrupt or a failed write."""
        command = ["sysmodel", "compare", *map(str, scenarios)]
        command += ["--reps", str(reps), "--seed", str(seed)]
        options = {"--months": months, "--families": families, "--workers": workers}
        for option, value in options.items():
            if value is not None:
                command += [option, str(value)]
        for item in set_ or []:
            command += ["--set", item]
        command += ["--out", str(out), *(["--force"] if force else []), *(["-q"] if quiet else [])]
        return (
            f"{finished['done']} of {finished['total']} runs are finished and kept under {out}/runs/; "
            f"rerun with --out {out} to resume: {shlex.join(command)}"
        )

    def on_progress(done: int, total: int) -> None:
        finished.update(done=done, total=total)
        bar.update(task, completed=done, total=total)

    p = loaded[0].params
    if not quiet:
        names = " vs ".join(sc.name for sc in loaded)
        sizes = {sc.params.population.n_families for sc in loaded}
        burn_ins = {sc.params.time.burn_in_months for sc in loaded}
        size = (
            f"{p.population.n_families:,} families"
            if len(sizes) == 1
            else "families " + ", ".join(f"{sc.params.population.n_families:,}" for sc in loaded)
        )
        burn_in = (
            str(p.time.burn_in_months)
            if len(burn_ins) == 1
            else "/".join(str(sc.params.time.burn_in_months) for sc in loaded)
        )
        console.print(
            f"[bold]{names}[/]: {reps} paired reps (seeds {seed}..{seed + reps - 1}), {size}, "
            f"{burn_in} burn-in + {p.time.months} months; costs in {DOLLAR_YEAR} USD; writing to {out}/"
            + (" (resuming: finished runs are reused)" if resuming else "")
        )
    try:
        # The warnings were printed above; compare() repeats them for Python callers only.
        with _progress("runs", quiet) as bar, warnings.catch_warnings():
            warnings.simplefilter("ignore", CompareWarning)
            task = bar.add_task("simulating", total=None)
            result = run_comparison(
                loaded,
                reps,
                base_seed=seed,
                workers=workers,
                store=store,
                progress=on_progress,
                allow_differing=allowed,
            )
        with Progress(TextColumn("writing tables and figures"), console=err_console, disable=quiet,
                      transient=True) as bar:  # fmt: skip
            bar.add_task("write", total=None)
            result.save(out)
    except (ScenarioError, CompareError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{_out_error(exc, out)} {kept()}")
    except KeyboardInterrupt:
        err_console.print(f"interrupted: {kept()}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=130) from None
    if quiet:
        return

    units = {o.name: o.unit for o in OUTCOMES}
    for arm in result.arms[1:]:
        d = result.differences[result.differences["scenario"] == arm]
        table = Table(
            title=f"{arm} minus {result.reference}:\npaired differences over {reps} reps",
            caption="reference, scenario: means over reps; interval: 95% t-interval of the paired "
            "differences; pp: percentage points; negligible: the interval excludes 0 but the "
            f"difference is under {PRACTICAL_SHARE:.0%} of the reference",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        # The unit goes under the outcome's label, not in a column of its own: the table must fit 80
        # columns, and rich would otherwise fold the text columns away (hence the minimum widths).
        table.add_column("outcome (unit)", overflow="fold", min_width=14)
        for col in ("reference", "scenario", "difference", "95% interval"):
            table.add_column(col, justify="right", no_wrap=True)
        table.add_column("verdict", overflow="fold", min_width=10)
        for row in d.itertuples():
            unit = units[row.outcome]
            fmt = _fmt_pp if unit.startswith("share") else short_number
            table.add_row(
                f"{row.label}\n[dim]{display_unit(unit)}[/]",
                in_unit(row.reference_mean, unit),
                in_unit(row.scenario_mean, unit),
                fmt(row.mean),
                f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]",
                _VERDICT_STYLE[row.verdict].format(row.verdict),
            )
        console.print(table)
        _print_cost_effectiveness(result.cost_effectiveness.set_index("scenario").loc[arm])
        cf = result.counterfactual_pooled.set_index("scenario").loc[arm]
        console.print(
            f"paired counterfactual, {cf.matched:,} matched families over {reps} reps: homeless in "
            f"both {cf.homeless_both:,}, only under {result.reference} {cf.homeless_reference_only:,}, "
            f"only under {arm} {cf.homeless_scenario_only:,}, neither {cf.homeless_neither:,}"
        )
        eq = result.equity
        eq = eq[(eq["outcome"] == "ever_homeless") & (eq["group"] != eq["reference_group"])]
        for row in eq.itertuples():
            if row.scenario in (result.reference, arm):
                console.print(
                    f"disparity ratio, families ever homeless, {row.group} vs {row.reference_group} "
                    f"under {row.scenario}: {row.disparity_ratio:.2f}"
                )
    if result.runs_reused:
        console.print(f"{result.runs_reused} finished run(s) were reused from {out}/runs/")
    console.print(
        f"wrote {out}/ (outcomes, differences, cost_effectiveness, ce_bootstrap, counterfactual, "
        "equity, monthly .parquet; differences.csv; figures/; comparison.json)"
    )


def _print_cost_effectiveness(ce) -> None:
    """One arm's place on the cost-effectiveness plane: verdict, both intervals, bootstrap shares."""
    from .experiments.compare import QUADRANT_KEYS

    def interval(lo: float, hi: float) -> str:
        return f"[{short_number(lo)}, {short_number(hi)}]"

    console.print(
        f"[bold]cost per homeless spell averted[/] vs {ce.reference}: [bold]{ce.verdict}[/]",
        highlight=False,
    )
    console.print(
        f"  extra total public cost {short_number(ce.extra_cost_usd)} "
        f"{interval(ce.extra_cost_ci_low, ce.extra_cost_ci_high)} USD ({DOLLAR_YEAR}); homeless "
        f"spells averted {short_number(ce.spells_averted)} "
        f"{interval(ce.spells_averted_ci_low, ce.spells_averted_ci_high)}; means in the quadrant "
        f"'{ce.quadrant}'",
        highlight=False,
    )
    p = {q: getattr(ce, f"p_{key}") for q, key in QUADRANT_KEYS.items()}
    if sum(p.values()) < 1 - 1e-9:  # draws at the origin: the arms did not differ in that resample
        p["no difference"] = 1 - sum(p.values())
    shares = "; ".join(f"{q} {share:.0%}" for q, share in p.items())  # names hold commas
    console.print(f"  share of bootstrap draws: {shares}", highlight=False)


# How the console shows each verdict of the differences table.
_VERDICT_STYLE = {
    "better": "[green]{}[/]",
    "worse": "[red]{}[/]",
    "negligible": "[dim]{}[/]",
    "no clear difference": "[dim]{}[/]",
}


def _fmt_pp(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:+.2f}pp"


@app.command(cls=_Command)
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="One or more scenario YAML files (or names of shipped scenarios)."),
    ],
) -> None:
    """Check scenario files against the parameter schema; print what each one overrides.

    Every file is checked, even after one fails; the exit code is 2 if any failed.
    """
    failed = 0
    for path in files:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            # Report and go on: a planner fixing a folder of scenarios wants every problem at once.
            _print_error(str(exc))
            failed += 1
            continue
        changes = _overridden(sc.overrides)
        if changes:
            listed = f"{len(changes)} override(s): {', '.join(changes)}"
        else:
            listed = "no overrides (every parameter at its default)"
        console.print(
            f"[green]ok[/] {escape(f'{path}: {sc.name!r}, {listed}')}",
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        if len(files) > 1:
            err_console.print(f"{failed} of {len(files)} files failed.", highlight=False)
        raise typer.Exit(code=2)


def _overridden(overrides: dict) -> list[str]:
    """``section.key=value`` for each override, the value in YAML's compact form (as --set takes it)."""
    out = []
    for section, values in overrides.items():
        for key, value in (values or {}).items():
            text = yaml.safe_dump(value, default_flow_style=True, width=10**6)
            text = text.removesuffix("\n").removesuffix("\n...").strip()
            out.append(f"{section}.{key}={text if len(text) <= 60 else text[:59] + '…'}")
    return out


@app.command(cls=_Command)
def processes(
    scenario: Annotated[
        Path | None, typer.Option(help="Show this scenario's order instead of the default.")
    ] = None,
) -> None:
    """Print the month's process order (change it with schedule.processes in a scenario)."""
    from .params import Params
    from .processes import PROCESSES

    order = _load(scenario).params.schedule.processes if scenario else Params().schedule.processes
    table = Table(title="The month, in order")
    table.add_column("#", justify="right")
    table.add_column("process")
    table.add_column("what it does")
    for i, name in enumerate(order, 1):
        try:
            cls = PROCESSES.get(name)
        except RegistryError as exc:
            _fail(str(exc))
        table.add_row(str(i), name, cls.summary)
    table.add_row("", "(record)", "monthly outcomes are recorded after the last process")
    console.print(table)
    others = [n for n in PROCESSES.names() if n not in order]
    if others:
        console.print(f"registered but not scheduled: {', '.join(others)}")


@app.command(cls=_Command)
def params(
    search: Annotated[
        str | None,
        typer.Argument(help="Only parameters whose key or description contains this text."),
    ] = None,
    sources: Annotated[
        bool, typer.Option("--sources", help="Show each parameter's source.")
    ] = False,
) -> None:
    """List every parameter: key, default, unit, bounds, description (and source)."""
    from .params import param_specs

    table = Table(
        show_lines=False,
        caption=f"Dollar amounts are {DOLLAR_YEAR} USD; costs published in other years are converted "
        "with the CPI-U (see --sources).",
    )
    table.add_column("key", no_wrap=True)
    for col in ("default", "unit", "bounds", "description"):
        table.add_column(col, overflow="fold")
    if sources:
        table.add_column("source", overflow="fold")
    specs = [
        s
        for s in param_specs()
        if not search or search.lower() in (s.path + " " + s.description).lower()
    ]
    if not specs:
        _no_parameter_matches(search or "", [s.path for s in param_specs()])
    for s in specs:
        bounds = "" if s.lo is None and s.hi is None else f"[{s.lo}, {s.hi}]"
        default = "null (no limit)" if s.default is None else str(s.default)
        if s.nullable:
            bounds += " or null"
        row = [s.path, default, s.unit, bounds, s.description]
        if sources:
            row.append(s.source)
        table.add_row(*row)
    console.print(table)


@app.command(cls=_Command)
def scenarios(
    copy: Annotated[
        Path | None,
        typer.Option(
            "--copy",
            metavar="DEST",
            help="Copy the shipped scenario files (and their README) into the folder DEST, to edit.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --copy, overwrite files that already exist.")
    ] = False,
) -> None:
    """List the scenario files that ship with sysmodel (run one by name: `sysmodel run baseline`)."""
    from .shipped import copy_shipped, shipped_scenarios

    if copy is not None:
        try:
            written = copy_shipped(copy, force=force)
        except FileExistsError as exc:
            clashes = str(exc).split(", ")
            more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
            _fail(
                f"{copy}: already holds {', '.join(clashes[:5])}{more}; nothing was copied. Pass --force to overwrite, or "
                "choose another folder."
            )
        except NotADirectoryError:
            _fail(f"{copy}: exists and is not a folder.")
        console.print(
            f"copied {len(written)} files to {copy}/ (edit them, then `sysmodel run FILE`)"
        )
        return
    # A list, not a table: long descriptions stay readable in an 80-column terminal.
    console.print("[bold]Shipped scenarios[/] (`sysmodel run NAME` runs one; --copy DEST to edit):")
    for sc in shipped_scenarios():
        console.print(f"\n[bold]{sc.name}[/] ({sc.file})", highlight=False)
        console.print(Padding(sc.description, (0, 0, 0, 4)), highlight=False)


def _no_parameter_matches(search: str, paths: list[str]) -> NoReturn:
    """Say that nothing matched ``search`` (exit 1, like grep), with the nearest keys if any."""
    import difflib

    # Compare with whole keys, sections and last parts, so 'houzing' and 'p_job_fnd' both find keys.
    sections = {path.split(".")[0] for path in paths}
    by_name: dict[str, list[str]] = {name: [f"{name}.*"] for name in sections}
    for path in paths:
        for name in (path, path.split(".")[-1]):
            by_name.setdefault(name, []).append(path)
    near = difflib.get_close_matches(search, list(by_name), n=5, cutoff=0.6)
    keys = list(dict.fromkeys(p for name in near for p in by_name[name]))[:8]
    hint = f" Close keys: {', '.join(keys)}." if keys else ""
    err_console.print(
        f"no parameter matches {search!r}.{hint} `sysmodel params` lists them all.",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code=1)


def _report_search(result, title: str, out: Path | None, prefix: str) -> None:
    """Print a search's best values beside the current defaults and, with ``out``, write
    ``{prefix}fit.json``, ``{prefix}best.json`` and ``{prefix}history.csv`` (atomically)."""
    from .outputs import write_json_atomic
    from .params import Params

    current = Params().flat()
    table = Table(title=title)
    for col in ("parameter", "current default", "best"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for path, value in result.best.items():
        table.add_row(path, f"{current[path]:g}", f"{value:g}")
    console.print(table)
    if out is not None:
        import pandas as pd

        write_json_atomic(result.metrics, out / f"{prefix}fit.json")
        write_json_atomic(result.best, out / f"{prefix}best.json")
        pd.DataFrame(result.history).to_csv(out / f"{prefix}history.csv", index=False)
        console.print(f"wrote {out}/ ({prefix}fit.json, {prefix}best.json, {prefix}history.csv)")


@app.command(cls=_Command)
def calibrate(
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate", help="Only report how well the current defaults fit the targets (quick)."
        ),
    ] = False,
    families: Annotated[int, typer.Option(help="Families per run.", min=100)] = 10_000,
    seeds: Annotated[
        int,
        typer.Option(help="Fixed seeds per candidate (common random numbers).", min=1, max=8),
    ] = 2,
    months: Annotated[
        int | None,
        typer.Option(
            help="Recorded months per run (default: 120 with --evaluate, 96 for the search).",
            min=36,
        ),
    ] = None,
    from_engine_defaults: Annotated[
        bool,
        typer.Option(
            "--from-engine-defaults",
            help="Start the search from the uncalibrated engine values instead of the current defaults.",
        ),
    ] = False,
    portland: Annotated[
        bool,
        typer.Option(
            "--portland",
            help="Calibrate the service system to the Portland shared-customer evaluation (docs/sources.md: Portland Aligned Partners Network) "
            "instead of the family dynamics; with --evaluate, also the selection/effect split.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for fit.json (and, for the search, best.json and history.csv)."),
    ] = None,
) -> None:
    """Calibrate the family dynamics to the public patterns of docs/design.md §7 (see docs/calibration.md).

    Without --evaluate, searches the free parameters and prints the best values to paste into params.py.
    With --portland, the same for the service system and the Portland programme evaluation.
    """
    from . import calibration as cal
    from .outputs import write_json_atomic

    def _calibrate_portland(evaluate: bool, families: int, months: int, out: Path | None) -> None:
        """``sysmodel calibrate --portland [--evaluate]`` (docs/calibration.md, "Portland")."""
        import time
        from concurrent.futures import ProcessPoolExecutor

        from . import calibration as cal
        from .outputs import write_json_atomic

        def fit_table(m: dict, title: str) -> Table:
            table = Table(title=title)
            for col in ("metric", "target", "shared", "other", "ratio", "95% interval", "fit"):
                table.add_column(col, justify="left" if col in ("metric", "fit") else "right")
            for t, rate in zip(
                cal.PORTLAND_TARGETS, ("income_increase", "exit_employed"), strict=True
            ):
                lo, hi = m.get("intervals", {}).get(t.metric, (float("nan"), float("nan")))
                n_sh, n_ot = int(m["shared"]), int(m["other"])
                k_sh = int(m["shared_increase" if rate == "income_increase" else "shared_employed"])
                k_ot = int(m["other_increase" if rate == "income_increase" else "other_employed"])
                table.add_row(
                    t.metric,
                    f"{t.lo:.1f}-{t.hi:.1f}",
                    f"{m[f'{rate}_shared']:.3f} ({k_sh}/{n_sh})",
                    f"{m[f'{rate}_other']:.3f} ({k_ot}/{n_ot})",
                    f"{m[t.metric]:.3f}",
                    f"{lo:.2f}-{hi:.2f}",
                    "[green]in range[/]" if t.contains(m[t.metric]) else "[red]outside[/]",
                )
            return table

        start = time.perf_counter()
        if evaluate:
            console.print(
                f"Portland evaluation of the aligned scenario: {families:,} families, {months} months"
            )
            with ProcessPoolExecutor(max_workers=2) as pool:
                fits = {}
                for label, seeds in (
                    ("search seeds", cal.PORTLAND_SEEDS),
                    ("held-out seeds", cal.PORTLAND_HELD_OUT),
                ):
                    m = cal.portland_evaluate(
                        families=families, months=months, seeds=seeds, executor=pool
                    )
                    fits[label] = m
                    console.print(
                        fit_table(m, f"Fit of the current defaults, {label} {list(seeds)}")
                    )
                dec = cal.portland_decomposition(families=families, months=months, executor=pool)
            table = Table(
                title=f"Observed gap = effect of alignment on shared - on others + selection "
                f"(aligned vs siloed, seeds {dec['seeds']}, {dec['participants']:,} participants)"
            )
            for col in ("outcome", "S aligned", "O aligned", "S siloed", "O siloed", "gap"):
                table.add_column(col, justify="right")
            for col in ("effect on S", "selection", "effect on O"):
                table.add_column(col, justify="right")
            pt, ci = dec["point"], dec["intervals"]
            for k, label in (("inc", "income increase"), ("emp", "exit employed")):

                def cell(name: str, k: str = k) -> str:
                    lo, hi = ci.get(f"{k}_{name}", (float("nan"), float("nan")))
                    return f"{pt[f'{k}_{name}']:+.3f} [{lo:+.3f}, {hi:+.3f}]"

                table.add_row(
                    label,
                    f"{pt[f'{k}_shared_aligned']:.3f}",
                    f"{pt[f'{k}_other_aligned']:.3f}",
                    f"{pt[f'{k}_shared_counterfactual']:.3f}",
                    f"{pt[f'{k}_other_counterfactual']:.3f}",
                    cell("gap"),
                    cell("effect_shared"),
                    cell("selection"),
                    cell("effect_other"),
                )
            console.print(table)
            console.print(f"{time.perf_counter() - start:.0f} s")
            if out is not None:
                write_json_atomic({"fits": fits, "decomposition": dec}, out / "portland_fit.json")
                console.print(f"wrote {out}/portland_fit.json")
            return

        console.print(
            f"searching {len(cal.PORTLAND_FREE_PARAMETERS)} service-system parameters: "
            f"{families:,} families, {months} months, seeds {list(cal.PORTLAND_SEEDS)}"
        )
        with _progress("evaluations", quiet=False) as bar:
            task = bar.add_task("calibrating", total=None)
            result = cal.portland_search(
                families=families,
                months=months,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        console.print(fit_table(result.start_metrics, "Fit at the start (current defaults)"))
        console.print(fit_table(result.metrics, "Fit of the best candidate"))
        fam_ok = all(
            t.contains(result.family_metrics[t.metric]) for t in cal.TARGETS if t.kind == "target"
        )
        console.print(
            f"{result.evaluations} candidates in {result.seconds:.0f} s; family-dynamics targets with "
            f"the best candidate: {'all in range' if fam_ok else 'NOT all in range'} "
            f"(loss {result.family_metrics['loss']:.3f})"
        )
        _report_search(
            result, "Best candidate: paste into src/sysmodel/params.py if it fits", out, "portland_"
        )

    if portland:
        _calibrate_portland(evaluate, families, months or 120, out)
        return

    seed_list = cal.CALIBRATION_SEEDS[:seeds]

    def fit_table(metrics: dict[str, float], title: str) -> Table:
        table = Table(title=title)
        for col in ("metric", "kind", "target", "model", "fit"):
            table.add_column(col, justify="right" if col in ("target", "model") else "left")
        for t in cal.TARGETS:
            value = metrics[t.metric]
            fmt = "{:.3f}" if t.hi <= 1 else "{:.2f}"
            ok = "[green]in range[/]" if t.contains(value) else "[red]outside[/]"
            target = f"{fmt.format(t.lo)}-{fmt.format(t.hi)}"
            table.add_row(t.metric, t.kind, target, fmt.format(value), ok)
        return table

    if evaluate:
        n_months = months or 120
        console.print(
            f"evaluating the current defaults: {families:,} families, {n_months} months, "
            f"seeds {list(seed_list)}"
        )
        metrics = cal.evaluate(families=families, months=n_months, seeds=seed_list)
        console.print(fit_table(metrics, "Fit of the current defaults"))
        console.print(
            f"loss {metrics['loss']:.3f}; first-time shelter cohort {metrics['cohort_families']:,.0f} "
            f"families; shelter entries {metrics['shelter_entries_per_1000_per_year']:.1f} per 1,000 "
            f"families a year; {metrics['evictions_per_filing']:.2f} evictions per filing"
        )
        if out is not None:
            write_json_atomic(metrics, out / "fit.json")
            console.print(f"wrote {out}/fit.json")
        return

    n_months = months or 96
    console.print(
        f"searching {len(cal.FREE_PARAMETERS)} free parameters: {families:,} families, {n_months} "
        f"months, seeds {list(seed_list)}"
    )
    with _progress("evaluations", quiet=False) as bar:
        task = bar.add_task("calibrating", total=None)
        result = cal.search(
            families=families,
            months=n_months,
            seeds=seed_list,
            start_at=cal.ENGINE_DEFAULTS if from_engine_defaults else None,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(fit_table(result.start_metrics, "Fit at the start"))
    console.print(fit_table(result.metrics, "Fit of the best values (rounded)"))
    console.print(
        f"{result.evaluations} evaluations in {result.seconds:.0f} s; loss "
        f"{result.start_metrics['loss']:.3f} -> {result.metrics['loss']:.3f}"
    )
    _report_search(result, "Best values: paste into src/sysmodel/params.py", out, "")


def _pairs(option: str, items: list[str] | None, value_meaning: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a mapping (exits with a clear message on a malformed one)."""
    pairs: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            _fail(f"{option} {item!r}: allowed: NAME={value_meaning}, e.g. {option} RRH=120.")
        if name.strip() in pairs:
            _fail(f"{option} {item!r}: {name.strip()} is given twice; give each name once.")
        pairs[name.strip()] = value.strip()
    return pairs


def _allocation_layout(
    original_col: str | None,
    intervention: list[str] | None,
    code: list[str] | None,
    eligible: list[str] | None,
    group: list[str] | None,
    outcome_col: str | None,
    baseline: str | None,
):
    """The table layout the options describe: the public table's layout, each given part replaced.

    With --intervention the user describes their own table, so codes, eligibility, groups and the
    outcome column (which name the public table's columns) start empty instead.
    """
    from dataclasses import replace

    from .allocate import KUBE_LAYOUT

    layout = KUBE_LAYOUT
    if intervention:
        columns = _pairs("--intervention", intervention, "COLUMN")
        layout = replace(layout, interventions=columns, codes={}, eligible={}, groups=(),
                         outcome=None)  # fmt: skip
    if code:
        codes = {}
        for key, name in _pairs("--code", code, "NAME").items():
            try:
                codes[int(key)] = name
            except ValueError:
                _fail(f"--code {key}={name}: {key!r} is not a whole number; allowed: CODE=NAME "
                      "with CODE the whole number the column holds, e.g. --code 4=RRH.")  # fmt: skip
        layout = replace(layout, codes=codes)
    if eligible:
        layout = replace(layout, eligible=_pairs("--eligible", eligible, "COLUMN"))
    if group:
        layout = replace(layout, groups=tuple(dict.fromkeys(group)))
    if original_col:
        layout = replace(layout, original=original_col)
    if outcome_col:
        layout = replace(layout, outcome=outcome_col)
    if baseline:
        layout = replace(layout, baseline=baseline)
    return layout


def _check_allocate_out(out: Path, force: bool) -> None:
    """Refuse an --out that holds anything unless --force (which replaces the folder as a whole)."""
    if out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a folder.")
    if force or not out.is_dir() or not any(out.iterdir()):
        if force and out.is_dir():
            here, home = Path.cwd().resolve(), Path.home().resolve()
            if out.resolve() in (home, here) or out.resolve() in here.parents:
                _fail(f"{out}: is the working folder, one of its parents or the home folder: "
                      "--force will not replace it. Choose another --out.")  # fmt: skip
        return
    held = "allocation results" if (out / "manifest.json").is_file() else describe_folder(out)
    _fail(f"{out}: already holds {held}. Choose another --out, or pass --force to replace the whole "
          "folder and everything in it.")  # fmt: skip


@app.command(cls=_Command)
def allocate(
    table: Annotated[
        Path,
        typer.Argument(
            help="Household table (CSV): one row per household with the intervention it got, its "
            "predicted probability of an adverse outcome under each intervention, eligibility and "
            "0/1 group flags. Default layout: the public table of Kube, Das & Fowler (2023); see "
            "docs/allocate.md."
        ),
    ],
    capacity: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=N",
            help="Places of one intervention, NAME=N, e.g. --capacity RRH=120 (default: how many "
            "households got it). Repeatable.",
        ),
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="Apply only this rule (repeatable; default: every rule the table can express). "
            "observed is always shown, as the reference.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the lottery.", min=0)] = 0,
    intervention: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=COLUMN",
            help="NAME=COLUMN: an intervention and the column of its predicted probability; give "
            "one per intervention, least intensive first. Describes your own table: codes, "
            "eligibility, groups and outcome then come only from their options.",
        ),
    ] = None,
    original_col: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN",
            help="Column of the intervention each household got (default: Original).",
        ),
    ] = None,
    code: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CODE=NAME",
            help="CODE=NAME: a code of the --original-col column and its intervention, e.g. "
            "--code 4=RRH. Repeatable; without it the column holds intervention names.",
        ),
    ] = None,
    eligible: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=COLUMN",
            help="NAME=COLUMN: the intervention is an option only where this 0/1 column is 1 "
            "(default: Prev=PrevEligible). Repeatable.",
        ),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            metavar="COLUMN",
            help="A 0/1 column to report outcomes by (default: Family and Comorbidity). Repeatable.",
        ),
    ] = None,
    outcome_col: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN",
            help="Column of the observed 0/1 outcome, reported beside the prediction.",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The default option that ranks risk and measures benefit (default: the least "
            "intensive intervention open to every household).",
        ),
    ] = None,
    equity_group: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN",
            help="Group column favoured by equity_weighted_benefit (default: the first).",
        ),
    ] = None,
    equity_weight: Annotated[
        float,
        typer.Option(help="How many times equity_weighted_benefit weighs that group's benefit."),
    ] = 2.0,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Write allocations.parquet, summary.csv, allocation.png and manifest.json here.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an --out folder that is not empty.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No tables.")] = False,
) -> None:
    """Apply rationing rules to a household table and compare them with the observed assignment
    and with the optimum (the fewest expected adverse outcomes the capacities allow)."""
    from . import allocate as al

    layout = _allocation_layout(original_col, intervention, code, eligible, group, outcome_col,
                                baseline)  # fmt: skip
    capacities: dict[str, int] = {}
    for name, value in _pairs("--capacity", capacity, "N").items():
        try:
            capacities[name] = int(value)
        except ValueError:
            _fail(f"--capacity {name}={value}: {value!r} is not a whole number; allowed: a whole "
                  "number of places, 0 or more.")  # fmt: skip
    equity_options = equity_group is not None or equity_weight != 2.0
    if rule and equity_options and "equity_weighted_benefit" not in rule:
        _fail(
            "--equity-group and --equity-weight set equity_weighted_benefit, which the --rule "
            f"options leave out ({', '.join(rule)}); add --rule equity_weighted_benefit or drop them."
        )
    if out is not None:
        _check_allocate_out(out, force)
    try:
        rules = None
        if rule or equity_options:
            names = rule or al.ALLOCATION_RULES.names()
            if rule is None:  # every rule, the equity one with the options given
                names = [n for n in names if n != "equity_weighted_benefit"]
                names.append("equity_weighted_benefit")
            rules = [
                al.EquityWeightedBenefit(equity_group, equity_weight)
                if n == "equity_weighted_benefit"
                else n
                for n in dict.fromkeys(names)
            ]
        result = al.allocate(table, capacities, rules, seed=seed, layout=layout)
    except al.AllocationError as exc:
        _fail(str(exc))
    if out is not None:
        try:
            with staged_folder(out, replace=force) as staging:
                result.save(staging)
        except OSError as exc:
            _fail(f"{_out_error(exc, out)} Nothing was written.")
    if not quiet:
        _print_allocation(result)
        if out is not None:
            console.print(
                f"wrote {out}/ (allocations.parquet, summary.csv, allocation.png, manifest.json)"
            )


def _print_allocation(result) -> None:
    """The rules' expected adverse outcomes, overall and by group, the optimum as a bound row."""
    from rich import box

    from .allocate import OPTIMUM

    overall = result.overall()
    n = result.table.n
    caps = ", ".join(
        f"{name} {c:,}" + ("" if name in result.manifest["capacities_given"] else " (observed)")
        for name, c in result.capacities.items()
    )
    console.print(
        f"[bold]{escape(result.table.source)}[/]: {n:,} households; capacities {caps}; baseline "
        f"{result.manifest['baseline']}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(
        title="Expected adverse outcomes by allocation rule",
        caption="expected: sum of each household's predicted probability under the intervention "
        "the rule gives it; worse/better off: predicted probability above/below the one under the "
        "observed assignment; optimum: the fewest the capacities allow (a bound, not a rule)",
        box=box.SIMPLE_HEAD,
    )
    for col in ("rule", "expected", "vs observed", "worse off", "better off"):
        table.add_column(col, justify="left" if col == "rule" else "right")
    places = 1 if n >= 1000 else 2  # decimals: small tables' differences are fractions of one
    for rule, row in overall.iterrows():
        table.add_row(
            f"{rule} (bound)" if rule == OPTIMUM else str(rule),
            f"{row.expected_adverse:,.{places}f}",
            "" if rule == "observed" else f"{row.difference_from_observed:+,.{places}f}",
            f"{row.share_worse_off:.1%}",
            f"{row.share_better_off:.1%}",
            end_section=rule == overall.index[-2],
        )
    console.print(table)
    groups = list(result.table.groups.columns)
    if groups:
        by = Table(
            title="Expected adverse outcome rate by group",
            caption="mean predicted probability of the households with that flag",
            box=box.SIMPLE_HEAD,
        )
        by.add_column("rule", no_wrap=True)
        s = result.summary
        for g in groups:
            for v in (0, 1):
                size = int(s[(s["rule"] == "observed") & (s["group"] == g) & (s["group_value"] == v)]
                           ["households"].iloc[0])  # fmt: skip
                by.add_column(f"{g}\n= {v}\n[dim]n={size:,}[/]", justify="right")
        for rule in overall.index:
            cells = []
            for g in groups:
                for v in (0, 1):
                    hit = s[(s["rule"] == rule) & (s["group"] == g) & (s["group_value"] == v)]
                    rate = hit["expected_adverse_rate"].iloc[0]
                    cells.append("n/a" if rate != rate else f"{rate:.1%}")
            by.add_row(f"{rule} (bound)" if rule == OPTIMUM else str(rule), *cells,
                       end_section=rule == overall.index[-2])  # fmt: skip
        console.print(by)
    seen = result.manifest.get("observed_outcome")
    if seen:
        console.print(
            f"observed outcome ({seen['column']}): {seen['adverse']:,} adverse; the predictions "
            f"expect {seen['predicted_for_observed_assignment']:,.1f} for the assignment that happened",
            highlight=False,
        )


def _read_run_for_spm(run_dir: Path) -> tuple[Any, int]:
    """The housing history and recorded months of a run folder (exits with a clear error otherwise)."""
    import pandas as pd

    if not run_dir.is_dir():
        what = "is a file, not a folder" if run_dir.exists() else "does not exist"
        _fail(f"{run_dir}: {what}. Give the folder of a run made by `sysmodel run`.")
    path = run_dir / "housing.parquet"
    if not path.is_file():
        held = describe_folder(run_dir) if any(run_dir.iterdir()) else "nothing"
        _fail(
            f"{run_dir}: has no housing.parquet, the housing history `sysmodel spm` reads (the "
            f"folder holds {held}). Runs made before the housing history existed do not have one: "
            "run the scenario again with this version (`sysmodel run SCENARIO --out FOLDER`) and "
            "give that folder."
        )
    manifest_path = run_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        months = int(manifest["months_recorded"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _fail(
            f"{manifest_path}: cannot read the run's recorded months from it ({exc}). "
            "`sysmodel spm` needs the manifest.json `sysmodel run` writes beside housing.parquet; "
            "run the scenario again if it is missing or damaged."
        )
    try:
        housing = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        _fail(f"{path}: cannot be read as a Parquet table ({exc}). Run the scenario again.")
    return housing, months


@app.command(cls=_Command)
def spm(
    run_dir: Annotated[
        Path, typer.Argument(help="A run folder made by `sysmodel run` (holds housing.parquet).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for spm.json and spm.csv (default: the run folder)."),
    ] = None,
    pit_month: Annotated[
        int,
        typer.Option(
            "--pit-month",
            min=0,
            max=11,
            help="Month of each reporting year (0-11) whose month-end is the point-in-time count.",
        ),
    ] = 11,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no tables.")] = False,
) -> None:
    """HUD System Performance Measure-style figures (SPM 1, 2, 3, 5) from a run's housing history.

    Reads housing.parquet (and the recorded months from manifest.json), prints the figures and writes
    spm.json and spm.csv; definitions and limits: docs/spm.md.
    """
    from .spm import spm_measures, write_spm_files

    housing, months = _read_run_for_spm(run_dir)
    try:
        measures = spm_measures(housing, months, pit_month_of_year=pit_month)
    except ValueError as exc:
        _fail(f"{run_dir / 'housing.parquet'}: {exc}. Run the scenario again with this version.")
    folder = run_dir if out is None else out
    about = {"run": str(run_dir), "months_recorded": months, "pit_month_of_year": pit_month}
    try:
        written = write_spm_files(measures, folder, about)
    except OSError as exc:
        _fail(f"{_out_error(exc, folder)} spm.json and spm.csv were not written.")
    if not quiet:
        _print_spm(measures)
        console.print(f"wrote {', '.join(str(p) for p in written)}")


def _print_spm(m) -> None:
    """The SPM figures as four small tables (years down, figures across)."""

    def cell(value: float, unit: str) -> str:
        if value != value:  # NaN: not defined
            return "-"
        return f"{100 * value:.1f}%" if unit == "share" else f"{value:,.1f}".removesuffix(".0")

    def table(title: str, rows_by: str, columns: list[tuple[str, str, str]], part) -> Table:
        t = Table(title=title, title_justify="left")
        t.add_column(rows_by, no_wrap=True)
        for header, _, _ in columns:
            t.add_column(header, justify="right")
        keys = part[rows_by].astype(str) if rows_by != "year" else part["year"].astype(str)
        for key in dict.fromkeys(keys):
            here = part[keys == key]
            values = []
            for _, measure, statistic in columns:
                hit = here[(here["measure"] == measure) & (here["statistic"] == statistic)]
                values.append(cell(hit["value"].iloc[0], hit["unit"].iloc[0]) if len(hit) else "-")
            t.add_row(key, *values)
        return t

    console.print(
        table(
            "SPM 1: length of time homeless (families with a month-end in shelter in the year)",
            "year",
            [
                ("families", "1a", "families"),
                ("mean months", "1a", "mean_months"),
                ("median months", "1a", "median_months"),
                ("mean days", "1a", "mean_days"),
                ("median days", "1a", "median_days"),
            ],
            m[m["measure"] == "1a"],
        )
    )
    returns = [
        (f"{label} {w}m", "2", f"{stat}_{w}m")
        for w in (6, 12, 24)
        for label, stat in (("exits", "exits_followed"), ("returned", "share_returned_within"))
    ]
    console.print(
        table(
            "SPM 2: returns to homelessness after exits to permanent housing (exits followed for the "
            "whole window)",
            "route",
            returns,
            m[m["measure"] == "2"],
        )
    )
    console.print(
        table(
            "SPM 3: families homeless at the point in time and over the year",
            "year",
            [
                ("PIT sheltered", "3.1", "pit_sheltered"),
                ("PIT unsheltered", "3.1", "pit_unsheltered"),
                ("year sheltered", "3.2", "annual_sheltered"),
                ("year unsheltered", "3.2", "annual_unsheltered"),
                ("year homeless", "3.2", "annual_homeless"),
            ],
            m[m["measure"].isin(["3.1", "3.2"])],
        )
    )
    console.print(
        table(
            "SPM 5: first-time homelessness (no stay in the prior 24 months; '-' while the lookback "
            "reaches before month 0)",
            "year",
            [
                ("entering", "5.1", "families_entering"),
                ("first time", "5.1", "first_time"),
                ("share", "5.1", "share_first_time"),
                ("first time (5.2)", "5.2", "first_time"),
                ("share (5.2)", "5.2", "share_first_time"),
            ],
            m[m["measure"].isin(["5.1", "5.2"])],
        )
    )


def main() -> None:
    """Entry point of the ``sysmodel`` command."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: files already written are complete; rerun to produce the rest."
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
