"""Reading item values: field-path resolvers for queries and verbose JSON entity dicts."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.model_fields import USER_KINDS, Field, entity_name

if TYPE_CHECKING:
    from c3po_sync.sandbox.model import Item, SPList, User

Resolver = Callable[["Item"], Any]
USER_PROPS = {
    "id": "Id",
    "title": "Title",
    "name": "Name",
    "email": "EMail",
    "username": "UserName",
    "jobtitle": "JobTitle",
    "department": "Department",
}
FILE_PROPS = [
    "Name",
    "ServerRelativeUrl",
    "Length",
    "UniqueId",
    "TimeCreated",
    "TimeLastModified",
    "Title",
]
_STRING_SYSTEM = {"FSObjType", "File_x0020_Size"}


def iso(dt: Any) -> str | None:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt is not None else None


def raw_value(item: Item, name: str) -> Any:
    """Canonical value of an internal name, system columns included."""
    if name == "ID":
        return item.id
    if name == "Modified":
        return iso(item.modified)
    if name == "Created":
        return iso(item.created)
    if name == "Author":
        return item.author_id
    if name == "Editor":
        return item.editor_id
    if name == "_UIVersionString":
        return f"{item.version}.0"
    if name == "GUID":
        return item.guid
    if name == "FSObjType":
        return item.fs_obj_type
    if name == "FileRef":
        return item.file_ref
    if name == "FileDirRef":
        return posixpath.dirname(item.file_ref) if item.file_ref else None
    if name == "FileLeafRef":
        return posixpath.basename(item.file_ref) if item.file_ref else None
    if name == "File_x0020_Size":
        return item.file.size if item.file is not None else None
    if name == "Attachments":
        return False
    return item.values.get(name)


def user_prop(user: User | None, prop: str) -> Any:
    if user is None:
        return None
    key = USER_PROPS.get(prop.lower())
    if key is None:
        return None
    return {
        "Id": user.id,
        "Title": user.title,
        "Name": user.login_name,
        "EMail": user.email,
        "UserName": user.email,
        "JobTitle": user.job_title,
        "Department": user.department,
    }.get(key)


def find_property(lst: SPList, name: str) -> tuple[Field, str] | None:
    """(field, role) for an entity property name: role is 'value', 'id' or 'stringid'."""
    low = name.lower()
    for fld in lst.fields:
        ename = entity_name(fld.internal_name).lower()
        if low in (ename, fld.internal_name.lower()):
            return fld, "value"
        if fld.kind in USER_KINDS or fld.kind in ("Lookup", "LookupMulti"):
            if low == ename + "id":
                return fld, "id"
            if low == ename + "stringid" and fld.kind in USER_KINDS:
                return fld, "stringid"
    if low == "id":
        return lst.field("ID"), "value"
    return None


def resolver(lst: SPList, path: str) -> tuple[Field, Resolver]:
    """Compile a `$filter`/`$orderby`/CAML path (`Title`, `Author/EMail`) to a getter."""
    head, _, sub = path.partition("/")
    found = find_property(lst, head)
    if found is None:
        raise BadRequest(
            f"Column '{head}' does not exist. It may have been deleted by another user.",
            code="-2146232832, Microsoft.SharePoint.SPException",
        )
    fld, _role = found
    name = fld.internal_name
    if not sub:
        return fld, lambda item: raw_value(item, name)
    users = lst.site.tenant.users
    if fld.kind in USER_KINDS:
        if sub.lower() not in USER_PROPS:
            raise BadRequest(f"The field or property '{sub}' does not exist.")

        def get_user(item: Item) -> Any:
            v = raw_value(item, name)
            if isinstance(v, list):
                return [user_prop(users.get(u), sub) for u in v]
            return user_prop(users.get(v), sub) if v is not None else None

        return fld, get_user
    if fld.kind in ("Lookup", "LookupMulti"):
        target = lst.site.list_by_title(fld.lookup_list or "")
        _, tget = resolver(target, sub)

        def get_lookup(item: Item) -> Any:
            v = raw_value(item, name)
            ids = v if isinstance(v, list) else [v]
            vals = [
                tget(target.items[i]) if i in target.items else None for i in ids if i is not None
            ]
            return vals if isinstance(v, list) else (vals[0] if vals else None)

        return fld, get_lookup
    raise BadRequest(f"The field or property '{path}' does not exist.")


def _coll(kind: str, values: list) -> dict:
    return {"__metadata": {"type": f"Collection({kind})"}, "results": values}


def wire_props(fld: Field, value: Any) -> dict[str, Any]:
    """Entity properties of one field's canonical value (`AssignedToId`, `…StringId`)."""
    name = entity_name(fld.internal_name)
    kind = fld.kind
    if kind == "User":
        if fld.builtin:
            return {name + "Id": value}
        return {name + "Id": value, name + "StringId": str(value) if value is not None else None}
    if kind == "UserMulti":
        if not value:
            return {name + "Id": None, name + "StringId": None}
        return {
            name + "Id": _coll("Edm.Int32", list(value)),
            name + "StringId": _coll("Edm.String", [str(v) for v in value]),
        }
    if kind == "Lookup":
        return {name + "Id": value}
    if kind == "LookupMulti":
        return {name + "Id": _coll("Edm.Int32", list(value or []))}
    if kind == "MultiChoice":
        return {name: _coll("Edm.String", list(value)) if value is not None else None}
    if kind == "URL":
        if value is None:
            return {name: None}
        return {name: {"__metadata": {"type": "SP.FieldUrlValue"}, **value}}
    if kind == "TaxonomyFieldType":
        if value is None:
            return {name: None}
        wss = value.get("WssId")
        return {
            name: {
                "__metadata": {"type": "SP.Taxonomy.TaxonomyFieldValue"},
                "Label": str(wss),
                "TermGuid": value.get("TermGuid"),
                "WssId": wss,
            }
        }
    if fld.internal_name in _STRING_SYSTEM:
        return {name: str(value) if value is not None else None}
    return {name: value}


def _user_entity(lst: SPList, item: Item, fname: str, uid: int, subs: list[str]) -> dict:
    user = lst.site.tenant.users.get(uid)
    uri = f"{lst.api_uri}/Items({item.id})/{fname}"
    out: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": "SP.Data.UserInfoItem"}}
    for s in subs or ["Id", "Title", "EMail"]:
        if s.lower() not in USER_PROPS:
            raise BadRequest(f"The field or property '{s}' does not exist.")
        out[USER_PROPS[s.lower()]] = user_prop(user, s)
    return out


def _lookup_entity(lst: SPList, fld: Field, tid: int, subs: list[str]) -> dict:
    target = lst.site.list_by_title(fld.lookup_list or "")
    titem = target.items.get(tid)
    uri = f"{target.api_uri}/Items({tid})"
    out: dict[str, Any] = {
        "__metadata": {"id": uri, "uri": uri, "type": target.list_item_entity_type_full_name}
    }
    for s in subs or ["Id", fld.lookup_field]:
        if s.lower() == "id":
            out["Id"] = tid
            continue
        found = find_property(target, s)
        if found is None:
            raise BadRequest(f"The field or property '{s}' does not exist.")
        out.update(
            wire_props(found[0], raw_value(titem, found[0].internal_name) if titem else None)
        )
    return out


def _file_entity(lst: SPList, item: Item, subs: list[str]) -> dict | None:
    blob = item.file
    if blob is None:
        return None
    full = {
        "Name": posixpath.basename(item.file_ref),
        "ServerRelativeUrl": item.file_ref,
        "Length": str(blob.size),
        "UniqueId": blob.unique_id,
        "TimeCreated": iso(blob.time_created),
        "TimeLastModified": iso(blob.time_last_modified),
        "Title": item.values.get("Title"),
    }
    uri = f"{lst.site.api_url}/Web/GetFileByServerRelativePath(decodedurl='{item.file_ref}')"
    out: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": "SP.File"}}
    for s in subs or FILE_PROPS:
        key = next((k for k in full if k.lower() == s.lower()), None)
        if key is None:
            raise BadRequest(f"The field or property '{s}' does not exist.")
        out[key] = full[key]
    return out


def _expanded(lst: SPList, item: Item, fld: Field | None, name: str, subs: list[str]) -> Any:
    if fld is None:
        return _file_entity(lst, item, subs)
    value = raw_value(item, fld.internal_name)
    if fld.kind in USER_KINDS:
        if fld.kind == "User":
            return _user_entity(lst, item, name, value, subs) if value is not None else None
        return {"results": [_user_entity(lst, item, name, v, subs) for v in value or []]}
    if fld.kind == "Lookup":
        return _lookup_entity(lst, fld, value, subs) if value is not None else None
    return {"results": [_lookup_entity(lst, fld, v, subs) for v in value or []]}


def _default_names(lst: SPList) -> list[str]:
    custom = [f.internal_name for f in lst.fields if not f.builtin and not f.hidden]
    tail = ["ID", "Modified", "Created", "Author", "Editor", "_UIVersionString"]
    tail += ["GUID"] if lst.is_library else ["Attachments", "GUID"]
    return ["Title", *custom, *tail]


def item_entity(
    lst: SPList, item: Item, select: list[str] | None = None, expand: list[str] | None = None
) -> dict:
    """Verbose JSON properties of an item for `$select`/`$expand` (HTTP adds `__metadata`)."""
    expand_set = {e.strip().lower() for e in expand or [] if e.strip()}
    expandable: dict[str, tuple[Field | None, str]] = {}
    for e in expand_set:
        if e == "file" and lst.is_library:
            expandable[e] = (None, "File")
            continue
        found = find_property(lst, e)
        if found is None or found[0].kind not in USER_KINDS | {"Lookup", "LookupMulti"}:
            raise BadRequest(f"The field or property '{e}' does not exist.")
        expandable[e] = (found[0], entity_name(found[0].internal_name))
    out: dict[str, Any] = {}
    sel = [s.strip() for s in select or [] if s.strip()]
    subs: dict[str, list[str]] = {}
    if not sel or "*" in sel:
        out["FileSystemObjectType"] = item.fs_obj_type
        out["Id"] = item.id
        for name in _default_names(lst):
            out.update(wire_props(lst.field(name), raw_value(item, name)))
        for e in expandable:
            subs.setdefault(e, [])
    for s in sel:
        if s == "*":
            continue
        head, _, sub = s.partition("/")
        low = head.lower()
        if sub or low in expandable:
            if low not in expandable:
                raise BadRequest(
                    f"The query to field '{s}' is not valid. "
                    "The $select query string must specify the target "
                    f"fields and the $expand query string must contains {head}."
                )
            subs.setdefault(low, [])
            if sub:
                subs[low].append(sub)
            continue
        if low in ("id",):
            out["Id"] = item.id
            out["ID"] = item.id
            continue
        if low == "filesystemobjecttype":
            out["FileSystemObjectType"] = item.fs_obj_type
            continue
        found = find_property(lst, head)
        if found is None:
            raise BadRequest(f"The field or property '{head}' does not exist.")
        fld, role = found
        props = wire_props(fld, raw_value(item, fld.internal_name))
        if role == "value":
            out.update(props)
        else:
            key = entity_name(fld.internal_name) + ("Id" if role == "id" else "StringId")
            out[key] = props.get(key)
    for e, names in subs.items():
        expand_fld, name = expandable[e]
        out[name] = _expanded(lst, item, expand_fld, name, names)
    return out
