"""The office365 3.3.0 client's folder idioms against the sandbox (the naive baseline's walk)."""

from __future__ import annotations

import pytest
from office365.runtime.client_request_exception import ClientRequestException

from c3po_sync.sandbox.server import SandboxServer

from .conftest import client_for

ALL_FILES = [
    "/sites/x/Shared Documents/A/B/b1.txt",
    "/sites/x/Shared Documents/A/B/b2.txt",
    "/sites/x/Shared Documents/A/a1.txt",
    "/sites/x/Shared Documents/root.txt",
]


def test_root_folder_get_files_recursive_walks_every_folder(sandbox: SandboxServer) -> None:
    lst = client_for(sandbox).web.lists.get_by_title("Documents")
    files = lst.root_folder.get_files(recursive=True).execute_query()
    assert sorted(f.server_relative_url for f in files) == ALL_FILES
    # RootFolder/Files + RootFolder/Folders, then GetFolderById('…')/Files|Folders per folder
    assert sandbox.stats.count("GET", "folder_files") == 3
    assert sandbox.stats.count("GET", "folder_folders") == 3


def test_folder_by_id_by_name_and_root_folder(sandbox: SandboxServer) -> None:
    ctx = client_for(sandbox)
    root = ctx.web.lists.get_by_title("Documents").root_folder.get().execute_query()
    assert root.server_relative_url == "/sites/x/Shared Documents"
    sub = root.folders.get().execute_query()[0]
    by_id = ctx.web.get_folder_by_id(sub.unique_id).get().execute_query()
    assert by_id.server_relative_url == "/sites/x/Shared Documents/A"
    assert [f.name for f in by_id.folders.get().execute_query()] == ["B"]
    nested = root.folders.get_by_url("A").folders.get_by_url("B").files.get().execute_query()
    assert sorted(f.name for f in nested) == ["b1.txt", "b2.txt"]
    with pytest.raises(ClientRequestException) as info:
        ctx.web.get_folder_by_id("00000000-0000-0000-0000-000000000000").get().execute_query()
    assert info.value.response.status_code == 404
