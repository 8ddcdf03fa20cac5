"""The change log finds exactly the changes the full run-by-run history finds, keeps one row
per version (not per night), and survives re-saves and pruning."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from c3po_sync.model.schema import PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.history import WATCHED, field_changes, project_history
from c3po_sync.state import timeline
from c3po_sync.state.store import StateStore

START = datetime(2026, 1, 1, 9, tzinfo=UTC)


def _night(rng: random.Random, state: dict[str, dict]) -> list[dict]:
    """Mutates a few projects: watched and unwatched fields, blanks, removals and returns."""
    for key in list(state):
        roll = rng.random()
        if roll < 0.08:
            state[key]["budget"] = rng.choice([None, 100.0, 200.0, 300.0])
        elif roll < 0.14:
            state[key]["key_vendor_staff"] = rng.choice([["A", "B"], ["b", "a"], ["A", "C"], []])
        elif roll < 0.20:
            state[key]["title"] = f"renamed {rng.randint(0, 9)}"  # not watched
        elif roll < 0.24:
            state[key]["target_end"] = date(2027, 1, rng.randint(1, 3))
        elif roll < 0.27:
            state[key]["_gone"] = not state[key].get("_gone", False)
    rows = [{k: v for k, v in p.items() if k != "_gone"} for p in state.values()]
    rows = [r for r, p in zip(rows, state.values(), strict=True) if not p.get("_gone")]
    if rows and rng.random() < 0.2:
        rows.append({**rows[0], "budget": 999.0})  # a duplicate key: the first row counts
    return rows


@pytest.mark.parametrize("seed", [1, 2])
def test_change_log_finds_what_every_snapshot_finds(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    state = {
        f"P-{i}": {"project_key": f"P-{i}", "title": f"P {i}", "budget": 100.0,
                   "key_vendor_staff": ["A", "B"], "target_end": date(2027, 1, 1)}
        for i in range(8)
    }  # fmt: skip
    frames = []
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        for night in range(30):
            run = store.start_run("nightly", "test")
            at = START + timedelta(days=night)
            projects = PROJECTS.frame(_night(rng, state))
            store.save_snapshot(run, CanonicalTables(projects=projects), at=at)
            frames.append((run, at, projects))
            if night == 12:
                store.save_snapshot(run, CanonicalTables(projects=projects), at=at)  # a retry
        store.prune_snapshots(keep=2)
        logged = timeline.project_snapshots(store)
        upto = timeline.project_snapshots(store, upto_run=18)
    every = project_history(frames)
    changes = field_changes(every, list(WATCHED))
    assert len(changes) > 5
    assert field_changes(project_history(logged), list(WATCHED)).equals(changes)
    upto_changes = field_changes(project_history(frames[:18]), list(WATCHED))
    assert field_changes(project_history(upto), list(WATCHED)).equals(upto_changes)
    assert len({r for r, _, _ in logged}) < len(frames)  # not every night is read


def test_versions_grow_with_change_not_with_nights(tmp_path: Path):
    rows = [{"project_key": f"P-{i}", "budget": 1.0} for i in range(50)]
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        for night in range(12):
            run = store.start_run("nightly", "test")
            if night == 5:
                rows[0] = {**rows[0], "budget": 2.0}
            tables = CanonicalTables(projects=PROJECTS.frame(rows))
            store.save_snapshot(run, tables, at=START + timedelta(days=night))
        with store.engine.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM entity_versions").scalar()
    assert count == 51


def test_an_older_run_is_not_folded_into_the_history(tmp_path: Path, caplog):
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        one = CanonicalTables(projects=PROJECTS.frame([{"project_key": "A", "budget": 1.0}]))
        two = CanonicalTables(projects=PROJECTS.frame([{"project_key": "A", "budget": 2.0}]))
        store.save_snapshot(2, two, at=START + timedelta(days=1))
        store.save_snapshot(1, one, at=START)
        assert "older than run 2" in caplog.text
        assert store.load_snapshot(1).projects["budget"].tolist() == [1.0]
        assert [r for r, _, _ in timeline.project_snapshots(store)] == [2]


def test_history_days_forgets_replaced_versions_only(tmp_path: Path):
    budgets = [1.0, 2.0, 2.0, 2.0, 2.0, 3.0]
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        for night, budget in enumerate(budgets):
            rows = [{"project_key": "A", "budget": budget}, {"project_key": "OLD", "budget": 9.0}]
            tables = CanonicalTables(projects=PROJECTS.frame(rows))
            store.save_snapshot(night + 1, tables, at=START + timedelta(days=night))
        assert store.prune_history_older_than(START + timedelta(days=2)) == 1  # A at 1.0
        history = project_history(timeline.project_snapshots(store))
    changes = field_changes(history, ["budget"])
    assert [(c.before, c.after) for c in changes.itertuples()] == [(2.0, 3.0)]
    assert set(history["project_key"]) == {"A", "OLD"}  # current versions stay, however old


def test_observations_as_stored_give_the_same_history(tmp_path: Path):
    """The evaluate step reads a few fields as stored (no typed frame): same history."""
    from c3po_sync.rules.history import project_history_frame

    rows = [
        {"project_key": "A", "budget": 100.0, "start_date": date(2026, 1, 5),
         "departments": ["Fire", "Police"], "custom_software": True},
        {"project_key": "A", "budget": 120.0, "start_date": date(2026, 2, 5),
         "departments": ["police", "fire"], "custom_software": False},
    ]  # fmt: skip
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        for night, row in enumerate(rows):
            tables = CanonicalTables(projects=PROJECTS.frame([row]))
            store.save_snapshot(night + 1, tables, at=START + timedelta(days=night))
        typed = project_history(timeline.project_snapshots(store))
        stored = project_history_frame(
            timeline.project_observations(store, ("project_key", *WATCHED))
        )
    assert stored.astype(object).to_dict("list") == typed.astype(object).to_dict("list")
    fields = ["budget", "start_date", "departments", "custom_software"]
    assert list(field_changes(stored, fields)["field"]) == ["budget", "custom_software",
                                                            "start_date"]  # fmt: skip
