"""Council report (audit rec 9): the rollup of what changed since the last council report."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.errors import C3POError
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.steps.rollup import build_and_upload, current_snapshot_run, report_title
from c3po_sync.rules.deltas import compute_deltas
from c3po_sync.state import timeline
from c3po_sync.state.store import RunNotFoundError, StateStore

PREFIX = "C3PO Council Report"


def run_council_report(ctx: RunContext) -> None:
    """Writes "C3PO Council Report <date>.xlsx": changes and scorecard trend since the last
    council report; the first report compares with the oldest snapshot still kept, so it
    covers as much history as the store holds."""
    mark = timeline.bookmark(ctx.store, timeline.LAST_COUNCIL_REPORT)
    now_run = current_snapshot_run(ctx)
    if mark is not None:
        base: int | None = int(mark["run_id"])
    else:
        base = timeline.oldest_snapshot_run(ctx.store) if now_run else None
    title = report_title(PREFIX, ctx.result.job, "council-report")
    build_and_upload(ctx, bookmark=timeline.LAST_COUNCIL_REPORT, prefix=title, base_run=base)


class DeltaRangeError(C3POError, LookupError):
    """The runs or date asked for do not exist in the state store; the message says which."""


def deltas_between(
    store: StateStore,
    *,
    since_run: int | None = None,
    since: date | None = None,
    to_run: int | None = None,
    tz: ZoneInfo | None = None,
) -> tuple[pd.DataFrame, int, int]:
    """Deltas from a baseline snapshot to ``to_run``'s (default: the newest), for the CLI.

    The baseline is ``since_run``, else the last snapshot taken before ``since`` began, else
    the last council report's run, else the previous snapshot. Returns (deltas, base, to).
    """
    to = to_run if to_run is not None else store.latest_snapshot_run()
    if to is None:
        raise DeltaRangeError(f"no snapshot in {store.url}: run a job with 'sync' first")
    base: int | None
    if since_run is not None:
        base = since_run
    elif since is not None:
        base = timeline.snapshot_run_before(store, since, tz)
        if base is None:
            raise DeltaRangeError(f"no snapshot taken before {since} in {store.url}")
    else:
        mark = timeline.bookmark(store, timeline.LAST_COUNCIL_REPORT)
        base = int(mark["run_id"]) if mark else store.latest_snapshot_run(before_run=to)
        if base is None:
            raise DeltaRangeError(
                f"only one snapshot (run {to}) in {store.url}: nothing to compare"
            )
    if base >= to:
        raise DeltaRangeError(f"baseline run {base} is not before run {to}")
    try:
        before, after = store.load_snapshot(base), store.load_snapshot(to)
    except RunNotFoundError as e:
        raise DeltaRangeError(f"{e} (snapshots may have been pruned)") from None
    events = timeline.finding_events_between(store, base, to)
    return compute_deltas(before, after, events), base, to
