"""SharePointLibrarySource against the sandbox: CAML paging over nested folders, no folder walks."""

from __future__ import annotations

from c3po_sync.m365.library_reader import SharePointLibrarySource, view_xml
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceRef

TZ = "America/Los_Angeles"


def test_all_files_in_nested_folders_with_caml_paging(ppm, server: SandboxServer) -> None:
    ref = SourceRef("/sites/ppm", "Documents", "library")
    source = SharePointLibrarySource(ref, ppm, page_size=3, time_zone=TZ)

    batch = source.read(["DocType", "Author"])

    refs = sorted(r.values["FileRef"] for r in batch.records)
    assert refs == [
        "/sites/ppm/Shared Documents/PKG/plan.xlsx",
        "/sites/ppm/Shared Documents/TMS/Contracts/2026/c2.pdf",
        "/sites/ppm/Shared Documents/TMS/Contracts/c1.pdf",
        "/sites/ppm/Shared Documents/TMS/charter.docx",
        "/sites/ppm/Shared Documents/readme.txt",
    ]
    # 4 folders + 5 files = 9 rows -> pages of 3, 3, 3 and an empty one
    assert server.stats.count("POST", "get_items") == source.item_requests == 4
    assert server.stats.count(route="folder_files") == 0
    assert server.stats.count(route="folder_folders") == 0
    charter = next(r for r in batch.records if r.values["FileLeafRef"] == "charter.docx")
    assert charter.values["DocType"] == "Charter"
    assert int(charter.values["File_x0020_Size"]) == 100
    assert charter.values["FileDirRef"] == "/sites/ppm/Shared Documents/TMS"
    assert charter.url and charter.url.endswith("/sites/ppm/Shared%20Documents/TMS/charter.docx")
    plan = next(r for r in batch.records if r.values["FileLeafRef"] == "plan.xlsx")
    assert plan.values["Author"]["EMail"] == "sam.chen@example.gov"
    assert "Title" in plan.values["Editor"]
    assert all(str(r.values["FSObjType"]) == "0" for r in batch.records)


def test_view_xml_has_a_real_recursive_scope_and_only_the_fields_asked() -> None:
    xml = view_xml(["FileRef", "Budget"], 5000, folders_filter=True)

    assert "Scope='RecursiveAll'" in xml
    assert "ViewScope" not in xml
    assert '<FieldRef Name="Budget"/>' in xml
    assert "<RowLimit Paged='TRUE'>5000</RowLimit>" in xml
    assert "<Value Type='Integer'>0</Value>" in xml


def test_server_side_folder_filter(ppm, server: SandboxServer) -> None:
    ref = SourceRef("/sites/ppm", "Documents", "library")
    source = SharePointLibrarySource(
        ref, ppm, page_size=5000, time_zone=TZ, server_folder_filter=True
    )

    batch = source.read([])

    assert len(batch.records) == 5
    assert server.stats.count("POST", "get_items") == 1
