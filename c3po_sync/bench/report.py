"""Renders a benchmark run as the markdown table of docs/benchmarks.md, targets included."""

from __future__ import annotations

import platform
from datetime import date
from typing import Any

from c3po_sync.bench.harness import BenchReport, Row


def _f(v: float | None, fmt: str = "{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def _kinds(r: Row) -> str:
    kinds = ("read pages", "change-log", "schema", "writes", "batches", "other")
    return " / ".join(str(r.requests.get(k, 0)) for k in kinds)


def rows_table(rep: BenchReport) -> list[str]:
    out = [
        "| row | requests | read pages / change-log / schema / writes / batches / other "
        "| batch ops | wall s | CPU s | peak MB | minimum | × minimum | baseline requests "
        "| baseline wall s | × fewer requests | wall vs baseline |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rep.rows:
        speed = r.baseline_wall_s / r.wall_s if r.baseline_wall_s is not None and r.wall_s else None
        out.append(
            f"| {r.name} | {r.total} | {_kinds(r)} | {r.batch_ops} | {r.wall_s:.2f} "
            f"| {r.cpu_s:.2f} | {r.peak_mb:.0f} | {_f(r.minimum, '{}')} "
            f"| {_f(r.vs_minimum)} | {_f(r.baseline_requests, '{}')} "
            f"| {_f(r.baseline_wall_s)} | {_f(r.fewer_than_baseline, '{:.1f}')} "
            f"| {_f(speed, '{:.1f}×')} |"
        )
    return out


def targets(rep: BenchReport) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, comment, met) for each target of the issue."""
    by = {r.name: r for r in rep.rows}
    full, idle = by.get("full sync"), by.get("idle incremental sync")
    w1, w2 = by.get("write-back, first run"), by.get("write-back after 1% change")
    nightly = by.get("nightly job (after another 1%)")
    out: list[tuple[str, str, str, bool | None]] = []
    sites = rep.facts.get("source_sites", 0)
    if full and full.vs_minimum is not None:
        out.append(("full sync requests ≤ 1.05 × minimum", f"{full.vs_minimum:.2f}×"
                    f" ({full.total} vs {full.minimum})", "", full.vs_minimum <= 1.05))  # fmt: skip
        crit = full.detail.get("critical_path_wall_s") or 0
        ok = crit and full.wall_s <= 1.2 * crit
        out.append(("full-sync wall ≤ 1.2 × critical path × latency",
                    f"{full.wall_s:.1f}s vs {crit:.1f}s", "critical path = ⌈requests ÷ "
                    "min(4 workers, sites)⌉ round trips", bool(ok)))  # fmt: skip
    if idle:
        writes = idle.requests.get("writes", 0) + idle.requests.get("batches", 0)
        ok = idle.total <= sites and writes == 0
        out.append(
            (
                "idle sync ≤ 1 request per site, no writes",
                f"{idle.total} requests for {sites} sites, {writes} writes",
                "",
                ok,
            )
        )
    for w in (w1, w2):
        if w:
            batches = w.requests.get("batches", 0)
            ok = w.minimum is not None and batches <= max(w.minimum, 0)
            out.append((f"{w.name}: batches at the minimum",
                        f"{batches} batches vs {w.minimum} ({w.detail.get('rows_written')} rows);"
                        f" {w.total} requests in all", "", ok))  # fmt: skip
    for r in (full, nightly):
        if r and r.fewer_than_baseline is not None:
            x = r.fewer_than_baseline
            out.append(
                (f"≥ 20 × fewer requests than the baseline ({r.name})", f"{x:.1f}×", "", x >= 20)
            )
    secs = rep.facts.get("normalize_rules_rollup_s")
    if secs is not None:
        out.append(("normalize + rules + rollup ≤ 10 s", f"{secs:.1f}s (nightly)", "", secs <= 10))
    peak = max((r.peak_mb for r in rep.rows), default=0)
    out.append(("peak memory ≤ 400 MB", f"{peak:.0f} MB (max RSS of any row)", "", peak <= 400))
    return out


def render(rep: BenchReport, command: str) -> str:
    s = rep.size
    lines = [
        f"Size: {s.sites} portfolio sites, {s.projects:,} projects, {s.documents:,} documents, "
        f"{s.assets:,} assets ({rep.facts.get('items', 0):,} items in "
        f"{rep.facts.get('source_lists', 0)} source lists on {rep.facts.get('source_sites', 0)} "
        f"sites); latency {rep.latency_s * 1000:.0f} ms per request; seed {rep.seed}.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, run on "
        f"{date.today().isoformat()}; sandbox generate {rep.setup.get('generate_s', 0):.1f}s, "
        f"load {rep.setup.get('load_s', 0):.1f}s (not in the rows).",
        f"Command: `{command}`",
        "",
        *rows_table(rep),
        "",
        "| target | measured | met | note |",
        "|---|---|---|---|",
    ]
    for name, measured, note, ok in targets(rep):
        lines.append(f"| {name} | {measured} | {'yes' if ok else 'NO'} | {note} |")
    steps: dict[str, Any] = rep.facts.get("nightly_steps_s", {})
    if steps:
        lines += ["", "Nightly step wall seconds: " + ", ".join(
            f"{k} {v:.2f}" for k, v in steps.items())]  # fmt: skip
    return "\n".join(lines) + "\n"


def load_report(text: str) -> BenchReport:
    """A report back from its JSON (to re-render docs without re-running)."""
    import json

    from c3po_sync.bench.harness import BenchSize

    d = json.loads(text)
    rep = BenchReport(BenchSize(**d["size"]), d["latency_s"], d["seed"], setup=d["setup"],
                      facts=d["facts"])  # fmt: skip
    for r in d["rows"]:
        r.pop("vs_minimum", None)
        r.pop("fewer_than_baseline", None)
        rep.rows.append(Row(**r))
    return rep
