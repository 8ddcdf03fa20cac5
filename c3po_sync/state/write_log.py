"""The write-run log: per run and list, what the list sinks added, changed and marked."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
)

from c3po_sync.sinks.base import WriteReport
from c3po_sync.state.tables import UTCDateTime, metadata

MAX_KEYS_KEPT = 5000  # per list and kind; a first run on a city-sized tenant stays bounded

write_runs = Table(
    "write_runs",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("list_title", String(255), primary_key=True),
    Column("dry_run", Boolean, nullable=False),
    Column("added", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("marked", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("added_keys", Text, nullable=False),  # JSON list
    Column("changed_keys", Text, nullable=False),  # JSON object: key -> changed columns
    Column("marked_keys", Text, nullable=False),  # JSON list
    Column("failed_keys", Text, nullable=False),  # JSON object: key -> error
    Column("recorded_at", UTCDateTime, nullable=False),
    # Added after the first release: server defaults fill the rows of older databases
    # (migration 0001 adds them to a table made before them).
    Column("recycled", Integer, nullable=False, server_default="0"),  # duplicate items removed
    Column("recycled_keys", Text, nullable=False, server_default="{}"),  # JSON: key -> item ids
    Column("replans", Integer, nullable=False, server_default="0"),  # lost $batch answers re-read
)
_KEYS = ("added_keys", "changed_keys", "marked_keys", "failed_keys", "recycled_keys")


def _row(run_id: int, report: WriteReport) -> dict[str, Any]:
    # SharePoint's report adds these; the core never imports m365, so they are read by name.
    failed: dict[str, str] = dict(getattr(report, "failed", {}) or {})
    recycled: dict[str, list[int]] = dict(getattr(report, "recycled", {}) or {})
    changed = dict(sorted(report.changed.items())[:MAX_KEYS_KEPT])
    return {
        "run_id": run_id,
        "list_title": report.list_title,
        "dry_run": report.dry_run,
        "added": len(report.added),
        "changed": len(report.changed),
        "marked": len(report.marked),
        "unchanged": report.unchanged,
        "conflicts": int(getattr(report, "conflicts", 0) or 0),
        "failed": len(failed),
        "requests": report.requests,
        "added_keys": json.dumps(report.added[:MAX_KEYS_KEPT]),
        "changed_keys": json.dumps(changed),
        "marked_keys": json.dumps(report.marked[:MAX_KEYS_KEPT]),
        "failed_keys": json.dumps(failed),
        "recorded_at": datetime.now(UTC),
        "recycled": sum(len(ids) for ids in recycled.values()),
        "recycled_keys": json.dumps(dict(sorted(recycled.items())[:MAX_KEYS_KEPT])),
        "replans": int(getattr(report, "replans", 0) or 0),
    }


class WriteLogMixin:
    """``StateStore`` methods for the write-run log (uses the store's ``_write``/``_read``)."""

    def record_writes(self, run_id: int, reports: Iterable[WriteReport]) -> None:
        """Records what each list write did in ``run_id``; recording it again replaces it."""
        rows = [_row(run_id, r) for r in reports]
        if not rows:
            return
        with self._write() as conn:  # type: ignore[attr-defined]
            for r in rows:
                conn.execute(
                    delete(write_runs).where(
                        write_runs.c.run_id == run_id,
                        write_runs.c.list_title == r["list_title"],
                    )
                )
            conn.execute(write_runs.insert(), rows)

    def writes_for_run(self, run_id: int) -> list[dict[str, Any]]:
        """What ``run_id`` wrote, one dict per list, keys decoded."""
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                select(write_runs)
                .where(write_runs.c.run_id == run_id)
                .order_by(write_runs.c.list_title)
            )
            out = [dict(r._mapping) for r in rows]
        for r in out:
            for name in _KEYS:
                r[name] = json.loads(r[name])
        return out

    def write_history(self, list_title: str, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent write runs of one list, newest first (counts only)."""
        cols = [c for c in write_runs.c if c.name not in _KEYS]
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                select(*cols)
                .where(write_runs.c.list_title == list_title)
                .order_by(write_runs.c.run_id.desc())
                .limit(limit)
            )
            return [dict(r._mapping) for r in rows]
