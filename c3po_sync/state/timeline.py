"""Read-side history over the state store: project snapshots, runs by date, report bookmarks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.state import changelog
from c3po_sync.state import tables as t
from c3po_sync.state.store import RunNotFoundError, StateStore

logger = logging.getLogger(__name__)

# Checkpoint keys (the store's generic JSON checkpoints; no schema change needed).
LAST_ROLLUP = "report:last_rollup"  # {"run_id", "date", "scores"}
LAST_COUNCIL_REPORT = "report:last_council_report"  # {"run_id", "date", "scores"}


def project_snapshots(
    store: StateStore, upto_run: int | None = None
) -> list[tuple[int, datetime, pd.DataFrame]]:
    """(run id, when that run saw them, the PROJECTS rows) at the runs where a project was
    first or last seen with a version, up to ``upto_run``, oldest first.

    Read from the change log (state.changelog), not from every snapshot: each night costs the
    same however many nights came before, and rules.history.project_history finds the same
    changes in it as in the full run-by-run history.
    """
    with store.engine.connect() as conn:
        frame = changelog.observations(conn, "projects", upto_run)
    if frame.empty:
        return []
    out = []
    for (run_id, seen_at), rows in frame.groupby(["run_id", "seen_at"], sort=True):
        out.append((int(run_id), seen_at.to_pydatetime(), rows.drop(columns=["run_id", "seen_at"])))
    return out


def project_observations(
    store: StateStore, columns: Sequence[str], upto_run: int | None = None
) -> pd.DataFrame:
    """The change log's observations of projects (``run_id``, ``seen_at``, ``columns`` as
    stored) up to ``upto_run``: the input of rules.history.project_history_frame."""
    with store.engine.connect() as conn:
        return changelog.observations(conn, "projects", upto_run, columns)


def tables_for_deltas(store: StateStore, run_id: int) -> CanonicalTables:
    """What the council deltas compare against: ``run_id``'s snapshot while it is kept, else
    its projects rebuilt from the change log (the deltas read projects only)."""
    try:
        return store.load_snapshot(run_id, tables=("projects",))
    except RunNotFoundError:
        with store.engine.connect() as conn:
            projects = changelog.as_of(conn, "projects", run_id)
        if projects is None:
            raise
        logger.info("run %d: snapshot pruned; its projects come from the change log", run_id)
        return CanonicalTables(projects=projects)


def snapshot_run_before(store: StateStore, day: date, tz: ZoneInfo | None = None) -> int | None:
    """The newest run whose snapshot was saved before ``day`` began (in ``tz``, default UTC):
    the state of the portfolio "as of" that morning."""
    start = datetime.combine(day, time(0), tzinfo=tz or UTC)
    q = select(_LOG.c.run_id).where(_LOG.c.at < start)
    with store.engine.connect() as conn:
        return conn.execute(q.order_by(_LOG.c.run_id.desc()).limit(1)).scalar()


# Runs kept in the change log outlive their pruned snapshots: their projects can still be
# compared (tables_for_deltas), so they still count as "a snapshot" for dates and reports.
_LOG = t.change_log_runs


def oldest_snapshot_run(store: StateStore) -> int | None:
    with store.engine.connect() as conn:
        return conn.execute(select(func.min(_LOG.c.run_id))).scalar()


def snapshot_saved_at(store: StateStore, run_id: int) -> datetime:
    with store.engine.connect() as conn:
        at = conn.execute(
            select(t.snapshots.c.saved_at).where(t.snapshots.c.run_id == run_id)
        ).scalar()
        if at is None:
            at = conn.execute(select(_LOG.c.at).where(_LOG.c.run_id == run_id)).scalar()
    if at is None:
        raise RunNotFoundError(f"no snapshot for run {run_id} in {store.url}")
    return at


def finding_events_between(
    store: StateStore, after_run: int, upto_run: int, findings: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Finding transitions recorded by runs in (after_run, upto_run], joined with each
    finding's project, rule and message, oldest first. ``findings``: the store's findings as
    the caller already holds them (``store.findings()``), not read again."""
    events = pd.DataFrame(
        store.finding_events(after_run=after_run, upto_run=upto_run),
        columns=["run_id", "finding_id", "event", "at"],
    )
    found = store.findings() if findings is None else findings
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
