"""Upserts consolidated lists: changed owned fields only, ETag-guarded, in ``$batch`` requests."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from c3po_sync.m365.batch import MAX_OPERATIONS, BatchOp, send_batch
from c3po_sync.m365.errors import (
    ListNotFoundError,
    M365Error,
    SchemaError,
    VersionConflictError,
)
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.list_reader import iter_pages
from c3po_sync.m365.odata import comparable, etag_of, item_id_of, unwrap, wire_value
from c3po_sync.m365.people import PeopleResolver
from c3po_sync.m365.provision import ListProvisioner
from c3po_sync.sinks.base import ColumnSpec, ListSpec, WriteReport

logger = logging.getLogger(__name__)

MAX_CONFLICT_ATTEMPTS = 3
MAX_REPLAN_ROUNDS = 4  # re-reads after batches whose outcome was lost, before giving up
KEYS_PER_FILTER = 20  # `Key eq '..' or ...` terms per re-read request (URL length)


@dataclass
class SharePointWriteReport(WriteReport):
    """``WriteReport`` plus what only SharePoint can go wrong with."""

    duplicates: dict[str, list[int]] = field(default_factory=dict)  # key -> ids left alone
    recycled: dict[str, list[int]] = field(default_factory=dict)  # key -> extra ids we removed
    replans: int = 0  # batches whose answer was lost, re-read and re-planned

    def describe(self, examples: int = 3) -> str:
        """The base line, plus duplicate keys healed or left for a person, when there were any."""
        line = super().describe(examples)
        if self.recycled:
            verb = "would recycle" if self.dry_run else "recycled"
            n = sum(len(ids) for ids in self.recycled.values())
            line += f"; {verb} {n} duplicate item(s) of {len(self.recycled)} key(s)"
        if self.duplicates:
            line += f"; {len(self.duplicates)} duplicate key(s) a person edited, left alone"
        return line

    conflicts: int = 0  # 412s re-read and re-applied
    failed: dict[str, str] = field(default_factory=dict)  # key -> error


class UpsertError(M365Error):
    """Some writes failed for good; ``report`` says what was done and what failed."""

    def __init__(self, message: str, report: SharePointWriteReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class _Existing:
    item_id: int
    etag: str | None
    values: dict[str, Any]
    notes: bool = False  # a column the service does not own has a value
    author: Any = None
    editor: Any = None

    @property
    def touched(self) -> bool:
        """A person put something in it: a note, or an edit by someone other than its author."""
        return self.notes or self.editor != self.author


class SharePointListSink:
    """The ``ListSink`` over SharePoint REST for the lists of one (hub) site."""

    def __init__(
        self, conn: SiteConnection, *, page_size: int = 5000, batch_size: int = 100
    ) -> None:
        self.conn = conn
        self.page_size = page_size
        self.batch_size = min(batch_size, MAX_OPERATIONS)
        self._entity_types: dict[str, str] = {}
        self.people = PeopleResolver(conn)

    def ensure_list(self, spec: ListSpec, *, dry_run: bool = False) -> list[str]:
        return ListProvisioner(self.conn).ensure(spec, dry_run=dry_run)

    def upsert(
        self,
        spec: ListSpec,
        rows: list[dict[str, Any]],
        *,
        mark_missing: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> SharePointWriteReport:
        start = self.conn.requests_sent
        report = SharePointWriteReport(list_title=spec.title, dry_run=dry_run)
        owned = {c.internal_name: c for c in spec.owned_columns}
        if spec.key_column not in owned:
            owned[spec.key_column] = ColumnSpec(spec.key_column, spec.key_column, "Text")
        marks = self._check_marks(spec, owned, mark_missing or {})
        incoming = self._resolve_people(owned, self._index_rows(spec, rows), dry_run=dry_run)
        try:
            existing = self._read_existing(spec, owned, report, dry_run=dry_run)
        except ListNotFoundError:
            if not dry_run:
                raise
            existing = {}  # a dry run before provisioning: every row would be added

        ops = self._plan(spec, owned, incoming, existing, marks, report)
        if not dry_run and ops:
            self._send(spec, owned, ops, report)
        report.requests = self.conn.requests_sent - start
        logger.info(
            "%s/%s: %s%d added, %d changed, %d marked, %d unchanged in %d requests",
            self.conn.site_path,
            spec.title,
            "dry run: " if dry_run else "",
            len(report.added),
            len(report.changed),
            len(report.marked),
            report.unchanged,
            report.requests,
        )
        if report.failed:
            raise UpsertError(
                f"{self.conn.site_path}/{spec.title}: {len(report.failed)} write(s) failed: "
                + "; ".join(f"{k}: {v}" for k, v in sorted(report.failed.items())[:5]),
                report,
            )
        return report

    def _plan(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        incoming: dict[str, dict[str, Any]],
        existing: dict[str, _Existing],
        marks: dict[str, Any],
        report: SharePointWriteReport | None,
        keys: set[str] | None = None,
    ) -> list[BatchOp]:
        """The writes that make ``existing`` match ``incoming`` (and ``marks`` for the rest).

        ``keys`` limits planning to those keys (a re-plan); ``report`` is None then, since the
        writes were already counted when first planned.
        """
        ops: list[BatchOp] = []
        for key, row in incoming.items():
            if keys is not None and key not in keys:
                continue
            current = existing.get(key)
            if current is None:
                body = {
                    owned[n].wire_name: wire_value(owned[n].kind, v)
                    for n, v in row.items()
                    if n in owned and v not in (None, "")
                }
                if report is not None:
                    report.added.append(key)
                ops.append(
                    BatchOp("POST", self._items_url(spec), body, key, kind="add", desired=row)
                )
                continue
            changes = self._diff(owned, current.values, row)
            if changes:
                if report is not None:
                    report.changed[key] = sorted(changes)
                ops.append(self._merge(spec, key, current, changes, "update", row))
            elif report is not None:
                report.unchanged += 1
        for key, current in existing.items():
            if key in incoming or not marks or (keys is not None and key not in keys):
                continue
            changes = self._diff(owned, current.values, marks)
            if changes:
                if report is not None:
                    report.marked.append(key)
                ops.append(self._merge(spec, key, current, changes, "mark", marks))
        return ops

    # ---- reading and diffing ----------------------------------------------------------------

    def _check_marks(
        self, spec: ListSpec, owned: dict[str, ColumnSpec], marks: dict[str, Any]
    ) -> dict[str, Any]:
        for name in marks:
            if name not in owned:
                raise SchemaError(
                    f"{self.conn.site_path}/{spec.title}: mark_missing column {name!r} is not an "
                    f"owned column (owned: {', '.join(sorted(owned))})"
                )
        return marks

    def _resolve_people(
        self, owned: dict[str, ColumnSpec], incoming: dict[str, dict[str, Any]], *, dry_run: bool
    ) -> dict[str, dict[str, Any]]:
        """Person columns come as e-mails; they are written (and compared) as site user ids."""
        people = [n for n, c in owned.items() if c.kind == "User"]
        emails = {
            str(row[n]) for row in incoming.values() for n in people if row.get(n) not in (None, "")
        }
        if not emails:
            return incoming
        ids = self.people.resolve(emails, dry_run=dry_run)
        resolved: dict[str, dict[str, Any]] = {}
        for key, row in incoming.items():
            row = dict(row)  # never change the caller's rows
            for n in people:
                if row.get(n) not in (None, ""):
                    row[n] = ids.get(str(row[n]).strip().lower())
            resolved[key] = row
        return resolved

    def _index_rows(self, spec: ListSpec, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        incoming: dict[str, dict[str, Any]] = {}
        for row in rows:
            key = _key(row.get(spec.key_column))
            if key is None:
                raise SchemaError(f"{spec.title}: a row has no value for key {spec.key_column!r}")
            if key in incoming:
                raise SchemaError(f"{spec.title}: key {key!r} appears twice in the rows to write")
            incoming[key] = row
        return incoming

    def _read_existing(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        report: SharePointWriteReport,
        *,
        dry_run: bool,
    ) -> dict[str, _Existing]:
        """One paged read (by ID) of Id, ETag, key and owned columns; heals duplicate keys."""
        url = self.conn.api(
            f"{list_path(spec.title)}/items?$select={self._select(spec, owned)}"
            f"&$top={self.page_size}&$orderby=ID"
        )
        rows = self._collect(spec, owned, url, route=f"items of '{spec.title}'")
        return self._dedupe(spec, rows, report, dry_run=dry_run)

    def _read_keys(
        self, spec: ListSpec, owned: dict[str, ColumnSpec], keys: set[str], pages: int
    ) -> dict[str, list[_Existing]]:
        """The items of ``keys`` now: filtered by the (indexed) key, or one full paged read.

        Filtering costs one request per ``KEYS_PER_FILTER`` keys; a full read ``pages``
        requests. The cheaper one is used.
        """
        route = f"items of '{spec.title}' by key"
        select = self._select(spec, owned)
        base = f"{list_path(spec.title)}/items?$select={select}&$top={self.page_size}"
        if math.ceil(len(keys) / KEYS_PER_FILTER) > pages:
            rows = self._collect(spec, owned, self.conn.api(base + "&$orderby=ID"), route=route)
            return {k: v for k, v in rows.items() if k in keys}
        key_wire = owned[spec.key_column].wire_name
        ordered = sorted(keys)
        rows: dict[str, list[_Existing]] = {}
        for i in range(0, len(ordered), KEYS_PER_FILTER):
            terms = " or ".join(
                f"{key_wire} eq {odata_literal(k)}" for k in ordered[i : i + KEYS_PER_FILTER]
            )
            url = self.conn.api(f"{base}&$filter={quote(terms, safe='')}")
            for key, found in self._collect(spec, owned, url, route=route).items():
                rows.setdefault(key, []).extend(found)
        for found in rows.values():
            found.sort(key=lambda e: e.item_id)
        return rows

    def _select(self, spec: ListSpec, owned: dict[str, ColumnSpec]) -> str:
        humans = [c.wire_name for c in spec.columns if c.internal_name not in owned]
        return ",".join(["Id", "AuthorId", "EditorId", *(c.wire_name for c in owned.values())]
                        + humans)  # fmt: skip

    def _collect(
        self, spec: ListSpec, owned: dict[str, ColumnSpec], url: str, *, route: str
    ) -> dict[str, list[_Existing]]:
        """Items by key, each key's items in ID order; items without a key are logged."""
        humans = [c.wire_name for c in spec.columns if c.internal_name not in owned]
        found: dict[str, list[_Existing]] = {}
        for rows in iter_pages(
            self.conn, url, page_size=self.page_size, max_pages=1000, route=route
        ):
            for raw in rows:
                key = _key(raw.get(owned[spec.key_column].wire_name))
                item_id = item_id_of(raw)
                if key is None:
                    logger.warning(
                        "%s/%s: item %d has no key; left alone",
                        self.conn.site_path,
                        spec.title,
                        item_id,
                    )
                    continue
                notes = any(unwrap(raw.get(h)) not in (None, "") for h in humans)
                found.setdefault(key, []).append(
                    _Existing(
                        item_id,
                        etag_of(raw),
                        _values(raw, owned),
                        notes,
                        raw.get("AuthorId"),
                        raw.get("EditorId"),
                    )
                )
        for items in found.values():
            items.sort(key=lambda e: e.item_id)
        return found

    def _dedupe(
        self,
        spec: ListSpec,
        found: dict[str, list[_Existing]],
        report: SharePointWriteReport,
        *,
        dry_run: bool,
    ) -> dict[str, _Existing]:
        """One item per key. Extra items a lost batch answer or a killed run left are recycled
        when only the service ever wrote them; an item a person touched is kept and reported.

        The kept item is the lowest Id a person touched, else the lowest Id. An extra item is
        the service's own duplicate when it has no value in a non-owned column and was
        created and last edited by the kept item's author (the service never edits extras).
        Recycled items stay restorable from the site's recycle bin.
        """
        existing: dict[str, _Existing] = {}
        for key, items in found.items():
            keep = next((e for e in items if e.touched), items[0])
            existing[key] = keep
            for extra in items:
                if extra is keep:
                    continue
                if extra.touched or extra.author != keep.author or extra.author is None:
                    report.duplicates.setdefault(key, []).append(extra.item_id)
                    continue
                report.recycled.setdefault(key, []).append(extra.item_id)
                if not dry_run:
                    self.conn.send(
                        "POST",
                        self._item_url(spec, extra.item_id) + "/recycle",
                        route=f"recycle item {extra.item_id} of '{spec.title}'",
                    )
        for key, ids in report.recycled.items():
            logger.warning(
                "%s/%s: key %r was also on items %s that only this service wrote; %s them "
                "(kept item %d)",
                self.conn.site_path,
                spec.title,
                key,
                ids,
                "would recycle" if dry_run else "recycled",
                existing[key].item_id,
            )
        for key, ids in report.duplicates.items():
            logger.warning(
                "%s/%s: key %r is also on items %s that a person edited; kept item %d, "
                "the others are left alone",
                self.conn.site_path,
                spec.title,
                key,
                ids,
                existing[key].item_id,
            )
        return existing

    @staticmethod
    def _diff(
        owned: dict[str, ColumnSpec], current: dict[str, Any], wanted: dict[str, Any]
    ) -> dict[str, Any]:
        """Owned columns present in ``wanted`` whose value differs from ``current``."""
        changes: dict[str, Any] = {}
        for name, value in wanted.items():
            column = owned.get(name)
            if column is None:
                continue  # not ours: never written
            if comparable(column.kind, current.get(name)) != comparable(column.kind, value):
                changes[name] = value
        return changes

    def _merge(
        self,
        spec: ListSpec,
        key: str,
        current: _Existing,
        changes: dict[str, Any],
        kind: str,
        desired: dict[str, Any],
    ) -> BatchOp:
        columns = {c.internal_name: c for c in spec.columns}
        body = {
            (columns[n].wire_name if n in columns else n): wire_value(
                columns[n].kind if n in columns else "Text", v
            )
            for n, v in changes.items()
        }
        return BatchOp(
            "MERGE",
            self._item_url(spec, current.item_id),
            body,
            key,
            item_id=current.item_id,
            etag=current.etag or "*",
            kind=kind,
            desired=desired,
        )

    def _items_url(self, spec: ListSpec) -> str:
        return self.conn.api(f"{list_path(spec.title)}/items")

    def _item_url(self, spec: ListSpec, item_id: int) -> str:
        return self.conn.api(f"{list_path(spec.title)}/items({item_id})")

    # ---- writing ----------------------------------------------------------------------------

    def _entity_type(self, spec: ListSpec) -> str:
        """``ListItemEntityTypeFullName``, fetched once per list (not once per item)."""
        if spec.title not in self._entity_types:
            d = self.conn.get_json(
                self.conn.api(f"{list_path(spec.title)}?$select=ListItemEntityTypeFullName,Id"),
                route=f"list '{spec.title}'",
            )
            self._entity_types[spec.title] = str(d["ListItemEntityTypeFullName"])
        return self._entity_types[spec.title]

    def _send(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        ops: list[BatchOp],
        report: SharePointWriteReport,
    ) -> None:
        """Sends ``ops`` in batches; a batch whose answer was lost is re-read and re-planned.

        Re-sending such a batch would post its adds twice when the server had applied it.
        Instead its keys are read back and only what is still missing or different is sent
        again (MERGEs carry fresh ETags then). Each op carries the row it wants (``desired``),
        so the re-plan needs nothing else.
        """
        known = len(report.added) + len(report.changed) + len(report.marked) + report.unchanged
        pages = max(1, math.ceil(known / self.page_size))
        conflicts: list[BatchOp] = []
        unknown = self._send_batches(spec, ops, report, conflicts)
        for _round in range(MAX_REPLAN_ROUNDS):
            if not unknown:
                break
            keys = {op.key for op in unknown}
            report.replans += 1
            logger.warning(
                "%s/%s: the answer to a $batch of %d write(s) was lost; re-reading %d key(s) "
                "and re-planning instead of re-sending",
                self.conn.site_path,
                spec.title,
                len(unknown),
                len(keys),
            )
            fresh = self._dedupe(
                spec, self._read_keys(spec, owned, keys, pages), report, dry_run=False
            )
            incoming = {op.key: op.desired for op in unknown if op.kind != "mark"}
            marks = next((op.desired for op in unknown if op.kind == "mark"), {})
            ops = self._plan(spec, owned, incoming, fresh, marks, None, keys=keys)
            unknown = self._send_batches(spec, ops, report, conflicts)
        for op in unknown:
            report.failed[op.key] = (
                f"the answer to its $batch was lost {MAX_REPLAN_ROUNDS + 1} times; "
                "the next run re-reads and completes it"
            )
        for op in conflicts:
            if op.key not in report.failed:
                self._resolve_conflict(spec, owned, op, report)

    def _send_batches(
        self,
        spec: ListSpec,
        ops: list[BatchOp],
        report: SharePointWriteReport,
        conflicts: list[BatchOp],
    ) -> list[BatchOp]:
        """Sends ``ops`` in batches of ``batch_size``; returns the ops with unknown outcome."""
        type_name = self._entity_type(spec) if ops else ""
        for op in ops:
            op.body["__metadata"] = {"type": type_name}
        unknown: list[BatchOp] = []
        for i in range(0, len(ops), self.batch_size):
            unknown += send_batch(self.conn, ops[i : i + self.batch_size], report.failed, conflicts)
        return unknown

    def _resolve_conflict(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        op: BatchOp,
        report: SharePointWriteReport,
    ) -> None:
        """A 412: someone changed the item since we read it. Re-read it and re-apply our row.

        The diff is taken again against the fresh version over all owned columns of the row,
        so an owned column edited meanwhile is put back too (as the next run would anyway).
        """
        report.conflicts += 1
        wanted = op.desired
        assert op.item_id is not None
        select = ",".join(["Id", *(c.wire_name for c in owned.values())])
        for _attempt in range(MAX_CONFLICT_ATTEMPTS):
            raw = self.conn.get_json(
                self._item_url(spec, op.item_id) + f"?$select={select}",
                route=f"item {op.item_id} of '{spec.title}'",
            )
            fresh = _values(raw, owned)
            changes = self._diff(owned, fresh, wanted)
            if not changes:
                return
            body = {owned[n].wire_name: wire_value(owned[n].kind, v) for n, v in changes.items()}
            body["__metadata"] = {"type": self._entity_type(spec)}
            try:
                self.conn.send(
                    "MERGE",
                    self._item_url(spec, op.item_id),
                    route=f"update item {op.item_id} of '{spec.title}'",
                    body=body,
                    headers={"IF-MATCH": etag_of(raw) or "*"},
                )
                return
            except VersionConflictError:
                continue
        report.failed[op.key] = (
            f"item {op.item_id} kept changing (412 {MAX_CONFLICT_ATTEMPTS} times)"
        )


def _key(value: Any) -> str | None:
    value = unwrap(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _values(raw: dict[str, Any], owned: dict[str, ColumnSpec]) -> dict[str, Any]:
    return {name: unwrap(raw.get(column.wire_name)) for name, column in owned.items()}


def odata_literal(value: str) -> str:
    """A string as an OData literal: quoted, inner single quotes doubled (no filter injection)."""
    return "'" + value.replace("'", "''") + "'"
