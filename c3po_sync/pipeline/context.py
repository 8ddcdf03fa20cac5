"""What every step of a run shares: its inputs, its adapters, the state store and the run so far."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.config.jobs import Job
from c3po_sync.config.settings import Settings
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.pipeline.carry import StaleSource, load_stale
from c3po_sync.pipeline.failures import RunLevelError
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.result import RunResult
from c3po_sync.rules import RulesConfig
from c3po_sync.state.store import StateStore

if TYPE_CHECKING:
    from c3po_sync.pipeline.quiet import HubWatch

log = logging.getLogger(__name__)


@dataclass
class RunInputs:
    """Everything a run is given; validated before the first request."""

    job: Job
    settings: Settings
    mappings: list[SourceMapping]
    rules: RulesConfig
    today: date
    trigger: str = "manual"
    dry_run: bool = False
    # Polled between steps: True asks the run to stop cleanly (SIGTERM, scheduler shutdown).
    should_stop: Callable[[], bool] = field(default=lambda: False, repr=False)
    # The run's one clock (aware, UTC): first seen, resolved, last read and the report all use
    # it, so a run "as of" another date never records a finding seen after it (issue 11).
    as_of: datetime | None = None
    # Re-read the hub's findings history and adopt it (after restoring an older state backup);
    # a store with no findings history at all always does.
    adopt_history: bool = False
    # pipeline/quiet.inputs_fingerprint's value for the settings, mappings and rules it was
    # taken of (held, compared by identity); dropped by each new RunContext (a run's start).
    fingerprinted: tuple[tuple[object, ...], str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.as_of is None:
            self.as_of = run_clock(self.today, ZoneInfo(self.settings.time_zone))


def run_clock(today: date, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """The instant a run is "as of": now when ``today`` is today in the site's zone, else
    noon of ``today`` there (whose UTC date is ``today`` in every zone within 12 hours)."""
    now = now or datetime.now(UTC)
    if now.astimezone(tz).date() == today:
        return now
    return datetime.combine(today, time(12, 0), tzinfo=tz).astimezone(UTC)


@dataclass
class RunContext:
    """One run in progress: steps read what earlier steps left here, and add to it."""

    inputs: RunInputs
    ports: Ports
    store: StateStore
    result: RunResult
    tables: CanonicalTables | None = None
    source_findings: list[dict] = field(default_factory=list)
    history: pd.DataFrame | None = None
    # rules.evaluation table of this run's evaluate step (None until it ran)
    evaluation: pd.DataFrame | None = None
    # Sources not re-read this run (set by sync; loaded from the store for jobs that do not sync).
    stale: list[StaleSource] | None = None
    # Every source read and found unchanged on evidence this run (pipeline/quiet.py); the
    # stored tables stand for this run's.
    quiet_sources: bool = False
    # The rules ran this run (False: skipped on a quiet night, or a job without evaluate).
    evaluated: bool = False
    # Set by sync: unchanged sources' cached records are loaded only if normalize runs.
    defer_unchanged: bool = False
    # The hub's change log as read this run (pipeline/quiet.py: hub_watch), read once and
    # shared by every step that writes to the hub.
    hub_watch: HubWatch | None = None
    # The hub's rights were asked this run (before_hub_write).
    rights_asked: bool = False
    # current_tables froze the heap for the cyclic garbage collector (undone by close()).
    heap_frozen: bool = False

    def __post_init__(self) -> None:
        # A run fingerprints its inputs afresh (once: pipeline/quiet.inputs_fingerprint), never
        # taking the fingerprint an earlier run left on the same RunInputs.
        self.inputs.fingerprinted = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.inputs.settings.time_zone)

    @property
    def dry_run(self) -> bool:
        return self.inputs.dry_run

    @property
    def as_of(self) -> datetime:
        """The run's one clock (RunInputs.as_of)."""
        assert self.inputs.as_of is not None  # set in RunInputs.__post_init__
        return self.inputs.as_of

    def before_hub_write(self) -> None:
        """Asks the hub, once per run, for the rights the run's writes need, right before its
        first write (provisioning included): a missing grant still stops a night before it
        writes anything, but a night with nothing to write does not ask.

        A real run stops on a missing right (RunLevelError); a dry run writes nothing, so it
        goes on and says, among what it would do, that a real run would stop here.
        """
        if self.rights_asked:
            return
        self.rights_asked = True
        check = self.ports.check_rights
        if check is None:
            return
        if not self.dry_run:
            check()
            return
        try:
            check()
        except RunLevelError as e:
            self.result.planned.append(f"a real run would stop before its first write: {e}")
            log.warning("dry run: a real run would stop before its first write: %s", e)

    def current_tables(self) -> CanonicalTables:
        """This run's tables, or the last synced snapshot for jobs that do not sync: each of
        its tables is loaded when a step first reads it (store.lazy_snapshot), so a table no
        step of the run reads is never decoded."""
        if self.tables is None:
            run = self.store.latest_snapshot_run()
            if run is None:
                raise RuntimeError(
                    "no snapshot in the state store yet: run a job with 'sync' first"
                )
            self.tables = self.store.lazy_snapshot(run, then=self._freeze_heap)
            self._freeze_heap()
        return self.tables

    def _freeze_heap(self) -> None:
        """The stored tables just loaded (and all the run made before them) live to the end of
        the run: moved out of the cyclic garbage collector's generations, its full collections
        stop re-scanning them each time a later step allocates. On a new day at city size the
        rollup's CPU fell 1.50 -> 1.39 s in the bench (with a larger heap, 0.44 s of full
        collections -> 0.01, measured with gc.callbacks; issue 16). Garbage is still freed
        by reference counting; only cycles made before this point wait for ``close`` (the
        run's end), which hands everything back to the collector, so a long-lived scheduler
        process does not keep them. The 4x peak is unchanged (bench: 409 -> 408 MB).
        Done again after each table loaded later (a cheap move of the generations' lists).
        """
        gc.freeze()
        self.heap_frozen = True

    def close(self) -> None:
        """The run is over: what ``current_tables`` froze goes back to the collector."""
        if self.heap_frozen:
            gc.unfreeze()
            self.heap_frozen = False

    def stale_sources(self) -> list[StaleSource]:
        """What this run's data could not re-read; the newest sync's for jobs that do not sync."""
        if self.stale is None:
            self.stale = load_stale(self.store)
        return self.stale

    def findings_history(self) -> pd.DataFrame:
        if self.history is None:
            self.history = self.store.findings()
        return self.history
