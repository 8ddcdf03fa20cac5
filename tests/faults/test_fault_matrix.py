"""Throttling, outages, drops, truncation and latency over reads and writes lose nothing."""

from __future__ import annotations

import pytest

from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.server import SandboxServer

from .helpers import duplicate_keys, end_state, env_int

pytestmark = pytest.mark.faults

RUNS = env_int("C3PO_FAULT_RUNS", 4)  # the 20: C3PO_FAULT_RUNS=20


def matrix(seed: int) -> FaultConfig:
    """Every route, `$batch` included (drops and truncation lose its answer); 429/503 also hit
    single operations inside a batch."""
    return FaultConfig(
        routes=None,
        p429=0.10,
        retry_after_s=0.05,
        p503=0.05,
        p_drop=0.02,
        p_truncate=0.02,
        latency_s=0.002,
        in_batch=True,
        seed=seed,
    )


@pytest.fixture(scope="module")
def clean_state(tmp_path_factory):
    """The state a clean run (no faults) ends in, run twice as the faulty runs are."""
    import c3po_sync.bench.workspace as ws
    from c3po_sync.sandbox.model import Tenant
    from c3po_sync.sandbox.server import SandboxServer

    from .helpers import Env, tenant_dict

    data = tenant_dict()
    tenant = Tenant.from_dict(data)
    with SandboxServer(tenant, port=0) as server:
        config = ws.prepare_workspace(data, tmp_path_factory.mktemp("clean"), server.url)
        env = Env(tenant, server, config, data["generator"]["anchor"])
        assert env.run().outcome == "ok"
        assert env.run().outcome == "ok"
        return end_state(env)


@pytest.mark.parametrize("seed", range(RUNS))
def test_faulty_runs_end_like_a_clean_run(seed: int, make_env, clean_state) -> None:
    env = make_env(f"faulty-{seed}", faults=matrix(seed))
    # A run may give up after its retries (it fails or marks a source failed); the next run,
    # under the same faults, must finish the job. Then one more run, as the clean side does.
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(env.run().outcome)
        except Exception as e:  # noqa: BLE001 - a failed run is recorded and re-run
            outcomes.append(f"failed: {type(e).__name__}")
        if outcomes[-1] == "ok":
            break
    assert outcomes[-1] == "ok", outcomes
    assert env.run().outcome == "ok"
    assert duplicate_keys(env.tenant) == {}
    assert env.server.stats.faults, "the matrix injected nothing"
    state = end_state(env)
    assert state["canonical"] == clean_state["canonical"]
    assert state["findings"] == clean_state["findings"]
    assert state["hub"] == clean_state["hub"]


class _LoseFirstBatchReply(SandboxServer):
    """Applies the first `$batch` to the hub, then cuts its response off half way."""

    lost = 0

    def handle(self, request):  # type: ignore[no-untyped-def]
        reply, drop, truncate = super().handle(request)
        if self.lost == 0 and request.path.endswith("/_api/$batch"):
            self.lost += 1
            return reply, drop, True
        return reply, drop, truncate


def test_lost_batch_response_is_not_applied_twice(tmp_path) -> None:
    import c3po_sync.bench.workspace as ws
    from c3po_sync.sandbox.model import Tenant

    from .helpers import Env, tenant_dict

    data = tenant_dict()
    tenant = Tenant.from_dict(data)
    with _LoseFirstBatchReply(tenant, port=0) as server:
        config = ws.prepare_workspace(data, tmp_path, server.url)
        env = Env(tenant, server, config, data["generator"]["anchor"])
        try:
            env.run()
        except Exception:  # noqa: BLE001 - a failed run is re-run below
            pass
        env.run()
        assert server.lost == 1
        assert duplicate_keys(tenant) == {}
