"""The mail permission notifications need: `Mail.Send` in the app token's `roles` claim.

Graph's `sendMail` as an application needs the `Mail.Send` application permission
(https://learn.microsoft.com/en-us/graph/api/user-sendmail#permissions); an app-only token
lists the application permissions granted to the app in its `roles` claim
(https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference).
The check reads the claim of a token for Graph, which the app gets anyway to send mail; it
sends nothing. It runs only where a `notify` section is configured (notifications are added
by their own change; this is the hook `auth test` and `validate --rights` call).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from c3po_sync.m365.site_rights import RightCheck

MAIL_SEND = "Mail.Send"
GRAPH_RESOURCE = "https://graph.microsoft.com"
RIGHT = "mail (Graph application permission Mail.Send)"
FIX = (
    "Entra admin center → App registrations → the app → API permissions → Add → Microsoft Graph "
    "→ Application permissions → Mail.Send → Grant admin consent; then limit the mailboxes it "
    "may send as with an Exchange Online application access policy or RBAC for Applications "
    "(New-ApplicationAccessPolicy / New-ManagementRoleAssignment)"
)


def token_roles(access_token: str) -> list[str]:
    """The `roles` claim of a JWT access token (read, not verified: the token is our own)."""
    try:
        body = access_token.split(".")[1]
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError) as exc:
        raise ValueError(f"the access token is not a JWT: {type(exc).__name__}") from None
    roles = claims.get("roles") or []
    return [str(r) for r in roles] if isinstance(roles, list) else []


def check_mail_send(get_token: Callable[[], dict[str, Any]], target: str) -> RightCheck:
    """ok when a Graph token for the app carries Mail.Send; missing (with the fix) otherwise."""
    try:
        roles = token_roles(get_token()["access_token"])
    except Exception as exc:  # noqa: BLE001 - any failure to get a token leaves the right unknown
        return RightCheck("(tenant)", target, RIGHT, "unknown", f"{type(exc).__name__}: {exc}")
    if MAIL_SEND in roles:
        return RightCheck("(tenant)", target, RIGHT, "ok")
    held = ", ".join(roles) or "none"
    return RightCheck("(tenant)", target, RIGHT, "missing", f"the token's roles are: {held}", FIX)
