"""The rights a night needs, site by site: read on every source site; on the hub item writes,
list and column creation, and writes to the rollups library. Checked by asking SharePoint
(`site_rights.check_site`), so `auth test`, `validate --rights` and the nightly preflight change
nothing and agree on one message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.site_rights import (
    HUB_NEEDS,
    LIBRARY_NEEDS,
    SOURCE_NEEDS,
    MissingRightsError,
    RightCheck,
    check_site,
)


def night_rights(
    connect: Callable[[str], SiteConnection],
    *,
    base_url: str,
    hub_site: str,
    source_sites: Iterable[str],
    rollups_library: str,
    client_id: str,
) -> list[RightCheck]:
    """Every right the nightly job needs, in site order (sources first, then the hub)."""
    out: list[RightCheck] = []
    for site in dict.fromkeys(s for s in source_sites if s != hub_site):
        out += check_site(
            connect(site), site, SOURCE_NEEDS, site_url=base_url + site, client_id=client_id
        )
    hub = connect(hub_site)
    out += hub_rights(hub, base_url=base_url, hub_site=hub_site, client_id=client_id)
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
    hub: SiteConnection, *, base_url: str, hub_site: str, client_id: str
) -> list[RightCheck]:
    """Read, item writes and list/column creation on the hub's web: one request."""
    return check_site(hub, hub_site, HUB_NEEDS, site_url=base_url + hub_site, client_id=client_id)


def require(checks: list[RightCheck]) -> None:
    """Raise MissingRightsError when a right is missing; an unknown right does not block."""
    missing = [c for c in checks if c.status == "missing"]
    if missing:
        raise MissingRightsError(missing)
