"""The write ports: consolidated lists on the hub and files in a library."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from c3po_sync.errors import C3POError
from c3po_sync.sinks.limits import RefusedValue

if TYPE_CHECKING:
    from c3po_sync.sinks.ledger import RowLedger

ColumnKind = Literal[
    "Text", "Note", "Number", "Currency", "DateTime", "Boolean", "Choice", "URL", "User"
]


@dataclass(frozen=True)
class ColumnSpec:
    """A consolidated list column; only ``owned`` columns are ever written by the service."""

    internal_name: str  # as SharePoint will name it: no spaces, e.g. "ProjectKey"
    title: str  # display name
    kind: ColumnKind
    choices: tuple[str, ...] = ()
    owned: bool = True
    indexed: bool = False
    # DateTime only: a calendar date (SharePoint's DateOnly format) rather than an instant.
    date_only: bool = False

    @property
    def wire_name(self) -> str:
        """The property a write body and ``$select`` use: person columns go by ``<Name>Id``."""
        return self.internal_name + "Id" if self.kind == "User" else self.internal_name


@dataclass(frozen=True)
class ViewSpec:
    """A public list view provisioning keeps: found by title, created once, query kept current.

    ``query`` is the CAML inside ``<Query>`` (``<Where>``, ``<GroupBy>``, ``<OrderBy>``): what
    SharePoint's ``SP.ViewCreationInformation.Query`` takes and ``SP.View.ViewQuery`` returns.
    """

    title: str
    fields: tuple[str, ...]  # internal names, in display order
    query: str
    row_limit: int = 100


@dataclass(frozen=True)
class ListSpec:
    """A consolidated list: its title, its key column and its columns (the one place they live)."""

    title: str
    key_column: str  # internal name of the stable key column (Text, indexed, unique per row)
    columns: tuple[ColumnSpec, ...]
    description: str = ""
    views: tuple[ViewSpec, ...] = ()

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
    # Values SharePoint would refuse (too long, NaN/Infinity, out of range) and rows it refused
    # on write: each with its location; the rest of the list was written.
    quarantined: list[RefusedValue] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.added) + len(self.changed) + len(self.marked)

    def describe(self, examples: int = 3) -> str:
        """One line for a run summary: counts per kind of write with a few example keys."""

        def part(label: str, keys: list[str]) -> str:
            shown = ", ".join(keys[:examples])
            more = f", +{len(keys) - examples} more" if len(keys) > examples else ""
            return f"{len(keys)} {label}" + (f" ({shown}{more})" if keys else "")

        verb = "would write" if self.dry_run else "wrote"
        return (
            f"{self.list_title}: {verb} "
            + "; ".join(
                [
                    part("added", self.added),
                    part("changed", sorted(self.changed)),
                    part("marked gone", self.marked),
                ]
            )
            + f"; {self.unchanged} unchanged"
            + self._describe_quarantined(examples)
        )

    def _describe_quarantined(self, examples: int) -> str:
        if not self.quarantined:
            return ""
        shown = "; ".join(q.describe() for q in self.quarantined[:examples])
        more = (
            f"; +{len(self.quarantined) - examples} more"
            if len(self.quarantined) > examples
            else ""
        )
        return f"; {len(self.quarantined)} value(s) quarantined ({shown}{more})"


class PartialWriteError(C3POError):
    """Some writes to a list failed for good; ``report`` says what was done before, so the
    run records the writes that happened (and the rows refused) even though the step failed."""

    def __init__(self, message: str, report: WriteReport) -> None:
        super().__init__(message)
        self.report = report


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
        ledger: RowLedger | None = None,
    ) -> WriteReport:
        """Makes the list hold ``rows`` (keyed by ``spec.key_column``), writing only changed owned
        fields; rows absent from ``rows`` get ``mark_missing`` applied (never deleted).
        ``ledger``: what was last written to the list, if the sink keeps a copy to diff with."""
        ...


class FileSink(Protocol):
    """Uploads a file into a library folder, keeping what is there."""

    def upload(self, library: str, name: str, content: bytes) -> str:
        """Returns the server-relative URL of the uploaded file."""
        ...
