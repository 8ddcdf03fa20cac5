"""The office365 3.3.0 client against the sandbox: uploads, chunked uploads, downloads, CAML."""

from __future__ import annotations

import io

import pytest
from office365.runtime.client_request_exception import ClientRequestException
from office365.sharepoint.listitems.caml.expressions import Caml
from office365.sharepoint.listitems.caml.query import CamlQuery
from office365.sharepoint.views.scope import ViewScope

from .conftest import client_for

LIB = "/sites/x/Shared Documents"


def test_upload_and_download(sandbox):
    ctx = client_for(sandbox)
    folder = ctx.web.get_folder_by_server_relative_url(LIB + "/A")
    uploaded = folder.files.upload(io.BytesIO(b"hello world"), "it's 50% #1.txt").execute_query()
    assert int(uploaded.properties["Length"]) == 11
    assert uploaded.server_relative_url == LIB + "/A/it's 50% #1.txt"
    buf = io.BytesIO()
    ctx.web.get_file_by_server_relative_path(LIB + "/A/it's 50% #1.txt").download(
        buf
    ).execute_query()
    assert buf.getvalue() == b"hello world"
    item = ctx.web.get_file_by_server_relative_url(LIB + "/A/a1.txt").listItemAllFields.get()
    item.execute_query()
    assert item.properties["FileRef"] == LIB + "/A/a1.txt"


def test_chunked_upload_session(sandbox):
    ctx = client_for(sandbox)
    folder = ctx.web.get_folder_by_server_relative_url(LIB)
    data = bytes(range(256)) * 40  # 10,240 bytes in 4 chunks
    chunks = []
    folder.files.create_upload_session(
        io.BytesIO(data), 3000, chunk_uploaded=chunks.append, file_name="big.bin"
    ).execute_query()
    assert sandbox.stats.count("POST", "upload") == 4
    buf = io.BytesIO()
    ctx.web.get_file_by_server_relative_url(LIB + "/big.bin").download(buf).execute_query()
    assert buf.getvalue() == data


def test_missing_file_is_404(sandbox):
    ctx = client_for(sandbox)
    with pytest.raises(ClientRequestException) as err:
        ctx.web.get_file_by_server_relative_url(LIB + "/nope.txt").get().execute_query()
    assert err.value.response.status_code == 404
    assert err.value.code == "-2147024894, System.IO.FileNotFoundException"


def test_folder_files_and_folders(sandbox):
    ctx = client_for(sandbox)
    folder = ctx.web.get_folder_by_server_relative_url(LIB + "/A")
    files = folder.files.get().execute_query()
    folders = folder.folders.get().execute_query()
    assert [f.name for f in files] == ["a1.txt"]
    assert [f.name for f in folders] == ["B"]


def test_caml_paging_of_nested_library(sandbox):
    ctx = client_for(sandbox)
    query = (
        CamlQuery.builder()
        .scope(ViewScope.RecursiveAll)
        .view_fields("FileRef", "FileLeafRef", "Modified", "Editor", "File_x0020_Size")
        .where(Caml.integer("FSObjType").eq(0))
        .order_by("ID")
        .row_limit(2, paged=True)
        .build()
    )
    items = ctx.web.lists.get_by_title("Documents").get_items(query, page_size=2)
    refs = [it.properties["FileRef"] for it in items.execute_query()]
    assert sorted(refs) == sorted(
        [LIB + "/root.txt", LIB + "/A/a1.txt", LIB + "/A/B/b1.txt", LIB + "/A/B/b2.txt"]
    )
    assert sandbox.stats.count("POST", "get_items") == 3  # 2 + 2 + an empty page
    first = items[0].properties
    assert isinstance(first["EditorId"], int) and first["File_x0020_Size"].isdigit()
