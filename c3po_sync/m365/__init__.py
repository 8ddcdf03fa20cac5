"""SharePoint adapters: the only package that imports office365 or msal."""

from __future__ import annotations

from c3po_sync.m365.auth import MsalCertificateTokenProvider, StaticTokenProvider, TokenProvider
from c3po_sync.m365.changes import ChangeSet, changes_since, current_change_token
from c3po_sync.m365.context import make_context
from c3po_sync.m365.file_writer import SharePointFileSink
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.library_reader import SharePointLibrarySource
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.m365.list_writer import SharePointListSink, SharePointWriteReport, UpsertError
from c3po_sync.m365.retry import RetryPolicy

__all__ = [
    "ChangeSet",
    "MsalCertificateTokenProvider",
    "RetryPolicy",
    "SharePointFileSink",
    "SharePointLibrarySource",
    "SharePointListSink",
    "SharePointListSource",
    "SharePointWriteReport",
    "SiteConnection",
    "StaticTokenProvider",
    "TokenProvider",
    "UpsertError",
    "changes_since",
    "current_change_token",
    "make_context",
]
