"""One site's REST connection: raw verbose-JSON requests through the client's own pipeline.

We issue item pages, batches and guarded MERGEs ourselves (the client drops ``__metadata.etag``,
always sends ``IF-MATCH: *`` and can loop on ``$skip``), but through the ClientContext's own
request pipeline, so token, form digest, User-Agent and transport stay the client's.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from office365.runtime.client_request_exception import ClientRequestException
from office365.runtime.http.http_method import HttpMethod
from office365.runtime.http.request_options import RequestOptions
from office365.sharepoint.client_context import ClientContext
from requests import Response

from c3po_sync.m365.auth import TokenProvider
from c3po_sync.m365.context import CountingSession, make_context
from c3po_sync.m365.errors import (
    AuthenticationError,
    ListNotFoundError,
    SharePointRequestError,
    VersionConflictError,
)
from c3po_sync.m365.pacing import ResourcePacer
from c3po_sync.m365.retry import DEFAULT_POLICY, RetryPolicy, call_with_retry, server_delay

logger = logging.getLogger(__name__)

T = TypeVar("T")

VERBOSE = "application/json;odata=verbose"


def quote_title(title: str) -> str:
    """A list title as an OData string literal inside a URL: quotes doubled, the rest escaped."""
    return quote(title.replace("'", "''"), safe="'")


def list_path(title: str) -> str:
    return f"Web/lists/GetByTitle('{quote_title(title)}')"


def error_details(response: Response | None) -> tuple[str, str]:
    """SharePoint's ``error.code`` and ``error.message.value`` from an error body, if present."""
    if response is None:
        return "", ""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return "", (response.text or "")[:200]
    if not isinstance(error, dict):
        return "", ""
    message = error.get("message", "")
    if isinstance(message, dict):
        message = message.get("value", "")
    return str(error.get("code", "")), str(message)


def to_request_error(site: str, route: str, response: Response | None) -> SharePointRequestError:
    """Maps an HTTP failure to our error class, keeping SharePoint's code and message."""
    status = getattr(response, "status_code", None)
    code, message = error_details(response)
    cls: type[SharePointRequestError] = SharePointRequestError
    if status == 412:
        cls = VersionConflictError
    elif status in (401, 403):
        cls = AuthenticationError
    elif status == 404 and message.startswith("List "):
        cls = ListNotFoundError
    retry_after = server_delay(_HasResponse(response)) if status in (429, 503, 504) else None
    return cls(site, route, status, code, message, retry_after=retry_after)


class _HasResponse:
    def __init__(self, response: Response | None) -> None:
        self.response = response


class SiteConnection:
    """A site's REST endpoint with retrying, counted requests; all adapters on a site share one."""

    def __init__(
        self,
        ctx: ClientContext,
        *,
        session: CountingSession | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.ctx = ctx
        self.site_url = ctx.base_url.rstrip("/")
        parts = urlsplit(self.site_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.site_path = parts.path.rstrip("/") or "/"
        self.session = session
        self.policy = policy
        self.routes: Counter[str] = Counter()  # attempts per route label, retries included
        # Answers a read $batch fetched ahead for the readers (m365/read_batch.py); valid for
        # one site sync only, so each prefetch starts empty and the sync discards them.
        self._prefetched: dict[str, Any] = {}

    @classmethod
    def open(
        cls,
        site_url: str,
        token_provider: TokenProvider,
        *,
        verify_tls: bool | str = True,
        policy: RetryPolicy = DEFAULT_POLICY,
        pacer: ResourcePacer | None = None,
    ) -> SiteConnection:
        session = CountingSession(pacer)
        ctx = make_context(site_url, token_provider, verify_tls=verify_tls, session=session)
        return cls(ctx, session=session, policy=policy)

    @property
    def units_sent(self) -> int:
        """Resource units of the requests sent so far, as estimated (``m365/resource_units``)."""
        return self.session.units if self.session is not None else 0

    @property
    def requests_sent(self) -> int:
        """HTTP requests on the wire so far (contextinfo and retries included)."""
        return self.session.total if self.session is not None else sum(self.routes.values())

    def stash(self, url: str, value: Any, *, shared: bool = False) -> None:
        """An answer fetched ahead for ``get_json(url)``: used once, or by every reader if shared.

        Shared answers (site users, time zone) serve every reader of the site during one sync.
        """
        self._prefetched[url] = (value, shared)

    def discard_prefetched(self) -> None:
        self._prefetched.clear()

    def close(self) -> None:
        """Closes the site's HTTP session (its pooled sockets); a later request opens anew."""
        self._prefetched.clear()
        if self.session is not None:
            self.session.close()

    def api(self, path: str) -> str:
        return f"{self.site_url}/_api/{path.lstrip('/')}"

    def send_once(
        self,
        method: str,
        url: str,
        *,
        route: str,
        body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request, no retry; raises ``SharePointRequestError`` on an HTTP error."""
        verb = method.upper()
        http_method = HttpMethod.Get if verb == "GET" else HttpMethod.Post
        request = RequestOptions(url=url, method=http_method)
        request.set_header("Accept", VERBOSE)
        request.set_header("Content-Type", VERBOSE)
        if verb not in ("GET", "POST"):
            request.set_header("X-HTTP-Method", verb)
        for name, value in (headers or {}).items():
            request.set_header(name, value)
        if body is not None:
            request.data = json.dumps(body).encode("utf-8")
        elif data is not None:
            request.data = data
        elif http_method is HttpMethod.Post:
            request.data = b""
        self.routes[route] += 1
        try:
            return self.ctx.pending_request().execute_request_direct(request)
        except ClientRequestException as exc:
            raise to_request_error(self.site_path, route, exc.response) from exc

    def send(self, method: str, url: str, *, route: str, **kwargs: Any) -> Response:
        """``send_once`` under the retry policy."""
        return self.retry(lambda: self.send_once(method, url, route=route, **kwargs), route=route)

    def get_json(self, url: str, *, route: str) -> Any:
        """GET a verbose OData resource and return what is inside ``d``.

        Answered from the prefetched answers of the site's read ``$batch`` when it holds one.
        """
        ahead = self._prefetched.get(url)
        if ahead is not None:
            value, shared = ahead
            if not shared:
                del self._prefetched[url]
            return value
        return payload(self.send("GET", url, route=route), self.site_path, route)

    def post_json(self, url: str, body: Any, *, route: str) -> Any:
        return payload(self.send("POST", url, route=route, body=body), self.site_path, route)

    def retry(self, fn: Callable[[], T], *, route: str) -> T:
        return call_with_retry(fn, site=self.site_path, route=route, policy=self.policy)

    def run_client_query(self, build: Callable[[], T], *, route: str) -> T:
        """Builds a client query and executes it, rebuilding it on each retry.

        The client drops a failed query from its queue, so the query must be rebuilt inside
        the retried function (SHAREPOINT.md §6).
        """

        def attempt() -> T:
            result = build()
            self.routes[route] += 1
            try:
                self.ctx.execute_query()
            except ClientRequestException as exc:
                raise to_request_error(self.site_path, route, exc.response) from exc
            return result

        return self.retry(attempt, route=route)


def payload(response: Response, site: str, route: str) -> Any:
    """The ``d`` of a verbose response (or the whole body for non-verbose JSON)."""
    if not response.content:
        return None
    try:
        body = response.json()
    except ValueError as exc:
        raise SharePointRequestError(
            site, route, response.status_code, message=f"response is not JSON: {exc}"
        ) from exc
    return body.get("d", body) if isinstance(body, dict) else body
