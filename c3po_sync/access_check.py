"""What `auth test`, `validate --rights` and the nightly preflight check, wired to the settings.

The checks themselves live in `m365.night_rights` (SharePoint) and `m365.mail_right` (Graph);
this module only says, from a deployment's settings, which sites, which app and which token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from c3po_sync.config.settings import CertificateAuth, Settings
from c3po_sync.identity import token_provider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.mail_right import GRAPH_RESOURCE, check_mail_send
from c3po_sync.m365.night_rights import hub_rights, night_rights, require
from c3po_sync.m365.site_rights import MissingRightsError, RightCheck
from c3po_sync.sinks.hub_lists import HUB_LISTS

__all__ = ["MissingRightsError", "check_hub_rights", "client_id_of", "rights_checks"]


def client_id_of(settings: Settings) -> str:
    """The app the grants are for (the sandbox's fixed token has none: a placeholder)."""
    auth = settings.tenant.auth
    return auth.client_id if isinstance(auth, CertificateAuth) else "<client-id>"


def rights_checks(
    settings: Settings,
    source_sites: Iterable[str],
    connect: Callable[[str], SiteConnection],
) -> list[RightCheck]:
    """Every right a night needs, and the mail permission when a `notify` section is present."""
    out = night_rights(
        connect,
        base_url=settings.tenant.base_url,
        hub_site=settings.hub_site,
        source_sites=source_sites,
        rollups_library=settings.rollups_library,
        client_id=client_id_of(settings),
        hub_lists=HUB_LISTS,
    )
    if settings.notify is not None:
        out.append(check_mail_send(_graph_tokens(settings), "notify"))
    return out


def check_hub_rights(settings: Settings, hub: SiteConnection) -> None:
    """Raise MissingRightsError when the hub lacks read, item writes or list creation."""
    require(
        hub_rights(
            hub,
            base_url=settings.tenant.base_url,
            hub_site=settings.hub_site,
            client_id=client_id_of(settings),
            hub_lists=HUB_LISTS,
        )
    )


def _graph_tokens(settings: Settings) -> Callable[[], dict[str, Any]]:
    """A token provider for Microsoft Graph with the deployment's certificate app."""
    return token_provider(settings, resource=GRAPH_RESOURCE)
