"""`c3po-sync bench`: the benchmark against the minimum round trips and a naive baseline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    app.command()(bench)


def bench(
    quick: Annotated[
        bool, typer.Option(help="A small tenant that runs in under a minute.")
    ] = False,
    latency: Annotated[
        float | None,
        typer.Option(help="Seconds of latency per request (default 0.1; 0.02 with --quick)."),
    ] = None,
    sites: Annotated[int | None, typer.Option(help="Portfolio sites.")] = None,
    projects: Annotated[int | None, typer.Option(help="Projects across all sites.")] = None,
    documents: Annotated[int | None, typer.Option(help="Documents across all sites.")] = None,
    assets: Annotated[int | None, typer.Option(help="IT assets.")] = None,
    seed: Annotated[int, typer.Option(help="Generator and change seed.")] = 7,
    baseline: Annotated[
        str,
        typer.Option(
            help="Naive baseline: 'all' (its two runs), 'ratio' (its read phase once: enough "
            "for the full-sync ratio on big tenants) or 'none'. With --scales: the fair "
            "baseline with the rows, 'none', or 'only' (its runs alone, to --from-json beside "
            "a '--baseline none' run)."
        ),
    ] = "all",
    from_json: Annotated[
        Path | None,
        typer.Option("--from-json", help="Re-render --out from a saved --json-out; no run."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the markdown table here, e.g. docs/benchmarks.md.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json-out", help="Raw figures.")] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the workspace here (default: a temp folder).")
    ] = None,
    scales: Annotated[
        str | None,
        typer.Option(
            help="Instead of the rows above: what a night costs at these multiples of the "
            "size, e.g. '0.5,1,2,4' (requests, operations, resource units; bench/nightly_cost)."
        ),
    ] = None,
    ru_per_minute: Annotated[
        int | None,
        typer.Option(
            help="With --scales: the sandbox throttles by resource units per minute "
            "and the product paces itself to the same budget."
        ),  # fmt: skip
    ] = None,
) -> None:
    """Measure full, idle and 1% incremental syncs, write-back, rollup and the nightly job.

    Generates a tenant, serves it from the sandbox with per-request latency, runs each row in
    its own process, and compares requests with the minimum possible and with a naive script.

    Example: c3po-sync bench --quick --out /tmp/bench.md
    """
    from dataclasses import replace

    from c3po_sync.bench.harness import BASELINE_SCOPES, DEFAULT_SIZE, QUICK_SIZE, Bench
    from c3po_sync.bench.report import load_report, render

    if baseline not in BASELINE_SCOPES and not (baseline == "only" and scales is not None):
        scopes = ", ".join(BASELINE_SCOPES)
        raise typer.BadParameter(f"use one of {scopes}", param_hint="--baseline")
    if scales is not None or (from_json is not None and "cost" in from_json.name):
        _cost_bench(scales, ru_per_minute, latency, seed, baseline, from_json, json_out, out,
                    workdir)  # fmt: skip
        return
    if from_json is not None:
        saved = load_report(from_json.read_text(encoding="utf-8"))
        _emit(render(saved, saved.facts.get("command", "c3po-sync bench")), out)
        return

    size = QUICK_SIZE if quick else DEFAULT_SIZE
    size = replace(
        size,
        **{k: v for k, v in
           {"sites": sites, "projects": projects, "documents": documents, "assets": assets}.items()
           if v is not None},
    )  # fmt: skip
    lat = latency if latency is not None else (0.02 if quick else 0.1)
    args = ["c3po-sync bench"] + (["--quick"] if quick else [])
    args += [f"--latency {lat}", f"--sites {size.sites}", f"--projects {size.projects}",
             f"--documents {size.documents}", f"--assets {size.assets}"]  # fmt: skip
    args += [] if baseline == "all" else [f"--baseline {baseline}"]
    args += [] if seed == 7 else [f"--seed {seed}"]
    with tempfile.TemporaryDirectory(prefix="c3po-bench-") as tmp:
        folder = workdir or Path(tmp)
        partial = json_out.with_suffix(".partial.json") if json_out else None
        run = Bench(size, folder, latency_s=lat, seed=seed, baseline=baseline,
                    progress=_progress(), checkpoint=partial)  # fmt: skip
        report = run.run()
    report.facts["command"] = " ".join(args)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(report.to_json(), encoding="utf-8")
    _emit(render(report, " ".join(args)), out)


def _cost_bench(
    scales: str | None,
    ru_per_minute: int | None,
    latency: float | None,
    seed: int,
    baseline: str,
    from_json: Path | None,
    json_out: Path | None,
    out: Path | None,
    workdir: Path | None,
) -> None:
    """`--scales`: the nightly-cost rows per size (bench/nightly_cost.py)."""
    from c3po_sync.bench.nightly_cost import (
        NightlyCostBench,
        cost_targets,
        join_baseline,
        render_cost,
        rows_from_json,
        rows_to_json,
    )

    rows: list = []
    facts: dict = {"runs": []}
    if from_json is not None:  # one file, or several joined by commas (sizes run apart)
        for part in str(from_json).split(","):
            more, more_facts = rows_from_json(Path(part).read_text(encoding="utf-8"))
            rows += more
            facts["runs"] += more_facts.get("runs", [])
    else:
        try:
            factors = [float(x) for x in (scales or "").split(",") if x.strip()]
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--scales") from exc
        say = _progress()
        with tempfile.TemporaryDirectory(prefix="c3po-cost-") as tmp:
            for factor in factors:
                folder = (workdir or Path(tmp)) / f"x{factor:g}"
                run = NightlyCostBench(factor, folder, latency_s=latency if latency is not None
                                       else 0.02, seed=seed, ru_per_minute=ru_per_minute,
                                       baseline=baseline != "none",
                                       baseline_only=baseline == "only", say=say)  # fmt: skip
                rows += run.run()
                facts["runs"].append(run.facts)
                if json_out:  # after each size, so a long run cut short keeps what it measured
                    json_out.parent.mkdir(parents=True, exist_ok=True)
                    json_out.write_text(rows_to_json(rows, facts), encoding="utf-8")
    rows = join_baseline(rows)
    text = render_cost(rows, facts) + "\n" + cost_targets(rows, facts)
    console.print(text, markup=False, highlight=False)
    if out:
        from c3po_sync.bench.docs import COST_HEAD

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(COST_HEAD + text, encoding="utf-8")


def _progress() -> Callable[[str], None]:
    """Progress lines with the elapsed time, so a long run's log shows where the time went."""
    t0 = time.perf_counter()
    return lambda m: console.print(f"[dim]{time.perf_counter() - t0:7.1f}s {m}[/dim]")


def _emit(text: str, out: Path | None) -> None:
    console.print(text, markup=False, highlight=False)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_document(text), encoding="utf-8")
        console.print(f"wrote {out}")


def _document(table: str) -> str:
    from c3po_sync.bench.docs import DOC_HEAD, DOC_TAIL

    return DOC_HEAD + table + DOC_TAIL
