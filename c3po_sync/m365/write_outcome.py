"""What an upsert did, and what becomes of a write SharePoint refused for that row alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.m365.batch import BatchOp
from c3po_sync.m365.errors import M365Error
from c3po_sync.sinks.base import PartialWriteError, WriteReport
from c3po_sync.sinks.limits import RefusedValue, shown


@dataclass
class SharePointWriteReport(WriteReport):
    """``WriteReport`` plus what only SharePoint can go wrong with."""

    duplicates: dict[str, list[int]] = field(default_factory=dict)  # key -> ids left alone
    recycled: dict[str, list[int]] = field(default_factory=dict)  # key -> extra ids we removed
    replans: int = 0  # batches whose answer was lost, re-read and re-planned
    conflicts: int = 0  # 412s re-read and re-applied
    failed: dict[str, str] = field(default_factory=dict)  # key -> error
    gone: int = 0  # items a person deleted during the run: re-planned (re-added or dropped)

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


class UpsertError(M365Error, PartialWriteError):
    """Some writes failed for good; ``report`` says what was done and what failed."""

    def __init__(self, message: str, report: SharePointWriteReport) -> None:
        super().__init__(message, report)
        self.report: SharePointWriteReport = report


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
