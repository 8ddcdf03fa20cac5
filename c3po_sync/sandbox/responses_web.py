"""Handlers for contextinfo, the web, lists, users and change logs (fields: responses_fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.responses import (
    Reply,
    apply_select,
    change_token,
    collection,
    deferred,
    empty_reply,
    entity,
    guid_literal,
    iso,
    json_reply,
    metadata,
    operation,
    select_entity,
)

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call


# --- resolution helpers used by every handler module --------------------------------------------


def resolve_list(call: Call) -> Any:
    """The SPList a path names: Lists/GetByTitle('T'), Lists/GetById('g') or Lists(guid'g')."""
    for i, seg in enumerate(call.segments[:2]):
        if seg.name != "lists":
            continue
        if seg.has_parens:
            return call.site.list_by_id(str(seg.arg()))
        nxt = call.segments[i + 1] if i + 1 < len(call.segments) else None
        if nxt is not None and nxt.name == "getbytitle":
            return call.site.list_by_title(str(nxt.arg()))
        if nxt is not None and nxt.name == "getbyid":
            return call.site.list_by_id(str(nxt.arg()))
    raise BadRequest("The request does not name a list.")


def list_uri(call: Call, lst: Any) -> str:
    return f"{call.api}/Web/Lists({guid_literal(lst.id)})"


def user_props(call: Call, user: Any) -> dict:
    uri = f"{call.api}/Web/GetUserById({user.id})"
    return {
        "__metadata": metadata(uri, "SP.User"),
        "Id": user.id,
        "IsHiddenInUI": False,
        "LoginName": user.login_name,
        "Title": user.title,
        "PrincipalType": 1,
        "Email": user.email,
        "IsSiteAdmin": False,
        "UserPrincipalName": user.email,
        "UserId": {
            "__metadata": {"type": "SP.UserIdInfo"},
            "NameId": f"{user.id:016x}",
            "NameIdIssuer": "urn:federation:microsoftonline",
        },  # fmt: skip
    }


# --- contextinfo, web, site ----------------------------------------------------------------------


def context_info(call: Call) -> Reply:
    now = datetime.now(UTC).strftime("%d %b %Y %H:%M:%S -0000")
    info = {
        "__metadata": {"type": "SP.ContextWebInformation"},
        "FormDigestTimeoutSeconds": 1800,
        "FormDigestValue": f"0x{abs(hash(call.site.id)):016X}{'0' * 112},{now}",
        "LibraryVersion": "16.0.0.0",
        "SiteFullUrl": call.site_url,
        "SupportedSchemaVersions": {
            "__metadata": {"type": "Collection(Edm.String)"},
            "results": ["14.0.0.0", "15.0.0.0"],
        },  # fmt: skip
        "WebFullUrl": call.site_url,
    }
    return json_reply(call.request, operation("GetContextWebInformation", info))


def web_props(call: Call) -> dict:
    site = call.site
    return {
        "Id": site.web_id,
        "Title": site.title,
        "Url": call.site_url,
        "ServerRelativeUrl": site.server_relative_url,
        "Description": "",
        "Language": 1033,
        "WebTemplate": "STS",
        "Created": iso(getattr(site, "created", None)) or "2020-01-01T00:00:00Z",
        "LastItemModifiedDate": iso(datetime.now(UTC)),
        "CurrentChangeToken": change_token(site.current_change_token()),
        "Lists": deferred(f"{call.api}/Web/Lists"),
        "SiteUsers": deferred(f"{call.api}/Web/SiteUsers"),
        "RegionalSettings": deferred(f"{call.api}/Web/RegionalSettings"),
    }


def get_web(call: Call) -> Reply:
    props = apply_select(web_props(call), call.request.option("$select"))
    uri = f"{call.api}/Web"
    return json_reply(call.request, entity(props, metadata(uri, "SP.Web")))


def get_site(call: Call) -> Reply:
    site = call.site
    props = {
        "Id": site.id,
        "Url": call.site_url,
        "ServerRelativeUrl": site.server_relative_url,
        "CurrentChangeToken": change_token(site.current_change_token()),
        "RootWeb": deferred(f"{call.api}/Site/RootWeb"),
    }
    props = apply_select(props, call.request.option("$select"))
    return json_reply(call.request, entity(props, metadata(f"{call.api}/Site", "SP.Site")))


# --- lists ---------------------------------------------------------------------------------------


def list_props(call: Call, lst: Any) -> dict:
    uri = list_uri(call, lst)
    library = lst.base_template == 101
    return {
        "Id": lst.id,
        "Title": lst.title,
        "Description": getattr(lst, "description", "") or "",
        "BaseTemplate": lst.base_template,
        "BaseType": 1 if library else 0,
        "ItemCount": len(lst.items),
        "Hidden": False,
        "EntityTypeName": lst.entity_type_name,
        "ListItemEntityTypeFullName": lst.list_item_entity_type_full_name,
        "CurrentChangeToken": change_token(lst.current_change_token()),
        "Created": iso(getattr(lst, "created", None)) or "2020-01-01T00:00:00Z",
        "LastItemModifiedDate": iso(getattr(lst, "last_item_modified", None))
        or iso(datetime.now(UTC)),
        "ParentWebUrl": call.site.server_relative_url,
        "EnableVersioning": True,
        "Fields": deferred(f"{uri}/Fields"),
        "Items": deferred(f"{uri}/Items"),
        "RootFolder": deferred(f"{uri}/RootFolder"),
    }


def list_entity(call: Call, lst: Any, select: str | None = None) -> dict:
    props = apply_select(list_props(call, lst), select)
    return {"__metadata": metadata(list_uri(call, lst), "SP.List", '"1"'), **props}


def lists(call: Call) -> Reply:
    request = call.request
    if request.method == "POST":
        body = request.json()
        title = body.get("Title")
        if not title:
            raise BadRequest("The list title is required (property 'Title').")
        lst = call.site.create_list(
            str(title), int(body.get("BaseTemplate") or 100), str(body.get("Description") or "")
        )
        return json_reply(request, {"d": list_entity(call, lst)}, 201)
    results = [
        list_entity(call, lst, request.option("$select")) for lst in call.site.lists.values()
    ]
    return json_reply(request, collection(results))


def get_list(call: Call) -> Reply:
    """GET a list; MERGE its Title (a rename, logged) or DELETE it (logged), 204 as SPO."""
    lst = resolve_list(call)
    if call.request.method in ("MERGE", "PATCH"):
        body = call.request.json()
        if "Title" in body:
            call.site.rename_list(lst, str(body.get("Title") or ""))
        if "Description" in body:
            lst.description = str(body.get("Description") or "")
        return empty_reply(204)
    if call.request.method == "DELETE":
        call.site.delete_list(lst)
        return empty_reply(204)
    return json_reply(call.request, {"d": list_entity(call, lst, call.request.option("$select"))})


# --- users ---------------------------------------------------------------------------------------


def ensure_user(call: Call) -> Reply:
    seg = call.segments[-1]
    login = seg.arg() or call.request.json().get("logonName")
    user = call.site.ensure_user(str(login))
    return json_reply(call.request, {"d": _selected_user(call, user)})


def _selected_user(call: Call, user: Any) -> dict:
    """A user's properties narrowed by `$select`, as SharePoint Online answers
    `Web/SiteUsers?$select=Id,Email` (the product asks so). Evidence: Microsoft's "Use OData
    query operations in SharePoint REST requests": `$select` names the fields returned for "a
    list, list item, or other SharePoint object represented by an entity set". Answering every
    property hid a reader using one it never asked for, and made the answer larger than SPO's."""
    return select_entity(user_props(call, user), call.request.option("$select"))


def site_users(call: Call) -> Reply:
    users = sorted(call.site.users.values(), key=lambda u: u.id)
    return json_reply(call.request, collection([_selected_user(call, u) for u in users]))


def site_user(call: Call) -> Reply:
    uid = int(call.segments[-1].arg())
    user = call.site.users.get(uid) if hasattr(call.site.users, "get") else None
    if user is None:
        from c3po_sync.sandbox.errors import UserNotFound

        raise UserNotFound()
    return json_reply(call.request, {"d": _selected_user(call, user)})


def user_info_items(call: Call) -> Reply:
    """The hidden User Information List: one request lists every user with e-mail and login."""
    out = []
    for user in sorted(call.site.users.values(), key=lambda u: u.id):
        uri = f"{call.api}/Web/SiteUserInfoList/Items({user.id})"
        props = {
            "__metadata": metadata(uri, "SP.Data.UserInfoItem", '"1"'),
            "Id": user.id,
            "ID": user.id,
            "Title": user.title,
            "Name": user.login_name,
            "EMail": user.email,
            "UserName": user.email,
            "JobTitle": getattr(user, "job_title", None),
            "Department": getattr(user, "department", None),
            "ContentType": "Person",
        }
        out.append(select_entity(props, call.request.option("$select")))
    return json_reply(call.request, collection(out))


# --- change logs ---------------------------------------------------------------------------------


def _change_args(call: Call) -> dict:
    query = call.request.json().get("query") or {}
    start = (query.get("ChangeTokenStart") or {}).get("StringValue")
    end = (query.get("ChangeTokenEnd") or {}).get("StringValue")
    # Flags SharePoint does not know, or the sandbox does not log (Alert, Web, User, …), are
    # ignored as SharePoint ignores object types it has no changes of.
    kinds = {k for k in _CHANGE_TYPE_FLAGS if query.get(k) is True}
    objects = {k for k in ("Item", "List", "Field") if query.get(k) is True}
    limit = int(query.get("FetchLimit") or 1000)
    return {
        "token_start": start,
        "token_end": end,
        "fetch_limit": min(max(limit, 1), 2000),
        "kinds": kinds,
        "objects": objects,
    }


_CHANGE_TYPE_FLAGS = (
    "Add",
    "Update",
    "DeleteObject",
    "Rename",
    "Restore",
    "SystemUpdate",
    "Move",
    "MoveAway",
    "MoveInto",
)


def change_entity(change: Any) -> dict:
    """An SP.ChangeItem, SP.ChangeList or SP.ChangeField, by what the change was made to."""
    kind = getattr(change, "kind", "item")
    props: dict[str, Any] = {
        "__metadata": {"type": _CHANGE_CLASSES.get(kind, "SP.ChangeItem")},
        "ChangeToken": change_token(change.token),
        "ChangeType": change.change_type,
        "SiteId": change.site_id,
        "Time": iso(change.time),
    }
    if kind == "field":
        props["FieldId"] = change.field_id
    elif kind == "list":
        props["Title"] = getattr(change, "title", None)
    else:
        props["ItemId"] = change.item_id
    props["ListId"] = change.list_id
    props["WebId"] = change.web_id
    if getattr(change, "unique_id", None):
        props["UniqueId"] = change.unique_id
    return props


_CHANGE_CLASSES = {"item": "SP.ChangeItem", "list": "SP.ChangeList", "field": "SP.ChangeField"}


def list_changes(call: Call) -> Reply:
    lst = resolve_list(call)
    changes = lst.get_changes(**_change_args(call))
    return json_reply(call.request, collection([change_entity(c) for c in changes]))


def site_changes(call: Call) -> Reply:
    from c3po_sync.sandbox.model_changes import SCOPE_SITE, SCOPE_WEB

    scope = SCOPE_WEB if call.segments[0].name == "web" else SCOPE_SITE
    changes = call.site.get_changes(**_change_args(call), scope=scope)
    return json_reply(call.request, collection([change_entity(c) for c in changes]))
