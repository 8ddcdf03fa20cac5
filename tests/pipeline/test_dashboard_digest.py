"""The dashboard's digest (is the hub's copy still what the pages show?) is fed to the hash a
row at a time, and equals the digest stored by earlier releases: the repr of both pages, dates
left out, hashed whole."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from c3po_sync.pipeline.steps.dashboard import shown_digest
from c3po_sync.sinks.dashboard_data import DashboardData


def _page(audience: str, rows: int, *, as_of: date) -> DashboardData:
    return DashboardData(
        title="C3PO", audience=audience, as_of=as_of, generated_at=f"{as_of}T06:00",
        changes_since="run 3", project_columns=["key", "budget"],
        projects=[{"key": f"P{i}", "budget": i * 1.5, "when": date(2026, 1, 1 + i % 28)}
                  for i in range(rows)],
        by_phase=[("Execution", rows)], by_status=[], changes=[{"what": "it's"}],
        finding_changes={"new": 2}, scorecard=[], intake=None, notes=["a", 'b"'],
    )  # fmt: skip


def _whole(*pages: DashboardData) -> str:
    """The definition earlier releases stored (pipeline/steps/dashboard.py before issue 16)."""
    kept = [replace(p, generated_at="", as_of=date.min) for p in pages]
    return hashlib.sha256(repr(kept).encode()).hexdigest()


def test_digest_is_the_whole_repr_digest_and_ignores_the_dates() -> None:
    for rows in (0, 1, 7):
        pages = (
            _page("internal", rows, as_of=date(2026, 11, 2)),
            _page("public", 0, as_of=date(2026, 11, 2)),
        )
        assert shown_digest(*pages) == _whole(*pages)
    day1 = shown_digest(_page("internal", 3, as_of=date(2026, 11, 2)))
    assert day1 == shown_digest(_page("internal", 3, as_of=date(2026, 11, 3)))
    assert day1 != shown_digest(_page("internal", 4, as_of=date(2026, 11, 2)))


def test_digest_never_makes_the_whole_repr(monkeypatch) -> None:
    """No string the size of all the rows: each row's repr is hashed and dropped."""
    sizes: list[int] = []
    real = hashlib.sha256

    class Counting:
        def __init__(self) -> None:
            self.h = real()

        def update(self, data: bytes) -> None:
            sizes.append(len(data))
            self.h.update(data)

        def hexdigest(self) -> str:
            return self.h.hexdigest()

    monkeypatch.setattr(hashlib, "sha256", Counting)
    page = _page("internal", 500, as_of=date(2026, 11, 2))
    shown_digest(page)
    assert max(sizes) < 200, max(sizes)
