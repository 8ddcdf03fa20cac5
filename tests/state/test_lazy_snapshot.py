"""A stored snapshot read lazily (store.lazy_snapshot, model.LazyTables) is the snapshot
``load_snapshot`` reads, table for table, and decodes a table only when it is first read,
once (issue 16: a new day's steps read some of the stored tables).

Counted by the store's table loads, never by a clock.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime

import pytest

from c3po_sync.model.tables import TABLE_NAMES, CanonicalTables, LazyTables
from c3po_sync.rules.horizons import OnlyTables, TableNotReadError
from c3po_sync.state import RunNotFoundError, StateStore
from c3po_sync.state import store as store_module
from tests.rules import document, project, tenant

AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as s:
        s.save_snapshot(1, _tables(), at=AT)
        yield s


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Each stored table decoded, by name."""
    counted: Counter[str] = Counter()
    real = store_module._load_table

    def counting(conn, run_id, name, pools):  # type: ignore[no-untyped-def]
        counted[name] += 1
        return real(conn, run_id, name, pools)

    monkeypatch.setattr(store_module, "_load_table", counting)
    return counted


def _tables() -> CanonicalTables:
    docs = [document("P1", "charter"), document("P1", "status_report", name="P1 status.docx")]
    reports = [{"project_key": "P1", "report_date": AT.date(), "summary": "P1 status.docx",
                "source_url": docs[1]["source_url"], "source_item_id": 2}]  # fmt: skip
    return tenant(projects=[project("P1"), project("P2")], documents=docs, reports=reports)


def test_each_table_loads_on_first_read_once_and_equals_the_whole_load(
    store: StateStore, loads: Counter[str]
) -> None:
    whole = store.load_snapshot(1)
    loads.clear()
    lazy = store.lazy_snapshot(1)
    assert not loads and lazy.loaded() == ()
    assert lazy.projects.equals(whole.projects)
    assert lazy.projects is lazy.projects
    assert loads == Counter(projects=1) and lazy.loaded() == ("projects",)
    for name in TABLE_NAMES:
        assert getattr(lazy, name).equals(getattr(whole, name)), name
        assert getattr(lazy, name).dtypes.equals(getattr(whole, name).dtypes), name
    assert loads == Counter(dict.fromkeys(TABLE_NAMES, 1))


def test_status_reports_share_their_documents_strings_as_in_the_whole_load(
    store: StateStore, loads: Counter[str]
) -> None:
    lazy = store.lazy_snapshot(1)
    summary = lazy.status_reports["summary"].iloc[0]
    assert loads == Counter(documents=1, status_reports=1)  # the echoed table first
    assert summary is lazy.documents["name"].iloc[1]  # one string, not a copy
    assert loads == Counter(documents=1, status_reports=1)


def test_copies_share_what_is_loaded_and_replace_reads_every_table(
    store: StateStore, loads: Counter[str]
) -> None:
    lazy = store.lazy_snapshot(1)
    fewer = lazy.projects.iloc[:1]
    part = lazy.with_frames(projects=fewer)
    assert part.projects is fewer and isinstance(part, LazyTables)
    assert part.assets is lazy.assets  # loaded once, for both
    assert loads == Counter(projects=1, assets=1)
    replaced = dataclasses.replace(lazy, projects=fewer)  # still correct, but loads them all
    assert replaced.projects is fewer and replaced.documents is lazy.documents
    assert loads == Counter(dict.fromkeys(TABLE_NAMES, 1))
    plain = _tables()
    assert plain.with_frames(projects=fewer).projects is fewer


def test_a_recheck_over_lazy_tables_loads_only_what_its_rules_read(
    store: StateStore, loads: Counter[str]
) -> None:
    only = OnlyTables(store.lazy_snapshot(1), ("projects", "quarantine"))
    assert len(only.projects) == 2
    with pytest.raises(TableNotReadError):
        _ = only.documents
    assert loads == Counter(projects=1, quarantine=1)


def test_a_snapshot_pruned_meanwhile_is_never_read_as_empty(store: StateStore) -> None:
    lazy = store.lazy_snapshot(1)
    assert len(lazy.projects) == 2
    store.save_snapshot(2, _tables(), at=AT)
    store.prune_snapshots(keep=1)  # another job's run pruned it
    assert len(lazy.projects) == 2  # loaded before: held
    with pytest.raises(RunNotFoundError):
        _ = lazy.documents
    with pytest.raises(RunNotFoundError):
        store.lazy_snapshot(1)
