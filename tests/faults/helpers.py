"""Shared helpers for the fault suite: a small generated tenant, a workspace, end-state capture."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from c3po_sync.bench.workspace import prepare_workspace
from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.generate import HUB_URL, generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import HUB_LISTS
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

SEED = 11
SIZE = {"sites": 2, "projects": 14, "documents_per_project": 3, "assets": 20}
_HOST = re.compile(r"https?://127\.0\.0\.1:\d+")


def env_int(name: str, default: int) -> int:
    """Full-size runs (20 seeds, 50 kill points) are opt-in by environment variable."""
    return int(os.environ.get(name, default))


def tenant_dict(seed: int = SEED) -> dict[str, Any]:
    return generate_tenant(seed, **SIZE)


@dataclass
class Env:
    """One sandbox serving a fresh tenant, and a deployment pointed at it."""

    tenant: Tenant
    server: SandboxServer
    config: Path
    today: date

    def run(self, **kw: Any) -> RunResult:
        inputs = prepare_run(
            self.config, "nightly", settings=load_settings(self.config), today=self.today, **kw
        )
        return run_prepared(inputs)


@pytest.fixture()
def make_env(tmp_path: Path):
    """Factory: `make_env(name, faults=...)` starts a sandbox and writes its workspace."""
    servers: list[SandboxServer] = []

    def make(name: str, faults: FaultConfig | None = None, data: dict | None = None) -> Env:
        data = data or tenant_dict()
        tenant = Tenant.from_dict(data)
        server = SandboxServer(tenant, port=0, faults=faults).start()
        servers.append(server)
        config = prepare_workspace(data, tmp_path / name, server.url)
        return Env(tenant, server, config, data["generator"]["anchor"])

    yield make
    for s in servers:
        s.stop()


def _plain(v: Any) -> Any:
    if isinstance(v, str):
        return _HOST.sub("<host>", v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in sorted(v.items())}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if v is None or (not isinstance(v, list | dict) and pd.isna(v) is True):
        return None
    return str(v)


def canonical(config: Path) -> dict[str, list]:
    """The latest snapshot's tables as sorted plain rows (hosts masked)."""
    settings = load_settings(config)
    store = StateStore(settings.resolved_state_url)
    try:
        run = store.latest_snapshot_run()
        assert run is not None, "no snapshot was saved"
        tables = store.load_snapshot(run)
    finally:
        store.close()
    out = {}
    for name in ("projects", "documents", "status_reports", "assets", "quarantine"):
        df: pd.DataFrame = getattr(tables, name)
        rows = [_plain(r) for r in df.astype(object).to_dict("records")]
        out[name] = sorted(rows, key=repr)
    return out


def findings(config: Path) -> list[tuple[str, str]]:
    settings = load_settings(config)
    store = StateStore(settings.resolved_state_url)
    try:
        df = store.findings()
    finally:
        store.close()
    return sorted(zip(df["finding_id"], df["status"], strict=True))


def hub_rows(tenant: Tenant) -> dict[str, list]:
    """Every hub list's rows: the owned columns, hosts masked, sorted by key."""
    site = tenant.site_for_path(HUB_URL + "/_api/web")[0]
    out: dict[str, list] = {}
    for spec in HUB_LISTS:
        try:
            lst = site.list_by_title(spec.title)
        except Exception:  # noqa: BLE001 - the sandbox's ListNotFound: list never written
            continue
        cols = [c.wire_name for c in spec.owned_columns]
        rows = [
            {c: _plain(i.values.get(c)) for c in cols}
            for i in lst.items.values()
            if i.fs_obj_type == 0
        ]
        out[spec.title] = sorted(rows, key=lambda r: str(r.get(spec.key_column)))
    return out


def duplicate_keys(tenant: Tenant) -> dict[str, list[str]]:
    site = tenant.site_for_path(HUB_URL + "/_api/web")[0]
    dups: dict[str, list[str]] = {}
    for spec in HUB_LISTS:
        try:
            lst = site.list_by_title(spec.title)
        except Exception:  # noqa: BLE001
            continue
        keys = Counter(str(i.values.get(spec.key_column)) for i in lst.items.values())
        bad = [k for k, n in keys.items() if n > 1]
        if bad:
            dups[spec.title] = bad
    return dups


def end_state(env: Env) -> dict[str, Any]:
    return {
        "canonical": canonical(env.config),
        "findings": findings(env.config),
        "hub": hub_rows(env.tenant),
    }
