"""SharePoint-shaped errors of the sandbox model; each carries the wire status, code and message."""

from __future__ import annotations

from c3po_sync.errors import C3POError


class SandboxError(C3POError):
    """Root error: the HTTP layer renders `status`, `code` and `message` as SPO's error body."""

    status: int = 500
    code: str = "-2146232832, Microsoft.SharePoint.SPException"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def to_odata(self) -> dict:
        """The verbose error body SharePoint sends for this error."""
        return {"error": {"code": self.code, "message": {"lang": "en-US", "value": self.message}}}


class ListNotFound(SandboxError):
    status = 404
    code = "-1, System.ArgumentException"


class FieldNotFound(SandboxError):
    status = 404
    code = "-2147024809, System.ArgumentException"


class ItemNotFound(SandboxError):
    """SPO's code for a missing item, as recorded: fixtures/sharepoint-recorded/PnP.Core.Test/Base/
    MockData/BatchClientTests/HandleBatchErrorsForLargeBatch-0-00009.response.json (404)."""

    status = 404
    code = "-2130575338, System.ArgumentException"

    def __init__(
        self, message: str = "Item does not exist. It may have been deleted by another user."
    ) -> None:
        super().__init__(message)


class FileNotFound(SandboxError):
    status = 404
    code = "-2147024894, System.IO.FileNotFoundException"


class FileAlreadyExists(SandboxError):
    status = 500
    code = "-2130575257, Microsoft.SharePoint.SPException"


class ListAlreadyExists(SandboxError):
    status = 500
    code = "-2130575342, Microsoft.SharePoint.SPException"

    def __init__(
        self,
        message: str = (
            "A list, survey, discussion board, or document library with the specified title "
            "already exists in this Web site.  Please choose another title."
        ),
    ) -> None:
        super().__init__(message)


class QueryThrottled(SandboxError):
    status = 500
    code = "-2147024860, Microsoft.SharePoint.SPQueryThrottledException"

    def __init__(
        self,
        message: str = (
            "The attempted operation is prohibited because it exceeds the list view threshold."
        ),
    ) -> None:
        super().__init__(message)


class VersionConflict(SandboxError):
    status = 412
    code = "-1, Microsoft.SharePoint.Client.ClientServiceException"

    def __init__(
        self,
        message: str = "The request ETag value does not match the object's ETag value.",
    ) -> None:
        super().__init__(message)


class BadRequest(SandboxError):
    status = 400
    code = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"


class ChangeTokenInvalid(SandboxError):
    status = 400
    code = "-2146232832, Microsoft.SharePoint.SPInvalidChangeTokenException"


class UserNotFound(SandboxError):
    status = 500
    code = "-2146232832, Microsoft.SharePoint.SPException"

    def __init__(self, message: str = "User cannot be found.") -> None:
        super().__init__(message)


class InvalidTextValue(SandboxError):
    """A single-line text value over 255 UTF-16 code units (see `model_limits.py` for evidence)."""

    status = 500
    code = "-2130575336, Microsoft.SharePoint.SPException"

    def __init__(
        self,
        message: str = (
            "Invalid text value.\n\nA text field contains invalid data. "
            "Please check the value and try again."
        ),
    ) -> None:
        super().__init__(message)


class LookupThresholdExceeded(SandboxError):
    """More than 12 lookup-type columns in one query (`model_query.LOOKUP_THRESHOLD`)."""

    status = 500
    code = "-2147024749, Microsoft.SharePoint.SPQueryThrottledException"
