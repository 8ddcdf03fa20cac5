"""The hub lists' rows, one list at a time, and which rows a new day can change.

A list's rows are a function of its **basis** (the stored tables, the run's inputs, the
dashboard's link, no source stale, the list's spec) and, per row, of its own **inputs** and
the **day**:

- Portfolio: a project's row moves with its open findings only (``OpenFindings``);
- Compliance Findings: a finding's row with its finding (status, dates, message...);
- Knowledge Retention: with nothing else;
- Asset Inventory: with the day only, through its support state and review flag; each row
  carries its **horizon**, the first day those can change (never later than the exact day).

A full plan records all three with the stored copy (``pipeline/hub_copy.py``). When the basis
is the stored one, the day has not gone back, the copy is whole and the hub's change log vouches
for it, a night builds only the rows whose inputs differ or whose horizon has come (and new
keys): every other row is, value for value, the row already written. Anything else (another
basis, an unknown, a copy in doubt) plans the list in full.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.pipeline.carry import finding_sources, stale_entities, stale_projects
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.quiet import inputs_fingerprint, spec_digest
from c3po_sync.sinks.base import ListSpec
from c3po_sync.sinks.hub_lists import (
    ASSET_GONE,
    ASSET_INVENTORY,
    FINDING_COLUMNS,
    FINDING_GONE,
    FINDINGS_LIST,
    KNOWLEDGE,
    KNOWLEDGE_GONE,
    PORTFOLIO,
    PORTFOLIO_GONE,
    as_of,
    asset_rows,
    findings_rows,
    knowledge_rows,
    open_counts,
    portfolio_rows,
)
from c3po_sync.state.hub_rows import Tokens

Rows = list[dict[str, Any]]


@dataclass
class HubList:
    """One hub list's plan: its rows, built when asked, and what each row rests on."""

    spec: ListSpec
    gone: dict[str, Any]
    build: Callable[[Collection[str] | None], Rows]  # all rows, or only those keys'
    # key -> inputs for every row of the plan, without building them; None: the row set and
    # every value rest on the basis alone
    inputs_now: Callable[[], dict[str, str]] | None
    token: Callable[[dict[str, Any]], str]  # a built row's inputs
    horizons: Callable[[Rows], dict[str, str | None]] | None = None

    def tokens(self, rows: Rows) -> dict[str, Tokens]:
        """Key -> (inputs, horizon) of built ``rows``."""
        key = self.spec.key_column
        horizons = self.horizons(rows) if self.horizons is not None else {}
        return {_key(r[key]): (self.token(r), horizons.get(str(r[key]))) for r in rows}

    def changeable(self, stored: dict[str, Tokens], today: date) -> tuple[set[str], int]:
        """The keys whose row can differ from the stored one (inputs moved, horizon come, not
        stored, nothing recorded), and how many rows the list is planned with."""
        day = today.isoformat()

        def due(tokens: Tokens | None, now: str | None) -> bool:
            if tokens is None or tokens[0] is None:
                return True  # not stored, or nothing recorded with it
            return (now is not None and tokens[0] != now) or (
                tokens[1] is not None and tokens[1] <= day
            )

        if self.inputs_now is None:  # the plan's rows: those recorded with inputs
            planned = {k: t for k, t in stored.items() if t[0] is not None}
            return {k for k, t in planned.items() if due(t, None)}, len(planned)
        now = self.inputs_now()
        return {k for k, v in now.items() if due(stored.get(k), v)}, len(now)


def _key(value: Any) -> str:
    """A row's key as the writer and the stored copy have it (``list_dedupe.key_of``)."""
    return str(value).strip()


def finding_tokens(history: pd.DataFrame) -> dict[str, str]:
    """Finding id -> a digest of what its row is built from (``FINDING_COLUMNS``), hashed
    column-wise by pandas rather than by building and serialising every finding's row: a new
    day builds the rows of only the findings whose values moved."""
    if not len(history):
        return {}
    hashed = pd.util.hash_pandas_object(history[list(FINDING_COLUMNS)], index=False)
    keys = history["finding_id"].astype(str).str.strip()
    return {k: f"f{h:016x}" for k, h in zip(keys.tolist(), hashed.tolist(), strict=True)}


def asset_horizons(
    assets: pd.DataFrame, support: list[Any], overdue: list[bool], interval: int, today: date
) -> list[str | None]:
    """Per asset, the first day its support state or review flag can change (None: never as
    days pass). Each is taken two days early (a zone's offset, a leap day): a row rebuilt early
    is compared and found the same; never late. Past end of support, overdue, retired and
    undated stay so as the days go by (``domain.support_status``, ``domain.review_overdue``)."""
    out: list[str | None] = []
    margin = timedelta(days=2)
    eos_col = assets["end_of_support"].astype(object).tolist()
    reviewed = assets["last_reviewed"].astype(object).tolist()
    tomorrow = today + timedelta(days=1)  # a date not understood here: looked at daily
    for state, late, eos_raw, rev_raw in zip(support, overdue, eos_col, reviewed, strict=True):
        days: list[date] = []
        eos = domain.as_date(eos_raw)
        if state == domain.SUPPORTED:  # ends within 12 months a year before the day
            days.append(eos - timedelta(days=366) - margin if eos else tomorrow)
        elif state == domain.ENDS_SOON:  # past end of support the day after
            days.append(eos - margin if eos else tomorrow)
        last = domain.as_date(rev_raw)
        if not late and state != domain.RETIRED_LABEL:  # the review falls due
            days.append(last + timedelta(days=interval) - margin if last else tomorrow)
        if days:
            out.append(max(min(days), tomorrow).isoformat())
        else:
            out.append(None)
    return out


def hub_lists(ctx: RunContext, link: str | None) -> list[HubList]:
    """The four consolidated lists, in write order; no row is built until asked. ``link``:
    the dashboard's (``steps/dashboard.dashboard_link``), on every Portfolio row."""
    tables = ctx.current_tables()
    history = ctx.findings_history()
    open_findings = history[history["status"] != "resolved"] if len(history) else history
    rules = ctx.inputs.rules
    tz, today = ctx.tz, ctx.inputs.today
    # Rows resting on a source not re-read this run are kept and marked, never marked gone.
    stale = ctx.stale_sources()
    projects = stale_projects(tables, stale)
    by_finding = finding_sources(history, tables, stale) if len(history) else {}
    assets = stale_entities(tables, stale)

    def some(frame: pd.DataFrame, column: str, keys: Collection[str] | None) -> pd.DataFrame:
        if keys is None:
            return frame
        return frame[frame[column].astype(str).str.strip().isin(set(keys))]

    def portfolio(keys: Collection[str] | None) -> Rows:
        part = tables.with_frames(projects=some(tables.projects, "project_key", keys))
        return portfolio_rows(part, open_findings, tz, projects, link)

    def counts() -> dict[str, str]:
        n = open_counts(open_findings)
        return {_key(k): repr(float(n.get(str(k), 0))) for k in tables.projects["project_key"]}

    inputs: dict[str, str] = {}

    def finding_inputs() -> dict[str, str]:
        if not inputs:
            inputs.update(finding_tokens(history))
        return inputs

    def findings(keys: Collection[str] | None) -> Rows:
        return findings_rows(some(history, "finding_id", keys), tz, by_finding)

    def knowledge(keys: Collection[str] | None) -> Rows:
        rows = knowledge_rows(tables, rules, tz, projects)
        return rows if keys is None else [r for r in rows if _key(r["RetentionKey"]) in keys]

    def inventory(keys: Collection[str] | None) -> Rows:
        part = tables.with_frames(assets=some(tables.assets, "asset_id", keys))
        return asset_rows(part, rules, today, tz, assets)

    def asset_keys() -> dict[str, str]:  # _key of each, taken column-wise
        return dict.fromkeys(tables.assets["asset_id"].astype(str).str.strip().tolist(), "")

    def horizons(rows: Rows) -> dict[str, str | None]:
        if not rows:
            return {}
        ids_built = {r["AssetId"] for r in rows}
        frame = tables.assets[tables.assets["asset_id"].astype(str).isin(ids_built)]
        by_id = {r["AssetId"]: r for r in rows}
        ids = frame["asset_id"].astype(str).tolist()
        support = [by_id[i]["Support"] for i in ids]
        overdue = [bool(by_id[i]["ReviewOverdue"]) for i in ids]
        days = asset_horizons(frame, support, overdue, rules.review_interval_days, today)
        return dict(zip(ids, days, strict=True))

    return [
        HubList(PORTFOLIO, PORTFOLIO_GONE, portfolio, counts,
                lambda r: repr(float(r["OpenFindings"]))),
        HubList(as_of(FINDINGS_LIST, today), FINDING_GONE, findings, finding_inputs,
                lambda r: finding_inputs()[_key(r["FindingId"])]),
        HubList(KNOWLEDGE, KNOWLEDGE_GONE, knowledge, None, lambda r: ""),
        HubList(ASSET_INVENTORY, ASSET_GONE, inventory, asset_keys, lambda r: "", horizons),
    ]  # fmt: skip


def bases(ctx: RunContext, link: str | None) -> Callable[[ListSpec], str | None]:
    """Per list spec, what every row of its plan rests on besides its own inputs and the day;
    None when it cannot be vouched for (a source not re-read: rows are marked from it).

    What the four lists share (the inputs' fingerprint, a repr of settings, mappings and rules,
    and the tables' run) is taken once for them all, not once per list."""
    if ctx.stale_sources() or ctx.dry_run:
        return lambda spec: None
    tables_run = ctx.store.latest_snapshot_run()
    if tables_run is None:
        return lambda spec: None
    shared = [inputs_fingerprint(ctx.inputs), str(tables_run), str(link)]
    zone = ctx.inputs.settings.time_zone

    def basis(spec: ListSpec) -> str:
        parts = [*shared, spec_digest(spec), zone]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    return basis
