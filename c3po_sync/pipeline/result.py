"""What a run did, in a form the CLI prints and the state store records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c3po_sync.sinks.base import WriteReport
from c3po_sync.sources.reconcile import SourceDifference


@dataclass
class SourceOutcome:
    """One source's read: how many rows, or why it failed."""

    source: str
    records: int = 0
    error: str | None = None
    # data (list/column changed: a finding), auth or unreachable (no finding: rows kept)
    kind: str | None = None


@dataclass
class RunResult:
    run_id: int
    job: str
    outcome: str = "running"  # ok | partial | failed
    sources: list[SourceOutcome] = field(default_factory=list)
    sites: set[str] = field(default_factory=set)
    tables: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    findings_by_recommendation: dict[int, int] = field(default_factory=dict)
    # Recommendation -> why none of its checks could run (rules.recommendations_not_checked):
    # shown as "not checked" in the summary, never as a recommendation without findings.
    not_checked: dict[int, str] = field(default_factory=dict)
    opened: int = 0
    resolved: int = 0
    reopened: int = 0
    writes: list[WriteReport] = field(default_factory=list)
    workbook: Path | None = None
    uploaded_to: str | None = None
    requests: int = 0
    # SharePoint resource units those requests cost (m365/resource_units.py), and the steps
    # a quiet night skipped because nothing they read had changed (pipeline/quiet.py).
    resource_units: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    dry_run: bool = False
    # Run-level failure (tenant-unreachable, auth-refused, hub-unreachable): nothing recorded.
    failure: str | None = None
    # Sources not re-read this run whose last good rows were kept (pipeline.carry.StaleSource).
    stale: list[Any] = field(default_factory=list)
    # What a dry run would have done besides the list writes (workbook, upload).
    planned: list[str] = field(default_factory=list)
    # The intake step's summary (pipeline.steps.intake.IntakeSummary); None when not run.
    intake: Any = None
    # Where the dashboard pages were written (a Path) and uploaded (a URL), with what each is.
    dashboard: list[tuple[str, Path | str]] = field(default_factory=list)
    # reconcile jobs: per source, what a full read found that the incremental reads had missed
    reconciled: list[SourceDifference] = field(default_factory=list)
    # notify step: one outcome per PPM digest (pipeline.steps.notify.DigestOutcome)
    digests: list[Any] = field(default_factory=list)
    # notify step: open findings that name no PPM, so no digest told them (None: not run)
    findings_without_ppm: int | None = None

    @property
    def items_read(self) -> int:
        return sum(s.records for s in self.sources)

    @property
    def failed_sources(self) -> list[SourceOutcome]:
        return [s for s in self.sources if s.error]

    def counts(self) -> dict[str, object]:
        """The figures kept in run history."""
        return {
            "sources": len(self.sources),
            "failed_sources": len(self.failed_sources),
            "not_reread": {s.label: s.note() for s in self.stale},
            "items_read": self.items_read,
            "tables": self.tables,
            "quarantined": self.quarantined,
            "open_findings": sum(self.findings_by_recommendation.values()),
            "opened": self.opened,
            "resolved": self.resolved,
            "reopened": self.reopened,
            "writes": {w.list_title: w.writes for w in self.writes},
            "write_quarantined": sum(len(w.quarantined) for w in self.writes),
            "reconciled": {d.source: d.as_dict() for d in self.reconciled if d.count},
            "requests": self.requests,
            "digests": {
                state: sum(1 for d in self.digests if d.state == state)
                for state in sorted({d.state for d in self.digests})
            },
            "resource_units": self.resource_units,
            "skipped": self.skipped,
        }
