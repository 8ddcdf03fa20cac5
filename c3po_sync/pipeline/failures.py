"""What kind of failure a read error is: about the data, or about reaching the tenant at all.

A finding is a statement an auditor acts on, so only a failure *about the data* (a mapped
list or column renamed or deleted by a PPM) becomes one. A site that is down or throttled
past every retry says nothing about the data: its last good rows are kept and marked "not
re-read since". When no source could be reached at all (tenant down, token refused) the run
fails as a whole and records nothing (DESIGN.md, "What a finding may claim").

The pipeline does not import the SharePoint adapters; errors are classified by what they
carry (an HTTP ``status``, a ``transient`` flag) and by class name, so any adapter that
follows the same conventions is classified the same way.
"""

from __future__ import annotations

from typing import Literal

from c3po_sync.errors import C3POError

FailureKind = Literal["data", "auth", "unreachable"]
RunFailureKind = Literal["tenant-unreachable", "auth-refused", "hub-unreachable"]

# Errors that say the list or its columns changed under the mapping (c3po_sync.normalize and
# c3po_sync.m365.errors): a PPM's doing, reported as a data-quality finding.
_DATA_ERRORS = frozenset({"SchemaDriftError", "ListNotFoundError", "SchemaError"})
_AUTH_ERRORS = frozenset({"AuthenticationError", "TokenError"})


def classify(exc: BaseException) -> FailureKind:
    """``data`` (the list changed), ``auth`` (the token was refused) or ``unreachable``."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:  # look through wrappers (raise ... from)
        seen.add(id(e))
        names = {c.__name__ for c in type(e).__mro__}
        if names & _DATA_ERRORS:
            return "data"
        if names & _AUTH_ERRORS:
            return "auth"
        status = getattr(e, "status", None)
        if status == 404:
            return "data"
        if status in (401, 403):
            return "auth"
        e = e.__cause__
    return "unreachable"


class RunLevelError(C3POError, RuntimeError):
    """The run as a whole could not proceed (tenant down, token refused, hub down).

    Nothing is recorded as a fact when this is raised: no snapshot, no finding.
    """

    def __init__(self, kind: RunFailureKind, message: str) -> None:
        self.kind = kind
        super().__init__(message)

    @property
    def transient(self) -> bool:  # type: ignore[override]
        """An unreachable tenant or hub may come back; a refused credential will not."""
        return self.kind != "auth-refused"


RUN_FAILURE_TEXT: dict[RunFailureKind, str] = {
    "tenant-unreachable": "the tenant could not be reached: no source could be read",
    "auth-refused": "authentication was refused: no source could be read",
    "hub-unreachable": "the hub site could not be reached: nothing was written to it",
}
