"""Handlers for libraries: folders, files, uploads (single and chunked) and downloads."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.errors import BadRequest, FileNotFound
from c3po_sync.sandbox.responses import (
    Reply,
    apply_select,
    collection,
    deferred,
    empty_reply,
    iso,
    json_reply,
    metadata,
    operation,
    quote_arg,
)
from c3po_sync.sandbox.responses_items import item_entity
from c3po_sync.sandbox.responses_web import resolve_list

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call, Segment


def absolute_url(call: Call, url: Any) -> str:
    """A server-relative URL; site-relative ones ('Shared Documents/a.txt') get the site prefix."""
    text = str(url or "").strip()
    if text.lower().startswith(("http://", "https://")):
        text = "/" + text.split("/", 3)[3] if text.count("/") >= 3 else "/"
    if not text.startswith("/"):
        text = call.site.server_relative_url.rstrip("/") + "/" + text
    return text.rstrip("/") or "/"


def _segment(call: Call, name: str) -> Segment:
    """The path segment ``name`` that routing matched this call on."""
    seg = call.segment(name)
    if seg is None:
        raise BadRequest(f"The request has no {name} segment.")
    return seg


def _path_arg(call: Call, *names: str) -> str:
    seg = call.segment(*names)
    if seg is None:
        raise BadRequest("The request does not name a file or folder.")
    return absolute_url(call, seg.arg("decodedurl"))


def resolve_file(call: Call) -> tuple[Any, Any]:
    seg = call.segment("getfilebyid")
    if seg is not None:
        return call.site.file_by_unique_id(str(seg.arg()))
    return call.site.file(
        _path_arg(call, "getfilebyserverrelativeurl", "getfilebyserverrelativepath")
    )


def resolve_folder(call: Call) -> tuple[Any, str]:
    """The folder a path names: by URL, by UniqueId (``GetFolderById``) or a list's
    ``RootFolder``, followed by any ``Folders('name')`` / ``Folders/GetByUrl('name')`` steps."""
    return call.site.folder(folder_url(call))


def folder_url(call: Call) -> str:
    """The server-relative URL a folder path names, without checking that it exists.

    Starts: ``GetFolderById``, ``GetFolderByServerRelativeUrl|Path``, a list's ``RootFolder``,
    the web's ``RootFolder`` or ``Web/Folders`` (both the site's root URL)."""
    names = [s.name for s in call.segments]
    if "getfolderbyid" in names:
        url = _folder_url_by_id(call, str(_segment(call, "getfolderbyid").arg()))
        start = names.index("getfolderbyid") + 1
    elif names[:2] in (["web", "rootfolder"], ["web", "folders"]):
        url = call.site.server_relative_url
        start = 1 if names[1] == "folders" else 2
    elif "rootfolder" in names:
        url = resolve_list(call).root_folder
        start = names.index("rootfolder") + 1
    else:
        url = _path_arg(call, "getfolderbyserverrelativeurl", "getfolderbyserverrelativepath")
        start = next(i for i, n in enumerate(names) if n.startswith("getfolderbyserver")) + 1
    for seg in call.segments[start:]:
        if seg.name == "folders" and seg.has_parens and seg.args:
            url = f"{url.rstrip('/')}/{seg.arg()}"
        elif seg.name == "getbyurl":
            url = (
                absolute_url(call, seg.arg())
                if str(seg.arg()).startswith("/")
                else (f"{url.rstrip('/')}/{seg.arg()}")
            )
    return url


def _folder_url_by_id(call: Call, unique_id: str) -> str:
    key = unique_id.strip("{}").lower()
    for lst in call.site.lists.values():
        if lst.id == key:
            return lst.root_folder
        for item in lst.items.values():
            if item.fs_obj_type == 1 and (item.guid or "").lower() == key:
                return item.file_ref
    raise FileNotFound(f"File Not Found. Folder with id '{unique_id}' does not exist.")


def _resource_path(url: str) -> dict:
    return {"__metadata": {"type": "SP.ResourcePath"}, "DecodedUrl": url}


def file_entity(call: Call, item: Any) -> dict:
    blob = item.file
    url = item.file_ref
    uri = f"{call.api}/Web/GetFileByServerRelativePath(DecodedUrl={quote_arg(url)})"
    props = {
        "UniqueId": blob.unique_id if blob else None,
        "CheckInComment": "",
        "CheckOutType": 2,
        "ETag": f'"{{{(blob.unique_id if blob else "").upper()}}},{item.version}"',
        "Exists": True,
        "Length": str(blob.size if blob is not None else 0),
        "MajorVersion": item.version,
        "MinorVersion": 0,
        "Name": posixpath.basename(url),
        "ServerRelativePath": _resource_path(url),
        "ServerRelativeUrl": url,
        "TimeCreated": iso(blob.time_created if blob else item.created),
        "TimeLastModified": iso(blob.time_last_modified if blob else item.modified),
        "Title": item.values.get("Title"),
        "UIVersion": item.version * 512,
        "UIVersionLabel": f"{item.version}.0",
        "ListItemAllFields": deferred(uri + "/ListItemAllFields"),
    }
    return {"__metadata": metadata(uri, "SP.File"), **_selected(call, props)}


def _selected(call: Call, props: dict) -> dict:
    """Apply `$select`; like SPO, `ServerRelativePath` only comes when asked for."""
    select = call.request.option("$select")
    if select is None:
        props.pop("ServerRelativePath", None)
        return props
    return apply_select(props, select)


def folder_entity(call: Call, lst: Any, url: str, item: Any | None = None) -> dict:
    uri = f"{call.api}/Web/GetFolderByServerRelativePath(DecodedUrl={quote_arg(url)})"
    children = [i for i in lst.items.values() if _parent(i.file_ref) == url.lower()]
    props = {
        "UniqueId": getattr(item, "guid", None) if item is not None else lst.id,
        "Exists": True,
        "ItemCount": len(children),
        "Name": posixpath.basename(url),
        "ServerRelativePath": _resource_path(url),
        "ServerRelativeUrl": url,
        "TimeCreated": iso(item.created) if item is not None else None,
        "TimeLastModified": iso(item.modified) if item is not None else None,
        "Files": deferred(uri + "/Files"),
        "Folders": deferred(uri + "/Folders"),
        "ListItemAllFields": deferred(uri + "/ListItemAllFields"),
    }
    return {"__metadata": metadata(uri, "SP.Folder"), **_selected(call, props)}


def _parent(file_ref: str | None) -> str | None:
    return posixpath.dirname(file_ref).lower() if file_ref else None


def _children(lst: Any, folder: str, fs_obj_type: int) -> list[Any]:
    key = folder.rstrip("/").lower()
    rows = [
        i for i in lst.items.values() if i.fs_obj_type == fs_obj_type and _parent(i.file_ref) == key
    ]
    return sorted(rows, key=lambda i: i.id)


def _page(call: Call, rows: list[Any]) -> list[Any]:
    top = call.request.option("$top")
    skip = call.request.option("$skip")
    start = int(skip) if skip and skip.isdigit() else 0
    rows = rows[start:]
    return rows[: int(top)] if top and top.isdigit() else rows


def folder_files(call: Call) -> Reply:
    lst, folder = resolve_folder(call)
    rows = _page(call, _children(lst, folder, 0))
    return json_reply(call.request, collection([file_entity(call, i) for i in rows]))


def folder_folders(call: Call) -> Reply:
    lst, folder = resolve_folder(call)
    rows = _page(call, _children(lst, folder, 1))
    out = [folder_entity(call, lst, i.file_ref, i) for i in rows]
    return json_reply(call.request, collection(out))


def get_folder(call: Call) -> Reply:
    lst, folder = resolve_folder(call)
    item = next(
        (i for i in lst.items.values() if (i.file_ref or "").lower() == folder.lower()), None
    )
    return json_reply(call.request, {"d": folder_entity(call, lst, folder, item)})


def list_root_folder(call: Call) -> Reply:
    lst = resolve_list(call)
    return json_reply(call.request, {"d": folder_entity(call, lst, lst.root_folder)})


def add_file(call: Call) -> Reply:
    _lst, folder = resolve_folder(call)
    seg = call.segments[-1]
    name = seg.arg("url")
    if not name:
        raise BadRequest("The parameter 'url' of Files/add is required.")
    overwrite = seg.arg("overwrite", 1)
    item = call.site.add_file(folder, str(name), call.request.body, bool(overwrite))
    return json_reply(call.request, {"d": file_entity(call, item)})


def get_file(call: Call) -> Reply:
    lst, item = resolve_file(call)
    if call.request.method == "DELETE":
        lst.delete_item(item.id, if_match=None)
        return empty_reply(200)
    return json_reply(call.request, {"d": file_entity(call, item)})


def file_content(call: Call) -> Reply:
    _lst, item = resolve_file(call)
    content = item.file.content if item.file is not None else b""
    return Reply(200, content, {"Content-Type": "application/octet-stream"})


def file_item(call: Call) -> Reply:
    lst, item = resolve_file(call)
    select = [s.strip() for s in (call.request.option("$select") or "").split(",") if s.strip()]
    expand = [s.strip() for s in (call.request.option("$expand") or "").split(",") if s.strip()]
    if not select:  # "all fields" includes the hidden file columns
        select = ["*", "FileRef", "FileLeafRef", "FileDirRef", "File_x0020_Size"]
    body = {"d": item_entity(call, lst, item, select, expand or None)}
    return json_reply(call.request, body, ETag=f'"{item.version}"')


def item_file(call: Call) -> Reply:
    from c3po_sync.sandbox.responses_items import _item_id

    lst = resolve_list(call)
    item = lst.get_item(_item_id(call))
    if item.file is None:
        from c3po_sync.sandbox.errors import FileNotFound

        raise FileNotFound("File Not Found.")
    return json_reply(call.request, {"d": file_entity(call, item)})


def upload(call: Call) -> Reply:
    """startUpload / continueUpload / finishUpload of a chunked upload session."""
    seg = call.segments[-1]
    unique_id = str(_segment(call, "getfilebyid").arg())
    upload_id = str(seg.arg("uploadid"))
    offset = int(seg.arg("fileoffset", 1) or 0)
    chunk = call.request.body
    if seg.name == "startupload":
        result = call.site.start_upload(unique_id, upload_id, 0, chunk)
        return json_reply(call.request, operation("StartUpload", str(result)))
    if seg.name == "continueupload":
        result = call.site.continue_upload(unique_id, upload_id, offset, chunk)
        return json_reply(call.request, operation("ContinueUpload", str(result)))
    item = call.site.finish_upload(unique_id, upload_id, offset, chunk)
    return json_reply(call.request, {"d": file_entity(call, item)})
