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


def person_ids(
    people: PeopleResolver,
    spec: ListSpec,
    owned: dict[str, ColumnSpec],
    rows: dict[str, dict[str, Any]],
    *,
    dry_run: bool,
) -> tuple[dict[str, int | str | None], list[RefusedValue]]:
    """Person columns come as e-mails; they are written (and compared) as site user ids.
    Returns lower-cased e-mail -> id for every e-mail of ``rows`` (resolved at once, so the
    site's users are read and EnsureUser batched as for one list), and the unresolved ones.

    An e-mail SharePoint cannot resolve leaves that person column empty and is reported, with
    its site, list, row key, column and value, as data quality; the rest of the row is written.
    """
    columns = [n for n, c in owned.items() if c.kind == "User"]
    emails = {str(row[n]) for row in rows.values() for n in columns if row.get(n) not in (None, "")}
    if not emails:
        return {}, []
    ids = people.resolve(emails, dry_run=dry_run)
    unresolved: list[RefusedValue] = []
    for key, row in rows.items():
        for n in columns:
            if row.get(n) not in (None, "") and ids.get(str(row[n]).strip().lower()) is None:
                unresolved.append(
                    RefusedValue(
                        spec.title,
                        key,
                        n,
                        str(row[n]),
                        f"no SharePoint user on {people.conn.site_path} for this e-mail; "
                        "the person column stays empty",
                    )
                )
    return ids, unresolved


def with_ids(
    row: dict[str, Any], columns: list[str], ids: dict[str, int | str | None]
) -> dict[str, Any]:
    """``row`` (changed in place) with the e-mails of its person ``columns`` as user ids."""
    for n in columns:
        if row.get(n) not in (None, ""):
            row[n] = ids.get(str(row[n]).strip().lower())
    return row


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
