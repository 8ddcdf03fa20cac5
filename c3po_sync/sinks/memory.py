"""The write ports held in memory: hub lists as dicts and a library as bytes, written the way
the SharePoint sinks write (keyed, only changed owned fields, rows never deleted, a dry run
changing nothing), so pipeline logic can be tested in milliseconds without a server.

tests/live/test_port_contract.py holds these adapters and the SharePoint ones to one contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from c3po_sync.sinks.base import ListSpec, WriteReport

if TYPE_CHECKING:
    from c3po_sync.sinks.ledger import RowLedger


def _same(a: Any, b: Any) -> bool:
    """Equal as SharePoint stores them: a blank text and no value are both empty."""
    return a == b or (a in (None, "") and b in (None, ""))


@dataclass
class InMemoryListSink:
    """Lists by title, each a dict of key -> owned values by internal name."""

    lists: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    columns: dict[str, set[str]] = field(default_factory=dict)

    def ensure_list(self, spec: ListSpec, *, dry_run: bool = False) -> list[str]:
        changes: list[str] = []
        if spec.title not in self.lists:
            changes.append(f"create list {spec.title!r}")
        have = self.columns.get(spec.title, set())
        changes += [
            f"add column {c.internal_name!r}" for c in spec.columns if c.internal_name not in have
        ]
        if not dry_run:
            self.lists.setdefault(spec.title, {})
            self.columns[spec.title] = have | {c.internal_name for c in spec.columns}
        return changes

    def upsert(
        self,
        spec: ListSpec,
        rows: list[dict[str, Any]],
        *,
        mark_missing: dict[str, Any] | None = None,
        dry_run: bool = False,
        ledger: RowLedger | None = None,
    ) -> WriteReport:
        report = WriteReport(list_title=spec.title, dry_run=dry_run)
        owned = {c.internal_name for c in spec.owned_columns} | {spec.key_column}
        if spec.title not in self.lists and not dry_run:
            raise LookupError(f"list {spec.title!r} does not exist: ensure_list first")
        stored = self.lists.get(spec.title, {})
        incoming: dict[str, dict[str, Any]] = {}
        for row in rows:
            key = str(row[spec.key_column])
            if key in incoming:
                raise ValueError(f"{spec.title}: key {key!r} appears twice in the rows to write")
            incoming[key] = {k: v for k, v in row.items() if k in owned}
        writes: dict[str, dict[str, Any]] = {}
        for key, row in incoming.items():
            current = stored.get(key)
            if current is None:
                report.added.append(key)
                writes[key] = {k: v for k, v in row.items() if v not in (None, "")}
                continue
            changed = {k: v for k, v in row.items() if not _same(current.get(k), v)}
            if changed:
                report.changed[key] = sorted(changed)
                writes[key] = {**current, **changed}
            else:
                report.unchanged += 1
        marks = {k: v for k, v in (mark_missing or {}).items() if k in owned}
        for key, current in stored.items():
            if key in incoming or not marks:
                continue
            changed = {k: v for k, v in marks.items() if not _same(current.get(k), v)}
            if changed:
                report.marked.append(key)
                writes[key] = {**current, **changed}
        if not dry_run:
            stored.update(writes)
        return report

    def rows(self, spec: ListSpec) -> list[dict[str, Any]]:
        """Every row's owned values in key order ([] when the list is absent), as
        ``Ports.read_rows`` gives them."""
        stored = self.lists.get(spec.title, {})
        return [{**stored[k], spec.key_column: k} for k in sorted(stored)]


@dataclass
class InMemoryFileSink:
    """A library's files by server-relative URL; an upload replaces a file of the same name."""

    root: str = "/sites/c3po"
    files: dict[str, bytes] = field(default_factory=dict)

    def upload(self, library: str, name: str, content: bytes) -> str:
        url = f"{self.root.rstrip('/')}/{library}/{name}"
        self.files[url] = bytes(content)
        return url
