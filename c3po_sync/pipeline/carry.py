"""Sources not re-read this run keep their last good rows, marked "not re-read since <time>".

A site that is down, throttled past every retry, or a list renamed under its mapping tells us
nothing about its projects: they are not gone, their findings are not resolved. The rows that
source yielded in the newest snapshot are carried into this run's tables unchanged, so the
rules, the hub lists, the rollup and the deltas see exactly what a run that read the source
unchanged would see; every output then marks them with when they were last read, and why not
now (issue 11, "Failures are not facts").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

import pandas as pd

from c3po_sync.model.schema import TABLES
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.sources.base import SourceRef
from c3po_sync.state import timeline
from c3po_sync.state.store import SNAPSHOT_TABLES, RunNotFoundError, StateStore

log = logging.getLogger(__name__)

LAST_READ = "sources:last_read"  # checkpoint: {source key: ISO time of the last good read}
STALE = "sources:stale"  # checkpoint: the newest sync's stale sources, for jobs that do not sync
# The identity of each table's rows, for dropping a carried row a fresh source now yields.
_ROW_KEYS = {"projects": "project_key", "documents": "path", "assets": "asset_id"}


def source_key(site: str, list_title: str) -> str:
    """One spelling of a source for matching: site without trailing slash, casefolded."""
    return f"{site.rstrip('/')}/{list_title}".casefold()


@dataclass(frozen=True)
class StaleSource:
    """A source this run could not read: since when its rows are as they are, and why."""

    site: str
    list_title: str
    since: datetime | None  # last good read; None when it was never read
    reason: str
    carried: int = 0  # rows kept from the last snapshot

    @property
    def key(self) -> str:
        return source_key(self.site, self.list_title)

    @property
    def label(self) -> str:
        return f"{self.site}/{self.list_title}"

    def note(self) -> str:
        """The words the hub lists and the rollup show beside each of its rows."""
        when = f"{self.since:%Y-%m-%d %H:%M} UTC" if self.since else "never read"
        return f"not re-read since {when}: {self.reason}"  # the sinks fit it to their limits

    def to_json(self) -> dict:
        d = asdict(self)
        d["since"] = self.since.isoformat() if self.since else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> StaleSource:
        since = datetime.fromisoformat(d["since"]) if d.get("since") else None
        return cls(d["site"], d["list_title"], since, d["reason"], int(d.get("carried", 0)))


def record_reads(store: StateStore, refs: Iterable[SourceRef], at: datetime) -> None:
    """Remembers when each source was last read in full health (one checkpoint write)."""
    seen = dict(store.get_checkpoint(LAST_READ) or {})
    seen.update({source_key(r.site, r.list_title): at.isoformat() for r in refs})
    store.set_checkpoint(LAST_READ, seen)


def carry_over(
    store: StateStore, run_id: int, failed: list[tuple[SourceRef, str]]
) -> tuple[CanonicalTables, list[StaleSource]]:
    """The failed sources' rows from the newest snapshot before ``run_id``, and what they are."""
    carried = CanonicalTables()
    if not failed:
        return carried, []
    base = store.latest_snapshot_run(before_run=run_id)
    snapshot: CanonicalTables | None = None
    if base is not None:
        try:
            snapshot = store.load_snapshot(base)
        except RunNotFoundError:  # pruned between the two calls
            snapshot = None
    last_read = store.get_checkpoint(LAST_READ) or {}
    base_at = (
        timeline.snapshot_saved_at(store, base)
        if snapshot is not None and base is not None
        else None
    )
    wanted = {source_key(ref.site, ref.list_title) for ref, _ in failed}
    counts: dict[str, int] = dict.fromkeys(wanted, 0)
    if snapshot is not None:
        for name in SNAPSHOT_TABLES:
            frame = getattr(snapshot, name)
            if frame.empty:
                continue
            keys = _row_sources(frame)
            mine = frame[keys.isin(wanted)].reset_index(drop=True)
            setattr(carried, name, mine)
            for k, n in keys[keys.isin(wanted)].value_counts().items():
                counts[k] += int(n) if name != "quarantine" else 0
    stale = []
    for ref, reason in failed:
        k = source_key(ref.site, ref.list_title)
        seen = last_read.get(k)
        since = datetime.fromisoformat(seen) if seen else (base_at if counts[k] else None)
        stale.append(StaleSource(ref.site, ref.list_title, since, reason, counts[k]))
    for s in stale:
        log.warning("%s not re-read (%s): keeping %d row(s) from the last snapshot",
                    s.label, s.reason, s.carried)  # fmt: skip
    return carried, stale


def _row_sources(frame: pd.DataFrame) -> pd.Series:
    site = frame["source_site"].astype("string").fillna("").str.rstrip("/")
    return (site + "/" + frame["source_list"].astype("string").fillna("")).str.casefold()


def merge(fresh: CanonicalTables, carried: CanonicalTables) -> CanonicalTables:
    """This run's tables plus the carried rows; a row a read source yields again wins."""
    out = CanonicalTables()
    for name in SNAPSHOT_TABLES:
        new, old = getattr(fresh, name), getattr(carried, name)
        key = _ROW_KEYS.get(name)
        if key is not None and len(old) and len(new):
            old = old[~old[key].isin(set(new[key].dropna()))]
        if old.empty:
            setattr(out, name, new)
            continue
        both = old if new.empty else pd.concat([new, old], ignore_index=True)
        table = TABLES[name]
        setattr(out, name, table.typed(both.reindex(columns=table.column_names)))
    return out


def save_stale(store: StateStore, stale: list[StaleSource]) -> None:
    store.set_checkpoint(STALE, [s.to_json() for s in stale])


def load_stale(store: StateStore) -> list[StaleSource]:
    """The stale sources of the newest sync (for a rollup job that reads the snapshot)."""
    return [StaleSource.from_json(d) for d in store.get_checkpoint(STALE) or []]


def _by_source(stale: list[StaleSource]) -> dict[str, StaleSource]:
    return {s.key: s for s in stale}


def stale_projects(tables: CanonicalTables, stale: list[StaleSource]) -> dict[str, StaleSource]:
    """Project key -> the source not re-read that its row or findings depend on.

    A project depends on its own list, on any library or list on its site (its documents),
    and on any carried row naming it (an asset in the inventory).
    """
    if not stale:
        return {}
    by_key = _by_source(stale)
    by_site = {s.site.rstrip("/").casefold(): s for s in stale}
    out: dict[str, StaleSource] = {}
    for name in ("documents", "assets", "projects"):
        frame = getattr(tables, name)
        if frame.empty:
            continue
        hit = _row_sources(frame).map(by_key)
        if name == "projects":
            site = frame["source_site"].astype("string").fillna("").str.rstrip("/").str.casefold()
            hit = hit.where(hit.notna(), site.map(by_site))
        for key, src in zip(frame["project_key"], hit, strict=True):
            if isinstance(key, str) and isinstance(src, StaleSource):
                out[key] = src
    return out


def stale_entities(tables: CanonicalTables, stale: list[StaleSource]) -> dict[str, StaleSource]:
    """Asset id or document path -> the source not re-read that it was carried from."""
    if not stale:
        return {}
    by_key = _by_source(stale)
    out: dict[str, StaleSource] = {}
    for name, col in (("assets", "asset_id"), ("documents", "path")):
        frame = getattr(tables, name)
        if frame.empty:
            continue
        for ent, src in zip(frame[col], _row_sources(frame).map(by_key), strict=True):
            if isinstance(ent, str) and isinstance(src, StaleSource):
                out[ent] = src
    return out


def finding_sources(
    findings: pd.DataFrame, tables: CanonicalTables, stale: list[StaleSource]
) -> dict[str, StaleSource]:
    """Finding id -> the source not re-read that the finding's evidence comes from.

    Such a finding keeps its state (it is neither resolved nor re-checked) and is marked.
    """
    if not stale or findings.empty:
        return {}
    projects, entities = stale_projects(tables, stale), stale_entities(tables, stale)
    by_label = {s.label.casefold(): s for s in stale}
    out: dict[str, StaleSource] = {}
    for f in findings[["finding_id", "project_key", "entity_key", "entity_kind"]].itertuples():
        ent = f.entity_key if isinstance(f.entity_key, str) else ""
        src = (
            projects.get(f.project_key) if isinstance(f.project_key, str) else None
        ) or entities.get(ent)
        if src is None and isinstance(f.entity_kind, str) and f.entity_kind == "source":
            src = by_label.get(ent.casefold())
        if src is not None:
            out[str(f.finding_id)] = src
    return out
