"""Unit tests of the sandbox model, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from c3po_sync.sandbox.errors import (
    BadRequest,
    ChangeTokenInvalid,
    FileAlreadyExists,
    ItemNotFound,
    ListNotFound,
    QueryThrottled,
    VersionConflict,
)
from c3po_sync.sandbox.model import Tenant


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


@pytest.fixture
def tenant() -> Tenant:
    t = Tenant("t", time_zone="America/Los_Angeles", clock=Clock())
    t.add_user("maria@x.gov", "Maria Lopez")
    t.add_user("bob@x.gov", "Bob Ray")
    t.add_site("/sites/c3po", "C3PO")
    return t


@pytest.fixture
def projects(tenant: Tenant):
    lst = tenant.sites["/sites/c3po"].create_list("Projects")
    lst.add_field("Status", "Choice", choices=["Active", "Closed"])
    lst.add_field("Cost", "Currency")
    lst.add_field("PPM", "User")
    lst.add_field("Reviewers", "UserMulti")
    lst.add_field("Due Date", "DateTime")
    for i in range(1, 11):
        lst.add_item(
            {
                "Title": f"P{i:02d}",
                "Status": "Active" if i % 2 else "Closed",
                "Cost": i * 100,
                "PPMId": 10 if i <= 5 else 11,
                "Due_x0020_Date": f"2026-01-{i:02d}T08:00:00+00:00",
            }
        )
    return lst


def test_filter_and_orderby(projects) -> None:
    rows, more = projects.query_items(
        filter="(Status eq 'Active' and Cost ge 300) or Title eq 'P10'", orderby=[("Cost", False)]
    )
    assert [r.values["Title"] for r in rows] == ["P10", "P09", "P07", "P05", "P03"]
    assert more is None
    rows, _ = projects.query_items(filter="PPM/EMail eq 'BOB@x.gov' and not startswith(Title,'P1')")
    assert [r.id for r in rows] == [6, 7, 8, 9]
    rows, _ = projects.query_items(filter="Due_x0020_Date le datetime'2026-01-03T00:00:00-08:00'")
    assert [r.id for r in rows] == [1, 2, 3]
    rows, _ = projects.query_items(filter="substringof('0',Title) and PPMId eq 11")
    assert [r.id for r in rows] == [6, 7, 8, 9, 10]


def test_unknown_names_are_bad_requests(projects) -> None:
    with pytest.raises(BadRequest, match="Nope"):
        projects.query_items(filter="Nope eq 1")
    with pytest.raises(BadRequest, match="Nope"):
        projects.query_items(select=["Title", "Nope"])
    with pytest.raises(
        BadRequest, match=r"The property 'Nope' does not exist on type 'SP.Data.ProjectsListItem'"
    ):
        projects.add_item({"Title": "x", "Nope": 1})


def test_paging_after_id(projects) -> None:
    rows, after = projects.query_items(top=4)
    assert [r.id for r in rows] == [1, 2, 3, 4] and after == 4
    rows, after = projects.query_items(top=4, skiptoken_after_id=after)
    assert [r.id for r in rows] == [5, 6, 7, 8] and after == 8
    rows, after = projects.query_items(top=4, skiptoken_after_id=after)
    assert [r.id for r in rows] == [9, 10] and after is None
    assert [r.id for r in projects.query_items(top=4, skip=20)[0]] == [1, 2, 3, 4]  # ignored


def test_threshold_on_large_list(tenant: Tenant) -> None:
    lst = tenant.sites["/sites/c3po"].create_list("Big")
    lst.add_field("Code", "Text")
    for i in range(12_000):
        lst.add_item({"Title": f"T{i}", "Code": str(i % 7)})
    with pytest.raises(QueryThrottled) as err:
        lst.query_items(filter="Code eq '3'")
    assert err.value.status == 500 and "SPQueryThrottledException" in err.value.code
    with pytest.raises(QueryThrottled):
        lst.query_items(orderby=[("Title", True)])
    rows, after = lst.query_items(top=5000, filter="ID gt 100")
    assert len(rows) == 5000 and rows[0].id == 101 and after == 5100
    lst.field("Code").indexed = True
    assert len(lst.query_items(filter="Code eq '3'", top=5000)[0]) == 1714


def test_entity_shapes(tenant: Tenant, projects) -> None:
    item = projects.get_item(1)
    projects.update_item(1, {"ReviewersId": {"results": [10, 11]}})
    ent = projects.item_entity(item)
    assert ent["Id"] == ent["ID"] == 1 and ent["PPMId"] == 10 and ent["PPMStringId"] == "10"
    assert ent["ReviewersId"] == {
        "__metadata": {"type": "Collection(Edm.Int32)"},
        "results": [10, 11],
    }
    assert ent["ReviewersStringId"]["results"] == ["10", "11"]
    assert (
        ent["Due_x0020_Date"] == "2026-01-01T08:00:00Z" and ent["OData__UIVersionString"] == "2.0"
    )
    sel = projects.item_entity(item, ["Title", "PPM/Title", "PPM/EMail"], ["PPM"])
    assert set(sel) == {"Title", "PPM"}
    assert sel["PPM"]["Title"] == "Maria Lopez" and sel["PPM"]["EMail"] == "maria@x.gov"
    assert sel["PPM"]["__metadata"]["type"] == "SP.Data.UserInfoItem"
    with pytest.raises(BadRequest, match="expand"):
        projects.item_entity(item, ["PPM/Title"], None)


def test_etag_and_missing_items(projects) -> None:
    item = projects.update_item(2, {"Title": "new"}, if_match='"1"')
    assert item.etag == '"2"'
    with pytest.raises(VersionConflict) as err:
        projects.update_item(2, {"Title": "stale"}, if_match='"1"')
    assert err.value.status == 412
    projects.update_item(2, {"Title": "forced"}, if_match="*")
    projects.delete_item(2)
    with pytest.raises(ItemNotFound):
        projects.get_item(2)


def test_change_tokens_across_add_update_delete(tenant: Tenant, projects) -> None:
    start = projects.current_change_token()
    assert start.startswith(f"1;3;{projects.id};")
    new = projects.add_item({"Title": "N"})
    projects.update_item(new.id, {"Cost": 5})
    projects.delete_item(3)
    changes = projects.get_changes(start)
    assert [(c.change_type, c.item_id) for c in changes] == [(1, 11), (2, 11), (3, 3)]
    assert projects.get_changes(changes[0].token) == changes[1:]
    assert [c.item_id for c in projects.get_changes(start, fetch_limit=2)] == [11, 11]
    site = tenant.sites["/sites/c3po"]
    site_changes = site.get_changes(site.current_change_token())
    assert site_changes == []
    assert site.get_changes(changes[0].token.replace(";3;", ";1;").replace(projects.id, site.id))[
        0
    ].token.startswith(f"1;1;{site.id};")
    with pytest.raises(ChangeTokenInvalid):
        projects.get_changes("garbage")


def test_change_log_retention_makes_old_tokens_invalid() -> None:
    t = Tenant("t", change_retention=5)
    lst = t.add_site("/sites/a").create_list("L")
    first = lst.current_change_token()
    for i in range(10):
        lst.add_item({"Title": str(i)})
    with pytest.raises(ChangeTokenInvalid):
        lst.get_changes(first)
    recent = lst.get_changes(None)[0]
    assert len(lst.get_changes(recent.token)) == 4


def test_lists_and_users(tenant: Tenant) -> None:
    site = tenant.sites["/sites/c3po"]
    with pytest.raises(
        ListNotFound,
        match="List 'Nope' does not exist at site with URL 'https://t.sharepoint.com/sites/c3po'",
    ):
        site.list_by_title("Nope")
    assert site.ensure_user("i:0#.f|membership|BOB@x.gov").id == 11
    assert tenant.site_for_path("/sites/c3po/_api/web")[1] == "/_api/web"


def test_library_files_caml_recursive_with_paging(tenant: Tenant) -> None:
    site = tenant.sites["/sites/c3po"]
    lib = site.create_list("Shared Documents", 101)
    root = lib.root_folder
    site.ensure_folder(f"{root}/A/B/C")
    for folder in ("A", "A/B", "A/B/C"):
        for n in range(3):
            site.add_file(f"{root}/{folder}", f"f{n}.txt", b"x" * n)
    with pytest.raises(FileAlreadyExists) as err:
        site.add_file(f"{root}/A", "f0.txt", b"", overwrite=False)
    assert err.value.code.startswith("-2130575257")
    view = (
        "<View Scope='RecursiveAll'><Query><OrderBy><FieldRef Name='ID'/></OrderBy></Query>"
        "<RowLimit Paged='TRUE'>5</RowLimit></View>"
    )
    seen, paging = [], None
    while True:
        rows, paging = lib.caml_query(view, paging)
        seen += [r.id for r in rows]
        if paging is None:
            break
    assert seen == list(range(1, 13))
    files, _ = lib.caml_query("<View Scope='Recursive'></View>")
    assert len(files) == 9 and all(r.fs_obj_type == 0 for r in files)
    direct, _ = lib.caml_query("<View></View>", None, f"{root}/A")
    assert {r.file_ref.rsplit("/", 1)[1] for r in direct} == {"B", "f0.txt", "f1.txt", "f2.txt"}
    ent = lib.item_entity(
        files[1], ["FileRef", "FileLeafRef", "File_x0020_Size", "File/Length"], ["File"]
    )
    assert (
        ent["FileLeafRef"] == "f1.txt"
        and ent["File_x0020_Size"] == "1"
        and ent["File"]["Length"] == "1"
    )


def test_a_folder_deleted_or_renamed_is_logged_alone_as_sharepoint_does(tenant: Tenant) -> None:
    """SharePoint logs one change for a deleted or renamed folder and none for what it holds
    (SharePoint/sp-dev-docs#5964; microsoftgraph/microsoft-graph-docs-contrib#6552)."""
    site = tenant.sites["/sites/c3po"]
    lib = site.create_list("Shared Documents", 101)
    root = lib.root_folder
    site.ensure_folder(f"{root}/A/B")
    site.ensure_folder(f"{root}/Z")
    for folder in ("A", "A/B", "Z"):
        site.add_file(f"{root}/{folder}", "f.txt", b"x")
    a, z = (lib.by_ref[f"{root}/{n}".lower()] for n in ("A", "Z"))
    logged = len(site.change_log.changes)

    lib.update_item(a, {"FileLeafRef": "A2"})
    assert sorted(it.file_ref for it in lib.items.values()) == [
        f"{root}/A2", f"{root}/A2/B", f"{root}/A2/B/f.txt", f"{root}/A2/f.txt",
        f"{root}/Z", f"{root}/Z/f.txt",
    ]  # fmt: skip
    assert site.file(f"{root}/A2/B/f.txt")[1].file_ref == f"{root}/A2/B/f.txt"
    assert [c.item_id for c in site.change_log.changes[logged:]] == [a]
    with pytest.raises(FileAlreadyExists):
        lib.update_item(z, {"FileLeafRef": "A2"})

    logged = len(site.change_log.changes)
    lib.delete_item(a)
    assert sorted(it.file_ref for it in lib.items.values()) == [f"{root}/Z", f"{root}/Z/f.txt"]
    assert [(c.item_id, c.change_type) for c in site.change_log.changes[logged:]] == [(a, 3)]


def test_chunked_upload(tenant: Tenant) -> None:
    site = tenant.sites["/sites/c3po"]
    lib = site.create_list("Docs", 101)
    item = site.add_file(lib.root_folder, "big.bin", b"")
    uid = item.file.unique_id
    assert site.start_upload(uid, "u1", 0, b"abc") == 3
    with pytest.raises(BadRequest, match="offset"):
        site.continue_upload(uid, "u1", 2, b"def")
    assert site.continue_upload(uid, "u1", 3, b"def") == 6
    done = site.finish_upload(uid, "u1", 6, b"g")
    assert (
        done.file.content == b"abcdefg" and site.file(f"{lib.root_folder}/big.bin")[1].id == item.id
    )
