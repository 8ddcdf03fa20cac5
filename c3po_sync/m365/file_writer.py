"""Uploads report files into a library's root folder; big files go up in a chunked session."""

from __future__ import annotations

import logging

from office365.sharepoint.files.file import File

from c3po_sync.m365.http import SiteConnection, list_path

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_THRESHOLD = 4 * 1024 * 1024


class SharePointFileSink:
    """The ``FileSink`` over SharePoint REST: one library, root folder, same name overwrites.

    Files up to ``chunk_size`` bytes go up in one request; larger ones through an upload
    session (``startUpload``/``continueUpload``/``finishUpload``). A throttled session is
    restarted from the beginning (the retry rebuilds the whole client query).
    """

    def __init__(self, conn: SiteConnection, *, chunk_size: int = DEFAULT_CHUNK_THRESHOLD) -> None:
        self.conn = conn
        self.chunk_size = chunk_size
        self._roots: dict[str, str] = {}

    def root_folder(self, library: str) -> str:
        """The library's root folder, server-relative (one request per library)."""
        if library not in self._roots:
            d = self.conn.get_json(
                self.conn.api(f"{list_path(library)}/RootFolder?$select=ServerRelativeUrl"),
                route=f"root folder of '{library}'",
            )
            self._roots[library] = str(d["ServerRelativeUrl"])
        return self._roots[library]

    def upload(self, library: str, name: str, content: bytes) -> str:
        folder_url = self.root_folder(library)

        def build() -> File:
            folder = self.conn.ctx.web.get_folder_by_server_relative_url(folder_url)
            return folder.files.upload_content(content, name, chunk_size=self.chunk_size)

        uploaded = self.conn.run_client_query(build, route=f"upload '{name}' to '{library}'")
        url = uploaded.properties.get("ServerRelativeUrl") or f"{folder_url.rstrip('/')}/{name}"
        logger.info("%s: uploaded %s (%d bytes)", self.conn.site_path, url, len(content))
        return str(url)
