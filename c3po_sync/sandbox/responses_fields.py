"""Handlers for list fields: read, update, delete, and create (`AddField`, `CreateFieldAsXml`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.errors import BadRequest
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

FIELD_TYPES = {
    "Text": "SP.FieldText",
    "Note": "SP.FieldMultiLineText",
    "Number": "SP.FieldNumber",
    "Currency": "SP.FieldCurrency",
    "Integer": "SP.FieldNumber",
    "DateTime": "SP.FieldDateTime",
    "Boolean": "SP.Field",
    "Choice": "SP.FieldChoice",
    "MultiChoice": "SP.FieldMultiChoice",
    "User": "SP.FieldUser",
    "UserMulti": "SP.FieldUser",
    "Lookup": "SP.FieldLookup",
    "LookupMulti": "SP.FieldLookup",
    "URL": "SP.FieldUrl",
    "TaxonomyFieldType": "SP.Taxonomy.TaxonomyField",
    "Computed": "SP.FieldComputed",
    "Counter": "SP.Field",
}


def field_entity(call: Call, lst: Any, fld: Any, select: str | None = None) -> dict:
    uri = f"{list_uri(call, lst)}/Fields(guid'{fld.id}')"
    props: dict[str, Any] = {
        "Id": fld.id,
        "Title": fld.title,
        "InternalName": fld.internal_name,
        "StaticName": fld.internal_name,
        "EntityPropertyName": fld.entity_property_names()[0].removesuffix("Id")
        if fld.kind in ("User", "UserMulti", "Lookup", "LookupMulti")
        else fld.entity_property_names()[0],
        "FieldTypeKind": fld.type_kind,
        "TypeAsString": fld.type_as_string,
        "Required": fld.required,
        "Indexed": fld.indexed,
        "Hidden": fld.hidden,
        "ReadOnlyField": fld.read_only,
        "FromBaseType": fld.builtin,
        "CanBeDeleted": not fld.builtin,
        "Group": "Custom Columns",
        "Description": "",
    }
    if fld.kind in ("Choice", "MultiChoice"):
        props["Choices"] = string_collection(fld.choices)
    if fld.kind in ("Lookup", "LookupMulti", "User", "UserMulti"):
        props["AllowMultipleValues"] = fld.kind.endswith("Multi")
        props["LookupField"] = fld.lookup_field if fld.kind.startswith("Lookup") else "ImnName"
        props["LookupList"] = fld.lookup_list or (
            "{UserInfo}" if fld.kind.startswith("User") else ""
        )
    if fld.kind == "DateTime":
        props["DisplayFormat"] = 0 if getattr(fld, "date_only", False) else 1
    props = apply_select(props, select)
    type_name = FIELD_TYPES.get(fld.kind, "SP.Field")
    return {"__metadata": metadata(uri, type_name), **props}


def fields(call: Call) -> Reply:
    lst = resolve_list(call)
    request = call.request
    if request.method == "POST":
        body = request.json()
        fld = _add_field_from(lst, body)
        return json_reply(request, {"d": field_entity(call, lst, fld)}, 201)
    select = request.option("$select")
    results = [field_entity(call, lst, f, select) for f in lst.fields]
    return json_reply(request, collection(results))


def get_field(call: Call) -> Reply:
    """GET a field, or MERGE it (Title, Indexed, Required, Hidden, Choices) -> 204 as SPO."""
    lst = resolve_list(call)
    seg = call.segments[-1]
    if seg.name in ("getbyid", "fields"):
        fld = lst.field_by_id(str(seg.arg()))
    else:
        fld = lst.field(str(seg.arg()))
    if call.request.method in ("MERGE", "PATCH"):
        lst.update_field(fld, call.request.json())
        return empty_reply(204)
    if call.request.method == "DELETE":
        lst.delete_field(fld)
        return empty_reply(204)
    return json_reply(
        call.request, {"d": field_entity(call, lst, fld, call.request.option("$select"))}
    )


def add_field(call: Call) -> Reply:
    lst = resolve_list(call)
    body = call.request.json()
    fld = _add_field_from(lst, body.get("parameters") or body)
    return json_reply(call.request, {"d": field_entity(call, lst, fld)})


def add_field_xml(call: Call) -> Reply:
    lst = resolve_list(call)
    params = call.request.json().get("parameters") or {}
    xml = params.get("SchemaXml")
    if not xml:
        raise BadRequest("The parameter 'SchemaXml' is required.")
    try:
        node = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise BadRequest(f"Invalid field schema XML: {exc}") from exc
    attrs = {k.lower(): v for k, v in node.attrib.items()}
    kind = attrs.get("type", "Text")
    if kind in ("User", "Lookup") and attrs.get("mult", "").upper() == "TRUE":
        kind += "Multi"
    title = attrs.get("displayname") or attrs.get("name")
    if not title:
        raise BadRequest("The field schema XML needs a DisplayName or Name attribute.")
    choices = [c.text or "" for c in node.iter() if c.tag.lower() == "choice"]
    fld = lst.add_field(
        title,
        kind,
        internal_name=_xml_internal_name(attrs, params.get("Options")),
        indexed=attrs.get("indexed", "").upper() == "TRUE",
        required=attrs.get("required", "").upper() == "TRUE",
        choices=choices,
        date_only=kind == "DateTime" and attrs.get("format", "").lower() == "dateonly",
    )
    return json_reply(call.request, {"d": field_entity(call, lst, fld)})


#: SP.AddFieldOptions.AddFieldInternalNameHint: use the schema's `Name` as the internal name.
ADD_FIELD_INTERNAL_NAME_HINT = 8


def _xml_internal_name(attrs: dict[str, str], options: Any) -> str | None:
    """The internal name SharePoint Online gives a `CreateFieldAsXml` column, or None to derive it.

    SPO builds the internal name from `DisplayName` (spaces -> `_x0020_`, 32 characters) and
    ignores `Name` unless the options carry `AddFieldInternalNameHint` (8): pnp/pnpcore#1317,
    pnp/PnP#940, SharePoint/sp-dev-docs#3286 (`Name="PublishDate"` came back `Publish_x0020_Date`).
    With no `DisplayName`, `Name` is the display name too, so it is used either way.
    """
    try:
        flags = int(options or 0)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"The parameter 'Options' must be an integer, not {options!r}.") from exc
    if flags & ADD_FIELD_INTERNAL_NAME_HINT or not attrs.get("displayname"):
        return attrs.get("name")
    return None


def _add_field_from(lst: Any, body: dict) -> Any:
    from c3po_sync.sandbox.model_fields import KIND_BY_TYPE_KIND

    title = body.get("Title")
    if not title:
        raise BadRequest("The field title is required (property 'Title').")
    type_kind = int(body.get("FieldTypeKind") or 2)
    kind = KIND_BY_TYPE_KIND.get(type_kind)
    if kind is None:
        raise BadRequest(f"FieldTypeKind {type_kind} is not supported by the sandbox.")
    if body.get("AllowMultipleValues") and kind in ("User", "Lookup"):
        kind += "Multi"
    choices = body.get("Choices") or []
    if isinstance(choices, dict):
        choices = choices.get("results", [])
    opts: dict[str, Any] = {"required": bool(body.get("Required")), "choices": list(choices)}
    if body.get("Indexed"):
        opts["indexed"] = True
    if body.get("LookupListId"):
        opts["lookup_list"] = lst.site.list_by_id(str(body["LookupListId"]).strip("{}")).title
        opts["lookup_field"] = body.get("LookupFieldName") or "Title"
    return lst.add_field(str(title), kind, **opts)
