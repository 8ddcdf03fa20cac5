"""Each run's evaluation table (rules.evaluation): what every rule judged, stored with the run.

Reports read it after the run — the rollup of a job that does not evaluate, ``c3po-sync report
audit`` a week later — so "not checked" and "not applicable" mean what they meant when the
rules ran. One row per (run, rule) holding its entities as JSON keeps a city-sized tenant
(30 rules x 5,000 entities) to 30 rows a run; only the newest KEEP_RUNS runs are kept.

A rule's entities are stored by columns (migration 0007): ``{"entity_key": [...],
"project_key": [...], "status": [...], "note": [...]}``. Stored as one ``[key, project,
status, note]`` array per entity (before 0007), a new day's load of a city's evaluation made
about 100,000 small lists, and Python's cyclic garbage collector, counting them, ran full
collections over the run's heap: ~0.35 of the load's 0.45 CPU s. Rows in that older form
still load (``entity_columns``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Column, Integer, String, Table, Text, delete, func, literal, select

from c3po_sync.state.tables import UTCDateTime, metadata

KEEP_RUNS = 30
_ENTITY_FIELDS = ("entity_key", "project_key", "status", "note")

rule_evaluations = Table(
    "rule_evaluations",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("rule_id", String(100), primary_key=True),
    Column("recommendation", Integer),
    Column("entity_kind", String(20)),
    Column("entities", Text, nullable=False),  # JSON: {field: [value per entity]} (0007)
    Column("saved_at", UTCDateTime, nullable=False),
)


def _cell(value: object) -> object:
    return None if value is None or pd.isna(value) else str(value)


def _cells(column: pd.Series) -> list[object]:
    """A column as JSON-ready values: text, or None where missing."""
    text = column.astype("string")
    return text.astype(object).where(text.notna(), None).tolist()


def entity_columns(text: str) -> tuple[int, dict[str, list[Any]]]:
    """A stored rule's entities (its ``entities`` JSON) as (count, field -> values).

    Stored by columns since 0007: four lists a rule, decoded as they are. A row stored before
    (one array per entity) is turned into columns here, so every later step sees one shape."""
    data = json.loads(text)
    if isinstance(data, dict):
        key = data.get("entity_key") or []
        return len(key), data
    if not data:
        return 0, {}
    return len(data), dict(zip(_ENTITY_FIELDS, map(list, zip(*data, strict=True)), strict=True))


class EvaluationsMixin:
    """``StateStore`` methods for the evaluation table (uses the store's ``_write``/``_read``)."""

    def save_evaluation(
        self,
        run_id: int,
        frame: pd.DataFrame,
        keep: int = KEEP_RUNS,
        *,
        carry_from: int | None = None,
        rechecked: Iterable[str] = (),
    ) -> None:
        """Stores ``run_id``'s evaluation (replacing an earlier save of it); prunes old runs.

        ``carry_from``: ``frame`` holds only the ``rechecked`` rules (a date-driven re-check);
        every other rule's rows are copied from that run's stored evaluation inside the
        database, never parsed, so the re-check costs what it re-judged."""
        now = datetime.now(UTC)
        positions = pd.Series(range(len(frame)), index=frame.index)
        groups = positions.groupby(
            [frame["rule_id"], frame["recommendation"], frame["entity_kind"]],
            sort=True,
            dropna=False,
        )

        def rule_row(rid: Any, rec: Any, kind: Any, at: list[int]) -> dict[str, Any]:
            # A rule's columns to Python values at once (NA -> None): no per-cell work in
            # Python, and only one rule's values made at a time.
            ents = {c: _cells(frame[c].iloc[at]) for c in _ENTITY_FIELDS}
            return {
                "run_id": run_id,
                "rule_id": str(rid),
                "recommendation": None if pd.isna(rec) else int(rec),
                "entity_kind": _cell(kind),
                "entities": json.dumps(ents, ensure_ascii=False, separators=(",", ":")),
                "saved_at": now,
            }

        with self._write() as conn:  # type: ignore[attr-defined]
            conn.execute(delete(rule_evaluations).where(rule_evaluations.c.run_id == run_id))
            if carry_from is not None:
                e = rule_evaluations.c
                kept = select(literal(run_id), e.rule_id, e.recommendation, e.entity_kind,
                              e.entities, literal(now, UTCDateTime()))  # fmt: skip
                kept = kept.where(e.run_id == carry_from, e.rule_id.not_in(sorted(rechecked)))
                conn.execute(
                    rule_evaluations.insert().from_select(
                        [
                            "run_id",
                            "rule_id",
                            "recommendation",
                            "entity_kind",
                            "entities",
                            "saved_at",
                        ],
                        kept,
                    )  # fmt: skip
                )
            # One rule's JSON at a time, inserted as it is made: the run holds one rule's
            # entities as text, not every rule's at once (issue 16, evaluate's peak memory).
            for (rid, rec, kind), g in groups:
                conn.execute(rule_evaluations.insert(), [rule_row(rid, rec, kind, g.tolist())])
            old = select(rule_evaluations.c.run_id).distinct()
            old = old.order_by(rule_evaluations.c.run_id.desc()).offset(keep)
            stale = [r for (r,) in conn.execute(old)]
            if stale:
                conn.execute(delete(rule_evaluations).where(rule_evaluations.c.run_id.in_(stale)))

    def latest_evaluation_run(self, upto_run: int | None = None) -> int | None:
        """The newest run with a stored evaluation, at or before ``upto_run`` if given."""
        q = select(func.max(rule_evaluations.c.run_id))
        if upto_run is not None:
            q = q.where(rule_evaluations.c.run_id <= upto_run)
        with self._read() as conn:  # type: ignore[attr-defined]
            return conn.execute(q).scalar()

    def load_evaluation(
        self, run_id: int | None = None, except_rules: Iterable[str] = ()
    ) -> pd.DataFrame | None:
        """The evaluation of ``run_id`` (default: the newest stored), rules.evaluation columns;
        None when no run has stored one (a store older than this feature). ``except_rules``:
        rule ids left out (a re-check has their rows already)."""
        from c3po_sync.rules.evaluation import EVALUATION_COLUMNS, empty_evaluation

        run = run_id if run_id is not None else self.latest_evaluation_run()
        if run is None:
            return None
        # Column by column, one rule's entities at a time, as the rows stream from the
        # database: no dict per entity (a city's evaluation is about 100,000 of them) and no
        # copy of every rule's JSON at once, so loading it costs about what it holds.
        columns: dict[str, list[object]] = {c: [] for c in EVALUATION_COLUMNS}
        # A status or note repeats down a rule, an entity across the rules: each distinct
        # value is held once (a city's evaluation holds about 7,000 distinct keys).
        memo: dict[object, object] = {}
        found = False
        with self._read() as conn:  # type: ignore[attr-defined]
            for r in conn.execute(
                select(rule_evaluations)
                .where(
                    rule_evaluations.c.run_id == run,
                    rule_evaluations.c.rule_id.not_in(sorted(set(except_rules))),
                )
                .order_by(rule_evaluations.c.rule_id)
            ):
                found = True
                n, ents = entity_columns(r.entities)
                if not n:
                    continue
                columns["rule_id"].extend([r.rule_id] * n)
                columns["recommendation"].extend([r.recommendation] * n)
                columns["entity_kind"].extend([r.entity_kind] * n)
                for name in _ENTITY_FIELDS:
                    values = ents.get(name)
                    if values is None:  # a field added after the row was stored
                        columns[name].extend([None] * n)
                    else:
                        columns[name].extend(map(memo.setdefault, values, values))
                del ents
        if not found:
            return None
        if not columns["rule_id"]:
            return empty_evaluation()
        out = pd.DataFrame(
            {
                c: pd.array(v, dtype="Int64" if c == "recommendation" else "string")
                for c, v in columns.items()
            },
            copy=False,
        )
        return out
