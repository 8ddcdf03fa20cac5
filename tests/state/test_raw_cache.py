"""The raw-record cache: atomic page checkpoints, merges of split queries, changes, site tokens."""

from __future__ import annotations

from c3po_sync.sources.base import RawRecord
from c3po_sync.sources.incremental import Page, Schema
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore

SCHEMA = Schema("guid", [{"internal_name": "Title", "title": "Title", "kind": "Text"}], "UTC")


def test_pages_merges_changes_and_restart() -> None:
    with StateStore("sqlite://") as store:
        cache = RawCache(store)
        cache.begin_full("k", ["Title"], SCHEMA)
        cache.save_page(
            "k", Page([RawRecord(1, {"Title": "a"}), RawRecord(2, {"Title": "b"})], {"after": 2})
        )
        state = cache.state("k")
        assert state is not None and not state.complete and state.position == {"after": 2}
        cache.save_page(
            "k",
            Page([RawRecord(2, {"Owner": "x"}), RawRecord(9, {"Owner": "y"})], None, merge=True),
        )
        assert [r.values for r in cache.records("k")] == [
            {"Title": "a"},
            {"Title": "b", "Owner": "x"},
        ]
        assert cache.state("k").complete  # type: ignore[union-attr]
        cache.apply_changes("k", [RawRecord(3, {"Title": "c"}, etag='"1"')], {1}, None)
        assert [r.item_id for r in cache.records("k")] == [2, 3]
        cache.set_site_token("/sites/X", "1;1;g;1;5")
        assert cache.site_token("/sites/x") == "1;1;g;1;5"
        cache.begin_full("k", ["Title"], SCHEMA)
        assert cache.records("k") == [] and not cache.state("k").complete  # type: ignore[union-attr]


def test_states_are_read_once_and_every_write_is_seen() -> None:
    """A sync asks each source's state three or four times; the store is asked once for all of
    them, and a state written since (by this cache) is read again, never served stale."""
    from sqlalchemy import event

    with StateStore("sqlite://") as store:
        cache = RawCache(store)
        for key in ("a", "b", "c"):
            cache.begin_full(key, ["Title"], SCHEMA)
        queries: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
        fresh = RawCache(store)
        for _ in range(4):
            for key in ("a", "b", "c", "never-read"):
                fresh.state(key)
        reads = [q for q in queries if "FROM raw_sources" in q]
        assert len(reads) == 2  # all states at once, then the key the store does not hold
        fresh.save_page("b", Page([RawRecord(1, {"Title": "x"})], None))
        assert fresh.state("b").complete  # type: ignore[union-attr]
        assert not fresh.state("a").complete  # type: ignore[union-attr]
        fresh.begin_full("b", ["Title", "Owner"], SCHEMA)
        assert fresh.state("b").columns == ["Title", "Owner"]  # type: ignore[union-attr]
        fresh.apply_changes("a", [], set(), Schema("guid-2", [], "UTC"))
        assert fresh.state("a").schema.list_id == "guid-2"  # type: ignore[union-attr]
