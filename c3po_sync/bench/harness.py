"""Runs the benchmark rows against one sandbox: the product job by job, the baseline beside it."""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from c3po_sync.bench.workspace import change_items, list_sizes, prepare_workspace, source_lists
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.generate import HUB_URL, generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

PAGE = 5000  # rows per read request at best
BATCH = 100  # operations per $batch at best

# Server routes grouped into the kinds the report shows.
KINDS: dict[str, set[str]] = {
    "read pages": {"items", "get_items", "folder_files", "folder_folders", "site_users",
                   "user_info_items", "item_file", "file", "file_item", "item"},
    "change-log": {"list_changes", "web_changes"},
    "schema": {"fields", "field", "list", "lists", "web", "site", "list_root_folder", "folder",
               "item_parent_list"},
    "batches": {"batch"},
}  # fmt: skip
WRITE_METHODS = {"POST", "MERGE", "PATCH", "PUT", "DELETE"}
READ_POSTS = {"get_items", "list_changes", "web_changes", "contextinfo", "batch"}


@dataclass(frozen=True)
class BenchSize:
    sites: int
    projects: int
    documents: int
    assets: int

    @property
    def documents_per_project(self) -> float:
        return self.documents / max(self.projects, 1)


DEFAULT_SIZE = BenchSize(sites=20, projects=2000, documents=50_000, assets=5000)
QUICK_SIZE = BenchSize(sites=3, projects=30, documents=150, assets=60)


@dataclass
class Row:
    """One measured row: what ran, its requests by kind, its costs, its minimum and baseline."""

    name: str
    requests: dict[str, int] = field(default_factory=dict)
    total: int = 0
    batch_ops: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mb: float = 0.0
    minimum: int | None = None
    minimum_note: str = ""
    baseline_requests: int | None = None
    baseline_wall_s: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def vs_minimum(self) -> float | None:
        return self.total / self.minimum if self.minimum else None

    @property
    def fewer_than_baseline(self) -> float | None:
        if self.baseline_requests is None or not self.total:
            return None
        return self.baseline_requests / self.total


@dataclass
class BenchReport:
    size: BenchSize
    latency_s: float
    seed: int
    rows: list[Row] = field(default_factory=list)
    setup: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        def row(r: Row) -> dict[str, Any]:
            d = asdict(r)
            d.update(vs_minimum=r.vs_minimum, fewer_than_baseline=r.fewer_than_baseline)
            return d

        return json.dumps(
            {"size": asdict(self.size), "latency_s": self.latency_s, "seed": self.seed,
             "setup": self.setup, "facts": self.facts, "rows": [row(r) for r in self.rows]},
            indent=2, default=str,
        )  # fmt: skip


def classify(snapshot: dict[str, Any]) -> dict[str, int]:
    """Requests by kind from `ServerStats.snapshot()`; writes are state-changing non-batch calls."""
    out = dict.fromkeys((*KINDS, "writes", "other"), 0)
    for key, n in snapshot["requests"].items():
        method, route = key.split(" ", 1)
        if route == "batch":
            out["batches"] += n
        elif method in WRITE_METHODS and route not in READ_POSTS:
            out["writes"] += n
        else:
            kind = next((k for k, routes in KINDS.items() if route in routes), "other")
            out[kind] += n
    return out


def run_worker(config: Path, job: str, today: date, timeout: float = 7200) -> dict[str, Any]:
    """Runs one row in a fresh interpreter and returns what it printed."""
    cmd = [sys.executable, "-m", "c3po_sync.bench.worker", "--config", str(config),
           "--job", job, "--today", today.isoformat()]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT ") :])
    raise RuntimeError(f"bench worker {job} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")


class Bench:
    """Holds the sandbox and the workspace for one benchmark run."""

    def __init__(
        self,
        size: BenchSize,
        workdir: Path,
        *,
        latency_s: float = 0.1,
        seed: int = 7,
        baseline: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.report = BenchReport(size, latency_s, seed)
        self.workdir = workdir
        self.baseline = baseline
        self.say = progress or (lambda msg: log.info("%s", msg))

    def run(self) -> BenchReport:
        size, rep = self.report.size, self.report
        t0 = time.perf_counter()
        data = generate_tenant(
            rep.seed, sites=size.sites, projects=size.projects,
            documents_per_project=size.documents_per_project, assets=size.assets,
        )  # fmt: skip
        rep.setup["generate_s"] = time.perf_counter() - t0
        self.say(f"generated tenant in {rep.setup['generate_s']:.1f}s; loading the sandbox")
        t0 = time.perf_counter()
        tenant = Tenant.from_dict(data)
        rep.setup["load_s"] = time.perf_counter() - t0
        self.say(f"sandbox loaded in {rep.setup['load_s']:.1f}s")
        self.today: date = data["generator"]["anchor"]
        self.lists = source_lists(data)
        self.tenant = tenant
        _create_baseline_lists(tenant)
        with SandboxServer(tenant, port=0, faults=FaultConfig(latency_s=rep.latency_s)) as srv:
            self.server = srv
            self.config = prepare_workspace(data, self.workdir, srv.url)
            self._rows()
        return rep

    def _measure(self, name: str, job: str) -> tuple[Row, dict[str, Any]]:
        self.say(f"row: {name} ({job})")
        self.server.stats.reset()
        out = run_worker(self.config, job, self.today)
        snap = self.server.stats.snapshot()
        row = Row(name, classify(snap), snap["total"], sum(snap["batch_operations"].values()),
                  out["wall_s"], out["cpu_s"], out["peak_rss_mb"], detail=out)  # fmt: skip
        row.detail["routes"] = snap["requests"]
        row.detail["batch_routes"] = snap["batch_operations"]
        if out.get("outcome") not in ("ok", None):
            self.say(f"  {name}: outcome {out.get('outcome')}: {out.get('error')}")
        return row, out

    def _rows(self) -> None:
        rep, lists = self.report, self.lists
        sizes = list_sizes(self.tenant, lists)
        sites = len({s for s, _ in lists})
        rep.facts.update(source_lists=len(lists), source_sites=sites, items=sum(sizes.values()))
        full_min = sum(math.ceil(n / PAGE) for n in sizes.values()) + len(lists)
        conc = 4

        full, _ = self._measure("full sync", "bench-sync")
        full.minimum, full.minimum_note = full_min, "Σ⌈items/5000⌉ + 1 schema per list"
        crit = math.ceil(full.total / min(conc, sites))
        full.detail["critical_path_wall_s"] = crit * rep.latency_s
        base1 = self._baseline("baseline run 1 (empty hub)")
        full.baseline_requests, full.baseline_wall_s = _phase(base1, "read")

        rules, _ = self._measure("rules (evaluate)", "bench-evaluate")
        w1, out = self._measure("write-back, first run", "bench-write")
        self._write_min(w1, out)
        w1.baseline_requests, w1.baseline_wall_s = _phase(base1, "write")

        idle, _ = self._measure("idle incremental sync", "bench-sync")
        idle.minimum, idle.minimum_note = sites, "1 change-log request per site"
        idle.baseline_requests, idle.baseline_wall_s = full.baseline_requests, full.baseline_wall_s

        changed = change_items(self.tenant, lists, 0.01, rep.seed)
        touched = sum(1 for n in sizes.values() if n)  # every list gets ≥ 1 edit
        rep.facts["changed_items"] = changed
        inc, _ = self._measure("incremental sync, 1% changed", "bench-sync")
        inc.minimum = sites + touched
        inc.minimum_note = "1 change-log per site + 1 page per changed list"
        self._measure("rules after change", "bench-evaluate")
        w2, out = self._measure("write-back after 1% change", "bench-write")
        self._write_min(w2, out)
        base2 = self._baseline("baseline run 2 (after 1% change)")
        inc.baseline_requests, inc.baseline_wall_s = _phase(base2, "read")
        w2.baseline_requests, w2.baseline_wall_s = _phase(base2, "write")

        roll, _ = self._measure("Excel rollup", "bench-rollup")
        roll.minimum, roll.minimum_note = 1, "1 upload"

        change_items(self.tenant, lists, 0.01, rep.seed + 1)
        nightly, out = self._measure("nightly job (after another 1%)", "nightly")
        writes = sum(out.get("writes", {}).values())
        nightly.minimum = sites + touched + math.ceil(writes / BATCH) + 1
        nightly.minimum_note = "idle-sync min + changed lists + ⌈rows/100⌉ + 1 upload"
        # The naive nightly is the same work as its run after a change: read all, write changes.
        nightly.baseline_requests, nightly.baseline_wall_s = _phase(base2, "all")
        steps = {**out.get("steps", {})}
        rep.facts["nightly_steps_s"] = steps
        rep.facts["normalize_rules_rollup_s"] = (
            steps.get("normalize", 0) + steps.get("evaluate", 0) + steps.get("rollup", 0)
        )
        rep.rows += [full, idle, inc, w1, w2, rules, roll, nightly]

    def _write_min(self, row: Row, out: dict[str, Any]) -> None:
        writes = sum(out.get("writes", {}).values())
        row.minimum = math.ceil(writes / BATCH) if writes else 0
        row.minimum_note = f"⌈{writes} changed rows/100⌉ batches"
        row.detail["rows_written"] = writes

    def _baseline(self, name: str) -> dict[str, Any] | None:
        if not self.baseline:
            return None
        self.say(f"baseline: {name}")
        self.server.stats.reset()
        out = run_worker(self.config, "baseline", self.today)
        out["server"] = classify(self.server.stats.snapshot())
        self.report.facts.setdefault("baseline", {})[name] = out
        return out


def _phase(out: dict[str, Any] | None, phase: str) -> tuple[int | None, float | None]:
    if out is None:
        return None, None
    if phase == "all":
        return out["client_requests"], out["wall_s"]
    return out[f"{phase}_requests"], out[f"{phase}_wall_s"]


def _create_baseline_lists(tenant: Tenant) -> None:
    """The baseline's own hub lists, made in the model so their setup is not measured."""
    from c3po_sync.m365.naive_baseline import BASELINE_LISTS

    site = tenant.site_for_path(HUB_URL + "/_api/web")[0]
    for title, (key, cols) in BASELINE_LISTS.items():
        lst = site.create_list(title)
        for col in (key, *cols):
            if col != "Title":
                lst.add_field(col, "Text", internal_name=col)
