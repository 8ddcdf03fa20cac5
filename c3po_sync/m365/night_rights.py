"""The rights a night needs, site by site: read on every source site; on the hub item writes,
list and column creation, and writes to the rollups library. Checked by asking SharePoint
(`site_rights.check_site`), so `auth test`, `validate --rights` and the nightly preflight change
nothing and agree on one message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from c3po_sync.m365.base_permissions import MANAGE, RIGHT_NAMES
from c3po_sync.m365.errors import M365Error
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.provision import ListProvisioner
from c3po_sync.m365.site_rights import (
    HUB_NEEDS,
    LIBRARY_NEEDS,
    SOURCE_NEEDS,
    MissingRightsError,
    RightCheck,
    check_site,
)
from c3po_sync.sinks.base import ListSpec


def night_rights(
    connect: Callable[[str], SiteConnection],
    *,
    base_url: str,
    hub_site: str,
    source_sites: Iterable[str],
    rollups_library: str,
    client_id: str,
    hub_lists: Sequence[ListSpec] = (),
) -> list[RightCheck]:
    """Every right the nightly job needs, in site order (sources first, then the hub)."""
    out: list[RightCheck] = []
    for site in dict.fromkeys(s for s in source_sites if s != hub_site):
        out += check_site(
            connect(site), site, SOURCE_NEEDS, site_url=base_url + site, client_id=client_id
        )
    hub = connect(hub_site)
    out += hub_rights(
        hub, base_url=base_url, hub_site=hub_site, client_id=client_id, hub_lists=hub_lists
    )
    out += check_site(
        hub,
        hub_site,
        LIBRARY_NEEDS,
        site_url=base_url + hub_site,
        client_id=client_id,
        list_title=rollups_library,
    )
    return out


def hub_rights(
    hub: SiteConnection,
    *,
    base_url: str,
    hub_site: str,
    client_id: str,
    hub_lists: Sequence[ListSpec] = (),
) -> list[RightCheck]:
    """Read, item writes and list/column creation on the hub's web: one request.

    Without Manage Lists (a `write` grant on a hub whose lists an admin pre-created), the right
    is needed only if provisioning still has something to create: `hub_lists` are then planned
    as `provision --dry-run` does (reads only), and an empty plan makes the right `ok`.
    """
    checks = check_site(hub, hub_site, HUB_NEEDS, site_url=base_url + hub_site, client_id=client_id)
    manage = next(c for c in checks if c.right == RIGHT_NAMES[MANAGE])
    if manage.status == "missing" and hub_lists:
        try:
            plan = [
                c for spec in hub_lists for c in ListProvisioner(hub).ensure(spec, dry_run=True)
            ]
        except (M365Error, OSError) as exc:
            manage.detail += f"; whether the hub's lists are complete is unknown ({exc})"
            return checks
        if not plan:
            manage.status, manage.fix = "ok", ""
            manage.detail = "not needed: the hub's lists and columns all exist (pre-created)"
        else:
            more = f" (+{len(plan) - 3} more)" if len(plan) > 3 else ""
            manage.detail += f"; provisioning would still {', '.join(plan[:3])}{more}"
    return checks


def require(checks: list[RightCheck]) -> None:
    """Raise MissingRightsError when a right is missing; an unknown right does not block."""
    missing = [c for c in checks if c.status == "missing"]
    if missing:
        raise MissingRightsError(missing)
