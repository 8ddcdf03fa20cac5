"""The intake list on a quiet night: read only when the hub's change log shows a change to it
other than this product's own triage writes, or the triage's inputs moved (``pipeline/quiet.py``
says how each step skips on evidence read that night)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.quiet import (
    hub_token,
    inputs_fingerprint,
    spec_digest,
    unknown_on_error,
)
from c3po_sync.sources.incremental import SiteChanges

INTAKE_WATCH = "hub:intake"  # checkpoint: token the intake was read after, our writes, summary


def triage_stamp(ctx: RunContext, ppms: dict[str, str] | None) -> dict[str, Any]:
    """What a night's triage rests on besides the requests: the inputs, the snapshot the PPMs
    were suggested from and (when this run holds the tables) those PPMs themselves."""
    ppms_digest = (
        hashlib.sha256(json.dumps(ppms, sort_keys=True).encode()).hexdigest()
        if ppms is not None
        else None
    )
    return {
        "inputs": inputs_fingerprint(ctx.inputs),
        "snapshot": ctx.store.latest_snapshot_run(before_run=ctx.result.run_id + 1),
        "ppms": ppms_digest,
    }


def _intake_state(ctx: RunContext) -> dict[str, Any]:
    value = ctx.store.get_checkpoint(INTAKE_WATCH)
    return value if isinstance(value, dict) else {}


def _intake_log(ctx: RunContext, spec: Any) -> tuple[list[SiteChanges], str] | None:
    """This run's hub changes since the intake list was last read, up to the position the
    hub's watch keeps now (before and past this run's list writes), and the list's id.

    None when not known (no change log read this run, unreadable, or another run moved the
    hub's token in between), or when the list is not as provisioned from ``spec``.
    """
    watch = ctx.hub_watch
    if watch is None or watch.changes is None or watch.since is None:
        return None
    state = _intake_state(ctx)
    list_id = state.get("list_id")
    if not list_id or state.get("token") != watch.since or state.get("spec") != spec_digest(spec):
        return None
    logs = [watch.changes, *([watch.after] if watch.after is not None else [])]
    if any(changes.schema_touched(str(list_id)) for changes in logs):
        return None
    return logs, str(list_id)


def intake_provisioned(ctx: RunContext, spec: Any) -> bool:
    """The intake list was provisioned from ``spec`` and its schema is untouched since."""
    return _intake_log(ctx, spec) is not None


def intake_untouched(ctx: RunContext, spec: Any) -> bool:
    """The hub's change log, read this run, shows no change to the intake list since it was
    last read but the triage writes this product made itself (their change rows counted
    against those writes). Unknown is touched."""
    seen = _intake_log(ctx, spec)
    if seen is None:
        return False
    logs, list_id = seen
    ours = int(_intake_state(ctx).get("written") or 0)
    return sum(changes.item_rows.get(list_id, 0) for changes in logs) == ours


def stored_triage(ctx: RunContext, spec: Any, stamp: dict[str, Any]) -> dict[str, Any] | None:
    """The last triage's summary when reading the intake list again would find and decide
    the same: untouched (:func:`intake_untouched`), triaged with the same inputs and PPMs, and
    nothing left to retry (a problem, a request edited while it was triaged). The list's
    position in the hub's change log moves on to this run's (not in a dry run)."""
    state = _intake_state(ctx)
    last = state.get("stamp") or {}
    same_ppms = last.get("snapshot") == stamp["snapshot"] or (
        stamp["ppms"] is not None and last.get("ppms") == stamp["ppms"]
    )
    summary = state.get("summary")
    token = hub_token(ctx)
    if not (
        intake_untouched(ctx, spec)
        and last.get("inputs") == stamp["inputs"]
        and same_ppms
        and isinstance(summary, dict)
        and token
    ):
        return None
    if not ctx.dry_run:  # what was seen up to the watch's position: nothing of anyone's
        now = {**stamp, "ppms": stamp["ppms"] or last.get("ppms")}  # same triage, these inputs
        ctx.store.set_checkpoint(
            INTAKE_WATCH, {**state, "token": token, "written": 0, "stamp": now}
        )
    return summary


def remember_triage(
    ctx: RunContext,
    spec: Any,
    stamp: dict[str, Any],
    summary: dict[str, Any],
    written: int,
    settled: bool,
) -> None:
    """After a full read of the intake list (not in a dry run): where in the hub's change log
    it was read, the triage writes made, and what was decided. ``settled``: nothing to retry;
    otherwise the list is read again next run whatever its change log says."""
    if ctx.dry_run:
        return
    token = hub_token(ctx)
    hub_log = ctx.ports.hub_changes
    list_id = _intake_state(ctx).get("list_id")
    if ctx.hub_watch is None or not token or hub_log is None or not settled:
        ctx.store.set_checkpoint(INTAKE_WATCH, {"list_id": list_id})  # read again next run
        return
    if not list_id:  # once: the list's id, to find it in the change log
        list_id = (unknown_on_error(hub_log.list_ids) or {}).get(spec.title.casefold())
    ctx.store.set_checkpoint(
        INTAKE_WATCH,
        {
            "token": token,
            "list_id": list_id,
            "spec": spec_digest(spec),
            "written": written,
            "stamp": stamp,
            "summary": summary,
        },
    )
