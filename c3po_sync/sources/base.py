"""The read port: what a source hands to normalization, whatever it reads from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

SourceKind = Literal["list", "library"]


@dataclass(frozen=True)
class SourceRef:
    """Where rows come from: one list or library on one site."""

    site: str  # server-relative site URL, e.g. "/sites/ppm-finance"
    list_title: str
    kind: SourceKind = "list"

    def __str__(self) -> str:
        return f"{self.site}/{self.list_title}"


@dataclass(frozen=True)
class FieldInfo:
    """A column as the source describes it (used for drift errors and typing)."""

    internal_name: str
    title: str
    kind: str  # SharePoint TypeAsString: Text, Number, DateTime, User, UserMulti, Lookup, ...


@dataclass
class RawRecord:
    """One item as read, in wire form flattened for normalization.

    ``values`` maps internal column names to the value SharePoint sent, with verbose
    ``{"results": [...]}`` wrappers unwrapped to lists, person columns expanded to
    ``{"Title", "EMail"}`` dicts (lists of them for multi-person), lookups to ``{"Id", "Title"}``,
    URL columns to ``{"Url", "Description"}`` and dates kept as the ISO strings SharePoint sent.
    Library rows also carry ``FileRef``, ``FileLeafRef``, ``File_x0020_Size`` and ``FSObjType``.
    """

    item_id: int
    values: dict[str, Any]
    etag: str | None = None
    modified: str | None = None
    url: str | None = None


@dataclass
class SourceBatch:
    """Everything one source yielded in one run, with its schema and its time zone.

    ``records`` may be a list held in memory or a view of records a store keeps
    (``sources.incremental.StoredRecords``), read each time it is iterated and never held, so
    a run holds one source's raw records at a time, not the tenant's.
    """

    ref: SourceRef
    fields: list[FieldInfo]
    records: Sequence[RawRecord]
    deleted_ids: list[int] = field(default_factory=list)
    time_zone: str = "UTC"
    incremental: bool = False
    # Item ids this read re-read (added or updated) through the change log, when known: the
    # records are then the stored ones plus exactly these, minus ``deleted_ids`` (which then
    # lists every id gone this read). None: not known (a full or resumed read, a plain read).
    changed_ids: frozenset[int] | None = None


@runtime_checkable
class ReadsById(Protocol):
    """Records a store keeps that can be read a few at a time (``StoredRecords``): a changed
    night normalizes only its changed items and need not load the rest."""

    def by_ids(self, ids: list[int]) -> list[RawRecord]: ...


class Source(Protocol):
    """Reads one list or library; the pipeline depends on this, adapters implement it."""

    ref: SourceRef

    def read(self, columns: list[str]) -> SourceBatch: ...
