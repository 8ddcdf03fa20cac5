"""Snapshot round trips keep every value and dtype: dates, datetimes, lists, NA, odd text."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c3po_sync.model.schema import ASSETS, DOCUMENTS, PROJECTS, QUARANTINE, STATUS_REPORTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.state import RunNotFoundError, StateStore

NAMES = ("projects", "documents", "status_reports", "assets", "quarantine")


@pytest.fixture
def store(tmp_path):
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def sample() -> CanonicalTables:
    projects = PROJECTS.frame(
        [
            {
                "project_key": "SJ311",
                "title": "My San Jose",
                "departments": ["ITD", "PRNS"],
                "budget": 1_200_000.5,
                "start_date": date(2025, 1, 31),
                "status_date": date(2026, 10, 1),
                "ppm_is_contract": True,
                "high_profile": False,
                "key_vendor_staff": [],
                "source_item_id": 7,
                "source_modified": "2026-10-02T17:03:04.123456Z",
                "metrics": '=HYPERLINK("x")  ünïcode | pipes',
            },
            {
                "project_key": "SJ311",
                "title": None,
                "departments": None,
                "budget": None,
                "source_site": "/sites/other",
            },  # duplicate key and all-NA row survive
        ]
    )
    documents = DOCUMENTS.frame(
        [
            {
                "project_key": None,
                "doc_type": "charter",
                "path": "/sites/a/Docs/x.pdf",
                "size": 2**40,
            },
        ]
    )
    reports = STATUS_REPORTS.frame(
        [
            {
                "project_key": "SJ311",
                "report_date": date(2026, 9, 1),
                "source_site": "/sites/a",
                "source_list": "Status",
                "source_item_id": 3,
            },
        ]
    )
    assets = ASSETS.frame(
        [
            {
                "asset_id": "itd:1",
                "end_of_support": date(2020, 2, 29),
                "annual_cost": 0.0,
                "last_reviewed": None,
            }
        ]
    )
    quarantine = QUARANTINE.frame(
        [
            {
                "source_site": "/sites/a",
                "column": "Cost",
                "raw_value": "1.2M?",
                "reason": "not a number",
            }
        ]
    )
    return CanonicalTables(projects, documents, reports, assets, quarantine)


def assert_same(a: CanonicalTables, b: CanonicalTables) -> None:
    for name in NAMES:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtypes.equals(right.dtypes), name
        pd.testing.assert_frame_equal(left, right, obj=name)


def test_snapshot_round_trip_keeps_values_and_dtypes(store):
    run_id = store.start_run("sync", "test")
    tables = sample()
    store.save_snapshot(run_id, tables)
    back = store.load_snapshot(run_id)
    assert_same(tables, back)
    p = back.projects
    assert p.loc[0, "start_date"] == date(2025, 1, 31)
    assert p.loc[0, "departments"] == ["ITD", "PRNS"] and p.loc[0, "key_vendor_staff"] == []
    assert p.loc[1, "departments"] is None and pd.isna(p.loc[1, "budget"])
    assert p.loc[0, "source_modified"] == pd.Timestamp("2026-10-02T17:03:04.123456Z")
    assert back.documents.loc[0, "size"] == 2**40


def test_saving_a_run_twice_replaces_it(store):
    run_id = store.start_run("sync", "test")
    store.save_snapshot(run_id, sample())
    smaller = CanonicalTables(projects=PROJECTS.frame([{"project_key": "ONLY"}]))
    store.save_snapshot(run_id, smaller)
    back = store.load_snapshot(run_id)
    assert back.projects["project_key"].tolist() == ["ONLY"]
    assert back.documents.empty and list(back.documents.columns) == DOCUMENTS.column_names


def test_latest_snapshot_run(store):
    assert store.latest_snapshot_run() is None
    r1, r2, r3 = (store.start_run("sync", "test") for _ in range(3))
    store.save_snapshot(r1, CanonicalTables())
    store.save_snapshot(r2, sample())
    assert store.latest_snapshot_run() == r2
    assert store.latest_snapshot_run(before_run=r2) == r1
    assert store.latest_snapshot_run(before_run=r3) == r2
    assert store.latest_snapshot_run(before_run=r1) is None
    with pytest.raises(RunNotFoundError, match=f"no snapshot for run {r3}"):
        store.load_snapshot(r3)


def test_prune_snapshots_keeps_the_newest(store):
    ids = [store.start_run("sync", "test") for _ in range(4)]
    for r in ids:
        store.save_snapshot(r, sample())
    assert store.prune_snapshots(keep=2) == ids[:2]
    assert store.latest_snapshot_run(before_run=ids[2]) is None
    assert_same(store.load_snapshot(ids[3]), sample())
    assert len(store.runs()) == 4  # run history is not pruned
    with pytest.raises(RunNotFoundError):
        store.load_snapshot(ids[0])


def test_bulk_snapshot_of_a_city_sized_tenant(store):
    n = 2_000
    projects = PROJECTS.frame(
        [
            {
                "project_key": f"P{i}",
                "budget": float(i),
                "departments": ["A", "B"],
                "start_date": date(2026, 1, 1),
            }
            for i in range(n)
        ]
    )
    documents = DOCUMENTS.frame(
        [
            {"project_key": f"P{i % n}", "path": f"/s/d/{i}.pdf", "doc_type": "other", "size": i}
            for i in range(10_000)
        ]
    )
    run_id = store.start_run("sync", "test")
    store.save_snapshot(run_id, CanonicalTables(projects=projects, documents=documents))
    back = store.load_snapshot(run_id)
    pd.testing.assert_frame_equal(back.projects, projects)
    pd.testing.assert_frame_equal(back.documents, documents)


text = st.one_of(st.none(), st.text(max_size=20))
project_rows = st.fixed_dictionaries(
    {
        "project_key": text,
        "title": text,
        "budget": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
        "departments": st.one_of(st.none(), st.lists(st.text(max_size=8), max_size=3)),
        "start_date": st.one_of(st.none(), st.dates()),
        "high_profile": st.one_of(st.none(), st.booleans()),
        "source_item_id": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
        "source_modified": st.one_of(
            st.none(),
            st.datetimes(
                min_value=pd.Timestamp("1700-01-01").to_pydatetime(),
                max_value=pd.Timestamp("2200-01-01").to_pydatetime(),
            ).map(lambda d: pd.Timestamp(d, tz="UTC")),
        ),
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(project_rows, max_size=5))
def test_snapshot_round_trip_property(store, rows):
    run_id = store.start_run("sync", "prop")
    tables = CanonicalTables(projects=PROJECTS.frame(rows))
    store.save_snapshot(run_id, tables)
    assert_same(tables, store.load_snapshot(run_id))
