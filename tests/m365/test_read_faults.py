"""Reads under sandbox faults: 429/503/drops waited out and logged, 401 not retried, UA sent."""

from __future__ import annotations

import logging
import random

import pytest

from c3po_sync import __version__
from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.errors import AuthenticationError, SharePointRequestError
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.m365.retry import RetryPolicy
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceRef
from c3po_sync.sources.incremental import sync_site
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore

pytestmark = pytest.mark.faults
REF = SourceRef("/sites/ppm", "Projects")
TZ = "UTC"


def _seed_fail_then_pass(p: float) -> int:
    """A seed whose first draw injects the fault and whose second does not."""
    for s in range(10_000):
        rng = random.Random(s)
        if rng.random() < p and rng.random() >= p:
            return s
    raise AssertionError("no seed")


def _read(conn: SiteConnection) -> list[str]:
    batch = SharePointListSource(REF, conn, time_zone=TZ).read(["Title"])
    return [r.values["Title"] for r in batch.records]


def test_429_with_retry_after_is_waited_out_and_logged(ppm, server: SandboxServer, caplog) -> None:
    server.faults = FaultConfig(throttle_first=2, retry_after_s=0, routes={"items"})
    with caplog.at_level(logging.WARNING, logger="c3po_sync.m365.retry"):
        assert _read(ppm) == ["Treasury System", "Parking App"]
    assert server.stats.statuses[429] == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all(m.startswith("/sites/ppm items of 'Projects'") and "429" in m for m in warnings)


@pytest.mark.parametrize("fault", ["p503", "p_drop"])
def test_outages_and_dropped_connections_are_retried(
    ppm, server: SandboxServer, caplog, fault: str
) -> None:
    server.faults = FaultConfig(
        **{fault: 0.5}, retry_after_s=0, seed=_seed_fail_then_pass(0.5), routes={"items"}
    )
    with caplog.at_level(logging.WARNING, logger="c3po_sync.m365.retry"):
        assert _read(ppm) == ["Treasury System", "Parking App"]
    assert sum(server.stats.faults.values()) == 1
    assert any("/sites/ppm items of 'Projects'" in r.getMessage() for r in caplog.records)


def test_total_wait_is_capped(server: SandboxServer) -> None:
    server.faults = FaultConfig(throttle_first=50, retry_after_s=3600, routes={"items"})
    policy = RetryPolicy(max_attempts=10, max_total_wait=5, base_delay=0.01, max_delay=0.01)
    conn = SiteConnection.open(server.url + "/sites/ppm", StaticTokenProvider(), policy=policy)
    with pytest.raises(SharePointRequestError) as info:
        _read(conn)
    assert info.value.status == 429 and info.value.retry_after == 3600
    assert server.stats.statuses[429] == 1  # an hour's wait exceeds the cap: give up at once


def test_401_is_not_retried_on_the_change_log(server: SandboxServer, connect) -> None:
    with StateStore("sqlite://") as store:
        cache = RawCache(store)
        cache.set_site_token("/sites/ppm", "1;1;x;1;1")
        source = SharePointListSource(REF, connect("/sites/ppm", token=" "), time_zone=TZ)
        with pytest.raises(AuthenticationError):
            sync_site("/sites/ppm", [(source, ["Title"])], cache)
    assert server.stats.statuses[401] == 1


def test_every_request_carries_the_decorated_user_agent(ppm, server: SandboxServer) -> None:
    agents: list[str] = []
    assert ppm.session is not None
    ppm.session.hooks["response"].append(
        lambda r, *a, **k: agents.append(r.request.headers.get("User-Agent"))
    )
    with StateStore("sqlite://") as store:
        cache = RawCache(store)
        sync_site("/sites/ppm", [(SharePointListSource(REF, ppm, time_zone=TZ), ["Title"])], cache)
        sync_site("/sites/ppm", [(SharePointListSource(REF, ppm, time_zone=TZ), ["Title"])], cache)
    assert len(agents) == ppm.requests_sent >= 3
    assert set(agents) == {f"NONISV|City|C3POSync/{__version__}"}
