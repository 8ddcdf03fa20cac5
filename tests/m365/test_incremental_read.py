"""Incremental reads against the sandbox: checkpoints, one change-log request per idle site."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from c3po_sync.m365.library_reader import SharePointLibrarySource
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceRef
from c3po_sync.sources.incremental import Page, Schema, source_key, sync_site
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore

TZ = "America/Los_Angeles"
SITE = "/sites/ppm"
PROJECT_COLUMNS = ["Title", "ProjectCode", "Budget", "Phase", "PPM", "Team", "Department"]


class Killed(RuntimeError):
    """Stands in for a process killed mid-read."""


class DiesAfter(SharePointListSource):
    """A list source whose process 'dies' after ``pages`` pages have been checkpointed."""

    def __init__(self, *args: Any, pages: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages = pages

    def iter_full(
        self, columns: list[str], schema: Schema, position: dict[str, Any] | None
    ) -> Iterator[Page]:
        for n, page in enumerate(super().iter_full(columns, schema, position), start=1):
            yield page
            if n == self.pages:
                raise Killed(f"killed after page {n}")


@pytest.fixture
def cache() -> Iterator[RawCache]:
    with StateStore("sqlite://") as store:
        yield RawCache(store)


def _projects(conn) -> SharePointListSource:
    return SharePointListSource(SourceRef(SITE, "Projects"), conn, time_zone=TZ)


def _docs(conn) -> SharePointLibrarySource:
    return SharePointLibrarySource(SourceRef(SITE, "Documents", "library"), conn, time_zone=TZ)


def _plain(records) -> list[tuple]:
    return [(r.item_id, r.values, r.etag, r.modified, r.url) for r in records]


def test_killed_read_of_12000_items_resumes_without_rereading(
    tenant: Tenant, server: SandboxServer, connect, cache: RawCache
) -> None:
    lst = tenant.sites[SITE].create_list("Big", 100)
    lst.add_field("Score", "Number")
    for i in range(12_000):
        lst.add_item({"Title": f"Row {i}", "Score": i}, record=False)
    ref = SourceRef(SITE, "Big")

    dying = DiesAfter(ref, connect(SITE), time_zone=TZ, pages=2)
    result = sync_site(SITE, [(dying, ["Title", "Score"])], cache)
    assert isinstance(result.errors[source_key(ref)], Killed)
    state = cache.state(source_key(ref))
    assert (
        state is not None and not state.complete and state.position == {"query": 0, "after": 10_000}
    )
    assert len(cache.records(source_key(ref))) == 10_000

    server.stats.reset()
    resumed = SharePointListSource(ref, connect(SITE), time_zone=TZ)
    result = sync_site(SITE, [(resumed, ["Title", "Score"])], cache)

    assert not result.errors
    assert server.stats.count("GET", "items") == 1  # only the third page
    assert server.stats.count("GET", "fields") == 0  # schema reused from the checkpoint
    batch = result.batches[source_key(ref)]
    fresh = SharePointListSource(ref, connect(SITE), time_zone=TZ).read(["Title", "Score"])
    assert _plain(batch.records) == _plain(fresh.records)
    assert [r.item_id for r in batch.records] == sorted(lst.items)


def test_first_run_full_read_then_idle_site_costs_one_request(
    connect, server: SandboxServer, cache: RawCache
) -> None:
    conn = connect(SITE)
    sources = [(_projects(conn), PROJECT_COLUMNS), (_docs(conn), ["DocType"])]
    first = sync_site(SITE, sources, cache)
    assert not first.errors and len(first.full_reads) == 2
    assert server.stats.count("POST", "contextinfo") == 0  # bearer callers skip the digest

    server.stats.reset()
    conn2 = connect(SITE)
    second = sync_site(
        SITE, [(_projects(conn2), PROJECT_COLUMNS), (_docs(conn2), ["DocType"])], cache
    )

    assert conn2.requests_sent == 1
    assert server.stats.total == 1
    assert second.incremental and not second.full_reads
    for key, batch in first.batches.items():
        assert _plain(second.batches[key].records) == _plain(batch.records)


def test_edits_adds_deletes_match_a_fresh_full_read(
    tenant: Tenant, connect, server: SandboxServer, cache: RawCache
) -> None:
    conn = connect(SITE)
    sync_site(SITE, [(_projects(conn), PROJECT_COLUMNS), (_docs(conn), ["DocType"])], cache)
    site = tenant.sites[SITE]
    projects = site.list_by_title("Projects")
    projects.update_item(1, {"Phase": "Run", "Budget": 5})
    projects.delete_item(2)
    added = projects.add_item({"Title": "New", "ProjectCode": "NEW", "PPMId": 10}).id
    docs = site.list_by_title("Documents")
    doc_id = next(i for i, it in docs.items.items() if it.file_ref.endswith("c2.pdf"))
    docs.update_item(doc_id, {"DocType": "Contract"})
    site.add_file("/sites/ppm/Shared Documents/TMS/Contracts/2026", "new.docx", b"x")

    server.stats.reset()
    conn2 = connect(SITE)
    result = sync_site(
        SITE, [(_projects(conn2), PROJECT_COLUMNS), (_docs(conn2), ["DocType"])], cache
    )

    assert not result.errors and not result.full_reads
    # One read $batch: both changed lists re-check their schema, the site users and the
    # ID-filtered re-read of the list ride along; then one CAML <In> re-read, no folders.
    assert server.stats.count("POST", "batch") == 1
    assert server.stats.count("GET", "fields", in_batch=True) == 2
    assert server.stats.count("GET", "items", in_batch=True) == 1
    assert server.stats.count("GET", "fields") == server.stats.count("GET", "items") == 0
    assert server.stats.count("POST", "get_items") == 1
    assert server.stats.total == 3  # getChanges, the read $batch, GetItems
    fresh_projects = _projects(connect(SITE)).read(PROJECT_COLUMNS)
    fresh_docs = _docs(connect(SITE)).read(["DocType"])
    got = result.batches
    assert _plain(got[source_key(SourceRef(SITE, "Projects"))].records) == _plain(
        fresh_projects.records
    )
    assert _plain(got[source_key(SourceRef(SITE, "Documents"))].records) == _plain(
        fresh_docs.records
    )
    ids = [r.item_id for r in got[source_key(SourceRef(SITE, "Projects"))].records]
    assert 2 not in ids and added in ids


def test_refused_token_falls_back_to_a_full_read_with_a_warning(
    connect, cache: RawCache, caplog
) -> None:
    conn = connect(SITE)
    sync_site(SITE, [(_projects(conn), PROJECT_COLUMNS)], cache)
    cache.set_site_token(SITE, "1;1;00000000-0000-0000-0000-000000000000;1;1")

    with caplog.at_level(logging.WARNING):
        result = sync_site(SITE, [(_projects(connect(SITE)), PROJECT_COLUMNS)], cache)

    assert not result.errors and result.full_reads == [source_key(SourceRef(SITE, "Projects"))]
    assert any(
        "falling back to a full read of /sites/ppm/Projects" in r.getMessage()
        for r in caplog.records
    )
    assert cache.site_token(SITE) != "1;1;00000000-0000-0000-0000-000000000000;1;1"
    assert len(result.batches[source_key(SourceRef(SITE, "Projects"))].records) == 2


def test_changes_during_a_killed_read_are_not_lost(
    tenant: Tenant, connect, cache: RawCache
) -> None:
    lst = tenant.sites[SITE].create_list("Mid", 100)
    for i in range(30):
        lst.add_item({"Title": f"Row {i}"}, record=False)
    ref = SourceRef(SITE, "Mid")
    dying = DiesAfter(ref, connect(SITE), time_zone=TZ, page_size=10, pages=1)
    sync_site(SITE, [(dying, ["Title"])], cache)
    lst.update_item(3, {"Title": "edited while the run was down"})  # already checkpointed
    lst.delete_item(25)  # not read yet

    resumed = SharePointListSource(ref, connect(SITE), time_zone=TZ, page_size=10)
    result = sync_site(SITE, [(resumed, ["Title"])], cache)

    records = {r.item_id: r.values["Title"] for r in result.batches[source_key(ref)].records}
    assert records[3] == "edited while the run was down"
    assert 25 not in records and len(records) == 29


def test_over_threshold_list_is_read_and_reread_by_id_without_throttling(
    tenant: Tenant, server: SandboxServer, connect, cache: RawCache
) -> None:
    lst = tenant.sites[SITE].create_list("Huge", 100)
    lst.add_field("Status", "Choice", choices=["Open", "Closed"])  # not indexed
    for i in range(6_000):
        lst.add_item({"Title": f"T{i}", "Status": "Open" if i % 2 else "Closed"}, record=False)
    ref = SourceRef(SITE, "Huge")
    conn = connect(SITE)
    from c3po_sync.m365.errors import SharePointRequestError

    with pytest.raises(SharePointRequestError, match="SPQueryThrottledException"):
        conn.get_json(
            conn.api("Web/lists/GetByTitle('Huge')/items?$filter=Status eq 'Open'&$top=10"),
            route="unindexed filter",
        )
    sync_site(SITE, [(SharePointListSource(ref, conn, time_zone=TZ), ["Title", "Status"])], cache)
    for i in (5, 6, 7, 4_000, 5_999):
        lst.update_item(i, {"Status": "Closed"})

    server.stats.reset()
    result = sync_site(
        SITE, [(SharePointListSource(ref, connect(SITE), time_zone=TZ), ["Title", "Status"])], cache
    )

    assert not result.errors
    assert server.stats.statuses.get(500, 0) == 0
    assert server.stats.count("GET", "items", in_batch=True) == 1  # beside the fields GET
    assert server.stats.statuses.get(400, 0) == 0
    closed = [r for r in result.batches[source_key(ref)].records if r.values["Status"] == "Closed"]
    assert len(closed) == 3_000 + 2  # ids 6 and 4000 were Open; 5, 7 and 5999 already Closed


def test_change_rows_are_classified_per_list_and_schema() -> None:
    from c3po_sync.m365.changes import classify
    from c3po_sync.sources.incremental import SiteChanges, id_ranges

    rows = [
        {"__metadata": {"type": "SP.ChangeItem"}, "ChangeType": 1, "ItemId": 4, "ListId": "A"},
        {"__metadata": {"type": "SP.ChangeItem"}, "ChangeType": 3, "ItemId": 4, "ListId": "a"},
        {"__metadata": {"type": "SP.ChangeItem"}, "ChangeType": 2, "ItemId": 9, "ListId": "a"},
        {"__metadata": {"type": "SP.ChangeItem"}, "ChangeType": 4, "ItemId": 2, "ListId": "b"},
        {"__metadata": {"type": "SP.ChangeList"}, "ChangeType": 2, "ListId": "{C}"},
        {"__metadata": {"type": "SP.ChangeField"}, "ChangeType": 2, "FieldId": "f"},
    ]
    changes = SiteChanges(token="t")
    classify(rows, changes)
    assert changes.for_list("A").changed == {9} and changes.for_list("a").deleted == {4}
    assert changes.for_list("b").changed == {2}
    assert changes.schema_changed == {"c"} and changes.all_schemas_changed
    assert id_ranges([7, 1, 2, 3, 9, 8]) == [(1, 3), (7, 9)]


def test_idle_site_notices_a_deleted_column_from_the_change_log(
    tenant: Tenant, connect, server: SandboxServer, cache: RawCache
) -> None:
    conn = connect(SITE)
    sync_site(SITE, [(_projects(conn), PROJECT_COLUMNS), (_docs(conn), ["DocType"])], cache)
    projects = tenant.sites[SITE].list_by_title("Projects")
    projects.update_field(projects.field("Phase"), {"Title": "Stage"})  # SP.ChangeField Update
    projects.delete_field(projects.field("Budget"))  # SP.ChangeField DeleteObject

    server.stats.reset()
    conn2 = connect(SITE)
    result = sync_site(
        SITE, [(_projects(conn2), PROJECT_COLUMNS), (_docs(conn2), ["DocType"])], cache
    )

    # No item changed: the field entries alone make the list's schema be read again (one
    # GET beside the change log); the library, untouched, costs nothing.
    assert server.stats.total == 2 and server.stats.count("GET", "fields") == 1
    fields = {f.internal_name: f.title for f in result.batches[source_key(projects_ref())].fields}
    assert "Budget" not in fields and fields["Phase"] == "Stage"


def projects_ref() -> SourceRef:
    return SourceRef(SITE, "Projects")


def test_a_list_folder_deleted_takes_its_items_out_like_a_fresh_read(
    tenant: Tenant, connect, cache: RawCache
) -> None:
    """A list can hold folders; SharePoint logs only the folder when it is deleted
    (SharePoint/sp-dev-docs#5964). Folders are no records, so the folder's change names an
    item not held and the list is read in full: its items leave with it."""
    projects = tenant.sites[SITE].list_by_title("Projects")
    root = projects.root_folder
    folder = projects.add_item({"Title": "Archive"}, fs_obj_type=1, file_ref=f"{root}/Archive")
    inside = projects.add_item({"Title": "Old", "ProjectCode": "OLD"})
    del projects.by_ref[inside.file_ref.lower()]
    inside.file_ref = f"{root}/Archive/{inside.id}_.000"
    projects.by_ref[inside.file_ref.lower()] = inside.id
    key = source_key(SourceRef(SITE, "Projects"))

    first = sync_site(SITE, [(_projects(connect(SITE)), PROJECT_COLUMNS)], cache)
    ids = [r.item_id for r in first.batches[key].records]
    assert inside.id in ids and folder.id not in ids  # a folder is not a project row

    projects.delete_item(folder.id)  # logged alone; the item in it goes unlogged
    second = sync_site(SITE, [(_projects(connect(SITE)), PROJECT_COLUMNS)], cache)
    fresh = _projects(connect(SITE)).read(PROJECT_COLUMNS)
    assert inside.id not in [r.item_id for r in second.batches[key].records]
    assert _plain(second.batches[key].records) == _plain(fresh.records)


def test_a_folder_deleted_while_a_killed_read_waits_takes_its_items_out(
    tenant: Tenant, connect, cache: RawCache
) -> None:
    """The folder's id is above where the killed read stopped, its item below: the resumed read
    must not take the folder's change for one of the items it will read later (it logs alone,
    SharePoint/sp-dev-docs#5964), or the item read before the kill stays for good."""
    lst = tenant.sites[SITE].create_list("Mid", 100)
    for i in range(30):
        lst.add_item({"Title": f"Row {i}"}, record=False)
    folder = lst.add_item({"Title": "Archive"}, fs_obj_type=1, file_ref=f"{lst.root_folder}/A")
    inside = lst.items[3]
    del lst.by_ref[inside.file_ref.lower()]
    inside.file_ref = f"{lst.root_folder}/A/3_.000"
    lst.by_ref[inside.file_ref.lower()] = 3
    ref = SourceRef(SITE, "Mid")
    dying = DiesAfter(ref, connect(SITE), time_zone=TZ, page_size=10, pages=1)
    sync_site(SITE, [(dying, ["Title"])], cache)  # the source fails; its first page is kept
    assert folder.id > 10  # read after the kill, item 3 before it

    lst.delete_item(folder.id)
    resumed = SharePointListSource(ref, connect(SITE), time_zone=TZ, page_size=10)
    result = sync_site(SITE, [(resumed, ["Title"])], cache)

    fresh = SharePointListSource(ref, connect(SITE), time_zone=TZ).read(["Title"])
    assert 3 not in [r.item_id for r in fresh.records]
    assert _plain(result.batches[source_key(ref)].records) == _plain(fresh.records)
