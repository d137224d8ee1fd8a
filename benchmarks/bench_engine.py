"""Speed benchmark: the vectorised engine against the object-per-family reference, same run.

Usage::

    python benchmarks/bench_engine.py [--sizes 1000 10000 100000] [--months 120]
        [--reference-max 10000] [--repeats 3] [--out benchmarks/out/bench.json] [--no-pin]

For every size both models simulate the same scenario (default parameters, ``--months`` recorded
months after the default burn-in, the same seed). Each case (model x size) runs in a fresh Python
subprocess so that its peak memory is its own:

- start-up (model construction: population, agents, agency network) is timed separately and excluded
  from the headline;
- the headline is ``model.run()``, which simulates burn-in *and* recorded months; ns per
  family-month divides it by families x (burn-in + recorded months), i.e. counts every simulated
  month. The time of the recorded months alone is reported too (split at the end of burn-in by
  ``run``'s progress callback);
- peak memory is the growth of the process's peak resident set size (``resource.getrusage``
  ``ru_maxrss``) from just before model construction to the end of the run: model state plus every
  temporary of construction and run, excluding the interpreter and imports;
- by default each worker is pinned to one CPU (``os.sched_setaffinity``) so the numbers are
  single-core.

The engine is timed ``--repeats`` times (median reported); the reference, being slow, once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEED = 1


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(
    kind: str, families: int, months: int, repeats: int, pin: bool, sets: list[str] = ()
) -> dict:
    """Build and run one model ``repeats`` times in this process; return timings and peak memory."""
    if pin:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    from sysmodel import Params, SystemModel

    sys.path.insert(0, str(HERE))
    from reference_model import ReferenceModel
    from sysmodel.params import FAMILY_SCHEDULE

    overrides = {"population.n_families": families, "time.months": months}
    for item in sets:  # --set KEY=VALUE (YAML value), e.g. capacity.shelter_units_per_1000_families=5
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    if kind != "services":
        # Engine and reference are compared on the family dynamics (the reference has no services);
        # "services" times the full default model, service system included.
        overrides["schedule.processes"] = FAMILY_SCHEDULE
    params = Params().with_overrides(overrides)
    burn_in = params.time.burn_in_months
    model_cls = ReferenceModel if kind == "reference" else SystemModel

    rss_before = _peak_rss_mb()
    construct, run, recorded, cpu = [], [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model = model_cls(params, rng=SEED)
        t1 = time.perf_counter()
        c1 = time.process_time()
        marks: dict[int, float] = {}

        def progress(done: int, total: int, marks: dict[int, float] = marks) -> None:
            if done == burn_in:
                marks[done] = time.perf_counter()

        model.run(progress=progress)
        t2 = time.perf_counter()
        cpu.append(time.process_time() - c1)
        construct.append(t1 - t0)
        run.append(t2 - t1)
        recorded.append(t2 - marks.get(burn_in, t1))
        rows = len(model.monthly_table())
        del model
    peak = _peak_rss_mb()
    simulated = burn_in + months
    run_s = statistics.median(run)
    return {
        "kind": kind,
        "families": families,
        "burn_in_months": burn_in,
        "recorded_months": months,
        "simulated_months": simulated,
        "monthly_rows": rows,
        "repeats": repeats,
        "pinned_cpu": pin,
        "construct_s": statistics.median(construct),
        "run_s": run_s,
        "run_s_all": run,
        "run_cpu_s": statistics.median(cpu),
        "recorded_months_s": statistics.median(recorded),
        "ns_per_family_month": 1e9 * run_s / (families * simulated),
        "peak_rss_mb": peak,
        "peak_rss_growth_mb": peak - rss_before,
    }


def run_case(
    kind: str, families: int, months: int, repeats: int, pin: bool, sets: list[str] = ()
) -> dict:
    """Run one case in a fresh subprocess and return its result."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        kind,
        "--families",
        str(families),
        "--months",
        str(months),
        "--repeats",
        str(repeats),
    ]
    if not pin:
        cmd.append("--no-pin")
    for item in sets:
        cmd += ["--set", item]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} at {families} families failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_info() -> dict:
    """CPU model, core counts and package versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import mesa
    import numpy

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
        "load_average_1_5_15": os.getloadavg(),
    }


def _fmt(value: float | None, spec: str) -> str:
    """Format a number, or a right-aligned "-" of the same width when there is none."""
    if value is None:
        return format("-", ">" + spec.lstrip(">").split(".")[0])
    return format(value, spec)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; as a worker run one case, otherwise run every case and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--months", type=int, default=120, help="recorded months (after burn-in)")
    ap.add_argument(
        "--reference-max",
        type=int,
        default=10_000,
        help="largest size the (slow) reference is run at",
    )
    ap.add_argument("--repeats", type=int, default=3, help="engine runs per size (median)")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "bench.json")
    ap.add_argument("--no-pin", action="store_true", help="do not pin workers to one CPU")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter in every case, e.g. --set "
        "capacity.shelter_units_per_1000_families=5 (repeatable)",
    )
    ap.add_argument("--worker", choices=["engine", "reference", "services"], help=argparse.SUPPRESS)
    ap.add_argument("--families", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    pin = not args.no_pin

    if args.worker:
        print(
            json.dumps(
                worker(args.worker, args.families, args.months, args.repeats, pin, args.set)
            )
        )
        return 0

    info = machine_info()
    print(f"date     {info['date']}")
    print(
        f"cpu      {info['cpu']} ({info['logical_cpus']} logical CPUs, "
        f"{info['cpus_available']} available)"
    )
    print(f"python   {info['python']}   numpy {info['numpy']}   mesa {info['mesa']}")
    print(
        f"scenario default parameters with the family-dynamics schedule (engine vs reference), seed {SEED}, {args.months} recorded months after the "
        "default burn-in;\n         run time INCLUDES burn-in months and ns/family-month counts "
        "every simulated month;\n         "
        "start-up (construction) timed separately and excluded"
    )
    print(
        f"workers  one fresh subprocess per case, {'pinned to one CPU' if pin else 'not pinned'}; "
        f"engine median of {args.repeats} runs, reference 1 run; peak MB = growth of ru_maxrss "
        "from before construction to the end of the run"
    )
    if args.set:
        print(f"set      {' '.join(args.set)}")
    print()

    results = []
    for n in args.sizes:
        eng = run_case("engine", n, args.months, args.repeats, pin, args.set)
        ref = (
            run_case("reference", n, args.months, 1, pin, args.set)
            if n <= args.reference_max
            else None
        )
        svc = run_case("services", n, args.months, args.repeats, pin, args.set)
        results.append({"families": n, "engine": eng, "reference": ref, "services": svc})

    header = (
        f"{'families':>9} {'months':>6} | {'engine s':>8} {'cpu s':>7} {'ns/fm':>7} {'peak MB':>7}"
        f" {'start s':>7} | {'ref s':>8} {'cpu s':>8} {'ns/fm':>7} {'peak MB':>7} {'start s':>7}"
        f" | {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        e, f = r["engine"], r["reference"]
        ratio = f["ns_per_family_month"] / e["ns_per_family_month"] if f else None
        print(
            f"{r['families']:>9,} {e['simulated_months']:>6} | {e['run_s']:>8.3f} "
            f"{e['run_cpu_s']:>7.3f} {e['ns_per_family_month']:>7.1f} "
            f"{e['peak_rss_growth_mb']:>7.1f} {e['construct_s']:>7.2f}"
            f" | {_fmt(f and f['run_s'], '>8.2f')} {_fmt(f and f['run_cpu_s'], '>8.2f')}"
            f" {_fmt(f and f['ns_per_family_month'], '>7.0f')}"
            f" {_fmt(f and f['peak_rss_growth_mb'], '>7.1f')}"
            f" {_fmt(f and f['construct_s'], '>7.2f')}"
            f" | {_fmt(ratio, '>5.0f')}"
        )
    print()
    print(
        "months = burn-in + recorded months simulated by run(); s = wall-clock seconds of run(); "
        "cpu s = its process CPU time;\nns/fm = wall ns per simulated family-month; "
        "ratio = reference / engine ns/fm; start s = construction (excluded)"
    )
    for r in results:
        e = r["engine"]
        print(
            f"engine, {r['families']:,} families: the {e['recorded_months']} recorded months alone "
            f"took {e['recorded_months_s']:.3f} s wall (burn-in excluded)"
        )
    print()
    print("full model with the service system (default schedule), same sizes and months:")
    for r in results:
        v = r["services"]
        print(
            f"  {r['families']:>9,} families: run {v['run_s']:.3f} s, {v['ns_per_family_month']:.0f} "
            f"ns/family-month, peak {v['peak_rss_growth_mb']:.1f} MB; the recorded months alone "
            f"{v['recorded_months_s']:.3f} s"
        )
    info["load_average_after"] = os.getloadavg()
    print(
        "load average (1, 5, 15 min) before {} after {}".format(
            *(
                tuple(round(x, 2) for x in v)
                for v in (info["load_average_1_5_15"], info["load_average_after"])
            )
        )
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": info, "command": " ".join(sys.argv), "results": results}
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
