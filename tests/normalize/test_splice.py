"""Splicing a source's changed items into the stored tables (``normalize/splice.py``) gives the
tables a full normalize gives, over rounds of random adds, edits and deletes in an asset list
and a library whose rows go in and out of the quarantine: bad values, unknown document types
(the library's last pass), keys naming no project, and rows whose columns look shifted (a
verdict that depends on the whole list's column shapes, which the edits move).

In memory and without a server: the pipeline's basis (``pipeline/splice_basis.py``) is covered
by ``tests/pipeline/test_splice_normalize.py``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize import load_mappings, normalize
from c3po_sync.normalize.splice import Basis
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = [
    m
    for f in ("itd-assets.yaml", "ppm-planning.yaml")
    for m in load_mappings(ROOT / "mappings" / f)
]
ASSET_FIELDS = [
    ("Title", "Text"),
    ("AssetType", "Choice"),
    ("Vendor", "Text"),
    ("OwnerDepartment", "Choice"),
    ("AssetOwner", "User"),
    ("LifecycleStage", "Choice"),
    ("Noted", "Text"),  # not mapped: only its values' shape (the list's majority) is known
    ("Acquired", "DateTime"),
    ("RenewalDate", "DateTime"),
    ("EndOfSupport", "DateTime"),
    ("AnnualCost", "Currency"),
    ("Checked", "Text"),  # not mapped
    ("LastReviewed", "DateTime"),
    ("RelatedProject", "Text"),
]
KEYS = ["AMANDA7", "SJPERMITS", "GIS", "nobody", ""]


def _asset(rng: random.Random) -> dict[str, Any]:
    values = {
        "Title": f"Asset {rng.randrange(100)}",
        "AssetType": rng.choice(["Application", "Server", "Mainframe"]),
        "Vendor": rng.choice(["Acme", "Initech"]),
        "OwnerDepartment": "IT",
        "AssetOwner": {"Title": "Ann", "EMail": "ann@example.gov"},
        "LifecycleStage": rng.choice(["In Service", "Retiring", "Sunsetting"]),
        "Acquired": "2019-06-01T07:00:00Z",
        "RenewalDate": rng.choice(["2027-06-30T07:00:00Z", "soon"]),
        "EndOfSupport": rng.choice(["2029-06-30T07:00:00Z", "2028-01-31T08:00:00Z"]),
        "AnnualCost": rng.choice([1000, 25000, -5, "lots"]),
        # Dates in most rows, or not: the list's shape of these columns moves with the edits.
        "Noted": "2026-01-05" if rng.random() < 0.6 else "n/a",
        "Checked": "2026-02-05" if rng.random() < 0.6 else "n/a",
        "LastReviewed": "2026-08-14T07:00:00Z",
        "RelatedProject": rng.choice(KEYS),
    }
    if (
        rng.random() < 0.2
    ):  # dates in the wrong columns: shifted only if their neighbours hold dates
        values.update(AssetType="Mainframe", LifecycleStage="2026-01-05", AnnualCost="2026-02-05")
    elif rng.random() < 0.2:  # a pasted row, one column to the right
        names = [n for n, _ in ASSET_FIELDS]
        values = {names[i + 1]: values[names[i]] for i in range(len(names) - 1)}
    return values


def _document(rng: random.Random, item_id: int) -> dict[str, Any]:
    name = f"{rng.choice(KEYS[:3])} {rng.choice(['Charter', 'Status Report 2026-10', 'Plan'])}.docx"
    return {
        "FileRef": f"/sites/ppm-planning/Project Documents/{item_id}/{name}",
        "FileLeafRef": name,
        "FSObjType": rng.choice([0, 0, 0, 1]),
        "File_x0020_Size": rng.choice([100, "big"]),
        "Editor": rng.choice([{"Title": "Bo", "EMail": "bo@example.gov"}, 7]),
        "ProjectKey": rng.choice(KEYS),
        "DocType": rng.choice(["Charter", "Status Report", "Charterr", None]),
    }


def _project(rng: random.Random) -> dict[str, Any]:
    """Few keys, so keys are often taken twice: the first row (item id) wins."""
    return {
        "Key": rng.choice([*KEYS[:3], " gis"]),
        "Title": "P",
        "EstimatedCost": rng.choice([5, "x"]),
    }


class Lists:
    """Three in-memory lists (projects, library, assets) and what changed in each since last."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.items: dict[str, dict[int, dict[str, Any]]] = {"p": {}, "d": {}, "a": {}}
        self.changed: dict[str, set[int]] = {k: set() for k in self.items}
        self.gone: dict[str, set[int]] = {k: set() for k in self.items}
        self.next_id = 1
        for _ in range(4):
            self.add("p")
        for _ in range(25):
            self.add("d")
            self.add("a")

    def make(self, kind: str, item_id: int) -> dict[str, Any]:
        if kind == "p":
            return _project(self.rng)
        return _document(self.rng, item_id) if kind == "d" else _asset(self.rng)

    def add(self, kind: str) -> None:
        self.items[kind][self.next_id] = self.make(kind, self.next_id)
        self.changed[kind].add(self.next_id)
        self.next_id += 1

    def edit(self) -> None:
        kind = self.rng.choice(["p", "d", "a", "a"])
        ids = sorted(self.items[kind])
        roll = self.rng.random()
        if roll < 0.2 and ids:
            gone = self.rng.choice(ids)
            del self.items[kind][gone]
            self.changed[kind].discard(gone)
            self.gone[kind].add(gone)
        elif roll < 0.35:
            self.add(kind)
        elif ids:
            item = self.rng.choice(ids)
            self.items[kind][item] = self.make(kind, item)
            self.changed[kind].add(item)

    def batches(self, mappings: list[Any], *, known: bool) -> list[SourceBatch]:
        out = []
        for kind, m in zip("pda", mappings, strict=True):
            fields = ASSET_FIELDS if kind == "a" else [(c, "Text") for c in m.fields]
            out.append(
                SourceBatch(
                    ref=m.ref,
                    fields=[FieldInfo(n, n, k) for n, k in fields],
                    records=[
                        RawRecord(i, dict(v), etag=f'"{i}"', modified="2026-11-01T10:00:00Z")
                        for i, v in sorted(self.items[kind].items())
                    ],
                    time_zone="America/Los_Angeles",
                    deleted_ids=sorted(self.gone[kind]) if known else [],
                    changed_ids=frozenset(self.changed[kind]) if known else None,
                )
            )
        self.changed = {k: set() for k in self.items}
        self.gone = {k: set() for k in self.items}
        return out


def _equal(got: CanonicalTables, want: CanonicalTables) -> list[str]:
    out = []
    for name in ("projects", "documents", "status_reports", "assets", "quarantine"):
        try:
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))
        except AssertionError as e:
            out.append(f"{name}: {str(e)[:300]}")
    return out


@pytest.mark.slow
def test_spliced_sources_match_a_full_normalize_round_after_round() -> None:
    projects = next(m for m in MAPPINGS if m.target == "projects")
    library = next(m for m in MAPPINGS if m.target == "documents")
    assets = next(m for m in MAPPINGS if m.target == "assets")
    mappings = [projects, library, assets]
    rng = random.Random(32)  # a seed whose edits move the list's shapes under unchanged rows
    lists = Lists(rng)
    stored = normalize(lists.batches(mappings, known=False), mappings)
    differences: list[str] = []
    spliced = duplicates = 0
    for round_no in range(20):
        for _ in range(rng.randrange(1, 6)):
            lists.edit()
        batches = lists.batches(mappings, known=True)
        sources = {(b.ref.site, b.ref.list_title) for b in batches}
        basis = Basis(tables=stored, sources=sources)
        got = normalize(batches, mappings, basis=basis)
        want = normalize(batches, mappings)
        spliced += len(basis.spliced)
        differences += [f"round {round_no}: {d}" for d in _equal(got, want)]
        stored = want
        duplicates += int((want.quarantine["problem"] == "duplicate_key").any())
    assert differences == []
    assert spliced >= 20  # the asset list every round, the library whenever the keys held
    assert not stored.quarantine.empty
    problems = set(stored.quarantine["problem"])
    assert {"shifted_columns", "unknown_key", "unknown_value"} <= problems, problems
    assert duplicates, "no round had a project key taken twice"
