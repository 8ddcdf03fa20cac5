"""A quiet new day re-checks only the date-driven rules whose horizon has come (issue 16), and
says exactly what a full evaluate would: same findings (open, resolved, first seen, last seen)
and same evaluation rows, night after night, as horizons pass and small edits come in.

Two state stores live the same nights: one takes the product's path (pipeline/quiet.py's
recheck_plan), the other is forced down the full evaluate every night. The evaluate step is
driven directly over stored tables (what the sync step leaves), so a night costs milliseconds.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.model.compact import ECHOES
from c3po_sync.model.tables import TABLE_NAMES, CanonicalTables
from c3po_sync.pipeline import quiet
from c3po_sync.pipeline.carry import StaleSource, save_stale
from c3po_sync.pipeline.context import RunContext, RunInputs
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.steps import evaluate as evaluate_step
from c3po_sync.rules import horizons
from c3po_sync.state import store as store_module
from c3po_sync.state.store import StateStore
from tests.rules import asset, document, project, tenant

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
D0 = date(2026, 11, 1)
# Nights (days after D0) and which of them bring an edit: horizons fall between and on them.
NIGHTS = (0, 1, 3, 5, 6, 8, 9, 13, 20, 21, 62, 361)
EDITS = {9, 21, 62}
PORTS = Ports(source_for=lambda ref: None, list_sink=None, file_sink=None)  # type: ignore[arg-type]


def _tables() -> CanonicalTables:
    """Entities each with a horizon a few nights away, and a council cycle to close."""
    d = D0
    projects = [
        project("P1", status_date=d - timedelta(days=55)),  # stale from D0+6
        project("P2", status_date=d + timedelta(days=3)),  # a future status date until D0+3
        project("P3", target_end=d + timedelta(days=4)),  # behind schedule from D0+5
        project("P4", vendor_last_review=d - timedelta(days=85)),  # vendor review due D0+6
        project("P5", status_date=d - timedelta(days=50)),  # saved by a report dated D0+10
        project("P6", status_date=None),  # stale already
        project("P7", phase="Closed", status_date=d - timedelta(days=200)),  # never judged
    ]
    for i, p in enumerate(projects, start=1):
        p["source_item_id"] = i
    reports = [
        {"project_key": "P5", "report_date": d + timedelta(days=10), "source_site": "/sites/x",
         "source_list": "Status Reports", "source_item_id": 1},
        {"project_key": "P1", "report_date": d - timedelta(days=70), "source_site": "/sites/x",
         "source_list": "Status Reports", "source_item_id": 2},
    ]  # fmt: skip
    assets = [
        asset("A1", "P1", end_of_support=d + timedelta(days=7)),  # past support from D0+8
        asset("A2", "P2", lifecycle_stage="Retiring", end_of_support=d + timedelta(days=2)),
        asset("A3", "P3", renewal=d + timedelta(days=12)),  # lapses D0+13
        asset("A4", "P4", last_reviewed=d - timedelta(days=360)),  # review due D0+6
        asset("A5", "P5", end_of_support=d + timedelta(days=300)),
    ]
    docs = [
        document(p["project_key"], t) for p in projects for t in ("charter", "commitment_signoff")
    ]
    docs.append(
        document("P1", "council_report", path="/sites/x/c/1.pdf",
                 source_modified=pd.Timestamp(d - timedelta(days=20), tz="UTC"))
    )  # fmt: skip
    return tenant(projects=projects, documents=docs, assets=assets, reports=reports)


def _edit(tables: CanonicalTables, rng: random.Random, day: date) -> CanonicalTables:
    """A small random edit, as a PPM's night of work: a status posted, a date moved, an asset
    retired, a project added."""
    p, a = tables.projects.copy(), tables.assets.copy()
    kind = rng.choice(["status", "target", "retire", "add", "review"])
    i = rng.randrange(len(p))
    if kind == "status":
        p.loc[i, "status_date"] = day - timedelta(days=rng.randrange(0, 90))
    elif kind == "target":
        p.loc[i, "target_end"] = day + timedelta(days=rng.randrange(-3, 20))
    elif kind == "retire":
        a.loc[rng.randrange(len(a)), "lifecycle_stage"] = "Retired"
    elif kind == "review":
        a.loc[rng.randrange(len(a)), "last_reviewed"] = day - timedelta(
            days=rng.randrange(300, 400)
        )
    else:
        row = project(f"N{day:%j}", status_date=day - timedelta(days=58), source_item_id=99)
        p = pd.concat([p, tenant(projects=[row]).projects], ignore_index=True)
    return dataclasses.replace(tables, projects=p, assets=a)


def _inputs() -> RunInputs:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=D0)
    rules = inputs.rules.model_copy(update={"council_reports_from": D0 - timedelta(days=100)})
    return dataclasses.replace(inputs, rules=rules)


def _night(
    store: StateStore, inputs: RunInputs, day: date, tables: CanonicalTables | None
) -> RunResult:
    """One nightly's evaluate: ``tables`` is a changed night's sync; None a quiet one."""
    run_id = store.start_run("nightly", "test")
    result = RunResult(run_id=run_id, job="nightly")
    ctx = RunContext(dataclasses.replace(inputs, today=day, as_of=None), PORTS, store, result)
    if tables is not None:
        store.save_snapshot(run_id, tables, at=ctx.as_of)
        ctx.tables = tables
        quiet.remember_tables(ctx, {"test": len(tables.projects)})
    else:
        ctx.quiet_sources = True
    evaluate_step.run_evaluate(ctx)
    ctx.close()  # as the runner ends a run
    store.finish_run(run_id, "ok", result.counts(), None)
    EVALUATIONS[store.url] = ctx.evaluation
    return result


EVALUATIONS: dict[str, pd.DataFrame | None] = {}  # store -> the last night's ctx.evaluation


def _sorted(evaluation: pd.DataFrame) -> pd.DataFrame:
    return evaluation.sort_values(["rule_id", "entity_key"], ignore_index=True)


def _state(store: StateStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    findings = store.findings().reset_index(drop=True)
    evaluation = store.load_evaluation()
    assert evaluation is not None
    return findings, _sorted(evaluation)


def _live_nights(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    patch: Callable[[pytest.MonkeyPatch], None] | None = None,
    nights: tuple[int, ...] = NIGHTS,
) -> list[str]:
    """Runs the nights on both stores; returns what differed (empty: equivalent)."""
    monkeypatch.setenv("C3PO_SANDBOX_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    incremental = StateStore(f"sqlite:///{tmp_path / 'incr.db'}")
    full = StateStore(f"sqlite:///{tmp_path / 'full.db'}")
    inputs = _inputs()
    rng = random.Random(16)
    tables = _tables()
    differences: list[str] = []
    rechecked: set[str] = set()
    for n in nights:
        day = D0 + timedelta(days=n)
        changed = None
        if n == 0 or n in EDITS:
            tables = tables if n == 0 else _edit(tables, rng, day)
            changed = tables
        with monkeypatch.context() as m:
            if patch is not None:
                patch(m)
            got = _night(incremental, inputs, day, changed)
        with monkeypatch.context() as m:
            m.setattr(evaluate_step, "recheck_plan", lambda ctx: None)  # always the full path
            want = _night(full, inputs, day, changed)
        rechecked |= {s for s in got.skipped if s.startswith("evaluate")}
        if (got.findings_by_recommendation, got.opened, got.resolved, got.reopened) != (
            want.findings_by_recommendation,
            want.opened,
            want.resolved,
            want.reopened,
        ):
            differences.append(f"day {n}: run figures differ")
        (gf, ge), (wf, we) = _state(incremental), _state(full)
        if not gf.equals(wf):
            differences.append(f"day {n}: findings differ")
        if not ge.equals(we):
            differences.append(f"day {n}: evaluation rows differ")
        # What the workbook's compliance matrix is handed (the nightly job has a rollup).
        handed, built = EVALUATIONS[incremental.url], EVALUATIONS[full.url]
        if handed is None or built is None or not _sorted(handed).equals(_sorted(built)):
            differences.append(f"day {n}: the evaluation handed on differs")
    incremental.close()
    full.close()
    # The incremental store did take the short paths (else the test proves nothing).
    assert any("re-checked only" in s for s in rechecked), rechecked
    assert any("no date-driven verdict due" in s for s in rechecked), rechecked
    return differences


def test_quiet_new_days_recheck_only_due_rules_and_match_the_full_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _live_nights(tmp_path, monkeypatch) == []


def test_an_entity_forgotten_when_its_horizon_passed_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The equivalence above has teeth: a re-check that misses the stale status horizon (the
    rule's horizon one day late) is told apart from the full evaluate."""
    original = horizons.rule_horizons

    def late(ctx, rules=None):  # type: ignore[no-untyped-def]
        out = original(ctx, rules)
        return {
            k: (None if v is None else (date.fromisoformat(v) + timedelta(days=1)).isoformat())
            if k == "R9-status-stale" else v
            for k, v in out.items()
        }  # fmt: skip

    def patch(m: pytest.MonkeyPatch) -> None:
        m.setattr(evaluate_step, "rule_horizons", late)

    assert _live_nights(tmp_path, monkeypatch, patch, nights=(0, 1, 3, 6)) != []


@pytest.mark.parametrize(
    "unknown", ["nothing", "stale source", "other rules", "calendar back", "newer"]
)
def test_anything_unknown_takes_the_full_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unknown: str
) -> None:
    """The short path stands only on what the store vouches for; otherwise the full path."""
    monkeypatch.setenv("C3PO_SANDBOX_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    inputs = _inputs()
    day = D0 + timedelta(days=1)
    if unknown == "stale source":  # findings resting on it were kept, not judged
        save_stale(store, [StaleSource("/sites/x", "Projects", D0 - timedelta(1), "timeout")])
    _night(store, inputs, D0 + timedelta(days=2 if unknown == "calendar back" else 0), _tables())
    save_stale(store, [])
    if unknown == "other rules":
        rules = inputs.rules.model_copy(update={"reporting_window_days": 30})
        inputs = dataclasses.replace(inputs, rules=rules)
    if unknown == "newer":  # another run stored an evaluation since
        store.save_evaluation(store.start_run("report", "test"), store.load_evaluation())
    night = _night(store, inputs, day, None)
    short = any(s.startswith("evaluate") for s in night.skipped)
    assert short == (unknown == "nothing"), night.skipped
    store.close()


def test_a_recheck_decodes_only_the_tables_its_due_rules_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nightly job's later steps (hub lists, workbook) read the stored tables too, but a
    re-check loads no table for them: each is decoded when first read (store.lazy_snapshot),
    so a table no due rule reads is not decoded in the evaluate step (issue 16)."""
    monkeypatch.setenv("C3PO_SANDBOX_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    loaded: list[str] = []
    real = store_module._load_table

    def counting(conn, run_id, name, pools):  # type: ignore[no-untyped-def]
        loaded.append(name)
        return real(conn, run_id, name, pools)

    monkeypatch.setattr(store_module, "_load_table", counting)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    inputs = _inputs()
    assert {"write_lists", "rollup"} <= set(inputs.job.steps)
    _night(store, inputs, D0, _tables())
    spared = []
    for n in (1, 3, 5, 6, 8):
        loaded.clear()
        night = _night(store, inputs, D0 + timedelta(days=n), None)
        said = [s for s in night.skipped if s.startswith("evaluate")]
        due = said[0].split(": ")[-1].split(", ") if "re-checked only" in said[0] else []
        wanted = set(horizons.reads_of(due)) if due else set()
        echoed = {ECHOES[name][0] for name in wanted if name in ECHOES}
        assert set(loaded) <= wanted | echoed, (n, due, loaded)
        assert len(loaded) == len(set(loaded)), loaded  # each once
        spared.append(set(TABLE_NAMES) - set(loaded))
    assert any({"documents", "status_reports"} <= s for s in spared), spared
    store.close()
