"""Intake: triage every request on the hub's intake list and write the triage back to its row;
make the project of a request a PPM accepted, on its portfolio site, once.

Only the triage columns are written, and only where they differ from what the row holds, so a
second run with nothing new writes nothing. A request is never turned into a project by the
triage: only a PPM's "Accept" on the row does that.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.failures import RunLevelError
from c3po_sync.pipeline.intake_watch import (
    intake_provisioned,
    remember_triage,
    stored_triage,
    triage_stamp,
)
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.intake import (
    ACCEPT,
    MUST_MANAGE,
    NOT_NEEDED,
    SHOULD_ADVISE,
    new_project,
    triage,
)
from c3po_sync.sinks.intake_list import (
    INTAKE,
    IntakeRow,
    decision_of,
    request_from_row,
    triage_changes,
    triage_values,
)

log = logging.getLogger(__name__)
SHORT = {MUST_MANAGE: "C3PO must manage", SHOULD_ADVISE: "should advise", NOT_NEEDED: "not needed"}


@dataclass
class IntakeSummary:
    """What the intake step found and did; counted on the dashboard and in the run summary."""

    requests: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    engaged_late: int = 0
    written: list[int] = field(default_factory=list)  # request ids whose triage was (re)written
    changed_meanwhile: list[int] = field(default_factory=list)
    projects_created: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # located: list/item: what went wrong
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        counts = ", ".join(f"{short}: {self.by_outcome.get(o, 0)}" for o, short in SHORT.items())
        text = (
            f"{INTAKE.title}: {self.requests} request(s) triaged ({counts}; "
            f"{self.engaged_late} engaged late); {verb} triage on {len(self.written)}"
        )
        if self.projects_created:
            made = "would create" if self.dry_run else "created"
            text += f"; {made} project(s) {', '.join(self.projects_created)}"
        if self.changed_meanwhile:
            text += f"; {len(self.changed_meanwhile)} changed while triaged (next run)"
        if self.problems:
            text += f"; {len(self.problems)} problem(s): " + "; ".join(self.problems[:3])
        return text


def portfolio_ppms(projects: pd.DataFrame, rules: RulesConfig) -> dict[str, str]:
    """Each portfolio's PPM: the one carrying most of its active projects (ties: by e-mail)."""
    if projects.empty:
        return {}
    active = domain.active_rows(
        projects, rules.phases, rules.inactive_phases, rules.state_documents
    )
    p = projects[active & projects["ppm"].notna() & projects["portfolio"].notna()]
    out: dict[str, str] = {}
    for portfolio, group in p.groupby("portfolio", sort=True):
        counts = Counter(str(v) for v in group["ppm"])
        out[str(portfolio)] = min(counts, key=lambda k: (-counts[k], k))
    return out


def project_mapping(mappings: list[SourceMapping], portfolio: str) -> SourceMapping | None:
    """The projects list of the portfolio's site (the first mapping naming that portfolio)."""
    want = portfolio.strip().casefold()
    for m in mappings:
        if m.target == "projects" and (m.portfolio or "").strip().casefold() == want:
            return m
    return None


def run_intake(ctx: RunContext) -> None:
    port = ctx.ports.intake
    if port is None:
        return
    rules = ctx.inputs.rules
    # The PPMs are compared only when this run holds the tables anyway; else their snapshot.
    held = ctx.tables
    stamp = triage_stamp(ctx, portfolio_ppms(held.projects, rules) if held is not None else None)
    stored = stored_triage(ctx, INTAKE, stamp)
    if stored is not None:
        # Nobody touched the list since its last read, and the triage rests on the same inputs.
        ctx.result.intake = IntakeSummary(
            requests=int(stored.get("requests") or 0),
            by_outcome={str(k): int(v) for k, v in (stored.get("by_outcome") or {}).items()},
            engaged_late=int(stored.get("engaged_late") or 0),
            dry_run=ctx.dry_run,
        )
        ctx.result.skipped.append("intake: no request new or edited since the last triage")
        return
    if not intake_provisioned(ctx, INTAKE):  # provisioning may create: a write
        ctx.before_hub_write()
        ctx.ports.list_sink.ensure_list(INTAKE, dry_run=ctx.dry_run)
    summary = IntakeSummary(dry_run=ctx.dry_run)
    ctx.result.intake = summary
    rows = port.read_requests(check_columns=ctx.dry_run)
    if rows is None:  # a dry run before the list exists: nothing to triage
        return
    tables: CanonicalTables | None = None
    try:
        tables = ctx.current_tables()
    except RuntimeError:
        log.info("intake: no snapshot yet; PPMs are suggested from the config only")
    ppms = portfolio_ppms(tables.projects, rules) if tables is not None else {}
    outcomes: Counter[str] = Counter()
    for row in rows:
        summary.requests += 1
        try:
            outcome, late = _one(ctx, row, ppms, summary)
        except RunLevelError:
            raise  # the hub's rights: the run stops before its first write
        except Exception as exc:  # one bad request never stops the others
            where = f"{ctx.inputs.settings.hub_site}/{INTAKE.title}/item {row.item_id}"
            summary.problems.append(f"{where}: {type(exc).__name__}: {exc}")
            log.error("%s: %s", where, exc)
            continue
        outcomes[outcome] += 1
        summary.engaged_late += int(late)
    summary.by_outcome = dict(outcomes)
    log.info("%s", summary.describe())
    remember_triage(
        ctx,
        INTAKE,
        triage_stamp(ctx, ppms if tables is not None else None),
        {
            "requests": summary.requests,
            "by_outcome": summary.by_outcome,
            "engaged_late": summary.engaged_late,
        },
        written=len(summary.written),
        settled=not summary.problems and not summary.changed_meanwhile,
    )


def _one(
    ctx: RunContext, row: IntakeRow, ppms: dict[str, str], summary: IntakeSummary
) -> tuple[str, bool]:
    rules = ctx.inputs.rules
    port = ctx.ports.intake
    assert port is not None
    req = request_from_row(row.item_id, row.values)
    t = triage(req, rules.engagement, rules.intake, ppms)
    wanted = triage_values(t)
    if decision_of(row.values) == ACCEPT and not row.values.get("CreatedProject"):
        portfolio = str(row.values.get("AssignedPortfolio") or t.portfolio or "").strip()
        mapping = project_mapping(ctx.inputs.mappings, portfolio) if portfolio else None
        if mapping is None:
            raise LookupError(
                f"accepted, but no mapped projects list has portfolio {portfolio!r}: set "
                "Assigned Portfolio to one of "
                + ", ".join(sorted({m.portfolio for m in ctx.inputs.mappings if m.portfolio}))
            )
        values = new_project(req, portfolio, rules.phases, rules.intake)
        ctx.before_hub_write()
        if ctx.dry_run:
            key = str(values["project_key"])
            ctx.result.planned.append(
                f"would create project {key} ({rules.phases[0]}) on {mapping.site}/"
                f"{mapping.list_title} from intake request {row.item_id}"
            )
        else:
            key, _created = port.create_project(mapping, values)
        summary.projects_created.append(key)
        wanted["CreatedProject"] = key
    changes = triage_changes(row.values, wanted)
    if changes:
        ctx.before_hub_write()
        if ctx.dry_run or port.write_triage(row, changes):
            summary.written.append(row.item_id)
        else:
            summary.changed_meanwhile.append(row.item_id)
    return t.outcome, t.engaged_late
