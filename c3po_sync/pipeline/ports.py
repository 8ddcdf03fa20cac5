"""The adapters a run needs, chosen by the caller (CLI, scheduler, tests), never by the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.sinks.base import FileSink, ListSink, ListSpec
from c3po_sync.sources.base import Source, SourceRef


@dataclass
class Ports:
    """Where a run reads from and writes to."""

    source_for: Callable[[SourceRef], Source]
    list_sink: ListSink
    file_sink: FileSink
    request_count: Callable[[], int] = field(default=lambda: 0)
    close: Callable[[], None] = field(default=lambda: None)
    # Reads back a hub list's rows (owned columns by internal name); None: no hub to read.
    read_rows: Callable[[ListSpec], list[dict]] | None = None
    # Delivers PPM digests (m365.notify_senders.DigestSender); None: no notify configured.
    notifier: Any | None = None
