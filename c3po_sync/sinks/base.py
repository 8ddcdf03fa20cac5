"""The write ports: consolidated lists on the hub and files in a library."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ColumnKind = Literal["Text", "Note", "Number", "Currency", "DateTime", "Boolean", "Choice", "URL"]


@dataclass(frozen=True)
class ColumnSpec:
    """A consolidated list column; only ``owned`` columns are ever written by the service."""

    internal_name: str  # as SharePoint will name it: no spaces, e.g. "ProjectKey"
    title: str  # display name
    kind: ColumnKind
    choices: tuple[str, ...] = ()
    owned: bool = True
    indexed: bool = False


@dataclass(frozen=True)
class ListSpec:
    """A consolidated list: its title, its key column and its columns (the one place they live)."""

    title: str
    key_column: str  # internal name of the stable key column (Text, indexed, unique per row)
    columns: tuple[ColumnSpec, ...]
    description: str = ""

    @property
    def owned_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.owned)


@dataclass
class WriteReport:
    """What one upsert did (or, with ``dry_run``, would do)."""

    list_title: str
    added: list[str] = field(default_factory=list)  # keys
    changed: dict[str, list[str]] = field(default_factory=dict)  # key -> changed column names
    marked: list[str] = field(default_factory=list)  # keys whose rows were marked as gone
    unchanged: int = 0
    requests: int = 0
    dry_run: bool = False

    @property
    def writes(self) -> int:
        return len(self.added) + len(self.changed) + len(self.marked)


class ListSink(Protocol):
    """Provisions and upserts consolidated lists."""

    def ensure_list(self, spec: ListSpec, *, dry_run: bool = False) -> list[str]:
        """Creates the list and any missing columns; returns what it changed (or would)."""
        ...

    def upsert(
        self,
        spec: ListSpec,
        rows: list[dict[str, Any]],
        *,
        mark_missing: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> WriteReport:
        """Makes the list hold ``rows`` (keyed by ``spec.key_column``), writing only changed owned
        fields; rows absent from ``rows`` get ``mark_missing`` applied (never deleted)."""
        ...


class FileSink(Protocol):
    """Uploads a file into a library folder, keeping what is there."""

    def upload(self, library: str, name: str, content: bytes) -> str:
        """Returns the server-relative URL of the uploaded file."""
        ...
