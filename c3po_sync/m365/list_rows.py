"""The rows an upsert is given, checked and keyed; person columns resolved to site user ids."""

from __future__ import annotations

from typing import Any

from c3po_sync.m365.errors import SchemaError
from c3po_sync.m365.list_dedupe import key_of
from c3po_sync.m365.people import PeopleResolver
from c3po_sync.sinks.base import ColumnSpec, ListSpec
from c3po_sync.sinks.limits import RefusedValue


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
    spec: ListSpec,
    owned: dict[str, ColumnSpec],
    incoming: dict[str, dict[str, Any]],
    *,
    dry_run: bool,
    owned_rows: bool = False,
) -> tuple[dict[str, dict[str, Any]], list[RefusedValue]]:
    """Person columns come as e-mails; they are written (and compared) as site user ids.

    An e-mail SharePoint cannot resolve leaves that person column empty and is reported, with
    its site, list, row key, column and value, as data quality; the rest of the row is written.
    ``owned_rows``: the rows are the caller's own copies, resolved in place (not copied again).
    """
    columns = [n for n, c in owned.items() if c.kind == "User"]
    emails = {
        str(row[n]) for row in incoming.values() for n in columns if row.get(n) not in (None, "")
    }
    if not emails:
        return incoming, []
    ids = people.resolve(emails, dry_run=dry_run)
    resolved: dict[str, dict[str, Any]] = {}
    unresolved: list[RefusedValue] = []
    for key, row in incoming.items():
        if not owned_rows:
            row = dict(row)  # never change the caller's rows
        for n in columns:
            if row.get(n) not in (None, ""):
                email = str(row[n])
                row[n] = ids.get(email.strip().lower())
                if row[n] is None:
                    unresolved.append(
                        RefusedValue(
                            spec.title,
                            key,
                            n,
                            email,
                            f"no SharePoint user on {people.conn.site_path} for this e-mail; "
                            "the person column stays empty",
                        )
                    )
        resolved[key] = row
    return resolved, unresolved


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
