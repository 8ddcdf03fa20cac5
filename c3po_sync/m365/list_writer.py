"""Upserts consolidated lists: changed owned fields only, ETag-guarded, in ``$batch`` requests."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from c3po_sync.m365.batch import (
    MAX_OPERATIONS,
    ROW_REFUSALS,
    BatchOp,
    BatchOutcomes,
    send_batch,
)
from c3po_sync.m365.dates import as_site_date, local_date
from c3po_sync.m365.errors import (
    ListNotFoundError,
    M365Error,
    SharePointRequestError,
    VersionConflictError,
)
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.list_copy import (
    CopyRows,
    columns_signature,
    differing,
    row_digest,
    row_digests,
)
from c3po_sync.m365.list_dedupe import ExistingItem, KeyedItems, owned_values
from c3po_sync.m365.list_rows import check_marks, index_rows, person_ids, with_ids
from c3po_sync.m365.odata import comparable, etag_of, wire_value
from c3po_sync.m365.people import PeopleResolver
from c3po_sync.m365.provision import ListProvisioner
from c3po_sync.m365.read_batch import prefetch
from c3po_sync.m365.schema import site_time_zone, time_zone_url
from c3po_sync.m365.site_rights import permissions_url
from c3po_sync.m365.write_outcome import (  # noqa: F401 - re-exported
    SharePointWriteReport,
    UpsertError,
    quarantine_refused,
)
from c3po_sync.sinks.base import ColumnSpec, ListSpec, PartialWriteError
from c3po_sync.sinks.ledger import ListCopy, RowLedger, StoredRow
from c3po_sync.sinks.limits import fit_rows

logger = logging.getLogger(__name__)

MAX_CONFLICT_ATTEMPTS = 3
MAX_REPLAN_ROUNDS = 4  # re-reads after batches whose outcome was lost, before giving up

# A planned row (e-mails, calendar dates) in SharePoint's terms (user ids, the hub's midnight)
Wire = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Lane:
    """What the ops of one list need as their batch is sent, whichever batch that is."""

    owned: dict[str, ColumnSpec]
    wire: Wire
    out: BatchOutcomes  # the list's own: keys of two lists may be the same
    type_name: str  # ListItemEntityTypeFullName


@dataclass
class KnownWrite:
    """One list's rows that differ from its stored copy, compared without reading the list
    (``SharePointListSink.plan_changed``), waiting to be sent with other lists' writes
    (``write_known``): one ``$batch`` carries the writes of several lists of the hub."""

    spec: ListSpec
    owned: dict[str, ColumnSpec]
    planned: dict[str, dict[str, Any]]
    sums: dict[str, str]
    marks: dict[str, Any]
    copy: ListCopy
    ledger: RowLedger
    report: SharePointWriteReport
    added: list[str]
    changed: dict[str, list[str]]  # key -> its columns that changed
    marked: dict[str, list[str]]
    refreshed: dict[str, StoredRow]  # equal column by column: only their digest is saved
    kept: dict[str, dict[str, str]]  # the stored column digests of the rows marked
    sending: dict[str, dict[str, Any]]  # the rows (or changed columns) to send
    ops: list[BatchOp] = field(default_factory=list)  # made once its people are resolved

    @property
    def dated(self) -> bool:
        return any(c.date_only for c in self.owned.values())

    @property
    def size(self) -> int:
        """The writes it will send."""
        return len(self.added) + len(self.changed) + len(self.marked)

    def has_people(self) -> bool:
        """A row to send names a person: the site's users are about to be read."""
        people = [n for n, c in self.owned.items() if c.kind == "User"]
        return any(r.get(n) not in (None, "") for r in self.sending.values() for n in people)


class SharePointListSink:
    """The ``ListSink`` over SharePoint REST for the lists of one (hub) site."""

    def __init__(
        self, conn: SiteConnection, *, page_size: int = 5000, batch_size: int = 100
    ) -> None:
        self.conn = conn
        self.page_size = page_size
        self.batch_size = min(batch_size, MAX_OPERATIONS)
        # ListItemEntityTypeFullName by list title; the caller may fill in what it knows
        self.entity_types: dict[str, str] = {}
        self.people = PeopleResolver(conn)
        self._tz: tzinfo | None = None

    def ensure_list(self, spec: ListSpec, *, dry_run: bool = False) -> list[str]:
        return ListProvisioner(self.conn).ensure(spec, dry_run=dry_run)

    def upsert(
        self,
        spec: ListSpec,
        rows: list[dict[str, Any]],
        *,
        mark_missing: dict[str, Any] | None = None,
        dry_run: bool = False,
        ledger: RowLedger | None = None,
    ) -> SharePointWriteReport:
        """Makes the list hold ``rows``; ``ledger``: the list's stored copy (``sinks/ledger``).

        When the ledger vouches for its copy (nobody else wrote to the list since), the rows
        are diffed against it and only the changed ones are sent: the list is not read. In any
        doubt (no copy, the hub's time zone moved, a dry run) the list is read and diffed.
        """
        start = self.conn.requests_sent
        report = SharePointWriteReport(list_title=spec.title, dry_run=dry_run)
        owned = self._owned(spec)
        marks = check_marks(self.conn.site_path, spec, owned, mark_missing or {})
        planned = self._fitted(spec, rows, report)
        if dry_run:
            ledger = None  # a dry run neither trusts the stored copy nor changes it
        copy = ledger.known() if ledger is not None else None
        # one digest per row: the column digests are taken only of the rows that differ
        sums = {k: row_digest(owned, r) for k, r in planned.items()} if ledger is not None else {}
        if ledger is not None and copy is not None and copy.columns == columns_signature(owned):
            known = self._compare_known(spec, owned, planned, sums, marks, copy, ledger, report)
            # upsert finishes the report itself: done=False
            if known is None or self._write_one(known, done=False):
                return self._done(spec, report, self.conn.requests_sent - start)
            logger.info("%s/%s: stored copy in doubt; reading the list", self.conn.site_path,
                        spec.title)  # fmt: skip
        self._read_ahead(owned, planned, zone=any(c.date_only for c in owned.values()))
        wire = self._wire(spec, owned, planned, report, dry_run=dry_run)
        items = KeyedItems(self.conn, spec, owned, page_size=self.page_size)
        try:
            existing = items.dedupe(items.read_all(), report, dry_run=dry_run)
        except ListNotFoundError:
            if not dry_run:
                raise
            existing = {}  # a dry run before provisioning: every row would be added
        if items.entity_type:
            self.entity_types.setdefault(spec.title, items.entity_type)

        ops = self._plan(spec, owned, planned, existing, marks, report, wire)
        if ledger is not None:
            ledger.begin()
        out = self._send(spec, owned, ops, report, wire) if not dry_run and ops else BatchOutcomes()
        if ledger is not None:
            self._record_read(spec, owned, ledger, existing, planned, sums, marks, ops, out, report)
        return self._done(spec, report, self.conn.requests_sent - start)

    def upsert_changed(
        self,
        spec: ListSpec,
        rows: list[dict[str, Any]],
        *,
        total: int,
        ledger: RowLedger,
    ) -> SharePointWriteReport | None:
        """``plan_changed`` and ``write_known`` for one list: its report, or None (plan the
        list in full; nothing was sent)."""
        planned = self.plan_changed(spec, rows, total=total, ledger=ledger)
        if not isinstance(planned, KnownWrite):
            return planned
        return planned.report if self._write_one(planned) else None

    def _write_one(self, known: KnownWrite, *, done: bool = True) -> bool:
        """``write_known`` for one list; False: its copy proved in doubt, nothing was sent."""
        (outcome,) = self.write_known([known], done=done)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome is not None

    def plan_changed(
        self,
        spec: ListSpec,
        rows: list[dict[str, Any]],
        *,
        total: int,
        ledger: RowLedger,
    ) -> KnownWrite | SharePointWriteReport | None:
        """Compares ``rows``, the only rows of the list that can differ from its stored copy
        (the caller vouches for every other row, ``pipeline/hub_plan.py``), with that copy;
        ``total``: rows the list is planned with. Rows outside ``rows`` are neither compared
        nor marked. Nothing is sent: a ``KnownWrite`` goes out with ``write_known`` (with other
        lists' writes); a report: nothing differs (the copy is finished as whole). None: the
        copy cannot be used (not vouched for, other columns): the caller plans the list in
        full."""
        start = self.conn.requests_sent
        report = SharePointWriteReport(list_title=spec.title, dry_run=False)
        owned = self._owned(spec)
        planned = self._fitted(spec, rows, report)
        copy = ledger.known(list(planned))
        if copy is None or copy.columns != columns_signature(owned):
            return None
        report.unchanged += total - len(planned)
        sums = {k: row_digest(owned, r) for k, r in planned.items()}
        known = self._compare_known(spec, owned, planned, sums, {}, copy, ledger, report)
        return known or self._done(spec, report, self.conn.requests_sent - start)

    def _fitted(
        self, spec: ListSpec, rows: list[dict[str, Any]], report: SharePointWriteReport
    ) -> dict[str, dict[str, Any]]:
        """``rows`` fitted to SharePoint's limits (the refused values quarantined in
        ``report``), by key, with e-mails and calendar dates as the digests are of them."""
        fitted, refused = fit_rows(spec, rows)
        for value in refused:
            # INFO, not WARNING: the run summary and the write log report each one already;
            # a warning line would print it a second time amid the progress (issue 13).
            logger.info("%s/%s", self.conn.site_path, value.describe())
        report.quarantined.extend(refused)
        return index_rows(spec, fitted)

    def _owned(self, spec: ListSpec) -> dict[str, ColumnSpec]:
        owned = {c.internal_name: c for c in spec.owned_columns}
        if spec.key_column not in owned:
            owned[spec.key_column] = ColumnSpec(spec.key_column, spec.key_column, "Text")
        return owned

    def _done(
        self, spec: ListSpec, report: SharePointWriteReport, requests: int
    ) -> SharePointWriteReport:
        report.requests = requests
        logger.info(
            "%s/%s: %s%d added, %d changed, %d marked, %d unchanged in %d requests",
            self.conn.site_path,
            spec.title,
            "dry run: " if report.dry_run else "",
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

    # ---- the stored copy: diff without reading the list -------------------------------------

    def _compare_known(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        planned: dict[str, dict[str, Any]],
        sums: dict[str, str],
        marks: dict[str, Any],
        copy: ListCopy,
        ledger: RowLedger,
        report: SharePointWriteReport,
    ) -> KnownWrite | None:
        """What differs from the stored copy, to be sent (``write_known``); None: nothing
        differs, and the copy is finished as whole (no request).

        Rows are compared by their one digest; the column digests are read (and taken) only
        for the rows whose digest differs, to send just the columns that changed."""
        changed: dict[str, list[str]] = {}
        marked: dict[str, list[str]] = {}
        mark_sum = row_digest(owned, marks) if marks else None
        differ = [k for k, s in sums.items() if k in copy.rows and copy.rows[k].digest != s]
        added = [k for k in sums if k not in copy.rows]
        unmarked = [
            k for k, r in copy.rows.items() if marks and k not in planned and r.digest != mark_sum
        ]
        stored_columns = ledger.columns(differ + unmarked) if differ or unmarked else {}
        mark_digests = row_digests(owned, marks)
        # rows found equal column by column (a row digest not stored yet): their digest is saved
        refreshed: dict[str, StoredRow] = {}
        for key in differ:
            have, wanted = stored_columns.get(key, {}), row_digests(owned, planned[key])
            if names := differing(have, wanted):
                changed[key] = names
            else:
                refreshed[key] = StoredRow(copy.rows[key].item_id, copy.rows[key].etag, have,
                                           sums[key])  # fmt: skip
        for key in unmarked:
            have = stored_columns.get(key, {})
            if names := differing(have, mark_digests):
                marked[key] = names
            else:
                refreshed[key] = StoredRow(copy.rows[key].item_id, copy.rows[key].etag, have,
                                           mark_sum)  # fmt: skip
        if not (added or changed or marked):
            report.unchanged += len(planned)
            if refreshed:  # the same values: the copy stays whole, now with their digests
                ledger.save(refreshed)
            # still whole, as it was written: what this plan rests on is recorded with it
            ledger.finish(ListCopy(time_zone=copy.time_zone, entity_type=copy.entity_type,
                                   columns=copy.columns))  # fmt: skip
            return None
        # A new row goes whole; a changed row with its changed columns only, so the site's
        # users are read only when a person is new or changed. The conflict path and a
        # re-plan re-apply those columns (a hand edit meanwhile shows in the change log: the
        # next night reads the list back and puts back any other). The e-mail -> user id
        # answers are not kept from night to night: a person removed from the site and added
        # again gets a new id, and the change query read here (items, lists, fields:
        # m365/changes.py) does not carry the site's user changes, so nothing read this run
        # would vouch for a remembered id.
        sending = {k: planned[k] for k in added}
        for key, names in changed.items():
            sending[key] = {n: planned[key].get(n) for n in [spec.key_column, *names]}
        kept = {k: stored_columns.get(k, {}) for k in marked}
        return KnownWrite(spec, owned, planned, sums, marks, copy, ledger, report, added,
                          changed, marked, refreshed, kept, sending)  # fmt: skip

    def write_known(
        self,
        writes: list[KnownWrite],
        *,
        rights: bool = False,
        before_write: Callable[[], None] | None = None,
        done: bool = True,
        settled: Callable[[int, bool | Exception | None], None] | None = None,
    ) -> list[bool | Exception | None]:
        """Sends the writes of several lists of the hub, planned against their stored copies
        (``plan_changed``), in shared ``$batch`` requests of up to ``batch_size`` operations:
        SharePoint takes writes to any list of the web in one ``$batch``, each part with its
        own URL and ETag (sp-dev-docs "Make batch requests with the REST APIs").

        The reads the writes need (the hub's time zone, its users, and with ``rights`` the
        app's rights on the web, which ``before_write`` then asks: ``site_rights``) go first,
        in one read ``$batch``; ``before_write`` runs before anything is written.

        Per write, in order: True (sent; its report filled), None (in doubt, nothing sent:
        the hub's time zone is not the copy's; plan the list in full), or the exception its
        settling raised (an ``UpsertError`` carries its report). The other lists' outcomes
        are settled and recorded all the same: their writes went out in the same batches.
        A failure of a shared batch itself (the hub gone) raises, every copy left begun.
        ``done``: each report is finished here (its requests counted, ``UpsertError`` for
        failed writes); False: the caller finishes it (``upsert``). ``settled(i, outcome)`` is
        called as soon as write ``i`` is settled, so the caller records what it wrote before
        the next list settles (a run killed meanwhile loses no write from the write log)."""
        start = self.conn.requests_sent
        urls = [permissions_url(self.conn)] if rights else []
        if self._tz is None and any(w.dated for w in writes):
            urls.append(time_zone_url(self.conn))
        users = self.people.site_users_url()
        if users and any(w.has_people() for w in writes):
            urls.append(users)
        try:
            prefetch(self.conn, urls)
            if before_write is not None:
                before_write()
            lanes = [self._prepare_known(w) for w in writes]
        finally:
            self.conn.discard_prefetched()  # nothing fetched ahead outlives these writes
        live = [(w, lane) for w, lane in zip(writes, lanes, strict=True) if lane is not None]
        for w, _lane in live:
            w.ledger.begin()
        unknown = self._send_lanes([(op, lane) for w, lane in live for op in w.ops])
        shared = self.conn.requests_sent - start
        results: list[bool | Exception | None] = []

        def result(outcome: bool | Exception | None) -> None:
            results.append(outcome)
            if settled is not None:
                settled(len(results) - 1, outcome)

        for w, lane in zip(writes, lanes, strict=True):
            if lane is None:
                result(None)
                continue
            begun = self.conn.requests_sent
            try:
                self._settle(w.spec, w.owned, w.report, lane.wire, lane.out,
                             unknown.get(id(lane), []))  # fmt: skip
                rows = CopyRows(w.owned)
                for key, stored in w.refreshed.items():
                    rows.put(key, stored)
                self._confirmed(rows, w.ops, lane.out, w.report, w.planned, w.sums, w.marks,
                                w.kept)  # fmt: skip
                w.ledger.save(rows)
                if not _irregular(w.report, lane.out):
                    w.ledger.finish(self._copy_meta(w.spec, w.owned))
                requests = self.conn.requests_sent - begun + shared
                shared = 0  # the shared requests are counted once, with the first list
                if done:
                    self._done(w.spec, w.report, requests)
            except (M365Error, PartialWriteError, OSError) as exc:
                result(exc)
            else:
                result(True)
        return results

    def _prepare_known(self, w: KnownWrite) -> _Lane | None:
        """Makes the ops of ``w`` (its people resolved) and returns what sends them; None: the
        hub's time zone moved since the copy's dates were written (nothing is sent for it)."""
        if w.dated and str(self.time_zone()) != w.copy.time_zone:
            return None
        spec, report = w.spec, w.report
        wire = self._wire(spec, w.owned, w.sending, report, dry_run=False)
        report.unchanged += len(w.planned) - len(w.sending)
        for key in w.added:
            report.added.append(key)
            w.ops.append(self._add(spec, key, w.sending[key], wire(w.sending[key])))
        for key, names in w.changed.items():
            report.changed[key] = names
            w.ops.append(self._stored_merge(spec, key, w.copy.rows[key], names, w.sending[key],
                                            "update"))  # fmt: skip
        for key, names in w.marked.items():
            report.marked.append(key)
            w.ops.append(self._stored_merge(spec, key, w.copy.rows[key], names, w.marks, "mark"))
        if w.copy.entity_type:
            self.entity_types.setdefault(spec.title, w.copy.entity_type)
        return _Lane(w.owned, wire, BatchOutcomes(failed=report.failed), self._entity_type(spec))

    def _stored_merge(
        self,
        spec: ListSpec,
        key: str,
        stored: StoredRow,
        names: list[str],
        desired: dict[str, Any],
        kind: str,
    ) -> BatchOp:
        """A MERGE of the ``names`` columns of a stored row, guarded by the ETag we last saw
        (``*`` when SharePoint's answer carried none: the change log vouched for the item)."""
        current = ExistingItem(stored.item_id, stored.etag, {})
        changes = {n: desired.get(n) for n in names}
        return self._merge(spec, key, current, changes, kind, desired)

    def _confirmed(
        self,
        rows: CopyRows,
        ops: list[BatchOp],
        out: BatchOutcomes,
        report: SharePointWriteReport,
        planned: dict[str, dict[str, Any]],
        sums: dict[str, str],
        marks: dict[str, Any],
        kept: dict[str, dict[str, str]] | None = None,
    ) -> int:
        """Puts in ``rows`` the rows SharePoint confirmed written, as the copy keeps them: an
        op with a 2xx answer whose row was not refused, re-planned, conflicting or found
        deleted; returns how many. ``kept``: the stored column digests of the rows marked
        (their other columns stay)."""
        owned = rows.owned
        mark_digests = row_digests(owned, marks)
        mark_sum = row_digest(owned, marks) if marks else None
        doubtful = set(report.failed) | {op.key for op, _e in out.refused}
        doubtful |= {op.key for op in [*out.conflicts, *out.gone]}
        confirmed = 0
        for op in ops:
            if op.key in doubtful or op.key not in out.answers:
                continue
            item_id = op.item_id if op.item_id is not None else _answer_id(out.answers[op.key])
            if item_id is None:
                continue
            etag = out.etags.get(op.key) or _answer_etag(out.answers[op.key])
            confirmed += 1
            if op.kind == "mark":  # the row's other columns stay as they were
                columns = {**(kept or {}).get(op.key, {}), **mark_digests}
                rows.put(op.key, StoredRow(item_id, etag, columns, mark_sum))
            else:
                rows.planned(op.key, item_id, etag, planned[op.key], sums[op.key])
        return confirmed

    def _record_read(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        ledger: RowLedger,
        existing: dict[str, ExistingItem],
        planned: dict[str, dict[str, Any]],
        sums: dict[str, str],
        marks: dict[str, Any],
        ops: list[BatchOp],
        out: BatchOutcomes,
        report: SharePointWriteReport,
    ) -> None:
        """After a full read and its writes: the copy is the list as read, with the confirmed
        writes on top. An item left as read holds the planned row (it compared equal); a row
        the plan does not have holds its marks when they compared equal, else nothing known."""
        mark_digests = row_digests(owned, marks)
        mark_sum = row_digest(owned, marks) if marks else None
        sent = {op.key for op in ops}
        rows = CopyRows(owned)
        for key, item in existing.items():
            if key in sent:
                continue
            if key in planned:
                rows.planned(key, item.item_id, item.etag, planned[key], sums[key])
            elif marks:  # one dict for them all: the copy's rows are read, never changed
                rows.put(key, StoredRow(item.item_id, item.etag, mark_digests, mark_sum))
            else:
                rows.put(key, StoredRow(item.item_id, item.etag, {}, None))
        confirmed = self._confirmed(rows, ops, out, report, planned, sums, marks)
        ledger.replace(rows)
        if not _irregular(report, out) and confirmed == len(ops):
            ledger.finish(self._copy_meta(spec, owned))

    def _copy_meta(self, spec: ListSpec, owned: dict[str, ColumnSpec]) -> ListCopy:
        dated = any(c.date_only for c in owned.values())
        return ListCopy(
            time_zone=str(self.time_zone()) if dated else None,
            entity_type=self.entity_types.get(spec.title),
            columns=columns_signature(owned),
        )

    def _plan(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        incoming: dict[str, dict[str, Any]],
        existing: dict[str, ExistingItem],
        marks: dict[str, Any],
        report: SharePointWriteReport | None,
        wire: Wire,
    ) -> list[BatchOp]:
        """The writes that make ``existing`` match ``incoming`` (and ``marks`` for the rest).

        ``incoming``: rows as planned, each compared in SharePoint's terms (``wire``); ``report``
        is None for a re-plan: its writes were counted when first planned.
        """
        ops: list[BatchOp] = []
        for key, row in incoming.items():
            current = existing.get(key)
            stored = wire(row)
            if current is None:
                if report is not None:
                    report.added.append(key)
                ops.append(self._add(spec, key, row, stored))
                continue
            changes = self._diff(owned, current.values, stored)
            if changes:
                if report is not None:
                    report.changed[key] = sorted(changes)
                ops.append(self._merge(spec, key, current, changes, "update", row))
            elif report is not None:
                report.unchanged += 1
        for key, current in existing.items():
            if key in incoming or not marks:
                continue
            changes = self._diff(owned, current.values, marks)
            if changes:
                if report is not None:
                    report.marked.append(key)
                ops.append(self._merge(spec, key, current, changes, "mark", marks))
        return ops

    # ---- checking and diffing ---------------------------------------------------------------

    def _diff(
        self, owned: dict[str, ColumnSpec], current: dict[str, Any], wanted: dict[str, Any]
    ) -> dict[str, Any]:
        """Owned columns present in ``wanted`` whose value differs from ``current``.

        Date-only columns compare calendar dates in the hub's time zone.
        """
        changes: dict[str, Any] = {}
        for name, value in wanted.items():
            column = owned.get(name)
            if column is None:
                continue  # not ours: never written
            if column.date_only:
                tz = self.time_zone()
                if local_date(current.get(name), tz) != local_date(value, tz):
                    changes[name] = value
            elif comparable(column.kind, current.get(name)) != comparable(column.kind, value):
                changes[name] = value
        return changes

    def _read_ahead(
        self, owned: dict[str, ColumnSpec], rows: dict[str, dict[str, Any]], *, zone: Any
    ) -> None:
        """The hub's time zone and its users, when both are about to be read, in one
        ``$batch`` (one request where two GETs would be two; ``read_batch.prefetch``)."""
        people = [n for n, c in owned.items() if c.kind == "User"]
        users = self.people.site_users_url() if people else None
        if not (zone and self._tz is None and users):
            return
        if any(r.get(n) not in (None, "") for r in rows.values() for n in people):
            prefetch(self.conn, [time_zone_url(self.conn), users])

    def time_zone(self) -> tzinfo:
        """The hub's regional time zone, read from the hub once (never assumed)."""
        if self._tz is None:
            self._tz = ZoneInfo(site_time_zone(self.conn))
        return self._tz

    def _wire(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        rows: dict[str, dict[str, Any]],
        report: SharePointWriteReport,
        *,
        dry_run: bool,
    ) -> Wire:
        """Resolves the people of ``rows`` (the e-mails SharePoint cannot resolve quarantined in
        ``report``) and returns what puts one such row in SharePoint's terms: date-only values
        as midnight in the hub's time zone, in UTC; people as site user ids. A row is put so
        when it is compared and again when its write is sent, never all rows at once (a first
        run's 20,000 rows are not held a second time)."""
        names = [c.internal_name for c in spec.columns if c.date_only]
        tz = self.time_zone() if names and rows else None
        ids, unresolved = person_ids(self.people, spec, owned, rows, dry_run=dry_run)
        report.quarantined.extend(unresolved)
        people = [n for n, c in owned.items() if c.kind == "User"]

        def wire(row: dict[str, Any]) -> dict[str, Any]:
            if tz is None:
                return with_ids(dict(row), people, ids)
            dated = {
                k: as_site_date(v, tz) if k in names and v is not None else v
                for k, v in row.items()
            }  # fmt: skip
            return with_ids(dated, people, ids)

        return wire

    def _merge(
        self,
        spec: ListSpec,
        key: str,
        current: ExistingItem,
        changes: dict[str, Any],
        kind: str,
        desired: dict[str, Any],
    ) -> BatchOp:
        return BatchOp(
            "MERGE",
            self._item_url(spec, current.item_id),
            {},
            key,
            item_id=current.item_id,
            etag=current.etag or "*",
            kind=kind,
            desired=desired,
            fields=tuple(changes),
        )

    def _add(
        self, spec: ListSpec, key: str, row: dict[str, Any], stored: dict[str, Any]
    ) -> BatchOp:
        """A new item: ``row`` (as planned; ``stored``: in SharePoint's terms) with its
        non-empty values; its body is made as its batch is sent."""
        filled = tuple(n for n, v in stored.items() if v not in (None, ""))
        return BatchOp("POST", self._items_url(spec), {}, key, kind="add", desired=row,
                       fields=filled)  # fmt: skip

    def _items_url(self, spec: ListSpec) -> str:
        return self.conn.api(f"{list_path(spec.title)}/items")

    def _item_url(self, spec: ListSpec, item_id: int) -> str:
        return self.conn.api(f"{list_path(spec.title)}/items({item_id})")

    # ---- writing ----------------------------------------------------------------------------

    def _entity_type(self, spec: ListSpec) -> str:
        """``ListItemEntityTypeFullName``, fetched once per list (not once per item)."""
        if spec.title not in self.entity_types:
            d = self.conn.get_json(
                self.conn.api(f"{list_path(spec.title)}?$select=ListItemEntityTypeFullName,Id"),
                route=f"list '{spec.title}'",
            )
            self.entity_types[spec.title] = str(d["ListItemEntityTypeFullName"])
        return self.entity_types[spec.title]

    def _send(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        ops: list[BatchOp],
        report: SharePointWriteReport,
        wire: Wire,
    ) -> BatchOutcomes:
        """Sends ``ops`` in batches, then settles what did not simply succeed (``_settle``)."""
        out = BatchOutcomes(failed=report.failed)
        lane = _Lane(owned, wire, out, self._entity_type(spec) if ops else "")
        unknown = self._send_lanes([(op, lane) for op in ops]).get(id(lane), [])
        self._settle(spec, owned, report, wire, out, unknown)
        return out

    def _settle(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        report: SharePointWriteReport,
        wire: Wire,
        out: BatchOutcomes,
        unknown: list[BatchOp],
    ) -> None:
        """After the batches: a batch whose answer was lost is re-read and re-planned, a 412
        re-read and re-applied, a refused row quarantined.

        Re-sending such a batch would post its adds twice when the server had applied it.
        Instead its keys are read back and only what is still missing or different is sent
        again (MERGEs carry fresh ETags then). Each op carries the row it wants (``desired``),
        so the re-plan needs nothing else.
        """
        known = len(report.added) + len(report.changed) + len(report.marked) + report.unchanged
        pages = max(1, math.ceil(known / self.page_size))  # what a full re-read would cost
        items = KeyedItems(self.conn, spec, owned, page_size=self.page_size)
        for _round in range(MAX_REPLAN_ROUNDS):
            replan = unknown + out.gone
            if not replan:
                break
            keys = {op.key for op in replan}
            if unknown:
                report.replans += 1
                logger.warning(
                    "%s/%s: the answer to a $batch of %d write(s) was lost; re-reading %d "
                    "key(s) and re-planning instead of re-sending",
                    self.conn.site_path,
                    spec.title,
                    len(unknown),
                    len(keys),
                )
            report.gone += len(out.gone)  # deleted by a person meanwhile: re-added or dropped
            out.gone = []
            fresh = items.dedupe(items.read_keys(keys, pages), report, dry_run=False)
            incoming = {op.key: op.desired for op in replan if op.kind != "mark"}
            marks = next((op.desired for op in replan if op.kind == "mark"), {})
            ops = self._plan(spec, owned, incoming, fresh, marks, None, wire)
            unknown = self._send_batches(spec, owned, ops, out, wire)
        for op in unknown + out.gone:
            report.failed[op.key] = (
                f"the answer to its $batch was lost {MAX_REPLAN_ROUNDS + 1} times; "
                "the next run re-reads and completes it"
            )
        for op, error in out.refused:
            quarantine_refused(report, op, error)
        refused = {op.key for op, _error in out.refused}
        for op in out.conflicts:
            if op.key not in report.failed and op.key not in refused:
                self._resolve_conflict(spec, owned, op, report, wire)

    def _send_batches(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        ops: list[BatchOp],
        out: BatchOutcomes,
        wire: Wire,
    ) -> list[BatchOp]:
        """Sends the ops of one list in batches; returns the ops with unknown outcome."""
        lane = _Lane(owned, wire, out, self._entity_type(spec) if ops else "")
        return self._send_lanes([(op, lane) for op in ops]).get(id(lane), [])

    def _send_lanes(self, ops: list[tuple[BatchOp, _Lane]]) -> dict[int, list[BatchOp]]:
        """Sends ``ops`` (of one list or several, each with its list's ``_Lane``) in batches of
        ``batch_size``; returns, by ``id`` of the lane, the ops whose outcome is unknown.

        A body is made as its batch goes and dropped once answered (a refused one is kept for
        its report): a re-plan and a 412 work from the op's ``desired`` row, not its body."""
        unknown: dict[int, list[BatchOp]] = {}
        lane_of = {id(op): lane for op, lane in ops}
        for i in range(0, len(ops), self.batch_size):
            batch = ops[i : i + self.batch_size]
            for op, lane in batch:
                if op.fields is not None:
                    values = _wanted(op, lane.wire)
                    op.body = _body(lane.owned, {n: values.get(n) for n in op.fields})
                op.body["__metadata"] = {"type": lane.type_name}
            lost = send_batch(self.conn, [op for op, _ in batch], lambda op: lane_of[id(op)].out)
            for op in lost:
                unknown.setdefault(id(lane_of[id(op)]), []).append(op)
            lanes = {id(lane): lane for _op, lane in batch}.values()
            refused = {id(op) for lane in lanes for op, _error in lane.out.refused}
            for op, _lane in batch:
                if op.fields is not None and id(op) not in refused:
                    op.body = {}
        return unknown

    def _resolve_conflict(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        op: BatchOp,
        report: SharePointWriteReport,
        wire: Wire,
    ) -> None:
        """A 412: someone changed the item since we read it. Re-read it and re-apply our row.

        The diff is taken again against the fresh version over all owned columns of the row,
        so an owned column edited meanwhile is put back too (as the next run would anyway).
        """
        report.conflicts += 1
        wanted = _wanted(op, wire)
        assert op.item_id is not None
        select = ",".join(["Id", *(c.wire_name for c in owned.values())])
        for _attempt in range(MAX_CONFLICT_ATTEMPTS):
            try:
                raw = self.conn.get_json(
                    self._item_url(spec, op.item_id) + f"?$select={select}",
                    route=f"item {op.item_id} of '{spec.title}'",
                )
            except SharePointRequestError as exc:
                if exc.status != 404:
                    raise
                return self._readd(spec, owned, op, report, wanted)
            fresh = owned_values(raw, owned)
            changes = self._diff(owned, fresh, wanted)
            if not changes:
                return None
            body = self._item_body(spec, owned, changes)
            try:
                self.conn.send(
                    "MERGE",
                    self._item_url(spec, op.item_id),
                    route=f"update item {op.item_id} of '{spec.title}'",
                    body=body,
                    headers={"IF-MATCH": etag_of(raw) or "*"},
                )
                return None
            except VersionConflictError:
                continue
            except SharePointRequestError as exc:
                if exc.status == 404:
                    return self._readd(spec, owned, op, report, wanted)
                if exc.status in ROW_REFUSALS:
                    op.body = body  # the report names what was refused (the batch's is gone)
                    return quarantine_refused(report, op, str(exc))
                raise
        report.failed[op.key] = (
            f"item {op.item_id} kept changing (412 {MAX_CONFLICT_ATTEMPTS} times)"
        )
        return None

    def _item_body(
        self, spec: ListSpec, owned: dict[str, ColumnSpec], values: dict[str, Any]
    ) -> dict[str, Any]:
        """One item's write body outside a batch: owned values and the list's entity type."""
        return {**_body(owned, values), "__metadata": {"type": self._entity_type(spec)}}

    def _readd(
        self,
        spec: ListSpec,
        owned: dict[str, ColumnSpec],
        op: BatchOp,
        report: SharePointWriteReport,
        wanted: dict[str, Any],
    ) -> None:
        """A person deleted the item during the run: the plan's row (``wanted``, in
        SharePoint's terms) is added again (a row only being marked gone is dropped: there is
        nothing left to mark)."""
        report.gone += 1
        if op.kind == "mark":
            return
        body = self._item_body(
            spec, owned, {n: v for n, v in wanted.items() if v not in (None, "")}
        )
        try:
            self.conn.send(
                "POST", self._items_url(spec), route=f"add item to '{spec.title}'", body=body
            )
        except SharePointRequestError as exc:
            if exc.status not in ROW_REFUSALS:
                raise
            op.body = body  # the report names what was refused (the batch's is gone)
            quarantine_refused(report, op, str(exc))


def _wanted(op: BatchOp, wire: Wire) -> dict[str, Any]:
    """What ``op`` writes, in SharePoint's terms: its row put so (marks are written as given)."""
    return op.desired if op.kind == "mark" else wire(op.desired)


def _irregular(report: SharePointWriteReport, out: BatchOutcomes) -> bool:
    """An outcome the copy cannot follow: the list is read and diffed next time."""
    return bool(report.failed or report.replans or report.conflicts or report.gone or out.refused)


def _answer_id(answer: Any) -> int | None:
    """The item id an add's answer carries (``{"d": {"Id": 42, ...}}``)."""
    body = answer.get("d", answer) if isinstance(answer, dict) else None
    value = body.get("Id") if isinstance(body, dict) else None
    return int(value) if value is not None else None


def _answer_etag(answer: Any) -> str | None:
    body = answer.get("d", answer) if isinstance(answer, dict) else None
    meta = body.get("__metadata") if isinstance(body, dict) else None
    etag = meta.get("etag") if isinstance(meta, dict) else None
    return str(etag) if etag else None


def _body(owned: dict[str, ColumnSpec], values: dict[str, Any]) -> dict[str, Any]:
    """The wire body of owned ``values`` (by internal name); other columns are never written."""
    return {
        owned[n].wire_name: wire_value(owned[n].kind, v) for n, v in values.items() if n in owned
    }
