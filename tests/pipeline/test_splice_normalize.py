"""A changed night normalizes only its changed items (issue 16, ``normalize/splice.py``) and
yields exactly the tables a full normalize yields, night after night.

Two demo tenants, two state stores, the same nights and the same edits: one takes the
product's path (the stored tables plus the changed items, where ``pipeline/splice_basis.py``
vouches for them), the other is forced to normalize every item every night. The edits cover
what crosses rows: documents added, edited, deleted and moved to another folder (their
project found by folder), status reports in and out, bad values entering and leaving the
quarantine, a document type no rule knows, a project key renamed (the known keys change), a
duplicate project key and its winner deleted, a list that cannot be read for a night, a
mapping change and a quiet night between changed ones. Canonical tables and findings must be
identical every night.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.steps import sync as sync_step
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.state.store import SNAPSHOT_TABLES, StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
COMMUNITY, PLANNING, FINANCE, ITD = (
    "/sites/ppm-community",
    "/sites/ppm-planning",
    "/sites/ppm-finance",
    "/sites/itd",
)
# Night -> what happens before it (both tenants alike). Night 0 is the first run.
NIGHTS: dict[int, tuple[str, ...]] = {
    0: (),
    1: (
        "edit",
        "bad_in",
        "add_doc",
        "delete_doc",
        "report",
        "type_typo",
        "asset_add_delete",
        "move_folder",
    ),
    3: ("edit", "mapping"),  # full: the mapping changed
    4: ("edit", "list_gone"),  # full: the mapping changed back; a list cannot be read
    5: ("edit", "list_back"),  # full: the last sync kept rows it could not re-read
    6: ("edit", "bad_in", "report", "crash"),  # the run dies after reading, before its snapshot
    7: ("edit",),  # full: the change logs moved on past changes no snapshot holds
    8: ("rename_key", "duplicate_key", "edit"),  # the known keys change: libraries in full
    9: (),  # a quiet night
    10: ("delete_winner", "edit", "add_doc", "bad_out", "type_fix"),
}
SPLICED = {1, 8, 10}  # nights the short side splices at least one source
LIBRARIES_SPLICED = {1, 10}  # and a library among them


def _items(tenant: Any, site: str, title: str, files: bool = False) -> list[int]:
    lst = tenant.sites[site].list_by_title(title)
    return sorted(i.id for i in lst.items.values() if not files or i.fs_obj_type == 0)


def _edit(tenant: Any, rng: random.Random, kinds: tuple[str, ...]) -> None:
    sites = tenant.sites
    assets = sites[ITD].list_by_title("IT Asset Inventory")
    community = sites[COMMUNITY].list_by_title("Project Documents")
    planning = sites[PLANNING].list_by_title("Project Documents")
    projects = sites[COMMUNITY].list_by_title("Projects")
    for kind in kinds:
        if kind == "edit":  # plain edits: a title each, an asset's cost, a document's key
            for site, title in ((COMMUNITY, "Projects"), (ITD, "IT Asset Inventory")):
                lst = sites[site].list_by_title(title)
                item = rng.choice(_items(tenant, site, title))
                lst.update_item(item, {"Title": f"Edited {rng.randrange(1000)}"})
            item = rng.choice(_items(tenant, ITD, "IT Asset Inventory"))
            assets.update_item(item, {"AnnualCost": rng.randrange(1000, 90000)})
            item = rng.choice(_items(tenant, PLANNING, "Project Documents", files=True))
            keys = ["AMANDA7", "SJPERMITS", "nobody", ""]
            planning.update_item(item, {"ProjectKey": rng.choice(keys)})
        elif kind == "bad_in":  # values that cannot be used: into the quarantine
            item = rng.choice(_items(tenant, ITD, "IT Asset Inventory"))
            assets.update_item(item, {"LifecycleStage": "Sunsetting", "AnnualCost": -5})
        elif kind == "bad_out":  # every bad value fixed: out of the quarantine
            for i, it in assets.items.items():
                if it.values.get("LifecycleStage") == "Sunsetting":
                    assets.update_item(i, {"LifecycleStage": "Retiring", "AnnualCost": 10})
        elif kind == "add_doc":
            sites[COMMUNITY].add_file(
                f"{community.root_folder}/WEBREC",
                f"WEBREC Status Report {rng.randrange(100, 999)}.docx",
                b"x",
            )
        elif kind == "delete_doc":
            community.delete_item(rng.choice(_items(tenant, COMMUNITY, "Project Documents", True)))
        elif kind == "report":  # a status report named for its date, linked by name
            sites[PLANNING].add_file(
                planning.root_folder,
                f"AMANDA7 Status Report 2026-1{rng.randrange(10)}-0{rng.randrange(1, 10)}.docx",
                b"x",
                values={"ProjectKey": "AMANDA7", "DocType": "Status Report"},
            )
        elif kind == "type_typo":
            item = rng.choice(_items(tenant, PLANNING, "Project Documents", files=True))
            planning.update_item(item, {"DocType": "Charterr"})
        elif kind == "type_fix":
            for i, it in planning.items.items():
                if it.values.get("DocType") == "Charterr":
                    planning.update_item(i, {"DocType": "Charter"})
        elif kind == "move_folder":  # a project folder's files moved to another project's
            src = f"{community.root_folder}/ODP"
            for i in [i for i, it in community.items.items() if it.file_ref.startswith(src + "/")]:
                it = community.items[i]
                name = it.file_ref.rsplit("/", 1)[1]
                sites[COMMUNITY].add_file(f"{community.root_folder}/DIGEQ", name, b"x")
                community.delete_item(i)
        elif kind == "asset_add_delete":
            assets.delete_item(rng.choice(_items(tenant, ITD, "IT Asset Inventory")))
            assets.add_item(
                {"Title": "New kiosk", "AssetType": "Endpoint", "RelatedProject": "ODP"}
            )
        elif kind == "list_gone":
            sites[FINANCE].rename_list(sites[FINANCE].list_by_title("Documents"), "Docs (old)")
        elif kind == "list_back":
            sites[FINANCE].rename_list(sites[FINANCE].list_by_title("Docs (old)"), "Documents")
        elif kind == "rename_key":  # a project re-keyed: its folder names no project now
            projects.update_item(6, {"Project_x0020_Key": "ODP2"})
        elif kind == "duplicate_key":  # the planning list names a community key too
            item = _items(tenant, PLANNING, "Projects")[0]
            sites[PLANNING].list_by_title("Projects").update_item(item, {"Key": "WEBREC"})
        elif kind == "delete_winner":
            projects.delete_item(2)  # WEBREC's first row: the planning duplicate now wins


def _crash(*_a: Any, **_k: Any) -> Any:
    raise RuntimeError("killed")


def _inputs(base: Any, day: date, night: int) -> Any:
    """The nightly job's sync, on ``day``; one night's mappings changed."""
    job = base.job.model_copy(update={"steps": ("sync",)})
    inputs = dataclasses.replace(base, job=job, today=day, as_of=None)
    if "mapping" in NIGHTS[night]:  # a mapping change: the assets' key no longer upper-cased
        mappings = [
            m.model_copy(update={"key": m.key.model_copy(update={"upper": False})})
            if m.target == "assets" and m.key is not None
            else m
            for m in inputs.mappings
        ]
        inputs = dataclasses.replace(inputs, mappings=mappings)
    return inputs


def _state(db: Path, url: str, result: Any) -> dict[str, Any]:
    """The newest snapshot's tables and the run's figures and source findings (what evaluate
    reads besides the tables), the server's address taken out."""
    with StateStore(f"sqlite:///{db}") as store:
        run = store.latest_snapshot_run()
        assert run is not None
        tables = store.load_snapshot(run)
        out = {name: getattr(tables, name) for name in SNAPSHOT_TABLES}
    if result is not None:  # (a run that died has only what the store holds)
        out["figures"] = pd.DataFrame(
            [{"tables": repr(result.tables), "quarantined": result.quarantined,
              "stale": repr([(s.label, s.carried) for s in result.stale])}]
        )  # fmt: skip
    for name, frame in out.items():
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == "string" or frame[col].dtype == object:
                frame[col] = frame[col].map(
                    lambda v: v.replace(url, "") if isinstance(v, str) else v
                )
        out[name] = frame.reset_index(drop=True)
    return out


def _differences(
    night: int, got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]
) -> list[str]:
    out = []
    for name in want:
        try:
            pd.testing.assert_frame_equal(got[name], want[name])
        except AssertionError as e:
            out.append(f"night {night}: {name}: {str(e)[:400]}")
    return out


@pytest.mark.slow
def test_changed_nights_splice_only_changed_items_and_match_a_full_normalize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = {"short": load_demo_tenant(), "full": load_demo_tenant()}
    servers = {k: SandboxServer(t, port=0) for k, t in tenants.items()}
    spliced: dict[int, list[str]] = {}
    basis_for = sync_step.basis_for

    def counted(*a: Any) -> Any:
        basis = basis_for(*a)
        if basis is not None:
            spliced[night] = basis.spliced  # filled by normalize
        return basis

    bases: dict[str, Any] = {}
    rng = random.Random(16)
    differences: list[str] = []
    try:
        for s in servers.values():
            s.__enter__()
        for night, kinds in NIGHTS.items():
            day = DEMO_ANCHOR + timedelta(days=night)
            clock = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
            state = rng.getstate()
            got: dict[str, dict[str, Any]] = {}
            for side, tenant in tenants.items():
                tenant.clock = lambda clock=clock: clock  # the same Modified on both sides
                rng.setstate(state)
                _edit(tenant, rng, kinds)
                db = tmp_path / f"{side}.db"
                with monkeypatch.context() as m:
                    m.setenv("C3PO_SANDBOX_URL", servers[side].url)
                    m.setenv("C3PO_STATE_URL", f"sqlite:///{db}")
                    m.setenv("C3PO_OUTPUT_DIR", str(tmp_path / side))
                    forced = (lambda *a: None) if side == "full" else counted
                    m.setattr(sync_step, "basis_for", forced)
                    if "crash" in kinds:
                        m.setattr(sync_step, "normalize", _crash)
                    if side not in bases:  # the settings read the server's address
                        bases[side] = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG))
                    if "crash" in kinds:
                        with pytest.raises(RuntimeError, match="killed"):
                            run_prepared(_inputs(bases[side], day, night))
                        result = None
                    else:
                        result = run_prepared(_inputs(bases[side], day, night))
                        assert result.outcome in ("ok", "partial"), result.outcome
                got[side] = _state(db, servers[side].url, result)
            differences += _differences(night, got["short"], got["full"])
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)
    assert differences == []
    assert {n for n, srcs in spliced.items() if srcs} == SPLICED, spliced
    libraries = {n for n, srcs in spliced.items() if any("Documents" in s for s in srcs)}
    assert libraries == LIBRARIES_SPLICED, spliced
