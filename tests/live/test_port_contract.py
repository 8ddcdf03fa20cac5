"""The ports' contract: what the pipeline relies on from a source, a list sink and a file
sink, checked on the in-memory adapters, on the SharePoint adapters against the sandbox, and
(``pytest -m live``, C3PO_LIVE_*) against a real tenant.

The in-memory adapters let pipeline logic be tested in milliseconds; this suite is what keeps
them honest: every test here runs on all of them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from c3po_sync.m365.file_writer import SharePointFileSink
from c3po_sync.m365.list_readback import read_list_rows
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.sinks.base import ColumnSpec, FileSink, ListSink, ListSpec
from c3po_sync.sinks.memory import InMemoryFileSink, InMemoryListSink
from c3po_sync.sources.base import Source, SourceRef
from c3po_sync.sources.memory import InMemorySource

from .conftest import BACKENDS, Backend, open_backend


def _spec(title: str) -> ListSpec:
    return ListSpec(
        title=title,
        key_column="RowKey",
        columns=(
            ColumnSpec("RowKey", "Row Key", "Text", indexed=True),
            ColumnSpec("Score", "Score", "Number"),
            ColumnSpec("RowStatus", "Row Status", "Text"),
        ),
    )


ROWS = [{"RowKey": f"R{i}", "Score": i + 0.5} for i in range(3)]


@dataclass
class PortsUnderTest:
    """One set of adapters: the write ports, a read-back of a list, and a seeded source."""

    name: str
    list_sink: ListSink
    file_sink: FileSink
    read_rows: Callable[[ListSpec], list[dict[str, Any]]]
    seed: Callable[[ListSpec, list[dict[str, Any]]], Source]
    new_title: Callable[[str], str]
    new_library: Callable[[str], str]
    titles: list[str] = field(default_factory=list)


def _memory() -> PortsUnderTest:
    lists = InMemoryListSink()
    counter = iter(range(1_000_000))

    def seed(spec: ListSpec, rows: list[dict[str, Any]]) -> Source:
        kinds = {c.internal_name: c.kind for c in spec.columns}
        return InMemorySource.of(SourceRef("/sites/contract", spec.title), kinds, rows)

    return PortsUnderTest(
        "memory",
        lists,
        InMemoryFileSink(),
        lists.rows,
        seed,
        lambda stem: f"C3PO Contract {next(counter)} {stem}",
        lambda stem: f"C3PO Contract {next(counter)} {stem}",
    )


def _sharepoint(backend: Backend) -> PortsUnderTest:
    sink = SharePointListSink(backend.conn)

    def seed(spec: ListSpec, rows: list[dict[str, Any]]) -> Source:
        sink.ensure_list(spec)
        sink.upsert(spec, rows)
        return SharePointListSource(SourceRef(backend.conn.site_path, spec.title), backend.conn)

    def new_library(stem: str) -> str:
        title = backend.scratch_title(stem)
        backend.seed_library(title, {})
        return title

    return PortsUnderTest(
        backend.name,
        sink,
        SharePointFileSink(backend.conn),
        lambda spec: read_list_rows(backend.conn, spec),
        seed,
        backend.scratch_title,
        new_library,
    )


@pytest.fixture(params=["memory", *BACKENDS])
def ports(request: pytest.FixtureRequest) -> Iterator[PortsUnderTest]:
    """The in-memory adapters, and the SharePoint ones on the sandbox (and a live tenant)."""
    if request.param == "memory":
        yield _memory()
        return
    backend = open_backend(request, request.param)
    try:
        yield _sharepoint(backend)
    finally:
        backend.cleanup()


def _by_key(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {r["RowKey"]: (r.get("Score"), r.get("RowStatus") or None) for r in rows}


def test_a_source_reads_every_item_once_with_the_columns_asked_for(ports) -> None:
    spec = _spec(ports.new_title("Source"))
    source = ports.seed(spec, ROWS)

    batch = source.read(["RowKey", "Score", "NoSuchColumn"])

    assert batch.ref == source.ref
    ids = [r.item_id for r in batch.records]
    assert len(set(ids)) == len(ids) == len(ROWS)
    got = {r.values["RowKey"]: float(r.values["Score"]) for r in batch.records}
    assert got == {r["RowKey"]: r["Score"] for r in ROWS}
    assert all(set(r.values) == {"RowKey", "Score"} for r in batch.records)
    # A column the list lacks is skipped, not an error; drift checking sees it is missing.
    names = {f.internal_name for f in batch.fields}
    assert {"RowKey", "Score"} <= names and "NoSuchColumn" not in names


def test_ensure_list_creates_once(ports) -> None:
    spec = _spec(ports.new_title("Ensure"))
    assert ports.list_sink.ensure_list(spec, dry_run=True)
    assert ports.list_sink.ensure_list(spec)  # the dry run created nothing
    assert ports.list_sink.ensure_list(spec) == []


def test_upsert_writes_only_what_differs_and_marks_rather_than_deletes(ports) -> None:
    spec = _spec(ports.new_title("Upsert"))
    sink = ports.list_sink
    sink.ensure_list(spec)
    gone = {"RowStatus": "Gone"}

    first = sink.upsert(spec, ROWS, mark_missing=gone)
    assert sorted(first.added) == ["R0", "R1", "R2"] and first.writes == 3

    again = sink.upsert(spec, ROWS, mark_missing=gone)
    assert again.writes == 0 and again.unchanged == 3

    edited = [ROWS[0], {"RowKey": "R1", "Score": 9.5}]  # R1 changed, R2 no longer there
    third = sink.upsert(spec, edited, mark_missing=gone)
    assert third.changed == {"R1": ["Score"]} and third.marked == ["R2"]
    assert third.unchanged == 1 and not third.added
    assert _by_key(ports.read_rows(spec)) == {
        "R0": (0.5, None),
        "R1": (9.5, None),
        "R2": (2.5, "Gone"),  # kept, marked: never deleted
    }
    assert sink.upsert(spec, edited, mark_missing=gone).writes == 0


def test_a_dry_run_reports_the_writes_and_makes_none(ports) -> None:
    spec = _spec(ports.new_title("DryRun"))
    ports.list_sink.ensure_list(spec)
    report = ports.list_sink.upsert(spec, ROWS, dry_run=True)
    assert report.dry_run and sorted(report.added) == ["R0", "R1", "R2"]
    assert ports.read_rows(spec) == []


def test_an_upload_returns_the_files_url_and_replaces_a_file_of_the_same_name(ports) -> None:
    library = ports.new_library("Files")
    first = ports.file_sink.upload(library, "rollup.xlsx", b"first")
    second = ports.file_sink.upload(library, "rollup.xlsx", b"second")
    assert first == second and first.startswith("/") and first.endswith("/rollup.xlsx")
