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
  review overdue) can only change when the day does. On a new day only the date-driven rules
  whose horizon has come (``rules/horizons.py``: the first day each verdict can change) are
  re-checked, over the stored tables they read; every other verdict and finding is carried
  from the stored evaluation, which is kept for exactly this: the evaluation run whose rows are
  current, each date-driven rule's horizon, and whether that evaluation recorded every finding
  it made (no source left stale, so the open findings are exactly its findings).
- **the hub diff** of a list is skipped when the rows it would write hash the same as the rows
  last written to it, and the hub's change log shows no item or field change in that list
  since (only this product's own writes, counted against the write reports).
- **the rollup upload** is skipped when today's workbook was already uploaded and nothing in
  it changed (no evaluation, no hub write: its date, figures and findings are the same).
- **the intake read** (``pipeline/intake_watch.py``) is skipped when the hub's change log,
  read once for the whole run, shows no change to the intake list since it was last read but
  the triage this product wrote itself, and the triage's inputs (rules, mappings, the tables
  the PPMs come from) are those it was triaged with: a new or edited request is triaged the
  night it arrives.

What was uploaded to the hub's libraries, and whether it is still there as uploaded, is kept
by ``pipeline/upload_watch.py``. The hub's change log is read once per run (:func:`hub_watch`),
and the hub's rights are asked only right before the run's first hub write
(``RunContext.before_hub_write``): a night with nothing to write costs one change-log read per
source site and one for the hub.
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
from c3po_sync.rules.horizons import due
from c3po_sync.sinks.base import WriteReport
from c3po_sync.sources.incremental import ChangeTokenExpiredError, SiteChanges

log = logging.getLogger(__name__)

QUIET = "pipeline:quiet"  # checkpoint: inputs, day last evaluated, figures of the stored tables
HUB_WATCH = "hub:watch"  # checkpoint: hub change token, list ids, rows last written, dirty lists
# What a quiet night keeps of the last evaluation; new tables make all of it stale.
EVALUATION_KEYS = ("evaluated_day", "findings_by_recommendation", "horizons", "eval_run", "whole")


def inputs_fingerprint(inputs: RunInputs) -> str:
    """What the stored tables and findings were made from, besides the data itself (the job
    is not: any job that syncs builds the same tables).

    Taken once per run: the repr of a city's mappings is ~170 KB, and a night asks for the
    fingerprint ~24 times (each step, each hub list's plan). The value is reused only for the
    very objects it was taken of (compared by identity, so a settings, rules or mappings list
    swapped in, e.g. ``dataclasses.replace``/``model_copy``, is fingerprinted anew), and only
    within the run that took it (``RunContext`` drops it at a run's start). Within a run they
    do not change: all three are frozen pydantic models (assignment raises) that the steps
    only read (tests/pipeline/test_inputs_fingerprint.py checks a night leaves them as given).
    """
    held = (inputs.settings, inputs.rules, *inputs.mappings)
    kept = inputs.fingerprinted
    if (
        kept is not None
        and len(kept[0]) == len(held)
        and all(a is b for a, b in zip(kept[0], held, strict=True))
    ):
        return kept[1]
    value = _fingerprint_of(inputs)
    inputs.fingerprinted = (held, value)
    return value


def _fingerprint_of(inputs: RunInputs) -> str:
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
    for stale_key in EVALUATION_KEYS + ("rollup_day",):
        state.pop(stale_key, None)  # new tables: not evaluated, no workbook of them uploaded
    state.update(
        records=records,
        tables=ctx.result.tables,
        quarantined=ctx.result.quarantined,
        made_by=ctx.result.run_id,
    )
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


def recheck_plan(ctx: RunContext) -> list[str] | None:
    """A quiet night on a later day than the stored evaluation's: the date-driven rules whose
    horizon has come by today (none: every verdict stands). None when the stored evaluation
    cannot stand for today's: sources not all read unchanged, other inputs, an evaluation that
    left findings unresolved (a stale source), or the stored rows not the newest."""
    if not ctx.quiet_sources or ctx.source_findings or ctx.inputs.adopt_history:
        return None
    state = _quiet_state(ctx)
    day, horizons, run = state.get("evaluated_day"), state.get("horizons"), state.get("eval_run")
    if (
        state.get("inputs") != inputs_fingerprint(ctx.inputs)
        or not isinstance(state.get("findings_by_recommendation"), dict)
        or not state.get("whole")
        or not isinstance(horizons, dict)
        or day is None
        or str(day) > ctx.inputs.today.isoformat()  # the calendar went back: judge afresh
        or run is None
        or ctx.store.latest_evaluation_run() != run
    ):
        return None
    return due(horizons, ctx.inputs.today)


def stored_horizons(ctx: RunContext) -> tuple[dict[str, str | None], int]:
    """The stored evaluation's horizons and the run whose evaluation rows are current."""
    state = _quiet_state(ctx)
    return dict(state.get("horizons") or {}), int(state["eval_run"])


def stored_findings_counts(ctx: RunContext) -> dict[int, int]:
    counts = _quiet_state(ctx).get("findings_by_recommendation") or {}
    return {int(k): int(v) for k, v in counts.items()}


def remember_evaluation(
    ctx: RunContext,
    horizons: dict[str, str | None] | None = None,
    *,
    eval_run: int | None = None,
    whole: bool = False,
) -> None:
    """After an evaluate (or a quiet new day's re-check): its day, figures and, for the next
    quiet day, the date-driven rules' horizons, the run holding its evaluation rows and whether
    its findings were recorded whole (open findings = its findings)."""
    state = _quiet_state(ctx)
    if state.get("inputs") != inputs_fingerprint(ctx.inputs):
        return  # tables built from other inputs (a job that does not sync): nothing to vouch for
    state.update(
        made_by=ctx.result.run_id,
        evaluated_day=ctx.inputs.today.isoformat(),
        findings_by_recommendation={
            str(k): v for k, v in ctx.result.findings_by_recommendation.items()
        },
        horizons=horizons,
        eval_run=eval_run,
        whole=whole and horizons is not None and eval_run is not None,
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


def made_by(ctx: RunContext) -> int | None:
    """The run that last built the stored tables or findings: the hub lists are current
    only if written (or found unchanged) after it."""
    value = _quiet_state(ctx).get("made_by")
    return int(value) if value is not None else None


def hub_watch(ctx: RunContext) -> HubWatch:
    """The hub's change log for this run, read once (one request when idle) and shared by
    the steps that write to the hub."""
    if ctx.hub_watch is None:
        ctx.hub_watch = HubWatch.open(ctx)
    return ctx.hub_watch


def rows_digest(rows: list[dict[str, Any]], gone: dict[str, Any]) -> str:
    """One hash of everything an upsert of ``rows`` (and ``gone`` for the rest) would write.

    The hash of ``json.dumps([rows, gone])``, fed a row at a time: the JSON text of a list
    of 20,000 rows is not held at once (the same bytes, so the same digest as before)."""
    digest = hashlib.sha256(b"[[")
    for i, row in enumerate(rows):
        digest.update((b"," if i else b"") + _json(row).encode())
    digest.update(b"]," + _json(gone).encode() + b"]")
    return digest.hexdigest()


# One encoder for every row (json.dumps with options makes a new one per call).
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, default=str, separators=(",", ":"))


def _json(value: Any) -> str:
    return _DIGEST_JSON.encode(value)


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
    since: str | None = None  # the stored token this run's changes were read after
    changes: SiteChanges | None = None  # what the log said since; None: not known
    lists_for: int | None = None  # made_by() when the lists were last written or kept
    after: SiteChanges | None = None  # the log from ``token`` past this run's list writes
    # Counts the runs that saw (or could not rule out) a list or field change anywhere on the
    # hub: what was learnt of the hub's lists and libraries holds while it stays the same.
    epoch: int = 0
    # list title -> ListItemEntityTypeFullName (fixed for a list's life): kept while no list
    # or field changed on the hub, so a night's writes need not ask for it again
    types: dict[str, str] = field(default_factory=dict)
    uploaded: dict[str, int] = field(default_factory=dict)  # library -> files uploaded this run
    upload_urls: dict[str, str] = field(default_factory=dict)  # library -> a file uploaded there
    published: dict[str, Any] = field(default_factory=dict)  # what the uploads showed (digests)
    reshaped: bool = False  # this run created or changed a list, column or view on the hub

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
        lists_for = state.get("for")
        watch.lists_for = int(lists_for) if lists_for is not None else None
        watch.epoch = int(state.get("epoch") or 0) + 1  # unknown until the log says otherwise
        stored = state.get("token")
        try:
            if not stored:
                watch.token = log_.current_token()
                return watch
            changes = log_.changes_since(str(stored))
        except ChangeTokenExpiredError as exc:
            log.info("hub change token refused (%s): diffing every hub list", exc)
            watch.token = unknown_on_error(log_.current_token)
            return watch
        except Exception as exc:  # unknown is not "unedited": diff as before
            log.warning("hub change log unreadable (%s: %s): diffing every hub list",
                        type(exc).__name__, exc)  # fmt: skip
            return watch
        watch.token = changes.token
        watch.since, watch.changes = str(stored), changes
        if not (changes.schema_changed or changes.all_schemas_changed):
            watch.epoch -= 1  # no list or field changed anywhere on the hub
            watch.types = {str(k): str(v) for k, v in (state.get("types") or {}).items()}
        if changes.all_schemas_changed:
            return watch  # a site column changed: which lists it reaches is not known
        by_id = {v: k for k, v in watch.ids.items()}
        ours = {str(k): int(v) for k, v in (state.get("pending") or {}).items()}
        # A list is edited when its change rows are not exactly the writes the last run made
        # after the stored token (none when that run read the log past its writes).
        rows = changes.item_rows
        touched = {i for i in changes.lists if rows.get(i, 0) != ours.get(by_id.get(i, ""), 0)}
        touched |= changes.schema_changed
        edited = {by_id[i] for i in touched if i in by_id}
        edited |= {t for t, n in ours.items() if n and rows.get(watch.ids.get(t, ""), 0) != n}
        watch.schema_touched = {by_id[i] for i in changes.schema_changed if i in by_id}
        watch.edited = edited | {str(t) for t in state.get("dirty") or []}
        return watch

    def vouches(self, title: str) -> bool:
        """The hub's change log, read this run, shows no change to the list since the stored
        token but this product's own writes: its stored copy (``pipeline/hub_copy.py``) is
        what the list holds."""
        key = title.casefold()
        return self.edited is not None and key not in self.edited and key in self.ids

    def unchanged(self, title: str, digest: str, rows: int) -> bool:
        """The rows equal those last written and nobody touched the list since."""
        self.new_digests[title.casefold()] = digest
        self.rows[title] = rows
        key = title.casefold()
        return (
            self.edited is not None and key not in self.edited and self.digests.get(key) == digest
        )

    def partly(self, title: str, rows: int, *, same: bool) -> None:
        """The list planned only in the rows that could differ (``pipeline/hub_plan.py``):
        ``rows`` it is planned with; ``same``: none could, so the digest of its rows stands,
        else it is not known (a later full plan is diffed against the stored copy)."""
        key = title.casefold()
        self.rows[title] = rows
        self.new_digests[key] = self.digests.get(key, "") if same else ""

    def provisioned(self, spec: Any) -> bool:
        """The list was provisioned from this very spec and its schema is untouched since:
        ``ensure_list`` (a list and a fields read) has nothing to find."""
        key = spec.title.casefold()
        return (
            self.edited is not None
            and key not in self.schema_touched
            and self.specs.get(key) == spec_digest(spec)
        )

    def ensured(self, spec: Any, changed: bool = True) -> None:
        self.specs[spec.title.casefold()] = spec_digest(spec)
        self.reshaped = self.reshaped or changed

    def nothing_edited(self) -> bool:
        """Nobody touched the lists since they were last written, and that write (or keep)
        came after the stored tables and findings were made: a night that failed between its
        evaluate and its hub writes leaves the lists behind its findings."""
        return (
            self.edited is not None
            and not self.edited
            and self.lists_for is not None
            and self.lists_for == made_by(self.ctx)
        )

    def wrote(self, report: WriteReport) -> None:
        recycled = getattr(report, "recycled", None) or {}
        self.written[report.list_title.casefold()] = report.writes + sum(
            len(ids) for ids in recycled.values()
        )

    def settle(self) -> None:
        """After the writes: where the next run reads the change log from, and which lists
        someone else touched meanwhile.

        When this run only wrote items to lists it knew (no list or column created, every
        list's id known, the log read at the start), the log is not read again: the token
        stays where this run started and the next run counts these writes among the change
        rows it reads anyway (``pending``), so an edit made meanwhile is still found, one
        request later. Otherwise the log is read past the writes now, as before: their
        change rows (their count against our writes) say which lists someone else touched
        (they are diffed next time), and a list or field change moves the epoch.
        """
        log_ = self.ctx.ports.hub_changes
        if log_ is None or self.ctx.dry_run or self.token is None:
            return
        dirty: set[str] = set()
        token = self.token
        pending: dict[str, int] = {}
        deferred = (
            self.edited is not None
            and not self.reshaped
            and all(k in self.ids for k in self.new_digests)
        )
        if deferred:  # list title -> change rows our writes made after the kept token
            pending = {k: n for k, n in self.written.items() if n}
        elif any(self.written.values()) or self.edited is None:
            try:
                if any(k not in self.ids for k in self.new_digests):
                    self.ids = {k: v for k, v in log_.list_ids().items() if k in self.new_digests}
                changes = log_.changes_since(self.token)
            except Exception as exc:  # not known: keep no token, diff everything next time
                log.warning("hub change log unreadable after the writes (%s)", exc)
                self.ctx.store.set_checkpoint(HUB_WATCH, {"epoch": self.epoch + 1})
                return
            token, self.after = changes.token, changes
            if changes.schema_changed or changes.all_schemas_changed:
                self.epoch += 1
                self.types = {}
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
                "pending": pending,
                "rows": self.rows,
                "specs": {k: v for k, v in self.specs.items() if k not in dirty},
                "for": made_by(self.ctx),
                "epoch": self.epoch,
                "types": self.types,
            },
        )

    def keep(self) -> list[WriteReport]:
        """Nothing to write and nothing edited: the change-log position moves on; returns each
        list's report (no write, its rows unchanged) for the run summary and the write log."""
        if not self.ctx.dry_run and self.token is not None and self.edited is not None:
            state = self.ctx.store.get_checkpoint(HUB_WATCH) or {}
            self.ctx.store.set_checkpoint(
                HUB_WATCH,
                {
                    **state,
                    "token": self.token,
                    "pending": {},  # the log was read past them: counted this run
                    "for": made_by(self.ctx),
                    "epoch": self.epoch,
                    "types": self.types,
                },
            )
        dry = self.ctx.dry_run
        return [WriteReport(t, unchanged=n, dry_run=dry) for t, n in self.rows.items()]


def spec_digest(spec: Any) -> str:
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def unknown_on_error(fn: Any) -> Any:
    try:
        return fn()
    except Exception:  # noqa: BLE001 - unknown stays unknown
        return None


def hub_token(ctx: RunContext) -> str | None:
    """Where the hub's watch keeps its change-log position now (after this run's writes)."""
    state = ctx.store.get_checkpoint(HUB_WATCH)
    token = state.get("token") if isinstance(state, dict) else None
    return str(token) if token else None
