"""Read-side history over the state store: project snapshots, runs by date, report bookmarks."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select

from c3po_sync.model.schema import PROJECTS
from c3po_sync.state import tables as t
from c3po_sync.state.serialize import rows_to_frame
from c3po_sync.state.store import RunNotFoundError, StateStore

logger = logging.getLogger(__name__)

# Checkpoint keys (the store's generic JSON checkpoints; no schema change needed).
LAST_ROLLUP = "report:last_rollup"  # {"run_id", "date", "scores"}
LAST_COUNCIL_REPORT = "report:last_council_report"  # {"run_id", "date", "scores"}
MAX_HISTORY_RUNS = 400  # about a year of nightly runs; history rules look back this far


def project_snapshots(
    store: StateStore, upto_run: int | None = None, limit: int = MAX_HISTORY_RUNS
) -> list[tuple[int, datetime, pd.DataFrame]]:
    """(run id, when its snapshot was saved, its PROJECTS frame) for the newest ``limit``
    snapshots up to ``upto_run``, oldest first. Reads only the projects rows, so a tenant with
    50,000 documents does not load them all to build the project history."""
    q = select(t.snapshots.c.run_id, t.snapshots.c.saved_at).order_by(t.snapshots.c.run_id.desc())
    if upto_run is not None:
        q = q.where(t.snapshots.c.run_id <= upto_run)
    with store.engine.connect() as conn:
        runs = list(conn.execute(q.limit(limit)))
        if not runs:
            return []
        ids = [r for r, _ in runs]
        data = conn.execute(
            select(t.snapshot_rows.c.run_id, t.snapshot_rows.c.data)
            .where(
                t.snapshot_rows.c.table_name == "projects",
                t.snapshot_rows.c.run_id >= min(ids),
                t.snapshot_rows.c.run_id <= max(ids),
            )
            .order_by(t.snapshot_rows.c.run_id, t.snapshot_rows.c.row_no)
        ).all()
    by_run: dict[int, list[str]] = {r: [] for r in ids}
    for run_id, text in data:
        if run_id in by_run:
            by_run[run_id].append(text)
    saved = dict(runs)
    return [(r, saved[r], rows_to_frame(PROJECTS, by_run[r])) for r in sorted(ids)]


def snapshot_run_before(store: StateStore, day: date, tz: ZoneInfo | None = None) -> int | None:
    """The newest run whose snapshot was saved before ``day`` began (in ``tz``, default UTC):
    the state of the portfolio "as of" that morning."""
    start = datetime.combine(day, time(0), tzinfo=tz or UTC)
    q = select(t.snapshots.c.run_id).where(t.snapshots.c.saved_at < start)
    with store.engine.connect() as conn:
        return conn.execute(q.order_by(t.snapshots.c.run_id.desc()).limit(1)).scalar()


def oldest_snapshot_run(store: StateStore) -> int | None:
    with store.engine.connect() as conn:
        return conn.execute(select(func.min(t.snapshots.c.run_id))).scalar()


def snapshot_saved_at(store: StateStore, run_id: int) -> datetime:
    with store.engine.connect() as conn:
        at = conn.execute(
            select(t.snapshots.c.saved_at).where(t.snapshots.c.run_id == run_id)
        ).scalar()
    if at is None:
        raise RunNotFoundError(f"no snapshot for run {run_id} in {store.url}")
    return at


def finding_events_between(store: StateStore, after_run: int, upto_run: int) -> pd.DataFrame:
    """Finding transitions recorded by runs in (after_run, upto_run], joined with each
    finding's project, rule and message, oldest first."""
    events = pd.DataFrame(
        [e for e in store.finding_events() if after_run < e["run_id"] <= upto_run],
        columns=["run_id", "finding_id", "event", "at"],
    )
    found = store.findings()
    cols = ["finding_id", "rule_id", "recommendation", "project_key", "entity_key", "message"]
    return events.merge(found[cols].astype(object), on="finding_id", how="left")


def bookmark(store: StateStore, key: str) -> dict[str, Any] | None:
    """A report bookmark: the run, date and scorecard of the last rollup or council report."""
    value = store.get_checkpoint(key)
    return value if isinstance(value, dict) and "run_id" in value else None


def set_bookmark(
    store: StateStore, key: str, run_id: int, day: date, scores: dict[int, float]
) -> None:
    by_rec = {str(k): v for k, v in scores.items()}
    store.set_checkpoint(key, {"run_id": run_id, "date": day.isoformat(), "scores": by_rec})
    logger.info("%s -> run %d (%s)", key, run_id, day)


def bookmark_scores(mark: dict[str, Any] | None) -> dict[int, float] | None:
    if not mark or not isinstance(mark.get("scores"), dict):
        return None
    return {int(k): float(v) for k, v in mark["scores"].items()}
