"""Old change tokens are not trusted, and a full reconciliation reports what the log missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from c3po_sync.m365.changes import change_token_time
from c3po_sync.m365.list_reader import SharePointListSource
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sources.base import SourceRef
from c3po_sync.sources.incremental import source_key, sync_site
from c3po_sync.sources.reconcile import reconcile_site
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore

SITE = "/sites/ppm"
COLUMNS = ["Title", "ProjectCode", "Budget", "Phase"]
LIMIT = timedelta(days=45)


@pytest.fixture
def cache() -> Iterator[RawCache]:
    with StateStore("sqlite://") as store:
        yield RawCache(store)


def _sources(conn) -> list:
    source = SharePointListSource(SourceRef(SITE, "Projects"), conn, time_zone="UTC")
    return [(source, COLUMNS)]


def _budgets(cache: RawCache) -> dict[int, object]:
    key = source_key(SourceRef(SITE, "Projects"))
    return {r.item_id: r.values.get("Budget") for r in cache.records(key)}


def test_the_token_time_is_read_from_the_token() -> None:
    recorded = "1;3;a91a4587-e033-4e6a-8763-9b1139fdaf55;638011601253170000;699157333"
    taken = change_token_time(recorded)
    assert taken is not None and taken.date().isoformat() == "2022-10-12"  # the list's Created
    assert change_token_time("not a token") is None


@pytest.mark.parametrize("limit", [LIMIT, None])
def test_a_token_past_the_limit_reads_the_site_in_full(
    tenant: Tenant, connect, cache: RawCache, limit: timedelta | None
) -> None:
    tenant.advance_clock(timedelta(days=-61))  # the first sync happens 61 days ago
    assert not sync_site(SITE, _sources(connect(SITE)), cache, max_token_age=limit).incremental
    tenant.advance_clock(timedelta(days=61))
    lst = tenant.sites[SITE].list_by_title("Projects")
    lst.update_item(1, {"Budget": 1234})  # logged, but after a token SharePoint no longer honours

    again = sync_site(SITE, _sources(connect(SITE)), cache, max_token_age=limit)

    if limit is None:  # trusting the token: SharePoint answers "no changes", the cache is stale
        assert again.incremental and _budgets(cache)[1] != 1234
    else:
        assert not again.incremental and again.full_reads
        assert _budgets(cache)[1] == 1234
        fresh = sync_site(SITE, _sources(connect(SITE)), cache, max_token_age=limit)
        assert fresh.incremental  # the new token is young again


def test_a_young_token_reads_incrementally(tenant: Tenant, connect, cache: RawCache) -> None:
    tenant.advance_clock(timedelta(days=-30))
    sync_site(SITE, _sources(connect(SITE)), cache, max_token_age=LIMIT)
    tenant.advance_clock(timedelta(days=30))
    now = datetime.now(UTC)
    assert sync_site(SITE, _sources(connect(SITE)), cache, max_token_age=LIMIT, now=now).incremental


def test_reconcile_reports_what_the_incremental_reads_missed(
    tenant: Tenant, connect, cache: RawCache
) -> None:
    sync_site(SITE, _sources(connect(SITE)), cache)
    lst = tenant.sites[SITE].list_by_title("Projects")
    # Changes the change log never shows (as a dropped log would): written past the model.
    lst.items[1].values["Budget"] = 99
    gone = max(lst.items)
    del lst.items[gone]
    added = lst.add_item({"Title": "Unlogged", "ProjectCode": "UNL"}, record=False).id

    sources = _sources(connect(SITE))
    synced = sync_site(SITE, sources, cache)
    assert synced.incremental and _budgets(cache)[1] != 99  # the log said nothing
    (diff,) = reconcile_site(sources, cache, synced)

    assert (diff.missing, diff.extra, diff.stale) == ([added], [gone], [1])
    assert "1 missing" in diff.describe() and "1 stale" in diff.describe()
    assert _budgets(cache)[1] == 99 and added in _budgets(cache)
    key = source_key(SourceRef(SITE, "Projects"))
    assert {r.item_id for r in synced.batches[key].records} == set(_budgets(cache))
    again = sync_site(SITE, sources, cache)
    assert reconcile_site(sources, cache, again)[0].count == 0
