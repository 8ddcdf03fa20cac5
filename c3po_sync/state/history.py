"""Findings history: open, keep, resolve and reopen findings across runs, never deleting one."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import BindParameter, Connection, bindparam, select

from c3po_sync.model.schema import FINDINGS
from c3po_sync.state import tables as t
from c3po_sync.state.changelog import chunks

logger = logging.getLogger(__name__)

HISTORY_COLUMNS = ("status", "first_seen", "last_seen", "resolved_at", "reopened_at",
                   "times_reopened", "first_run_id", "last_run_id")  # fmt: skip


@dataclass(frozen=True)
class FindingsDelta:
    """What one run changed, as sorted finding ids; the rollup's "since last report"."""

    opened: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> FindingsDelta:
        return cls(**json.loads(text))


def _current_rows(frame: pd.DataFrame) -> dict[str, dict]:
    frame = frame.reindex(columns=FINDINGS.column_names)
    frame = frame[frame["finding_id"].notna()].drop_duplicates("finding_id", keep="first")
    values = frame.astype(object).where(frame.notna(), None)
    out = {}
    for rec in values.to_dict("records"):
        if rec["recommendation"] is not None:
            rec["recommendation"] = int(rec["recommendation"])
        out[str(rec["finding_id"])] = rec
    return out


def _fields(row: dict) -> tuple:
    return tuple(row[f] for f in t.FINDING_FIELDS)


def _binds(finding_id: str, current: dict[str, dict]) -> dict:
    return {"b_id": finding_id, **{f"b_{f}": current[finding_id][f] for f in t.FINDING_FIELDS}}


def record(
    conn: Connection,
    run_id: int,
    frame: pd.DataFrame,
    at: datetime,
    resolve_missing: bool,
    protect: set[str] | None = None,
) -> FindingsDelta:
    """Applies one run's findings inside the caller's transaction.

    A run already recorded returns its stored delta untouched, which makes a retried
    pipeline step harmless.
    """
    done = conn.execute(
        select(t.findings_runs.c.delta).where(t.findings_runs.c.run_id == run_id)
    ).scalar_one_or_none()
    if done is not None:
        logger.info("findings of run %s already recorded; returning the stored delta", run_id)
        return FindingsDelta.from_json(done)

    current = _current_rows(frame)
    known: dict[str, str] = {}
    stored: dict[str, tuple] = {}  # an open finding's fields as last recorded
    fields_cols = [t.findings.c[f] for f in t.FINDING_FIELDS]
    for row in conn.execute(select(t.findings.c.finding_id, t.findings.c.status, *fields_cols)):
        known[row[0]] = row[1]
        if row[1] == "open" and row[0] in current:
            stored[row[0]] = tuple(row[2:])
    opened = sorted(k for k in current if k not in known)
    reopened = sorted(k for k in current if known.get(k) == "resolved")
    still_open = sorted(k for k in current if known.get(k) == "open")
    keep = protect or set()
    resolved = (
        sorted(k for k, s in known.items() if s == "open" and k not in current and k not in keep)
        if resolve_missing
        else []
    )

    fields = dict.fromkeys(t.FINDING_FIELDS)
    if opened:
        conn.execute(
            t.findings.insert(),
            [
                {
                    **fields,
                    **{f: current[k][f] for f in t.FINDING_FIELDS},
                    "finding_id": k,
                    "status": "open",
                    "first_seen": at,
                    "last_seen": at,
                    "times_reopened": 0,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                }
                for k in opened
            ],
        )
    binds: list[BindParameter[Any]] = [bindparam(f"b_{f}") for f in t.FINDING_FIELDS]
    values = dict(zip(t.FINDING_FIELDS, binds, strict=True))
    by_id = t.findings.c.finding_id == bindparam("b_id")
    # A finding seen again as it was only moves its last seen: one statement per chunk, so a
    # night costs what changed in its findings, not how many stay open.
    same: list[str] = []
    edited: list[str] = []
    for k in still_open:
        (same if stored.get(k) == _fields(current[k]) else edited).append(k)
    for chunk in chunks(same):
        conn.execute(
            t.findings.update()
            .where(t.findings.c.finding_id.in_(chunk))
            .values(last_seen=at, last_run_id=run_id)
        )
    if edited:
        conn.execute(
            t.findings.update().where(by_id).values(**values, last_seen=at, last_run_id=run_id),
            [_binds(k, current) for k in edited],
        )
    if reopened:
        conn.execute(
            t.findings.update()
            .where(by_id)
            .values(
                **values,
                last_seen=at,
                last_run_id=run_id,
                status="open",
                resolved_at=None,
                reopened_at=at,
                times_reopened=t.findings.c.times_reopened + 1,
            ),
            [_binds(k, current) for k in reopened],
        )
    if resolved:
        conn.execute(
            t.findings.update().where(by_id).values(status="resolved", resolved_at=at),
            [{"b_id": k} for k in resolved],
        )
    events = (
        [(k, "opened") for k in opened]
        + [(k, "reopened") for k in reopened]
        + [(k, "resolved") for k in resolved]
    )
    if events:
        conn.execute(
            t.finding_events.insert(),
            [{"run_id": run_id, "finding_id": k, "event": e, "at": at} for k, e in events],
        )
    delta = FindingsDelta(opened, reopened, resolved, still_open)
    conn.execute(t.findings_runs.insert(), {"run_id": run_id, "at": at, "delta": delta.to_json()})
    logger.info(
        "run %s findings: %d opened, %d reopened, %d resolved, %d still open",
        run_id,
        len(opened),
        len(reopened),
        len(resolved),
        len(still_open),
    )
    return delta


def load(conn: Connection, status: str | None) -> pd.DataFrame:
    """The findings table as FINDINGS columns followed by the history columns."""
    q = select(t.findings).order_by(t.findings.c.finding_id)
    if status is not None:
        q = q.where(t.findings.c.status == status)
    result = conn.execute(q)
    names = list(result.keys())
    # By columns, not a dict per row (each made with the schema's column list): the store's
    # findings are read two or three times on a new day (issue 16).
    rows = result.all()
    columns: dict[str, list[Any]] = (
        dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
        if rows
        else {n: [] for n in names}
    )
    base = FINDINGS.frame_of_columns({c: columns[c] for c in FINDINGS.column_names})
    hist = pd.DataFrame({c: columns[c] for c in HISTORY_COLUMNS})
    hist["status"] = hist["status"].astype("string")
    for c in ("first_seen", "last_seen", "resolved_at", "reopened_at"):
        hist[c] = pd.to_datetime(hist[c], utc=True)
    for c in ("times_reopened", "first_run_id", "last_run_id"):
        hist[c] = hist[c].astype("Int64")
    return pd.concat([base, hist], axis=1)


def _day(v: datetime | None) -> Any:
    return None if v is None else v.date()


def adopt(conn: Connection, records: list[dict]) -> list[str]:
    """Takes in the hub's record of findings (``sinks.hub_history.findings_from_hub``).

    A finding the store does not know is added as the hub has it (first seen, resolved,
    re-opened); one it knows keeps the earlier first seen and the larger re-open count, and
    takes the hub's state when the hub records a later transition (a store restored from an
    older backup). Dates on the hub are days, so only a later *day* counts as later.
    Returns the ids changed or added.
    """
    rows = {r.finding_id: r for r in conn.execute(select(t.findings))}
    added, changed = [], []
    for rec in records:
        fid = rec["finding_id"]
        row = rows.get(fid)
        if row is None:
            fields = {f: rec.get(f) for f in t.FINDING_FIELDS}
            seen = max(d for d in (rec["first_seen"], rec["resolved_at"], rec["reopened_at"]) if d)
            conn.execute(
                t.findings.insert(),
                {
                    **fields,
                    "finding_id": fid,
                    "status": rec["status"],
                    "first_seen": rec["first_seen"],
                    "last_seen": seen,
                    "resolved_at": rec["resolved_at"],
                    "reopened_at": rec["reopened_at"],
                    "times_reopened": rec["times_reopened"],
                },
            )
            added.append(fid)
            continue
        values: dict[str, Any] = {}
        if rec["first_seen"] < row.first_seen and _day(rec["first_seen"]) < _day(row.first_seen):
            values["first_seen"] = rec["first_seen"]
        if rec["times_reopened"] > (row.times_reopened or 0):
            values["times_reopened"] = rec["times_reopened"]
        known = max(d for d in (row.last_seen, row.resolved_at, row.reopened_at) if d)
        if rec["status"] == "resolved" and row.status == "open":
            if _day(rec["resolved_at"]) > _day(known):
                values.update(status="resolved", resolved_at=rec["resolved_at"])
        elif rec["status"] == "open" and row.status == "resolved":
            if rec["reopened_at"] is not None and _day(rec["reopened_at"]) > _day(known):
                values.update(status="open", resolved_at=None, reopened_at=rec["reopened_at"])
        if values:
            conn.execute(t.findings.update().where(t.findings.c.finding_id == fid).values(**values))
            changed.append(fid)
    if added or changed:
        logger.warning(
            "adopted the hub's findings history: %d finding(s) added, %d updated",
            len(added),
            len(changed),
        )
    return sorted(added + changed)
