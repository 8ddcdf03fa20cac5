"""The app's `Sites.Selected` role on each sandbox site, and what each role lets a request do.

SharePoint Online gives an app with `Sites.Selected` no access to a site until an admin grants it
one of four roles on that site
(https://learn.microsoft.com/en-us/graph/permissions-selected-overview,
https://learn.microsoft.com/en-us/graph/api/site-post-permissions). Each role acts as a
permission level whose `BasePermissions` `/_api/web/roledefinitions` returns
(https://learn.microsoft.com/en-us/sharepoint/dev/sp-add-ins/users-groups-and-roles-rest-api-reference:
Read 176/138612833, Contribute 432/1011028719, Full Control 2147483647/4294967295; `manage` is
taken as Design, Contribute + ManageLists); the bits are SPBasePermissions
(https://learn.microsoft.com/en-us/previous-versions/office/sharepoint-server/ms412690(v=office.15)).
The sandbox keeps its own copy of these published numbers rather than importing the product's
decoder (`c3po_sync.m365.base_permissions`): an emulator that shared the client's table would
agree with a wrong bit instead of exposing it, and the sandbox imports nothing of the service
(docs/architecture.md). Here: which right each route needs —
a GET reads; item and file writes need `write`; creating, changing or deleting a list or a column
needs Manage Lists (`manage`); `none` is refused everything.

The refusal is SharePoint's 403 with `System.UnauthorizedAccessException` and, for app-only
calls, the message "Attempted to perform an unauthorized operation." (the body quoted in
vgrem/office365-rest-python-client#984 and vgrem/phpSPO#272; user calls get "Access denied. You
do not have permission to perform this action or access this resource.",
OneDrive/onedrive-api-docs#729).

A site without an `app_role` key is `fullcontrol`: tenant files written before grants existed
(the demo, every test tenant) describe an app that may do everything, and keep doing so.
"""

from __future__ import annotations

from typing import Any

from c3po_sync.sandbox.errors import SandboxError

# SPBasePermissions bits (bit n is PermissionKind n+1): ViewListItems, AddListItems,
# EditListItems, ManageLists, Open.
_VIEW, _ADD, _EDIT, _MANAGE_LISTS, _OPEN = 0x1, 0x2, 0x4, 0x800, 0x10000
READ = _VIEW | _OPEN
WRITE = _ADD | _EDIT
MANAGE = _MANAGE_LISTS

ROLES = ("none", "read", "write", "manage", "fullcontrol")
# (High, Low) of each role, as SharePoint serialises SP.BasePermissions.
ROLE_MASKS: dict[str, tuple[int, int]] = {
    "none": (0, 0),
    "read": (176, 138612833),
    "write": (432, 1011028719),
    "manage": (432, 1012866047),
    "fullcontrol": (2147483647, 4294967295),
}

DEFAULT_ROLE = "fullcontrol"

# Routes (routes.ROUTES names) by the right they need beyond reading; a GET needs READ.
_MANAGE_ROUTES = {"lists", "list", "fields", "field", "field_add", "field_xml"}
_WRITE_ROUTES = {
    "items",
    "item",
    "item_validate",
    "item_recycle",
    "file_add",
    "folder_add",
    "file",
    "upload",
    "ensure_user",
}
# POSTs that only read (queries, change logs, the form digest).
_READ_POSTS = {"contextinfo", "web_changes", "list_changes", "get_items"}


class AccessDenied(SandboxError):
    """SharePoint's 403 for a request the app's role on the site does not allow."""

    status = 403
    code = "-2147024891, System.UnauthorizedAccessException"

    def __init__(self, message: str = "Attempted to perform an unauthorized operation.") -> None:
        super().__init__(message)


def check_role(value: Any) -> str:
    """A tenant file's `app_role`, lower-cased; ValueError when it is not one of ROLES."""
    role = str(value).strip().lower()
    if role not in ROLES:
        raise ValueError(f"{value!r} is not one of {', '.join(ROLES)}")
    return role


def role_of(site: Any) -> str:
    return getattr(site, "app_role", None) or DEFAULT_ROLE


def needed(route: str, method: str) -> int:
    """The right a request on `route` needs: READ, WRITE (items, files), MANAGE (lists, columns)."""
    if method == "GET" or (method == "POST" and route in _READ_POSTS):
        return READ
    if route in _MANAGE_ROUTES:
        return MANAGE
    if route in _WRITE_ROUTES:
        return WRITE
    return READ


def authorize(site: Any, route: str, method: str) -> None:
    """Raise AccessDenied when the app's role on `site` lacks what `route` needs."""
    right = needed(route, method)
    if ROLE_MASKS[role_of(site)][1] & right != right:
        raise AccessDenied()


def base_permissions(site: Any) -> dict[str, str]:
    """`SP.BasePermissions` of the app on the site: High and Low as decimal strings, as SPO."""
    high, low = ROLE_MASKS[role_of(site)]
    return {"High": str(high), "Low": str(low)}
