"""The adapters a run needs, chosen by the caller (CLI, scheduler, tests), never by the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from c3po_sync.sinks.base import FileSink, ListSink, ListSpec
from c3po_sync.sinks.intake_list import IntakePort
from c3po_sync.sinks.memory import InMemoryFileSink, InMemoryListSink
from c3po_sync.sources.base import Source, SourceRef
from c3po_sync.sources.incremental import SiteChanges
from c3po_sync.sources.memory import InMemorySource


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
    # The hub's intake list (m365.intake_port); None: intake is not triaged.
    intake: IntakePort | None = None
    # Raises RunLevelError when the hub lacks a right the run's writes need (asked, not tried;
    # once, before the run's first hub write: RunContext.before_hub_write); None: nothing to
    # check (tests' in-memory sinks).
    check_rights: Callable[[], None] | None = None
    # Delivers PPM digests (m365.notify_senders.DigestSender); None: no notify configured.
    notifier: Any | None = None
    # The hub's change log, to skip the hub diff when nobody edited it; None: always diff.
    hub_changes: HubChanges | None = None


def in_memory_ports(
    sources: list[InMemorySource],
    list_sink: InMemoryListSink | None = None,
    file_sink: InMemoryFileSink | None = None,
) -> Ports:
    """Ports over the in-memory adapters: a run's logic without SharePoint (tests)."""
    by_ref = {s.ref: s for s in sources}
    lists = list_sink if list_sink is not None else InMemoryListSink()

    def source_for(ref: SourceRef) -> Source:
        try:
            return by_ref[ref]
        except KeyError:
            raise LookupError(f"{ref}: no such list in memory") from None

    return Ports(
        source_for=source_for,
        list_sink=lists,
        file_sink=file_sink if file_sink is not None else InMemoryFileSink(),
        read_rows=lists.rows,
    )
