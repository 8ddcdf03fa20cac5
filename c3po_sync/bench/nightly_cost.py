"""What a night costs at 0.5×, 1×, 2× and 4× city size, in the units SharePoint charges.

Per size, against one sandbox and one state store in sequence: the first nightly run (empty
state, empty hub), an idle nightly the same day, an idle nightly the next day (the date-driven
rules re-run, the day's workbook uploaded), then a nightly after 1% of the items changed. Each
row is measured on the server: HTTP requests, operations (a ``$batch`` counts as the operations
inside it) and resource units at Microsoft's published costs (``sandbox/budget.py``), beside
the minimum in the same three units; CPU seconds and peak memory are the row's own process's
(``bench/worker.py``). With ``ru_per_minute`` the sandbox throttles by resource units as
SharePoint does, and the product paces itself to the same budget; the first run then shows
its 429s (none expected) and its wall time against RU ÷ budget.

The fair baseline (``m365/naive_baseline.FairBaseline``: 5,000-row pages, no folder walk,
``$batch`` writes; the same client) runs its first run and its run after the change, so the
ratios are against what a competent administrator would write, not a straw man.

Hook for the state-store half of issue 16: when ``c3po_sync.bench.history_year`` exists, its
``history_year_row(workdir)`` (a synthesized year of nightly history) adds a row; this module
does not define it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from c3po_sync.bench.harness import (
    BATCH,
    DEFAULT_SIZE,
    PAGE,
    BenchSize,
    RowRunner,
    create_baseline_lists,
)
from c3po_sync.bench.workspace import change_items, list_sizes, prepare_workspace, source_lists
from c3po_sync.sandbox.budget import ResourceBudget, request_cost
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.generate import generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer

SCALES = (0.5, 1.0, 2.0, 4.0)


@dataclass
class Cost:
    """Requests, operations and resource units of one row, as the server counted them."""

    requests: int = 0
    operations: int = 0
    units: int = 0

    def ratio(self, other: Cost) -> dict[str, float | None]:
        def r(a: int, b: int) -> float | None:
            return round(a / b, 2) if b else None

        return {
            "requests": r(self.requests, other.requests),
            "operations": r(self.operations, other.operations),
            "units": r(self.units, other.units),
        }


@dataclass
class CostRow:
    scale: float
    name: str
    cost: Cost
    minimum: Cost | None = None
    minimum_note: str = ""
    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_mb: float = 0.0
    throttled: int = 0  # 429s the sandbox's budget mode answered
    baseline: Cost | None = None  # the fair baseline's same night
    detail: dict[str, Any] = field(default_factory=dict)


def rows_written(row: CostRow) -> int:
    return sum((row.detail.get("writes") or {}).values())


def new_day_minimum(sites: int, row: CostRow) -> Cost:
    """A new day with no source change still has work the day brings: findings and assets
    that cross a date (a status falls stale, support ends) change hub rows, and the auditors'
    workbook is dated. Its minimum is the change logs, those rows' writes and one upload."""
    rows = rows_written(row)
    return Cost(
        requests=sites + 1 + math.ceil(rows / BATCH) + 1,
        operations=sites + 1 + rows + 1,
        units=sites + 1 + 2 * rows + 2,
    )


def server_cost(snapshot: dict[str, Any]) -> Cost:
    """From ``ServerStats.snapshot()``: a ``$batch`` is one request but its operations each."""
    cost = Cost()
    for key, n in snapshot["requests"].items():
        method, route = key.split(" ", 1)
        cost.requests += n
        cost.units += request_cost(method, route) * n
        if route != "batch":
            cost.operations += n
    for key, n in snapshot["batch_operations"].items():
        method, route = key.split(" ", 1)
        cost.operations += n
        cost.units += request_cost(method, route) * n
    return cost


def scaled(size: BenchSize, scale: float) -> BenchSize:
    return BenchSize(
        sites=max(1, round(size.sites * scale)),
        projects=max(1, round(size.projects * scale)),
        documents=max(1, round(size.documents * scale)),
        assets=max(1, round(size.assets * scale)),
    )


class NightlyCostBench:
    """One size: a tenant, a sandbox, a workspace, and the rows above measured in sequence."""

    def __init__(
        self,
        scale: float,
        workdir: Path,
        *,
        base: BenchSize = DEFAULT_SIZE,
        latency_s: float = 0.02,
        seed: int = 7,
        ru_per_minute: int | None = None,
        baseline: bool = True,
        baseline_only: bool = False,
        say: Callable[[str], None] = print,
    ) -> None:
        self.scale = scale
        self.size = scaled(base, scale)
        self.workdir = workdir
        self.latency_s = latency_s
        self.seed = seed
        self.ru_per_minute = ru_per_minute
        self.baseline = baseline or baseline_only
        self.baseline_only = baseline_only
        self.say = say
        self.rows: list[CostRow] = []
        self.facts: dict[str, Any] = {"scale": scale, "size": asdict(self.size)}

    def run(self) -> list[CostRow]:
        s = self.size
        t0 = time.perf_counter()
        data = generate_tenant(
            self.seed, sites=s.sites, projects=s.projects,
            documents_per_project=s.documents_per_project, assets=s.assets,
        )  # fmt: skip
        tenant = Tenant.from_dict(data)
        self.facts["setup_s"] = round(time.perf_counter() - t0, 1)
        self.today: date = data["generator"]["anchor"]
        lists = source_lists(data)
        create_baseline_lists(tenant)
        sizes = list_sizes(tenant, lists)
        sites = len({site for site, _ in lists})
        self.facts.update(items=sum(sizes.values()), source_lists=len(lists), source_sites=sites)
        self.workdir.mkdir(parents=True, exist_ok=True)
        runner = RowRunner(self.workdir / "worker.log")
        budget = ResourceBudget(self.ru_per_minute) if self.ru_per_minute else None
        faults = FaultConfig(latency_s=self.latency_s)
        try:
            with SandboxServer(tenant, port=0, faults=faults, budget=budget) as server:
                config = prepare_workspace(data, self.workdir, server.url)
                if self.ru_per_minute:
                    _set_budget(config, self.ru_per_minute)
                if self.baseline_only:
                    self._baseline_rows(server, runner, config, tenant, lists)
                else:
                    self._rows(server, runner, config, tenant, lists, sizes, sites)
        finally:
            runner.close()
        return self.rows

    def _measure(
        self, server: SandboxServer, runner: RowRunner, config: Path, name: str, job: str,
        today: date,
    ) -> tuple[CostRow, dict[str, Any]]:  # fmt: skip
        self.say(f"{self.scale}×: {name}")
        server.stats.reset()
        out = runner.run(config, job, today)
        snap = server.stats.snapshot()
        row = CostRow(
            self.scale, name, server_cost(snap), cpu_s=round(out["cpu_s"], 2),
            wall_s=round(out["wall_s"], 2), peak_mb=round(out["peak_rss_mb"]),
            throttled=int(server.stats.faults.get("budget", 0)),
        )  # fmt: skip
        row.detail = {
            k: out.get(k)
            for k in (
                "outcome",
                "skipped",
                "writes",
                "client_units",
                "step_peak_mb",
                "steps",
                "step_cpu_s",
            )
        }
        row.detail["routes"] = snap["requests"]
        return row, out

    def _rows(
        self, server: SandboxServer, runner: RowRunner, config: Path, tenant: Tenant,
        lists: list[tuple[str, str]], sizes: dict[str, int], sites: int,
    ) -> None:  # fmt: skip
        pages = sum(math.ceil(n / PAGE) for n in sizes.values())
        n_lists = len(lists)
        day, next_day = self.today, self.today + timedelta(days=1)

        first, out = self._measure(server, runner, config, "first nightly", "nightly", day)
        rows = sum((out.get("writes") or {}).values())
        first.minimum = Cost(
            requests=pages + sites + math.ceil(rows / BATCH) + 1,
            operations=pages + n_lists + sites + rows + 1,
            units=2 * pages + 2 * n_lists + sites + 2 * rows + 2,
        )
        first.minimum_note = (
            "pages Σ⌈items/5000⌉, each site's schemas and token in one $batch, ⌈rows/100⌉ "
            "write batches, 1 upload (provisioning the hub lists not counted)"
        )
        if self.ru_per_minute:
            floor = first.cost.units / self.ru_per_minute * 60
            first.detail["budget_floor_s"] = round(floor, 1)
            first.detail["wall_vs_budget_floor"] = round(first.wall_s / floor, 2) if floor else None
        self.rows.append(first)

        same, _ = self._measure(server, runner, config, "idle nightly, same day", "nightly", day)
        same.minimum = Cost(sites + 1, sites + 1, sites + 1)
        same.minimum_note = "1 change-log read per source site + 1 for the hub"
        self.rows.append(same)

        idle, _ = self._measure(
            server, runner, config, "idle nightly, next day", "nightly", next_day
        )
        idle.minimum = new_day_minimum(sites, idle)
        idle.minimum_note = (
            "change logs (sites + hub), the hub rows that fall due with the day in ⌈rows/100⌉ "
            "batches, the day's upload"
        )
        self.rows.append(idle)

        changed = change_items(tenant, lists, 0.01, self.seed)
        touched = sum(1 for n in sizes.values() if n)
        night, out = self._measure(
            server, runner, config, "nightly after 1% changed", "nightly", next_day
        )
        rows = sum((out.get("writes") or {}).values())
        night.minimum = Cost(
            requests=sites + 1 + math.ceil(rows / BATCH) + 1,
            operations=sites + touched + 1 + rows + 1,
            units=sites + 2 * touched + 1 + 2 * rows + 2,
        )
        night.minimum_note = (
            f"{changed} items changed: change logs (sites + hub), 1 read per changed list "
            "(in the site's $batch), the changed hub rows in ⌈rows/100⌉ batches, 1 upload"
        )
        self.rows.append(night)
        if self.baseline:
            # Last, so its 11,000 writes to its own hub lists never sit in the product's hub
            # change log: its first run (its lists empty), then a run after another 1% change.
            first.baseline = self._baseline(server, runner, config, next_day)
            change_items(tenant, lists, 0.01, self.seed + 1)
            night.baseline = self._baseline(server, runner, config, next_day)

    def _baseline_rows(
        self, server: SandboxServer, runner: RowRunner, config: Path, tenant: Tenant,
        lists: list[tuple[str, str]],
    ) -> None:  # fmt: skip
        """The fair baseline's two runs alone, on the tenant as ``_rows`` leaves it for them
        (its 1% change made first), so the figures equal a combined run's: the baseline's cost
        does not depend on the product's, and at 1× and above it is the longest part of a run.
        ``join_baseline`` puts them beside a product-only run of the same size."""
        next_day = self.today + timedelta(days=1)
        change_items(tenant, lists, 0.01, self.seed)
        for name, seed in (("first nightly", None), ("nightly after 1% changed", self.seed + 1)):
            if seed is not None:
                change_items(tenant, lists, 0.01, seed)
            row = CostRow(self.scale, name, Cost(), detail={"baseline_only": True})
            row.baseline = self._baseline(server, runner, config, next_day)
            self.rows.append(row)

    def _baseline(
        self, server: SandboxServer, runner: RowRunner, config: Path, today: date
    ) -> Cost:
        self.say(f"{self.scale}×: fair baseline")
        server.stats.reset()
        runner.run(config, "fair-baseline", today)
        return server_cost(server.stats.snapshot())


def _set_budget(config: Path, ru_per_minute: int) -> None:
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["tenant"]["resource_units_per_minute"] = ru_per_minute
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")


def rows_to_json(rows: list[CostRow], facts: dict[str, Any]) -> str:
    return json.dumps({"facts": facts, "rows": [asdict(r) for r in rows]}, indent=2, default=str)


def rows_from_json(text: str) -> tuple[list[CostRow], dict[str, Any]]:
    d = json.loads(text)
    rows = []
    for r in d["rows"]:
        for k in ("cost", "minimum", "baseline"):
            if r.get(k) is not None:
                r[k] = Cost(**r[k])
        rows.append(CostRow(**r))
    return rows, d["facts"]


def join_baseline(rows: list[CostRow]) -> list[CostRow]:
    """Baseline-only rows (``--baseline only``) lend their figures to the product's rows of the
    same size and name, and are dropped; one left without a product row stays as it is."""
    lenders = {(r.scale, r.name): r for r in rows if r.detail.get("baseline_only")}
    out = []
    for r in rows:
        if r.detail.get("baseline_only"):
            continue
        lender = lenders.pop((r.scale, r.name), None)
        if lender is not None and r.baseline is None:
            r.baseline = lender.baseline
        out.append(r)
    return out + list(lenders.values())


def _x(a: Cost, b: Cost | None, unit: str) -> str:
    if b is None:
        return "—"
    num, den = getattr(a, unit), getattr(b, unit)
    return f"{num / den:.2f}" if den else "—"


def render_cost(rows: list[CostRow], facts: dict[str, Any]) -> str:
    """The markdown section of docs/benchmarks.md for these rows."""
    out = [
        "| size | row | requests | operations | RU | minimum req / ops / RU | × min ops "
        "| CPU s | peak MB | 429s | fair baseline req / ops / RU "
        "| baseline ÷ ours (req / ops / RU) |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        m, b = r.minimum, r.baseline
        mins = f"{m.requests} / {m.operations} / {m.units}" if m else "—"
        base = f"{b.requests} / {b.operations} / {b.units}" if b else "—"
        ratios = (
            " / ".join(
                f"{getattr(b, u) / getattr(r.cost, u):.1f}" if getattr(r.cost, u) else "—"
                for u in ("requests", "operations", "units")
            )
            if b
            else "—"
        )
        out.append(
            f"| {r.scale:g}× | {r.name} | {r.cost.requests} | {r.cost.operations} "
            f"| {r.cost.units} | {mins} | {_x(r.cost, m, 'operations')} | {r.cpu_s:.2f} "
            f"| {r.peak_mb:.0f} | {r.throttled} | {base} | {ratios} |"
        )
    return "\n".join(out) + "\n"


def cost_targets(rows: list[CostRow], facts: dict[str, Any]) -> str:
    """Issue 16's run-cost targets, each with what was measured (a markdown table)."""
    by: dict[tuple[float, str], CostRow] = {}
    for row in rows:  # "idle nightly, same day (paced, …)" answers for "idle nightly, same day"
        by.setdefault((row.scale, row.name.split(" (")[0]), row)
    sites = {run["scale"]: run.get("source_sites", 0) for run in facts.get("runs", [])}
    out = ["| target | measured | met |", "|---|---|---|"]

    def add(target: str, measured: str, ok: bool | None) -> None:
        out.append(f"| {target} | {measured} | {'—' if ok is None else 'yes' if ok else 'NO'} |")

    for name in ("idle nightly, same day", "idle nightly, next day"):
        r = by.get((1.0, name))
        if r is None:
            continue
        allowed = sites.get(1.0, 0) + 1 + (2 if "next" in name else 0)
        due = f"; {rows_written(r)} hub rows fell due with the day" if "next" in name else ""
        add(
            f"{name} at city size: ≤ 1 request per source site + 1 hub change-log read"
            + (" + the day's upload" if "next" in name else ""),
            f"{r.cost.requests} requests ({sites.get(1.0, 0)} source sites; upload counted as "
            f"its 2 requests{due}); routes {r.detail.get('routes')}",
            r.cost.requests <= allowed,
        )
        add(f"{name} at city size: < 1 CPU s", f"{r.cpu_s:.2f} CPU s", r.cpu_s < 1)
    for r in rows:
        if r.name.startswith("nightly after 1% changed") and r.minimum and r.minimum.operations:
            x = r.cost.operations / r.minimum.operations
            add(f"{r.scale:g}×: 1% night ≤ 1.5 × minimum operations",
                f"{x:.2f}× ({r.cost.operations} vs {r.minimum.operations})", x <= 1.5)  # fmt: skip
    for r in rows:
        if r.name.startswith("first nightly") and r.detail.get("budget_floor_s"):
            floor = r.detail["budget_floor_s"]
            add(f"{r.scale:g}×: first run paced: no 429", f"{r.throttled} refused", not r.throttled)
            add(f"{r.scale:g}×: first run wall ≤ 1.2 × RU ÷ budget",
                f"{r.wall_s:.0f}s vs {floor:.0f}s floor ({r.cost.units} RU): "
                f"{r.wall_s / floor:.2f}×", r.wall_s <= 1.2 * floor)  # fmt: skip
    peaks: dict[float, CostRow] = {}
    for r in rows:  # the memory target holds for every nightly row of a size
        if r.scale not in peaks or r.peak_mb > peaks[r.scale].peak_mb:
            peaks[r.scale] = r
    for scale, r in sorted(peaks.items()):
        add(f"{scale:g}×: peak memory < 400 MB (every nightly row)",
            f"{r.peak_mb:.0f} MB ({r.name})", r.peak_mb < 400)  # fmt: skip
    for r in rows:
        if r.baseline is not None:
            ratio = r.baseline.ratio(r.cost)
            add(f"{r.scale:g}× {r.name}: fair baseline ÷ ours",
                f"requests {ratio['requests']}, operations {ratio['operations']}, "
                f"RU {ratio['units']}", None)  # fmt: skip
    return "\n".join(out) + "\n"
