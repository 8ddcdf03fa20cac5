"""A synthesized year of nightly history: how big the state database gets and whether evaluate
on night 365 costs what it costs on night 1.

Night 1 is real: a generated tenant served by the sandbox, read by the product's own sync.
Nights 2-365 are synthesized into the same state database, each changing ``change`` (1%) of the
rows of every canonical table (the item's modified time and ETag; for projects also a field the
history rules watch), and written as a nightly run writes them: the run row, the snapshot (with
its change-log fold), the findings history, the stored evaluation, and pruning by the
configured retention. Nights older than the snapshot retention are folded into the change log
without writing their full snapshot, which the next run would prune anyway: the database ends
as the pruned one would, in minutes instead of hours.

Evaluate is then measured twice, each in a fresh process (CPU seconds after imports, peak
RSS): on a copy of the database as it was after night 1, and on the database after night 365,
both with the same rules date, so the only difference is the year of history.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.bench.workspace import prepare_workspace
from c3po_sync.config.settings import load_settings
from c3po_sync.model.schema import FINDINGS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.generate import generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

log = logging.getLogger(__name__)

EVALUATE_JOB = "bench-evaluate"
SYNC_JOB = "bench-sync"


@dataclass
class YearReport:
    """What a synthesized year measured; ``to_json`` for the benchmark table."""

    sites: int
    projects: int
    documents: int
    assets: int
    nights: int
    change: float
    db_mb: float = 0.0
    night1_db_mb: float = 0.0
    evaluate: dict[str, dict[str, Any]] = field(default_factory=dict)  # night -> figures
    tables: dict[str, int] = field(default_factory=dict)  # rows per state table, night 365
    synth_s: float = 0.0

    @property
    def evaluate_cpu_ratio(self) -> float | None:
        first, last = self.evaluate.get("1"), self.evaluate.get(str(self.nights))
        if not first or not last or not first.get("cpu_s"):
            return None
        return float(last["cpu_s"]) / float(first["cpu_s"])

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "evaluate_cpu_ratio": self.evaluate_cpu_ratio})


def _mutate(tables: CanonicalTables, rng: random.Random, share: float, at: datetime) -> None:
    """Changes ``share`` of each table's rows in place, as a night of human edits would."""
    stamp = pd.Timestamp(at).tz_convert("UTC")
    for name in ("projects", "documents", "status_reports", "assets"):
        frame: pd.DataFrame = getattr(tables, name)
        if frame.empty:
            continue
        count = max(1, round(len(frame) * share))
        rows = frame.index[rng.sample(range(len(frame)), min(count, len(frame)))]
        frame.loc[rows, "source_modified"] = stamp
        frame.loc[rows, "source_etag"] = f'"{at:%Y%m%d}"'
        if name == "projects":
            budget = frame.loc[rows, "budget"].astype("Float64")
            frame.loc[rows, "budget"] = (budget.fillna(100_000.0) * 1.01).round(2)


def _churn(findings: pd.DataFrame, rng: random.Random, share: float) -> pd.DataFrame:
    """The night's findings: ``share`` of them resolved tonight (and back the next)."""
    if findings.empty:
        return findings
    keep = [rng.random() >= share for _ in range(len(findings))]
    return findings[keep]


def _db_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return round(total / 1e6, 1)


def _table_rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def measure_evaluate(config: Path, today: date) -> dict[str, Any]:
    """The evaluate job in a fresh process (bench.worker): CPU s, peak MB, wall s, outcome."""
    cmd = [sys.executable, "-m", "c3po_sync.bench.worker", "--config", str(config),
           "--job", EVALUATE_JOB, "--today", today.isoformat()]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)
    for line in res.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            out = json.loads(line[len("BENCH-RESULT ") :])
            return {k: out.get(k) for k in ("outcome", "cpu_s", "peak_rss_mb", "wall_s", "steps")}
    raise RuntimeError(f"evaluate measurement failed: {res.stderr[-2000:]}")


def synthesize_year(
    workdir: Path,
    *,
    sites: int = 20,
    projects: int = 2000,
    documents: int = 50_000,
    assets: int = 5000,
    nights: int = 365,
    change: float = 0.01,
    seed: int = 7,
    progress: Any = None,
) -> YearReport:
    """Builds ``workdir/state.db`` with ``nights`` nightly runs and measures evaluate on night 1
    and night ``nights``. Defaults are city size (the benchmark's)."""
    say = progress or (lambda msg: log.info("%s", msg))
    report = YearReport(sites, projects, documents, assets, nights, change)
    data = generate_tenant(
        seed, sites=sites, projects=projects, documents_per_project=documents / projects,
        assets=assets,
    )  # fmt: skip
    anchor: date = data["generator"]["anchor"]
    workdir.mkdir(parents=True, exist_ok=True)
    with SandboxServer(Tenant.from_dict(data), port=0) as server:
        config = prepare_workspace(data, workdir, server.url)
        settings = load_settings(config)
        say("night 1: full sync against the sandbox")
        result = run_prepared(prepare_run(config, SYNC_JOB, settings=settings, today=anchor))
        if result.outcome != "ok":
            raise RuntimeError(f"night 1 sync: {result.outcome}: {result.error}")
        db = Path(settings.resolved_state_url.removeprefix("sqlite:///"))
        night1 = workdir / "night1"
        night1.mkdir(exist_ok=True)
        night1_config = prepare_workspace(data, night1, server.url)
        with sqlite3.connect(db) as src, sqlite3.connect(night1 / "state.db") as dst:
            src.backup(dst)
        report.night1_db_mb = _db_mb(db)
        last_day = anchor + timedelta(days=nights - 1)
        say("night 1: evaluate (as of the last night's date)")
        findings = _night1_findings(night1_config, anchor)
        t0 = datetime.now()
        _synthesize(db, settings.retention, anchor, nights, change, seed, findings, say)
        report.synth_s = round((datetime.now() - t0).total_seconds(), 1)
        say(f"night {nights}: evaluate")
        report.evaluate[str(nights)] = measure_evaluate(config, last_day)
        report.evaluate["1"] = measure_evaluate(night1_config, last_day)
    report.db_mb = _db_mb(db)
    report.tables = _table_rows(db)
    return report


def _night1_findings(config: Path, today: date) -> pd.DataFrame:
    """The findings the rules make of night 1's tables, which later nights churn."""
    inputs = prepare_run(config, EVALUATE_JOB, settings=load_settings(config), today=today)
    from c3po_sync.rules import evaluate

    with StateStore(inputs.settings.resolved_state_url) as store:
        run = store.latest_snapshot_run()
        assert run is not None
        tables = store.load_snapshot(run)
    return evaluate(tables, inputs.rules, today)


def _synthesize(
    db: Path,
    retention: Any,
    anchor: date,
    nights: int,
    change: float,
    seed: int,
    findings: pd.DataFrame,
    say: Any,
) -> None:
    rng = random.Random(seed)
    zone = ZoneInfo("America/Los_Angeles")
    with StateStore(f"sqlite:///{db}") as store:
        first = store.latest_snapshot_run()
        assert first is not None
        tables = store.load_snapshot(first)
        evaluation = None
        full_from = nights - retention.snapshot_days - retention.min_snapshots
        for night in range(2, nights + 1):
            at = datetime.combine(anchor + timedelta(days=night - 1), time(2), zone)
            _mutate(tables, rng, change, at)
            run = store.start_run("nightly", "synthesized")
            if night >= full_from:
                store.save_snapshot(run, tables, at=at)
                store.prune_snapshots_older_than(
                    at - timedelta(days=retention.snapshot_days), retention.min_snapshots
                )
            else:
                store.fold_history(run, tables, at)
            store.record_findings(run, FINDINGS.frame(_churn(findings, rng, change)), at)
            if night > nights - 30:  # the store keeps the last 30 evaluations
                evaluation = evaluation if evaluation is not None else _evaluation(findings)
                store.save_evaluation(run, evaluation)
            store.finish_run(run, "ok")
            if night % 30 == 0:
                say(f"  night {night}")


def _evaluation(findings: pd.DataFrame) -> pd.DataFrame:
    """A stored evaluation of the same shape as a real one: every finding's entity failing."""
    from c3po_sync.rules.evaluation import EVALUATION_COLUMNS, FAIL

    out = pd.DataFrame(
        {
            "rule_id": findings["rule_id"],
            "recommendation": findings["recommendation"],
            "entity_kind": findings["entity_kind"],
            "entity_key": findings["entity_key"],
            "project_key": findings["project_key"],
            "status": FAIL,
            "note": None,
        }
    )
    return out.reindex(columns=list(EVALUATION_COLUMNS))


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--change", type=float, default=0.01)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    report = synthesize_year(
        args.workdir, sites=args.sites, projects=args.projects, documents=args.documents,
        assets=args.assets, nights=args.nights, change=args.change,
        progress=lambda m: sys.stderr.write(m + "\n"),
    )  # fmt: skip
    sys.stdout.write(report.to_json() + "\n")


if __name__ == "__main__":
    main()
