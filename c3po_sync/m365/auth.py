"""Access-token providers: a fixed token for the sandbox, a certificate app for SharePoint."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Protocol

from c3po_sync.m365.errors import TokenError

logger = logging.getLogger(__name__)


class TokenProvider(Protocol):
    """Returns the token dict ``ClientContext.with_access_token`` expects.

    The dict carries ``access_token``, ``token_type`` ("Bearer") and ``expires_in`` so the
    client caches it no longer than it is valid.
    """

    def __call__(self) -> dict[str, Any]: ...


class StaticTokenProvider:
    """A fixed bearer token: the sandbox accepts any token, so no identity platform is needed."""

    def __init__(self, token: str = "sandbox", expires_in: int = 3600) -> None:
        self._token = token
        self._expires_in = expires_in

    def __call__(self) -> dict[str, Any]:
        return {"access_token": self._token, "token_type": "Bearer", "expires_in": self._expires_in}

    def __repr__(self) -> str:
        return "StaticTokenProvider(token=***)"


class MsalCertificateTokenProvider:
    """App-only tokens from a certificate (SharePoint refuses client-secret tokens).

    We own the msal app (SHAREPOINT.md §1.1 option B) so its token cache lives across calls
    and ``instance_discovery`` can be switched off for a private or sovereign authority.
    ``expires_in`` is shortened by ``skew`` seconds because the client caches a token until
    the exact expiry, with no margin.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        thumbprint: str,
        private_key_path: str | Path,
        resource: str,
        authority: str | None = None,
        passphrase: str | None = None,
        instance_discovery: bool = True,
        verify: bool | str = True,
        skew: int = 300,
    ) -> None:
        import msal  # imported here so the sandbox path never needs it loaded

        key_path = Path(private_key_path)
        try:
            private_key = key_path.read_text(encoding="ascii")
        except OSError as exc:
            raise TokenError(
                f"{key_path}: cannot read the certificate's private key: {exc}"
            ) from exc
        credential: dict[str, Any] = {"thumbprint": thumbprint, "private_key": private_key}
        if passphrase:
            credential["passphrase"] = passphrase
        self._scopes = [f"{resource.rstrip('/')}/.default"]
        self._skew = skew
        self._client_id = client_id
        self._app = msal.ConfidentialClientApplication(
            client_id,
            authority=authority or f"https://login.microsoftonline.com/{tenant_id}",
            client_credential=credential,
            instance_discovery=instance_discovery,
            verify=verify,
            token_cache=msal.TokenCache(),
        )

    def __call__(self) -> dict[str, Any]:
        started = time.monotonic()
        result = self._app.acquire_token_for_client(scopes=self._scopes)
        if "access_token" not in result:
            raise TokenError(
                f"client {self._client_id}: no token for {self._scopes[0]}: "
                f"{result.get('error')}: {result.get('error_description', '')}"
            )
        expires_in = int(result.get("expires_in", 3599))
        logger.debug(
            "token for %s acquired in %.2fs (source %s)",
            self._scopes[0],
            time.monotonic() - started,
            result.get("token_source", "?"),
        )
        return {
            "access_token": result["access_token"],
            "token_type": result.get("token_type", "Bearer"),
            "expires_in": max(60, expires_in - self._skew),
        }

    def __repr__(self) -> str:
        return (
            f"MsalCertificateTokenProvider(client_id={self._client_id!r}, scopes={self._scopes!r})"
        )
