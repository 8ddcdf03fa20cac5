"""A sync streams its sources: normalize holds one source's raw records at a time (issue 16).

The nightly job runs on the demo tenant (real office365 client, real HTTP to the sandbox, real
state database); the raw cache is watched as normalize reads it: when a source's records are
read, no record of a source read before it may still be alive.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import RawRecord
from c3po_sync.state.raw_cache import RawCache
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"


@pytest.fixture()
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with SandboxServer(load_demo_tenant(), port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield server


def _watch_reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Every key read from the raw cache, and each read that found an earlier source's
    records still alive ("earlier -> key: n alive")."""
    reads: list[str] = []
    overlaps: list[str] = []
    held: list[tuple[str, list[weakref.ref[RawRecord]]]] = []
    original = RawCache.records

    def watching(self: RawCache, key: str) -> list[RawRecord]:
        gc.collect()
        for earlier, refs in held:
            alive = sum(r() is not None for r in refs)
            if alive:
                overlaps.append(f"{earlier} -> {key}: {alive} alive")
        records = original(self, key)
        reads.append(key)
        held.append((key, [weakref.ref(r) for r in records]))
        return records

    monkeypatch.setattr(RawCache, "records", watching)
    return reads, overlaps


def _run(tmp_path: Path):
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=DEMO_ANCHOR)
    return run_prepared(inputs)


def test_first_nightly_normalizes_one_source_at_a_time(
    served: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads, overlaps = _watch_reads(monkeypatch)
    result = _run(tmp_path)
    assert result.outcome == "ok", result.error
    sources = [s.source for s in result.sources]
    assert len(reads) == len(sources) == len(set(reads))  # each source read once, all of them
    assert overlaps == []
    assert result.items_read == sum(s.records for s in result.sources) > 0


def test_changed_night_reads_every_source_still_one_at_a_time(
    served: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A night with one edit normalizes only the edited item where the stored tables vouch
    for the rest (normalize/splice.py): no source's records are loaded whole (the edited item
    is read from the cache by id), every source's items are counted as the first run did, and
    the edit lands."""
    first = _run(tmp_path)
    assert first.outcome == "ok", first.error
    projects = served.tenant.sites["/sites/ppm-finance"].list_by_title("Project List")
    projects.update_item(sorted(projects.items)[0], {"Title": "Retitled for the streaming test"})
    reads, overlaps = _watch_reads(monkeypatch)
    second = _run(tmp_path)
    assert second.outcome == "ok", second.error
    assert overlaps == []
    assert reads == []
    assert [s.records for s in second.sources] == [s.records for s in first.sources]
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        titles = store.load_snapshot(second.run_id).projects["title"]
    assert "Retitled for the streaming test" in set(titles.dropna())
