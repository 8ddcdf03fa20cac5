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
        base = _f(r.baseline_requests, "≥ {}" if r.detail.get("baseline_lower_bound") else "{}")
        out.append(
            f"| {r.name} | {r.total} | {_kinds(r)} | {r.batch_ops} | {r.wall_s:.2f} "
            f"| {r.cpu_s:.2f} | {r.peak_mb:.0f} | {_f(r.minimum, '{}')} "
            f"| {_f(r.vs_minimum)} | {base} "
            f"| {_f(r.baseline_wall_s)} | {_f(r.fewer_than_baseline, '{:.1f}')} "
            f"| {_f(speed, '{:.1f}×')} |"
        )
    return out


MIN_ROUTES = {"GET fields", "GET items", "POST get_items", "POST batch"}


def _extras(r: Row, allowed: set[str]) -> str:
    """The requests a row sent beyond the kinds its minimum counts, largest first."""
    routes: dict[str, int] = r.detail.get("routes") or {}
    extra = sorted(((n, k) for k, n in routes.items() if k not in allowed), reverse=True)
    return ", ".join(f"{k} ×{n}" for n, k in extra) or "none"


def _full_notes(rep: BenchReport, full: Row) -> tuple[str, str]:
    lists = rep.facts.get("source_lists", 0)
    routes: dict[str, int] = full.detail.get("routes") or {}
    pages = routes.get("GET items", 0) + routes.get("POST get_items", 0)
    ratio_note = (
        f"list item pages {pages} vs {(full.minimum or 0) - lists} at 5,000 rows; requests beyond "
        f"pages/schema/batches: {_extras(full, MIN_ROUTES)}"
    )
    if full.vs_minimum is not None and full.vs_minimum > 1.05:
        ratio_note += (
            ". To meet it: put every per-site GET (change token, site users, schema) in the "
            "site's one read $batch, so a site costs 1 + its pages"
        )
    crit = full.detail.get("critical_path_wall_s") or 0
    wall_note = (
        f"critical path = ⌈requests ÷ min(4 workers, sites)⌉ × latency = {crit:.1f}s; the row "
        f"also spends {full.cpu_s:.1f} CPU s parsing, normalizing and saving "
        f"{rep.facts.get('items', 0):,} items on a shared 2-core machine"
    )
    if crit and full.wall_s > 1.2 * crit:
        wall_note += (
            ". To meet it: overlap normalize and the state save with the reads (per site as "
            "its pages arrive) and cut CPU per row (faster JSON, fewer DataFrame copies)"
        )
    return ratio_note, wall_note


def _write_target(w: Row) -> tuple[str, str, str, bool]:
    batches = w.requests.get("batches", 0)
    rows, per_list = w.detail.get("rows_written") or 0, w.detail.get("per_list_minimum")
    ok = w.minimum is not None and batches <= w.minimum
    reads = w.total - batches - w.requests.get("writes", 0)
    note = (
        f"one $batch per hub list: Σ⌈rows per list ÷ 100⌉ = {per_list} "
        f"({'met' if per_list is not None and batches <= per_list else 'not met'}); "
        f"{reads} reads of the hub lists and schema to diff against (keeps human edits)"
    )
    if w.requests.get("writes"):
        note += f"; {w.requests['writes']} provisioning writes (lists, columns: first run only)"
    if not ok:
        note += (
            ". To meet it: pack the operations of several hub lists into one $batch "
            "(one site, so SharePoint accepts them in one changeset)"
        )
    measured = f"{batches} batches vs {w.minimum} ({rows} rows); {w.total} requests in all"
    return f"{w.name}: batches at the minimum", measured, note, ok


def targets(rep: BenchReport) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, note, met) for each target of the issue; notes say why and how."""
    by = {r.name: r for r in rep.rows}
    full, idle = by.get("full sync"), by.get("idle incremental sync")
    w0 = by.get("write-back, nothing changed")
    w1, w2 = by.get("write-back, first run"), by.get("write-back after 1% change")
    nightly = by.get("nightly job (after another 1%)")
    out: list[tuple[str, str, str, bool | None]] = []
    sites = rep.facts.get("source_sites", 0)
    if full and full.vs_minimum is not None:
        ratio_note, wall_note = _full_notes(rep, full)
        measured = f"{full.vs_minimum:.2f}× ({full.total} vs {full.minimum})"
        ok_ratio = full.vs_minimum <= 1.05
        out.append(("full sync requests ≤ 1.05 × minimum", measured, ratio_note, ok_ratio))
        crit = full.detail.get("critical_path_wall_s") or 0
        ok = bool(crit) and full.wall_s <= 1.2 * crit
        out.append(("full-sync wall ≤ 1.2 × critical path × latency",
                    f"{full.wall_s:.1f}s vs {1.2 * crit:.1f}s", wall_note, ok))  # fmt: skip
    if idle:
        writes = idle.requests.get("writes", 0) + idle.requests.get("batches", 0)
        ok = idle.total <= sites and writes == 0
        note = f"no reads; {idle.cpu_s:.1f} CPU s rebuilding the tables from the raw cache"
        if not ok:
            note = f"requests: {_extras(idle, set())}"
        measured = f"{idle.total} requests for {sites} sites, {writes} writes"
        out.append(("idle sync ≤ 1 request per site, no writes", measured, note, ok))
    if w0:
        writes = w0.requests.get("writes", 0) + w0.batch_ops
        measured = f"{writes} writes; {w0.total} requests (reads to diff)"
        out.append(("write-back, second run, nothing changed: no writes", measured, "", not writes))
    for w in (w1, w2):
        if w:
            out.append(_write_target(w))
    for r in (full, nightly):
        if r and r.fewer_than_baseline is not None:
            x = r.fewer_than_baseline
            lower = r.detail.get("baseline_lower_bound")
            bound = " (read phase only: a lower bound)" if lower else ""
            note = (
                f"baseline {r.baseline_requests}{bound}"
                f" vs ours {r.total}; the baseline pages 100 rows and walks library folders "
                f"(2 requests a folder), we page 5,000 rows, so the ratio grows with list size"
            )
            if r is nightly:
                note += f"; ours: {_extras(r, set())}"
            out.append((f"≥ 20 × fewer requests than the baseline ({r.name})",
                        f"{'≥ ' if lower else ''}{x:.1f}×", note, x >= 20))  # fmt: skip
    secs = rep.facts.get("normalize_rules_rollup_s")
    if secs is not None:
        steps = rep.facts.get("nightly_steps_s", {})
        note = "nightly step walls: " + ", ".join(
            f"{k} {steps.get(k, 0):.1f}s" for k in ("normalize", "evaluate", "rollup")
        )
        if secs > 10:
            note += ". To meet it: profile the slowest step (the rollup writes every sheet anew)"
        target = "normalize + rules + rollup ≤ 10 s"
        out.append((target, f"{secs:.1f}s (nightly)", note, secs <= 10))
    top = max(rep.rows, key=lambda r: r.peak_mb, default=None)
    peak = top.peak_mb if top else 0.0
    note = f"highest in '{top.name}'" if top else ""
    base_peaks = [b.get("peak_rss_mb", 0) for b in rep.facts.get("baseline", {}).values()]
    if base_peaks:
        note += f"; the baseline's process peaked at {max(base_peaks):.0f} MB"
    if peak > 400:
        note += ". To meet it: normalize and save per source instead of all tables at once"
    out.append(("peak memory ≤ 400 MB", f"{peak:.0f} MB (max RSS of any row)", note, peak <= 400))
    return out


def render(rep: BenchReport, command: str) -> str:
    s = rep.size
    run_date = rep.facts.get("run_date") or date.today().isoformat()
    lines = [
        f"Size: {s.sites} portfolio sites, {s.projects:,} projects, {s.documents:,} documents, "
        f"{s.assets:,} assets ({rep.facts.get('items', 0):,} items in "
        f"{rep.facts.get('source_lists', 0)} source lists on {rep.facts.get('source_sites', 0)} "
        f"sites); latency {rep.latency_s * 1000:.0f} ms per request; seed {rep.seed}.",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, run on "
        f"{run_date}; sandbox generate {rep.setup.get('generate_s', 0):.1f}s, "
        f"load {rep.setup.get('load_s', 0):.1f}s (not in the rows).",
        f"Command: `{command}`",
        *_baseline_scope(rep),
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


def _baseline_scope(rep: BenchReport) -> list[str]:
    """Says plainly when the baseline ran its read phase only, and what the rest would cost."""
    if rep.facts.get("baseline_scope") != "ratio":
        return []
    runs = list(rep.facts.get("baseline", {}).values())
    if not runs:
        return []
    run = runs[0]
    reads, wall = run["read_requests"], run["read_wall_s"]
    rows = sum(run.get("tables", {}).values())
    total = 2 * reads + rows
    per = wall / reads if reads else 0.0
    return [
        "",
        f"Baseline: its read phase only (`--baseline ratio`): {reads:,} requests in {wall:.0f}s. "
        f"Its two full runs would be about {total:,} requests (two full reads plus one "
        f"`add_item()` per row written, {rows:,} rows), ≈ {total * per / 60:.0f} min at the "
        f"{per:.3f}s a request measured here; the ratios the issue asks for (full sync, "
        "nightly) need its read phase only, and its nightly figure is then a lower bound (≥).",
    ]


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
