"""Handlers for list views: list them, add one (``Views/Add``), read, update or delete one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.model_views import (
    HTML_VIEW,
    ListView,
    add_view,
    update_view,
    view_by_id,
    view_by_title,
    views_of,
)
from c3po_sync.sandbox.responses import (
    Reply,
    apply_select,
    collection,
    empty_reply,
    json_reply,
    metadata,
    string_collection,
)
from c3po_sync.sandbox.responses_web import list_uri, resolve_list

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call


def view_entity(call: Call, lst: Any, view: ListView, select: str | None = None) -> dict:
    uri = f"{list_uri(call, lst)}/Views(guid'{view.id}')"
    props: dict[str, Any] = {
        "Id": view.id,
        "Title": view.title,
        "ServerRelativeUrl": view.server_relative_url,
        "ViewQuery": view.query,
        "RowLimit": view.row_limit,
        "DefaultView": view.default,
        "PersonalView": view.personal,
        "Paged": view.paged,
        "Hidden": False,
        "ViewType": "HTML",
        "ViewTypeKind": HTML_VIEW,
        "ViewFields": {"__deferred": {"uri": f"{uri}/ViewFields"}},
    }
    return {"__metadata": metadata(uri, "SP.View"), **apply_select(props, select)}


def _view(call: Call, lst: Any) -> ListView:
    """The view a path names after ``Views``: ``Views(guid'…')``, ``GetByTitle`` or ``GetById``."""
    at = next(i for i, s in enumerate(call.segments) if s.name == "views")
    seg = call.segments[at]
    if seg.has_parens:
        return view_by_id(lst, str(seg.arg()))
    nxt = call.segments[at + 1]
    if nxt.name == "getbytitle":
        return view_by_title(lst, str(nxt.arg()))
    return view_by_id(lst, str(nxt.arg()))


def views(call: Call) -> Reply:
    lst = resolve_list(call)
    select = call.request.option("$select")
    return json_reply(
        call.request, collection([view_entity(call, lst, v, select) for v in views_of(lst)])
    )


def add(call: Call) -> Reply:
    lst = resolve_list(call)
    body = call.request.json()
    view = add_view(lst, body.get("parameters") or body)
    return json_reply(call.request, {"d": view_entity(call, lst, view)}, 200)


def view(call: Call) -> Reply:
    lst = resolve_list(call)
    found = _view(call, lst)
    if call.request.method in ("MERGE", "PATCH"):
        update_view(found, call.request.json())
        return empty_reply(204)
    if call.request.method == "DELETE":
        lst.views.remove(found)
        return empty_reply(204)
    return json_reply(
        call.request, {"d": view_entity(call, lst, found, call.request.option("$select"))}
    )


def view_fields(call: Call) -> Reply:
    lst = resolve_list(call)
    found = _view(call, lst)
    uri = f"{list_uri(call, lst)}/Views(guid'{found.id}')/ViewFields"
    refs = "".join(f'<FieldRef Name="{n}" />' for n in found.fields)
    return json_reply(
        call.request,
        {
            "d": {
                "__metadata": metadata(uri, "SP.ViewFieldCollection"),
                "SchemaXml": f"<ViewFields>{refs}</ViewFields>",
                "Items": string_collection(found.fields),
            }
        },
    )
