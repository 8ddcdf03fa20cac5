"""Evaluate: run the audit rules and record the findings history."""

from __future__ import annotations

import pandas as pd

from c3po_sync.model.schema import FINDINGS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.pipeline.carry import finding_sources
from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.quiet import (
    evaluation_current,
    recheck_plan,
    remember_evaluation,
    stored_findings_counts,
    stored_horizons,
)
from c3po_sync.rules import evaluate, recommendations_not_checked
from c3po_sync.rules.evaluation import empty_evaluation, evaluation_table, joined_evaluation
from c3po_sync.rules.history import WATCHED, project_history_frame
from c3po_sync.rules.horizons import OnlyTables, reads_of, rule_horizons
from c3po_sync.rules.registry import RuleContext, get_rule
from c3po_sync.sinks.hub_history import findings_from_hub
from c3po_sync.sinks.hub_lists import FINDINGS_LIST
from c3po_sync.state import timeline


def run_evaluate(ctx: RunContext) -> None:
    result = ctx.result
    if evaluation_current(ctx) and not ctx.source_findings:
        # Same tables, same inputs, same local day: the rules would say what they said.
        result.findings_by_recommendation = stored_findings_counts(ctx)
        result.not_checked = recommendations_not_checked(ctx.inputs.rules)
        result.skipped.append("evaluate: rules already run today on unchanged data")
        # Still seen this run: the open findings are kept (last seen now), none resolved.
        still = ctx.store.findings(status="open")
        ctx.store.record_findings(
            result.run_id, still[FINDINGS.column_names], ctx.as_of, resolve_missing=False
        )
        return
    due = recheck_plan(ctx)
    if due is not None:
        recheck_date_rules(ctx, due)
        return
    tables = ctx.current_tables()
    # The rules stay pure: the store's change log (this run's snapshot included) is read here
    # and handed to the rules that judge change over time.
    upto = ctx.store.latest_snapshot_run(before_run=result.run_id + 1)
    observed = timeline.project_observations(ctx.store, ("project_key", *WATCHED), upto)
    history = project_history_frame(observed)
    judged = RuleContext(tables=tables, config=ctx.inputs.rules, today=ctx.inputs.today,
                         history=history)  # fmt: skip
    findings = evaluate(tables, judged.config, judged.today, history=history, context=judged)
    if ctx.source_findings:
        findings = pd.concat([findings, FINDINGS.frame(ctx.source_findings)], ignore_index=True)
    # What every rule judged (pass, fail, not applicable, not checked), kept with the run for
    # the compliance matrix in the rollup and `c3po-sync report audit`.
    ctx.evaluation = evaluation_table(
        tables, judged.config, judged.today, findings, history=history, context=judged
    )
    ctx.store.save_evaluation(result.run_id, ctx.evaluation)
    # A finding resolves only on evidence: its source was read and the condition is gone.
    # Findings resting on a source not re-read keep their state; a source never read at all
    # (nothing kept of it) leaves every open finding as it is.
    stale = ctx.stale_sources()
    adopt_hub_history(ctx)
    protect: set[str] = set()
    if stale:  # only a source not re-read protects findings: the history is read for it alone
        known = ctx.findings_history()
        protect = set(finding_sources(known, tables, stale)) if len(known) else set()
    record(ctx, findings, resolve_missing=all(s.since is not None for s in stale), protect=protect)
    # Whole: every finding it made is recorded open and every other one resolved, so a quiet
    # later day may take the open findings for its findings (pipeline/quiet.recheck_plan).
    remember_evaluation(
        ctx,
        rule_horizons(judged),
        eval_run=result.run_id,
        whole=not stale and not ctx.source_findings,
    )


def recheck_date_rules(ctx: RunContext, due: list[str]) -> None:
    """A quiet new day: the tables, inputs and findings are the stored evaluation's, so only the
    date-driven rules whose horizon has come (``due``) can judge otherwise. They alone are
    re-run, over the stored tables they read; every other rule's findings (the open ones, which
    are exactly its findings: ``whole``) and evaluation rows are carried. The findings are
    recorded as the full path would record them; the day's hub rows and workbook follow
    (ctx.evaluated), as they do on any new day."""
    result = ctx.result
    horizons, eval_run = stored_horizons(ctx)
    # Read before any adoption from the hub, as the full path judges before adopting.
    carried = ctx.store.findings(status="open")[FINDINGS.column_names]
    findings = carried
    rows = None
    if due:
        names = reads_of(due)
        tables = OnlyTables(_stored_tables(ctx, names), names)
        judged = RuleContext(tables=tables, config=ctx.inputs.rules, today=ctx.inputs.today)
        fresh = evaluate(tables, judged.config, judged.today, only=due, context=judged)
        rows = evaluation_table(tables, judged.config, judged.today, fresh, context=judged,
                                only=due)  # fmt: skip
        horizons.update(rule_horizons(judged, [get_rule(r) for r in due]))
        findings = pd.concat(
            [carried[~carried["rule_id"].isin(due)], fresh], ignore_index=True
        ).sort_values("finding_id", kind="stable", ignore_index=True)
        result.skipped.append(
            "evaluate: data unchanged; re-checked only the rules the day can change: "
            + ", ".join(due)
        )
    else:
        result.skipped.append("evaluate: data unchanged and no date-driven verdict due today")
    # This run's evaluation, like any evaluating run's: the re-checked rules' rows, the others
    # copied inside the database from the stored evaluation (never parsed).
    ctx.store.save_evaluation(
        result.run_id,
        rows if rows is not None else empty_evaluation(),
        carry_from=eval_run,
        rechecked=due,
    )
    ctx.evaluation = None  # a later step reading it loads it from the store
    if any(s in MATRIX_STEPS for s in ctx.inputs.job.steps):
        # Built here, where the run holds least, not beside the workbook the rollup builds;
        # rows in the store's rule order (the compliance matrix reads them in any order).
        kept = ctx.store.load_evaluation(eval_run, except_rules=due)
        parts = [p for p in (kept, rows) if p is not None and len(p)]
        del kept
        ctx.evaluation = joined_evaluation(parts) if parts else None
    adopt_hub_history(ctx)
    record(ctx, findings, resolve_missing=True, protect=set())
    remember_evaluation(ctx, horizons, eval_run=result.run_id, whole=True)


# Steps that read the stored tables later on a new day (the day's hub rows, the dated
# workbook): a re-check then reads them as the run's tables (ctx.current_tables).
_TABLES_LATER = ("write_lists", "rollup", "council_report", "dashboard")
# Steps whose workbook shows the compliance matrix, made from this run's evaluation.
MATRIX_STEPS = ("rollup", "council_report")


def _stored_tables(ctx: RunContext, names: tuple[str, ...]) -> CanonicalTables:
    """The stored tables a re-check reads. The run's (held for the later steps) when a later
    step of the job reads them: each loads when first read, so the re-check decodes only
    ``names`` (issue 16). Else only ``names``, not held by the run."""
    if ctx.tables is not None or any(s in _TABLES_LATER for s in ctx.inputs.job.steps):
        return ctx.current_tables()
    run = ctx.store.latest_snapshot_run()
    if run is None:  # cannot happen on a quiet night (its tables are a snapshot)
        raise RuntimeError("a date-driven re-check found no stored snapshot")
    return ctx.store.load_snapshot(run, tables=names)


def record(ctx: RunContext, findings: pd.DataFrame, *, resolve_missing: bool,
           protect: set[str]) -> None:  # fmt: skip
    """Records this run's findings and reports them (counts, opened, resolved)."""
    result = ctx.result
    delta = ctx.store.record_findings(
        result.run_id, findings, ctx.as_of, resolve_missing=resolve_missing, protect=protect
    )
    result.opened = len(delta.opened)
    result.resolved = len(delta.resolved)
    result.reopened = len(delta.reopened)
    counts = findings.groupby("recommendation").size().to_dict() if len(findings) else {}
    result.findings_by_recommendation = {int(k): int(v) for k, v in sorted(counts.items())}
    result.not_checked = recommendations_not_checked(ctx.inputs.rules)
    ctx.history = None  # changed by this run: re-read by the first step that needs it
    ctx.evaluated = True


def adopt_hub_history(ctx: RunContext) -> None:
    """The hub's Compliance Findings list is the auditors' record: a store that lost its
    findings history (new or lost database) or was restored from a backup (``--adopt-history``)
    takes first seen, resolved and re-opened from it before recording this run."""
    read = ctx.ports.read_rows
    if read is None:
        return
    none_kept = ctx.history.empty if ctx.history is not None else not ctx.store.has_findings()
    if not (ctx.inputs.adopt_history or none_kept):
        return
    adopted = ctx.store.adopt_findings(findings_from_hub(read(FINDINGS_LIST)))
    if adopted:
        ctx.history = None  # re-read with what was adopted
