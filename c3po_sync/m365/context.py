"""Builds the office365 ClientContext: our token provider, a decorated and counted HTTP session."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import requests
from office365.runtime.http.request_options import RequestOptions
from office365.sharepoint.client_context import ClientContext
from office365.sharepoint.webs.context_web_information import ContextWebInformation

from c3po_sync import __version__
from c3po_sync.m365.auth import TokenProvider
from c3po_sync.m365.pacing import ResourcePacer
from c3po_sync.m365.resource_units import request_units

DEFAULT_USER_AGENT = f"NONISV|City|C3POSync/{__version__}"


class CountingSession(requests.Session):
    """A session that counts what it sends, so tests and reports can say how many requests ran.

    Every request of the context goes through it (contextinfo, library calls, our raw pages),
    so the counts are the wire truth, not an estimate. With a ``pacer`` (shared by the run's
    sessions) each request first waits for its resource units (``m365/pacing.py``); ``units``
    is this session's resource-unit estimate either way.
    """

    def __init__(self, pacer: ResourcePacer | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.total = 0
        self.units = 0
        self.by_method: Counter[str] = Counter()
        self.pacer = pacer

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        name = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        data = kwargs.get("data")
        body = data.encode() if isinstance(data, str) else data if isinstance(data, bytes) else None
        units = request_units(name, target, body, dict(kwargs.get("headers") or {}))
        if self.pacer is not None:
            self.pacer.acquire(units)
        with self._lock:
            self.total += 1
            self.units += units
            self.by_method[name.upper()] += 1
        response = super().request(name, url, *args, **kwargs)
        if self.pacer is not None:
            self.pacer.observe(response.headers)
        return response


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
    skip_form_digest(ctx)
    return ctx


_NO_DIGEST = "c3po-bearer-no-digest"


def skip_form_digest(ctx: ClientContext) -> None:
    """Saves the ``POST _api/contextInfo`` 3.3.0 sends before a context's first request.

    Bearer-token (OAuth) callers need no form digest (SHAREPOINT.md §1), yet the client fetches
    one per context, which would make an idle site cost two requests instead of one. We seed
    the client's digest cache with a placeholder valid for a day and strip the placeholder
    from outgoing requests, so no ``X-RequestDigest`` is sent at all. Should SharePoint ever
    answer 403 ``-2130575251`` (digest required), the client drops the cached digest, fetches
    a real one and resends once, exactly as without this.
    """
    request = ctx.pending_request()
    info = ContextWebInformation(FormDigestValue=_NO_DIGEST, FormDigestTimeoutSeconds=86_400)
    request._ctx_web_info = info  # the client's digest cache (sharepoint/request.py)

    def strip_placeholder(options: RequestOptions) -> None:
        if options.headers.get("X-RequestDigest") == _NO_DIGEST:
            del options.headers["X-RequestDigest"]

    request.beforeExecute += strip_placeholder
