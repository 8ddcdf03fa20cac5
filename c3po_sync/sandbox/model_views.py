"""List views as SharePoint Online keeps them: title, URL, fields, CAML query, row limit.

Evidence for the rules below (no recorded fixture holds a view):
- ``SP.ViewCollection.add`` takes an ``SP.ViewCreationInformation`` (Title, ViewFields,
  Query, RowLimit, PersonalView, SetAsDefaultView, ViewTypeKind, Paged) and returns the new
  ``SP.View``: learn.microsoft.com/previous-versions/office/sharepoint-visio/jj247067(v=office.15)
  and jj245993(v=office.15).
- ``SP.View.ViewQuery`` "must be null or a valid XML fragment that conforms to CamlQueryRoot",
  readable and writable over REST (``…/Views(id)``): jj247163(v=office.15).
- A new generic list has one public default view, "All Items" (``AllItems.aspx``).
- Titles are display names, not keys: SharePoint adds a second view with the same title under a
  new URL (``Name1.aspx``), which is why provisioning looks views up by title first.
- A view field that names no column of the list is refused ("Column 'X' does not exist").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.model_list import stable_guid

HTML_VIEW = 1  # SP.ViewType.html


@dataclass
class ListView:
    """One view of a list."""

    id: str
    title: str
    server_relative_url: str
    fields: list[str] = field(default_factory=list)
    query: str = ""
    row_limit: int = 30
    default: bool = False
    personal: bool = False
    paged: bool = True


def views_of(lst: Any) -> list[ListView]:
    """The list's views; a list seen for the first time gets its "All Items" default view."""
    views: list[ListView] = lst.views
    if not views:
        fields = ["LinkTitle"] + [
            f.internal_name for f in lst.fields if not f.builtin and not f.hidden
        ]
        views.append(_make(lst, "All Items", fields, "", 30, default=True))
    return views


def view_by_title(lst: Any, title: str) -> ListView:
    """The first view with this title (case-insensitive), as ``Views/GetByTitle`` answers."""
    for v in views_of(lst):
        if v.title.lower() == title.lower():
            return v
    raise ViewNotFound()


def view_by_id(lst: Any, view_id: str) -> ListView:
    for v in views_of(lst):
        if v.id == view_id.lower().strip("{}"):
            return v
    raise ViewNotFound()


def add_view(lst: Any, info: dict[str, Any]) -> ListView:
    """``Views/Add``: checks the fields and the query as SharePoint does, then keeps the view."""
    title = str(info.get("Title") or "").strip()
    if not title:
        raise BadRequest("The view title cannot be empty.")
    raw_fields = info.get("ViewFields") or []
    if isinstance(raw_fields, dict):
        raw_fields = raw_fields.get("results") or []
    names = [str(n) for n in raw_fields]
    known = {f.internal_name.lower() for f in lst.fields} | {"linktitle", "linktitlenomenu"}
    for n in names:
        if n.lower() not in known:
            raise BadRequest(
                f"Column '{n}' does not exist. It may have been deleted by another user."
            )
    query = check_query(str(info.get("Query") or ""))
    row_limit = int(info.get("RowLimit") or 30)
    view = _make(lst, title, names, query, row_limit, default=bool(info.get("SetAsDefaultView")))
    view.personal = bool(info.get("PersonalView"))
    view.paged = bool(info.get("Paged", True))
    views = views_of(lst)
    if view.default:
        for v in views:
            v.default = False
    views.append(view)
    return view


def update_view(view: ListView, body: dict[str, Any]) -> None:
    """MERGE on a view: its title, query or row limit."""
    if "Title" in body:
        title = str(body.get("Title") or "").strip()
        if not title:
            raise BadRequest("The view title cannot be empty.")
        view.title = title
    if "ViewQuery" in body:
        view.query = check_query(str(body.get("ViewQuery") or ""))
    if "RowLimit" in body:
        view.row_limit = int(body["RowLimit"])


def check_query(query: str) -> str:
    """A CamlQueryRoot fragment: well-formed XML whose top elements are Where/OrderBy/GroupBy."""
    if not query.strip():
        return ""
    try:
        root = ET.fromstring(f"<Query>{query}</Query>")
    except ET.ParseError as exc:
        raise BadRequest(f"Cannot complete this action. Invalid view query: {exc}") from exc
    for child in root:
        if child.tag not in ("Where", "OrderBy", "GroupBy"):
            raise BadRequest(f"Cannot complete this action. Unexpected element <{child.tag}>.")
    return query


def _make(
    lst: Any, title: str, fields: list[str], query: str, row_limit: int, *, default: bool
) -> ListView:
    leaf = re.sub(r"[^A-Za-z0-9]", "", title) or "View"
    taken = {v.server_relative_url.rsplit("/", 1)[-1].lower() for v in lst.views}
    name, n = f"{leaf}.aspx", 0
    while name.lower() in taken:
        n += 1
        name = f"{leaf}{n}.aspx"
    url = f"{lst.root_folder}/{'Forms/' if lst.is_library else ''}{name}"
    vid = stable_guid(lst.id, "view", url)
    return ListView(vid.lower(), title, url, fields, query, row_limit, default)


class ViewNotFound(BadRequest):
    """SharePoint answers an unknown view title or id with a 404 ArgumentException."""

    status = 404
    code = "-2147024809, System.ArgumentException"

    def __init__(self) -> None:
        super().__init__("The specified view is invalid.")
