"""A new day builds only the hub rows that can change (issue 16), and the hub lists hold
exactly what a full plan would write, night after night, as asset horizons pass, findings
open and close, sources change and the calendar jumps (once backwards).

Two demo tenants, two state stores, the same nights and the same source edits: one takes the
product's path (``pipeline/hub_plan.py``), the other is forced to plan every row every night.
One night the short side's write answers are lost: its copy in doubt, the next night reads the
lists back, and the lists still match.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline import hub_plan
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.steps import write_lists
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import FINDINGS_LIST, HUB_LISTS
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
HUB = "/sites/c3po"
# Days after the demo's anchor (a first run costs most of the time); one jump back (40 -> 12).
NIGHTS = (0, 2, 5, 40, 12)
EDITS = {2}
LOST = 5  # the short side's hub $batch answers are cut off: its copy is left in doubt


def _edit(tenant: Any, rng: random.Random, day: date) -> None:
    """Source edits whose effects fall due a few days later: an asset's end of support (soon,
    or in a year) and its review, a project's status going stale, another's dated ahead (a
    finding that the day resolves)."""
    assets = tenant.sites["/sites/itd"].list_by_title("IT Asset Inventory")
    projects = tenant.sites["/sites/ppm-community"].list_by_title("Projects")
    for kind in ("eos", "eos", "review", "status", "ahead"):
        soon = day + timedelta(days=rng.randrange(1, 6))
        if kind in ("eos", "review"):
            item = sorted(assets.items)[rng.randrange(len(assets.items))]
            if kind == "eos":
                when = soon if rng.random() < 0.5 else soon + timedelta(days=365)
                assets.update_item(item, {"EndOfSupport": f"{when.isoformat()}T07:00:00Z"})
            else:
                when = soon - timedelta(days=365)
                assets.update_item(item, {"LastReviewed": f"{when.isoformat()}T07:00:00Z"})
        else:
            item = sorted(projects.items)[rng.randrange(len(projects.items))]
            when = soon - timedelta(days=60) if kind == "status" else soon
            projects.update_item(item, {"Status_x0020_Date": f"{when.isoformat()}T07:00:00Z"})


def _inputs(day: date) -> Any:
    """The nightly job's steps up to the hub lists (the rollup and intake add nothing here)."""
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=day)
    job = inputs.job.model_copy(update={"steps": ("sync", "evaluate", "write_lists")})
    return dataclasses.replace(inputs, job=job)


def _hub(tenant: Any, url: str) -> dict[str, dict[str, Any]]:
    """Each consolidated list's items by key, as the hub holds them (the server's address
    taken out of links)."""
    out: dict[str, Any] = {}
    for spec in HUB_LISTS:
        lst = tenant.sites[HUB].list_by_title(spec.title)
        rows: dict[str, Any] = {}
        for item in lst.items.values():
            values = {c.internal_name: item.values.get(c.internal_name) for c in spec.columns}
            rows[str(values[spec.key_column])] = repr(values).replace(url, "")
        out[spec.title] = rows
    return out


@pytest.mark.slow
def test_new_days_build_only_the_rows_that_can_change_and_match_a_full_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = {"short": load_demo_tenant(), "full": load_demo_tenant()}
    servers = {k: SandboxServer(t, port=0) for k, t in tenants.items()}
    taken: list[tuple[str, int]] = []  # (list, rows built) when only some were
    changeable = hub_plan.HubList.changeable
    findings_rows = hub_plan.findings_rows
    due: list[int] = []  # Findings rows a short plan found due, until built
    built: list[tuple[int, int]] = []  # (due, Findings rows built) of each short plan

    def counted(self: hub_plan.HubList, *a: Any) -> tuple[set[str], int]:
        keys, total = changeable(self, *a)
        taken.append((self.spec.title, len(keys)))
        if self.spec.title.startswith(FINDINGS_LIST.title) and keys:
            due.append(len(keys))
        return keys, total

    def building(history: Any, *a: Any) -> Any:
        if due:  # a short plan's build (a full plan's builds every finding)
            built.append((due.pop(), len(history)))
        return findings_rows(history, *a)

    rng = random.Random(16)
    differences: list[str] = []
    try:
        for s in servers.values():
            s.__enter__()
        for n in NIGHTS:
            day = DEMO_ANCHOR + timedelta(days=n)
            state = rng.getstate()
            for side, tenant in tenants.items():
                if n in EDITS:
                    rng.setstate(state)
                    _edit(tenant, rng, day)
                with monkeypatch.context() as m:
                    m.setenv("C3PO_SANDBOX_URL", servers[side].url)
                    m.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / side}.db")
                    m.setenv("C3PO_OUTPUT_DIR", str(tmp_path / side))
                    if side == "full":
                        m.setattr(write_lists, "_write_changed", lambda *a: False)
                    else:
                        m.setattr(hub_plan.HubList, "changeable", counted)
                        m.setattr(hub_plan, "findings_rows", building)
                    if side == "short" and n == LOST:
                        servers[side].faults = FaultConfig(
                            p_truncate=1.0, routes={"batch"}, sites={HUB}
                        )
                    result = run_prepared(_inputs(day))
                    servers[side].faults = FaultConfig()
                    assert result.outcome == "ok"
                    if side == "short" and n == LOST:  # re-read and re-planned, not re-sent
                        assert any(getattr(w, "replans", 0) for w in result.writes)
            got = _hub(tenants["short"], servers["short"].url)
            want = _hub(tenants["full"], servers["full"].url)
            for title in want:
                if got[title] != want[title]:
                    keys = {k for k in {*got[title], *want[title]}
                            if got[title].get(k) != want[title].get(k)}  # fmt: skip
                    differences.append(f"day {n}: {title}: {sorted(keys)[:3]}")
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)
    assert differences == []
    # The short path was taken: lists with no row to build, and lists with a few.
    assert any(k == 0 for _t, k in taken) and any(k > 0 for _t, k in taken), taken
    # Only the findings that can differ are built (not every finding to find them).
    assert built and all(n == k for k, n in built), built
