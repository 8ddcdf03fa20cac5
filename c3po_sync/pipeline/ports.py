"""The adapters a run needs, chosen by the caller (CLI, scheduler, tests), never by the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from c3po_sync.sinks.base import FileSink, ListSink, ListSpec
from c3po_sync.sources.base import Source, SourceRef
from c3po_sync.sources.incremental import SiteChanges


class HubChanges(Protocol):
    """The hub site's change log (m365/hub_changes.py)."""

    def current_token(self) -> str: ...

    def changes_since(self, token: str) -> SiteChanges: ...

    def list_ids(self) -> dict[str, str]: ...


@dataclass
class Ports:
    """Where a run reads from and writes to."""

    source_for: Callable[[SourceRef], Source]
    list_sink: ListSink
    file_sink: FileSink
    request_count: Callable[[], int] = field(default=lambda: 0)
    # SharePoint resource units those requests cost, as estimated by the adapters.
    unit_count: Callable[[], int] = field(default=lambda: 0)
    close: Callable[[], None] = field(default=lambda: None)
    # Reads back a hub list's rows (owned columns by internal name); None: no hub to read.
    read_rows: Callable[[ListSpec], list[dict]] | None = None
    # The hub's change log, to skip the hub diff when nobody edited it; None: always diff.
    hub_changes: HubChanges | None = None
