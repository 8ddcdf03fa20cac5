"""Handlers for list items: OData queries with paging, writes with ETags, CAML GetItems."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.model_query import check_lookup_threshold
from c3po_sync.sandbox.responses import (
    Reply,
    collection,
    empty_reply,
    json_reply,
    metadata,
    operation,
)
from c3po_sync.sandbox.responses_web import list_entity, list_uri, resolve_list

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call

MAX_TOP = 5000
DEFAULT_TOP = 100
_CARRIED = ("$select", "$filter", "$expand", "$orderby", "$skip")  # SPO echoes an ignored $skip
_VIEW_FIELD = re.compile(r"<FieldRef\b[^>]*\bName\s*=\s*['\"]([^'\"]+)['\"]", re.IGNORECASE)


def _names(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [s.strip() for s in text.split(",") if s.strip()]


def parse_orderby(text: str | None) -> list[tuple[str, bool]] | None:
    """`Modified desc, Title` -> [("Modified", False), ("Title", True)] (booleans are ascending)."""
    if not text:
        return None
    out = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise BadRequest(f"The expression '{part.strip()}' is not valid in $orderby.")
        out.append((words[0], not (len(words) == 2 and words[1].lower() == "desc")))
    return out or None


def item_etag(item: Any) -> str:
    return f'"{item.version}"'


def item_entity(call: Call, lst: Any, item: Any, select=None, expand=None) -> dict:
    """An item's verbose entity: the model's properties plus `__metadata` built from the request."""
    return item_entities(call, lst, [item], select, expand)[0]


def item_entities(call: Call, lst: Any, rows: list[Any], select=None, expand=None) -> list[dict]:
    """Entities of a page of items (list URI and type name computed once per page)."""
    from c3po_sync.sandbox.model_entity import item_entity as model_item_entity

    base, type_name = list_uri(call, lst), lst.list_item_entity_type_full_name
    out = []
    for item in rows:
        meta = metadata(f"{base}/Items({item.id})", type_name, item_etag(item))
        out.append({"__metadata": meta, **model_item_entity(lst, item, select, expand)})
    return out


def _top(call: Call) -> int:
    raw = call.request.option("$top")
    if raw is None:
        return DEFAULT_TOP
    try:
        return max(0, int(raw))  # above 5,000: model_query.check_top decides, as SPO
    except ValueError as exc:
        raise BadRequest(f"Invalid value '{raw}' for $top.") from exc


def _int_option(call: Call, name: str) -> int | None:
    raw = call.request.option(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise BadRequest(f"Invalid value '{raw}' for {name}.") from exc


def _skiptoken(token: str | None) -> str | None:
    if not token:
        return None
    if re.search(r"p_ID=(\d+)", token, re.IGNORECASE) is None:
        raise BadRequest(f"The $skiptoken '{token}' is not valid.")
    return token


def next_link(call: Call, lst: Any, last_id: int, top: int) -> str:
    """SPO's `__next`: skiptoken after the last row (`p_<Field>` parts for an ordered query),
    carrying the caller's query options."""
    from c3po_sync.sandbox.model_query import paging_token

    orderby = parse_orderby(call.request.option("$orderby")) or []
    paging = paging_token(lst, lst.items[last_id], orderby)
    token = quote(paging, safe="").replace("%3D", "%3d")
    url = f"{list_uri(call, lst)}/Items?%24skiptoken={token}&%24top={top}"
    for name in _CARRIED:
        value = call.request.option(name)
        if value:
            url += f"&%24{name[1:]}={quote(value, safe=',/()')}"
    return url


def items(call: Call) -> Reply:
    lst = resolve_list(call)
    request = call.request
    if request.method == "POST":
        values = {k: v for k, v in request.json().items() if k != "__metadata"}
        item = lst.add_item(values, editor=None)
        body = {"d": item_entity(call, lst, item)}
        return json_reply(request, body, 201, ETag=item_etag(item))
    select, expand = _names(request.option("$select")), _names(request.option("$expand"))
    top = _top(call)
    rows, last_id = lst.query_items(
        select=select,
        filter=request.option("$filter"),
        orderby=parse_orderby(request.option("$orderby")),
        top=top,
        skip=_int_option(call, "$skip"),
        skiptoken=_skiptoken(request.option("$skiptoken")),
    )
    results = item_entities(call, lst, rows, select, expand)
    nxt = next_link(call, lst, last_id, top) if last_id is not None else None
    return json_reply(request, collection(results, nxt))


def _item_id(call: Call) -> int:
    seg = call.segment("getitembyid") or next(
        (s for s in reversed(call.segments) if s.name in ("items", "getbyid") and s.has_parens),
        None,
    )
    try:
        return int(seg.arg()) if seg is not None else -1
    except (TypeError, ValueError) as exc:
        raise BadRequest("The item id must be an integer.") from exc


def item(call: Call) -> Reply:
    lst = resolve_list(call)
    request = call.request
    item_id = _item_id(call)
    if_match = request.headers.get("if-match")
    if request.method == "GET":
        it = lst.get_item(item_id)
        select, expand = _names(request.option("$select")), _names(request.option("$expand"))
        check_lookup_threshold(lst, select)
        body = {"d": item_entity(call, lst, it, select, expand)}
        return json_reply(request, body, ETag=item_etag(it))
    if request.method == "DELETE":
        lst.delete_item(item_id, if_match=if_match)
        return empty_reply(200)
    values = {k: v for k, v in request.json().items() if k != "__metadata"}
    it = lst.update_item(item_id, values, if_match=if_match)
    return empty_reply(204, ETag=item_etag(it))


def parent_list(call: Call) -> Reply:
    lst = resolve_list(call)
    lst.get_item(_item_id(call))
    return json_reply(call.request, {"d": list_entity(call, lst, call.request.option("$select"))})


def recycle(call: Call) -> Reply:
    lst = resolve_list(call)
    lst.delete_item(_item_id(call), if_match=None)
    return json_reply(call.request, operation("Recycle", str(uuid.uuid4())))


def validate_update(call: Call) -> Reply:
    """ValidateUpdateListItem: display strings in, per-field errors in-band (always 200)."""
    lst = resolve_list(call)
    item_id = _item_id(call)
    lst.get_item(item_id)
    body = call.request.json()
    form = body.get("formValues") or []
    if isinstance(form, dict):
        form = form.get("results", [])
    results = []
    for entry in form:
        name, text = entry.get("FieldName"), entry.get("FieldValue")
        result = {
            "__metadata": {"type": "SP.ListItemFormUpdateValue"},
            "ErrorCode": 0,
            "ErrorMessage": None,
            "FieldName": name,
            "FieldValue": text,
            "HasException": False,
            "ItemId": item_id,
        }
        try:
            fld = lst.field(str(name))
            prop, value = _form_value(call, fld, text)
            lst.update_item(item_id, {prop: value}, if_match=None)
        except Exception as exc:  # noqa: BLE001 - SharePoint reports every field failure in-band
            code = getattr(exc, "code", "-2146232832").split(",")[0]
            result.update(HasException=True, ErrorCode=int(code), ErrorMessage=str(exc))
        results.append(result)
    return json_reply(call.request, operation("ValidateUpdateListItem", {"results": results}))


def _form_value(call: Call, fld: Any, text: Any) -> tuple[str, Any]:
    """Turn a form display string into a write-body property, as the SharePoint form layer does."""
    from c3po_sync.sandbox.model_fields import entity_name

    name = entity_name(fld.internal_name)
    if text in (None, ""):
        value: Any = None
    elif fld.kind in ("User", "UserMulti"):
        import json

        keys = [e.get("Key") for e in json.loads(text)] if text.strip().startswith("[") else [text]
        ids = [call.site.ensure_user(k.split("|")[-1]).id for k in keys if k]
        return name + "Id", (ids if fld.kind == "UserMulti" else (ids[0] if ids else None))
    elif fld.kind in ("Lookup", "LookupMulti"):
        ids = [int(p) for p in re.split(r";#", str(text)) if p.strip().isdigit()]
        return name + "Id", (ids if fld.kind == "LookupMulti" else (ids[0] if ids else None))
    elif fld.kind == "MultiChoice":
        value = [p for p in re.split(r";#", str(text)) if p]
    elif fld.kind == "Boolean":
        value = str(text).strip().lower() in ("1", "true", "yes")
    elif fld.kind == "URL":
        url, _, desc = str(text).partition(", ")
        value = {"Url": url, "Description": desc or url}
    elif fld.kind == "TaxonomyFieldType":
        label, _, guid = str(text).split(";")[0].partition("|")
        value = {"Label": label, "TermGuid": guid, "WssId": -1}
    else:
        value = text
    return name, value


def caml_items(call: Call) -> Reply:
    """POST GetItems: one CAML page; the client builds the next PagingInfo from the last row."""
    lst = resolve_list(call)
    query = call.request.json().get("query") or {}
    view_xml = query.get("ViewXml") or "<View/>"
    position = query.get("ListItemCollectionPosition") or {}
    paging = position.get("PagingInfo") if isinstance(position, dict) else None
    rows, _next = lst.caml_query(view_xml, paging, query.get("FolderServerRelativeUrl"))
    view_fields = _view_fields(view_xml)
    select = None
    if view_fields:
        select = ["Id", "FileSystemObjectType", *view_fields]
    results = item_entities(call, lst, rows, select)
    return json_reply(call.request, collection(results))


def _view_fields(view_xml: str) -> list[str]:
    m = re.search(r"<ViewFields>(.*?)</ViewFields>", view_xml, re.IGNORECASE | re.DOTALL)
    return _VIEW_FIELD.findall(m.group(1)) if m else []
