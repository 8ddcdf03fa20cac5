"""Builds the office365 ClientContext: our token provider, a decorated and counted HTTP session."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import requests
from office365.sharepoint.client_context import ClientContext

from c3po_sync import __version__
from c3po_sync.m365.auth import TokenProvider

DEFAULT_USER_AGENT = f"NONISV|City|C3POSync/{__version__}"


class CountingSession(requests.Session):
    """A session that counts what it sends, so tests and reports can say how many requests ran.

    Every request of the context goes through it (contextinfo, library calls, our raw pages),
    so the counts are the wire truth, not an estimate.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.total = 0
        self.by_method: Counter[str] = Counter()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        name = method.decode() if isinstance(method, bytes) else method
        with self._lock:
            self.total += 1
            self.by_method[name.upper()] += 1
        return super().request(method, url, *args, **kwargs)


def make_context(
    site_url: str,
    token_provider: TokenProvider,
    *,
    verify_tls: bool | str = True,
    user_agent: str = DEFAULT_USER_AGENT,
    timeout: tuple[float, float] = (10.0, 120.0),
    session: requests.Session | None = None,
) -> ClientContext:
    """A ClientContext for one site, authenticated by ``token_provider``.

    Traffic is decorated ``NONISV|City|C3POSync/<version>`` as Microsoft asks (undecorated
    traffic is throttled first). Pass ``session`` to observe the wire (``CountingSession``).
    """
    http = session or CountingSession()
    http.headers["User-Agent"] = user_agent
    http.verify = verify_tls
    ctx = ClientContext(site_url.rstrip("/"))
    ctx.with_access_token(token_provider)
    ctx.with_transport(session=http, verify=verify_tls, timeout=timeout)
    return ctx
