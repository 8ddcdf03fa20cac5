"""Does the app hold the Sites.Selected rights the nightly job needs? Asked, never tried.

SharePoint tells an app its own rights on a web or list through `EffectiveBasePermissions`
(`GET /_api/web/effectiveBasePermissions`, `…/lists/getbytitle('…')/EffectiveBasePermissions`),
so every right is checked without creating, changing or uploading anything. Each missing right
comes with the grant that fixes it: PnP PowerShell's `Grant-PnPEntraIDAppSitePermission`
(https://pnp.github.io/powershell/cmdlets/Grant-PnPEntraIDAppSitePermission.html, `Manage` and
`FullControl` since pnp/powershell#3617) or Microsoft Graph's site permissions
(https://learn.microsoft.com/en-us/graph/api/site-post-permissions: `POST` with `read` or
`write`; `manage` and `fullcontrol` by a `PATCH` of that permission,
https://learn.microsoft.com/en-us/graph/api/site-update-permission,
microsoftgraph/msgraph-sdk-dotnet#1034).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from c3po_sync.m365.base_permissions import (
    LEAST_ROLE,
    MANAGE,
    READ,
    RIGHT_NAMES,
    WRITE,
    PermissionKind,
    from_mask,
    has,
)
from c3po_sync.m365.errors import M365Error, SharePointRequestError
from c3po_sync.m365.http import SiteConnection, list_path

ROUTE = "effective permissions"


@dataclass
class RightCheck:
    """One right on one site (or library): held, missing (with the fix), or unknown."""

    site: str
    target: str  # "(site)" or a library title
    right: str  # RIGHT_NAMES value
    status: str  # ok | missing | unknown
    detail: str = ""
    fix: str = ""


class MissingRightsError(M365Error):
    """The app lacks a Sites.Selected right a write needs; the message names each and its fix."""

    def __init__(self, checks: list[RightCheck]) -> None:
        self.checks = checks
        super().__init__(missing_rights_message(checks))


def grant_fix(site_url: str, client_id: str, role: str, app_name: str = "C3PO Sync") -> str:
    """The commands an admin runs to give the app `role` on `site_url`: PnP, or Graph."""
    parts = urlsplit(site_url)
    graph = "https://graph.microsoft.com/v1.0/sites"
    ps_role = {"fullcontrol": "FullControl"}.get(role, role.capitalize())
    first = "read" if role == "read" else "write"  # the POST takes only these two
    identity = f'{{"application":{{"id":"{client_id}","displayName":"{app_name}"}}}}'
    steps = [
        f"GET {graph}/{parts.hostname}:{parts.path or '/'} (its id is the site-id)",
        f"POST {graph}/{{site-id}}/permissions "
        f'{{"roles":["{first}"],"grantedToIdentities":[{identity}]}}',
    ]
    if role in ("manage", "fullcontrol"):
        steps.append(
            f'PATCH {graph}/{{site-id}}/permissions/{{permission-id}} {{"roles":["{role}"]}}'
        )
    return (
        f'PnP PowerShell: Grant-PnPEntraIDAppSitePermission -AppId {client_id} -DisplayName "'
        f'{app_name}" -Site {site_url} -Permissions {ps_role}\n'
        f"or Microsoft Graph: {'; then '.join(steps)}"
    )


def missing_rights_message(checks: list[RightCheck]) -> str:
    """One line per missing or unknown right: where, what, and the grant that fixes it."""
    lines = []
    for c in checks:
        where = c.site if c.target == "(site)" else f"{c.site} library {c.target!r}"
        if c.status == "missing":
            fix = c.fix.replace("\n", "\n    ")
            lines.append(f"{where}: the app lacks {c.right} ({c.detail}); fix:\n    {fix}")
        elif c.status == "unknown":
            lines.append(f"{where}: {c.right} unknown ({c.detail})")
    return "\n".join(lines)


def permissions_url(conn: SiteConnection, list_title: str | None = None) -> str:
    """Where the app's rights on the site's web (or one of its lists) are read; a writer may
    fetch it ahead with its own reads (``SharePointListSink.write_known``)."""
    return conn.api((list_path(list_title) if list_title else "web") + "/EffectiveBasePermissions")


def effective_permissions(conn: SiteConnection, list_title: str | None = None) -> PermissionKind:
    """The app's rights on the site's web, or on one of its lists (one GET, no change)."""
    body = conn.get_json(permissions_url(conn, list_title), route=ROUTE)
    mask = body.get("EffectiveBasePermissions", body) if isinstance(body, dict) else {}
    return from_mask(mask.get("High", 0), mask.get("Low", 0))


def check_site(
    conn: SiteConnection,
    site: str,
    needs: list[PermissionKind],
    *,
    site_url: str,
    client_id: str,
    list_title: str | None = None,
) -> list[RightCheck]:
    """One RightCheck per needed right on the site (or on `list_title` there)."""
    target = list_title or "(site)"
    try:
        granted = effective_permissions(conn, list_title)
    except SharePointRequestError as e:
        if e.status == 404 and list_title:
            return [
                RightCheck(
                    site,
                    target,
                    RIGHT_NAMES[n],
                    "missing",
                    f"the library {list_title!r} does not exist",
                    f"create the document library {list_title!r} on {site_url}",
                )
                for n in needs
            ]
        if e.status == 403:  # no grant at all: SharePoint refuses even the question
            granted = PermissionKind(0)
        else:
            return [RightCheck(site, target, RIGHT_NAMES[n], "unknown", str(e)) for n in needs]
    except (M365Error, OSError, ValueError) as e:
        return [
            RightCheck(site, target, RIGHT_NAMES[n], "unknown", f"{type(e).__name__}: {e}")
            for n in needs
        ]
    out = []
    for need in needs:
        if has(granted, need):
            out.append(RightCheck(site, target, RIGHT_NAMES[need], "ok"))
            continue
        role = LEAST_ROLE[need]
        out.append(
            RightCheck(
                site,
                target,
                RIGHT_NAMES[need],
                "missing",
                f"needs the Sites.Selected role '{role}' or higher",
                grant_fix(site_url, client_id, role),
            )
        )
    return out


HUB_NEEDS = [READ, WRITE, MANAGE]
SOURCE_NEEDS = [READ]
LIBRARY_NEEDS = [WRITE]
