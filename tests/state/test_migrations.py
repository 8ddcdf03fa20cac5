"""Alembic migrations: a release-1 database upgrades with its data intact and its history
back-filled into the change log; a database from a newer release is refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from c3po_sync.rules.history import field_changes, project_history
from c3po_sync.state import migrate, timeline
from c3po_sync.state.store import StateStore, StateStoreError

RELEASE_1 = Path(__file__).parent / "fixtures" / "release1-state.db"


@pytest.fixture()
def release1(tmp_path: Path) -> Path:
    db = tmp_path / "state.db"
    shutil.copy(RELEASE_1, db)
    return db


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_release1_database_upgrades_and_keeps_its_data(release1: Path):
    assert "alembic_version" not in _tables(release1)  # made before Alembic
    with StateStore(f"sqlite:///{release1}") as store:
        assert [r["outcome"] for r in store.runs()] == ["ok"] * 4
        assert store.get_run(1)["counts"] == {"items_read": 2}
        found = store.findings()
        assert found.set_index("finding_id").at["R9:P-1", "status"] == "resolved"
        assert [e["event"] for e in store.finding_events("R9:P-1")] == ["opened", "resolved"]
        assert store.get_token("site:/sites/ppm-a|Projects") == "1;3;token-42"
        assert store.get_checkpoint("report:last_rollup")["run_id"] == 2
        assert store.load_snapshot(3).projects["budget"].tolist() == [150_000.0, 100_000.0,
                                                                       100_000.0]  # fmt: skip
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
    assert {"alembic_version", "entity_versions", "change_log_runs"} <= _tables(release1)
    assert "write_ledger" not in _tables(release1)  # no caller since hub_rows (0005)


def test_back_filled_change_log_gives_the_history_of_every_snapshot(release1: Path):
    with StateStore(f"sqlite:///{release1}") as store:
        every = project_history(
            (run, timeline.snapshot_saved_at(store, run), store.load_snapshot(run).projects)
            for run in range(1, 5)
        )
        logged = project_history(timeline.project_snapshots(store))
        fields = ["budget", "key_vendor_staff"]
        expected = field_changes(every, fields)
        assert len(expected) == 3  # P-1 budget; P-2 staff there and back
        assert field_changes(logged, fields).equals(expected)
        # The change log keeps versions, not nights: 3 projects, 3 changes.
        with store.engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT count(*) FROM entity_versions").scalar()
        assert versions == 6


def test_upgrade_is_done_once(release1: Path):
    StateStore(f"sqlite:///{release1}").close()
    with sqlite3.connect(release1) as conn:
        before = conn.execute("SELECT count(*) FROM entity_versions").fetchone()
    StateStore(f"sqlite:///{release1}").close()
    with sqlite3.connect(release1) as conn:
        assert conn.execute("SELECT count(*) FROM entity_versions").fetchone() == before
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (2,)


def test_a_newer_release_database_is_refused(tmp_path: Path):
    db = tmp_path / "state.db"
    StateStore(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StateStoreError, match="revision 9999 was written by a newer C3PO Sync"):
        StateStore(f"sqlite:///{db}")


def test_a_new_database_is_created_at_head(tmp_path: Path):
    db = tmp_path / "state.db"
    with StateStore(f"sqlite:///{db}") as store:
        run = store.start_run("nightly", "test")
        store.finish_run(run, "ok")
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()


def test_the_migrations_build_the_schema_the_code_declares(tmp_path: Path):
    """A table or column added to state/tables.py without a revision fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from c3po_sync.state import tables

    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []
