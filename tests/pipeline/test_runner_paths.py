"""The runner's interrupt paths and a failed write's partial report, on the in-memory ports
(the contract suite, tests/live/test_port_contract.py, holds them to the SharePoint adapters'
behaviour) with a real state store: pipeline logic, tested in a second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.normalize import source_columns
from c3po_sync.pipeline.context import RunInputs
from c3po_sync.pipeline.ports import in_memory_ports
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.runner import JobRunner
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sinks.base import ListSpec, PartialWriteError, WriteReport
from c3po_sync.sinks.hub_lists import FINDINGS_LIST
from c3po_sync.sinks.memory import InMemoryListSink
from c3po_sync.sources.base import SourceBatch
from c3po_sync.sources.memory import InMemorySource
from c3po_sync.state.store import StateStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunInputs:
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
    config = ROOT / "config" / "sandbox.yaml"
    return prepare_run(config, "nightly", settings=load_settings(config), today=DEMO_ANCHOR)


def _sources(inputs: RunInputs, rows: int = 0) -> list[InMemorySource]:
    """One in-memory list per mapped source, with the mapped columns (as Text) and ``rows``
    blank items."""
    out = []
    for m in inputs.mappings:
        columns = dict.fromkeys(source_columns(m), "Text")
        out.append(InMemorySource.of(m.ref, columns, [{} for _ in range(rows)]))
    return out


def _store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def test_a_stop_asked_between_steps_ends_the_run_interrupted(inputs, tmp_path) -> None:
    asked = iter([False, True])  # before sync: go on; before evaluate: stop
    inputs.should_stop = lambda: next(asked)
    with _store(tmp_path) as store:
        result = JobRunner(inputs, in_memory_ports(_sources(inputs)), store).run()
        (recorded,) = store.runs()
    assert result.outcome == "interrupted"
    assert result.error == "shutdown requested; stopped before step evaluate"
    assert (recorded["outcome"], recorded["error"]) == ("interrupted", result.error)


class _Interrupted(InMemorySource):
    def read(self, columns: list[str]) -> SourceBatch:
        raise KeyboardInterrupt  # Ctrl-C while the step is reading


def test_an_interrupt_inside_a_step_is_recorded_and_raised(inputs, tmp_path) -> None:
    sources = _sources(inputs)
    sources[0] = _Interrupted(sources[0].ref, sources[0].fields)
    with _store(tmp_path) as store:
        with pytest.raises(KeyboardInterrupt):
            JobRunner(inputs, in_memory_ports(sources), store).run()
        (recorded,) = store.runs()
    assert recorded["outcome"] == "interrupted"
    assert recorded["error"] == "KeyboardInterrupt during the run"


class _FailsOnFindings(InMemoryListSink):
    """Writes the findings list's first row, then fails for good on the rest."""

    def upsert(self, spec: ListSpec, rows: list[dict[str, Any]], **kw: Any) -> WriteReport:
        if spec.title != FINDINGS_LIST.title:
            return super().upsert(spec, rows, **kw)
        done = super().upsert(spec, rows[:1], **kw)
        raise PartialWriteError(f"{spec.title}: {len(rows) - 1} write(s) failed", done)


def test_a_failed_write_keeps_its_partial_report(inputs, tmp_path) -> None:
    sink = _FailsOnFindings()
    ports = in_memory_ports(_sources(inputs, rows=2), list_sink=sink)
    with _store(tmp_path) as store:
        with pytest.raises(PartialWriteError):
            JobRunner(inputs, ports, store).run()
        (recorded,) = store.runs()
        logged = store.writes_for_run(recorded["run_id"])
    assert recorded["outcome"] == "failed"
    findings = [w for w in logged if w["list_title"] == FINDINGS_LIST.title]
    assert len(findings) == 1, logged  # what was written before the failure is on record
    assert len(sink.rows(FINDINGS_LIST)) == 1
