"""Upserts consolidated lists: changed owned fields only, ETag-guarded, in ``$batch`` requests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.m365.batch import MAX_OPERATIONS, BatchOp, build_batch, parse_batch_response
from c3po_sync.m365.errors import (
    BatchResponseError,
    BatchThrottledError,
    ListNotFoundError,
    M365Error,
    SchemaError,
    VersionConflictError,
)
from c3po_sync.m365.http import SiteConnection, error_details, list_path
from c3po_sync.m365.list_reader import iter_pages
from c3po_sync.m365.odata import comparable, etag_of, item_id_of, unwrap, wire_value
from c3po_sync.m365.people import PeopleResolver
from c3po_sync.m365.provision import ListProvisioner
from c3po_sync.m365.retry import parse_retry_after
from c3po_sync.sinks.base import ColumnSpec, ListSpec, WriteReport

logger = logging.getLogger(__name__)

MAX_CONFLICT_ATTEMPTS = 3


@dataclass
class SharePointWriteReport(WriteReport):
    """``WriteReport`` plus what only SharePoint can go wrong with."""

    duplicates: dict[str, list[int]] = field(default_factory=dict)  # key -> ids left alone
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
            existing = self._read_existing(spec, owned, report)
        except ListNotFoundError:
            if not dry_run:
                raise
            existing = {}  # a dry run before provisioning: every row would be added

        ops: list[BatchOp] = []
        for key, row in incoming.items():
            current = existing.get(key)
            if current is None:
                body = {
                    owned[n].wire_name: wire_value(owned[n].kind, v)
                    for n, v in row.items()
                    if n in owned and v not in (None, "")
                }
                report.added.append(key)
                ops.append(BatchOp("POST", self._items_url(spec), body, key, kind="add"))
                continue
            changes = self._diff(owned, current.values, row)
            if changes:
                report.changed[key] = sorted(changes)
                ops.append(self._merge(spec, key, current, changes, "update", row))
            else:
                report.unchanged += 1
        for key, current in existing.items():
            if key in incoming or not marks:
                continue
            changes = self._diff(owned, current.values, marks)
            if changes:
                report.marked.append(key)
                ops.append(self._merge(spec, key, current, changes, "mark", marks))
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
        self, spec: ListSpec, owned: dict[str, ColumnSpec], report: SharePointWriteReport
    ) -> dict[str, _Existing]:
        """One paged read (by ID) of Id, ETag, key and owned columns; duplicates keep lowest Id."""
        select = ",".join(["Id", *(c.wire_name for c in owned.values())])
        url = self.conn.api(
            f"{list_path(spec.title)}/items?$select={select}&$top={self.page_size}&$orderby=ID"
        )
        existing: dict[str, _Existing] = {}
        for rows in iter_pages(
            self.conn,
            url,
            page_size=self.page_size,
            max_pages=1000,
            route=f"items of '{spec.title}'",
        ):
            for raw in rows:
                key = _key(raw.get(spec.key_column))
                item_id = item_id_of(raw)
                if key is None:
                    logger.warning(
                        "%s/%s: item %d has no key; left alone",
                        self.conn.site_path,
                        spec.title,
                        item_id,
                    )
                    continue
                if key in existing:  # pages come in ID order, so the first seen is the lowest
                    report.duplicates.setdefault(key, []).append(item_id)
                    continue
                existing[key] = _Existing(item_id, etag_of(raw), _values(raw, owned))
        for key, ids in report.duplicates.items():
            logger.warning(
                "%s/%s: key %r is on items %s; kept item %d, the others are left alone",
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
        type_name = self._entity_type(spec)
        for op in ops:
            op.body["__metadata"] = {"type": type_name}
        conflicts: list[BatchOp] = []
        for i in range(0, len(ops), self.batch_size):
            conflicts += self._send_batch(ops[i : i + self.batch_size], report)
        for op in conflicts:
            self._resolve_conflict(spec, owned, op, report)

    def _send_batch(self, ops: list[BatchOp], report: SharePointWriteReport) -> list[BatchOp]:
        """Sends one batch; resends throttled operations alone; returns the 412 ones."""
        pending = list(ops)
        conflicts: list[BatchOp] = []

        def attempt() -> None:
            nonlocal pending
            content_type, body = build_batch(pending)
            response = self.conn.send_once(
                "POST",
                self.conn.api("$batch"),
                route="$batch",
                data=body,
                headers={"Content-Type": content_type},
            )
            subs = parse_batch_response(response)
            if len(subs) != len(pending):
                raise BatchResponseError(
                    f"{self.conn.site_path}: $batch of {len(pending)} operations got "
                    f"{len(subs)} answers"
                )
            throttled: list[BatchOp] = []
            wait: float | None = None
            for op, sub in zip(pending, subs, strict=True):
                if sub.ok:
                    continue
                if sub.status == 412:
                    conflicts.append(op)
                elif sub.status in (429, 503, 504):
                    throttled.append(op)
                    delay = parse_retry_after(sub.headers.get("retry-after"))
                    wait = max(wait or 0.0, delay or 0.0) if delay is not None else wait
                else:
                    code, message = error_details(_FakeResponse(sub.body))
                    report.failed[op.key] = f"HTTP {sub.status} {code}: {message}".strip()
                    logger.error(
                        "%s: %s %s (key %s) failed: HTTP %s %s %s",
                        self.conn.site_path,
                        op.method,
                        op.url,
                        op.key,
                        sub.status,
                        code,
                        message,
                    )
            pending = throttled
            if throttled:
                raise BatchThrottledError(self.conn.site_path, len(throttled), wait)

        self.conn.retry(attempt, route="$batch")
        return conflicts

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


class _FakeResponse:
    """Lets ``error_details`` read a batch sub-response body."""

    def __init__(self, body: bytes) -> None:
        self.content = body
        self.text = body.decode("utf-8", "replace")

    def json(self) -> Any:
        import json

        return json.loads(self.text)


def _key(value: Any) -> str | None:
    value = unwrap(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _values(raw: dict[str, Any], owned: dict[str, ColumnSpec]) -> dict[str, Any]:
    return {name: unwrap(raw.get(column.wire_name)) for name, column in owned.items()}
