"""Snapshots at tenant size: saved a chunk at a time, loaded column by column, repeats shared.

Issue 16 (peak memory): a snapshot of a large tenant must round-trip exactly across the save
chunks, and a loaded table holds each repeated value (site, list, key, type, date) once
instead of one string per row.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime

import pandas as pd

from c3po_sync.model.schema import DOCUMENTS, PROJECTS, STATUS_REPORTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.state.serialize import ROW_CHUNK
from c3po_sync.state.store import StateStore

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _fresh(text: str) -> str:
    """An equal string that is a new object, as each value parsed from JSON is."""
    return "".join(list(text))


def _documents(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        site = f"/sites/ppm-{i % 7}"
        rows.append(
            {
                "project_key": _fresh(f"P{i % 300:04d}"),
                "doc_type": _fresh("charter" if i % 3 else "status_report"),
                "name": f"Document {i}.docx",
                "path": f"{site}/Project Documents/P{i % 300:04d}/Document {i}.docx",
                "size": i * 10 if i % 11 else None,
                "author": _fresh("SharePoint App") if i % 5 else None,
                "source_site": _fresh(site),
                "source_list": _fresh("Project Documents"),
                "source_item_id": i + 1,
                "source_etag": _fresh(f'"{1 + i % 3}"'),
                "source_modified": datetime(2026, 10, 1 + i % 28, 12, 0, tzinfo=UTC),
                "source_url": f"https://city.example{site}/Project%20Documents/{i}",
            }
        )
    return DOCUMENTS.frame(rows)


def _projects(n: int) -> pd.DataFrame:
    return PROJECTS.frame(
        [
            {
                "project_key": f"P{i:04d}",
                "title": f"Project {i}",
                "phase": _fresh("Execution"),
                "departments": ["Finance", f"Dept {i % 4}"],
                "budget": 1000.5 * i,
                "start_date": date(2025, 1 + i % 12, 1 + i % 28),
                "status_date": date(2026, 10, 1) if i % 2 else None,
                "high_profile": bool(i % 2) if i % 3 else None,
                "source_site": "/sites/ppm-0",
                "source_list": "Projects",
                "source_item_id": i + 1,
            }
            for i in range(n)
        ]
    )


def test_large_snapshot_round_trips_across_chunks_with_repeats_held_once(tmp_path) -> None:
    documents = _documents(2 * ROW_CHUNK + 123)  # three chunks, the last a partial one
    projects = _projects(300)
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, CanonicalTables(projects=projects, documents=documents), at=AT)
        store.save_snapshot(1, CanonicalTables(projects=projects, documents=documents), at=AT)
        loaded = store.load_snapshot(1)
    pd.testing.assert_frame_equal(loaded.documents, documents)
    pd.testing.assert_frame_equal(loaded.projects, projects)
    docs = loaded.documents
    for column in ("source_site", "source_list", "doc_type", "author", "project_key"):
        values = docs[column].dropna()
        objects = {id(v) for v in values.array._ndarray if isinstance(v, str)}
        assert len(objects) == values.nunique(), column  # one object per distinct value
    starts = loaded.projects["start_date"].dropna()
    assert len({id(d) for d in starts}) == starts.nunique()
    paths = docs["path"].array._ndarray
    assert len({id(p) for p in paths}) == len(paths)  # distinct values stay as they are


def test_loading_holds_little_beyond_the_tables_it_builds(tmp_path) -> None:
    """No list of every row's JSON, nor a dict per row: what loading allocates at its peak is
    well under twice what the loaded tables keep (the old loader's peak was over three
    times)."""
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, CanonicalTables(documents=_documents(3 * ROW_CHUNK)), at=AT)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            loaded = store.load_snapshot(1)
            kept, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(loaded.documents) == 3 * ROW_CHUNK
    assert (peak - base) < 2 * (kept - base), (peak - base, kept - base)


def test_the_council_deltas_load_a_snapshots_projects_only(tmp_path) -> None:
    """The deltas compare projects; the rollup loaded the base run's documents too (at 4× city
    size 200,000 rows held for nothing while the workbook was built)."""
    from c3po_sync.state import timeline

    projects = _projects(40)
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, CanonicalTables(projects=projects, documents=_documents(50)), at=AT)
        base = timeline.tables_for_deltas(store, 1)
        whole = store.load_snapshot(1)
    pd.testing.assert_frame_equal(base.projects, projects)
    assert base.documents.empty and list(base.documents.columns) == DOCUMENTS.column_names
    assert len(whole.documents) == 50  # the full load is unchanged


def _reports_of(documents: pd.DataFrame) -> pd.DataFrame:
    """Status reports found in a library, as normalize makes them: each one its document's
    row again (summary = name, the same link), a few with a summary or link of their own."""
    picked = documents[documents["doc_type"] == "status_report"]
    return STATUS_REPORTS.frame(
        [
            {
                "project_key": d["project_key"],
                "report_date": date(2026, 10, 1 + i % 28),
                "summary": _fresh(d["name"]) if i % 9 else "written by hand",
                "source_site": d["source_site"],
                "source_list": d["source_list"],
                "source_item_id": d["source_item_id"],
                "source_url": _fresh(d["source_url"]) if i % 13 else None,
            }
            for i, d in enumerate(picked.to_dict("records"))
        ]
    )


def test_status_reports_loaded_point_at_their_documents_strings(tmp_path) -> None:
    """A status report repeats its document's name and link (model.compact ECHOES): loaded,
    it holds the document's strings, not copies, and every value is what was saved."""
    documents = _documents(ROW_CHUNK + 77)
    reports = _reports_of(documents)
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, CanonicalTables(documents=documents, status_reports=reports), at=AT)
        loaded = store.load_snapshot(1)
        alone = store.load_snapshot(1, tables=("status_reports",))
    pd.testing.assert_frame_equal(loaded.status_reports, reports)
    pd.testing.assert_frame_equal(loaded.documents, documents)
    pd.testing.assert_frame_equal(alone.status_reports, reports)
    held = {id(v) for c in ("name", "source_url") for v in loaded.documents[c].array._ndarray}
    for column, own in (("summary", "written by hand"), ("source_url", None)):
        values = loaded.status_reports[column].array._ndarray
        echoed = [v for v in values if isinstance(v, str) and v != own]
        assert echoed and all(id(v) in held for v in echoed), column
