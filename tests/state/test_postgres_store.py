"""The state store on a real PostgreSQL server: migrations, change log, pruning, findings, and
a dry run's copy of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from c3po_sync.model.schema import FINDINGS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.history import field_changes, project_history
from c3po_sync.sinks.ledger import StoredRow
from c3po_sync.state import migrate, timeline
from c3po_sync.state.dry_run import dry_run_store
from c3po_sync.state.store import StateStore

START = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _tables(budget: float) -> CanonicalTables:
    rows = [{"project_key": "A", "budget": budget}, {"project_key": "B", "budget": 5.0}]
    return CanonicalTables(projects=PROJECTS.frame(rows))


def test_state_store_on_postgresql(pg_url: str):
    finding = {"finding_id": "R9:A", "rule_id": "R9", "recommendation": 9, "severity": "low",
               "entity_kind": "project", "entity_key": "A", "project_key": "A"}  # fmt: skip
    with StateStore(pg_url) as store:
        assert store.engine.dialect.name == "postgresql"
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
        for night, budget in enumerate([1.0, 1.0, 2.0, 2.0]):
            run = store.start_run("nightly", "test")
            at = START + timedelta(days=night)
            store.save_snapshot(run, _tables(budget), at=at)
            store.record_findings(run, FINDINGS.frame([finding] if night < 3 else []), at)
            store.finish_run(run, "ok", {"night": night})
        store.set_token("site|list", "tok")
        store.save_hub_rows("Hub", {"A": StoredRow(1, None, {"Title": "h"}, "h")})
        assert store.prune_snapshots_older_than(START + timedelta(days=3), keep_newest=1) == [
            1, 2, 3
        ]  # fmt: skip
        changes = field_changes(project_history(timeline.project_snapshots(store)), ["budget"])
        assert [(c.project_key, c.before, c.after) for c in changes.itertuples()] == [
            ("A", 1.0, 2.0)
        ]
        assert changes["changed_at"].tolist() == [START + timedelta(days=2)]
        assert store.findings().set_index("finding_id").at["R9:A", "status"] == "resolved"
        assert timeline.tables_for_deltas(store, 1).projects["budget"].tolist() == [1.0, 5.0]
    StateStore(pg_url).close()  # opening again: already at head, nothing re-run
    with dry_run_store(pg_url) as copy:
        assert copy.engine.dialect.name == "sqlite"
        assert copy.get_token("site|list") == "tok"
        assert len(timeline.project_snapshots(copy)) == 3
        assert "entity_versions" in inspect(copy.engine).get_table_names()
