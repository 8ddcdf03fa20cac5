"""Quiet nights: when nothing a step reads has changed, the step is not re-run.

A nightly run's work follows what changed, not the tenant's size (issue 16). Each step skips
only on evidence read *this* run; anything not known is treated as changed:

- **normalize** is skipped when every source was read through its site's change log and the
  log had nothing for it (no item, list or field change), no source was left stale by the
  previous sync, and the run's inputs (mappings, rules, settings, job, product version) are
  those the stored tables were built with. A source that failed is never "unchanged": the run
  takes the ordinary path, which carries its rows and marks them (``pipeline/carry.py``).
- **evaluate** is skipped when, on top of that, the rules were already evaluated today (the
  site's local day): date-driven findings (status not updated in 60 days, past end of support,
  review overdue) can only change when the day does, so a new day re-evaluates over the stored
  tables, without re-reading or re-normalizing anything.
- **the hub diff** of a list is skipped when the rows it would write hash the same as the rows
  last written to it, and the hub's change log shows no item or field change in that list
  since (only this product's own writes, counted against the write reports).
- **the rollup upload** is skipped when today's workbook was already uploaded and nothing in
  it changed (no evaluation, no hub write: its date, figures and findings are the same).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from c3po_sync import __version__
from c3po_sync.pipeline.carry import load_stale
from c3po_sync.pipeline.context import RunContext, RunInputs
from c3po_sync.sinks.base import WriteReport
from c3po_sync.sources.incremental import ChangeTokenExpiredError

log = logging.getLogger(__name__)

QUIET = "pipeline:quiet"  # checkpoint: inputs, day last evaluated, figures of the stored tables
HUB_WATCH = "hub:watch"  # checkpoint: hub change token, list ids, rows last written, dirty lists


def inputs_fingerprint(inputs: RunInputs) -> str:
    """What the stored tables and findings were made from, besides the data itself (the job
    is not: any job that syncs builds the same tables)."""
    parts = [
        __version__,
        repr(inputs.settings),
        repr(inputs.mappings),
        repr(inputs.rules),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _quiet_state(ctx: RunContext) -> dict[str, Any]:
    value = ctx.store.get_checkpoint(QUIET)
    return value if isinstance(value, dict) else {}


def can_skip_normalize(ctx: RunContext) -> bool:
    """The stored tables are still this run's, provided no source turns out changed."""
    inputs = ctx.inputs
    if inputs.adopt_history or inputs.job.reconcile:
        return False
    state = _quiet_state(ctx)
    if state.get("inputs") != inputs_fingerprint(inputs) or "records" not in state:
        return False
    if ctx.store.latest_snapshot_run(before_run=ctx.result.run_id) is None:
        return False
    return not load_stale(ctx.store)  # last sync kept rows it could not re-read: re-normalize


def stored_counts(ctx: RunContext) -> tuple[dict[str, int], dict[str, int], int]:
    """Items per source key, rows per table and quarantined values of the stored tables."""
    state = _quiet_state(ctx)
    return (
        {str(k): int(v) for k, v in (state.get("records") or {}).items()},
        {str(k): int(v) for k, v in (state.get("tables") or {}).items()},
        int(state.get("quarantined") or 0),
    )


def remember_tables(ctx: RunContext, records: dict[str, int]) -> None:
    """After a normalize: the figures a quiet night reports without rebuilding the tables."""
    state = _quiet_state(ctx)
    fingerprint = inputs_fingerprint(ctx.inputs)
    if state.get("inputs") != fingerprint:
        state = {"inputs": fingerprint}
    for stale_key in ("evaluated_day", "findings_by_recommendation", "rollup_day"):
        state.pop(stale_key, None)  # new tables: not evaluated, no workbook of them uploaded
    state.update(records=records, tables=ctx.result.tables, quarantined=ctx.result.quarantined)
    ctx.store.set_checkpoint(QUIET, state)


def evaluation_current(ctx: RunContext) -> bool:
    """Sources quiet and the rules already evaluated today with these inputs."""
    state = _quiet_state(ctx)
    return (
        ctx.quiet_sources
        and state.get("inputs") == inputs_fingerprint(ctx.inputs)
        and state.get("evaluated_day") == ctx.inputs.today.isoformat()
        and isinstance(state.get("findings_by_recommendation"), dict)
    )


def stored_findings_counts(ctx: RunContext) -> dict[int, int]:
    counts = _quiet_state(ctx).get("findings_by_recommendation") or {}
    return {int(k): int(v) for k, v in counts.items()}


def remember_evaluation(ctx: RunContext) -> None:
    state = _quiet_state(ctx)
    if state.get("inputs") != inputs_fingerprint(ctx.inputs):
        return  # tables built from other inputs (a job that does not sync): nothing to vouch for
    state.update(
        evaluated_day=ctx.inputs.today.isoformat(),
        findings_by_recommendation={
            str(k): v for k, v in ctx.result.findings_by_recommendation.items()
        },
    )
    ctx.store.set_checkpoint(QUIET, state)


def rollup_current(ctx: RunContext, job: str) -> bool:
    """Today's workbook of ``job`` was uploaded and nothing in it changed since."""
    uploaded = _quiet_state(ctx).get("rollup_day", {}).get(job)
    hub_writes = sum(w.writes for w in ctx.result.writes)
    return (
        ctx.quiet_sources
        and not ctx.evaluated
        and hub_writes == 0
        and uploaded == ctx.inputs.today.isoformat()
    )


def remember_rollup(ctx: RunContext, job: str) -> None:
    state = _quiet_state(ctx)
    days = dict(state.get("rollup_day") or {})
    days[job] = ctx.inputs.today.isoformat()
    state["rollup_day"] = days
    ctx.store.set_checkpoint(QUIET, state)


def rows_digest(rows: list[dict[str, Any]], gone: dict[str, Any]) -> str:
    """One hash of everything an upsert of ``rows`` (and ``gone`` for the rest) would write."""
    text = json.dumps([rows, gone], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class HubWatch:
    """What the hub's change log says about the consolidated lists since the last run wrote.

    ``edited``: titles (casefolded) changed by someone else since; None when that is not known
    (first run, token refused, log unreadable): then every list is diffed as before.
    """

    ctx: RunContext
    token: str | None = None  # where this run's writes start in the hub's change log
    edited: set[str] | None = None
    ids: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)  # title -> change rows we caused
    new_digests: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # list title -> rows it holds, as planned
    schema_touched: set[str] = field(default_factory=set)  # titles with list/field changes
    specs: dict[str, str] = field(default_factory=dict)  # title -> digest of the spec provisioned

    @classmethod
    def open(cls, ctx: RunContext) -> HubWatch:
        """Reads the hub's change log since the stored token (one request when idle)."""
        watch = cls(ctx)
        log_ = ctx.ports.hub_changes
        if log_ is None:
            return watch
        state = ctx.store.get_checkpoint(HUB_WATCH)
        state = state if isinstance(state, dict) else {}
        watch.ids = {str(k): str(v) for k, v in (state.get("ids") or {}).items()}
        watch.digests = {str(k): str(v) for k, v in (state.get("digests") or {}).items()}
        watch.rows = {str(k): int(v) for k, v in (state.get("rows") or {}).items()}
        watch.specs = {str(k): str(v) for k, v in (state.get("specs") or {}).items()}
        stored = state.get("token")
        try:
            if not stored:
                watch.token = log_.current_token()
                return watch
            changes = log_.changes_since(str(stored))
        except ChangeTokenExpiredError as exc:
            log.info("hub change token refused (%s): diffing every hub list", exc)
            watch.token = _try(log_.current_token)
            return watch
        except Exception as exc:  # unknown is not "unedited": diff as before
            log.warning("hub change log unreadable (%s: %s): diffing every hub list",
                        type(exc).__name__, exc)  # fmt: skip
            return watch
        watch.token = changes.token
        if changes.all_schemas_changed:
            return watch  # a site column changed: which lists it reaches is not known
        by_id = {v: k for k, v in watch.ids.items()}
        touched = set(changes.lists) | changes.schema_changed
        edited = {by_id[i] for i in touched if i in by_id}
        watch.schema_touched = {by_id[i] for i in changes.schema_changed if i in by_id}
        watch.edited = edited | {str(t) for t in state.get("dirty") or []}
        return watch

    def unchanged(self, title: str, digest: str, rows: int) -> bool:
        """The rows equal those last written and nobody touched the list since."""
        self.new_digests[title.casefold()] = digest
        self.rows[title] = rows
        key = title.casefold()
        return (
            self.edited is not None and key not in self.edited and self.digests.get(key) == digest
        )

    def provisioned(self, spec: Any) -> bool:
        """The list was provisioned from this very spec and its schema is untouched since:
        ``ensure_list`` (a list and a fields read) has nothing to find."""
        key = spec.title.casefold()
        return (
            self.edited is not None
            and key not in self.schema_touched
            and self.specs.get(key) == _spec_digest(spec)
        )

    def ensured(self, spec: Any) -> None:
        self.specs[spec.title.casefold()] = _spec_digest(spec)

    def nothing_edited(self) -> bool:
        return self.edited is not None and not self.edited

    def wrote(self, report: WriteReport) -> None:
        recycled = getattr(report, "recycled", None) or {}
        self.written[report.list_title.casefold()] = report.writes + sum(
            len(ids) for ids in recycled.values()
        )

    def settle(self) -> None:
        """After the writes: the change log position past them and which lists someone else
        touched meanwhile (their change rows outnumber our writes: they are diffed next time).
        """
        log_ = self.ctx.ports.hub_changes
        if log_ is None or self.ctx.dry_run or self.token is None:
            return
        dirty: set[str] = set()
        token = self.token
        if any(self.written.values()) or self.edited is None:
            try:
                if any(k not in self.ids for k in self.new_digests):
                    self.ids = {k: v for k, v in log_.list_ids().items() if k in self.new_digests}
                changes = log_.changes_since(self.token)
            except Exception as exc:  # not known: keep no token, diff everything next time
                log.warning("hub change log unreadable after the writes (%s)", exc)
                self.ctx.store.set_checkpoint(HUB_WATCH, {})
                return
            token = changes.token
            for title in self.new_digests:
                list_id = self.ids.get(title)
                rows = changes.item_rows.get(list_id, 0) if list_id else None
                if rows != self.written.get(title, 0) or (
                    list_id and changes.schema_touched(list_id) and title not in self.written
                ):
                    dirty.add(title)
        digests = {**self.digests, **self.new_digests}
        for title in dirty:
            digests.pop(title, None)
        self.ctx.store.set_checkpoint(
            HUB_WATCH,
            {
                "token": token,
                "ids": self.ids,
                "digests": digests,
                "dirty": sorted(dirty),
                "rows": self.rows,
                "specs": {k: v for k, v in self.specs.items() if k not in dirty},
            },
        )

    def keep(self) -> list[WriteReport]:
        """Nothing to write and nothing edited: the change-log position moves on; returns each
        list's report (no write, its rows unchanged) for the run summary and the write log."""
        if not self.ctx.dry_run and self.token is not None and self.edited is not None:
            state = self.ctx.store.get_checkpoint(HUB_WATCH) or {}
            self.ctx.store.set_checkpoint(HUB_WATCH, {**state, "token": self.token})
        dry = self.ctx.dry_run
        return [WriteReport(t, unchanged=n, dry_run=dry) for t, n in self.rows.items()]


def _spec_digest(spec: Any) -> str:
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def _try(fn: Any) -> Any:
    try:
        return fn()
    except Exception:  # noqa: BLE001 - unknown stays unknown
        return None
