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
from c3po_sync.pipeline.steps.dashboard import UPLOADS as DASHBOARD_UPLOADS
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
# all: the baseline's two runs (empty hub, after the 1% change); ratio: its read phase only,
# once (enough for the full-sync ratio; its nightly is then a lower bound); none: skip it.
BASELINE_SCOPES = ("all", "ratio", "none")
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
QUICK_SIZE = BenchSize(sites=2, projects=20, documents=60, assets=30)


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


class RowRunner:
    """A warm worker process (``worker --serve``) that forks one child per row.

    Rows keep their own CPU seconds and peak memory (each runs in its own child), but pay
    Python's and pandas' start-up once per benchmark instead of once per row. The worker's
    stderr goes to a log file in the workspace, whose tail is quoted when a row fails.
    """

    def __init__(self, log_path: Path, timeout: float = 7200) -> None:
        self.log_path = log_path
        self.timeout = timeout
        self._err = log_path.open("ab")
        cmd = [sys.executable, "-m", "c3po_sync.bench.worker", "--serve"]
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True
        )
        self._expect("BENCH-READY")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench worker ended unexpectedly; see {self.log_path}: "
                               f"{self._tail()}")  # fmt: skip
        return line.rstrip("\n")

    def _expect(self, prefix: str) -> str:
        while True:
            line = self._line()
            if line.startswith(prefix):
                return line

    def _tail(self) -> str:
        self._err.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]

    def run(self, config: Path, job: str, today: date) -> dict[str, Any]:
        """Runs one row and returns what it printed."""
        assert self.proc.stdin is not None
        req = {"config": str(config), "job": job, "today": today.isoformat()}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        result: dict[str, Any] | None = None
        while True:
            line = self._line()
            if line.startswith("BENCH-RESULT "):
                result = json.loads(line[len("BENCH-RESULT ") :])
            elif line.startswith("BENCH-EXIT "):
                code = int(line.split()[1])
                if result is None or code != 0:
                    raise RuntimeError(f"bench worker {job} failed (exit {code}): {self._tail()}")
                return result

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


class Bench:
    """Holds the sandbox and the workspace for one benchmark run."""

    def __init__(
        self,
        size: BenchSize,
        workdir: Path,
        *,
        latency_s: float = 0.1,
        seed: int = 7,
        baseline: str = "all",
        progress: Callable[[str], None] | None = None,
        checkpoint: Path | None = None,
    ) -> None:
        self.report = BenchReport(size, latency_s, seed)
        self.workdir = workdir
        if baseline not in BASELINE_SCOPES:
            scopes = ", ".join(BASELINE_SCOPES)
            raise ValueError(f"baseline must be one of {scopes}, not {baseline!r}")
        self.baseline = baseline
        self.checkpoint = checkpoint
        self._measured: list[Row] = []
        self._t0 = time.perf_counter()
        self.report.facts["baseline_scope"] = baseline
        self.report.facts["run_date"] = date.today().isoformat()
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
        create_baseline_lists(tenant)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.runner = RowRunner(self.workdir / "worker.log")
        try:
            with SandboxServer(tenant, port=0, faults=FaultConfig(latency_s=rep.latency_s)) as srv:
                self.server = srv
                self.config = prepare_workspace(data, self.workdir, srv.url)
                self._rows()
        finally:
            self.runner.close()
        return rep

    def _measure(self, name: str, job: str) -> tuple[Row, dict[str, Any]]:
        self.say(f"row: {name} ({job})")
        self.server.stats.reset()
        out = self.runner.run(self.config, job, self.today)
        snap = self.server.stats.snapshot()
        row = Row(name, classify(snap), snap["total"], sum(snap["batch_operations"].values()),
                  out["wall_s"], out["cpu_s"], out["peak_rss_mb"], detail=out)  # fmt: skip
        row.detail["routes"] = snap["requests"]
        row.detail["batch_routes"] = snap["batch_operations"]
        self._measured.append(row)
        self._save_checkpoint()
        if out.get("outcome") not in ("ok", None):
            self.say(f"  {name}: outcome {out.get('outcome')}: {out.get('error')}")
        return row, out

    def _rows(self) -> None:
        rep, lists = self.report, self.lists
        sizes = list_sizes(self.tenant, lists)
        sites = len({s for s, _ in lists})
        rep.facts.update(source_lists=len(lists), source_sites=sites, items=sum(sizes.values()))
        # In the units measured (issue 16): a site's schema reads and change token travel in
        # one read $batch, a request; they are operations of it (``nightly_cost`` counts both).
        full_min = sum(math.ceil(n / PAGE) for n in sizes.values()) + sites
        conc = 4

        full, _ = self._measure("full sync", "bench-sync")
        full.minimum, full.minimum_note = full_min, "Σ⌈items/5000⌉ + 1 read $batch per site"
        crit = math.ceil(full.total / min(conc, sites))
        full.detail["critical_path_wall_s"] = crit * rep.latency_s
        base1 = self._baseline("baseline run 1 (empty hub)", write=self.baseline == "all")
        full.baseline_requests, full.baseline_wall_s = _phase(base1, "read")

        rules, _ = self._measure("rules (evaluate)", "bench-evaluate")
        w1, out = self._measure("write-back, first run", "bench-write")
        self._write_min(w1, out)
        if self.baseline == "all":  # with "ratio" the baseline did not write
            w1.baseline_requests, w1.baseline_wall_s = _phase(base1, "write")

        idle, _ = self._measure("idle incremental sync", "bench-sync")
        idle.minimum, idle.minimum_note = sites, "1 change-log request per site"
        idle.baseline_requests, idle.baseline_wall_s = full.baseline_requests, full.baseline_wall_s
        w0, out = self._measure("write-back, nothing changed", "bench-write")
        self._write_min(w0, out)

        changed = change_items(self.tenant, lists, 0.01, rep.seed)
        touched = sum(1 for n in sizes.values() if n)  # every list gets ≥ 1 edit
        rep.facts["changed_items"] = changed
        inc, _ = self._measure("incremental sync, 1% changed", "bench-sync")
        inc.minimum = sites + touched
        inc.minimum_note = "1 change-log per site + 1 page per changed list"
        self._measure("rules after change", "bench-evaluate")
        w2, out = self._measure("write-back after 1% change", "bench-write")
        self._write_min(w2, out)
        base2 = None
        if self.baseline == "all":
            base2 = self._baseline("baseline run 2 (after 1% change)")
        if base2 is None and base1 is not None:
            # Read phase only: the naive script re-reads everything every night, so its read
            # alone is a lower bound for its incremental and nightly figures.
            base2 = {**base1, "write_requests": None, "write_wall_s": None}
            inc.detail["baseline_lower_bound"] = True
        inc.baseline_requests, inc.baseline_wall_s = _phase(base2, "read")
        w2.baseline_requests, w2.baseline_wall_s = _phase(base2, "write")

        roll, _ = self._measure("Excel rollup", "bench-rollup")
        roll.minimum = 1 + DASHBOARD_UPLOADS
        roll.minimum_note = f"1 workbook + {DASHBOARD_UPLOADS} dashboard uploads"

        change_items(self.tenant, lists, 0.01, rep.seed + 1)
        nightly, out = self._measure("nightly job (after another 1%)", "nightly")
        writes = sum(out.get("writes", {}).values())
        nightly.minimum = sites + touched + math.ceil(writes / BATCH) + 1 + DASHBOARD_UPLOADS + 1
        nightly.minimum_note = (
            "idle-sync min + changed lists + ⌈rows/100⌉ + 1 workbook + "
            f"{DASHBOARD_UPLOADS} dashboard uploads + 1 intake read"
        )
        # The naive nightly is the same work as its run after a change: read all, write changes.
        nightly.baseline_requests, nightly.baseline_wall_s = _phase(base2, "all")
        nightly.detail["baseline_lower_bound"] = inc.detail.get("baseline_lower_bound", False)
        steps = {**out.get("steps", {})}
        rep.facts["nightly_steps_s"] = steps
        rep.facts["normalize_rules_rollup_s"] = (
            steps.get("normalize", 0) + steps.get("evaluate", 0) + steps.get("rollup", 0)
        )
        rep.rows += [full, idle, inc, w1, w0, w2, rules, roll, nightly]

    def _save_checkpoint(self) -> None:
        """Rows measured so far (unfinished figures), so a long run cut short leaves evidence."""
        if self.checkpoint is None:
            return
        rep = self.report
        partial = BenchReport(rep.size, rep.latency_s, rep.seed, list(self._measured), rep.setup,
                              rep.facts)  # fmt: skip
        partial.facts["partial_elapsed_s"] = time.perf_counter() - self._t0
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoint.write_text(partial.to_json(), encoding="utf-8")

    def _write_min(self, row: Row, out: dict[str, Any]) -> None:
        writes = sum(out.get("writes", {}).values())
        row.minimum = math.ceil(writes / BATCH) if writes else 0
        row.minimum_note = f"⌈{writes} changed rows/100⌉ batches"
        row.detail["rows_written"] = writes
        per_list = out.get("writes", {}).values()
        row.detail["per_list_minimum"] = sum(math.ceil(n / BATCH) for n in per_list if n)

    def _baseline(self, name: str, *, write: bool = True) -> dict[str, Any] | None:
        if self.baseline == "none":
            return None
        name = name if write else f"{name}, read phase only"
        self.say(f"baseline: {name}")
        self.server.stats.reset()
        out = self.runner.run(self.config, "baseline" if write else "baseline-read", self.today)
        out["server"] = classify(self.server.stats.snapshot())
        self.report.facts.setdefault("baseline", {})[name] = out
        self._save_checkpoint()
        return out


def _phase(out: dict[str, Any] | None, phase: str) -> tuple[int | None, float | None]:
    if out is None:
        return None, None
    if phase == "all":
        return out["client_requests"], out["wall_s"]
    return out[f"{phase}_requests"], out[f"{phase}_wall_s"]


def create_baseline_lists(tenant: Tenant) -> None:
    """The baseline's own hub lists, made in the model so their setup is not measured."""
    from c3po_sync.m365.naive_baseline import BASELINE_LISTS

    site = tenant.site_for_path(HUB_URL + "/_api/web")[0]
    for title, (key, cols) in BASELINE_LISTS.items():
        lst = site.create_list(title)
        for col in (key, *cols):
            if col != "Title":
                lst.add_field(col, "Text", internal_name=col)
