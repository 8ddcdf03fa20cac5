"""The bundle of canonical tables one run produces."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from c3po_sync.model.schema import ASSETS, DOCUMENTS, PROJECTS, QUARANTINE, STATUS_REPORTS


@dataclass
class CanonicalTables:
    """What normalization hands to the rules and the sinks."""

    projects: pd.DataFrame = field(default_factory=PROJECTS.empty)
    documents: pd.DataFrame = field(default_factory=DOCUMENTS.empty)
    status_reports: pd.DataFrame = field(default_factory=STATUS_REPORTS.empty)
    assets: pd.DataFrame = field(default_factory=ASSETS.empty)
    quarantine: pd.DataFrame = field(default_factory=QUARANTINE.empty)

    def with_frames(self, **frames: pd.DataFrame) -> CanonicalTables:
        """These tables with ``frames`` in place of theirs. Use it rather than
        ``dataclasses.replace``, which reads every table (and so loads every one of
        ``LazyTables``)."""
        return dataclasses.replace(self, **frames)


TABLE_NAMES = tuple(f.name for f in dataclasses.fields(CanonicalTables))


class LazyTables(CanonicalTables):
    """Canonical tables each read from ``load`` (a table's name -> its frame) the first time a
    reader touches it, then held: a new day's steps read some of the stored tables (the
    re-check its due rules' tables; the status reports, 26,000 rows at city size, often no
    step), and decoding every one was half of its evaluate step (issue 16). To its readers
    it is the tables ``load`` gives: a table is never seen empty because it was not loaded.

    ``load`` must return one snapshot's tables, each the same on every call, and should keep
    what it loaded: copies made by ``with_frames`` share it. Without ``load`` (as
    ``dataclasses.replace`` builds one) every table must be given.
    """

    def __init__(
        self, load: Callable[[str], pd.DataFrame] | None = None, **frames: pd.DataFrame
    ) -> None:
        # No dataclass __init__: a table not given stays unset until __getattr__ loads it.
        if load is None and set(frames) != set(TABLE_NAMES):
            raise TypeError("LazyTables without a loader needs every table")
        object.__setattr__(self, "_load", load)
        for name, frame in frames.items():
            if name not in TABLE_NAMES:
                raise TypeError(f"no canonical table named {name!r}")
            object.__setattr__(self, name, frame)

    def __getattr__(self, name: str) -> Any:
        # Called only for what is not set: a table not loaded yet (or no attribute at all).
        if name not in TABLE_NAMES:
            raise AttributeError(name)
        load = object.__getattribute__(self, "_load")
        if load is None:  # every table was given; this one was deleted since
            raise AttributeError(name)
        frame = load(name)
        object.__setattr__(self, name, frame)
        return frame

    def loaded(self) -> tuple[str, ...]:
        """The tables read so far, in TABLE_NAMES order."""
        return tuple(n for n in TABLE_NAMES if n in self.__dict__)

    def with_frames(self, **frames: pd.DataFrame) -> CanonicalTables:
        held = {n: self.__dict__[n] for n in self.loaded()}
        return LazyTables(object.__getattribute__(self, "_load"), **{**held, **frames})
