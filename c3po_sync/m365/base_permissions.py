"""SharePoint's permission bits (SPBasePermissions), and the Sites.Selected roles that carry them.

`auth test` and the nightly preflight decode the masks SharePoint returns with these bits. (The
sandbox keeps its own copy of the published role masks, `sandbox/grants.py`, so that a wrong bit
here is exposed by the emulator rather than mirrored by it.)

Bits: https://learn.microsoft.com/en-us/previous-versions/office/sharepoint-server/ms412690(v=office.15)
(`SP.BasePermissions` is the 64-bit mask split into `High` and `Low` 32-bit halves,
https://learn.microsoft.com/en-us/previous-versions/office/sharepoint-server/ee556878(v=office.15)).
Role masks are the permission levels' `BasePermissions` as `/_api/web/roledefinitions` returns
them (https://learn.microsoft.com/en-us/sharepoint/dev/sp-add-ins/users-groups-and-roles-rest-api-reference:
Read 176/138612833, Contribute 432/1011028719, Full Control 2147483647/4294967295; Design
432/1012866047 = Contribute + ManageLists, AddAndCustomizePages, ApproveItems, styles, themes).

Sites.Selected roles (https://learn.microsoft.com/en-us/graph/permissions-selected-overview):
`read` acts as Read; `write` as Contribute — items and files, but no list or column creation
(pnp/powershell#847, microsoftgraph/msgraph-sdk-dotnet#1034); `manage` adds Manage Lists (taken
here as Design: only the ManageLists bit is relied on); `fullcontrol` is Full Control.
"""

from __future__ import annotations

from enum import IntFlag


class PermissionKind(IntFlag):
    """The SPBasePermissions bits C3PO Sync needs (bit n is PermissionKind n+1)."""

    VIEW_LIST_ITEMS = 0x1
    ADD_LIST_ITEMS = 0x2
    EDIT_LIST_ITEMS = 0x4
    DELETE_LIST_ITEMS = 0x8
    MANAGE_LISTS = 0x800
    OPEN = 0x10000


READ = PermissionKind.VIEW_LIST_ITEMS | PermissionKind.OPEN
WRITE = PermissionKind.ADD_LIST_ITEMS | PermissionKind.EDIT_LIST_ITEMS
MANAGE = PermissionKind.MANAGE_LISTS

# What each right is called in messages, and the least role that grants it.
RIGHT_NAMES: dict[PermissionKind, str] = {
    READ: "read (ViewListItems)",
    WRITE: "item writes (AddListItems, EditListItems)",
    MANAGE: "list and column creation (ManageLists)",
}
LEAST_ROLE: dict[PermissionKind, str] = {READ: "read", WRITE: "write", MANAGE: "manage"}


def from_mask(high: int | str, low: int | str) -> PermissionKind:
    """The bits of an `SP.BasePermissions` this module names (High carries none of them)."""
    del high  # every bit named here lives in the low half
    return PermissionKind(int(low) & sum(int(k) for k in PermissionKind))


def has(granted: PermissionKind, needed: PermissionKind) -> bool:
    return granted & needed == needed
