"""Carrying a source's last good rows (pipeline.carry), without SharePoint."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from c3po_sync.model.schema import FINDINGS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.pipeline.carry import carry_over, finding_sources, merge, record_reads
from c3po_sync.sources.base import SourceRef
from c3po_sync.state.store import StateStore

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
A = SourceRef("/sites/a", "Projects")
B = SourceRef("/sites/b", "Projects")


def _project(key: str, ref: SourceRef, title: str = "") -> dict:
    return {"project_key": key, "title": title or key, "source_site": ref.site,
            "source_list": ref.list_title, "source_item_id": 1}  # fmt: skip


def test_carry_keeps_only_the_failed_sources_rows_and_says_since_when(tmp_path: Path) -> None:
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        run = store.start_run("nightly", "test")
        rows = [_project("A1", A), _project("A2", A), _project("B1", B)]
        store.save_snapshot(run, CanonicalTables(projects=PROJECTS.frame(rows)), at=T0)
        record_reads(store, [A, B], T0)
        carried, stale = carry_over(store, run + 1, [(A, "site down")])
        never, unknown = carry_over(store, run + 1, [(SourceRef("/sites/new", "L"), "404")])
    assert sorted(carried.projects["project_key"]) == ["A1", "A2"]
    [s] = stale
    assert (s.since, s.carried, s.reason) == (T0, 2, "site down")
    assert "not re-read since 2026-11-01 08:00 UTC: site down" == s.note()
    assert never.projects.empty and unknown[0].since is None  # never read: nothing to keep

    # A row a read source yields again wins over the carried one.
    fresh = CanonicalTables(
        projects=PROJECTS.frame([_project("A2", B, "moved"), _project("B1", B)])
    )
    merged = merge(fresh, carried).projects.set_index("project_key")
    assert sorted(merged.index) == ["A1", "A2", "B1"]
    assert merged.loc["A2", "title"] == "moved"


def test_finding_sources_takes_findings_with_unknown_kinds(tmp_path: Path) -> None:
    with StateStore(f"sqlite:///{tmp_path / 's.db'}") as store:
        run = store.start_run("nightly", "test")
        store.save_snapshot(run, CanonicalTables(projects=PROJECTS.frame([_project("A1", A)])))
        carried, stale = carry_over(store, run + 1, [(A, "down")])
    findings = FINDINGS.frame(
        [
            {"finding_id": "R9:A1", "rule_id": "R9", "project_key": "A1", "entity_key": "A1"},
            {"finding_id": "R9:B1", "rule_id": "R9", "project_key": "B1", "entity_key": "B1"},
            {
                "finding_id": "DQ-source-unreadable:/sites/a/Projects",
                "rule_id": "DQ",
                "entity_kind": "source",
                "entity_key": "/sites/a/Projects",
            },  # fmt: skip
        ]
    )
    assert findings["entity_kind"].isna().sum() == 2
    got = finding_sources(findings, carried, stale)
    assert sorted(got) == ["DQ-source-unreadable:/sites/a/Projects", "R9:A1"]
    assert finding_sources(pd.DataFrame(columns=findings.columns), carried, stale) == {}
