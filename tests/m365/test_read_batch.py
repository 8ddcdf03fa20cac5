"""The site's read ``$batch``: token and schemas in one round trip, and every way back from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.library_reader import SharePointLibrarySource
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.m365.read_batch import batch_get, build_read_batch
from c3po_sync.m365.retry import RetryPolicy
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceRef
from c3po_sync.sources.incremental import sync_site
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore

TZ = "America/Los_Angeles"
SITE = "/sites/ppm"
COLUMNS = ["Title", "ProjectCode", "Budget", "Phase", "PPM", "Team", "Department"]


@pytest.fixture
def cache() -> Iterator[RawCache]:
    with StateStore("sqlite://") as store:
        yield RawCache(store)


def _sources(conn: SiteConnection) -> list:
    return [
        (SharePointListSource(SourceRef(SITE, "Projects"), conn, time_zone=TZ), COLUMNS),
        (
            SharePointLibrarySource(SourceRef(SITE, "Documents", "library"), conn, time_zone=TZ),
            ["DocType"],
        ),
    ]


def _records(result) -> dict:
    return {
        k: [(r.item_id, r.values, r.etag) for r in b.records] for k, b in result.batches.items()
    }


def test_read_batch_body_holds_gets_outside_any_changeset() -> None:
    content_type, body = build_read_batch(["https://x/_api/web", "https://x/_api/site"])
    text = body.decode()
    assert content_type.startswith("multipart/mixed; boundary=batch_")
    assert "changeset" not in text
    assert text.count("GET https://x/_api/") == 2 and "\r\n" in text


def test_batch_get_answers_each_part_in_order(connect) -> None:
    conn = connect(SITE)
    urls = [conn.api("site?$select=CurrentChangeToken"), conn.api("Web/lists/GetByTitle('Nope')")]
    subs = batch_get(conn, urls, route="read $batch")
    assert [s.status for s in subs] == [200, 404]
    assert conn.requests_sent == 1


def test_first_run_costs_one_batch_per_site_plus_pages(
    connect, server: SandboxServer, cache: RawCache
) -> None:
    conn = connect(SITE)
    result = sync_site(SITE, _sources(conn), cache)

    assert not result.errors and len(result.full_reads) == 2
    assert server.stats.count("POST", "batch") == 1
    # token, both schemas and the site users all came from the batch
    for route in ("site", "fields", "site_users"):
        assert server.stats.count("GET", route) == 0, route
        assert server.stats.count("GET", route, in_batch=True) >= 1, route
    pages = server.stats.count("GET", "items") + server.stats.count("POST", "get_items")
    assert pages == 2
    assert conn.requests_sent == server.stats.total == 1 + pages


def test_a_batch_refused_as_a_whole_falls_back_to_single_gets(
    server: SandboxServer, cache: RawCache, connect, caplog
) -> None:
    plain = sync_site(SITE, _sources(connect(SITE)), RawCache(StateStore("sqlite://")))
    server.faults = FaultConfig(throttle_first=50, retry_after_s=3600, routes={"batch"})
    policy = RetryPolicy(max_attempts=3, max_total_wait=1, base_delay=0.01, max_delay=0.01)
    conn = SiteConnection.open(server.url + SITE, StaticTokenProvider(), policy=policy)
    server.stats.reset()

    result = sync_site(SITE, _sources(conn), cache)

    assert not result.errors
    assert _records(result) == _records(plain)
    assert server.stats.count("GET", "site") == 1 and server.stats.count("GET", "fields") == 2
    assert any("read $batch failed" in r.getMessage() for r in caplog.records)


def test_a_throttled_part_is_read_again_on_its_own(
    connect, server: SandboxServer, cache: RawCache
) -> None:
    server.faults = FaultConfig(throttle_first=1, retry_after_s=0, routes={"fields"}, in_batch=True)
    result = sync_site(SITE, _sources(connect(SITE)), cache)

    assert not result.errors and len(result.full_reads) == 2
    assert server.stats.count("GET", "fields", in_batch=True) == 2
    assert server.stats.count("GET", "fields") == 1  # only the throttled part, alone
