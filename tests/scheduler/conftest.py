"""Fixtures: the demo tenant served over HTTP, and a deployment config in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from c3po_sync.sandbox.demo import load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Deployment:
    server: SandboxServer
    tenant: object
    config: Path
    jobs_dir: Path
    state_url: str
    tmp: Path

    def add_job(self, job_id: str, steps: str, cron: str = "0 3 * * *", grace: int = 3600) -> Path:
        p = self.jobs_dir / f"{job_id}.yaml"
        p.write_text(
            f"id: {job_id}\nsteps: {steps}\nschedule:\n  cron: '{cron}'\n"
            f"  timezone: America/Los_Angeles\n  misfire_grace_seconds: {grace}\n"
            "  coalesce: true\n"
        )
        return p


def write_config(tmp: Path, base_url: str, extra: str = "") -> Path:
    jobs = tmp / "jobs"
    jobs.mkdir(exist_ok=True)
    cfg = tmp / "settings.yaml"
    cfg.write_text(
        f"tenant:\n  base_url: {base_url}\n  auth:\n    mode: sandbox\n"
        f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config' / 'rules.yaml'}\n"
        f"jobs_dir: {jobs}\nstate_url: sqlite:///{tmp / 'state.db'}\n"
        f"output_dir: {tmp / 'out'}\nscheduler:\n  lock_ttl_seconds: 30\n{extra}"
    )
    return cfg


@pytest.fixture()
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        cfg = write_config(tmp_path, server.url)
        yield Deployment(
            server, tenant, cfg, tmp_path / "jobs", f"sqlite:///{tmp_path / 'state.db'}", tmp_path
        )


from pg_server import pg_url, postgres_server  # noqa: E402,F401 - the fixtures
