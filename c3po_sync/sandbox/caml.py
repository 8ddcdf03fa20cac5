"""CAML `<View>` parsing into the same predicates the OData filter uses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.odata_filter import And, Compare, Func, In, IsNull, Or, Predicate

_CMP = {"eq": "eq", "neq": "ne", "lt": "lt", "leq": "le", "gt": "gt", "geq": "ge"}


@dataclass
class CamlView:
    scope: str | None = None  # None (folder's children), "Recursive", "RecursiveAll"
    view_fields: list[str] = field(default_factory=list)
    where: Predicate | None = None
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, ascending)
    row_limit: int | None = None
    paged: bool = False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _value(el: ET.Element) -> Any:
    vtype = (el.get("Type") or "Text").lower()
    text = "".join(el.itertext()).strip()
    if _child(el, "today") is not None:
        raise BadRequest("CAML <Today/> is not supported by the sandbox.")
    if vtype in ("integer", "counter", "lookup", "user", "modstat"):
        try:
            return int(text)
        except ValueError:
            return text  # a lookup by display value
    if vtype in ("number", "currency"):
        try:
            return float(text)
        except ValueError as exc:
            raise BadRequest(f"CAML value '{text}' is not a number.") from exc
    if vtype == "boolean":
        return text.lower() in ("1", "true")
    return text


def _field_name(ref: ET.Element | None, lookup_id: bool = False) -> str:
    name = ref.get("Name") if ref is not None else None
    if ref is None or not name:
        raise BadRequest("CAML comparison lacks <FieldRef Name='…'/>.")
    if lookup_id or (ref.get("LookupId") or "").upper() == "TRUE":
        return name + "Id" if name not in ("ID", "FSObjType") else name
    return name


def _predicate(el: ET.Element) -> Predicate:
    tag = _local(el.tag)
    kids = [c for c in el if isinstance(c.tag, str)]
    if tag in ("and", "or"):
        if len(kids) < 2:
            raise BadRequest(f"CAML <{el.tag}> needs two operands.")
        preds = [_predicate(k) for k in kids]
        out = preds[0]
        for p in preds[1:]:
            out = And(out, p) if tag == "and" else Or(out, p)
        return out
    ref = _child(el, "fieldref")
    if tag in ("isnull", "isnotnull"):
        return IsNull(_field_name(ref), negate=tag == "isnotnull")
    if tag == "in":
        values_el = _child(el, "values")
        vals = [_value(v) for v in (values_el if values_el is not None else [])]
        return In(_field_name(ref), tuple(vals))
    value_el = _child(el, "value")
    if value_el is None:
        raise BadRequest(f"CAML <{el.tag}> lacks <Value>.")
    value = _value(value_el)
    lookup_id = isinstance(value, int) and (value_el.get("Type") or "").lower() in (
        "lookup",
        "user",
    )
    name = _field_name(ref, lookup_id=lookup_id)
    if tag in _CMP:
        return Compare(_CMP[tag], name, value)
    if tag == "contains":
        return Func("substringof", name, str(value))
    if tag == "beginswith":
        return Func("startswith", name, str(value))
    raise BadRequest(f"CAML element <{el.tag}> is not supported.")


def parse_view_xml(xml: str) -> CamlView:
    """Parse `<View>`; an empty string means all items of the folder (SharePoint's default view)."""
    view = CamlView()
    if not xml or not xml.strip():
        return view
    try:
        root = ET.fromstring(xml.strip())
    except ET.ParseError as exc:
        raise BadRequest(f"The CAML query is not valid XML: {exc}.") from exc
    query: ET.Element | None
    if _local(root.tag) == "query":  # a bare <Query> without <View>
        query, root = root, ET.Element("View")
    else:
        query = _child(root, "query")
    scope = root.get("Scope")
    if scope:
        scope = scope.split(".")[-1]  # tolerate the 3.x client's "ViewScope.RecursiveAll"
        if scope.lower() not in ("recursive", "recursiveall", "default", "filesonly"):
            raise BadRequest(f"CAML view scope '{scope}' is not valid.")
        view.scope = None if scope.lower() == "default" else scope
    if query is not None:
        where = _child(query, "where")
        if where is not None:
            kids = [c for c in where if isinstance(c.tag, str)]
            if kids:
                view.where = _predicate(kids[0])
        order = _child(query, "orderby")
        if order is not None:
            for ref in order:
                if _local(ref.tag) == "fieldref":
                    asc = (ref.get("Ascending") or "TRUE").upper() not in ("FALSE", "0")
                    view.order_by.append((_field_name(ref), asc))
    fields_el = _child(root, "viewfields")
    if fields_el is not None:
        view.view_fields = [r.get("Name", "") for r in fields_el if _local(r.tag) == "fieldref"]
    limit = _child(root, "rowlimit")
    if limit is not None:
        try:
            view.row_limit = int((limit.text or "").strip())
        except ValueError as exc:
            raise BadRequest(f"CAML RowLimit '{limit.text}' is not a number.") from exc
        view.paged = (limit.get("Paged") or "").upper() == "TRUE"
    return view
