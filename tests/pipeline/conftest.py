"""Fixtures of the pipeline tests."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_server import pg_url, postgres_server  # noqa: F401 - the fixtures

from c3po_sync.m365.http import SiteConnection
from c3po_sync.sandbox.demo import load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.wiring import SharePointPorts


@pytest.fixture()
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """The demo tenant served by the sandbox, with this test's own state and output folders:
    (server, tenant). The runs read ``config/sandbox.yaml``, which takes them from the env."""
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield server, tenant


@pytest.fixture()
def opened_sites(monkeypatch: pytest.MonkeyPatch) -> dict[str, SiteConnection]:
    """Every site connection a run opens, by site: what each one sent is in its counters."""
    opened: dict[str, SiteConnection] = {}
    original = SharePointPorts.connection

    def recording(self: SharePointPorts, site: str) -> SiteConnection:
        conn = original(self, site)
        opened[site] = conn
        return conn

    monkeypatch.setattr(SharePointPorts, "connection", recording)
    return opened
