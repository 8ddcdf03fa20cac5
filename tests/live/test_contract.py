"""The SharePoint adapter contract: what the product needs SharePoint to do, checked on the
sandbox in every run and on the City's tenant when an admin names one (``pytest -m live``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c3po_sync.m365.file_writer import SharePointFileSink
from c3po_sync.m365.http import list_path
from c3po_sync.m365.library_reader import SharePointLibrarySource
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.m365.provision import ListProvisioner
from c3po_sync.m365.schema import fetch_fields
from c3po_sync.sinks.base import ColumnSpec, ListSpec
from c3po_sync.sources.base import SourceRef
from c3po_sync.sources.incremental import source_key, sync_site
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore

from .conftest import NOT_CONFIGURED, Backend, live_configured

PAST_THRESHOLD = 5_100  # more than the 5,000-item list view threshold


def _spec(title: str) -> ListSpec:
    return ListSpec(
        title=title,
        key_column="ProjectKey",
        columns=(
            ColumnSpec("ProjectKey", "Project Key", "Text", indexed=True),
            ColumnSpec("Title", "Title", "Text"),
            ColumnSpec("OpenFindings", "Open Findings", "Number"),
            ColumnSpec("Phase", "Phase", "Choice", choices=("Plan", "Build", "Run")),
            ColumnSpec("StatusDate", "Status Date", "DateTime", date_only=True),
            ColumnSpec("SourceItem", "Source Item", "URL"),
            ColumnSpec("PPMComment", "PPM Comment", "Note", owned=False),
        ),
    )


def _rows(n: int, phase: str = "Plan") -> list[dict]:
    return [
        {
            "ProjectKey": f"K{i}",
            "Title": f"Project {i}",
            "OpenFindings": i,
            "Phase": phase,
            "StatusDate": "2026-03-0" + str(1 + i % 9),
            "SourceItem": {"Url": f"https://example.gov/p{i}", "Description": f"P{i}"},
        }
        for i in range(n)
    ]


def _item_type(backend: Backend, title: str) -> str:
    d = backend.conn.get_json(
        backend.conn.api(f"{list_path(title)}?$select=ListItemEntityTypeFullName"),
        route=f"list '{title}'",
    )
    return str(d["ListItemEntityTypeFullName"])


@pytest.fixture
def cache() -> Iterator[RawCache]:
    with StateStore("sqlite://") as store:
        yield RawCache(store)


@pytest.mark.live
def test_live_tenant_is_named() -> None:
    """The one line that says whether the live half ran (see tests/live/conftest.py)."""
    if not live_configured():
        pytest.skip(NOT_CONFIGURED)


def test_reads_a_list_past_the_view_threshold(backend: Backend) -> None:
    title = backend.scratch_title("Numbered")
    backend.seed_numbered(title, PAST_THRESHOLD)
    source = SharePointListSource(SourceRef(backend.conn.site_path, title), backend.conn)

    batch = source.read(["RowKey", "Score"])

    assert len(batch.records) == PAST_THRESHOLD
    assert len({r.item_id for r in batch.records}) == PAST_THRESHOLD
    assert {int(r.values["Score"]) for r in batch.records} == set(range(PAST_THRESHOLD))


def test_reads_a_library_with_folders(backend: Backend) -> None:
    title = backend.scratch_title("Library")
    files = {
        "top.txt": b"top",
        "TMS/charter.txt": b"charter",
        "TMS/Contracts/c1.txt": b"c1",
        "TMS/Contracts/2026/c2.txt": b"c2",
    }
    root = backend.seed_library(title, files)
    source = SharePointLibrarySource(
        SourceRef(backend.conn.site_path, title, "library"), backend.conn
    )

    batch = source.read([])

    refs = {str(r.values.get("FileRef")) for r in batch.records}
    for path in files:
        assert f"{root}/{path}" in refs, (path, sorted(refs))


def test_provisions_a_scratch_list_with_the_expected_internal_names(backend: Backend) -> None:
    spec = _spec(backend.scratch_title("Provisioned"))
    provisioner = ListProvisioner(backend.conn)

    assert provisioner.ensure(spec)  # created
    names = {f.internal_name for f in fetch_fields(backend.conn, spec.title)}
    assert {c.internal_name for c in spec.columns} <= names
    assert provisioner.ensure(spec) == []  # and nothing left to do


def test_upserts_with_etags_and_keeps_a_persons_column(backend: Backend) -> None:
    spec = _spec(backend.scratch_title("Upserted"))
    sink = SharePointListSink(backend.conn)
    sink.ensure_list(spec)
    first = sink.upsert(spec, _rows(3))
    assert sorted(first.added) == ["K0", "K1", "K2"]
    items = backend.conn.get_json(
        backend.conn.api(
            f"{list_path(spec.title)}/items?$select=Id,ProjectKey&$filter=ProjectKey eq 'K1'"
        ),
        route="item K1",
    )
    item_id = items["results"][0]["Id"]
    backend.conn.send(  # a PPM comments on the row between two runs
        "MERGE",
        backend.conn.api(f"{list_path(spec.title)}/items({item_id})"),
        route="a person's edit",
        body={"__metadata": {"type": _item_type(backend, spec.title)}, "PPMComment": "on hold"},
        headers={"IF-MATCH": "*"},
    )

    second = sink.upsert(spec, _rows(3, phase="Build"))
    idle = sink.upsert(spec, _rows(3, phase="Build"))

    assert sorted(second.changed) == ["K0", "K1", "K2"] and not second.failed
    assert idle.writes == 0
    kept = backend.conn.get_json(
        backend.conn.api(f"{list_path(spec.title)}/items({item_id})?$select=PPMComment,Phase"),
        route="item K1",
    )
    assert (kept["PPMComment"], kept["Phase"]) == ("on hold", "Build")


def test_reads_changes_from_the_change_log(backend: Backend, cache: RawCache) -> None:
    title = backend.scratch_title("Changing")
    spec = backend.seed_numbered(title, 3)
    source = SharePointListSource(SourceRef(backend.conn.site_path, title), backend.conn)
    site = backend.conn.site_path
    assert not sync_site(site, [(source, ["RowKey", "Score"])], cache).incremental
    SharePointListSink(backend.conn).upsert(
        spec, [{"RowKey": f"R{i:05d}", "Score": 100 + i} for i in range(3)]
    )

    synced = sync_site(site, [(source, ["RowKey", "Score"])], cache)

    assert synced.incremental
    scores = {int(r.values["Score"]) for r in cache.records(source_key(source.ref))}
    assert scores == {100, 101, 102}


def test_uploads_a_file(backend: Backend) -> None:
    title = backend.scratch_title("Uploads")
    backend.seed_library(title, {})
    content = b"C3PO contract upload\n" * 10

    url = SharePointFileSink(backend.conn).upload(title, "contract.txt", content)

    got = backend.conn.send(
        "GET",
        backend.conn.api(f"web/GetFileByServerRelativeUrl('{url}')/$value"),
        route="download",
    )
    assert got.content == content
