"""Stored evaluations by columns: a rule's entities as one JSON array per field.

``rule_evaluations.entities`` held one ``[entity_key, project_key, status, note]`` array per
entity. A new day loads the newest evaluation for the workbook's compliance matrix: at city
size about 100,000 such arrays, whose allocation kept Python's cyclic garbage collector
running full collections over the run's heap (~0.35 of the load's 0.45 CPU s). Stored as
``{"entity_key": [...], "project_key": [...], "status": [...], "note": [...]}`` it is four
lists a rule (state/evaluations.py).

The upgrade rewrites the kept runs' rows (a quiet new day copies the stored rows it does not
re-check, so rows left in the old form would stay in it); the reader still takes either form.
The downgrade writes them back as arrays per entity, which an older release reads.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FIELDS = ("entity_key", "project_key", "status", "note")
_evaluations = sa.table(
    "rule_evaluations",
    sa.column("run_id", sa.Integer()),
    sa.column("rule_id", sa.String()),
    sa.column("entities", sa.Text()),
)


def _by_columns(data: Any) -> Any:
    if isinstance(data, dict):
        return None  # already in this form
    columns = list(zip(*data, strict=True)) if data else [()] * len(_FIELDS)
    return {f: list(v) for f, v in zip(_FIELDS, columns, strict=True)}


def _by_rows(data: Any) -> Any:
    if not isinstance(data, dict):
        return None
    return [list(e) for e in zip(*(data.get(f) or [] for f in _FIELDS), strict=True)]


def _rewrite(convert: Callable[[Any], Any]) -> None:
    """Rewrites each stored rule's entities, one row at a time (a rule's JSON at most)."""
    conn = op.get_bind()
    e = _evaluations.c
    keys = conn.execute(sa.select(e.run_id, e.rule_id)).all()
    for run_id, rule_id in keys:
        where = (e.run_id == run_id) & (e.rule_id == rule_id)
        text = conn.execute(sa.select(e.entities).where(where)).scalar_one()
        new = convert(json.loads(text))
        if new is not None:
            data = json.dumps(new, ensure_ascii=False, separators=(",", ":"))
            conn.execute(sa.update(_evaluations).where(where).values(entities=data))


def upgrade() -> None:
    _rewrite(_by_columns)


def downgrade() -> None:
    _rewrite(_by_rows)
