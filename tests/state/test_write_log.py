"""The write-run log: what each list write did, SharePoint's extras, and older databases."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import pytest

from c3po_sync.m365.list_writer import SharePointWriteReport
from c3po_sync.sinks.base import WriteReport
from c3po_sync.state import StateStore

# write_runs as the first release created it, before recycled/recycled_keys/replans.
OLD_WRITE_RUNS = """
CREATE TABLE write_runs (
    run_id INTEGER NOT NULL, list_title VARCHAR(255) NOT NULL, dry_run BOOLEAN NOT NULL,
    added INTEGER NOT NULL, changed INTEGER NOT NULL, marked INTEGER NOT NULL,
    unchanged INTEGER NOT NULL, conflicts INTEGER NOT NULL, failed INTEGER NOT NULL,
    requests INTEGER NOT NULL, added_keys TEXT NOT NULL, changed_keys TEXT NOT NULL,
    marked_keys TEXT NOT NULL, failed_keys TEXT NOT NULL, recorded_at DATETIME NOT NULL,
    PRIMARY KEY (run_id, list_title)
)
"""


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'state.db'}"


def _sharepoint_report() -> SharePointWriteReport:
    return SharePointWriteReport(
        list_title="C3PO Portfolio",
        added=["P2"],
        changed={"P1": ["Phase"]},
        unchanged=3,
        requests=4,
        recycled={"P1": [7, 9], "P3": [12]},
        duplicates={"P4": [15]},
        replans=2,
        conflicts=1,
        failed={"P5": "412 three times"},
    )


def test_sharepoint_extras_are_recorded(db_url) -> None:
    with StateStore(db_url) as store:
        store.record_writes(1, [_sharepoint_report(), WriteReport("Plain", added=["A"])])
        rows = {r["list_title"]: r for r in store.writes_for_run(1)}
        history = store.write_history("C3PO Portfolio")

    sp = rows["C3PO Portfolio"]
    assert (sp["recycled"], sp["replans"], sp["conflicts"], sp["failed"]) == (3, 2, 1, 1)
    assert sp["recycled_keys"] == {"P1": [7, 9], "P3": [12]}
    assert sp["failed_keys"] == {"P5": "412 three times"}
    plain = rows["Plain"]  # a report without SharePoint's fields: zeros, not an error
    assert (plain["recycled"], plain["recycled_keys"], plain["replans"]) == (0, {}, 0)
    assert history[0]["recycled"] == 3 and history[0]["replans"] == 2
    assert not any(name.endswith("_keys") for name in history[0])


def test_an_older_database_gets_the_new_columns_and_keeps_its_rows(tmp_path, db_url) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute(OLD_WRITE_RUNS)
        db.execute(
            "INSERT INTO write_runs VALUES (1, 'C3PO Portfolio', 0, 2, 1, 0, 5, 0, 0, 3, "
            "'[\"P1\", \"P2\"]', '{\"P3\": [\"Phase\"]}', '[]', '{}', '2026-01-05 02:00:00')"
        )
    db.close()

    with StateStore(db_url) as store:
        store.record_writes(2, [_sharepoint_report()])
        old, new = store.writes_for_run(1)[0], store.writes_for_run(2)[0]
    with StateStore(db_url) as store:  # opening again finds nothing left to add
        assert store.writes_for_run(2)[0]["recycled"] == 3

    assert old["added_keys"] == ["P1", "P2"] and old["changed_keys"] == {"P3": ["Phase"]}
    assert (old["recycled"], old["recycled_keys"], old["replans"]) == (0, {}, 0)
    assert (new["recycled"], new["replans"]) == (3, 2)
    with sqlite3.connect(path) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(write_runs)")]
    db.close()
    assert columns[-3:] == ["recycled", "recycled_keys", "replans"]


@dataclass
class _DuckReport(WriteReport):
    """Another sink's report that happens to carry the same extras (read by name)."""

    recycled: dict[str, list[int]] = field(default_factory=dict)
    replans: int = 0


def test_extras_are_read_by_name_from_any_report(db_url) -> None:
    with StateStore(db_url) as store:
        store.record_writes(1, [_DuckReport("L", recycled={"K": [1]}, replans=1)])
        row = store.writes_for_run(1)[0]
    assert (row["recycled"], row["recycled_keys"], row["replans"]) == (1, {"K": [1]}, 1)
