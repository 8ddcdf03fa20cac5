"""The digests the opt-in notify job would send, from what a run left in the state store.

For the demo: no request, no message, nothing recorded; ``c3po-sync run notify`` sends them.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from c3po_sync.notify import render
from c3po_sync.notify.digest import Digest, build_digests
from c3po_sync.pipeline.context import RunInputs
from c3po_sync.state import notifications
from c3po_sync.state.store import StateStore


def would_send(store: StateStore, inputs: RunInputs) -> list[Digest]:
    """Digests of the findings and projects the last snapshot holds, minus what was told."""
    run = store.latest_snapshot_run()
    if run is None:
        return []
    rules = inputs.rules
    notify = inputs.settings.notify
    return build_digests(
        store.findings(),
        store.load_snapshot(run).projects,
        inputs.today,
        told=notifications.told(store.engine),
        opted_out=set(),
        due_within_days=notify.due_within_days if notify else 30,
        phases=rules.phases,
        inactive_phases=rules.inactive_phases,
        halted_states=rules.state_documents,
    )


def print_digest_preview(console: Console, inputs: RunInputs) -> None:
    """One line per PPM digest, then the first one as its reader would see it."""
    store = StateStore(inputs.settings.resolved_state_url)
    try:
        digests = would_send(store, inputs)
    finally:
        store.close()
    if not digests:
        console.print("digests: none to send")
        return
    console.print(
        f"digests the notify job would send ({len(digests)}, one per PPM; opt-in: "
        "`c3po-sync run notify`, then `c3po-sync sandbox mail`):"
    )
    for d in digests:
        console.print(escape(f"  {d.ppm}: {render.subject(d)}"), soft_wrap=True)
    hub = inputs.settings.tenant.base_url + inputs.settings.hub_site
    console.print(escape(f"first digest, as text:\n{render.text(digests[0], hub)}"), soft_wrap=True)
