"""Runs a job's steps in pipeline order: sync, evaluate, write lists, rollup."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.config.jobs import Job
from c3po_sync.config.settings import Settings
from c3po_sync.model.schema import FINDINGS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize import SchemaDriftError, check_drift, normalize, required_columns
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.result import RunResult, SourceOutcome
from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.sinks.hub_lists import (
    FINDING_GONE,
    FINDINGS_LIST,
    PORTFOLIO,
    PORTFOLIO_GONE,
    findings_rows,
    portfolio_rows,
)
from c3po_sync.sources.base import SourceBatch
from c3po_sync.state.store import StateStore

log = logging.getLogger(__name__)


@dataclass
class RunInputs:
    """Everything a run is given; validated before the first request."""

    job: Job
    settings: Settings
    mappings: list[SourceMapping]
    rules: RulesConfig
    today: date
    trigger: str = "manual"
    dry_run: bool = False


@dataclass
class _State:
    tables: CanonicalTables | None = None
    source_findings: list[dict] = field(default_factory=list)
    findings: pd.DataFrame | None = None
    history: pd.DataFrame | None = None


class JobRunner:
    """One job run over the given ports and state store; records the run whatever happens."""

    def __init__(self, inputs: RunInputs, ports: Ports, store: StateStore) -> None:
        self.inputs = inputs
        self.ports = ports
        self.store = store
        self.tz = ZoneInfo(inputs.settings.time_zone)

    def run(self) -> RunResult:
        job = self.inputs.job
        run_id = self.store.start_run(job.id, self.inputs.trigger)
        result = RunResult(run_id=run_id, job=job.id, dry_run=self.inputs.dry_run)
        state = _State()
        try:
            for step in job.ordered_steps:
                log.info("run %s: step %s", run_id, step)
                getattr(self, f"_step_{step}")(state, result)
            result.outcome = "partial" if result.failed_sources else "ok"
        except Exception as e:
            result.outcome = "failed"
            result.error = f"{type(e).__name__}: {e}"
            log.exception("run %s failed", run_id)
            raise
        finally:
            result.requests = self.ports.request_count()
            self.store.finish_run(run_id, result.outcome, result.counts(), result.error)
        return result

    # -- steps ---------------------------------------------------------------------------------

    def _step_sync(self, state: _State, result: RunResult) -> None:
        mappings = self.inputs.mappings
        # Sites are read concurrently; a site's sources one after another on its one connection.
        by_site: dict[str, list[int]] = {}
        for i, m in enumerate(mappings):
            by_site.setdefault(m.ref.site, []).append(i)
        outcomes: dict[int, tuple[SourceBatch | None, SourceOutcome]] = {}

        def read_site(indexes: list[int]) -> None:
            for i in indexes:
                outcomes[i] = self._read_one(mappings[i])

        workers = self.inputs.settings.read.concurrency
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
            list(pool.map(read_site, by_site.values()))
        batches: list[SourceBatch] = []
        used: list[SourceMapping] = []
        for i, mapping in enumerate(mappings):
            batch, outcome = outcomes[i]
            result.sources.append(outcome)
            result.sites.add(mapping.ref.site)
            if batch is None:
                state.source_findings.append(_source_finding(mapping, outcome.error or ""))
            else:
                batches.append(batch)
                used.append(mapping)
        tables = normalize(batches, used)
        state.tables = tables
        result.tables = {
            "projects": len(tables.projects),
            "documents": len(tables.documents),
            "status_reports": len(tables.status_reports),
            "assets": len(tables.assets),
        }
        result.quarantined = len(tables.quarantine)
        self.store.save_snapshot(result.run_id, tables)

    def _read_one(self, mapping: SourceMapping) -> tuple[SourceBatch | None, SourceOutcome]:
        name = str(mapping.ref)
        try:
            source = self.ports.source_for(mapping.ref)
            # Sources expand person and lookup columns by their kind; they take plain names.
            columns = list(dict.fromkeys(c.split("/")[0] for c in required_columns(mapping)))
            batch = source.read(columns)
            check_drift(mapping, batch.fields)
        except SchemaDriftError as e:
            log.error("%s", e)
            return None, SourceOutcome(name, error=str(e))
        except Exception as e:  # one source failing must not stop the others
            log.error("reading %s failed: %s: %s", name, type(e).__name__, e)
            return None, SourceOutcome(name, error=f"{type(e).__name__}: {e}")
        return batch, SourceOutcome(name, records=len(batch.records))

    def _tables(self, state: _State) -> CanonicalTables:
        if state.tables is None:
            run = self.store.latest_snapshot_run()
            if run is None:
                raise RuntimeError(
                    "no snapshot in the state store yet: run a job with 'sync' first"
                )
            state.tables = self.store.load_snapshot(run)
        return state.tables

    def _step_evaluate(self, state: _State, result: RunResult) -> None:
        tables = self._tables(state)
        findings = evaluate(tables, self.inputs.rules, self.inputs.today)
        if state.source_findings:
            extra = FINDINGS.frame(state.source_findings)
            findings = pd.concat([findings, extra], ignore_index=True)
        state.findings = findings
        delta = self.store.record_findings(result.run_id, findings, datetime.now(UTC))
        result.opened = len(delta.opened)
        result.resolved = len(delta.resolved)
        result.reopened = len(delta.reopened)
        counts = findings.groupby("recommendation").size().to_dict() if len(findings) else {}
        result.findings_by_recommendation = {int(k): int(v) for k, v in sorted(counts.items())}
        state.history = self.store.findings()

    def _history(self, state: _State) -> pd.DataFrame:
        if state.history is None:
            state.history = self.store.findings()
        return state.history

    def _step_write_lists(self, state: _State, result: RunResult) -> None:
        tables = self._tables(state)
        history = self._history(state)
        open_findings = history[history["status"] != "resolved"] if len(history) else history
        sink = self.ports.list_sink
        dry = self.inputs.dry_run
        plan = [
            (PORTFOLIO, portfolio_rows(tables, open_findings, self.tz), PORTFOLIO_GONE),
            (FINDINGS_LIST, findings_rows(history, self.tz), FINDING_GONE),
        ]
        for spec, rows, gone in plan:
            sink.ensure_list(spec, dry_run=dry)
            report = sink.upsert(spec, rows, mark_missing=gone, dry_run=dry)
            result.writes.append(report)

    def _step_rollup(self, state: _State, result: RunResult) -> None:
        from c3po_sync.sinks.excel_rollup import build_rollup, save_rollup

        tables = self._tables(state)
        history = self._history(state)
        settings = self.inputs.settings
        run_info = {
            "run_id": result.run_id,
            "job": result.job,
            "generated_at": datetime.now(self.tz).isoformat(timespec="minutes"),
            "sites_read": len(result.sites),
            "items_read": result.items_read,
        }
        wb = build_rollup(tables, history, today=self.inputs.today, run_info=run_info)
        out_dir = settings.resolve(settings.output_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        if self.inputs.dry_run:
            return
        path = save_rollup(wb, out_dir, today=self.inputs.today)
        result.workbook = path
        result.uploaded_to = self.ports.file_sink.upload(
            settings.rollups_library, path.name, path.read_bytes()
        )


def _source_finding(mapping: SourceMapping, error: str) -> dict:
    """A source the run could not read is itself a finding, so an admin sees it beside the rest."""
    ref = mapping.ref
    key = f"{ref.site}/{ref.list_title}"
    return {
        "finding_id": f"DQ-source-unreadable:{key}",
        "rule_id": "DQ-source-unreadable",
        "recommendation": 0,
        "severity": "high",
        "entity_kind": "source",
        "entity_key": key,
        "message": f"{error} Fix the mapping in mappings/ or the list, then re-run.",
    }
