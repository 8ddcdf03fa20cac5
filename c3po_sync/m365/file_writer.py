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
        """Uploads ``content`` as ``name`` (overwriting) and returns its server-relative URL.

        A file that fits one request is added through the library's own root folder
        (``lists/getbytitle(…)/RootFolder/Files/add``), so its URL costs no read of its own;
        a larger one goes up in a session on the root folder's URL, read first.
        """
        single = len(content) <= self.chunk_size

        def build() -> File:
            if single:
                folder = self.conn.ctx.web.lists.get_by_title(library).root_folder
            else:
                folder = self.conn.ctx.web.get_folder_by_server_relative_url(
                    self.root_folder(library)
                )
            return folder.files.upload_content(content, name, chunk_size=self.chunk_size)

        uploaded = self.conn.run_client_query(build, route=f"upload '{name}' to '{library}'")
        url = uploaded.properties.get("ServerRelativeUrl")
        if url:
            self._roots.setdefault(library, str(url).rsplit("/", 1)[0])
        else:
            url = f"{self.root_folder(library).rstrip('/')}/{name}"
        logger.info("%s: uploaded %s (%d bytes)", self.conn.site_path, url, len(content))
        return str(url)
