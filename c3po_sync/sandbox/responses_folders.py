"""Folder creation over REST: `Folders/Add('name')` and `Folders/AddUsingPath(DecodedUrl=…)`.

SharePoint Online creates a folder with `POST …/Folders/Add('url')` on any folder's collection
and on `Web/Folders` (url relative to the web, or server-relative), answering the new
`SP.Folder`; adding an existing folder answers that folder. Microsoft: "Working with folders
and files with REST" (learn.microsoft.com/sharepoint/dev/sp-add-ins/
working-with-folders-and-files-with-rest: `POST …/folders` / `…/Folders/add('url')`), and
MS-CSOM `SP.FolderCollection.Add` / `AddUsingPath`. The 3.3.0 client sends them from
`folder.folders.add(name)`, `folder.add(name)`, `web.folders.add(url)`,
`web.ensure_folder_path(path)` (via `Web/RootFolder/Folders/Add('…')` then
`…/Folders('…')/Folders/Add('…')`) and `folders.add_using_path(url, overwrite)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.responses import Reply, json_reply
from c3po_sync.sandbox.responses_files import absolute_url, folder_entity, folder_url

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call


def add_folder(call: Call) -> Reply:
    """Create the named folder (and missing parents) under the collection's folder."""
    seg = call.segments[-1]
    name = seg.arg("decodedurl") if seg.name == "addusingpath" else seg.arg("url")
    if not name or not str(name).strip("/"):
        raise BadRequest(f"The folder name '{name}' is not valid.")
    text = str(name)
    if text.startswith("/") or text.lower().startswith(("http://", "https://")):
        target = absolute_url(call, text)
    else:
        target = f"{folder_url(call).rstrip('/')}/{text.strip('/')}"
    lst, url = call.site.ensure_folder(target)
    item = next((i for i in lst.items.values() if (i.file_ref or "").lower() == url.lower()), None)
    return json_reply(call.request, {"d": folder_entity(call, lst, url, item)})
