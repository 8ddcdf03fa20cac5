"""Errors raised by the SharePoint adapters, each naming the site, route and list it concerns."""

from __future__ import annotations

from c3po_sync.errors import C3POError


class M365Error(C3POError):
    """Root of every error the m365 adapters raise; ``transient`` says whether a retry may help."""


class SharePointRequestError(M365Error):
    """A SharePoint REST call failed with an HTTP status; carries SharePoint's error code."""

    def __init__(
        self,
        site: str,
        route: str,
        status: int | None,
        code: str = "",
        message: str = "",
        *,
        retry_after: float | None = None,
    ) -> None:
        self.site = site
        self.route = route
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        detail = f"{code}: {message}" if code else message
        super().__init__(f"{site}: {route} failed with HTTP {status}: {detail}".rstrip(": "))

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.status in TRANSIENT_STATUSES


TRANSIENT_STATUSES = frozenset({429, 503, 504})


class ListNotFoundError(SharePointRequestError):
    """The list or library does not exist on the site."""


class VersionConflictError(SharePointRequestError):
    """An ETag-guarded write hit a newer version of the item (HTTP 412)."""


class AuthenticationError(SharePointRequestError):
    """The token was refused (HTTP 401/403); retrying will not help."""


class BatchThrottledError(M365Error):
    """Some operations of a ``$batch`` were throttled; the rest were applied."""

    transient = True

    def __init__(self, site: str, pending: int, retry_after: float | None) -> None:
        self.site = site
        self.route = "$batch"
        self.retry_after = retry_after
        super().__init__(f"{site}: {pending} $batch operation(s) throttled, will resend them")


class BatchResponseError(M365Error):
    """A ``$batch`` response could not be matched to the operations sent."""


class PagingLoopError(M365Error):
    """Paging did not advance or exceeded the page cap (guards the client's ``$skip`` loop)."""


class SchemaError(M365Error):
    """A requested column is missing from the list, or a spec does not fit the list."""


class ProvisioningError(SchemaError):
    """A column was created under another internal name than the one the service writes to."""

    def __init__(self, site: str, list_title: str, column: str, expected: str, actual: str) -> None:
        self.site = site
        self.list_title = list_title
        self.column = column
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{site}/{list_title}: column {column!r} was created with internal name {actual!r}, "
            f"expected {expected!r}; every write to it would fail. Delete the column (or rename "
            "the clashing one) and provision again"
        )


class TokenError(M365Error):
    """The identity platform did not issue an access token."""
