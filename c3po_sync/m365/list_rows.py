"""The rows an upsert is given, checked and keyed; person columns resolved to site user ids."""

from __future__ import annotations

from typing import Any

from c3po_sync.m365.errors import SchemaError
from c3po_sync.m365.list_dedupe import key_of
from c3po_sync.m365.people import PeopleResolver
from c3po_sync.sinks.base import ColumnSpec, ListSpec


def check_marks(
    site: str, spec: ListSpec, owned: dict[str, ColumnSpec], marks: dict[str, Any]
) -> dict[str, Any]:
    """``mark_missing`` may only name owned columns: the service never writes any other."""
    for name in marks:
        if name not in owned:
            raise SchemaError(
                f"{site}/{spec.title}: mark_missing column {name!r} is not an "
                f"owned column (owned: {', '.join(sorted(owned))})"
            )
    return marks


def resolve_people(
    people: PeopleResolver,
    owned: dict[str, ColumnSpec],
    incoming: dict[str, dict[str, Any]],
    *,
    dry_run: bool,
) -> dict[str, dict[str, Any]]:
    """Person columns come as e-mails; they are written (and compared) as site user ids."""
    columns = [n for n, c in owned.items() if c.kind == "User"]
    emails = {
        str(row[n]) for row in incoming.values() for n in columns if row.get(n) not in (None, "")
    }
    if not emails:
        return incoming
    ids = people.resolve(emails, dry_run=dry_run)
    resolved: dict[str, dict[str, Any]] = {}
    for key, row in incoming.items():
        row = dict(row)  # never change the caller's rows
        for n in columns:
            if row.get(n) not in (None, ""):
                row[n] = ids.get(str(row[n]).strip().lower())
        resolved[key] = row
    return resolved


def index_rows(spec: ListSpec, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rows by key; a row without a key, or a key given twice, is a caller's error."""
    incoming: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = key_of(row.get(spec.key_column))
        if key is None:
            raise SchemaError(f"{spec.title}: a row has no value for key {spec.key_column!r}")
        if key in incoming:
            raise SchemaError(f"{spec.title}: key {key!r} appears twice in the rows to write")
        incoming[key] = row
    return incoming
