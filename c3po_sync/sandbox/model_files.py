"""Document-library state: folders and files as items, file content, and chunked upload sessions."""

from __future__ import annotations

import hashlib
import posixpath
from datetime import datetime
from typing import TYPE_CHECKING

from c3po_sync.sandbox.errors import BadRequest, FileAlreadyExists, FileNotFound
from c3po_sync.sandbox.model_ids import stable_guid

if TYPE_CHECKING:
    from c3po_sync.sandbox.model import Item, SPList, Tenant, User


def generated_content(seed: str, size: int) -> bytes:
    """Deterministic filler bytes for files declared with only a size (seeded by their path)."""
    block = hashlib.sha256(seed.encode()).hexdigest().encode()
    return (block * (size // len(block) + 1))[:size]


class FileBlob:
    """A file's content and times; content declared only by size is made on first read.

    A city-scale tenant declares tens of thousands of files by size; building their bytes at
    load time cost gigabytes, so only `size` and the seed are kept until someone reads them.
    """

    __slots__ = ("_content", "seed", "size", "time_created", "time_last_modified", "unique_id")

    def __init__(
        self,
        unique_id: str,
        content: bytes | None,
        time_created: datetime,
        time_last_modified: datetime,
        *,
        size: int = 0,
        seed: str = "",
    ) -> None:
        self.unique_id = unique_id
        self._content = None if content is None else bytes(content)
        self.size = len(self._content) if self._content is not None else int(size)
        self.seed = seed
        self.time_created = time_created
        self.time_last_modified = time_last_modified

    @property
    def content(self) -> bytes:
        if self._content is not None:
            return self._content
        return generated_content(self.seed, self.size)

    @content.setter
    def content(self, value: bytes) -> None:
        self._content = bytes(value)
        self.size = len(self._content)

    @property
    def generated(self) -> bool:
        """True while the content is still the deterministic filler for (seed, size)."""
        return self._content is None

    def __repr__(self) -> str:
        return f"FileBlob({self.unique_id!r}, size={self.size}, generated={self.generated})"


def _norm(url: str) -> str:
    return "/" + url.strip().strip("/")


class SiteFilesMixin:
    """File and folder operations of a Site (libraries are the site's lists with template 101)."""

    tenant: Tenant
    lists: dict[str, SPList]
    server_relative_url: str
    upload_sessions: dict[str, tuple[str, bytearray]]
    _files_by_unique: dict[str, tuple[str, int]]

    def library_for(self, server_relative_url: str) -> SPList:
        """The list whose root folder contains a server-relative URL."""
        low = _norm(server_relative_url).lower()
        best = None
        for lst in self.lists.values():
            root = lst.root_folder.lower()
            if (low == root or low.startswith(root + "/")) and (
                best is None or len(root) > len(best.root_folder)
            ):
                best = lst
        if best is None:
            raise FileNotFound(f"File Not Found. '{server_relative_url}'")
        return best

    def _find(self, lst: SPList, url: str) -> Item | None:
        item_id = lst.by_ref.get(url.lower())
        return lst.items.get(item_id) if item_id is not None else None

    def folder(self, server_relative_url: str) -> tuple[SPList, str]:
        """(library, normalised folder URL); FileNotFound when no such folder exists."""
        url = _norm(server_relative_url)
        lst = self.library_for(url)
        if url.lower() == lst.root_folder.lower():
            return lst, lst.root_folder
        item = self._find(lst, url)
        if item is None or item.fs_obj_type != 1:
            raise FileNotFound(f"File Not Found. '{server_relative_url}'")
        return lst, item.file_ref

    def file(self, server_relative_url: str) -> tuple[SPList, Item]:
        url = _norm(server_relative_url)
        lst = self.library_for(url)
        item = self._find(lst, url)
        if item is None or item.file is None:
            raise FileNotFound(f"File Not Found. '{server_relative_url}'")
        return lst, item

    def file_by_unique_id(self, guid: str) -> tuple[SPList, Item]:
        key = guid.strip("{}").lower()
        hit = self._files_by_unique.get(key)
        if hit is None:
            raise FileNotFound(f"File Not Found. '{guid}'")
        lst = self.list_by_id(hit[0])  # type: ignore[attr-defined]
        return lst, lst.items[hit[1]]

    def forget_file(self, unique_id: str) -> None:
        self._files_by_unique.pop(unique_id.lower(), None)

    def ensure_folder(
        self, server_relative_url: str, *, editor: User | None = None
    ) -> tuple[SPList, str]:
        """Create a folder and its missing parents (as SharePoint's folders.add does)."""
        url = _norm(server_relative_url)
        lst = self.library_for(url)
        rel = url[len(lst.root_folder) :].strip("/")
        current = lst.root_folder
        for part in [p for p in rel.split("/") if p]:
            current = f"{current}/{part}"
            existing = self._find(lst, current)
            if existing is None:
                lst.add_item({}, editor=editor, fs_obj_type=1, file_ref=current)
                lst.items[lst.next_id - 1].values.setdefault("Title", None)
            elif existing.fs_obj_type != 1:
                raise FileAlreadyExists(f"A file with the name {current} already exists.")
        return lst, current

    def add_file(
        self,
        folder_url: str,
        name: str,
        content: bytes,
        overwrite: bool = True,
        *,
        editor: User | None = None,
        values: dict | None = None,
    ) -> Item:
        """Add or overwrite a file; overwrite=False on an existing name fails as SharePoint does."""
        lst, folder = self.folder(folder_url)
        if not name or "/" in name:
            raise BadRequest(f"The file name '{name}' is not valid.")
        ref = f"{folder}/{name}"
        existing = self._find(lst, ref)
        now = self.tenant.now()
        if existing is not None:
            if existing.file is None:
                raise FileAlreadyExists(f"A folder with the name {ref} already exists.")
            if not overwrite:
                raise FileAlreadyExists(f"A file with the name {ref} already exists.")
            existing.file.content = bytes(content)
            existing.file.time_last_modified = now
            return lst.update_item(existing.id, values or {}, editor=editor)
        item = lst.add_item(values or {}, editor=editor, fs_obj_type=0, file_ref=ref, record=False)
        unique = stable_guid(lst.id, "file", str(item.id))
        item.file = FileBlob(unique, bytes(content), now, now)
        self._files_by_unique[unique] = (lst.id, item.id)
        self.record_change(lst, item, 1)  # type: ignore[attr-defined]
        return item

    # -- chunked uploads: Files/add(empty) then startUpload / continueUpload / finishUpload --

    def start_upload(
        self, unique_id: str, upload_id: str, offset: int | bytes = 0, chunk: bytes | None = None
    ) -> int:
        """Begin a session with the first chunk; returns the next offset."""
        # The 3.x client sends the first chunk positionally, where the offset would be.
        first = bytes(offset) if isinstance(offset, bytes | bytearray) else (chunk or b"")
        self.file_by_unique_id(unique_id)
        self.upload_sessions[upload_id.lower()] = (unique_id.lower(), bytearray(first))
        return len(first)

    def _session(self, unique_id: str, upload_id: str, offset: int) -> bytearray:
        session = self.upload_sessions.get(upload_id.lower())
        if session is None or session[0] != unique_id.strip("{}").lower():
            raise BadRequest(
                f"The upload session '{upload_id}' does not exist for file '{unique_id}'."
            )
        if int(offset) != len(session[1]):
            raise BadRequest(
                f"The file offset {offset} does not match the expected offset {len(session[1])} "
                f"of upload session '{upload_id}'."
            )
        return session[1]

    def continue_upload(self, unique_id: str, upload_id: str, offset: int, chunk: bytes) -> int:
        buf = self._session(unique_id, upload_id, offset)
        buf.extend(chunk)
        return len(buf)

    def finish_upload(
        self,
        unique_id: str,
        upload_id: str,
        offset: int,
        chunk: bytes,
        *,
        editor: User | None = None,
    ) -> Item:
        """Complete the session: the content becomes the uploaded bytes (one Update change)."""
        buf = self._session(unique_id, upload_id, offset)
        buf.extend(chunk)
        del self.upload_sessions[upload_id.lower()]
        lst, item = self.file_by_unique_id(unique_id)
        if item.file is None:
            raise FileNotFound(f"File with unique id {unique_id} is a folder.")
        item.file.content = bytes(buf)
        item.file.time_last_modified = self.tenant.now()
        return lst.update_item(item.id, {}, editor=editor)

    def file_name(self, item: Item) -> str:
        return posixpath.basename(item.file_ref)
