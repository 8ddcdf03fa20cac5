"""The run's inputs fingerprint (pipeline/quiet.py) is taken once per run, not once per ask.

Issue 16 (a new day under 1 CPU s): a night asks for it about 24 times (each step, each hub
list's plan), and each time took the repr of the settings, the mappings (~170 KB at city size)
and the rules. It is now taken once a run, for the very objects it was taken of.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline import quiet
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
PORTS = Ports(source_for=lambda ref: None, list_sink=None, file_sink=None)  # type: ignore[arg-type]


@pytest.fixture()
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per fingerprint actually computed (a repr of every input)."""
    calls: list[int] = []
    real = quiet._fingerprint_of

    def counted(inputs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(inputs)

    monkeypatch.setattr(quiet, "_fingerprint_of", counted)
    return calls


def test_asked_often_taken_once_and_anew_for_other_inputs_or_another_run(taken) -> None:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=date(2026, 11, 1))
    ctx = RunContext(inputs, PORTS, None, RunResult(run_id=1, job="nightly"))  # type: ignore[arg-type]
    first = {quiet.inputs_fingerprint(ctx.inputs) for _ in range(10)}
    assert len(first) == 1 and len(taken) == 1
    # Other rules (a new object, as model_copy makes): fingerprinted anew, and it differs.
    ctx.inputs.rules = inputs.rules.model_copy(update={"reporting_window_days": 30})
    assert quiet.inputs_fingerprint(ctx.inputs) not in first and len(taken) == 2
    ctx.inputs.mappings = ctx.inputs.mappings[:-1]  # a mapping gone: anew
    quiet.inputs_fingerprint(ctx.inputs)
    assert len(taken) == 3
    # A copy of the inputs (a later day's, as the scheduler makes) holds no fingerprint.
    later = dataclasses.replace(ctx.inputs, today=date(2026, 11, 2), as_of=None)
    assert later.fingerprinted is None
    # Another run over the same inputs object takes it anew, once.
    again = RunContext(ctx.inputs, PORTS, None, RunResult(run_id=2, job="nightly"))  # type: ignore[arg-type]
    assert ctx.inputs.fingerprinted is None
    quiet.inputs_fingerprint(again.inputs)
    quiet.inputs_fingerprint(again.inputs)
    assert len(taken) == 4


@pytest.mark.slow
def test_a_night_takes_the_fingerprint_once_and_leaves_its_inputs_as_given(demo_env, taken) -> None:
    """A whole nightly (sync, evaluate, hub lists, intake, rollup, dashboard) over the demo
    tenant computes the fingerprint once, and the inputs it was taken of are unchanged after
    the run: reusing it within the run is sound."""
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=DEMO_ANCHOR)
    before = quiet._fingerprint_of(inputs)
    taken.clear()
    assert run_prepared(inputs).outcome == "ok"
    assert len(taken) == 1
    assert quiet._fingerprint_of(inputs) == before
