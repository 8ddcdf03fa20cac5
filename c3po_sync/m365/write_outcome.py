"""What becomes of a write SharePoint refused for that row alone: it is quarantined, located."""

from __future__ import annotations

import json
from typing import Any

from c3po_sync.m365.batch import BatchOp
from c3po_sync.sinks.base import WriteReport
from c3po_sync.sinks.limits import RefusedValue, shown


def quarantine_refused(report: WriteReport, op: BatchOp, error: str) -> None:
    """Records a write SharePoint refused (400/500 for that row) with the server's message.

    The row's key leaves the report's added/changed/marked lists: it was not written. The
    columns named are those the write carried; the server's message usually names the one.
    """
    values: dict[str, Any] = {k: v for k, v in op.body.items() if k != "__metadata"}
    report.quarantined.append(
        RefusedValue(
            list_title=report.list_title,
            key=op.key,
            column=", ".join(sorted(values)) or "(row)",
            value=shown(json.dumps(values, ensure_ascii=False, default=str)),
            reason=f"SharePoint refused the write: {error}",
        )
    )
    if op.key in report.added:
        report.added.remove(op.key)
    if op.key in report.marked:
        report.marked.remove(op.key)
    report.changed.pop(op.key, None)
