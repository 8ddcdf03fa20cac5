"""Folder creation over REST with the 3.3.0 client, the ways PPMs' nested libraries are built."""

from __future__ import annotations

from .conftest import client_for

LIB = "/sites/x/Shared Documents"


def _folder_refs(sandbox) -> set[str]:
    lst = sandbox.tenant.sites["/sites/x"].list_by_title("Documents")
    return {it.file_ref for it in lst.items.values() if it.fs_obj_type == 1}


def test_folder_add_under_a_folder_by_url(sandbox):
    ctx = client_for(sandbox)
    parent = ctx.web.get_folder_by_server_relative_url(LIB + "/A")
    made = parent.folders.add("Charters").execute_query()
    assert made.properties["ServerRelativeUrl"] == LIB + "/A/Charters"
    again = parent.add("Sign-offs").execute_query()  # Folder.add is folders.add
    assert again.properties["Name"] == "Sign-offs"
    assert {LIB + "/A/Charters", LIB + "/A/Sign-offs"} <= _folder_refs(sandbox)
    assert sandbox.stats.count("POST", "folder_add") == 2


def test_web_folders_add_site_relative_and_nested(sandbox):
    ctx = client_for(sandbox)
    made = ctx.web.folders.add("Shared Documents/P-100/2026/Status").execute_query()
    assert made.properties["ServerRelativeUrl"] == LIB + "/P-100/2026/Status"
    assert {LIB + "/P-100", LIB + "/P-100/2026"} <= _folder_refs(sandbox)
    same = ctx.web.folders.add(LIB + "/P-100").execute_query()  # existing: answered as is
    assert same.properties["ServerRelativeUrl"] == LIB + "/P-100"


def test_ensure_folder_path_and_upload_into_it(sandbox):
    ctx = client_for(sandbox)
    folder = ctx.web.ensure_folder_path("Shared Documents/P-200/Charter").execute_query()
    assert folder.properties["ServerRelativeUrl"] == LIB + "/P-200/Charter"
    target = ctx.web.get_folder_by_server_relative_url(LIB + "/P-200/Charter")
    target.files.add("charter.docx", b"doc", overwrite=True).execute_query()
    files = target.files.get().execute_query()
    assert [f.name for f in files] == ["charter.docx"]
    root = ctx.web.lists.get_by_title("Documents").root_folder
    nested = root.folders.add("P-300").execute_query()
    assert nested.properties["ServerRelativeUrl"] == LIB + "/P-300"
