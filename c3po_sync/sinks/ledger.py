"""What was last written to a list, row by row: the copy a writer diffs against instead of
re-reading the list, when the caller can vouch that nobody else touched the list since.

The sink never decides whether the copy is trustworthy: the caller does, on evidence read
this run (the hub's change log, ``pipeline/quiet.py``). The sink says where a write starts
(``begin``: the copy is in doubt until ``finish``), records only the rows SharePoint confirmed,
and leaves the copy in doubt when any outcome was irregular (failed, lost, conflicting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class StoredRow:
    """One item as last written: its id, its ETag then, a digest of each owned value and one
    of them all (``list_copy.row_digest``). Read back, ``columns`` is None (not read): a night
    compares rows by ``digest`` and asks :meth:`RowLedger.columns` only for those that differ."""

    item_id: int
    etag: str | None
    columns: dict[str, str] | None  # owned column internal name -> digest of the value written
    digest: str | None = None  # of all owned values the row was written with; None: not known


@dataclass
class ListCopy:
    """The stored copy of one list and what its values were written under."""

    rows: dict[str, StoredRow] = field(default_factory=dict)  # business key -> row
    time_zone: str | None = None  # the hub's zone date-only values were written in
    entity_type: str | None = None  # ListItemEntityTypeFullName, fixed for the list's life
    columns: str | None = None  # digest of the owned columns the digests were made for


class RowLedger(Protocol):
    """The caller's store of one list's copy (``pipeline/hub_copy.py`` over the state store)."""

    def known(self, keys: list[str] | None = None) -> ListCopy | None:
        """The copy when it can be trusted this run (nobody else wrote since); else None.
        ``keys``: only those rows (the only ones the caller's plan can have changed)."""
        ...

    def columns(self, keys: list[str]) -> dict[str, dict[str, str]]:
        """The column digests of the stored rows ``keys`` (those whose row digest differs)."""
        ...

    def begin(self) -> None:
        """A write starts: the copy is in doubt until :meth:`finish` (a kill leaves it so)."""
        ...

    def save(self, rows: Mapping[str, StoredRow], gone: set[str] | None = None) -> None:
        """Records ``rows`` (confirmed written, or read back); ``gone``: keys no longer there."""
        ...

    def replace(self, rows: Mapping[str, StoredRow]) -> None:
        """The whole copy is ``rows`` (after a full read of the list)."""
        ...

    def finish(self, copy: ListCopy) -> None:
        """The copy is whole and matches the list; ``copy`` carries its zone, type, columns."""
        ...
