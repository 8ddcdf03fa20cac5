"""Progress of a run while it runs: a rich progress bar on a terminal, and otherwise one
timestamped line per step and per source with counts and timings (like dbt's run output), so a
4,500-item run under cron, CI or `| tee` is never silent for half a minute.

It listens to the pipeline's own log records (the runner logs each step's start and end with
its counts, the sync step each source read), so progress needs no callback through the steps.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from c3po_sync.logs import redact

_START = re.compile(r"^run \d+: step (\w+)$")
_DONE = re.compile(r"^run \d+: step (\w+) done in ([\d.]+)s(?:: (.*))?$")
_READ = re.compile(r"^read (.+)$")


class StepProgress(logging.Handler):
    """Shows a run's steps as they happen; ``enabled=False`` (JSON output) shows nothing."""

    LOGGERS = ("c3po_sync.pipeline",)

    def __init__(
        self, console: Console, *, enabled: bool = True, steps: Sequence[str] | None = None
    ) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self.enabled = enabled
        self.total = len(steps) if steps else None
        self.steps: list[str] = []
        self._levels: dict[str, int] = {}
        self._bar: Progress | None = None
        self._task = TaskID(0)  # set with the bar; read only while the bar is shown

    def _line(self, text: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        self.console.print(f"{stamp}  {text}", markup=False, highlight=False, soft_wrap=True)

    def _of(self) -> str:
        return f"{len(self.steps)} of {self.total}" if self.total else f"{len(self.steps)}"

    def emit(self, record: logging.LogRecord) -> None:
        if not self.enabled:
            return
        msg = redact(record.getMessage())
        if m := _START.match(msg):
            self.steps.append(m.group(1))
            if self._bar is None:
                self._line(f"{self._of()} START {m.group(1)}")
            else:
                self._bar.update(self._task, description=f"step {self._of()}: {m.group(1)}")
        elif m := _DONE.match(msg):
            step, secs, counts = m.group(1), float(m.group(2)), m.group(3)
            if self._bar is None:
                what = f" — {counts}" if counts else ""
                self._line(f"{self._of()} OK {step}{what} [in {secs:.2f}s]")
            else:
                self._bar.advance(self._task)
                if counts:
                    self._bar.console.print(
                        f"  {step}: {counts} ({secs:.1f}s)", markup=False, highlight=False
                    )
        elif (m := _READ.match(msg)) and record.name.endswith("sync"):
            if self._bar is None:
                self._line(f"    read {m.group(1)}")
            else:
                step = self.steps[-1] if self.steps else "sync"
                self._bar.update(self._task, description=f"step {self._of()}: {step} — {msg[:70]}")

    def __enter__(self) -> StepProgress:
        for name in self.LOGGERS:
            lg = logging.getLogger(name)
            self._levels[name] = lg.level
            if lg.getEffectiveLevel() > logging.INFO:
                lg.setLevel(logging.INFO)  # root handlers keep their own, higher, level
            lg.addHandler(self)
        if self.enabled and self.console.is_terminal:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("starting the run…", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        for name, level in self._levels.items():
            lg = logging.getLogger(name)
            lg.removeHandler(self)
            lg.setLevel(level)
