"""Access-token providers: a fixed token for the sandbox, a certificate app for SharePoint."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from c3po_sync.m365.errors import TokenError
from c3po_sync.private_files import private_dir

logger = logging.getLogger(__name__)

CERT_PEM_ENV = "C3PO_CERT_PEM"
CERT_THUMBPRINT_ENV = "C3PO_CERT_THUMBPRINT"
CERT_PASSPHRASE_ENV = "C3PO_CERT_PASSPHRASE"
PUBLIC_AUTHORITY_HOSTS = ("login.microsoftonline.com",)


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


def load_certificate(
    private_key_path: str | Path | None, thumbprint: str | None
) -> tuple[str, str]:
    """The (private key PEM, thumbprint) from a file, else from C3PO_CERT_PEM/C3PO_CERT_THUMBPRINT.

    The thumbprint is the SHA-1 of the certificate as uploaded to the app registration
    (hex, colons and case ignored).
    """
    if private_key_path:
        key_path = Path(private_key_path)
        try:
            private_key = key_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(
                f"{key_path}: cannot read the certificate's private key: {exc}"
            ) from exc
        origin = str(key_path)
    else:
        private_key = os.environ.get(CERT_PEM_ENV, "")
        origin = f"${CERT_PEM_ENV}"
        if not private_key.strip():
            raise TokenError(
                f"no certificate: set tenant.auth.private_key_path or ${CERT_PEM_ENV} "
                "to the PEM text of the private key"
            )
    if "PRIVATE KEY-----" not in private_key:
        raise TokenError(f"{origin}: no PEM private key block (BEGIN ... PRIVATE KEY) found")
    thumb = (thumbprint or os.environ.get(CERT_THUMBPRINT_ENV, "")).replace(":", "").strip()
    if not thumb:
        raise TokenError(
            f"no certificate thumbprint: set tenant.auth.thumbprint or ${CERT_THUMBPRINT_ENV}"
        )
    if len(thumb) != 40 or any(c not in "0123456789abcdefABCDEF" for c in thumb):
        raise TokenError(f"thumbprint {thumb!r}: expected 40 hex digits (the SHA-1 thumbprint)")
    return private_key, thumb.upper()


class FileTokenCache:
    """msal's SerializableTokenCache persisted to a file only the owner can read (0600)."""

    def __init__(self, path: str | Path) -> None:
        import msal

        self.path = Path(path)
        self.cache = msal.SerializableTokenCache()
        self._lock = threading.Lock()
        if self.path.is_file():
            try:
                self.cache.deserialize(self.path.read_text(encoding="utf-8"))
            except ValueError:
                logger.warning("token cache %s unreadable; starting empty", self.path)

    def save(self) -> None:
        with self._lock:
            if not self.cache.has_state_changed:
                return
            private_dir(self.path.parent)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.cache.serialize())
            os.chmod(self.path, 0o600)  # an older file may have been wider
            self.cache.has_state_changed = False


def _http_client(verify: bool | str) -> Any:
    """A session that applies ``verify`` to every request.

    msal sets ``session.verify``, but requests lets REQUESTS_CA_BUNDLE override a session's
    verify, so a private CA bundle was silently ignored wherever that variable is set.
    """
    import requests

    class _Session(requests.Session):
        def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("verify", verify)
            return super().request(method, url, *args, **kwargs)

    session = _Session()
    session.verify = verify
    return session


def _default_instance_discovery(authority: str) -> bool:
    host = authority.split("://", 1)[-1].split("/", 1)[0].lower()
    return host in PUBLIC_AUTHORITY_HOSTS


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
        thumbprint: str | None,
        private_key_path: str | Path | None,
        resource: str,
        authority: str | None = None,
        passphrase: str | None = None,
        instance_discovery: bool | None = None,
        verify: bool | str = True,
        token_cache_path: str | Path | None = None,
        skew: int = 300,
    ) -> None:
        import msal  # imported here so the sandbox path never needs it loaded

        private_key, thumb = load_certificate(private_key_path, thumbprint)
        credential: dict[str, Any] = {"thumbprint": thumb, "private_key": private_key}
        passphrase = passphrase or os.environ.get(CERT_PASSPHRASE_ENV)
        if passphrase:
            credential["passphrase"] = passphrase
        authority = (authority or f"https://login.microsoftonline.com/{tenant_id}").rstrip("/")
        if instance_discovery is None:
            instance_discovery = _default_instance_discovery(authority)
        self._scopes = [f"{resource.rstrip('/')}/.default"]
        self._skew = skew
        self._client_id = client_id
        self._file_cache = FileTokenCache(token_cache_path) if token_cache_path else None
        cache = self._file_cache.cache if self._file_cache else msal.TokenCache()
        try:
            self._app = msal.ConfidentialClientApplication(
                client_id,
                authority=authority,
                client_credential=credential,
                instance_discovery=instance_discovery,
                http_client=_http_client(verify),
                token_cache=cache,
            )
        except ValueError as exc:  # msal: bad key, bad authority, unreachable discovery
            raise TokenError(f"client {client_id} at {authority}: {exc}") from exc
        except Exception as exc:  # requests errors while msal reads the authority's metadata
            raise TokenError(
                f"client {client_id}: cannot reach the authority {authority}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def __call__(self) -> dict[str, Any]:
        started = time.monotonic()
        result = self._app.acquire_token_for_client(scopes=self._scopes)
        if "access_token" not in result:
            raise TokenError(
                f"client {self._client_id}: no token for {self._scopes[0]}: "
                f"{result.get('error')}: {result.get('error_description', '')}"
            )
        if self._file_cache is not None:
            self._file_cache.save()
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


def device_code_login(
    *,
    client_id: str,
    authority: str,
    scopes: list[str],
    show: Callable[[str], None],
    verify: bool | str = True,
    instance_discovery: bool | None = None,
) -> dict[str, Any]:
    """Signs an admin in with a device code, returning msal's result; keeps no token.

    No command reads a delegated token (every run uses the app's certificate), so none is
    stored: a stored one would be a credential on disk that nothing needs.
    ``show`` receives msal's message ("To sign in, use a web browser to open ... and enter
    the code ..."); the function then waits until the admin finishes or the code expires.
    """
    import msal

    if instance_discovery is None:
        instance_discovery = _default_instance_discovery(authority)
    app = msal.PublicClientApplication(
        client_id,
        authority=authority,
        http_client=_http_client(verify),
        instance_discovery=instance_discovery,
    )
    flow = app.initiate_device_flow(scopes=scopes)
    if "user_code" not in flow:
        raise TokenError(
            f"device code sign-in failed to start: {flow.get('error')}: "
            f"{flow.get('error_description', '')}"
        )
    show(flow["message"])
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise TokenError(
            f"device code sign-in failed: {result.get('error')}: "
            f"{result.get('error_description', '')}"
        )
    return result
